"""The demo portfolio of ``postpoc demo``, as data: who works there, and one
story per POC (what its owner answers, what the lead decides, how its
indicator moves). :mod:`bot.demo` plays it through the real service."""

from __future__ import annotations

from dataclasses import dataclass, field

PEOPLE: tuple[tuple[str, str, str], ...] = (
    # platform id in the console, display name, locale
    ("claire", "Claire Martin", "en"),
    ("omar", "Omar Haddad", "en"),
    ("sofia", "Sofia Rossi", "en"),
    ("yann", "Yann Le Goff", "fr"),
    ("amina", "Amina Diallo", "en"),
    ("lucas", "Lucas Moreau", "fr"),
)
LEADS = ("claire", "omar")

READY: dict[str, str] = {
    "screen_uses": "None of these",
    "tier_annex3_uses": "None of these",
    "tier_profiling": "no",
    "tier_role": "deployer",
    "tier_declared": "minimal",
    "owner_business_manager": "Claire Martin",
    "owner_technical": "Omar Haddad",
    "owner_sponsor": "Sofia Rossi",
    "owner_decider": "Claire Martin",
    "use_users": "Accounts payable clerks",
    "use_task": "Reads supplier invoices and proposes the accounting entry",
    "use_setting": "Staff only",
    "use_weekly_volume": "1200",
    "use_forbidden": "Paying an invoice without a clerk's approval",
    "value_indicator": "handling time per invoice",
    "value_unit": "minutes",
    "value_direction": "lower",
    "value_baseline": "40",
    "value_target": "15",
    "value_measure_method": "Timestamps in the ERP workflow",
    "value_poc_result": "12",
    "value_poc_cases": "400",
    "value_alternative": "Hire two temporary clerks",
    "cost_per_task": "0.04",
    "cost_saving_minutes": "7",
    "cost_hour_cost": "40",
    "cost_can_cut": "yes",
    "cost_monthly": "2500",
    "cost_bad_output": "80",
    "cost_budget_cap": "4000",
    "risk_data": "internal, financial",
    "risk_personal_data": "no",
    "risk_impact": "limited",
    "risk_autonomy": "approved",
    "risk_failure_modes": "Misreads scanned totals; picks the wrong cost centre",
    "risk_error_rate": "3",
    "risk_main": "A wrong entry goes unnoticed",
    "risk_level": "within",
    "risk_treatment": "mitigate",
    "risk_owner": "Omar Haddad",
    "sup_review": "before",
    "sup_overseer": "Claire Martin",
    "sup_overseer_trained": "yes",
    "sup_can_override": "yes",
    "sup_escalation": "Clerk, then the team lead, then IT",
    "sup_monitoring": "yes",
    "kill_who": "Omar Haddad",
    "kill_how": "Feature flag in the connector",
    "kill_rehearsed": "yes",
    "kill_rehearsed_on": "2026-06-15",
    "kill_minutes": "5",
    "ops_rules_published": "yes",
    "ops_users_told_ai": "yes",
    "ops_staff_informed": "yes",
    "ops_operators_trained": "yes",
    "ops_log_months": "12",
    "run_systems": "ERP, document store",
    "run_operating_team": "Finance IT",
    "run_hosting": "our cloud",
    "run_incident_path": "yes",
    "run_vendor": "Azure OpenAI, GPT-4.1",
    "run_vendor_fallback": "yes",
    "run_retest_on_change": "yes",
    "ev_evaluation": "real",
    "ev_test_cases": "400",
    "ev_success_rate": "97",
    "ev_incidents": "0",
    "ev_user_feedback": "4",
    "ev_unmeasured": "Behaviour on handwritten documents",
    "watch_threshold": "25",
    "watch_review_date": "2027-03-01",
    "watch_retire_when": "When the vendor ships the same feature",
    "view_recommendation": "industrialise",
    "view_confidence": "4",
    "view_why": "Large time saving, low risk, well supervised",
}


@dataclass(frozen=True)
class Story:
    """One POC of the demo.

    ``trend``: how its weekly readings move over the 13 weeks: ``target``
    (reaches and holds its target), ``away`` (drifts back towards the
    baseline, past the threshold), ``flat`` (no better than the baseline).
    ``answered``: how many questions are answered (None: all of them).
    ``weeks`` with check-ins: ``missed`` weeks go unanswered after the reminder;
    ``incidents`` maps a week to (count, what happened); ``changed`` weeks
    declare a model change without a re-test.
    """

    title: str
    owner: str
    answers: dict[str, str] = field(default_factory=dict)
    skip: tuple[str, ...] = ()
    decision: tuple[str, str] | None = None
    decided_by: str = "claire"
    trend: str = "target"
    answered: int | None = None
    checkins: bool = True
    missed: tuple[int, ...] = ()
    incidents: dict[int, tuple[int, str]] = field(default_factory=dict)
    changed: tuple[int, ...] = ()
    reopened: str | None = None
    away_weeks: int | None = None


