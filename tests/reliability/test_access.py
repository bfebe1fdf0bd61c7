"""Who may do what, asserted in full: every command and interview action ×
every role × this tenant's POC or another tenant's.

The world (built once per database, then copied for each test):

- tenant ``test:acme``: Ada (admin: listed, as ``POSTPOC_ADMINS`` lists ids
  on Slack and Teams, where speaking first makes nobody admin and people are
  named by id, never by display name), Leo (lead), Mia (a
  member who owns both POCs: ``invoice-agent``, interview complete, and
  ``claims-agent``, interview under way), Max (a member who owns nothing); a
  weekly nudge in ``C-team``;
- tenant ``test:globex``: Xavier (admin, listed too) and Yolanda (owner of ``Secret
  Merger Bot``, ``secret-merger-bot``, interview under way), a nudge in
  ``C-globex-finance``.

Each test runs one action as one role of Acme, three times: on Acme's own
POC or person, on Globex's, and on one that exists nowhere. Allowed: the reply
shows what the action does. Refused: the reply says why and nothing in any
table changed. Globex: its POC, people and channels are never named, counted
or shown, and the reply is the one for a POC that does not exist (so it does
not even tell that Globex's exists), with nothing changed.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncEngine

from conversations.commands import USAGES
from conversations.identity import platform_rules
from conversations.messages import Ask, Reply
from conversations.service import Service
from storage.database import make_engine, resolve_url
from storage.migrate import upgrade
from storage.repository import Store
from tests.conftest import _libpq_url
from tests.reliability.support.database import broken_invariants, digest, engine_for
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import READY, answer_until_done, current_key

ACME, GLOBEX = "test:acme", "test:globex"
ROLES = {"member": "max", "owner": "mia", "lead": "leo", "admin": "ada"}
RULES = platform_rules(["ada", "xavier"], local=())
"""Who administers: the platforms' rules, not the console's first person."""
ANYONE = frozenset(ROLES)
OWNER_OR_LEAD = frozenset({"owner", "lead", "admin"})
LEADS = frozenset({"lead", "admin"})
ADMIN = frozenset({"admin"})

SECRETS = ("Secret Merger", "secret-merger", "Xavier", "Yolanda", "globex", "C-globex")
"""What of Globex an Acme person must never see (unless they typed it)."""
REFUSALS = ("Only a lead can do that", "Only an admin can do that", "Only the owner of")

TARGETS = {
    "own": {"poc": "invoice-agent", "poc2": "claims-agent", "person": "max"},
    "other": {"poc": "secret-merger-bot", "poc2": "secret-merger-bot", "person": "yolanda"},
    "nowhere": {"poc": "no-such-poc", "poc2": "no-such-poc", "person": "nobody-here"},
}


@dataclass(frozen=True)
class Action:
    """One thing a person does. ``line`` may name ``{poc}`` (complete
    interview), ``{poc2}`` (interview under way) and ``{person}``."""

    name: str
    line: str
    allowed: frozenset[str]
    shows: str
    """What the reply of an allowed run on Acme's own shows."""
    writes: bool | None
    """Whether an allowed run changes data (None: depends on who)."""
    channel: str | None = "C-team"
    """Where it is run; None: the direct conversation."""
    press: bool = False
    """Presses the question waiting in the interview of ``{poc2}`` instead of typing."""


