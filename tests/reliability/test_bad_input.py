"""Whatever people type and whatever arrives over HTTP, the bot answers with a
clear message: never a 5xx, never a traceback, never the apology for a bug,
and the data stays whole.

- the core (the console's path): generated text as every command, in a
  direct conversation and in a channel, and as the answer to every type of
  question, typed or pressed;
- the real ``postpoc chat`` process: NUL bytes, bytes that are not UTF-8, a
  1 MB line, right-to-left, emoji and combining marks on standard input;
- Slack and Teams over HTTP: truncated, mistyped, oversized and half-empty
  bodies, correctly signed where the signature is checked first.

Hypothesis runs derandomised (the same examples every run) with bounded
example counts.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from conversations.commands import NAMES
from conversations.messages import Actor, Ask, Inbound, PersonRef, Place, Reply
from conversations.service import Service
from storage.repository import Store
from tests.reliability.support.console import Console
from tests.reliability.support.database import broken_invariants, digest, engine_for
from tests.slack.conftest import StartBot, fake_slack, no_slack_environment, start_bot
from tests.slack.harness import APP_ID, Slack, sign
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import READY, current_key, interview_at_depth
from tests.teams.client import TeamsBotClient
from tests.teams.conftest import fake, served, sleeps, sqlite_store, teams

# The Slack and Teams suites' fixtures.
FIXTURES = (fake_slack, no_slack_environment, start_bot, fake, served, sleeps, sqlite_store, teams)

APOLOGY = "Sorry, something went wrong"
LONGEST_REPLY = 20_000
"""No reply repeats a huge input back: Slack cuts messages at 40,000 characters."""

BOUNDED = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- what people type ---------------------------------------------------------------------

NASTY = (
    "",
    " ",
    "\t\n\r\n",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202eevil\u202c",
    "e\u0301" * 300,
    "\U0001f469\u200d\U0001f469\u200d\U0001f467" * 40,
    "مرحبا بالعالم",
    "שלום עולם",
    "漢字テスト",
    "<script>alert(1)</script>",
    "<!channel> <@U123|x> <#C1|general> <https://evil.example|ok>",
    "*bold* _it_ ~s~ `code` ```block``` > quote",
    "&amp; &lt; &gt; &#0;",
    "{poc} {0} %s %(x)s {{}} {title!r}",
    "'; DROP TABLE poc; --",
    "\x1b[31mred\x1b[0m\x07",
    "\x7f\x85\u2028\u2029\ufeff",
    "A" * 100_000,
    "9" * 400,
    "-1e308 NaN inf 0x1F 1_000",
    "2026-02-30 99/99/9999",
    "@",
    "@" + "x" * 300,
    "@\x00",
    "/poc /poc /poc",
    "help " * 500,
    "invoice-agent",
    "invoice-agent " + "y" * 5000,
)


def _binary(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


nasty_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=120),
    st.text(st.characters(max_codepoint=0x9F), max_size=40),
    st.binary(max_size=200).map(_binary),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)), max_size=5).map(" ".join),
)


WORDS = (
    "invoice-agent",
    "@ada",
    "@max",
    "stop",
    "frame",
    "industrialise",
    "admin",
    "lead",
    "member",
    "weekly",
    "monday",
    "09:00",
    "Europe/Paris",
    "here",
    "on",
    "off",
    "until",
    "2026-12-01",
    "post",
    "screen_uses",
    "value_indicator",
    "personal-data",
)
"""Words the commands know, so that generated arguments reach past the first check."""

command_args = st.lists(st.one_of(st.sampled_from(WORDS), nasty_text), max_size=4).map(" ".join)


def readable(replies: Sequence[Reply]) -> str:
    """The replies as the console shows them; fails on anything a person must never see."""
    shown = text(replies)
    assert APOLOGY not in shown, shown[:2000]
    assert "Traceback" not in shown, shown[:2000]
    assert len(shown) < LONGEST_REPLY, f"{len(shown)} characters: {shown[:300]}..."
    return shown


@pytest.fixture
async def look(store: Store) -> AsyncIterator[AsyncEngine]:
    engine = engine_for(store.engine.url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def people(store: Store) -> tuple[Person, Person]:
    """Ada registered a POC, so she administers the workspace; Max is a member."""
    service = Service(store, clock=Clock())
    ada, max_ = Person(service, "ada"), Person(service, "max")
    await ada.says("/poc new Invoice agent")
    await max_.says("hello")
    return ada, max_


# -- the core: every command ------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(NAMES))
@BOUNDED
@given(args=command_args)
async def test_any_text_as_any_command_gets_a_clear_answer(
    command: str, args: str, people: tuple[Person, Person], look: AsyncEngine
) -> None:
    ada, max_ = people
    readable(await ada.says(f"/poc {command} {args}"))
    readable(await max_.runs(f"{command} {args}", channel="C-team"))
    readable(await ada.runs(f"{args} {command}", channel="C-team"))
    assert await broken_invariants(look) == []


# -- the core: every type of question ----------------------------------------------------

ONE_OF_EACH_TYPE = {
    "yes_no": "risk_personal_data",
    "multi_choice": "tier_annex3_uses",
    "choice": "tier_role",
    "person": "owner_business_manager",
    "text": "use_users",
    "number": "use_weekly_volume",
    "short_text": "value_unit",
    "date": "kill_rehearsed_on",
    "scale": "ev_user_feedback",
}


@dataclass
class Asking:
    """Ada, looking at the question ``key``."""

    person: Person
    key: str
    asked: Ask

    async def back_to_it(self, replies: list[Reply]) -> None:
        """The question asked again if the last answer was taken; the prompt to answer next."""
        if not (any(isinstance(r, Ask) for r in replies) and current_key(replies) == self.key):
            replies = await self.person.says(f"/poc edit invoice-agent {self.key}")
            readable(replies)
            assert current_key(replies) == self.key, text(replies)
        self.asked = [r for r in replies if isinstance(r, Ask)][-1]


async def walk_to(person: Person, key: str) -> Ask:
    # at full depth: every question type is asked (a light interview has no date)
    replies = await interview_at_depth(person, "invoice-agent", "full")
    for _ in range(120):
        if current_key(replies) == key:
            return [r for r in replies if isinstance(r, Ask)][-1]
        replies = await person.says(READY[current_key(replies)])
    raise AssertionError(f"{key} never asked")


@pytest.fixture
async def asking(kind: str, people: tuple[Person, Person]) -> Asking:
    ada, _ = people
    key = ONE_OF_EACH_TYPE[kind]
    return Asking(ada, key, await walk_to(ada, key))


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH_TYPE))
@BOUNDED
@given(typed=nasty_text, pressed=st.lists(nasty_text, max_size=3))
async def test_any_answer_to_any_type_of_question_gets_a_clear_answer(
    kind: str, typed: str, pressed: list[str], asking: Asking, look: AsyncEngine
) -> None:
    replies = await asking.person.says(typed, reply_to=asking.asked.token)
    readable(replies)
    await asking.back_to_it(replies)
    replies = await asking.person.presses(asking.asked, *pressed)
    readable(replies)
    await asking.back_to_it(replies)
    assert await broken_invariants(look) == []


tokens = st.one_of(
    st.builds(
        "{}.{}.{}".format,
        st.one_of(st.integers(), st.integers(min_value=2**31, max_value=10**40)),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.one_of(st.sampled_from(["tier_annex3_uses", "tier_role"]), nasty_text),
    ),
    st.sampled_from(["", ".", "..", "1..", "-1.-1.x", "0.0.tier_annex3_uses", "1.1"]),
    nasty_text,
)


@pytest.fixture
async def waiting(people: tuple[Person, Person], look: AsyncEngine) -> tuple[Ask, str]:
    """Ada's interview waits on a question; the digest of the data then."""
    ada, _ = people
    return await walk_to(ada, "tier_annex3_uses"), await digest(look)