STORIES: tuple[Story, ...] = (
    Story(
        "Invoice agent",
        "claire",
        decision=("industrialise", "Target met on 400 invoices; supervised before effect."),
        missed=(9,),
    ),
    Story(
        "Support triage",
        "amina",
        answers={
            "use_users": "Customer support agents",
            "use_task": "Sorts incoming tickets and drafts a first answer",
            "value_indicator": "first response time",
            "value_unit": "hours",
            "value_baseline": "8",
            "value_target": "2",
            "value_poc_result": "3",
            "watch_threshold": "5",
            "kill_rehearsed": "no",
            "view_recommendation": "frame",
        },
        decision=("frame", "Good value; the kill switch must be rehearsed first."),
        trend="away",
        incidents={10: (2, "Two drafts quoted another customer's order number")},
        reopened="first response time past its threshold two readings running",
    ),
    Story(
        "CV screening",
        "sofia",
        answers={
            "tier_annex3_uses": "employment",
            "tier_profiling": "yes",
            "tier_declared": "high",
            "use_users": "Recruiters",
            "use_task": "Ranks applications against the job description",
            "value_indicator": "screening time per application",
            "value_baseline": "12",
            "value_target": "4",
            "value_poc_result": "5",
            "watch_threshold": "9",
            "risk_personal_data": "yes",
            "view_recommendation": "frame",
        },
        decision=(
            "frame",
            "High-risk use: recruiters review every ranking; obligations to record.",
        ),
        decided_by="omar",
        trend="flat",
    ),
    Story(
        "Mood coach",
        "lucas",
        answers={"screen_uses": "3", "view_recommendation": "stop"},
        decision=("stop", "Infers employees' emotions: prohibited (EU AI Act art. 5)."),
        checkins=False,
        trend="none",
    ),
    Story(
        "Sales forecast",
        "yann",
        answers={
            "value_indicator": "forecast error",
            "value_unit": "%",
            "value_baseline": "18",
            "value_target": "10",
            "value_poc_result": "19",
            "watch_threshold": "20",
            "view_recommendation": "stop",
            "view_why": "No better than the spreadsheet",
        },
        decision=("stop", "No better than the current spreadsheet model."),
        trend="none",
        checkins=False,
    ),
    Story(
        "Contract review",
        "omar",
        answers={
            "use_users": "Legal team",
            "use_task": "Flags unusual clauses in supplier contracts",
            "value_indicator": "review time per contract",
            "value_baseline": "90",
            "value_target": "30",
            "value_poc_result": "25",
            "watch_threshold": "60",
        },
        decision=("industrialise", "Lawyers review every flag; time halved."),
        decided_by="claire",
        incidents={7: (1, "Missed an auto-renewal clause; caught by the lawyer")},
        missed=(4, 11),
    ),
    Story(
        "IT helpdesk",
        "amina",
        answers={
            "use_users": "Employees",
            "use_task": "Answers password and access questions",
            "value_indicator": "tickets solved without an agent",
            "value_unit": "%",
            "value_direction": "higher",
            "value_baseline": "5",
            "value_target": "40",
            "value_poc_result": "35",
            "watch_threshold": "20",
            "ev_evaluation": "lab",
            "view_recommendation": "frame",
        },
        decision=("frame", "Promising; evaluate under real conditions first."),
        decided_by="omar",
        trend="away",
        changed=(8,),
    ),
    Story(
        "Marketing copy",
        "sofia",
        answers={
            "use_users": "Marketing team",
            "use_task": "Drafts product descriptions",
            "value_indicator": "drafting time per description",
            "value_baseline": "30",
            "value_target": "10",
            "value_poc_result": "14",
            "watch_threshold": "25",
            "run_vendor_fallback": "no",
            "view_recommendation": "frame",
        },
        checkins=False,
    ),
    Story(
        "Procurement assistant",
        "yann",
        skip=("value_baseline", "value_target", "cost_monthly"),
        answers={"value_indicator": "purchase order cycle time", "value_unit": "days"},
        checkins=False,
        trend="none",
    ),
    Story(
        "Code review agent",
        "omar",
        answers={
            "use_users": "Developers",
            "use_task": "Comments on pull requests",
            "value_indicator": "review turnaround",
            "value_unit": "hours",
            "value_baseline": "20",
            "value_target": "6",
            "value_poc_result": "5",
            "watch_threshold": "12",
            "ev_test_cases": "20",
            "view_recommendation": "industrialise",
        },
        decision=(
            "industrialise",
            "The team accepts the lower test count: a human merges every change.",
        ),
        decided_by="claire",
    ),
    Story(
        "Fraud alerts",
        "lucas",
        answers={
            "use_users": "Fraud analysts",
            "use_task": "Scores card transactions for fraud",
            "tier_annex3_uses": "credit",
            "value_indicator": "false alerts per day",
            "value_unit": "alerts",
            "value_baseline": "300",
            "value_target": "100",
            "value_poc_result": "140",
            "watch_threshold": "250",
            "view_recommendation": "frame",
        },
        decision=("stop", "The bank's own model is being replaced; not worth framing now."),
        decided_by="omar",
        checkins=False,
        trend="none",
    ),
    Story(
        "Knowledge search",
        "claire",
        answers={
            "use_users": "All staff",
            "use_task": "Answers questions from the intranet with sources",
            "value_indicator": "searches ending in an answer",
            "value_unit": "%",
            "value_direction": "higher",
            "value_baseline": "40",
            "value_target": "70",
            "value_poc_result": "75",
            "watch_threshold": "55",
        },
        decision=("industrialise", "Answers cite their sources; staff rate it 4/5."),
        decided_by="omar",
        away_weeks=2,
    ),
    Story("Meeting notes", "yann", answered=20, checkins=False, trend="none"),
)
