"""The interview step, without storage: what a person is asked next."""

from __future__ import annotations

from typing import Any

import pytest

from conversations import engine
from conversations.bank import SKIPPED, load_bank
from conversations.i18n import Translator
from conversations.messages import Answered, Ask, QuestionKind, Say

BANK = load_bank()
EN = Translator("en")
FR = Translator("fr")


def state(
    current: str | None, answers: dict[str, Any] | None = None, **changes: Any
) -> engine.InterviewState:
    values = {
        "interview_id": 7,
        "revision": 3,
        "poc_handle": "invoice-agent",
        "status": engine.ACTIVE,
        "current": current,
        "editing": None,
        "answers": answers or {},
    }
    values.update(changes)
    return engine.InterviewState(**values)


def asked(step: engine.Step) -> Ask:
    asks = [r for r in step.replies if isinstance(r, Ask)]
    assert asks, step.replies
    return asks[-1]


def test_a_new_interview_starts_at_the_first_question_with_its_progress() -> None:
    step = engine.start(state(None), BANK, EN)
    ask = asked(step)
    assert engine.read_token(ask.token) == engine.Token(7, 4, "screen_uses")
    # Nothing is decided yet: every question can still apply, at any depth.
    assert ask.progress == f"Prohibited uses · 1/{len(BANK.questions)}"
    assert ask.kind is QuestionKind.MULTI_CHOICE
    assert ask.choices[-1].label == "None of these"
    assert step.state_changed and step.state.current == "screen_uses"


def test_a_valid_answer_is_recorded_settles_the_prompt_and_asks_the_next() -> None:
    before = state("screen_uses")
    step = engine.advance(before, engine.Respond(text="none of these"), BANK, EN)
    assert step.recorded == engine.Recorded("screen_uses", ["none"])
    settled = [r for r in step.replies if isinstance(r, Answered)]
    assert settled and settled[0].token == engine.token_for(before, "screen_uses")
    assert "None of these" in settled[0].summary
    assert engine.read_token(asked(step).token) == engine.Token(7, 4, "tier_annex3_uses")


def test_an_invalid_answer_re_asks_the_same_question_with_a_reason_and_records_nothing() -> None:
    before = state("use_weekly_volume")
    step = engine.advance(before, engine.Respond(text="lots"), BANK, EN)
    assert step.recorded is None and not step.state_changed
    ask = asked(step)
    assert ask.token == engine.token_for(before, "use_weekly_volume")
    assert ask.text == BANK.question("use_weekly_volume").text.en
    assert ask.error and "number" in ask.error


def test_a_condition_skips_questions_that_do_not_apply() -> None:
    """ "not measured" as the POC result: nothing to ask about its cases."""
    defined = {"value_indicator": "handling time"}
    for typed in ("not measured", "Non mesuré"):
        step = engine.advance(
            state("value_poc_result", defined), engine.Respond(text=typed), BANK, EN
        )
        assert step.recorded == engine.Recorded("value_poc_result", "not_measured")
        assert step.state.current == "value_alternative"
        [settled] = [r for r in step.replies if isinstance(r, Answered)]
        assert settled.summary.endswith("→ not measured")
    answers = {**defined, "value_poc_result": "not_measured"}
    assert "value_poc_cases" not in [q.key for q in BANK.applicable(answers)]


def test_a_condition_brings_in_questions_that_now_apply() -> None:
    defined = {"value_indicator": "handling time"}
    step = engine.advance(state("value_poc_result", defined), engine.Respond(text="5"), BANK, EN)
    assert step.state.current == "value_poc_cases"


def test_a_number_question_that_takes_a_word_says_so() -> None:
    defined = {"value_indicator": "handling time", "value_unit": "minutes"}
    ask = asked(engine.start(state("value_poc_result", defined), BANK, FR))
    assert ask.hint == "Tapez un nombre en minutes, par exemple 5. Ou tapez « non mesuré »."
    refused = engine.advance(
        state("value_poc_result", defined), engine.Respond(text="lots"), BANK, EN
    )
    assert asked(refused).error == (
        "Please give the number in minutes, for example 5. Or type “not measured”."
    )


def test_skip_records_a_skip_and_moves_on() -> None:
    step = engine.advance(state("owner_sponsor"), engine.Skip(), BANK, EN)
    assert step.recorded == engine.Recorded("owner_sponsor", None, skipped=True)
    assert step.state.current == "owner_decider"


def test_back_returns_to_the_previous_applicable_question_showing_its_answer() -> None:
    answers = {"kill_rehearsed": False}
    step = engine.advance(state("ops_rules_published", answers), engine.Back(), BANK, EN)
    ask = asked(step)
    assert step.state.current == "kill_rehearsed" and ask.current == "No"
    assert step.recorded is None


def test_back_at_the_first_question_says_so() -> None:
    step = engine.advance(state("screen_uses"), engine.Back(), BANK, EN)
    assert not step.state_changed
    assert isinstance(step.replies[0], Say) and "first question" in step.replies[0].text


def test_answering_after_back_goes_on_to_the_first_unanswered_question() -> None:
    answers = {
        "owner_business_manager": {"id": None, "name": "Ana"},
        "owner_technical": {"id": None, "name": "Bo"},
    }
    step = engine.advance(
        state("owner_business_manager", answers), engine.Respond(text="Claire"), BANK, EN
    )
    assert step.state.current == "owner_sponsor"