@BOUNDED
@given(token=tokens)
async def test_a_forged_button_token_is_refused_plainly_and_changes_nothing(
    token: str, people: tuple[Person, Person], waiting: tuple[Ask, str], look: AsyncEngine
) -> None:
    """Teams lets a client post any card data: a token is data, not a promise."""
    asked, before = waiting
    for who in people:
        shown = readable(await who.presses(replace(asked, token=token), "none"))
        assert any(
            refusal in shown
            for refusal in ("no longer valid", "already answered", "Only the owner")
        ), (token, shown)
    # Max may not answer Ada's question even with the real token.
    assert "Only the owner" in readable(await people[1].presses(asked, "none"))
    assert await digest(look) == before


platform_text = st.one_of(
    nasty_text, st.text(min_size=190, max_size=260), st.sampled_from(["", " ", "None"])
)


@BOUNDED
@given(
    workspace=platform_text,
    user=platform_text,
    name=platform_text,
    locale=platform_text,
    timezone=platform_text,
    channel=platform_text,
    mentioned=st.tuples(platform_text, st.none() | platform_text),
    delivery=st.none() | platform_text,
)
async def test_whatever_a_platform_says_about_who_and_where_is_stored_or_refused_plainly(
    workspace: str,
    user: str,
    name: str,
    locale: str,
    timezone: str,
    channel: str,
    mentioned: tuple[str, str | None],
    delivery: str | None,
    store: Store,
    look: AsyncEngine,
) -> None:
    """Ids, names, locales and time zones come from platform payloads: too
    long for their columns, NUL, broken characters, empty."""
    service = Service(store, clock=Clock())
    actor = Actor(workspace, user, name, locale, timezone)
    place = Place(channel_id=channel, is_direct=False)
    for inbound in (
        Inbound(actor, place, "new Invoice agent", is_command=True, delivery_id=delivery),
        Inbound(
            actor, place, "owner invoice-agent", is_command=True, mentions=(PersonRef(*mentioned),)
        ),
        Inbound(actor, Place(channel, is_direct=True), "hello"),
    ):
        readable((await service.handle(inbound)).replies)
    assert await broken_invariants(look) == []


