"""A proportional interview: the triage sets the depth, a stop rule answers at once,
a lead raises the depth, progress tells the truth (bank v2, on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from conversations import engine, rubric
from conversations.bank import SKIPPED, Bank, BankError, QuestionDef, load_bank, parse_bank
from conversations.deciding import DECIDING
from conversations.i18n import Translator
from conversations.messages import Ask, Card, QuestionKind, Reply
from conversations.service import Service
from storage.models import Assessment, AuditEvent, Interview, Outcome, Workspace
from storage.repository import Store
from tests.support.conversation import Clock, Person, last_ask, text
from tests.support.scripts import READY, current_key, interview_at_depth
from tests.support.typed import complete_answers

BANK = load_bank()
EN = Translator("en")
BANK_FILE = Path(__file__).resolve().parents[1] / "conversations" / "banks" / "post_poc.v2.yaml"

STANDARD = {**READY, "use_setting": "Customers or the public"}

LIGHT_QUESTIONS = 29
"""What a light interview asks of READY; issue 13 asks for 30 at most. The triage
(7: the four prohibited uses in one multi-choice question), the gates (14) and the
value and cost-against-value stop rules (8: "none" as the indicator says none is
defined, "not measured" as the POC result that it was not measured) need 29 answers."""
FULL = {
    **READY,
    "tier_annex3_uses": "Hiring, task allocation, monitoring or evaluating staff",
    "tier_obligations_met": "no",
}


# -- the bank: depths are data, checked at load ------------------------------------------


def _broken(change: Any) -> str:
    data = yaml.safe_load(BANK_FILE.read_text(encoding="utf-8"))
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _question(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(q for s in data["sections"] for q in s["questions"] if q["key"] == key)


def test_a_depth_that_never_asks_a_gate_is_rejected_at_load() -> None:
    text = _broken(lambda data: _question(data, "kill_rehearsed").update(tiers=["full"]))
    with pytest.raises(BankError) as error:
        parse_bank(text)
    message = str(error.value)
    assert message.startswith(
        "kill_rehearsed: the recommendation needs this answer, but a light interview"
    )
    assert "Add light to its tiers, or imply it under depth: implied." in message


def test_an_implication_the_triage_does_not_guarantee_is_rejected() -> None:
    def loosen(data: dict[str, Any]) -> None:
        # profiling (and the declared tier) are implied only when no personal data is handled
        data["depth"]["rules"][3]["when"].pop("risk_personal_data")

    with pytest.raises(
        BankError, match=r"^tier_(declared|profiling): .* a light interview does not ask it"
    ):
        parse_bank(_broken(loosen))


def test_a_raised_depth_must_ask_what_its_lighter_triage_did_not_settle() -> None:
    """A lead may raise a light interview to standard: standard must then ask it too."""

    def drop(data: dict[str, Any]) -> None:
        _question(data, "ev_test_cases")["tiers"] = ["light", "full"]

    with pytest.raises(BankError, match=r"standard interview \(raised from light\)"):
        parse_bank(_broken(drop))


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda d: d["depth"].update(triage=["tier"]), "triage must name the first sections"),
        (
            lambda d: _question(d, "use_setting").update(tiers=["full"]),
            "use_setting: a triage question is asked at every depth",
        ),
        (lambda d: _question(d, "use_task").update(tiers=["deep"]), "use_task: tiers must be"),
        (lambda d: d["depth"]["rules"][0].update(tier="heavy"), "unknown tier"),
        (
            lambda d: d["depth"]["rules"][0].update(when={"use_task": "x"}),
            "use_task is not a triage question",
        ),
        (
            lambda d: d["depth"]["implied"][0].update(value="perhaps"),
            "'perhaps' is not an answer it can take",
        ),
    ],
)
def test_depth_mistakes_are_named(change: Any, pattern: str) -> None:
    with pytest.raises(BankError, match=re.escape(pattern)):
        parse_bank(_broken(change))


def test_every_answer_the_rubric_reads_for_its_decision_is_declared() -> None:
    """conversations.deciding lists what gates, stop rules and the cap read;
    run the rubric on varied answers and collect the keys its reasons rest on."""
    declared = DECIDING["post-poc"]
    seen: set[str] = set()
    variants: list[dict[str, Any]] = [
        complete_answers(),
        {},
        {**complete_answers(), "screen_uses": ["manipulation", "emotion"]},
        {**complete_answers(), "screen_uses": ["social_scoring"]},
        {**complete_answers(), "screen_uses": ["sensitive_categorisation"]},
        {**complete_answers(), "risk_impact": "critical", "sup_review": "none"},
        {**complete_answers(), "value_poc_result": "not_measured"},
        {**complete_answers(), "value_poc_result": 50.0},
        {**complete_answers(), "risk_level": "above", "risk_treatment": "none"},
        {**complete_answers(), "view_recommendation": "stop", "value_poc_result": 20.0},
        {**complete_answers(), "view_recommendation": "stop"},
        {
            **complete_answers(),
            "tier_annex3_uses": ["credit"],
            "tier_profiling": True,
            "tier_declared": "high",
            "tier_obligations_met": False,
        },
    ]
    for answers in variants:
        result = rubric.assess(answers, BANK, floor="full")
        reasons = [*result.reasons, *(g.reason for g in result.gates)]
        if result.outcome != Outcome.NOT_ENOUGH_INFORMATION:
            reasons = [r for r in reasons if r.code not in ("low_score", "raise_score")]
        else:
            reasons = [g.reason for g in result.gates]
        seen.update(key for reason in reasons for key in reason.keys)
    # a reason points at the question a fact is read from: screen_uses for each
    # prohibited use, value_poc_result for whether the POC measured its value
    read = {k for fact in declared for k in BANK.asked_for(fact)}
    assert seen <= read, sorted(seen - read)


def test_the_kill_switch_owner_is_waived_only_where_the_triage_rules_out_a_critical_impact() -> (
    None
):
    """kill_who decides only the stop rule on a critical impact nobody can stop: light
    and standard, whose rules exclude a critical impact, need not ask it."""
    assert BANK.tiers_of("kill_who") == {"full"}

    def allow_critical(data: dict[str, Any]) -> None:
        data["depth"]["rules"][4]["when"]["risk_impact"].append("critical")

    with pytest.raises(BankError, match=r"^kill_who: .* a standard interview does not ask it"):
        parse_bank(_broken(allow_critical))


def test_what_the_triage_settles_is_not_asked_at_standard_depth_but_still_at_full() -> None:
    reviewed = {
        "screen_uses": ["none"],
        "tier_annex3_uses": ["none"],
        "use_setting": "external",
        "risk_impact": "limited",
        "sup_review": "before",
        "risk_personal_data": False,
        "risk_autonomy": "approved",
    }
    settled = {"tier_profiling", "tier_declared", "sup_can_override"}
    standard = {q.key for q in BANK.applicable(reviewed)}
    full = {q.key for q in BANK.applicable(reviewed, "full")}
    assert BANK.possible_depths(reviewed) == ("standard",)
    assert settled.isdisjoint(standard) and settled <= full
    assert BANK.implied(reviewed, ("standard",)) == {
        "tier_profiling": False,
        "tier_declared": "minimal",
        "sup_can_override": True,
    }
    # reviewed only after the effect: nothing to settle, standard asks them
    after = {**reviewed, "sup_review": "after", "risk_autonomy": "acts_reviewed"}
    assert "sup_can_override" in {q.key for q in BANK.applicable(after)}


def test_an_implication_at_an_unknown_tier_is_rejected() -> None:
    with pytest.raises(BankError, match="implied tier_profiling: tiers must be among"):
        parse_bank(_broken(lambda d: d["depth"]["implied"][0].update(tiers=["deep"])))


def test_whether_its_cost_can_be_cut_is_asked_only_when_a_task_costs_more_than_it_saves() -> None:
    """cost_above_saving is derived from the cost and the saving (conversations.deciding)."""
    before = {k: v for k, v in complete_answers().items() if not k.startswith("cost_")}

    def asked(**cost: Any) -> bool:
        answers = {**before, **cost}
        return "cost_can_cut" in {q.key for q in BANK.applicable(answers, "full")}

    assert not asked(cost_per_task=0.04, cost_saving_minutes=7.0, cost_hour_cost=40.0)
    assert asked(cost_per_task=9.0, cost_saving_minutes=6.0, cost_hour_cost=50.0)
    assert asked(cost_per_task=3.0, cost_saving_minutes=0.0, cost_saving_money=2.5)
    assert not asked(cost_per_task=3.0, cost_saving_minutes=0.0, cost_saving_money=4.0)
    assert not asked(cost_per_task=SKIPPED, cost_saving_minutes=6.0, cost_hour_cost=50.0)
    # while the figures are not all in, it counts in the progress total
    open_cost = {**before, "cost_per_task": 9.0}
    assert "cost_can_cut" in BANK.may_apply(open_cost, "full")
    told = {**open_cost, "cost_saving_minutes": 6.0, "cost_hour_cost": 100.0}
    assert "cost_can_cut" not in BANK.may_apply(told, "full")


def test_the_better_direction_is_asked_only_when_the_baseline_and_the_target_do_not_tell_it() -> (
    None
):
    told = {k: v for k, v in complete_answers().items() if k != "value_direction"}

    def asks(**value: Any) -> bool:
        return "value_direction" in {q.key for q in BANK.applicable({**told, **value}, "full")}

    assert not asks(value_baseline=12.0, value_target=6.0)
    assert not asks(value_baseline=50.0, value_target=80.0)
    assert asks(value_baseline=10.0, value_target=10.0)
    # the rubric reads the direction the figures tell: 85 beats 50 towards 80, 40 does not
    higher = {**told, "value_baseline": 50.0, "value_target": 80.0}
    assert (
        rubric.assess({**higher, "value_poc_result": 85.0}, BANK).outcome == Outcome.INDUSTRIALISE
    )
    stopped = rubric.assess({**higher, "value_poc_result": 40.0}, BANK)
    assert [r.code for r in stopped.reasons] == ["no_better_than_baseline"]
    # a stale answer left by an edit does not count once the figures tell the direction
    assert rubric.assess(
        {**higher, "value_direction": "lower", "value_poc_result": 85.0}, BANK
    ).outcome == (Outcome.INDUSTRIALISE)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda d: d.update(derived=["cheaper"]), "derived: cheaper is not a fact"),
        (
            lambda d: _question(d, "cost_per_task").update(when={"cost_above_saving": True}),
            "cost_per_task: cost_above_saving reads cost_per_task, cost_saving_minutes",
        ),
    ],
)
def test_derived_fact_mistakes_are_named(change: Any, pattern: str) -> None:
    with pytest.raises(BankError, match=re.escape(pattern)):
        parse_bank(_broken(change))


def test_bank_draw_shows_the_depths_of_each_question() -> None:
    from conversations.bank import mermaid

    drawn = mermaid(BANK)
    assert 'use_task["use_task (text · standard, full)"]' in drawn
    assert 'kill_how["kill_how (text · full)"]' in drawn
    assert 'kill_rehearsed["kill_rehearsed (yes_no)"]' in drawn


# -- progress tells the truth --------------------------------------------------------------


def _value(question: QuestionDef) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(SKIPPED), _given(question))


def _given(question: QuestionDef) -> st.SearchStrategy[Any]:
    kinds: dict[QuestionKind, st.SearchStrategy[Any]] = {
        QuestionKind.YES_NO: st.booleans(),
        QuestionKind.CHOICE: st.sampled_from(question.choice_values or ("x",)),
        QuestionKind.MULTI_CHOICE: st.lists(
            st.sampled_from(question.choice_values or ("x",)), min_size=1, max_size=2, unique=True
        ),
        QuestionKind.NUMBER: st.floats(min_value=0, max_value=1000, allow_nan=False),
        QuestionKind.SCALE: st.integers(min_value=1, max_value=5),
        QuestionKind.TEXT: st.just("an answer"),
        QuestionKind.PERSON: st.just({"id": None, "name": "Ada"}),
        QuestionKind.DATE: st.just("2026-05-01"),
    }
    return kinds[question.type]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), floor=st.sampled_from([None, None, "standard", "full"]))
def test_the_progress_total_never_grows_along_any_answer_path(
    data: st.DataObject, floor: str | None
) -> None:
    answers: dict[str, Any] = {}
    totals: list[int] = []
    current = engine.next_question(BANK, answers, None, floor=floor)
    while current is not None:
        state = engine.InterviewState(
            1, 0, "p", engine.ACTIVE, current, None, dict(answers), depth_floor=floor
        )
        shown = engine.prompt(state, BANK, EN).progress
        position, total = (int(n) for n in shown.rsplit(" ", 1)[1].split("/"))
        assert position <= total
        totals.append(total)
        answers[current] = data.draw(_value(BANK.question(current)), label=current)
        current = engine.next_question(BANK, answers, current, floor=floor)
    assert totals == sorted(totals, reverse=True), totals
    # the last total is exactly the number of questions the path asked
    assert totals[-1] == len(totals)


# -- the interview, on storage -----------------------------------------------------------


@pytest.fixture
async def service(store: Store) -> AsyncIterator[Service]:
    yield Service(store, clock=Clock())


@pytest.fixture
async def lead(service: Service) -> Person:
    lead = Person(service, "lea")
    await lead.says("hello")  # first in the workspace: admin
    return lead


async def _rows(store: Store, model: type) -> list[Any]:
    async with store.unit() as repo:
        return list((await repo.session.execute(select(model))).scalars().all())


async def _answer_counting(
    person: Person, replies: Sequence[Reply], answers: dict[str, str]
) -> tuple[list[str], list[Reply], list[str]]:
    """Answers until no question is left; the keys asked, the last replies, everything shown."""
    asked: list[str] = []
    shown: list[str] = [text(replies)]
    current = list(replies)
    while any(isinstance(r, Ask) for r in current):
        key = current_key(current)
        asked.append(key)
        current = await person.says(answers[key])
        shown.append(text(current))
    return asked, current, shown


@pytest.mark.storage
async def test_the_owner_is_told_the_depth_and_why_in_one_sentence(lead: Person) -> None:
    await lead.runs("new Invoice agent")
    replies = await lead.says("/poc interview invoice-agent")
    asked, last, shown = await _answer_counting(lead, replies, READY)
    told = [line for part in shown for line in part.splitlines() if "depth" in line]
    assert told == [
        "This interview goes to light depth, because only staff see its outputs, a person "
        "reviews each one before it takes effect, it handles no personal data and a wrong "
        "output has at most a limited impact."
    ]
    # Issue 13 asks for 30 at most, see LIGHT_QUESTIONS
    assert len(asked) == LIGHT_QUESTIONS <= 30
    assert "Recommendation for invoice-agent: Industrialise" in text(last)


def _reasons(result: rubric.Assessment) -> tuple[Outcome, list[str], list[str]]:
    return (
        result.outcome,
        [rubric.describe(r, EN, BANK) for r in result.reasons],
        [rubric.describe(r, EN, BANK) for r in result.conditions],
    )


SCENARIOS = {
    "industrialise": READY,
    "frame": {**READY, "kill_rehearsed": "no", "sup_monitoring": "no", "ops_log_months": "3"},
    "frame, target missed": {**READY, "value_poc_result": "20", "view_recommendation": "frame"},
    "not enough information": {**READY, "run_operating_team": "skip"},
    "stop, not measured": {**READY, "value_poc_result": "not measured"},
}


@pytest.mark.storage
@pytest.mark.parametrize("story", list(SCENARIOS))
async def test_a_light_interview_gives_the_outcome_and_reasons_of_the_full_one(
    store: Store, lead: Person, story: str
) -> None:
    """The same facts, told once at light depth and once at full depth."""
    answers = SCENARIOS[story]
    await lead.runs("new Light agent")
    await lead.runs("new Full agent")
    light, _, _ = await _answer_counting(
        lead, await lead.says("/poc interview light-agent"), answers
    )
    full, _, _ = await _answer_counting(
        lead, await interview_at_depth(lead, "full-agent", "full"), answers
    )
    assert len(light) <= LIGHT_QUESTIONS and len(light) < len(full)
    results = {}
    async with store.unit() as repo:
        for handle in ("light-agent", "full-agent"):
            [poc] = [p for p in await repo.pocs(await _workspace_id(repo)) if p.handle == handle]
            stored = await repo.latest_assessment(poc.id)  # type: ignore[arg-type]
            assert stored is not None
            results[handle] = _reasons(
                rubric.Assessment.from_dict(
                    {
                        "outcome": stored.outcome,
                        "reasons": stored.reasons,
                        "conditions": stored.conditions,
                    }
                )
            )
    assert results["light-agent"] == results["full-agent"]


_LIGHT_TRIAGE = {
    "screen_uses": st.just(["none"]),
    "tier_annex3_uses": st.just(["none"]),
    "use_setting": st.just("internal"),
    "risk_impact": st.sampled_from(["negligible", "limited"]),
    "sup_review": st.just("before"),
    "risk_personal_data": st.just(False),
    "risk_autonomy": st.sampled_from(["suggests", "approved"]),
}


def _answered(question: QuestionDef) -> st.SearchStrategy[Any]:
    """Any answer a person can give (skips aside: a skipped optional answer fails a
    scored check that a light interview may be the only one to count)."""
    if question.type == QuestionKind.PERSON:
        return st.sampled_from([None, {"id": None, "name": "Ada"}])
    if question.type == QuestionKind.NUMBER:
        return st.sampled_from([0.0, 3.0, 12.0, 40.0, 400.0])
    return _given(question)


def _without_scores(result: rubric.Assessment) -> tuple[Outcome, list[str], list[str]]:
    """Outcome and reasons, but those of dimension scores: a score is over the
    questions its depth asks, so a full interview's extra answers move it."""
    scored = ("low_score", "raise_score")
    return (
        result.outcome,
        [rubric.describe(r, EN, BANK) for r in result.reasons if r.code not in scored],
        [rubric.describe(r, EN, BANK) for r in result.conditions if r.code not in scored],
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_for_light_facts_the_light_and_the_full_interview_recommend_the_same(
    data: st.DataObject,
) -> None:
    """Any answers to what a light interview asks, after a light triage; the full
    interview also gets READY's answers to what only it asks."""
    answers: dict[str, Any] = {**complete_answers()}
    for key, strategy in _LIGHT_TRIAGE.items():
        answers[key] = data.draw(strategy, label=key)
    for question in BANK.questions:
        if question.key not in _LIGHT_TRIAGE and "light" in BANK.tiers_of(question.key):
            answers[question.key] = data.draw(_answered(question), label=question.key)
    light = rubric.assess(answers, BANK)
    full = rubric.assess(answers, BANK, floor="full")
    assert BANK.depth_of(answers) is not None and BANK.depth_of(answers).tier == "light"  # type: ignore[union-attr]
    assert _without_scores(light) == _without_scores(full)


async def _workspace_id(repo: Any) -> int:
    [workspace] = (await repo.session.execute(select(Workspace))).scalars().all()
    return int(workspace.id)


@pytest.mark.storage
async def test_a_declared_prohibited_use_answers_at_once_and_asks_nothing_more(
    store: Store, lead: Person
) -> None:
    await lead.runs("new Invoice agent")
    await lead.says("/poc interview invoice-agent")
    stopped = await lead.says("4")  # question 1, its fourth use: biometric categorisation
    shown = text(stopped)
    assert not any(isinstance(r, Ask) for r in stopped)
    assert "Recommendation for invoice-agent: Stop" in shown
    assert "categorising people by sensitive traits" in shown
    assert "(rests on EU AI Act art. 5(1)(g))" in shown
    assert "A lead decides" in shown
    [card] = [r for r in stopped if isinstance(r, Card)]
    assert card.buttons[0].command == "interview invoice-agent continue"
    # recorded as an assessment, audited; the POC is now being assessed
    [assessment] = await _rows(store, Assessment)
    assert assessment.outcome == Outcome.STOP
    assert "stopped_early" in [e.action for e in await _rows(store, AuditEvent)]
    # nothing else is asked: typed text is not an answer, hello shows the stop again
    assert "Type continue to go on" in text(await lead.says("no"))
    assert "Recommendation for invoice-agent: Stop" in text(await lead.says("hello"))
    again = await lead.says("/poc interview invoice-agent")
    assert not any(isinstance(r, Ask) for r in again)
    # going on for the record asks the next question, and no stop interrupts it again
    going = await lead.says("continue")
    assert current_key(going) == "tier_annex3_uses"
    [interview] = await _rows(store, Interview)
    assert interview.early_stop == "continued"
    _, last, _ = await _answer_counting(lead, going, {**FULL, "value_poc_result": "not measured"})
    assert "Recommendation for invoice-agent: Stop" in text(last)


@pytest.mark.storage
async def test_the_continue_button_goes_on_for_the_record(lead: Person) -> None:
    await lead.runs("new Invoice agent")
    await lead.says("/poc interview invoice-agent")
    [card] = [r for r in await lead.says("1") if isinstance(r, Card)]
    going = await lead.runs(card.buttons[0].command, channel="D-lea")
    assert current_key(going) == "tier_annex3_uses"


@pytest.mark.storage
async def test_an_edit_that_lifts_the_stop_lets_the_interview_go_on(lead: Person) -> None:
    await lead.runs("new Invoice agent")
    await lead.says("/poc interview invoice-agent")
    await lead.says("1")
    await lead.says("/poc edit invoice-agent screen_uses")
    going = await lead.says("none of these")
    assert current_key(going) == "tier_annex3_uses"


@pytest.mark.storage
async def test_a_lead_raises_the_depth_and_never_lowers_it(store: Store, lead: Person) -> None:
    await lead.runs("new Invoice agent")
    replies = await lead.says("/poc interview invoice-agent")
    for _ in range(7):  # the triage, for a standard POC
        replies = await lead.says(STANDARD[current_key(replies)])
    progress = last_ask(replies).progress
    assert progress.endswith("/41"), progress  # 38 asked (test_console.py), the saving's
    # two ways (time or money) both count until it is answered
    refused = text(await lead.says("/poc depth invoice-agent light"))
    assert "The triage answers set invoice-agent to standard depth" in refused
    raised = text(await lead.says("/poc depth invoice-agent full"))
    assert "invoice-agent now goes to full depth: 70 questions can still apply." in raised
    # the owner stays on the question they were at; full adds the risk-tier questions
    # before it that the standard triage had settled (asked after, from the top)
    assert last_ask(await lead.says("/poc interview invoice-agent")).progress.endswith("12/77")
    [interview] = await _rows(store, Interview)
    assert interview.depth_floor == "full"
    [event] = [e for e in await _rows(store, AuditEvent) if e.action == "depth_raised"]
    assert event.detail == {"depth": "full", "triage": "standard", "previous": None}
    # a member may not, and nothing changes
    member = Person(lead.service, "max")
    await member.says("hi")
    assert "Only a lead" in text(await member.runs("depth invoice-agent full"))
    assert "Usage: depth <poc> standard|full" in text(await lead.runs("depth invoice-agent deep"))


@pytest.mark.storage
async def test_depth_is_listed_in_help(lead: Person) -> None:
    assert "depth <poc> standard|full" in text(await lead.says("help"))


def _first_keys(bank: Bank) -> list[str]:
    return [q.key for q in bank.questions[:7]]


def test_the_triage_comes_first() -> None:
    assert _first_keys(BANK) == [
        "screen_uses",
        "tier_annex3_uses",
        "use_setting",
        "risk_impact",
        "sup_review",
        "risk_personal_data",
        "risk_autonomy",
    ]
