"""An owner registers a POC, is interviewed, and gets the recommendation, on every platform."""

from __future__ import annotations

from tests.support.scenario import Chat, Role
from tests.support.scripts import READY


async def test_a_poc_is_registered_interviewed_and_recommended(chat: Chat) -> None:
    lea = await chat.person("Lea", Role.ADMIN)

    registered = await lea.runs("new Invoice agent")
    assert "Registered Invoice agent as invoice-agent" in registered
    asked = await lea.runs("interview invoice-agent")
    assert "invoice-agent · " in asked and " · 1/" in asked, "the first question, numbered"

    done = await lea.answers_all(READY)

    assert "Recommendation for invoice-agent: Industrialise" in done
    assert "Claire Martin is the named business manager." in done
    assert lea.question is None, "nothing is left to answer"
    hello = await lea.says("hello")
    assert "Hello Lea!" in hello and not [m for m in hello.messages if m.question]
