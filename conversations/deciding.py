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


NOT_MEASURED = "not_measured"
"""The answer to the POC result when the POC measured nothing (bank v2's
``words:`` on that number question)."""


def _poc_measured(values: Mapping[str, Any]) -> bool | None:
    result = values.get("value_poc_result")
    if result == NOT_MEASURED:
        return False
    return True if _number(result) is not None else None


def _picked(use: str) -> Callable[[Mapping[str, Any]], bool | None]:
    def picked(values: Mapping[str, Any]) -> bool | None:
        uses = values.get("screen_uses")
        return use in uses if isinstance(uses, list) else None

    return picked


@dataclass(frozen=True)
class Derived:
    """A yes/no fact computed from earlier answers, that a bank condition may read
    (``derived:`` in the bank): undecided while one of ``inputs`` may still come."""

    inputs: tuple[str, ...]
    compute: Callable[[Mapping[str, Any]], bool | None]
    """True or False, or None when the answers can't tell (skipped, unknown)."""
    choice: str | None = None
    """The choice of its one input that it tells, whose reference a reason cites."""


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
        # Whether the POC measured its indicator: bank v2 takes "not measured" as
        # the POC result rather than asking it first (bank v1 asks value_poc_measured).
        "value_poc_measured": Derived(("value_poc_result",), _poc_measured),
        # Each prohibited use: bank v2 asks them in one multi-choice question
        # (bank v1 asks each as a yes/no question of that key).
        **{
            key: Derived(("screen_uses",), _picked(use), choice=use)
            for key, use in (
                ("screen_manipulation", "manipulation"),
                ("screen_social_scoring", "social_scoring"),
                ("screen_emotion", "emotion"),
                ("screen_sensitive_categorisation", "sensitive_categorisation"),
            )
        },
    }
}


@dataclass(frozen=True)
class Former:
    """How answers stored for questions an earlier edit of a bank asked read as
    the answer to the question that took their place (``read`` gives None when
    they can't tell it, and the question is asked)."""

    keys: tuple[str, ...]
    read: Callable[[Mapping[str, Any]], Any]


_SCREEN_USES = {
    "screen_manipulation": "manipulation",
    "screen_social_scoring": "social_scoring",
    "screen_emotion": "emotion",
    "screen_sensitive_categorisation": "sensitive_categorisation",
}


def _uses_from_yes_no(values: Mapping[str, Any]) -> list[str] | None:
    """The four prohibited-use yes/no answers as the uses picked: those answered
    yes, or none when all four were answered no."""
    picked = [use for key, use in _SCREEN_USES.items() if values.get(key) is True]
    if picked:
        return picked
    if all(values.get(key) is False for key in _SCREEN_USES):
        return ["none"]
    return None


def _result_from_measured(values: Mapping[str, Any]) -> str | None:
    return NOT_MEASURED if values.get("value_poc_measured") is False else None


FORMER: Mapping[str, Mapping[str, Former]] = {
    "post-poc": {
        # Bank v2 once asked the prohibited uses as four yes/no questions.
        "screen_uses": Former(tuple(_SCREEN_USES), _uses_from_yes_no),
        # ... and whether the POC measured its indicator before its result.
        "value_poc_result": Former(("value_poc_measured",), _result_from_measured),
    }
}
"""Answers stored under keys the bank no longer asks, read as the answer to the
question that replaced them, so an interview begun before that edit reads the
same: ``Bank.upgraded``."""