ACTIONS = (
    Action("new", "new Fraud agent", LEADS, "Registered Fraud agent as fraud-agent", True),
    Action("list", "list", ANYONE, "Portfolio: 2 POCs", False),
    Action("summary", "summary {poc}", ANYONE, "Invoice agent", False),
    Action("summary post", "summary {poc} post", ANYONE, "Invoice agent", True),
    Action("interview", "interview {poc2}", OWNER_OR_LEAD, "claims-agent", None),
    Action("edit", "edit {poc2} screen_uses", OWNER_OR_LEAD, "claims-agent", True),
    Action(
        "edit (the questions)", "edit {poc}", ANYONE, "Change an answer of invoice-agent", False
    ),
    # A question every depth asks (the seeded interview is at the triage's depth).
    Action("history", "history {poc} owner_business_manager", ANYONE, "Claire Martin", False),
    Action("owner", "owner {poc} {person}", LEADS, "Max now owns invoice-agent", True),
    Action("decide", "decide {poc} frame Good value, needs a kill switch", LEADS, "Frame", True),
    Action("depth", "depth {poc} full", LEADS, "full depth", True),
    # Sections handed to the people who know (issue 13): listed by anyone, handed and
    # taken back by the owner or a lead. "ask" is rate-limited (conversations.throttle):
    # each run that answers is a command use, even one that only lists.
    Action("ask", "ask {poc2}", ANYONE, "Sections of claims-agent", True),
    Action(
        "ask (hand)",
        "ask {poc2} integration {person}",
        OWNER_OR_LEAD,
        "Max now answers Integration and run of claims-agent",
        True,
    ),
    Action("ask (picker)", "ask {poc2} integration", OWNER_OR_LEAD, "Who should answer", True),
    Action("ask (back)", "ask {poc2} integration back", OWNER_OR_LEAD, "not handed", False),
    Action("reading", "reading {poc} 14", OWNER_OR_LEAD, "Recorded 14", True),
    Action("token", "token {poc}", OWNER_OR_LEAD, "Telemetry token of invoice-agent", True),
    Action(
        "source",
        "source {poc} handling time per invoice prometheus http://127.0.0.1:9090 up",
        OWNER_OR_LEAD,
        "is read from Prometheus",
        True,
    ),
    Action("owner (nobody)", "owner {poc}", LEADS, "invoice-agent has no owner now", True),
    Action("role", "role {person} lead", ADMIN, "Max is now", True),
    Action("record", "record {poc} md", ANYONE, "in your direct messages", True),
    Action("nudge", "nudge preview", LEADS, "A preview, posted nowhere", False),
    Action(
        "subscribe",
        "subscribe weekly tuesday 10:00",
        LEADS,
        "every Tuesday",
        True,
        channel="C-new",
    ),
    Action("unsubscribe", "unsubscribe", LEADS, "will no longer get the weekly nudge", True),
    Action("mentions", "mentions on", LEADS, "mention", True),
    Action("subscriptions", "subscriptions", ANYONE, "C-team", False),
    Action("away", "away until 2026-12-24", ANYONE, "2026", True, channel=None),
    Action("llm", "llm", ANYONE, "No language model is configured", False),
    Action("llm personal-data", "llm personal-data on", ADMIN, "may be sent to it", True),
    Action("currency", "currency", ANYONE, "Costs are asked and shown in EUR (Euro)", False),
    Action("currency CHF", "currency CHF", ADMIN, "shown in CHF (Swiss Franc)", True),
    # Help lists what the role may run: every role may run list.
    Action("help", "help", ANYONE, "list  —", False),
    Action("hello", "hello", ANYONE, "Hello", False, channel=None),
    Action("home", "home", ANYONE, "", False, channel=None),
    Action(
        "answer (a button)", "no", OWNER_OR_LEAD, "claims-agent", True, channel=None, press=True
    ),
)


def test_the_table_covers_every_command() -> None:
    covered = {action.line.split()[0] for action in ACTIONS if not action.press}
    assert {usage.name for usage in USAGES} | {"home", "hello", "llm"} <= covered


# -- the world --------------------------------------------------------------------------


@dataclass
class World:
    service: Service
    look: AsyncEngine
    waiting: dict[str, Ask]
    """The question waiting in each interview under way, by POC handle."""

    def person(self, role: str) -> Person:
        return Person(self.service, ROLES[role], workspace=ACME)


