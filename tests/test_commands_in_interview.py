"""The console's own texts: commands written with /poc, the banner, French.

Commands typed mid-interview and help are scenarios run on every platform:
tests/scenarios/test_commands_in_interview.py."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import pytest

from bot.console.chat import Console, console_actor
from conversations.i18n import Translator, _catalogue
from conversations.service import Service
from storage.repository import Store
from tests.support.conversation import Clock

pytestmark = pytest.mark.storage


@pytest.fixture
async def service(store: Store) -> AsyncIterator[Service]:
    yield Service(store, clock=Clock())


class Session:
    """The console as a person types into it; ``shown`` is what it printed since last read."""

    def __init__(self, service: Service, user: str, locale: str = "en") -> None:
        self.out = io.StringIO()
        self.console = Console(service, console_actor(user, locale), self.out)

    async def types(self, line: str) -> str:
        self.out.seek(0)
        self.out.truncate()
        await self.console.send(line)
        return self.out.getvalue()


async def test_console_texts_write_commands_with_poc(service: Service) -> None:
    lea = Session(service, "lea")

    assert "Type /poc help to see what I can do." in await lea.types("blah")
    assert "Type /poc list to see them." in await lea.types("/poc summary nope")


async def test_the_console_banner_and_placeholders_are_french(service: Service) -> None:
    claire = Session(service, "claire", "fr_FR")

    await claire.console.run(io.StringIO(""))
    banner = claire.out.getvalue().splitlines()[0]
    assert banner == (
        "postpoc — tapez /poc help pour les commandes, /poc new <titre> pour enregistrer "
        "un POC, Ctrl-D pour quitter."
    )
    shown = await claire.types("/poc aide")
    assert "<justification>" in shown and "<personne>" in shown
    assert "<rationale>" not in shown and "<person>" not in shown


def test_french_puts_a_space_before_a_colon() -> None:
    # a colon that follows a letter, a digit or a closing mark, outside a time
    # (09:00), a URL, a {placeholder} or a <syntax> such as <HH:MM>
    glued = re.compile(r"(?<=[\w)»\]}’'])(?<!\d):(?!//|\d)")
    wrong = [
        text
        for text in _catalogue("fr").values()
        if glued.search(re.sub(r"\{[^}]*\}|<[^>]*>", "{}", text))
    ]
    assert wrong == []
    assert Translator("fr")("; ") == " ; "
