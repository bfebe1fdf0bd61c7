"""What a person sees when things go wrong on the bot's side."""

from __future__ import annotations

import logging

import pytest

from conversations import handlers
from conversations.commands import Command
from conversations.context import Context
from conversations.messages import Reply
from conversations.service import Service
from storage.database import make_engine, resolve_url
from storage.repository import Store
from tests.support.conversation import Clock, Person, text


async def test_an_unreachable_database_asks_the_person_to_try_again() -> None:
    store = Store(make_engine(resolve_url("postgresql://127.0.0.1:1/nowhere?connect_timeout=2")))
    person = Person(Service(store, clock=Clock()), "lea")
    try:
        replies = await person.says("hello")
    finally:
        await store.dispose()
    assert "can't reach my database" in text(replies)


async def test_a_bug_is_logged_and_answered_with_an_apology(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx: Context, command: Command) -> list[Reply]:
        raise RuntimeError("secret answer text")

    monkeypatch.setitem(handlers.HANDLERS, "list", broken)
    person = Person(Service(store, clock=Clock()), "lea")
    with caplog.at_level(logging.ERROR, logger="postpoc.core"):
        replies = await person.runs("list")
    assert "Sorry, something went wrong" in text(replies)
    assert "secret" not in text(replies)
    assert any(record.message == "bug while handling an event" for record in caplog.records)