# -- the real console process -----------------------------------------------------------

CONSOLE_LINES: tuple[bytes, ...] = (
    b"/poc new Invoice agent",
    b"/poc new Claims\x00agent",
    b"\x00\x00\x00",
    b"/poc summary \xff\xfe\xfd",
    b"\xc3\x28 invalid continuation \xe2\x82",
    b"/poc new "
    + "\u202eevil\u202c \U0001f916 e\u0301\u0301 \u0645\u0631\u062d\u0628\u0627".encode(),
    b"/poc interview invoice-agent",
    b"\xf0\x9f\x98",  # a cut-off emoji, as the answer to a yes/no question
    b"x" * (1024 * 1024),
    b"/poc history invoice-agent " + b"k" * (1024 * 1024),
    b"\x1b[2J\x1b[31m\x07 /poc list",
    "  \u200b\u200f\u2028 ".encode(),
    b"no",
    b"/poc list",
)


async def test_the_console_process_takes_nasty_lines_and_keeps_going(tmp_path: Path) -> None:
    # As in a terminal whose locale is UTF-8 (not Python's forgiving UTF-8 mode):
    # bytes that are not UTF-8 would end the session if the console let them.
    console = await Console.start(tmp_path, PYTHONIOENCODING="utf-8:strict")
    try:
        await console.until_prompt()
        answers = {}
        for line in CONSOLE_LINES:
            shown = await console.send(line)
            assert APOLOGY not in shown and "Traceback" not in shown, (line[:80], shown[:2000])
            assert len(shown) - len(line) < LONGEST_REPLY, line[:80]
            answers[line] = shown
        assert "Registered Claims\ufffdagent as claimsagent" in answers[CONSOLE_LINES[1]]
        # The interview went on: the lone "no" answered the first question, nothing else did.
        assert "Exposure and impact · 2/" in answers[b"no"]
        assert "invoice-agent" in answers[b"/poc list"]
        status, rest = await console.close()
    finally:
        await console.kill()
    transcript = console.transcript.decode(errors="replace")
    assert "Traceback" not in transcript and APOLOGY not in transcript
    assert status == 0, rest


