"""The answers the recommendation decides on, by flow.

These are what the rubric's stop rules, industrialisation gates and high-risk
cap read (``conversations.rubric``). The bank checks at load that every depth
of the interview asks each of them, or has it implied by the triage answers
that lead to that depth, so that no depth can reach industrialise or frame on
a gate it never asked about. The list lives apart from the rubric because the
rubric reads the bank; a test runs the rubric and fails when it reads an
answer missing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_POST_POC = frozenset(
    {
        # stop: prohibited uses (EU AI Act art. 5)
        "screen_manipulation",
        "screen_social_scoring",
        "screen_emotion",
        "screen_sensitive_categorisation",
        # stop: critical impact without oversight; gate: an overseer who can stop it
        "risk_impact",
        "sup_review",
        "sup_overseer",
        "sup_can_override",
        "risk_autonomy",
        "kill_who",
        # stop: no value, no better than the baseline; gate: the target is met
        "value_indicator",
        "value_direction",
        "value_baseline",
        "value_target",
        "value_poc_measured",
        "value_poc_result",
        "value_defined",
        # stop: one task costs more than it saves and the owner sees no way to cut it
        "cost_per_task",
        "cost_saving_minutes",
        "cost_hour_cost",
        "cost_saving_money",
        "cost_can_cut",
        # stop: a risk above tolerance, untreated; gate: the risk is treated
        "risk_level",
        "risk_treatment",
        # stop: the owner recommends stopping
        "view_recommendation",
        # gates
        "owner_business_manager",
        "kill_rehearsed",
        "sup_monitoring",
        "run_operating_team",
        "run_incident_path",
        "run_vendor_fallback",
        "ev_evaluation",
        "ev_test_cases",
        "ops_staff_informed",
        "ops_log_months",
        # the high-risk cap
        "tier_annex3_uses",
        "tier_profiling",
        "tier_declared",
        "tier_obligations_met",
    }
)

DECIDING: Mapping[str, frozenset[str]] = {"post-poc": _POST_POC}

ONLY_WHEN: Mapping[str, Mapping[str, tuple[Mapping[str, Any], ...]]] = {
    "post-poc": {
        # Who can stop it decides only the stop rule on a critical impact that
        # nobody can stop (rubric: critical_unstoppable); a depth whose triage
        # rules out a critical impact need not ask it.
        "kill_who": ({"risk_impact": "critical"},),
    }
}
"""Decision answers the rubric reads only when one of these groups of triage
answers holds (the bank's ``when`` form). The bank's load check waives such an
answer at a depth whose rule rules out every group."""
