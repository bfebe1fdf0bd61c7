"""The recommendation: stop, frame, industrialise, or not enough information.

Deterministic and explainable (DESIGN.md, "The recommendation"). :func:`assess`
reads the typed answers of one interview and applies, in this order:

1. **stop** rules, as soon as the answers each one needs are present;
2. **not enough information** while required questions that apply are unanswered
   or skipped;
3. **industrialise** when every gate passes, the high-risk cap does not apply,
   no two answers contradict each other, one task costs no more than it saves
   and every dimension scores at least ``RubricSettings.min_dimension_score``;
4. **frame** otherwise, with one condition per thing to fix: a gate, the cap and
   a low score that rest on the same answers give one condition, not three.

Version 2026.2 (issue 13): a critical impact that nobody reviews before it
takes effect and nobody can stop is a stop reason; contradictory answers on
review and autonomy are named; profiling caps at frame only with an Annex III
use (EU AI Act art. 6(3)), otherwise it is a risk factor; no value indicator at
all frames with a condition instead of stopping; a task that costs more than it
saves stops when its cost can't be cut; an evaluation on a held-out test set
meets a limited production's evaluation.

Every rule yields a :class:`Reason`: a stable ``code``, the ``params`` of its
sentence, the answer ``keys`` it rests on and the bank ``references`` of those
questions. :func:`describe` turns a reason into a sentence in the person's
language. All sentence templates are in :data:`REASON_TEXTS`.

Answers to questions that no longer apply (say the overseer named before
``sup_review`` was changed to "nobody reviews") are ignored, exactly as the
interview would not ask them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from conversations.answers import format_quantity
from conversations.bank import SKIPPED, Bank, required_keys
from conversations.deciding import saving_per_task, value_direction
from conversations.i18n import N_, Translator
from storage.models import Outcome

RUBRIC_VERSION = "2026.2"


@dataclass(frozen=True)
class RubricSettings:
    """Thresholds of the rubric. The defaults are what a careful deployer would ask for."""

    min_dimension_score: int = 50
    """Industrialise needs every dimension score at or above this (0-100)."""
    min_real_evaluation_cases: int = 30
    """An evaluation under real conditions counts from this many test cases."""
    min_log_months: float = 6
    """Logs must be kept at least this long (EU AI Act art. 26(6): six months)."""
    min_poc_cases: int = 30
    """The POC's value measurement counts (value score) from this many cases."""
    max_poc_incidents: int = 0
    """More incidents than this during the POC fail an evidence check."""
    min_user_feedback: int = 3
    """Users' rating (1-5) at or above this passes an evidence check."""


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why: a stable code, the parameters of its sentence, the answers and references behind it.

    ``params`` hold JSON values only (str, int, float, bool, lists of str).
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    keys: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "params": {
                k: list(v) if isinstance(v, list | tuple) else v for k, v in self.params.items()
            },
            "keys": list(self.keys),
            "references": list(self.references),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(
            code=str(data["code"]),
            params=dict(data.get("params") or {}),
            keys=tuple(data.get("keys") or ()),
            references=tuple(data.get("references") or ()),
        )


@dataclass(frozen=True)
class Gate:
    """One condition of industrialisation; ``reason`` says why it passed or failed."""

    code: str
    passed: bool
    reason: Reason

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "passed": self.passed, "reason": self.reason.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Gate:
        return cls(
            code=str(data["code"]),
            passed=bool(data["passed"]),
            reason=Reason.from_dict(data["reason"]),
        )


@dataclass(frozen=True)
class Assessment:
    """A recommendation snapshot.

    - ``gates``: every industrialisation gate, whatever the outcome, in a fixed order.
    - ``scores``: dimension → 0-100, keys in :data:`DIMENSIONS` order.
    - ``reasons``: what a person needs to understand the outcome (stop: the stop
      reasons; not enough information: the missing answers; frame: failed gates,
      cap, low scores; industrialise: the passed gates).
    - ``missing``: required questions still unanswered or skipped, in bank order
      (filled whatever the outcome; it decides only when nothing stops).
    - ``conditions``: for frame only, what to do before industrialising;
      imperative sentences that become follow-ups in weekly check-ins.
    - ``capped``: the high-risk cap holds (high risk or profiling, obligations
      not recorded as met): the outcome can be no better than frame.
    """

    outcome: Outcome
    gates: tuple[Gate, ...]
    scores: dict[str, int]
    reasons: tuple[Reason, ...]
    missing: tuple[str, ...]
    conditions: tuple[Reason, ...]
    capped: bool
    rubric_version: str = RUBRIC_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "gates": [g.to_dict() for g in self.gates],
            "scores": dict(self.scores),
            "reasons": [r.to_dict() for r in self.reasons],
            "missing": list(self.missing),
            "conditions": [r.to_dict() for r in self.conditions],
            "capped": self.capped,
            "rubric_version": self.rubric_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assessment:
        return cls(
            outcome=Outcome(data["outcome"]),
            gates=tuple(Gate.from_dict(g) for g in data.get("gates") or ()),
            scores={str(k): int(v) for k, v in (data.get("scores") or {}).items()},
            reasons=tuple(Reason.from_dict(r) for r in data.get("reasons") or ()),
            missing=tuple(data.get("missing") or ()),
            conditions=tuple(Reason.from_dict(r) for r in data.get("conditions") or ()),
            capped=bool(data.get("capped", False)),
            rubric_version=str(data.get("rubric_version", RUBRIC_VERSION)),
        )


# --- texts -----------------------------------------------------------------------------

OUTCOME_NAMES: dict[Outcome, str] = {
    Outcome.STOP: N_("Stop"),
    Outcome.FRAME: N_("Frame"),
    Outcome.INDUSTRIALISE: N_("Industrialise"),
    Outcome.NOT_ENOUGH_INFORMATION: N_("Not enough information"),
}

DIMENSION_NAMES: dict[str, str] = {
    "ownership": N_("Ownership"),
    "value": N_("Value"),
    "cost": N_("Cost"),
    "risk": N_("Risk"),
    "supervision": N_("Supervision"),
    "integration": N_("Integration and run"),
    "evidence": N_("Evidence"),
}
DIMENSIONS: tuple[str, ...] = tuple(DIMENSION_NAMES)