async def _build(database_url: str) -> dict[str, Ask]:
    store = Store(make_engine(resolve_url(database_url)))
    service = Service(store, clock=Clock(), identity=RULES)
    try:
        ada, leo, mia, max_ = (
            Person(service, name, workspace=ACME) for name in ("ada", "leo", "mia", "max")
        )
        for person in (ada, leo, mia, max_):
            await person.says("hello")  # Ada is listed: she administers Acme
        await ada.says("/poc role leo lead")
        await ada.runs("new Invoice agent")
        await ada.runs("owner invoice-agent mia")
        await answer_until_done(mia, await mia.says("/poc interview invoice-agent"))
        await mia.says("/poc reading invoice-agent 13")
        await ada.runs("new Claims agent")
        await ada.runs("owner claims-agent mia")
        waiting = {"claims-agent": await _answer_some(mia, "claims-agent")}
        await leo.runs("subscribe weekly monday 09:00")

        xavier = Person(service, "xavier", workspace=GLOBEX)
        yolanda = Person(service, "yolanda", workspace=GLOBEX)
        await xavier.says("hello")
        await yolanda.says("hello")
        await xavier.runs("new Secret Merger Bot", channel="C-globex-finance")
        await xavier.runs("owner secret-merger-bot yolanda", channel="C-globex-finance")
        waiting["secret-merger-bot"] = await _answer_some(yolanda, "secret-merger-bot")
        await xavier.runs("subscribe weekly friday 16:00", channel="C-globex-finance")
        return waiting
    finally:
        await store.dispose()


async def _answer_some(person: Person, handle: str) -> Ask:
    replies = await person.says(f"/poc interview {handle}")
    for _ in range(5):  # to the first yes/no question, personal data
        replies = await person.says(READY[current_key(replies)])
    return [r for r in replies if isinstance(r, Ask)][-1]


