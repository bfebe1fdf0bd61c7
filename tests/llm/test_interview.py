"""The interview with a language model, through the core, as people use it:
one follow-up after a vague answer, numbers read out of free text, and the
interview exactly as before whenever the model is absent, slow, failing or
wrong."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from sqlmodel import col, select

from conversations.llm import Assistant
from conversations.messages import Answered, Ask, Say
from conversations.service import Service
from storage.models import Answer, AuditEvent, Interview
from storage.repository import Store
from tests.llm.fakes import FakeModel, assistant, scripted, structured
from tests.llm.support import CHANGE, FOLLOW_UP, VAGUE, answer_until, by_rule
from tests.support.conversation import Clock, Person, last_ask, text
from tests.support.scripts import READY, answer_until_done, current_key, interview_at_depth

pytestmark = pytest.mark.storage


async def started(store: Store, model: Assistant | None = None) -> Person:
    """Léa, admin and lead, with Invoice agent registered and its interview begun."""
    lea = Person(Service(store, clock=Clock(), assistant=model), "lea")
    await lea.says("hello")
    await lea.runs("new Invoice agent")
    return lea


async def answers(store: Store, key: str) -> list[Answer]:
    async with store.unit() as repo:
        found = await repo.session.execute(
            select(Answer).where(Answer.question_key == key).order_by(col(Answer.id))
        )
        return list(found.scalars().all())


async def at(lea: Person, key: str, script: dict[str, str] = READY) -> list:
    first = await interview_at_depth(lea, "invoice-agent", "full")  # free text is asked there
    return await answer_until(lea, first, key, script)


# -- follow-ups -------------------------------------------------------------------------


async def test_a_vague_answer_gets_one_follow_up_added_to_it(store: Store) -> None:
    model = by_rule()
    lea = await started(store, assistant(model))
    await at(lea, "use_task")

    asked = await lea.says(VAGUE)
    follow_up = last_ask(asked)
    assert follow_up.text == FOLLOW_UP
    assert follow_up.current == VAGUE, "the vague answer is shown"
    assert "language model" in follow_up.hint
    assert current_key(asked) == "use_task"
    assert any(isinstance(r, Answered) for r in asked), "the question itself is settled"

    after = await lea.says("10 hours a week for 6 clerks", reply_to=follow_up.token)
    assert current_key(after) == "use_weekly_volume"
    settled = [r for r in after if isinstance(r, Answered)]
    assert settled and settled[0].token == follow_up.token
    history = await answers(store, "use_task")
    assert [a.value for a in history] == [VAGUE, f"{VAGUE}\n10 hours a week for 6 clerks"]
    assert history[0].superseded_at is not None, "the vague answer stays in the history"


async def test_at_most_one_follow_up_per_question(store: Store) -> None:
    model = by_rule()
    lea = await started(store, assistant(model))
    await at(lea, "use_task")
    await lea.says(VAGUE)
    await lea.says("skip")
    asked_before = len(model.received)

    back = await lea.says("back")
    assert current_key(back) == "use_task"
    again = await lea.says(VAGUE)
    assert current_key(again) == "use_weekly_volume", "vague again: no second follow-up"
    assert last_ask(again).text != FOLLOW_UP
    assert len(model.received) == asked_before, "the model is not even asked"


async def test_skip_leaves_the_answer_as_it_was(store: Store) -> None:
    lea = await started(store, assistant(by_rule()))
    await at(lea, "use_task")
    await lea.says(VAGUE)
    skipped = await lea.says("skip")
    assert current_key(skipped) == "use_weekly_volume"
    assert [a.value for a in await answers(store, "use_task")] == [VAGUE]


async def test_help_during_a_follow_up_asks_it_again(store: Store) -> None:
    lea = await started(store, assistant(by_rule()))
    await at(lea, "use_task")
    await lea.says(VAGUE)
    helped = await lea.says("help")
    assert last_ask(helped).text == FOLLOW_UP


async def test_back_during_a_follow_up_drops_it_and_goes_back(store: Store) -> None:
    lea = await started(store, assistant(by_rule()))
    await at(lea, "use_task")
    await lea.says(VAGUE)
    back = await lea.says("back")
    assert current_key(back) == "use_task"
    assert last_ask(back).text != FOLLOW_UP
    kept = await lea.says("Reads supplier invoices")
    assert current_key(kept) == "use_weekly_volume"


async def test_a_follow_up_waiting_survives_a_restart(store: Store) -> None:
    lea = await started(store, assistant(by_rule()))
    await at(lea, "use_task")
    await lea.says(VAGUE)

    # Another process, another replica: nothing in memory, all in the database.
    again = Person(Service(store, clock=Clock(), assistant=assistant(by_rule())), "lea")
    shown = await again.service.pending(again.actor)
    assert last_ask(list(shown)).text == FOLLOW_UP
    resumed = await again.says("/poc interview invoice-agent")
    assert last_ask(resumed).text == FOLLOW_UP
    after = await again.says("6 clerks, 10 hours a week")
    assert current_key(after) == "use_weekly_volume"
    async with store.unit() as repo:
        [interview] = (await repo.session.execute(select(Interview))).scalars().all()
    assert interview.context["follow_ups"]["done"] == ["use_task"]
    assert interview.context["follow_ups"]["waiting"] is None


async def test_a_redelivered_answer_does_not_ask_twice(store: Store) -> None:
    model = by_rule()
    lea = await started(store, assistant(model))
    await at(lea, "use_task")
    first = await lea.says(VAGUE, delivery_id="Ev1")
    assert last_ask(first).text == FOLLOW_UP
    asked = len(model.received)
    assert await lea.says(VAGUE, delivery_id="Ev1") == []
    assert len(model.received) == asked
    async with store.unit() as repo:
        events = (await repo.session.execute(select(AuditEvent))).scalars().all()
    assert not [e for e in events if e.action == "follow_up_answered"]


async def test_an_edit_never_gets_a_follow_up(store: Store) -> None:
    model = by_rule()
    lea = await started(store, assistant(model))
    await at(lea, "use_weekly_volume")
    await lea.says("/poc edit invoice-agent use_task")
    asked = len(model.received)
    edited = await lea.says(VAGUE)
    assert current_key(edited) == "use_weekly_volume"
    assert len(model.received) == asked


async def test_a_follow_up_answer_too_long_is_refused_and_asked_again(store: Store) -> None:
    lea = await started(store, assistant(by_rule()))
    await at(lea, "use_task")
    await lea.says(VAGUE)
    refused = await lea.says("x" * 10_000)
    assert last_ask(refused).text == FOLLOW_UP
    assert last_ask(refused).error
    assert [a.value for a in await answers(store, "use_task")] == [VAGUE]


# -- numbers in free text ----------------------------------------------------------------


async def test_a_number_is_read_out_of_free_text_and_said_back(store: Store) -> None:
    lea = await started(store, assistant(by_rule()))
    await at(lea, "value_baseline")
    replies = await lea.says(f"It went {CHANGE}")
    said = [r.text for r in replies if isinstance(r, Say)]
    assert said == ["I read that as 40 minutes."]
    assert current_key(replies) == "value_target"
    assert [a.value for a in await answers(store, "value_baseline")] == [40.0]


async def test_a_number_outside_the_question_bounds_is_not_taken(store: Store) -> None:
    model = scripted(structured("Extracted", value=150, evidence="hundred and fifty"))
    lea = await started(store, assistant(model))
    await at(lea, "risk_error_rate")
    replies = await lea.says("about a hundred and fifty percent")
    assert current_key(replies) == "risk_error_rate"
    assert last_ask(replies).error
    assert await answers(store, "risk_error_rate") == []


async def test_plain_digits_are_never_sent_to_the_model(store: Store) -> None:
    model = by_rule()
    lea = await started(store, assistant(model))
    await at(lea, "risk_error_rate")
    before = len(model.received)
    refused = await lea.says("150")
    assert last_ask(refused).error
    assert len(model.received) == before


# -- the deterministic fallback ------------------------------------------------------------


def broken_models() -> dict[str, Callable[[], FakeModel]]:
    return {
        "absent": lambda: FakeModel(),  # replaced by no assistant below
        "slow": lambda: FakeModel(slow=True),
        "failing": lambda: FakeModel(failure="provider down"),
        "invalid": lambda: FakeModel(
            reply=lambda schema, _: structured(schema, vague="perhaps", value="forty")
        ),
    }


@pytest.mark.parametrize("how", list(broken_models()))
async def test_without_a_usable_model_the_interview_is_as_before(store: Store, how: str) -> None:
    model = None if how == "absent" else assistant(broken_models()[how]())
    lea = await started(store, model)
    await at(lea, "use_task")
    vague = await lea.says(VAGUE)
    assert current_key(vague) == "use_weekly_volume"
    assert all(not isinstance(r, Ask) or r.text != FOLLOW_UP for r in vague)
    await answer_until(lea, vague, "value_baseline")
    refused = await lea.says(CHANGE)
    assert current_key(refused) == "value_baseline"
    assert "one number" in (last_ask(refused).error or "")
    assert not [r for r in refused if isinstance(r, Say)]


async def test_a_whole_interview_with_a_model(store: Store) -> None:
    model = by_rule()
    lea = await started(store, assistant(model))
    script = {**READY, "use_task": VAGUE, "value_baseline": CHANGE}
    first = await interview_at_depth(lea, "invoice-agent", "full")  # free text is asked there
    replies = await answer_until(lea, first, "use_task", script)
    replies = await lea.says(VAGUE)
    assert last_ask(replies).text == FOLLOW_UP
    replies = await lea.says("Reads supplier invoices and proposes the accounting entry")
    replies = await answer_until(lea, replies, "value_baseline", script)
    replies = await lea.says(CHANGE)
    assert "I read that as 40 minutes." in text(replies)
    last = await answer_until_done(lea, replies, script)
    assert "Recommendation for invoice-agent: Industrialise" in text(last)

    summary = text(await lea.runs("summary invoice-agent"))
    assert "Recommendation: Industrialise" in summary
    assert "In brief" in summary
    assert "Handling time per invoice went from 40 minutes to 12" in summary
    assert (
        "Summary written by a language model; the recommendation above is the rubric's." in summary
    )
    assert "40 minutes" in summary


# -- the database is never held while the model thinks ------------------------------------


class Gated(FakeModel):
    """Answers only when the test releases it; says when it has been asked.
    (The events are made in each test: an asyncio event belongs to one loop.)"""

    called: ClassVar[asyncio.Event]
    release: ClassVar[asyncio.Event]

    async def _agenerate(self, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        Gated.called.set()
        await Gated.release.wait()
        return await super()._agenerate(messages, *args, **kwargs)


async def test_a_slow_model_never_holds_the_database_for_others(store: Store) -> None:
    Gated.called, Gated.release = asyncio.Event(), asyncio.Event()
    model = Gated(reply=by_rule().reply)
    lea = await started(store, assistant(model))
    await at(lea, "use_users")
    waiting = asyncio.create_task(lea.says(VAGUE))
    await asyncio.wait_for(Gated.called.wait(), 10)
    # Meanwhile someone else's message is handled at once, on SQLite's one write lock too.
    other = Person(lea.service, "max")
    assert "Hello Max!" in text(await asyncio.wait_for(other.says("hello"), 10))
    assert not waiting.done()
    Gated.release.set()
    assert FOLLOW_UP in text(await asyncio.wait_for(waiting, 10))