PROHIBITED_USE_NAMES: dict[str, str] = {
    "screen_manipulation": N_("manipulating people or exploiting their vulnerabilities"),
    "screen_social_scoring": N_("social scoring"),
    "screen_emotion": N_("inferring emotions at work or in education"),
    "screen_sensitive_categorisation": N_("categorising people by sensitive traits"),
}

CHECK_NAMES: dict[str, str] = {
    # ownership
    "business_manager_named": N_("no named business manager"),
    "technical_owner_named": N_("no named technical owner"),
    "decider_named": N_("nobody named to decide"),
    # value
    "indicator_defined": N_("no indicator with a unit and a way to measure it"),
    "baseline_and_target_set": N_("no baseline or no target"),
    "measured_in_poc": N_("the POC did not measure it"),
    "beats_baseline": N_("the POC result is no better than the baseline"),
    "meets_target": N_("the POC result misses the target"),
    "enough_poc_cases": N_("measured on too few cases"),
    # cost
    "within_budget": N_("monthly cost above the budget cap"),
    "cost_per_task_known": N_("cost per task unknown"),
    "bad_output_cost_known": N_("cost of a bad output unknown"),
    # risk
    "risk_within_tolerance": N_("main risk not within tolerance"),
    "risk_treated": N_("main risk not treated"),
    "risk_owner_named": N_("no named risk owner"),
    "failure_modes_known": N_("failure modes not described"),
    "review_fits_impact": N_("outputs with significant or critical impact take effect unreviewed"),
    "profiling_reviewed": N_(
        "it profiles people, and its outputs take effect before anyone reviews them"
    ),
    # supervision
    "outputs_reviewed": N_("nobody reviews its outputs"),
    "overseer_named": N_("no named overseer"),
    "overseer_trained": N_("overseer not trained"),
    "overseer_can_override": N_("overseer cannot override or stop it"),
    "escalation_defined": N_("no escalation path"),
    "monitored": N_("not monitored in production"),
    "kill_switch_owner_named": N_("nobody can stop it without a deployment"),
    "kill_switch_rehearsed": N_("stopping it never rehearsed"),
    "users_told_ai": N_("people not told they deal with an AI"),
    "staff_informed": N_("affected staff not informed"),
    "logs_kept": N_("logs not kept long enough"),
    # integration and run
    "systems_listed": N_("systems it touches not listed"),
    "operating_team_named": N_("no operating team"),
    "hosting_known": N_("hosting unknown"),
    "incident_path": N_("no incident process"),
    "vendor_fallback": N_("no fallback if the vendor fails"),
    "retest_on_change": N_("changes not re-tested"),
    "rules_published": N_("usage rules not published"),
    "operators_trained": N_("operators not trained"),
    # evidence
    "real_conditions": N_("not evaluated under real conditions"),
    "enough_test_cases": N_("too few test cases"),
    "success_rate_ok": N_("success rate unknown or below what the acceptable error rate allows"),
    "few_incidents": N_("incidents during the POC"),
    "users_satisfied": N_("users' rating low or unknown"),
}
"""Each dimension check, phrased as its failure: listed after a low score."""

