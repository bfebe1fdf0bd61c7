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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def saving_per_task(values: Mapping[str, Any]) -> float | None:
    """What one task saves, in EUR: time at what that time costs, or (no time) money.

    Bank v1 asks the kind of saving first; bank v2 reads it from the minutes
    (0: it saves money). Skipped or absent answers read as unknown (None)."""
    kind = values.get("cost_saving_kind")
    minutes = _number(values.get("cost_saving_minutes"))
    if kind == "money" or (kind is None and minutes == 0):
        return _number(values.get("cost_saving_money"))
    hourly = _number(values.get("cost_hour_cost"))
    if kind in (None, "time") and minutes is not None and hourly is not None:
        return minutes * hourly / 60
    return None


def _cost_above_saving(values: Mapping[str, Any]) -> bool | None:
    cost, saving = _number(values.get("cost_per_task")), saving_per_task(values)
    if cost is None or saving is None:
        return None
    return cost > saving


def value_direction(values: Mapping[str, Any]) -> str | None:
    """Whether a lower or a higher value of the indicator is better: as answered,
    or told by the baseline and the target (the target is what the agent must
    reach to be worth it, so a target below today's value means lower is better)."""
    answered = values.get("value_direction")
    if answered in ("lower", "higher"):
        return str(answered)
    baseline, target = _number(values.get("value_baseline")), _number(values.get("value_target"))
    if baseline is None or target is None or baseline == target:
        return None
    return "lower" if target < baseline else "higher"


def _direction_untold(values: Mapping[str, Any]) -> bool | None:
    baseline, target = _number(values.get("value_baseline")), _number(values.get("value_target"))
    if baseline is None or target is None:
        return None
    return baseline == target


_NO_INDICATOR = frozenset({"none", "no", "n/a", "aucun", "aucune", "non"})
"""What an owner types for the value indicator when none has been defined."""


def _value_defined(values: Mapping[str, Any]) -> bool | None:
    indicator = values.get("value_indicator")
    if not isinstance(indicator, str) or not indicator.strip():
        return None
    return indicator.strip().strip(".!").casefold() not in _NO_INDICATOR


@dataclass(frozen=True)
class Derived:
    """A yes/no fact computed from earlier answers, that a bank condition may read
    (``derived:`` in the bank): undecided while one of ``inputs`` may still come."""

    inputs: tuple[str, ...]
    compute: Callable[[Mapping[str, Any]], bool | None]
    """True or False, or None when the answers can't tell (skipped, unknown)."""


DERIVED: Mapping[str, Mapping[str, Derived]] = {
    "post-poc": {
        # Whether one task costs more than it saves: only then does it matter
        # whether its cost can be cut (rubric: cost_above_saving_uncut).
        "cost_above_saving": Derived(
            ("cost_per_task", "cost_saving_minutes", "cost_hour_cost", "cost_saving_money"),
            _cost_above_saving,
        ),
        # Whether a value indicator is defined: bank v2 asks the indicator alone,
        # and "none" says there is none (bank v1 asks value_defined itself).
        "value_defined": Derived(("value_indicator",), _value_defined),
        # Whether the baseline and the target leave the better direction untold.
        "value_direction_untold": Derived(("value_baseline", "value_target"), _direction_untold),
    }
}
