"""Typed answers for whole interviews, by question key.

``READY`` describes an agent that passes every gate of the rubric; tests
change a few answers to tell other stories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conversations.answers import Invalid, parse_answer
from conversations.bank import load_bank
from conversations.engine import next_question, read_token, unit_of
from conversations.i18n import Translator
from conversations.messages import Reply
from tests.support.conversation import Person, last_ask, text

READY: dict[str, str] = {
    "screen_manipulation": "no",
    "screen_social_scoring": "no",
    "screen_emotion": "no",
    "screen_sensitive_categorisation": "no",
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
    "value_defined": "yes",
    "value_indicator": "handling time per invoice",
    "value_unit": "minutes",
    "value_direction": "lower",
    "value_baseline": "40",
    "value_target": "15",
    "value_measure_method": "Timestamps in the ERP workflow",
    "value_poc_measured": "yes",
    "value_poc_result": "12",
    "value_poc_cases": "400",
    "value_alternative": "Hire two temporary clerks",
    "cost_per_task": "0.04",
    "cost_monthly": "2500",
    "cost_bad_output": "80",
    "cost_budget_cap": "4000",
    "cost_saving_kind": "Time",
    "cost_saving_minutes": "7",
    "cost_hour_cost": "40",
    "cost_can_cut": "yes",
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
    "sup_escalation": "Clerk, then the AP team lead, then finance IT",
    "sup_monitoring": "yes",
    "kill_who": "Omar Haddad",
    "kill_how": "Feature flag in the ERP connector",
    "kill_rehearsed": "yes",
    "kill_rehearsed_on": "2026-10-15",
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
    "ev_unmeasured": "Behaviour on handwritten invoices",
    "watch_threshold": "25",
    "watch_review_date": "2027-03-01",
    "watch_retire_when": "When the ERP vendor ships the same feature",
    "view_recommendation": "industrialise",
    "view_confidence": "4",
    "view_why": "Large time saving, low risk, well supervised",
}


async def interview_at_depth(person: Person, handle: str, depth: str = "full") -> list[Reply]:
    """Starts the interview and, as a lead, raises it to ``depth`` (``READY`` alone is
    a light interview: staff only, reviewed before effect, no personal data)."""
    await person.says(f"/poc interview {handle}")
    raised = text(await person.says(f"/poc depth {handle} {depth}"))
    assert f"now goes to {depth} depth" in raised, raised
    return await person.says(f"/poc interview {handle}")


def asked_in_order(answers: Mapping[str, str], floor: str | None = None) -> list[str]:
    """The questions an interview asks, in order, when each is answered from ``answers``
    (typed as a person types them): for scripts fed to the console in one go."""
    bank, t = load_bank(), Translator("en")
    typed: dict[str, Any] = {}
    asked: list[str] = []
    key = next_question(bank, typed, None, floor=floor)
    while key is not None:
        asked.append(key)
        question = bank.question(key)
        value = parse_answer(
            question,
            text=answers[key],
            unit=unit_of(bank, question, typed, t),
            translate=t,
        )
        assert not isinstance(value, Invalid), f"{key}: {answers[key]!r} is not an answer"
        typed[key] = value
        key = next_question(bank, typed, key, floor=floor)
    return asked


def current_key(replies: Sequence[Reply]) -> str:
    token = read_token(last_ask(replies).token)
    assert token is not None
    return token.key


async def answer_until_done(
    person: Person, replies: Sequence[Reply], answers: Mapping[str, str] = READY, limit: int = 200
) -> list[Reply]:
    """Answers every question asked until none is left; returns the last replies."""
    current = list(replies)
    for _ in range(limit):
        if not any(type(r).__name__ == "Ask" for r in current):
            return current
        key = current_key(current)
        assert key in answers, f"no scripted answer for {key}:\n{text(current)}"
        current = await person.says(answers[key])
    raise AssertionError("the interview never ended")
