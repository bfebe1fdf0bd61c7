"""The deterministic recommendation: stop, frame, industrialise, not enough information."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conversations.bank import SKIPPED, Bank, load_bank
from conversations.i18n import Translator
from conversations.rubric import (
    DIMENSION_NAMES,
    OUTCOME_NAMES,
    REASON_TEXTS,
    RUBRIC_VERSION,
    Assessment,
    Reason,
    RubricSettings,
    describe,
)
from conversations.rubric import assess as assess_at_depth
from storage.models import Outcome
from tests.support.typed import complete_answers

BANK = load_bank()
EN = Translator("en")
FULL = "full"


DEFAULTS = RubricSettings()


def assess(answers: dict[str, Any], bank: Bank, settings: RubricSettings = DEFAULTS) -> Assessment:
    """The rules as a full-depth interview reads them: every question asked. The
    complete answers here describe a POC the triage would interview lightly;
    tests/test_depths.py shows the lighter depths reach the same outcomes."""
    return assess_at_depth(answers, bank, settings, floor=FULL)


def with_(**changes: Any) -> dict[str, Any]:
    return {**complete_answers(), **changes}


def without(*keys: str) -> dict[str, Any]:
    answers = complete_answers()
    for key in keys:
        del answers[key]
    return answers


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


def failed_gates(assessment: Assessment) -> list[str]:
    return [g.code for g in assessment.gates if not g.passed]


def test_complete_answers_answer_every_applicable_question() -> None:
    answers = complete_answers()
    # value_direction too, for bank v1 interviews: v2 reads it from the baseline
    # (12) and the target (6), and asks it only when they are equal
    assert set(answers) - {"value_direction"} == {q.key for q in BANK.applicable(answers, FULL)}


def test_a_complete_worthy_poc_is_industrialised() -> None:
    result = assess(complete_answers(), BANK)

    assert result.outcome is Outcome.INDUSTRIALISE
    assert all(g.passed for g in result.gates)
    assert set(result.scores) == set(DIMENSION_NAMES)
    assert all(score == 100 for score in result.scores.values())
    assert result.reasons == tuple(g.reason for g in result.gates)
    assert result.conditions == ()
    assert result.missing == ()
    assert not result.capped
    assert result.rubric_version == RUBRIC_VERSION
    assert describe(result.reasons[0], EN) == "Alice Martin is the named business manager."


# --- stop ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("use", "reference"),
    [
        ("manipulation", "EU AI Act art. 5(1)(a)-(b)"),
        ("social_scoring", "EU AI Act art. 5(1)(c)"),
        ("emotion", "EU AI Act art. 5(1)(f)"),
        ("sensitive_categorisation", "EU AI Act art. 5(1)(g)"),
    ],
)
def test_a_prohibited_use_stops_it(use: str, reference: str) -> None:
    """Asked in one question, each use keeps its own article as the reason's reference,
    and the reason points at that question to edit."""
    result = assess(with_(screen_uses=[use]), BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["prohibited_use"]
    assert result.reasons[0].keys == ("screen_uses",)
    assert result.reasons[0].references == (reference,)
    assert describe(result.reasons[0], EN).startswith(
        "It falls under a use the EU AI Act prohibits"
    )


def test_answers_to_the_four_former_prohibited_use_questions_read_the_same() -> None:
    """Interviews stored when bank v2 asked each use as a yes/no question, and whether
    the POC measured its value before its result, are read as the bank asks them now."""
    old = complete_answers()
    del old["screen_uses"]
    old |= {
        "screen_manipulation": False,
        "screen_social_scoring": True,
        "screen_emotion": False,
        "screen_sensitive_categorisation": False,
    }
    assert BANK.upgraded(old)["screen_uses"] == ["social_scoring"]
    assert assess(BANK.upgraded(old), BANK) == assess(with_(screen_uses=["social_scoring"]), BANK)
    old |= {"screen_social_scoring": False, "value_poc_measured": False}
    del old["value_poc_result"]
    upgraded = BANK.upgraded(old)
    assert (upgraded["screen_uses"], upgraded["value_poc_result"]) == (["none"], "not_measured")
    assert codes(assess(upgraded, BANK).reasons) == ["no_measured_value"]
    partly = {"screen_manipulation": False, "screen_emotion": SKIPPED}
    assert "screen_uses" not in BANK.upgraded(partly), "not all answered no: asked again"


def test_every_prohibited_use_is_named() -> None:
    result = assess(with_(screen_uses=["social_scoring", "emotion"]), BANK)

    assert result.outcome is Outcome.STOP
    assert [describe(r, EN) for r in result.reasons] == [
        "It falls under a use the EU AI Act prohibits: social scoring.",
        "It falls under a use the EU AI Act prohibits: inferring emotions at work or in education.",
    ]


def test_critical_impact_without_human_review_stops_it() -> None:
    # 2026.2: with "nobody reviews" the autonomy answer says so too; "a person
    # approves" beside it would be a contradiction (see below).
    answers = with_(risk_impact="critical", sup_review="none", risk_autonomy="acts_alone")
    result = assess(answers, BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["critical_without_oversight"]
    assert result.reasons[0].keys == ("risk_impact", "sup_review")


def test_critical_impact_reviewed_before_effect_does_not_stop_it() -> None:
    result = assess(with_(risk_impact="critical"), BANK)

    assert result.outcome is Outcome.INDUSTRIALISE


def test_value_not_measured_by_the_poc_stops_it() -> None:
    answers = with_(value_poc_result="not_measured")
    del answers["value_poc_cases"]

    result = assess(answers, BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["no_measured_value"]
    assert result.reasons[0].keys == ("value_poc_result",)
    assert result.reasons[0].references == ("NIST AI RMF MANAGE 2.1",)


def test_a_result_no_better_than_the_baseline_stops_it() -> None:
    result = assess(with_(value_poc_result=12.0), BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["no_better_than_baseline"]
    assert describe(result.reasons[0], EN) == (
        "The POC result (12 minutes) is no better than the baseline without AI (12 minutes)."
    )


def test_a_risk_above_tolerance_without_treatment_stops_it() -> None:
    answers = with_(risk_level="above", risk_treatment="none")
    del answers["risk_owner"]

    result = assess(answers, BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["risk_above_tolerance_untreated"]


def test_the_owner_recommending_stop_stops_it_when_the_target_is_missed() -> None:
    result = assess(with_(view_recommendation="stop", value_poc_result=8.0), BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["owner_recommends_stop"]


def test_the_owners_stop_is_contradicted_by_a_met_target() -> None:
    result = assess(with_(view_recommendation="stop"), BANK)

    assert result.outcome is Outcome.INDUSTRIALISE
    assert result.reasons[0].code == "owner_stop_contradicted"
    assert describe(result.reasons[0], EN) == (
        "The owner recommends stopping it, but the POC result (5 minutes) meets the target "
        "(6 minutes)."
    )


def test_every_stop_reason_is_listed() -> None:
    result = assess(
        with_(screen_uses=["manipulation"], value_poc_result=13.0, view_recommendation="stop"),
        BANK,
    )

    assert codes(result.reasons) == [
        "prohibited_use",
        "no_better_than_baseline",
        "owner_recommends_stop",
    ]


def test_a_stop_rule_wins_over_missing_answers() -> None:
    result = assess({"screen_uses": ["social_scoring"]}, BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["prohibited_use"]
    assert "owner_business_manager" in result.missing


# --- not enough information ------------------------------------------------------------


def test_missing_required_answers_are_named_in_bank_order() -> None:
    result = assess(without("value_target", "owner_technical", "owner_sponsor"), BANK)

    assert result.outcome is Outcome.NOT_ENOUGH_INFORMATION
    assert result.missing == ("owner_technical", "value_target")
    assert codes(result.reasons) == ["missing_answer", "missing_answer"]
    assert [r.keys for r in result.reasons] == [("owner_technical",), ("value_target",)]
    assert describe(result.reasons[0], EN) == "Not answered yet: owner_technical"
    assert (
        describe(result.reasons[0], EN, BANK)
        == "Not answered yet: Technical owner (owner_technical)"
    )
    assert result.conditions == ()


def test_a_skipped_required_question_counts_as_missing() -> None:
    result = assess(with_(owner_decider=SKIPPED), BANK)

    assert result.outcome is Outcome.NOT_ENOUGH_INFORMATION
    assert result.missing == ("owner_decider",)


def test_a_skipped_optional_question_is_not_missing() -> None:
    result = assess(with_(owner_sponsor=SKIPPED), BANK)

    assert result.outcome is Outcome.INDUSTRIALISE


def test_a_newly_applicable_question_is_missing() -> None:
    result = assess(with_(tier_annex3_uses=["credit"]), BANK)

    assert result.outcome is Outcome.NOT_ENOUGH_INFORMATION
    assert result.missing == ("tier_obligations_met",)


def test_nothing_answered_is_not_enough_information() -> None:
    result = assess({}, BANK)

    assert result.outcome is Outcome.NOT_ENOUGH_INFORMATION
    assert result.missing == tuple(q.key for q in BANK.applicable({}, FULL) if q.required)


# --- gates -----------------------------------------------------------------------------


GATE_BREAKS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "business_manager",
        {"owner_business_manager": None},
        "no_business_manager",
        "name_business_manager",
    ),
    (
        "overseer",
        {"sup_can_override": False},
        "no_overseer_who_can_stop",
        "name_overseer_who_can_stop",
    ),
    ("overseer", {"sup_overseer": None}, "no_overseer_who_can_stop", "name_overseer_who_can_stop"),
    # nobody reviews: the overseer answered earlier no longer applies
    (
        "overseer",
        {"sup_review": "none", "risk_autonomy": "acts_alone"},
        "no_overseer_who_can_stop",
        "name_overseer_who_can_stop",
    ),
    ("kill_switch", {"kill_rehearsed": False}, "kill_switch_not_rehearsed", "rehearse_kill_switch"),
    ("monitoring", {"sup_monitoring": False}, "no_monitoring", "set_up_monitoring"),
    ("value", {"value_poc_result": 8.0}, "value_target_not_met", "meet_value_target"),
    ("risk_treatment", {"risk_level": "dont_know"}, "risk_not_classified", "treat_main_risk"),
    ("risk_treatment", {"risk_treatment": "none"}, "risk_untreated", "treat_main_risk"),
    ("operating_team", {"run_operating_team": None}, "no_operating_team", "name_operating_team"),
    ("incident_path", {"run_incident_path": False}, "no_incident_path", "set_up_incident_path"),
    (
        "vendor_fallback",
        {"run_vendor_fallback": False},
        "no_vendor_fallback",
        "plan_vendor_fallback",
    ),
    (
        "real_evaluation",
        {"ev_evaluation": "lab"},
        "no_real_evaluation",
        "evaluate_on_held_out_set",
    ),
    (
        "real_evaluation",
        {"ev_test_cases": 29},
        "no_real_evaluation",
        "evaluate_in_real_conditions",
    ),
    ("staff_informed", {"ops_staff_informed": False}, "staff_not_informed", "inform_staff"),
    ("logs_kept", {"ops_log_months": 5.5}, "logs_not_kept", "keep_logs"),
    ("logs_kept", {"ops_log_months": 0}, "logs_not_kept", "keep_logs"),
]


@pytest.mark.parametrize(("gate", "changes", "reason", "condition"), GATE_BREAKS)
def test_breaking_one_gate_frames_it_with_that_condition(
    gate: str, changes: dict[str, Any], reason: str, condition: str
) -> None:
    result = assess(with_(**changes), BANK)

    assert result.outcome is Outcome.FRAME
    assert failed_gates(result) == [gate]
    assert codes(result.reasons) == [reason]
    assert codes(result.conditions) == [condition]
    assert not result.capped


def test_conditions_read_as_things_to_do() -> None:
    result = assess(
        with_(value_poc_result=8.0, ops_log_months=3, owner_business_manager=None), BANK
    )

    assert [describe(c, EN) for c in result.conditions] == [
        "Name the business manager accountable for the agent once it runs.",
        "Show on real use that handling time per invoice reaches the target (6 minutes); "
        "it is now 8 minutes.",
        "Keep its logs for at least 6 months.",
    ]


def test_gate_thresholds_are_settings() -> None:
    answers = with_(ev_test_cases=20, ops_log_months=3)
    lenient = RubricSettings(min_real_evaluation_cases=20, min_log_months=3)

    assert assess(answers, BANK).outcome is Outcome.FRAME
    assert assess(answers, BANK, lenient).outcome is Outcome.INDUSTRIALISE


# --- high-risk cap ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"tier_annex3_uses": ["employment"]},
        {"tier_annex3_uses": ["employment"], "tier_profiling": True},
        {"tier_declared": "high"},
    ],
)
def test_high_risk_caps_at_frame_until_obligations_are_met(changes: dict[str, Any]) -> None:
    capped = assess(with_(**changes, tier_obligations_met=False), BANK)

    assert capped.outcome is Outcome.FRAME
    assert capped.capped
    assert failed_gates(capped) == []
    assert codes(capped.reasons) == ["high_risk_cap"]
    assert codes(capped.conditions) == ["meet_high_risk_obligations"]

    lifted = assess(with_(**changes, tier_obligations_met=True), BANK)

    assert lifted.outcome is Outcome.INDUSTRIALISE
    assert not lifted.capped


def test_the_cap_is_listed_after_failed_gates() -> None:
    result = assess(
        with_(tier_declared="high", tier_obligations_met=False, kill_rehearsed=False), BANK
    )

    assert codes(result.reasons) == ["kill_switch_not_rehearsed", "high_risk_cap"]
    assert codes(result.conditions) == ["rehearse_kill_switch", "meet_high_risk_obligations"]


# --- scores ----------------------------------------------------------------------------


def test_a_cost_above_budget_scores_low_and_frames_it() -> None:
    result = assess(with_(cost_monthly=3000.0), BANK)

    assert result.outcome is Outcome.FRAME
    assert result.scores["cost"] == 40
    assert failed_gates(result) == []
    assert codes(result.reasons) == ["low_score"]
    assert (
        describe(result.reasons[0], EN) == "Cost scores 40/100: monthly cost above the budget cap."
    )
    assert result.reasons[0].keys == ("cost_monthly", "cost_budget_cap")
    assert [describe(c, EN) for c in result.conditions] == [
        "Bring Cost to at least 50/100 (now 40): monthly cost above the budget cap."
    ]


def test_a_score_at_the_threshold_is_enough() -> None:
    answers = with_(cost_monthly=3000.0)

    assert assess(answers, BANK, RubricSettings(min_dimension_score=40)).outcome is (
        Outcome.INDUSTRIALISE
    )
    assert assess(answers, BANK, RubricSettings(min_dimension_score=41)).outcome is Outcome.FRAME


def test_unanswered_optional_questions_count_as_failed_checks() -> None:
    result = assess(without("cost_per_task", "cost_bad_output"), BANK)

    assert result.scores["cost"] == 60
    assert result.outcome is Outcome.INDUSTRIALISE

    worse = assess(without("cost_per_task", "cost_bad_output") | {"cost_monthly": 3000.0}, BANK)

    assert worse.scores["cost"] == 0
    assert describe(worse.reasons[0], EN) == (
        "Cost scores 0/100: monthly cost above the budget cap; cost per task unknown; "
        "cost of a bad output unknown."
    )


def test_a_weak_evidence_base_scores_low() -> None:
    result = assess(
        with_(ev_evaluation="lab", ev_test_cases=10, ev_success_rate=80.0, ev_incidents=2), BANK
    )

    assert result.scores["evidence"] == 20
    assert "low_score" in codes(result.reasons)
    low = next(r for r in result.reasons if r.code == "low_score")
    assert low.params["dimension"] == "evidence"


def test_significant_impact_acting_unreviewed_lowers_the_risk_score() -> None:
    safe = assess(with_(risk_impact="significant"), BANK)
    unsafe = assess(
        with_(risk_impact="significant", risk_autonomy="acts_reviewed", sup_review="after"), BANK
    )

    assert safe.scores["risk"] == 100
    assert unsafe.scores["risk"] == 80


# --- direction-aware value -------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "result", "outcome"),
    [
        ("lower", 12.0, 6.0, 5.0, Outcome.INDUSTRIALISE),
        ("lower", 12.0, 6.0, 6.0, Outcome.INDUSTRIALISE),
        ("lower", 12.0, 6.0, 8.0, Outcome.FRAME),
        ("lower", 12.0, 6.0, 12.0, Outcome.STOP),
        ("lower", 12.0, 6.0, 15.0, Outcome.STOP),
        ("higher", 50.0, 80.0, 85.0, Outcome.INDUSTRIALISE),
        ("higher", 50.0, 80.0, 80.0, Outcome.INDUSTRIALISE),
        ("higher", 50.0, 80.0, 60.0, Outcome.FRAME),
        ("higher", 50.0, 80.0, 50.0, Outcome.STOP),
        ("higher", 50.0, 80.0, 5.0, Outcome.STOP),
    ],
)
def test_value_is_compared_in_the_indicators_direction(
    direction: str, baseline: float, target: float, result: float, outcome: Outcome
) -> None:
    answers = with_(
        value_direction=direction,
        value_baseline=baseline,
        value_target=target,
        value_poc_result=result,
    )

    assert assess(answers, BANK).outcome is outcome


def test_integer_answers_are_numbers_too() -> None:
    answers = with_(value_baseline=12, value_target=6, value_poc_result=5, ops_log_months=6)

    assert assess(answers, BANK).outcome is Outcome.INDUSTRIALISE


# --- version 2026.2 ----------------------------------------------------------------------

UNSTOPPABLE: dict[str, Any] = {
    "risk_impact": "critical",
    "sup_review": "after",
    "risk_autonomy": "acts_reviewed",
    "kill_who": None,
    "sup_can_override": False,
}


def test_rubric_version_is_2026_2() -> None:
    assert RUBRIC_VERSION == "2026.2"


def test_critical_impact_unreviewed_before_effect_that_nobody_can_stop_stops_it() -> None:
    result = assess(with_(**UNSTOPPABLE), BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["critical_unstoppable"]
    assert describe(result.reasons[0], EN) == (
        "A wrong output has critical impact, no one reviews its outputs before they take "
        "effect, and no one can stop the agent."
    )
    # Someone who can stop it turns the stop back into a recommendation to weigh.
    assert (
        assess(with_(**{**UNSTOPPABLE, "sup_can_override": True}), BANK).outcome is not Outcome.STOP
    )
    assert (
        assess(with_(**{**UNSTOPPABLE, "kill_who": {"id": "U2", "name": "Bruno"}}), BANK).outcome
        is not Outcome.STOP
    )


def test_review_and_autonomy_answers_that_contradict_each_other_are_named() -> None:
    result = assess(with_(sup_review="after", risk_autonomy="acts_alone"), BANK)

    assert result.outcome is Outcome.FRAME
    assert "review_contradiction" in codes(result.reasons)
    reason = next(r for r in result.reasons if r.code == "review_contradiction")
    assert reason.keys == ("sup_review", "risk_autonomy")
    assert describe(reason, EN, BANK) == (
        "Two answers contradict each other: a person reviews its outputs "
        "(“After they take effect”), yet it works like this: “It acts alone, unreviewed”."
    )
    assert "resolve_review_contradiction" in codes(result.conditions)
    # named beside a stop too
    stopped = assess(with_(**{**UNSTOPPABLE, "risk_autonomy": "acts_alone"}), BANK)
    assert codes(stopped.reasons) == ["critical_unstoppable", "review_contradiction"]


def test_profiling_without_an_annex_iii_use_is_a_risk_factor_not_a_cap() -> None:
    reviewed = assess(with_(tier_profiling=True), BANK)

    assert reviewed.outcome is Outcome.INDUSTRIALISE
    assert not reviewed.capped
    assert BANK.question("tier_obligations_met").key not in {
        q.key for q in BANK.applicable(with_(tier_profiling=True))
    }
    unreviewed = with_(tier_profiling=True, sup_review="after", risk_autonomy="acts_reviewed")
    assert (
        assess(unreviewed, BANK).scores["risk"]
        < assess(with_(sup_review="after", risk_autonomy="acts_reviewed"), BANK).scores["risk"]
    )
    # With an Annex III use, profiling is named in the cap.
    capped = assess(
        with_(tier_profiling=True, tier_annex3_uses=["credit"], tier_obligations_met=False), BANK
    )
    assert capped.capped
    assert "tier_profiling" in capped.reasons[0].keys


def test_the_profiling_question_does_not_say_it_makes_the_use_high_risk() -> None:
    question = BANK.question("tier_profiling")
    shown = [
        question.text.en,
        question.text.fr,
        *(q.text.en for q in BANK.applicable(with_(tier_profiling=True))),
    ]

    assert not any(
        "high risk" in text.lower() or "haut risque" in text.lower() for text in shown[:2]
    )
    assert not any("makes it high risk" in text for text in shown)


def test_no_value_indicator_at_all_frames_it_with_the_condition_to_define_one() -> None:
    answers = {
        k: v
        for k, v in complete_answers().items()
        if not k.startswith(("value_", "watch_threshold"))
    }
    answers["value_indicator"] = "none"  # bank v2 derives value_defined from it

    result = assess(answers, BANK)

    assert result.outcome is Outcome.FRAME
    assert result.missing == ()
    assert "no_value_indicator" in codes(result.reasons)
    assert "no_measured_value" not in codes(result.reasons)
    assert codes(result.conditions) == ["define_value_indicator"]
    # not said yet: not enough information, never stop
    del answers["value_indicator"]
    unsaid = assess(answers, BANK)
    assert unsaid.outcome is Outcome.NOT_ENOUGH_INFORMATION
    assert unsaid.missing == ("value_indicator",)


EXPENSIVE: dict[str, Any] = {
    "cost_per_task": 9.0,
    "cost_saving_minutes": 6.0,
    "cost_hour_cost": 50.0,
}


def test_a_task_costing_more_than_it_saves_stops_it_when_its_cost_cannot_be_cut() -> None:
    result = assess(with_(**EXPENSIVE, cost_can_cut=False), BANK)

    assert result.outcome is Outcome.STOP
    assert codes(result.reasons) == ["cost_above_saving_uncut"]
    assert describe(result.reasons[0], EN) == (
        "One task costs 9 EUR and saves only 5 EUR, and the owner sees no way to cut its cost."
    )


def test_a_task_costing_more_than_it_saves_frames_it_with_both_figures_when_it_can_be_cut() -> None:
    result = assess(with_(**EXPENSIVE, cost_can_cut=True), BANK)

    assert result.outcome is Outcome.FRAME
    assert codes(result.reasons) == ["cost_above_saving"]
    assert [describe(c, EN) for c in result.conditions] == [
        "Bring the cost of one task (9 EUR) below what it saves (5 EUR)."
    ]
    money = assess(
        with_(cost_per_task=3.0, cost_saving_minutes=0.0, cost_saving_money=2.5, cost_can_cut=True),
        BANK,
    )
    assert describe(money.reasons[0], EN) == "One task costs 3 EUR and saves only 2.5 EUR."
    assert (
        assess(
            with_(
                cost_per_task=3.0,
                cost_saving_minutes=0.0,
                cost_saving_money=4.0,
                cost_can_cut=True,
            ),
            BANK,
        ).outcome
        is Outcome.INDUSTRIALISE
    )


def test_a_held_out_test_set_meets_the_evaluation_of_a_limited_production() -> None:
    held_out = assess(with_(ev_evaluation="held_out", ev_test_cases=200), BANK)

    assert held_out.outcome is Outcome.FRAME
    assert failed_gates(held_out) == ["real_evaluation"]
    assert codes(held_out.reasons) == ["evaluated_on_held_out_set"]
    # what is left to do is the real-conditions evaluation, not a first evaluation
    assert codes(held_out.conditions) == ["evaluate_in_real_conditions"]
    lab = assess(with_(ev_evaluation="lab"), BANK)
    assert codes(lab.conditions) == ["evaluate_on_held_out_set"]


def test_a_gate_and_the_cap_resting_on_the_same_answers_are_one_condition() -> None:
    result = assess(with_(tier_declared="high", tier_obligations_met=False, ops_log_months=2), BANK)

    assert result.outcome is Outcome.FRAME
    assert codes(result.reasons) == ["logs_not_kept", "high_risk_cap"]
    assert codes(result.conditions) == ["combined"]
    assert describe(result.conditions[0], EN) == (
        "Keep its logs for at least 6 months. Meet and record the high-risk deployer duties: "
        "human oversight assigned, logs kept, staff informed, impact assessment where required."
    )


def test_a_low_score_resting_on_a_failed_gates_answers_adds_no_condition() -> None:
    answers = {
        k: v
        for k, v in complete_answers().items()
        if not k.startswith(("value_", "watch_threshold"))
    }
    answers["value_indicator"] = "none"

    result = assess(answers, BANK)

    assert "low_score" in codes(result.reasons)  # the value score is still shown
    assert codes(result.conditions) == ["define_value_indicator"]


def test_numbers_in_reasons_keep_their_units() -> None:
    result = assess(with_(value_poc_result=8.0), BANK)

    assert describe(result.reasons[0], EN) == (
        "The POC result (8 minutes) misses the target (6 minutes)."
    )
    assert describe(result.reasons[0], Translator("fr")) == (
        "Le résultat du POC (8 minutes) n'atteint pas la cible (6 minutes)."
    )


# --- texts, storage and consistency ----------------------------------------------------


def scenarios() -> list[dict[str, Any]]:
    """Answer sets that together produce every reason the rubric gives."""
    partial = complete_answers()
    partial.pop("value_target")
    unmeasured = with_(value_poc_result="not_measured")
    del unmeasured["value_poc_cases"]
    return [
        complete_answers(),
        partial,
        {},
        unmeasured,
        with_(view_recommendation="stop"),
        with_(view_recommendation="stop", value_poc_result=8.0),
        with_(screen_uses=["manipulation", "social_scoring"]),
        with_(screen_uses=["emotion", "sensitive_categorisation"]),
        with_(risk_impact="critical", sup_review="none", value_poc_result=20.0),
        with_(risk_level="above", risk_treatment="none"),
        with_(tier_annex3_uses=["credit"], tier_obligations_met=False, cost_monthly=9000.0),
        with_(**UNSTOPPABLE),
        with_(**EXPENSIVE, cost_can_cut=False),
        with_(**EXPENSIVE, cost_can_cut=True, sup_review="after", risk_autonomy="acts_alone"),
        with_(ev_evaluation="held_out"),
        with_(tier_declared="high", tier_obligations_met=False, ops_log_months=2),
        {
            **without(
                "value_indicator",
                "value_unit",
                "value_direction",
                "value_baseline",
                "value_target",
                "value_measure_method",
                "value_poc_result",
                "value_poc_cases",
                "watch_threshold",
            ),
            "value_indicator": "none",
        },
        *(with_(**changes) for _, changes, _, _ in GATE_BREAKS),
        with_(
            owner_business_manager=None,
            owner_technical=None,
            owner_decider=None,
            sup_review="none",
            kill_rehearsed=False,
            sup_monitoring=False,
            value_poc_result=11.0,
            risk_level="dont_know",
            run_operating_team=None,
            run_incident_path=False,
            run_vendor_fallback=False,
            ev_evaluation="none",
            ops_staff_informed=False,
            ops_log_months=0,
            ops_users_told_ai=False,
            run_hosting="dont_know",
            run_retest_on_change=False,
            ops_rules_published=False,
            ops_operators_trained=False,
            ev_incidents=3,
            ev_user_feedback=SKIPPED,
        ),
    ]


def every_reason(assessment: Assessment) -> list[Reason]:
    return [
        *assessment.reasons,
        *assessment.conditions,
        *(gate.reason for gate in assessment.gates),
    ]


@pytest.mark.parametrize("answers", scenarios())
def test_every_reason_has_a_sentence_that_renders(answers: dict[str, Any]) -> None:
    for reason in every_reason(assess(answers, BANK)):
        assert reason.code in REASON_TEXTS
        for translate in (EN, Translator("fr")):
            sentence = describe(reason, translate, BANK)
            assert sentence.strip()
            assert "{" not in sentence and "}" not in sentence


def test_the_scenarios_cover_every_outcome_and_almost_every_sentence() -> None:
    results = [assess(answers, BANK) for answers in scenarios()]
    produced = {r.code for result in results for r in every_reason(result)}

    assert {result.outcome for result in results} == set(Outcome)
    # "measure_value" is the condition of a value gate whose answers are missing:
    # never shown, since missing answers give "not enough information" first.
    # "section_awaited" names a section handed to someone else: conversations.respondents
    # adds it, from stored hand-overs the pure rubric never sees (tests/test_delegation.py).
    assert set(REASON_TEXTS) - produced == {"measure_value", "section_awaited"}


def test_outcomes_and_dimensions_have_names() -> None:
    assert set(OUTCOME_NAMES) == set(Outcome)
    assert list(assess(complete_answers(), BANK).scores) == list(DIMENSION_NAMES)
    assert EN(DIMENSION_NAMES["integration"]) == "Integration and run"


@pytest.mark.parametrize("answers", scenarios())
def test_an_assessment_survives_json_storage(answers: dict[str, Any]) -> None:
    assessment = assess(answers, BANK)

    stored = json.loads(json.dumps(assessment.to_dict()))

    assert Assessment.from_dict(stored) == assessment


def _references(bank: Bank, keys: tuple[str, ...]) -> tuple[str, ...]:
    found = [bank.question(k).reference for k in keys]
    return tuple(dict.fromkeys(r for r in found if r))


def _precise(bank: Bank, reference: str, keys: tuple[str, ...]) -> str:
    """A choice's own reference (a prohibited use's article) as its question's."""
    for key in keys:
        if reference in {c.reference for c in bank.question(key).choices}:
            return str(bank.question(key).reference)
    return reference


