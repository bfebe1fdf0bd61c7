"""Sections handed to the people who know them (issue 13), through the core, on both databases.

The whole story (handed, answered by the holder, the recommendation waiting for it) is a
scenario, run on every platform: tests/scenarios/test_delegation.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from conversations.messages import Reply
from conversations.service import Service
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
