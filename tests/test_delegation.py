"""Sections handed to the people who know them (issue 13), through the core, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from conversations.messages import Ask, Reply
from conversations.service import Service
from storage.models import AuditEvent, Delivery
from storage.repository import Store
from tests.support.conversation import Clock, Person, last_ask, text
from tests.support.scripts import READY, current_key

pytestmark = pytest.mark.storage


@pytest.fixture
async def service(store: Store) -> AsyncIterator[Service]:
    yield Service(store, clock=Clock())


@pytest.fixture
async def lea(service: Service) -> Person:
    lea = Person(service, "lea")
    await lea.says("hello")  # first in the workspace: admin, and she owns what she registers
    return lea


@pytest.fixture
async def nadia(service: Service) -> Person:
    nadia = Person(service, "nadia")
    await nadia.says("hello")
    return nadia


async def until(person: Person, replies: list[Reply], key_prefix: str) -> list[Reply]:
    """Answers from READY until the question asked starts with ``key_prefix``."""
    while not current_key(replies).startswith(key_prefix):
        replies = await person.says(READY[current_key(replies)])
    return replies


async def to_the_end(person: Person, replies: list[Reply]) -> list[Reply]:
    while any(isinstance(r, Ask) for r in replies):
        replies = await person.says(READY[current_key(replies)])
    return replies


async def test_a_handed_section_is_answered_by_its_holder_and_the_recommendation_waits_for_it(
    store: Store, lea: Person, nadia: Person
) -> None:
    await lea.runs("new Invoice agent")
    replies = await until(lea, await lea.says("/poc interview invoice-agent"), "run_")
    first = last_ask(replies)
    assert first.hand_over is not None
    assert first.hand_over.command == "ask invoice-agent integration"

    handed = await lea.says("/poc ask invoice-agent integration @nadia")
    assert "Nadia now answers Integration and run of invoice-agent" in text(handed)
    # The owner's interview moves on to the next section at once.
    assert not current_key(handed).startswith("run_")

    done = text(await to_the_end(lea, handed))
    assert "Recommendation for invoice-agent: Not enough information" in done
    assert "Integration and run: waiting for Nadia since Nov 2, 2026" in done

    # Nadia: which POC, who asked her, and only her section, with its own progress.
    hers = await nadia.says("hello")
    shown = text(hers)
    assert "Lea asked you to answer Integration and run for Invoice agent (invoice-agent)" in shown
    assert last_ask(hers).progress == "Integration and run · 1/3"
    while any(isinstance(r, Ask) for r in hers):
        key = current_key(hers)
        assert key.startswith("run_"), key
        hers = await nadia.says(READY[key])
    assert "your answers to Integration and run of invoice-agent are recorded" in text(hers)

    summary = text(await lea.says("/poc summary invoice-agent"))
    assert "Recommendation: Industrialise" in summary
    assert "Integration and run: Nadia" in summary
    history = text(await lea.says("/poc history invoice-agent run_operating_team"))
    assert "Nadia" in history

    async with store.unit() as repo:
        actions = [
            a.action for a in (await repo.session.execute(select(AuditEvent))).scalars().all()
        ]
        kinds = [d.kind for d in (await repo.session.execute(select(Delivery))).scalars().all()]
    assert "section_handed" in actions and "section_answered" in actions
    # Her invitation; then Lea hears that Nadia answered, with the recommendation, in one post.
    assert kinds.count("hand_over") == 2


async def test_a_holder_answers_only_their_section_and_can_hand_it_back(
    lea: Person, nadia: Person
) -> None:
    await lea.runs("new Invoice agent")
    await until(lea, await lea.says("/poc interview invoice-agent"), "run_")
    await lea.says("/poc ask invoice-agent integration @nadia")
    refused = text(await nadia.says("/poc interview other-poc"))
    assert "There is no POC" in refused
    assert "Only the owner of invoice-agent" in text(
        await nadia.says("/poc ask invoice-agent risks @lea")
    )
    back = text(await nadia.says("/poc ask invoice-agent integration back"))
    assert "Integration and run of invoice-agent is back with its owner" in back
    # Back with the owner: her next questions include it again.
    listed = text(await lea.says("/poc ask invoice-agent"))
    assert "integration · Integration and run" in listed
    assert "Nadia, waiting" not in listed


async def test_the_owner_takes_a_section_back_and_the_holders_buttons_stop_working(
    lea: Person, nadia: Person
) -> None:
    await lea.runs("new Invoice agent")
    await until(lea, await lea.says("/poc interview invoice-agent"), "run_")
    await lea.says("/poc ask invoice-agent integration @nadia")
    hers = await nadia.says("hello")
    assert "Nadia, waiting since" in text(await lea.says("/poc ask invoice-agent"))
    assert "back with its owner" in text(await lea.says("/poc ask invoice-agent integration back"))
    pressed = text(await nadia.presses(last_ask(hers), "yes"))
    assert "no longer valid" in pressed


async def test_a_holder_hands_the_section_on_and_only_the_new_holder_answers_it(
    service: Service, lea: Person, nadia: Person
) -> None:
    omar = Person(service, "omar")
    await omar.says("hello")
    await lea.runs("new Invoice agent")
    await until(lea, await lea.says("/poc interview invoice-agent"), "run_")
    await lea.says("/poc ask invoice-agent integration @nadia")
    hers = await nadia.says("hello")

    on = text(await nadia.says("/poc ask invoice-agent integration @omar"))
    assert "Omar now answers Integration and run of invoice-agent" in on
    assert "no longer valid" in text(await nadia.presses(last_ask(hers), "yes"))
    his = await omar.says("hello")
    assert "Nadia asked you to answer Integration and run" in text(his)
    assert current_key(his).startswith("run_")
    listed = text(await lea.says("/poc ask invoice-agent"))
    assert "Omar, waiting since" in listed and "Nadia" not in listed


def test_the_waiting_reason_reads_as_written_french() -> None:
    from conversations.bank import load_bank
    from conversations.i18n import Translator
    from conversations.rubric import Reason, describe

    reason = Reason(
        "section_awaited", {"section": "integration", "holder": "Nadia", "since": "2026-06-03"}
    )
    assert describe(reason, Translator("en"), load_bank()) == (
        "Integration and run: waiting for Nadia since Jun 3, 2026"
    )
    assert describe(reason, Translator("fr"), load_bank()) == (
        "Intégration et exploitation : en attente de Nadia depuis le 3 juin 2026"
    )