@pytest.mark.parametrize("answers", scenarios())
def test_reasons_rest_on_real_questions_and_their_references(answers: dict[str, Any]) -> None:
    for reason in every_reason(assess(answers, BANK)):
        assert reason.keys, reason.code
        for key in reason.keys:
            assert BANK.has(key), (reason.code, key)
        cited = tuple(dict.fromkeys(_precise(BANK, r, reason.keys) for r in reason.references))
        assert cited == _references(BANK, reason.keys)


def test_the_assessment_is_deterministic() -> None:
    answers = with_(value_poc_result=8.0, cost_monthly=3000.0, kill_rehearsed=False)
    shuffled = dict(reversed(list(answers.items())))

    assert assess(answers, BANK) == assess(shuffled, BANK) == assess(answers, BANK)


def test_answers_to_unknown_questions_are_ignored() -> None:
    assert assess(with_(not_a_question=True), BANK) == assess(complete_answers(), BANK)


def test_reasons_read_as_written_french() -> None:
    fr = Translator("fr")
    low = assess(with_(cost_monthly=3000.0), BANK)
    missed = assess(with_(value_poc_result=8.0), BANK)

    assert describe(low.reasons[0], fr) == (
        "La dimension Coût obtient 40/100 : coût mensuel au-dessus du plafond budgétaire."
    )
    assert describe(missed.conditions[0], fr) == (
        "Montrez en usage réel que l'indicateur « handling time per invoice » atteint la cible "
        "(6 minutes) ; valeur actuelle : 8 minutes."
    )
    several = assess(without("cost_per_task", "cost_bad_output") | {"cost_monthly": 3000.0}, BANK)
    assert " ; coût par tâche inconnu ; " in describe(several.reasons[0], fr)