@dataclass(frozen=True)
class Template:
    url: str
    waiting: dict[str, Ask]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Template]:
    """The world, built once per database (then copied by each test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('access') / 'world.db'}"
        upgrade(resolve_url(url))
        yield Template(url, asyncio.run(_build(url)))
        return
    server = str(request.getfixturevalue("postgres_server_url"))
    name = f"postpoc_t_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq_url(server), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _libpq_url(server, database=name)
    try:
        upgrade(resolve_url(url))
        yield Template(url, asyncio.run(_build(url)))
    finally:
        _drop(server, name)


def _drop(server: str, name: str) -> None:
    with psycopg.connect(_libpq_url(server), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
async def world(
    template: Template, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[World]:
    """A copy of the world of ``template``, for one test."""
    if template.url.startswith("sqlite"):
        path = tmp_path / "world.db"
        shutil.copyfile(template.url.removeprefix("sqlite:///"), path)
        url, dropped = f"sqlite:///{path}", None
    else:
        server = str(request.getfixturevalue("postgres_server_url"))
        name = f"postpoc_t_{secrets.token_hex(6)}"
        source = template.url.rsplit("/", 1)[1]
        with psycopg.connect(_libpq_url(server), autocommit=True) as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(source)
                )
            )
        url, dropped = _libpq_url(server, database=name), (server, name)
    store = Store(make_engine(resolve_url(url)))
    look = engine_for(url)
    try:
        yield World(Service(store, clock=Clock(), identity=RULES), look, template.waiting)
    finally:
        await look.dispose()
        await store.dispose()
        if dropped:
            _drop(*dropped)


# -- the table --------------------------------------------------------------------------


async def _run(world: World, role: str, action: Action, target: str) -> list[Reply]:
    person = world.person(role)
    names = TARGETS[target]
    if action.press:
        asked = world.waiting.get(names["poc2"])
        token = asked.token if asked else "999999.0.tier_annex3_uses"
        model = asked or next(iter(world.waiting.values()))
        return await person.presses(replace(model, token=token), action.line)
    line = action.line.format(**names)
    if action.channel is None:
        return await person.says(f"/poc {line}")
    return await person.runs(line, channel=action.channel)


def _as_nowhere(shown: str, target: str) -> str:
    """A reply about ``target`` written as if it were about the POC that exists nowhere."""
    for key, value in TARGETS[target].items():
        shown = shown.replace(value, TARGETS["nowhere"][key])
    return shown


def _never_shows_globex(shown: str, typed: str = "") -> None:
    for secret in SECRETS:
        if secret.lower() not in typed.lower():
            assert secret.lower() not in shown.lower(), f"{secret!r} shown:\n{shown}"


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
async def test_access(world: World, action: Action, role: str) -> None:
    before = await digest(world.look)
    own = text(await _run(world, role, action, "own"))
    after = await digest(world.look)
    _never_shows_globex(own)
    assert "Sorry, something went wrong" not in own, own
    if role in action.allowed:
        assert action.shows in own, own
        assert not any(refusal in own for refusal in REFUSALS), own
        if action.writes is not None:
            assert (after != before) == action.writes, f"wrote: {after != before}\n{own}"
    else:
        assert any(refusal in own for refusal in REFUSALS), own
        assert after == before, f"a refused {action.name} changed data"
    assert await broken_invariants(world.look) == []

    if "{" not in action.line and not action.press:
        return  # names no POC nor person: nothing of another tenant to reach
    before = await digest(world.look)
    other = text(await _run(world, role, action, "other"))
    assert await digest(world.look) == before, f"{action.name} on Globex's changed data"
    nowhere = text(await _run(world, role, action, "nowhere"))
    assert await digest(world.look) == before
    typed = action.line.format(**TARGETS["other"])
    _never_shows_globex(other, typed)
    assert _as_nowhere(other, "other") == nowhere, (other, nowhere)


async def test_home_list_and_subscriptions_count_only_this_tenant(world: World) -> None:
    mia = world.person("owner")
    listed = text(await mia.runs("list"))
    assert "Portfolio: 2 POCs" in listed
    assert [line for line in listed.splitlines() if line.startswith("-- ")] == [
        "-- Claims agent (claims-agent) --",
        "-- Invoice agent (invoice-agent) --",
    ]
    home = text(await mia.says("/poc home"))
    assert "invoice-agent" in home and "claims-agent" in home
    subscribed = text(await mia.runs("subscriptions"))
    assert "C-team" in subscribed
    for shown in (listed, home, subscribed):
        _never_shows_globex(shown)
    # Globex sees its own, and nothing of Acme.
    xavier = Person(world.service, "xavier", workspace=GLOBEX)
    theirs = text(await xavier.runs("list", channel="C-globex-finance"))
    assert "Portfolio: one POC" in theirs
    assert [line for line in theirs.splitlines() if line.startswith("-- ")] == [
        "-- Secret Merger Bot (secret-merger-bot) --"
    ]
    for acme in ("invoice-agent", "claims-agent", "Mia", "C-team"):
        assert acme not in theirs


async def test_an_owner_who_lost_the_poc_can_no_longer_answer_its_interview(
    world: World,
) -> None:
    """Mia holds the interview of claims-agent; Ada gives the POC to Max. What
    Mia types next is not taken as an answer, and commands still work."""
    mia, ada = world.person("owner"), world.person("admin")
    await ada.runs("owner claims-agent max")
    asked = world.waiting["claims-agent"]
    before = await digest(world.look)

    typed = text(await mia.says(READY[current_key([asked])], reply_to=asked.token))
    assert "Only the owner of claims-agent or a lead can do that." in typed, typed
    pressed = text(await mia.presses(asked, "no"))
    assert "Only the owner of claims-agent or a lead can do that." in pressed, pressed
    assert await digest(world.look) == before

    assert "Portfolio: 2 POCs" in text(await mia.says("list"))
    # Max, the new owner, takes it over and goes on.
    max_ = world.person("member")
    taken = await max_.says("/poc interview claims-agent")
    assert current_key(taken) == current_key([asked])
    assert await broken_invariants(world.look) == []


async def test_a_demoted_lead_can_no_longer_answer_an_interview_they_took_over(
    world: World,
) -> None:
    leo, ada = world.person("lead"), world.person("admin")
    asked = [r for r in await leo.says("/poc interview claims-agent") if isinstance(r, Ask)][-1]
    await ada.says("/poc role leo member")
    before = await digest(world.look)
    typed = text(await leo.says(READY[current_key([asked])], reply_to=asked.token))
    assert "Only the owner of claims-agent or a lead can do that." in typed, typed
    assert await digest(world.look) == before
