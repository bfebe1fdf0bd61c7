"""Commands typed in the console in the middle of an interview, help, and French texts."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import pytest

from bot.console.chat import Console, console_actor
from conversations.engine import read_token
from conversations.i18n import Translator, _catalogue
from conversations.service import Service
from storage.repository import Store
from tests.support.conversation import Clock
from tests.support.scripts import READY

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

    @property
    def waiting(self) -> str:
        token = read_token(self.console.last_question or "")
        assert token is not None
        return token.key


async def test_commands_typed_mid_interview_run_and_are_never_stored(service: Service) -> None:
    lea = Session(service, "lea")
    await lea.types("/poc new Invoice agent")
    await lea.types("/poc interview invoice-agent")
    await lea.types("/poc depth invoice-agent full")  # who uses it is asked at full depth
    await lea.types("/poc interview invoice-agent")
    while lea.waiting != "use_users":  # a text question: anything typed could be its answer
        await lea.types(READY[lea.waiting])

    for line, shows in [
        ("list", "Invoice agent (invoice-agent)"),
        ("summary invoice-agent", "Recommendation"),
        ("/poc list", "Invoice agent (invoice-agent)"),
        ("interview invoice-agent", "Who uses the agent?"),
    ]:
        assert shows in await lea.types(line), line
        assert lea.waiting == "use_users", line

    await lea.types("Accounts payable clerks")
    assert lea.waiting == "use_task"
    # a text that names no POC stays an answer, even if it starts like a command
    await lea.types("new invoices, read and pre-filled")
    assert (
        lea.waiting == "use_weekly_volume"
    )  # the next question of bank v2 (use_setting is in the triage)


async def test_help_mid_interview_explains_the_question_first_then_commands(
    service: Service,
) -> None:
    lea = Session(service, "lea")
    await lea.types("/poc new Invoice agent")
    await lea.types("/poc interview invoice-agent")

    shown = await lea.types("help")

    assert shown.index("EU AI Act art. 5(1)(a)-(c)") < shown.index("/poc list  —")
    assert "/poc role <person> admin|lead|member" in shown  # lea is the admin


async def test_console_texts_write_commands_with_poc(service: Service) -> None:
    lea = Session(service, "lea")

    assert "Type /poc help to see what I can do." in await lea.types("blah")
    assert "Type /poc list to see them." in await lea.types("/poc summary nope")


async def test_help_lists_only_what_a_member_may_do(service: Service) -> None:
    await Session(service, "lea").types("hello")  # the first person is the admin
    bob = Session(service, "bob")

    shown = await bob.types("help")

    assert "/poc list  —" in shown and "/poc reading" in shown
    assert "/poc decide" not in shown and "/poc role" not in shown and "/poc new" not in shown


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