def test_pause_and_back_leave_no_live_buttons_on_the_question_left() -> None:
    """The question paused on, or gone back from, is settled as left: its message
    says so and loses its buttons, with no answer to edit."""
    before = state("risk_main")
    [left, said] = engine.advance(before, engine.Pause(), BANK, EN).replies
    assert isinstance(left, Answered) and isinstance(said, Say)
    assert left.left and left.token == engine.token_for(before, "risk_main")
    assert left.summary.endswith("→ paused")
    answers = {"kill_rehearsed": False}
    going_back = state("ops_rules_published", answers)
    behind, ask = engine.advance(going_back, engine.Back(), BANK, FR).replies
    assert isinstance(behind, Answered) and isinstance(ask, Ask)
    assert behind.left and behind.token == engine.token_for(going_back, "ops_rules_published")
    assert behind.summary.endswith("→ pas encore répondu : retour à la question précédente")


def test_pause_keeps_the_place_and_resume_asks_the_same_question() -> None:
    paused = engine.advance(state("risk_main"), engine.Pause(), BANK, EN).state
    assert paused.status == engine.PAUSED and paused.current == "risk_main"
    resumed = engine.advance(paused, engine.Resume(), BANK, EN)
    assert resumed.state.status == engine.ACTIVE and asked(resumed).token.endswith(".risk_main")


def test_help_explains_why_the_question_is_asked_without_moving() -> None:
    step = engine.advance(state("screen_uses"), engine.Explain(), BANK, EN)
    assert not step.state_changed
    shown = "\n".join(r.text for r in step.replies if isinstance(r, Say))
    assert "Why we ask: EU AI Act art. 5(1)(a)-(c), (f), (g)." in shown


def test_editing_an_answer_returns_to_where_the_interview_was() -> None:
    answers = {"owner_business_manager": {"id": None, "name": "Ana"}}
    editing = engine.advance(
        state("use_users", answers), engine.Edit("owner_business_manager"), BANK, EN
    )
    assert asked(editing).current == "Ana"
    step = engine.advance(editing.state, engine.Respond(text="Claire"), BANK, EN)
    assert step.recorded == engine.Recorded(
        "owner_business_manager", {"id": None, "name": "Claire"}
    )
    assert step.state.current == "use_users" and step.state.editing is None


def test_the_last_answer_completes_the_interview() -> None:
    answers = {q.key: "x" for q in BANK.questions if q.key != "view_why"}
    step = engine.advance(state("view_why", answers), engine.Respond(text="Because"), BANK, EN)
    assert step.completed and step.state.status == engine.COMPLETE and step.state.current is None


def test_a_skipped_question_counts_as_visited_for_the_flow() -> None:
    assert engine.next_question(BANK, {"screen_uses": SKIPPED}, None) == "tier_annex3_uses"


def test_an_answer_to_a_question_that_no_longer_applies_is_ignored() -> None:
    answers = {"value_indicator": "none", "value_poc_result": 12.0}
    assert "value_poc_result" not in engine.effective_answers(BANK, answers)


def test_questions_are_asked_in_the_persons_language() -> None:
    ask = asked(engine.start(state(None), BANK, FR))
    assert ask.text == BANK.question("screen_uses").text.fr
    assert ask.progress.startswith("Usages interdits")


@pytest.mark.parametrize("raw", ["", "7", "7.x.key", "a.b.c"])
def test_malformed_tokens_are_not_read(raw: str) -> None:
    assert engine.read_token(raw) is None


def test_skip_pause_and_back_are_offered_where_they_apply() -> None:
    first = asked(engine.start(state(None), BANK, EN))
    assert [m.move.value for m in first.moves] == ["skip", "pause"], "no back on the first"
    later = asked(engine.advance(state("screen_uses"), engine.Respond(text="5"), BANK, FR))
    assert [(m.move.value, m.label) for m in later.moves] == [
        ("skip", "Passer"),
        ("back", "Retour"),
        ("pause", "Pause"),
    ]
    editing = engine.advance(state("use_setting"), engine.Edit("screen_uses"), BANK, EN)
    offered = [m.move.value for m in asked(editing).moves]
    assert offered == ["back", "pause"], "back leaves the edit; skip would lose the answer"


def test_a_question_that_may_not_be_skipped_offers_no_skip_and_refuses_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "owner_sponsor"
    place, question, section = BANK._by_key[key]
    required = question.model_copy(update={"skippable": False})
    monkeypatch.setitem(BANK._by_key, key, (place, required, section))
    ask = asked(engine.start(state(key), BANK, EN))
    assert "skip" not in [m.move.value for m in ask.moves]

    step = engine.advance(state(key), engine.Skip(), BANK, EN)

    assert step.recorded is None and not step.state_changed
    assert asked(step).error == "This question can't be skipped."


def test_an_answered_question_shows_a_long_answer_cut() -> None:
    long = " ".join(["word"] * 400)
    step = engine.advance(state("use_task"), engine.Respond(text=long), BANK, EN)
    [settled] = [r for r in step.replies if isinstance(r, Answered)]
    shown = settled.summary.split(" → ", 1)[1]
    assert shown.endswith("…") and 250 < len(shown) <= engine.ANSWER_SHOWN + 1


def test_none_as_the_value_indicator_skips_the_questions_about_its_values() -> None:
    # bank v2 asks no separate "indicator defined?": "none" (or "aucun") says it
    for none in ("none", "Aucun"):
        keys = [q.key for q in BANK.applicable({"value_indicator": none})]
        assert "value_baseline" not in keys and "value_poc_result" not in keys
    assert "value_baseline" in [q.key for q in BANK.applicable({"value_indicator": "time"})]