REASON_TEXTS: dict[str, str] = {
    # stop
    "prohibited_use": N_("It falls under a use the EU AI Act prohibits: {which}."),
    "critical_without_oversight": N_(
        "A wrong output has critical impact, and nobody reviews its outputs."
    ),
    "critical_unstoppable": N_(
        "A wrong output has critical impact, no one reviews its outputs before they take "
        "effect, and no one can stop the agent."
    ),
    "cost_above_saving_uncut": N_(
        "One task costs {cost} and saves only {saving}, and the owner sees no way to cut its cost."
    ),
    "no_measured_value": N_("No measured POC result for the value indicator."),
    "no_better_than_baseline": N_(
        "The POC result ({result}) is no better than the baseline without AI ({baseline})."
    ),
    "risk_above_tolerance_untreated": N_(
        "The main risk is above what the organisation tolerates and has no treatment."
    ),
    "owner_recommends_stop": N_(
        "The owner recommends stopping it, and no measured result meeting the target "
        "says otherwise."
    ),
    "owner_stop_contradicted": N_(
        "The owner recommends stopping it, but the POC result ({result}) meets the target "
        "({target})."
    ),
    # not enough information
    "missing_answer": N_("Not answered yet: {question}"),
    # a section handed to someone else (conversations.respondents, not this rubric)
    "section_awaited": N_("{section}: waiting for {holder} since {since}"),
    # gates: passed / failed / condition
    "business_manager_named": N_("{name} is the named business manager."),
    "no_business_manager": N_("No named business manager."),
    "name_business_manager": N_(
        "Name the business manager accountable for the agent once it runs."
    ),
    "overseer_can_stop": N_("{name} oversees it and can override an output or stop the agent."),
    "no_overseer_who_can_stop": N_(
        "No named overseer who can override an output or stop the agent."
    ),
    "name_overseer_who_can_stop": N_(
        "Name an overseer and give them the authority to override an output or stop the agent."
    ),
    "kill_switch_rehearsed": N_("Stopping the agent has been rehearsed."),
    "kill_switch_not_rehearsed": N_("Stopping the agent has not been rehearsed."),
    "rehearse_kill_switch": N_(
        "Rehearse stopping the agent without a deployment, and record when and how long it took."
    ),
    "monitoring_in_place": N_("Its behaviour is monitored in production."),
    "no_monitoring": N_("Its behaviour is not monitored in production."),
    "set_up_monitoring": N_("Monitor its quality, drift and cost in production."),
    "value_target_met": N_(
        "The POC result ({result}) meets the target ({target}); the baseline is {baseline}."
    ),
    "value_target_not_met": N_("The POC result ({result}) misses the target ({target})."),
    "meet_value_target": N_(
        "Show on real use that {indicator} reaches the target ({target}); it is now {result}."
    ),
    "measure_value": N_(
        "Measure the value indicator against its baseline and show that it meets its target."
    ),
    "risk_treated": N_("The main risk is assessed against the tolerance and has a treatment."),
    "risk_not_classified": N_(
        "The main risk is not assessed against the organisation's tolerance."
    ),
    "risk_untreated": N_("The main risk has no treatment."),
    "treat_main_risk": N_(
        "Assess the main risk against the organisation's tolerance, choose its treatment "
        "and name its owner."
    ),
    "operating_team_named": N_("{name} runs it day to day."),
    "no_operating_team": N_("No team runs it day to day."),
    "name_operating_team": N_("Name the team that runs it day to day."),
    "incident_path_in_place": N_("There is an incident process for it."),
    "no_incident_path": N_("There is no incident process for it."),
    "set_up_incident_path": N_(
        "Set up an incident process for it: who is called, and how users are told."
    ),
    "vendor_fallback_in_place": N_("There is a fallback if the vendor or the model fails."),
    "no_vendor_fallback": N_("There is no fallback if the vendor or the model fails."),
    "plan_vendor_fallback": N_("Plan and document a fallback for when the vendor or model fails."),
    "evaluated_in_real_conditions": N_("It was evaluated under real conditions on {cases} cases."),
    "no_real_evaluation": N_(
        "It was not evaluated under real conditions on at least {min_cases} cases."
    ),
    "evaluate_in_real_conditions": N_(
        "Evaluate it under real conditions (real users, real data) on at least {min_cases} cases."
    ),
    "evaluated_on_held_out_set": N_(
        "It was evaluated on a held-out test set of {cases} cases: enough for a limited "
        "production, not yet for industrialising."
    ),
    "evaluate_on_held_out_set": N_(
        "Before the limited production, evaluate it on a held-out test set of at least "
        "{min_cases} cases; industrialising then needs an evaluation under real conditions."
    ),
    "no_value_indicator": N_("No value indicator has been defined."),
    "define_value_indicator": N_(
        "Define a value indicator (its unit, its baseline without AI, its target) and "
        "measure it during the limited production."
    ),
    # contradictions and cost against value
    "review_contradiction": N_(
        "Two answers contradict each other: a person reviews its outputs ({review}), "
        "yet it works like this: {autonomy}."
    ),
    "resolve_review_contradiction": N_(
        "Correct the answer on human review or the one on autonomy so that they agree: "
        "now {review} against {autonomy}."
    ),
    "cost_above_saving": N_("One task costs {cost} and saves only {saving}."),
    "cut_cost_below_saving": N_(
        "Bring the cost of one task ({cost}) below what it saves ({saving})."
    ),
    # several conditions resting on the same answers, given as one
    "combined": N_("{parts}"),
    "staff_informed": N_("The affected staff have been informed."),
    "staff_not_informed": N_("The affected staff have not been informed."),
    "inform_staff": N_("Inform the affected staff and their representatives."),
    "logs_kept": N_("Its logs are kept for {months} months."),
    "logs_not_kept": N_("Its logs are not kept for at least {min_months} months."),
    "keep_logs": N_("Keep its logs for at least {min_months} months."),
    # cap
    "high_risk_cap": N_(
        "It is high risk (an Annex III use, or a tier declared high), so the recommendation "
        "is capped at frame until its deployer duties are recorded as met."
    ),
    "meet_high_risk_obligations": N_(
        "Meet and record the high-risk deployer duties: human oversight assigned, logs kept, "
        "staff informed, impact assessment where required."
    ),
    # scores
    "low_score": N_("{dimension} scores {score}/100: {failed}."),
    "raise_score": N_("Bring {dimension} to at least {min_score}/100 (now {score}): {failed}."),
}
"""Every sentence of the rubric, in English, by reason code; ``{name}`` are params."""

_PARAM_LABELS: dict[str, dict[str, str]] = {
    "which": PROHIBITED_USE_NAMES,
    "dimension": DIMENSION_NAMES,
    "failed": CHECK_NAMES,
}

_CHOICE_PARAMS = {"review": "sup_review", "autonomy": "risk_autonomy"}
"""Params holding a choice value, shown as that question's choice label."""

_QUANTITIES = frozenset({"result", "target", "baseline", "cost", "saving"})
"""Params that are amounts: shown with the reason's ``unit`` param, when it has one."""


def describe(reason: Reason, translate: Translator, bank: Bank | None = None) -> str:
    """The readable sentence of ``reason`` in the translator's language.

    Params named ``which``, ``dimension`` and ``failed`` are codes and are shown
    by their translated label; numbers are formatted for the language; with a
    ``bank``, a ``question`` param is shown as the question's label and key.
    """
    unit = reason.params.get("unit")
    # Amounts are written in the bank's currency: shown in the workspace's.
    shown = translate.in_currency(unit) if isinstance(unit, str) else None
    params = {
        name: _render(name, value, translate, bank, shown) for name, value in reason.params.items()
    }
    return translate(REASON_TEXTS[reason.code], **params)