# -- Slack and Teams over HTTP ----------------------------------------------------------
#
# One request per test, so that each malformed body is reported on its own.
# Requests a listener may act on (well-formed, odd text) are allowed to store
# what any message stores (the person, the delivery id); the others nothing.
#
# Signed requests no Slack would send are refused with 400 before Bolt reads
# them (bot.slack.payloads); activities without a conversation likewise.

HANDLED = ("alembic_version", "inbounddelivery", "inboxentry")
"""A message the bot answered is recorded as handled (its delivery id, and the inbox
row it was acknowledged on), however odd it was."""
MAY_STORE = {"nul in text", "lone surrogate in text", "user is an object", "channel is a list"}


def slack_bodies() -> dict[str, tuple[str, str]]:
    """Malformed requests by name: (content type, body), each to be signed."""
    event: dict[str, Any] = {
        "token": "unused",
        "team_id": "T0ACME",
        "api_app_id": APP_ID,
        "type": "event_callback",
        "event_id": "Ev000BAD",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel": "D0LEA",
            "channel_type": "im",
            "user": "U0LEA",
            "text": "hello",
            "ts": "1.0",
        },
    }
    whole = json.dumps(event)
    action = {
        "type": "block_actions",
        "user": {"id": "U0LEA", "team_id": "T0ACME"},
        "team": {"id": "T0ACME"},
        "api_app_id": APP_ID,
        "actions": [{"action_id": "answer", "block_id": "q|1.1.x", "value": "no"}],
    }
    form = "token=unused&team_id=T0ACME&user_id=U0LEA&command=%2Fpoc&text=list"

    def event_with(**fields: Any) -> str:
        return json.dumps({**event, "event": {**event["event"], **fields}})

    def envelope_with(**fields: Any) -> str:
        return json.dumps({**event, **fields})

    def payload(value: Any) -> str:
        from urllib.parse import urlencode

        return urlencode({"payload": value if isinstance(value, str) else json.dumps(value)})

    json_type, form_type = "application/json", "application/x-www-form-urlencoded"
    cases = [
        ("empty json", json_type, ""),
        ("empty form", form_type, ""),
        ("truncated json", json_type, whole[: len(whole) // 2]),
        ("json as a form", form_type, whole),
        ("form as json", json_type, form),
        ("json as text", "text/plain", whole),
        ("no content type", "", whole),
        ("json array", json_type, "[1, 2, 3]"),
        ("json string", json_type, '"event_callback"'),
        ("json null", json_type, "null"),
        ("no event", json_type, envelope_with(event=None)),
        ("event is a list", json_type, envelope_with(event=[1])),
        ("event of no type", json_type, event_with(type=None)),
        ("text is a number", json_type, event_with(text=12345)),
        ("text is an object", json_type, event_with(text={"a": 1})),
        ("user is an object", json_type, event_with(user={"id": "U0LEA"})),
        ("channel is a list", json_type, event_with(channel=["D0LEA"])),
        ("team is a number", json_type, envelope_with(team_id=7)),
        ("no team", json_type, envelope_with(team_id=None, authorizations=None)),
        ("url verification without challenge", json_type, '{"type": "url_verification"}'),
        ("unknown type", json_type, '{"type": "nothing_known"}'),
        ("nul in text", json_type, event_with(text="a\u0000b")),
        ("lone surrogate in text", json_type, event_with(text="\\ud800").replace("\\\\", "\\")),
        ("command without user", form_type, form.replace("user_id=U0LEA&", "")),
        ("command without team", form_type, form.replace("team_id=T0ACME&", "")),
        ("command without anything", form_type, "command=%2Fpoc"),
        ("command text of NUL", form_type, form.replace("text=list", "text=%00%00")),
        ("command with bad percent-encoding", form_type, form + "&text=%ZZ%"),
        ("payload is not json", form_type, payload("{not json")),
        ("payload is truncated", form_type, payload(json.dumps(action)[:40])),
        ("payload is a list", form_type, payload([action])),
        ("payload is a number", form_type, payload(7)),
        ("payload of no type", form_type, payload({**action, "type": None})),
        ("payload actions not a list", form_type, payload({**action, "actions": "no"})),
        ("payload action of nothing", form_type, payload({**action, "actions": [{}]})),
        ("payload user not an object", form_type, payload({**action, "user": "U0LEA"})),
        (
            "view submission without view",
            form_type,
            payload({**action, "type": "view_submission", "view": None}),
        ),
        (
            "view submission with wrong state",
            form_type,
            payload(
                {**action, "type": "view_submission", "view": {"id": "V1", "state": {"values": 3}}}
            ),
        ),
        ("payload twice", form_type, payload(json.dumps(action)) + "&" + payload("[")),
        ("huge json", json_type, event_with(text="x" * (2 * 1024 * 1024))),
        ("huge form", form_type, form.replace("text=list", "text=" + "y" * (2 * 1024 * 1024))),
    ]
    return {name: (content_type, body) for name, content_type, body in cases}


@dataclass
class Checked:
    """What one request did, as the tests below check it."""

    status: int
    body: str
    errors: list[str]


def check_request(name: str, checked: Checked, stored: bool, said: list[str]) -> None:
    assert checked.status < 500, f"{name}: HTTP {checked.status} {checked.body[:300]}"
    assert "Traceback" not in checked.body
    assert checked.errors == [], f"{name}: logged {checked.errors}"
    assert not stored or name in MAY_STORE, f"{name}: stored something"
    assert not [s for s in said if APOLOGY in s or "Traceback" in s], said


@pytest.fixture
async def slack_bot(
    start_bot: StartBot, tmp_path: Path
) -> AsyncIterator[tuple[Slack, AsyncEngine]]:
    url = f"sqlite:///{tmp_path / 'postpoc.db'}"
    slack = await start_bot(url)
    await slack.person("U0LEA", "Léa Martin").runs("/poc new Invoice agent")
    look = engine_for(url)
    try:
        yield slack, look
    finally:
        await look.dispose()


@pytest.mark.parametrize("name", list(slack_bodies()))
async def test_a_malformed_slack_request_gets_no_5xx_and_stores_nothing(
    name: str, slack_bot: tuple[Slack, AsyncEngine], caplog: pytest.LogCaptureFixture
) -> None:
    slack, look = slack_bot
    content_type, body = slack_bodies()[name]
    before, calls = await digest(look, skip=HANDLED), len(slack.fake.calls)
    headers = sign(body)
    if content_type:
        headers["Content-Type"] = content_type
    with caplog.at_level(logging.ERROR):
        async with slack.session.post(
            slack.bot_url + "/slack/events", data=body.encode(), headers=headers
        ) as response:
            checked = Checked(response.status, await response.text(), [])
        await slack.settled()
    checked.errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    said = [json.dumps(c.args, ensure_ascii=False) for c in slack.fake.calls[calls:]]
    check_request(name, checked, await digest(look, skip=HANDLED) != before, said)


def teams_bodies(teams: TeamsBotClient) -> dict[str, tuple[str, str]]:
    """Malformed activities by name: (content type, body), each sent with a valid token."""
    alice = teams.person("alice")
    activity = alice.personal(text="hello", textFormat="plain")
    whole = json.dumps(activity)

    def with_(**fields: Any) -> str:
        return json.dumps({**activity, **fields})

    json_type = "application/json"
    cases = [
        ("empty", json_type, ""),
        ("truncated json", json_type, whole[: len(whole) // 2]),
        ("json as text", "text/plain", whole),
        ("json as a form", "application/x-www-form-urlencoded", whole),
        ("json array", json_type, "[1, 2]"),
        ("json null", json_type, "null"),
        ("json string", json_type, '"message"'),
        ("no type", json_type, with_(type=None)),
        ("unknown type", json_type, with_(type="nothingKnown")),
        ("from is a string", json_type, with_(**{"from": "29:alice"})),
        ("no from", json_type, with_(**{"from": None})),
        ("from without id", json_type, with_(**{"from": {"name": "Alice"}})),
        ("conversation is a list", json_type, with_(conversation=[1])),
        ("no conversation", json_type, with_(conversation=None)),
        ("text is a number", json_type, with_(text=12345)),
        ("text is an object", json_type, with_(text={"a": 1})),
        ("value is a string", json_type, with_(value="not an object")),
        ("value with a forged token", json_type, with_(value={"token": "99999999999.1.x"})),
        ("entities is an object", json_type, with_(entities={"type": "mention"})),
        ("entities of nonsense", json_type, with_(entities=[1, None, {"type": None}])),
        ("channelData is a list", json_type, with_(channelData=[])),
        ("tenant is a number", json_type, with_(channelData={"tenant": {"id": 7}})),
        ("locale is nonsense", json_type, with_(locale="\u0000" * 50)),
        ("timezone is nonsense", json_type, with_(localTimezone="Mars/Olympus" * 40)),
        ("name is huge", json_type, with_(**{"from": {**activity["from"], "name": "N" * 5000}})),
        (
            "id is huge",
            json_type,
            with_(**{"from": {**activity["from"], "id": "29:" + "i" * 5000}}),
        ),
        ("nul in text", json_type, with_(text="a\u0000b")),
        ("huge", json_type, with_(text="x" * (2 * 1024 * 1024))),
    ]
    return {name: (content_type, body) for name, content_type, body in cases}


TEAMS_CASES = [
    "empty",
    "truncated json",
    "json as text",
    "json as a form",
    "json array",
    "json null",
    "json string",
    "no type",
    "unknown type",
    "from is a string",
    "no from",
    "from without id",
    "conversation is a list",
    "no conversation",
    "text is a number",
    "text is an object",
    "value is a string",
    "value with a forged token",
    "entities is an object",
    "entities of nonsense",
    "channelData is a list",
    "tenant is a number",
    "locale is nonsense",
    "timezone is nonsense",
    "name is huge",
    "id is huge",
    "nul in text",
    "huge",
]
TEAMS_MAY_STORE = {"nul in text", "name is huge"}


@pytest.mark.parametrize("name", TEAMS_CASES)
async def test_a_malformed_teams_activity_gets_no_5xx_and_stores_nothing(
    name: str, teams: TeamsBotClient, sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await teams.person("alice").says("hello")
    look = engine_for(sqlite_store.engine.url.render_as_string(hide_password=False))
    mark = teams.fake.mark()
    # Where to reach a person is refreshed by any activity (best effort, by design).
    tables = (*HANDLED, "address")
    try:
        before = await digest(look, skip=tables)
        content_type, body = teams_bodies(teams)[name]
        with caplog.at_level(logging.ERROR):
            async with teams.session.post(
                f"{teams.bot_url}/api/messages",
                data=body.encode(),
                headers={"Authorization": f"Bearer {teams.token()}", "Content-Type": content_type},
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response:
                checked = Checked(response.status, await response.text(), [])
        checked.errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        stored = await digest(look, skip=tables) != before and name not in TEAMS_MAY_STORE
        said = [json.dumps(c.body, ensure_ascii=False) for c in teams.fake.since(mark)]
        check_request(name, checked, stored, said)
        if name == "name is huge":
            async with look.connect() as connection:
                longest = await connection.exec_driver_sql(
                    "SELECT max(length(display_name)) FROM person"
                )
                assert longest.scalar_one() <= 200
    finally:
        await look.dispose()


async def test_teams_without_a_valid_token_is_refused_and_stores_nothing(
    teams: TeamsBotClient, sqlite_store: Store
) -> None:
    look = engine_for(sqlite_store.engine.url.render_as_string(hide_password=False))
    activity = json.dumps(teams.person("mallory").personal(text="/poc new Evil"))
    try:
        before = await digest(look)
        for authorization in (None, "Bearer", "Bearer not.a.jwt", "Basic YTpi"):
            headers = {"Content-Type": "application/json"}
            if authorization:
                headers["Authorization"] = authorization
            async with teams.session.post(
                f"{teams.bot_url}/api/messages", data=activity.encode(), headers=headers
            ) as response:
                assert response.status in (401, 403), (authorization, response.status)
        assert await digest(look) == before
    finally:
        await look.dispose()
