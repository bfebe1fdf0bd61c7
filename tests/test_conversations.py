"""The core end to end, as people use it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from conversations.bank import load_bank
from conversations.engine import read_token
from conversations.handlers import make_handle
from conversations.messages import Ask, Card, QuestionKind, Say, Visibility
from conversations.service import Service
from storage.models import Answer, AuditEvent, Decision, Indicator, Poc, Reading, Stage
from storage.repository import Store
from tests.support.conversation import Clock, Person, last_ask, text
from tests.support.scripts import (
    READY,
    answer_until_done,
    asked_in_order,
    current_key,
    interview_at_depth,
)

pytestmark = pytest.mark.storage


@pytest.fixture
async def service(store: Store) -> AsyncIterator[Service]:
    yield Service(store, clock=Clock())


@pytest.fixture
async def lead(service: Service) -> Person:
    lead = Person(service, "lea")
    await lead.says("hello")  # first in the workspace: admin
    return lead


async def register(lead: Person, title: str = "Invoice agent") -> str:
    handle = make_handle(title, set())
    assert handle in text(await lead.runs(f"new {title}"))
    return handle


async def rows(store: Store, model: type) -> list:
    async with store.unit() as repo:
        return list((await repo.session.execute(select(model))).scalars().all())


async def test_a_complete_interview_ends_with_a_recommendation_and_its_reasons(
    store: Store, lead: Person
) -> None:
    handle = await register(lead)
    first = await interview_at_depth(lead, handle, "full")  # every question, the unit too
    assert current_key(first) == "screen_uses"
    last = await answer_until_done(lead, first)
    shown = text(last)
    assert "Recommendation for invoice-agent: Industrialise" in shown
    assert "Claire Martin is the named business manager." in shown
    [poc] = await rows(store, Poc)
    assert poc.stage == Stage.ASSESSING
    [indicator] = await rows(store, Indicator)
    assert (
        indicator.name,
        indicator.unit,
        indicator.baseline,
        indicator.target,
        indicator.direction,
    ) == (
        "handling time per invoice",
        "minutes",
        40.0,
        15.0,
        "lower",
    )


async def test_missing_answers_are_named_in_the_recommendation(lead: Person) -> None:
    handle = await register(lead)
    replies = await interview_at_depth(lead, handle, "full")  # kill_how is asked at full depth
    answers = {**READY, "owner_business_manager": "skip", "kill_how": "skip"}
    last = await answer_until_done(lead, replies, answers)
    shown = text(last)
    assert "Not enough information" in shown
    assert "Business manager" in shown and "How to stop it" in shown


async def test_a_prohibited_use_stops_the_agent_even_before_the_end(lead: Person) -> None:
    handle = await register(lead)
    await lead.says(f"/poc interview {handle}")
    await lead.says("Infers the emotions of people at work or in education")
    summary = text(await lead.says(f"/poc summary {handle}"))
    assert "Recommendation: Stop" in summary


async def test_the_interview_resumes_exactly_where_it_stopped_after_a_restart(
    store: Store, lead: Person
) -> None:
    handle = await register(lead)
    replies = await lead.says(f"/poc interview {handle}")
    for _ in range(12):
        replies = await lead.says(READY[current_key(replies)])
    waiting = current_key(replies)

    restarted = Person(Service(store, clock=Clock()), "lea")
    assert current_key(list(await restarted.service.pending(restarted.actor))) == waiting
    resumed = await restarted.says(f"/poc interview {handle}")
    assert current_key(resumed) == waiting
    assert len(await rows(store, Answer)) == 12


async def test_pause_then_interview_resumes(lead: Person) -> None:
    handle = await register(lead)
    replies = await lead.says(f"/poc interview {handle}")
    replies = await lead.says("no")
    assert "Paused" in text(await lead.says("pause"))
    assert "I didn't understand" in text(await lead.says("no"))
    assert current_key(await lead.says(f"/poc interview {handle}")) == current_key(replies)


BAD_INPUT = {
    QuestionKind.YES_NO: "perhaps",
    QuestionKind.CHOICE: "purple",
    QuestionKind.MULTI_CHOICE: "42",
    QuestionKind.NUMBER: "a lot",
    QuestionKind.PERSON: "!!!",
    QuestionKind.DATE: "2026-02-30",
    QuestionKind.SCALE: "9",
    QuestionKind.TEXT: "   ",
}


async def test_bad_input_at_every_question_type_gets_a_clear_re_ask(
    store: Store, lead: Person
) -> None:
    bank = load_bank()
    handle = await register(lead)
    replies = await interview_at_depth(lead, handle, "full")  # every question type
    tried: set[QuestionKind] = set()
    while any(isinstance(r, Ask) for r in replies):
        ask = last_ask(replies)
        key = current_key(replies)
        if ask.kind not in tried:
            tried.add(ask.kind)
            again = await lead.says(BAD_INPUT[ask.kind])
            retry = last_ask(again)
            assert retry.token == ask.token, f"{key} moved on after bad input"
            assert retry.error, f"{key}: no explanation"
            assert retry.text == bank.question(key).text.en
            assert "Traceback" not in text(again)
        replies = await lead.says(READY[key])
    assert tried == set(QuestionKind)
    # one answer per question asked (READY also answers questions its figures make moot)
    assert len(await rows(store, Answer)) == len(asked_in_order(READY, "full"))


@pytest.mark.parametrize(
    "answer",
    [
        "x" * 10_000,
        "Gain de temps 🚀🎉 — «vraiment» 👩🏽‍💻",
        "يقرأ الفواتير ويقترح القيد المحاسبي",
        "קורא חשבוניות",
    ],
    ids=["10k", "emoji", "arabic", "hebrew"],
)
async def test_long_emoji_and_right_to_left_answers_are_stored_and_shown_intact(
    store: Store, lead: Person, answer: str
) -> None:
    handle = await register(lead)
    replies = await interview_at_depth(lead, handle, "full")  # use_users is asked at full depth
    while current_key(replies) != "use_users":
        replies = await lead.says(READY[current_key(replies)])
    await lead.says(answer)
    stored = [a for a in await rows(store, Answer) if a.question_key == "use_users"]
    assert [a.value for a in stored] == [answer]
    assert f"Users: {answer}" in text(await lead.says(f"/poc summary {handle}"))


async def test_a_stale_prompt_is_refused_instead_of_answering_the_next_question(
    store: Store, lead: Person
) -> None:
    handle = await register(lead)
    replies = await lead.says(f"/poc interview {handle}")
    token = last_ask(replies).token
    await lead.says("no", reply_to=token)
    second = await lead.says("yes", reply_to=token)  # the other device still shows question 1
    assert "already answered" in text(second)
    assert [a.question_key for a in await rows(store, Answer)] == ["screen_uses"]


async def test_two_devices_pressing_the_same_button_at_once_record_one_answer(
    store: Store, lead: Person
) -> None:
    handle = await register(lead)
    ask = last_ask(await lead.says(f"/poc interview {handle}"))
    phone = Person(Service(store, clock=Clock()), "lea")
    results = await asyncio.gather(lead.presses(ask, "none"), phone.presses(ask, "manipulation"))
    shown = [text(r) for r in results]
    assert sum("already answered" in s or "a moment ago" in s for s in shown) == 1
    assert len(await rows(store, Answer)) == 1


async def test_a_redelivered_event_changes_nothing(store: Store, lead: Person) -> None:
    handle = await register(lead)
    await lead.says(f"/poc interview {handle}")
    first = await lead.says("no", delivery_id="Ev1")
    again = await lead.says("no", delivery_id="Ev1")
    assert first and again == []
    assert len(await rows(store, Answer)) == 1


async def test_changing_an_answer_keeps_its_history_and_audits_it(
    store: Store, lead: Person
) -> None:
    handle = await register(lead)
    replies = await interview_at_depth(lead, handle, "full")  # with the unit, minutes
    await answer_until_done(lead, replies)
    edit = await lead.says(f"/poc edit {handle} value_poc_result")
    assert last_ask(edit).current == "12 minutes"
    after = await lead.says("20")  # worse than the 15-minute target
    assert "Frame" in text(after)
    history = text(await lead.says(f"/poc history {handle} value_poc_result"))
    assert "12 minutes" in history and "20 minutes" in history and "replaced" in history
    audits = [e.action for e in await rows(store, AuditEvent)]
    assert "answer_changed" in audits


async def test_members_are_refused_lead_commands_and_nothing_changes(
    store: Store, lead: Person
) -> None:
    handle = await register(lead)
    member = Person(lead.service, "max")
    before = len(await rows(store, AuditEvent))
    for command in (
        "new Another agent",
        f"decide {handle} stop Not worth it",
        f"owner {handle} @max",
        "role @max lead",
        f"interview {handle}",
        f"reading {handle} 12",
    ):
        replies = await member.runs(command)
        assert any(
            word in text(replies) for word in ("Only a lead", "Only an admin", "Only the owner")
        ), command
    assert len(await rows(store, Poc)) == 1
    assert await rows(store, Decision) == []
    assert len(await rows(store, AuditEvent)) == before


async def test_an_owner_named_by_a_lead_can_take_the_interview(store: Store, lead: Person) -> None:
    handle = await register(lead)
    owner = Person(lead.service, "omar")
    await owner.says("hi")
    assert "now owns" in text(await lead.runs(f"owner {handle} @omar"))
    assert current_key(await owner.says(f"/poc interview {handle}")) == "screen_uses"


async def test_a_lead_records_a_decision_that_the_channel_sees(store: Store, lead: Person) -> None:
    handle = await register(lead)
    await answer_until_done(lead, await lead.says(f"/poc interview {handle}"))
    replies = await lead.runs(f"decide {handle} frame Good value; rehearse the kill switch again")
    [card] = [r for r in replies if isinstance(r, Card)]
    assert card.visibility is Visibility.CHANNEL and "Frame" in card.title
    [poc] = await rows(store, Poc)
    assert poc.stage == Stage.FRAMED and poc.review_date is not None
    [decision] = await rows(store, Decision)
    assert decision.rationale == "Good value; rehearse the kill switch again"


async def test_a_decision_needs_a_rationale(store: Store, lead: Person) -> None:
    handle = await register(lead)
    assert "Say why" in text(await lead.runs(f"decide {handle} stop"))
    assert "Usage" in text(await lead.runs(f"decide {handle} maybe because"))
    assert await rows(store, Decision) == []


async def test_a_reading_is_recorded_against_the_indicator(store: Store, lead: Person) -> None:
    handle = await register(lead)
    await answer_until_done(lead, await interview_at_depth(lead, handle, "full"))
    assert "Recorded 13 minutes" in text(await lead.runs(f"reading {handle} 13"))
    assert "number" in text(await lead.runs(f"reading {handle} thirteen")).lower()
    assert [r.value for r in await rows(store, Reading)] == [13.0]


async def test_a_reading_may_carry_its_unit(store: Store, lead: Person) -> None:
    handle = await register(lead)
    await answer_until_done(lead, await lead.says(f"/poc interview {handle}"))
    assert "Recorded 13 minutes" in text(await lead.runs(f"reading {handle} 13 minutes"))
    assert "Recorded 12.5 minutes" in text(await lead.runs(f"reading {handle} 12.5 min"))
    # A duration in another unit is converted (hours to the indicator's minutes).
    converted = text(await lead.runs(f"reading {handle} 2 hours"))
    assert "has no indicator" not in converted and "Recorded 120 minutes" in converted
    assert [r.value for r in await rows(store, Reading)] == [13.0, 12.5, 120.0]


async def test_workspaces_never_see_each_others_pocs(lead: Person) -> None:
    handle = await register(lead, "Secret pricing agent")
    rival = Person(lead.service, "eve", workspace="test:rival")
    await rival.says("hello")
    portfolio = text(await rival.runs("list"))
    assert "Secret" not in portfolio and handle not in portfolio
    assert "There is no POC called" in text(await rival.runs(f"summary {handle}"))
    assert "There is no POC called" in text(await rival.says(f"/poc interview {handle}"))


async def test_summary_post_is_shared_with_the_channel_otherwise_private(lead: Person) -> None:
    handle = await register(lead)
    [private] = [r for r in await lead.runs(f"summary {handle}") if isinstance(r, Card)]
    [shared] = [r for r in await lead.runs(f"summary {handle} post") if isinstance(r, Card)]
    assert private.visibility is Visibility.PRIVATE and shared.visibility is Visibility.CHANNEL


async def test_help_and_unknown_commands(lead: Person) -> None:
    assert "decide <poc>" in text(await lead.says("help"))
    assert "I don't know the command frobnicate" in text(await lead.runs("frobnicate"))


async def test_a_french_speaker_is_interviewed_in_french(service: Service) -> None:
    claire = Person(service, "claire", locale="fr_FR")
    await claire.says("bonjour")
    handle = await register(claire, "Agent factures")
    replies = await claire.says(f"/poc interview {handle}")
    assert last_ask(replies).text.startswith("L'agent fait-il l'une de ces choses")
    replies = await claire.says("aucune")
    assert read_token(last_ask(replies).token).key == "tier_annex3_uses"


async def test_the_first_person_administers_a_new_workspace_and_can_hand_over(
    store: Store, lead: Person
) -> None:
    other = Person(lead.service, "noa")
    await other.says("hello")
    assert "Only a lead" in text(await other.runs("new Thing"))
    assert "noa is now lead" in text(
        await lead.runs("role noa lead")
    ).lower() or "Noa is now lead" in text(await lead.runs("role noa lead"))
    assert "Registered" in text(await other.runs("new Thing"))
    assert "only admin" in text(await lead.runs("role lea member"))
    assert isinstance((await lead.runs("role lea member"))[0], Say)


async def test_home_shows_the_persons_pocs_and_the_way_back_into_the_interview(
    lead: Person,
) -> None:
    handle = await register(lead)
    await lead.says(f"/poc interview {handle}")
    await lead.says("no")
    [card] = await lead.runs("home")
    assert isinstance(card, Card)
    shown = text([card])
    assert "1 of" in shown and "Next question: Annex III uses" in shown
    assert "Health: 🟠 amber — no named business manager" in shown
    assert [b.command for b in card.buttons] == [f"interview {handle}"]
    assert "You own no POC yet" in text(await Person(lead.service, "zoe").runs("home"))


async def test_a_first_message_and_its_redelivery_at_once_are_handled_once(store: Store) -> None:
    stranger = Person(Service(store, clock=Clock()), "nina", workspace="test:fresh")
    twin = Person(Service(store, clock=Clock()), "nina", workspace="test:fresh")
    first, second = await asyncio.gather(
        stranger.says("hello", delivery_id="Ev9"), twin.says("hello", delivery_id="Ev9")
    )
    assert sorted([bool(first), bool(second)]) == [False, True]
    assert "Sorry" not in text(first + second)


async def test_help_during_an_interview_says_what_the_bot_does_and_why_the_question(
    lead: Person,
) -> None:
    handle = await register(lead)
    await lead.says(f"/poc interview {handle}")
    shown = text(await lead.says("help"))
    assert "decide <poc>" in shown and "EU AI Act art. 5(1)(a)-(c), (f), (g)" in shown
    assert "[invoice-agent · Prohibited uses · 1/" in shown