def _render(
    name: str, value: Any, translate: Translator, bank: Bank | None, unit: str | None = None
) -> str:
    if name == "parts" and isinstance(value, list | tuple):
        return " ".join(describe(Reason.from_dict(part), translate, bank) for part in value)
    if isinstance(value, list | tuple):
        # French puts a space before a semicolon: the separator is a text to translate.
        return translate("; ").join(_render(name, item, translate, bank) for item in value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if name in _QUANTITIES and unit:
            return format_quantity(value, unit, translate)
        return translate.number(value)
    text = str(value)
    if name in _CHOICE_PARAMS and bank is not None:
        label = bank.question(_CHOICE_PARAMS[name]).choice_label(text, translate.language)
        return translate("“{text}”", text=label)
    labels = _PARAM_LABELS.get(name)
    if labels is not None and text in labels:
        return translate(labels[text])
    if name == "section" and bank is not None:
        titles = {s.key: s.title.get(translate.language) for s in bank.sections}
        return titles.get(text, text)
    if name == "since":
        return translate.date(date.fromisoformat(text)) if _is_iso_day(text) else text
    if name == "question" and bank is not None and bank.has(text):
        # The label to read, the key to type in `edit <poc> <question>`.
        return f"{bank.question(text).label.get(translate.language)} ({text})"
    return text


def _is_iso_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- reading answers -------------------------------------------------------------------


class _Answers:
    """The answers that apply, with typed accessors; skipped or absent reads as None."""

    def __init__(self, bank: Bank, answers: Mapping[str, Any], floor: str | None = None) -> None:
        depths = bank.possible_depths(answers, floor)
        effective: dict[str, Any] = {}
        for question in bank.questions:
            if (
                question.key in answers
                and bank.asks(question, depths)
                and bank.applies(question, effective)
            ):
                effective[question.key] = answers[question.key]
        # What the triage settles for questions this depth does not ask; the
        # bank checks at load that every gate is asked or settled so at every depth.
        implied = bank.implied(effective, depths)
        # Facts bank v2 derives rather than asks (value_defined), read as answers.
        derived = {k: v for k, v in bank.derive(effective).items() if not bank.has(k)}
        self.values: Mapping[str, Any] = {**derived, **effective, **implied}
        self.unasked: frozenset[str] = frozenset(
            q.key for q in bank.questions if not bank.asks(q, depths) and q.key not in implied
        )

    def raw(self, key: str) -> Any:
        value = self.values.get(key)
        return None if value is SKIPPED else value

    def is_true(self, key: str) -> bool:
        return self.raw(key) is True

    def is_false(self, key: str) -> bool:
        return self.raw(key) is False

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    def text(self, key: str) -> str | None:
        value = self.raw(key)
        return (value.strip() or None) if isinstance(value, str) else None

    def choice(self, key: str) -> str | None:
        value = self.raw(key)
        return value if isinstance(value, str) else None

    def choices(self, key: str) -> list[str] | None:
        value = self.raw(key)
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return None

    def nobody(self, key: str) -> bool:
        """A person question answered "nobody" (not skipped, not absent)."""
        return key in self.values and self.values[key] is None

    def person(self, key: str) -> str | None:
        """The named person's display name; None for "nobody", skipped or absent."""
        value = self.raw(key)
        if isinstance(value, Mapping):
            name = value.get("name")
            if isinstance(name, str) and name.strip():
                return name.strip()
            identifier = value.get("id")
            if isinstance(identifier, str) and identifier.strip():
                return identifier.strip()
        return None


def _at_least_as_good(value: float, reference: float, direction: str) -> bool:
    return value <= reference if direction == "lower" else value >= reference


def _better(value: float, reference: float, direction: str) -> bool:
    return value < reference if direction == "lower" else value > reference


def _direction(a: _Answers) -> str | None:
    keys = ("value_direction", "value_baseline", "value_target")
    return value_direction({k: a.raw(k) for k in keys})


def _meets_target(a: _Answers) -> bool | None:
    """Does the measured POC result meet the target? None when it can't be told."""
    direction, result, target = (
        _direction(a),
        a.number("value_poc_result"),
        a.number("value_target"),
    )
    if direction is None or result is None or target is None:
        return None
    return _at_least_as_good(result, target, direction)


def _unit(a: _Answers) -> dict[str, str]:
    """The indicator's unit as a reason param, so its amounts read as "5 minutes"."""
    unit = a.text("value_unit")
    return {"unit": unit} if unit else {}


def _number_param(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _reason(bank: Bank, code: str, keys: Sequence[str], **params: Any) -> Reason:
    references: list[str] = []
    for key in keys:
        reference = bank.reference_of(key)
        if reference and reference not in references:
            references.append(reference)
    # A fact bank v2 derives rather than asks (value_defined, each prohibited use)
    # points at the question it is read from, which is the one to edit.
    asked = _dedupe(k for key in keys for k in bank.asked_for(key))
    return Reason(code=code, params=params, keys=asked, references=tuple(references))


def _dedupe(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(keys))


# --- stop ------------------------------------------------------------------------------

_SCREEN_KEYS = (
    "screen_manipulation",
    "screen_social_scoring",
    "screen_emotion",
    "screen_sensitive_categorisation",
)


def _stop_reasons(a: _Answers, bank: Bank) -> list[Reason]:
    reasons = [
        _reason(bank, "prohibited_use", (key,), which=key) for key in _SCREEN_KEYS if a.is_true(key)
    ]
    critical = a.choice("risk_impact") == "critical"
    if critical and _unreviewed_before_effect(a) and _nobody_can_stop(a):
        reasons.append(_reason(bank, "critical_unstoppable", _UNSTOPPABLE_KEYS))
    elif critical and a.choice("sup_review") == "none":
        reasons.append(_reason(bank, "critical_without_oversight", ("risk_impact", "sup_review")))
    if a.is_false("value_poc_measured"):
        reasons.append(_reason(bank, "no_measured_value", ("value_poc_measured",)))
    else:
        direction, result = _direction(a), a.number("value_poc_result")
        baseline = a.number("value_baseline")
        if (
            direction is not None
            and result is not None
            and baseline is not None
            and not _better(result, baseline, direction)
        ):
            reasons.append(
                _reason(
                    bank,
                    "no_better_than_baseline",
                    ("value_direction", "value_baseline", "value_poc_result"),
                    result=_number_param(result),
                    baseline=_number_param(baseline),
                    **_unit(a),
                )
            )
    if a.choice("risk_level") == "above" and a.choice("risk_treatment") == "none":
        reasons.append(
            _reason(bank, "risk_above_tolerance_untreated", ("risk_level", "risk_treatment"))
        )
    if a.choice("view_recommendation") == "stop" and not _meets_target(a):
        reasons.append(_reason(bank, "owner_recommends_stop", ("view_recommendation",)))
    cost = _cost_against_saving(a)
    if cost is not None and a.is_false("cost_can_cut"):
        reasons.append(_reason(bank, "cost_above_saving_uncut", _COST_KEYS, **cost))
    return reasons


_UNSTOPPABLE_KEYS = ("risk_impact", "sup_review", "risk_autonomy", "kill_who", "sup_can_override")


def _reviewed_before_effect(a: _Answers) -> bool:
    """A person sees each output before it takes effect, by either answer."""
    return a.choice("sup_review") == "before" or a.choice("risk_autonomy") in (
        "suggests",
        "approved",
    )


def _unreviewed_before_effect(a: _Answers) -> bool:
    """Both answers are given and neither puts a person before the effect."""
    answered = a.choice("sup_review") is not None and a.choice("risk_autonomy") is not None
    return answered and not _reviewed_before_effect(a)


def _nobody_can_stop(a: _Answers) -> bool:
    """Nobody can stop it without a deployment, and no overseer can override or stop it."""
    return a.nobody("kill_who") and not a.is_true("sup_can_override")


# sup_review → the autonomy answers that say the same thing
_AGREEING_AUTONOMY: dict[str, frozenset[str]] = {
    "before": frozenset({"suggests", "approved"}),
    "after": frozenset({"suggests", "approved", "acts_reviewed"}),
    "sample": frozenset({"suggests", "approved", "acts_reviewed"}),
    "none": frozenset({"acts_alone"}),
}


def _contradiction(a: _Answers, bank: Bank) -> tuple[Reason, Reason] | None:
    """Review and autonomy answers that can't both be true: the reason and its condition."""
    review, autonomy = a.choice("sup_review"), a.choice("risk_autonomy")
    if review not in _AGREEING_AUTONOMY or autonomy is None:
        return None
    if autonomy in _AGREEING_AUTONOMY[review]:
        return None
    keys = ("sup_review", "risk_autonomy")
    return (
        _reason(bank, "review_contradiction", keys, review=review, autonomy=autonomy),
        _reason(bank, "resolve_review_contradiction", keys, review=review, autonomy=autonomy),
    )


_COST_KEYS = (
    "cost_per_task",
    "cost_saving_minutes",
    "cost_hour_cost",
    "cost_saving_money",
    "cost_can_cut",
)


def _saving_per_task(a: _Answers) -> float | None:
    """What one task saves, in the workspace's currency ("EUR" in the bank):
    time at what that time costs, or money (conversations.deciding, which bank
    conditions share)."""
    return saving_per_task({k: a.raw(k) for k in (*_COST_KEYS, "cost_saving_kind")})


def _cost_against_saving(a: _Answers) -> dict[str, Any] | None:
    """Both figures, when one task costs more than it saves; None otherwise or unknown."""
    cost, saving = a.number("cost_per_task"), _saving_per_task(a)
    if cost is None or saving is None or cost <= saving:
        return None
    return {"cost": _number_param(cost), "saving": _number_param(round(saving, 2)), "unit": "EUR"}


def _owner_stop_contradicted(a: _Answers, bank: Bank) -> Reason | None:
    result, target = a.number("value_poc_result"), a.number("value_target")
    if a.choice("view_recommendation") != "stop" or not _meets_target(a):
        return None
    if result is None or target is None:  # pragma: no cover - _meets_target needs both
        return None
    return _reason(
        bank,
        "owner_stop_contradicted",
        ("view_recommendation", "value_direction", "value_target", "value_poc_result"),
        result=_number_param(result),
        target=_number_param(target),
        **_unit(a),
    )


# --- gates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _GateResult:
    gate: Gate
    condition: Reason


def _gate(
    bank: Bank,
    code: str,
    keys: Sequence[str],
    passed: bool,
    ok: tuple[str, dict[str, Any]],
    failed: tuple[str, dict[str, Any]],
    condition: tuple[str, dict[str, Any]],
) -> _GateResult:
    chosen_code, chosen_params = ok if passed else failed
    return _GateResult(
        gate=Gate(code, passed, _reason(bank, chosen_code, keys, **chosen_params)),
        condition=_reason(bank, condition[0], keys, **condition[1]),
    )


def _gates(a: _Answers, bank: Bank, s: RubricSettings) -> list[_GateResult]:
    gates: list[_GateResult] = []
    add = gates.append

    def yes(code: str, key: str, ok: str, failed: str, condition: str) -> _GateResult:
        return _gate(bank, code, (key,), a.is_true(key), (ok, {}), (failed, {}), (condition, {}))

    manager = a.person("owner_business_manager")
    add(
        _gate(
            bank,
            "business_manager",
            ("owner_business_manager",),
            manager is not None,
            ("business_manager_named", {"name": manager}),
            ("no_business_manager", {}),
            ("name_business_manager", {}),
        )
    )

    overseer = a.person("sup_overseer")
    add(
        _gate(
            bank,
            "overseer",
            ("sup_review", "sup_overseer", "sup_can_override"),
            overseer is not None and a.is_true("sup_can_override"),
            ("overseer_can_stop", {"name": overseer}),
            ("no_overseer_who_can_stop", {}),
            ("name_overseer_who_can_stop", {}),
        )
    )

    add(
        yes(
            "kill_switch",
            "kill_rehearsed",
            "kill_switch_rehearsed",
            "kill_switch_not_rehearsed",
            "rehearse_kill_switch",
        )
    )

    add(
        yes(
            "monitoring",
            "sup_monitoring",
            "monitoring_in_place",
            "no_monitoring",
            "set_up_monitoring",
        )
    )

    add(_value_gate(a, bank))

    level, treatment = a.choice("risk_level"), a.choice("risk_treatment")
    classified = level in ("within", "above")
    treated = treatment is not None and treatment != "none"
    add(
        _gate(
            bank,
            "risk_treatment",
            ("risk_level", "risk_treatment"),
            classified and treated,
            ("risk_treated", {}),
            ("risk_untreated", {}) if classified else ("risk_not_classified", {}),
            ("treat_main_risk", {}),
        )
    )

    team = a.person("run_operating_team")
    add(
        _gate(
            bank,
            "operating_team",
            ("run_operating_team",),
            team is not None,
            ("operating_team_named", {"name": team}),
            ("no_operating_team", {}),
            ("name_operating_team", {}),
        )
    )

    add(
        yes(
            "incident_path",
            "run_incident_path",
            "incident_path_in_place",
            "no_incident_path",
            "set_up_incident_path",
        )
    )

    add(
        yes(
            "vendor_fallback",
            "run_vendor_fallback",
            "vendor_fallback_in_place",
            "no_vendor_fallback",
            "plan_vendor_fallback",
        )
    )

    cases = a.number("ev_test_cases")
    min_cases = s.min_real_evaluation_cases
    evaluation = a.choice("ev_evaluation")
    enough = cases is not None and cases >= min_cases
    held_out = evaluation == "held_out" and enough
    failed: tuple[str, dict[str, Any]] = (
        ("evaluated_on_held_out_set", {"cases": _number_param(cases or 0.0)})
        if held_out
        else ("no_real_evaluation", {"min_cases": min_cases})
    )
    # A held-out set, or a real evaluation on too few cases, is enough to go on in
    # limited production; anything less must first be evaluated on a held-out set.
    then_real = held_out or evaluation == "real"
    add(
        _gate(
            bank,
            "real_evaluation",
            ("ev_evaluation", "ev_test_cases"),
            evaluation == "real" and enough,
            ("evaluated_in_real_conditions", {"cases": _number_param(cases or 0.0)}),
            failed,
            (
                "evaluate_in_real_conditions" if then_real else "evaluate_on_held_out_set",
                {"min_cases": min_cases},
            ),
        )
    )

    add(
        yes(
            "staff_informed",
            "ops_staff_informed",
            "staff_informed",
            "staff_not_informed",
            "inform_staff",
        )
    )

    months = a.number("ops_log_months")
    min_months = _number_param(float(s.min_log_months))
    add(
        _gate(
            bank,
            "logs_kept",
            ("ops_log_months",),
            months is not None and months >= s.min_log_months,
            ("logs_kept", {"months": _number_param(months or 0.0)}),
            ("logs_not_kept", {"min_months": min_months}),
            ("keep_logs", {"min_months": min_months}),
        )
    )
    return gates


_VALUE_KEYS = (
    "value_indicator",
    "value_direction",
    "value_baseline",
    "value_target",
    "value_poc_measured",
    "value_poc_result",
)


def _value_gate(a: _Answers, bank: Bank) -> _GateResult:
    if a.is_false("value_defined"):
        none: tuple[str, dict[str, Any]] = ("no_value_indicator", {})
        keys = (
            "value_defined",
            *_VALUE_KEYS,
            "value_unit",
            "value_measure_method",
            "value_poc_cases",
        )
        return _gate(bank, "value", keys, False, none, none, ("define_value_indicator", {}))
    indicator = a.text("value_indicator")
    baseline, target = a.number("value_baseline"), a.number("value_target")
    result, meets = a.number("value_poc_result"), _meets_target(a)
    if indicator is None or baseline is None or target is None or result is None or meets is None:
        nothing: tuple[str, dict[str, Any]] = ("no_measured_value", {})
        return _gate(bank, "value", _VALUE_KEYS, False, nothing, nothing, ("measure_value", {}))
    shown: dict[str, Any] = {"result": _number_param(result), "target": _number_param(target)}
    if unit := a.text("value_unit"):
        shown["unit"] = unit
    return _gate(
        bank,
        "value",
        _VALUE_KEYS,
        meets,
        ("value_target_met", {**shown, "baseline": _number_param(baseline)}),
        ("value_target_not_met", shown),
        ("meet_value_target", {"indicator": indicator, **shown}),
    )


# --- cap -------------------------------------------------------------------------------


def _cap(a: _Answers, bank: Bank) -> tuple[Reason, Reason] | None:
    """The high-risk cap's reason and condition, when it holds.

    Profiling is named with an Annex III use, never alone: EU AI Act art. 6(3)
    makes profiling decisive only for the uses Annex III lists.
    """
    triggers: list[str] = []
    annex3 = any(use != "none" for use in a.choices("tier_annex3_uses") or ())
    if annex3:
        triggers.append("tier_annex3_uses")
    if annex3 and a.is_true("tier_profiling"):
        triggers.append("tier_profiling")
    if a.choice("tier_declared") == "high":
        triggers.append("tier_declared")
    if not triggers or a.is_true("tier_obligations_met"):
        return None
    keys = (*triggers, "tier_obligations_met")
    # The duties are oversight, logs and informed staff: the condition rests on
    # those answers too, so a failed gate on one of them merges into it.
    return (
        _reason(bank, "high_risk_cap", keys),
        _reason(bank, "meet_high_risk_obligations", (*keys, *_DUTY_KEYS)),
    )


_DUTY_KEYS = ("sup_overseer", "sup_can_override", "ops_log_months", "ops_staff_informed")


# --- scores ----------------------------------------------------------------------------

_Holds = Callable[[_Answers, RubricSettings], bool]


@dataclass(frozen=True)
class _CheckDef:
    """One scored check of a dimension; missing or skipped answers fail it."""

    code: str
    dimension: str
    keys: tuple[str, ...]
    holds: _Holds
    weight: int = 1
    counts: Callable[[_Answers], bool] = lambda a: True
    """Whether the check applies to this POC at all (not counted otherwise)."""


@dataclass(frozen=True)
class _Check:
    code: str
    dimension: str
    keys: tuple[str, ...]
    passed: bool
    weight: int


def _named(code: str, dimension: str, key: str) -> _CheckDef:
    return _CheckDef(code, dimension, (key,), lambda a, s: a.person(key) is not None)


def _yes(code: str, dimension: str, key: str) -> _CheckDef:
    return _CheckDef(code, dimension, (key,), lambda a, s: a.is_true(key))


def _described(code: str, dimension: str, *keys: str) -> _CheckDef:
    return _CheckDef(code, dimension, keys, lambda a, s: all(a.text(k) for k in keys))


def _is(code: str, dimension: str, key: str, *values: str) -> _CheckDef:
    return _CheckDef(code, dimension, (key,), lambda a, s: a.choice(key) in values)


def _baseline_and_target(a: _Answers, s: RubricSettings) -> bool:
    return None not in (a.number("value_baseline"), a.number("value_target"), _direction(a))


def _measured(a: _Answers, s: RubricSettings) -> bool:
    return a.is_true("value_poc_measured") and a.number("value_poc_result") is not None


def _beats_baseline(a: _Answers, s: RubricSettings) -> bool:
    direction, result = _direction(a), a.number("value_poc_result")
    baseline = a.number("value_baseline")
    if direction is None or result is None or baseline is None:
        return False
    return _better(result, baseline, direction)


def _at_least(key: str, threshold: Callable[[RubricSettings], float]) -> _Holds:
    def holds(a: _Answers, s: RubricSettings) -> bool:
        value = a.number(key)
        return value is not None and value >= threshold(s)

    return holds


def _within_budget(a: _Answers, s: RubricSettings) -> bool:
    monthly, cap = a.number("cost_monthly"), a.number("cost_budget_cap")
    return monthly is not None and cap is not None and monthly <= cap


def _known(key: str) -> _Holds:
    return lambda a, s: a.number(key) is not None


def _treated(a: _Answers, s: RubricSettings) -> bool:
    return a.choice("risk_treatment") not in (None, "none")


def _review_fits_impact(a: _Answers, s: RubricSettings) -> bool:
    """Significant or critical outputs need a person before they take effect."""
    impact = a.choice("risk_impact")
    if impact in ("negligible", "limited"):
        return True
    return impact in ("significant", "critical") and (
        a.choice("sup_review") == "before" or a.choice("risk_autonomy") in ("suggests", "approved")
    )


def _success_rate_ok(a: _Answers, s: RubricSettings) -> bool:
    success, error_rate = a.number("ev_success_rate"), a.number("risk_error_rate")
    return success is not None and error_rate is not None and success >= 100 - error_rate


def _few_incidents(a: _Answers, s: RubricSettings) -> bool:
    incidents = a.number("ev_incidents")
    return incidents is not None and incidents <= s.max_poc_incidents


_VALUE_RESULT = ("value_direction", "value_baseline", "value_poc_result")

_CHECKS: tuple[_CheckDef, ...] = (
    _named("business_manager_named", "ownership", "owner_business_manager"),
    _named("technical_owner_named", "ownership", "owner_technical"),
    _named("decider_named", "ownership", "owner_decider"),
    _described(
        "indicator_defined", "value", "value_indicator", "value_unit", "value_measure_method"
    ),
    _CheckDef(
        "baseline_and_target_set",
        "value",
        ("value_direction", "value_baseline", "value_target"),
        _baseline_and_target,
    ),
    _CheckDef("measured_in_poc", "value", ("value_poc_measured", "value_poc_result"), _measured),
    _CheckDef("beats_baseline", "value", _VALUE_RESULT, _beats_baseline),
    _CheckDef(
        "meets_target",
        "value",
        ("value_direction", "value_target", "value_poc_result"),
        lambda a, s: bool(_meets_target(a)),
    ),
    _CheckDef(
        "enough_poc_cases",
        "value",
        ("value_poc_cases",),
        _at_least("value_poc_cases", lambda s: s.min_poc_cases),
    ),
    _CheckDef("within_budget", "cost", ("cost_monthly", "cost_budget_cap"), _within_budget, 3),
    _CheckDef("cost_per_task_known", "cost", ("cost_per_task",), _known("cost_per_task")),
    _CheckDef("bad_output_cost_known", "cost", ("cost_bad_output",), _known("cost_bad_output")),
    _is("risk_within_tolerance", "risk", "risk_level", "within"),
    _CheckDef("risk_treated", "risk", ("risk_treatment",), _treated),
    _named("risk_owner_named", "risk", "risk_owner"),
    _described("failure_modes_known", "risk", "risk_failure_modes"),
    _CheckDef(
        "review_fits_impact",
        "risk",
        ("risk_impact", "risk_autonomy", "sup_review"),
        _review_fits_impact,
    ),
    # Profiling without an Annex III use is a risk factor, not a cap: it asks for
    # a person before the effect (GDPR art. 22), and only counts when it profiles.
    _CheckDef(
        "profiling_reviewed",
        "risk",
        ("tier_profiling", "sup_review", "risk_autonomy"),
        lambda a, s: _reviewed_before_effect(a),
        counts=lambda a: a.is_true("tier_profiling"),
    ),
    _is("outputs_reviewed", "supervision", "sup_review", "before", "after", "sample"),
    _named("overseer_named", "supervision", "sup_overseer"),
    _yes("overseer_trained", "supervision", "sup_overseer_trained"),
    _yes("overseer_can_override", "supervision", "sup_can_override"),
    _described("escalation_defined", "supervision", "sup_escalation"),
    _yes("monitored", "supervision", "sup_monitoring"),
    _named("kill_switch_owner_named", "supervision", "kill_who"),
    _yes("kill_switch_rehearsed", "supervision", "kill_rehearsed"),
    _yes("users_told_ai", "supervision", "ops_users_told_ai"),
    _yes("staff_informed", "supervision", "ops_staff_informed"),
    _CheckDef(
        "logs_kept",
        "supervision",
        ("ops_log_months",),
        _at_least("ops_log_months", lambda s: s.min_log_months),
    ),
    _described("systems_listed", "integration", "run_systems"),
    _named("operating_team_named", "integration", "run_operating_team"),
    _is("hosting_known", "integration", "run_hosting", "saas", "our_cloud", "on_premises"),
    _yes("incident_path", "integration", "run_incident_path"),
    _yes("vendor_fallback", "integration", "run_vendor_fallback"),
    _yes("retest_on_change", "integration", "run_retest_on_change"),
    _yes("rules_published", "integration", "ops_rules_published"),
    _yes("operators_trained", "integration", "ops_operators_trained"),
    _is("real_conditions", "evidence", "ev_evaluation", "real"),
    _CheckDef(
        "enough_test_cases",
        "evidence",
        ("ev_test_cases",),
        _at_least("ev_test_cases", lambda s: s.min_real_evaluation_cases),
    ),
    _CheckDef(
        "success_rate_ok", "evidence", ("ev_success_rate", "risk_error_rate"), _success_rate_ok
    ),
    _CheckDef("few_incidents", "evidence", ("ev_incidents",), _few_incidents),
    _CheckDef(
        "users_satisfied",
        "evidence",
        ("ev_user_feedback",),
        _at_least("ev_user_feedback", lambda s: s.min_user_feedback),
    ),
)
"""Every scored check, by dimension; a dimension scores the weight of its passed checks in %."""


def _checks(a: _Answers, s: RubricSettings) -> list[_Check]:
    return [
        _Check(d.code, d.dimension, d.keys, d.holds(a, s), d.weight) for d in _CHECKS if d.counts(a)
    ]


def _scores(checks: Sequence[_Check]) -> dict[str, int]:
    scores: dict[str, int] = {}
    for dimension in DIMENSIONS:
        mine = [c for c in checks if c.dimension == dimension]
        total = sum(c.weight for c in mine)
        passed = sum(c.weight for c in mine if c.passed)
        scores[dimension] = round(100 * passed / total) if total else 100
    return scores


def _low_scores(
    checks: Sequence[_Check],
    scores: Mapping[str, int],
    bank: Bank,
    s: RubricSettings,
    covered: frozenset[str] = frozenset(),
) -> list[tuple[Reason, Reason | None]]:
    """For each dimension under the threshold: its reason and its condition.

    The condition leaves out the failed checks resting on ``covered`` answers
    (another condition already asks to fix them); it is None when none is left.
    """
    low: list[tuple[Reason, Reason | None]] = []
    for dimension in DIMENSIONS:
        if scores[dimension] >= s.min_dimension_score:
            continue
        failing = [c for c in checks if c.dimension == dimension and not c.passed]
        keys = _dedupe(k for c in failing for k in c.keys)
        params: dict[str, Any] = {
            "dimension": dimension,
            "score": scores[dimension],
            "failed": [c.code for c in failing],
        }
        left = [c for c in failing if not covered.intersection(c.keys)]
        condition = None
        if left:
            condition = _reason(
                bank,
                "raise_score",
                _dedupe(k for c in left for k in c.keys),
                min_score=s.min_dimension_score,
                **{**params, "failed": [c.code for c in left]},
            )
        low.append((_reason(bank, "low_score", keys, **params), condition))
    return low


def _one_per_thing(bank: Bank, conditions: Sequence[Reason], cap: Reason | None) -> list[Reason]:
    """The cap's condition takes in the conditions resting on the same answers: one to do."""
    if cap is None:
        return list(conditions)
    shared = [c for c in conditions if set(c.keys) & set(cap.keys)]
    if not shared:
        return [*conditions, cap]
    parts = [*shared, cap]
    merged = _reason(
        bank,
        "combined",
        _dedupe(k for part in parts for k in part.keys),
        parts=[part.to_dict() for part in parts],
    )
    first = conditions.index(shared[0])
    rest = [c for c in conditions if c not in shared]
    return [*rest[:first], merged, *rest[first:]]


# --- the assessment --------------------------------------------------------------------


def assess(
    answers: Mapping[str, Any],
    bank: Bank,
    settings: RubricSettings = RubricSettings(),
    floor: str | None = None,
) -> Assessment:
    """Recommend an outcome from one interview's typed answers. Pure and deterministic.

    ``floor`` is the depth a lead raised the interview to. A scored check that
    reads a question the interview's depth does not ask is left out of its
    dimension's score rather than failed."""
    a = _Answers(bank, answers, floor)
    stops = _stop_reasons(a, bank)
    missing = tuple(required_keys(bank, a.values, floor))
    gate_results = _gates(a, bank, settings)
    gates = tuple(g.gate for g in gate_results)
    checks = [c for c in _checks(a, settings) if a.unasked.isdisjoint(c.keys)]
    scores = _scores(checks)
    cap = _cap(a, bank)

    def build(
        outcome: Outcome, reasons: Sequence[Reason], conditions: Sequence[Reason] = ()
    ) -> Assessment:
        return Assessment(
            outcome=outcome,
            gates=gates,
            scores=scores,
            reasons=tuple(reasons),
            missing=missing,
            conditions=tuple(conditions),
            capped=cap is not None,
            rubric_version=RUBRIC_VERSION,
        )

    # Contradictory answers are named whatever the outcome: a lead reads them first.
    contradiction = _contradiction(a, bank)
    named = [contradiction[0]] if contradiction else []
    if stops:
        return build(Outcome.STOP, [*stops, *named])
    if missing:
        return build(
            Outcome.NOT_ENOUGH_INFORMATION,
            [*(_reason(bank, "missing_answer", (key,), question=key) for key in missing), *named],
        )

    contradicted = _owner_stop_contradicted(a, bank)
    preamble = [contradicted] if contradicted else []
    failed = [g for g in gate_results if not g.gate.passed]
    findings = [f for f in (contradiction, _cost_finding(a, bank)) if f is not None]
    first = [
        *(g.condition for g in failed),
        *(condition for _, condition in findings),
    ]
    conditions = _one_per_thing(bank, first, cap[1] if cap else None)
    covered = frozenset(k for c in conditions for k in c.keys)
    low = _low_scores(checks, scores, bank, settings, covered)
    if not failed and cap is None and not low and not findings:
        return build(Outcome.INDUSTRIALISE, [*preamble, *(g.reason for g in gates)])

    reasons = [
        *preamble,
        *(g.gate.reason for g in failed),
        *(reason for reason, _ in findings),
        *([cap[0]] if cap else []),
        *(reason for reason, _ in low),
    ]
    conditions += [condition for _, condition in low if condition is not None]
    return build(Outcome.FRAME, reasons, conditions)


def stops(answers: Mapping[str, Any], bank: Bank, floor: str | None = None) -> bool:
    """Whether a stop rule holds: what :func:`assess` would answer ``stop`` on,
    without the gates and scores (asked after every answer, conversations.early_stop)."""
    return bool(_stop_reasons(_Answers(bank, answers, floor), bank))


def _cost_finding(a: _Answers, bank: Bank) -> tuple[Reason, Reason] | None:
    """One task costing more than it saves, when its cost can still be cut."""
    figures = _cost_against_saving(a)
    if figures is None:
        return None
    return (
        _reason(bank, "cost_above_saving", _COST_KEYS, **figures),
        _reason(bank, "cut_cost_below_saving", _COST_KEYS, **figures),
    )
