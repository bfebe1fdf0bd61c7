"""Activities as Teams posts them, signed, and what the bot sent back.

    alice = teams.person("alice", tenant="contoso")
    sent = await alice.says("hello")
    assert "Hello Alice!" in texts(sent)

Each call posts one activity to the bot over HTTP and returns the calls the
bot made to the (fake) Bot Connector while handling it. Only HTTP, JSON and
JWT: no SDK.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import aiohttp

from conversations.bank import load_bank
from tests.teams.fakes import Call, FakeBotFramework

APP_ID = "00000000-1111-2222-3333-444444444444"
BOT_ID = f"28:{APP_ID}"
BOT_NAME = "postpoc"
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
_ids = itertools.count(1)


def new_id() -> str:
    return f"1{next(_ids):012d}"


@dataclass
class Posted:
    """The bot's answer to one activity: its HTTP status and its calls to the connector."""

    status: int
    calls: list[Call]

    @property
    def sent(self) -> list[Call]:
        """New messages (sends, replies, created conversations), typing left out."""
        return [
            c for c in self.calls if c.kind not in ("update", "delete") and _type(c) != "typing"
        ]

    @property
    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "update"]

    @property
    def deletes(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "delete"]

    def text(self) -> str:
        return "\n".join(texts(c) for c in self.sent)


Settle = Callable[[float], Awaitable[bool]]


class TeamsBotClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        bot_url: str,
        fake: FakeBotFramework,
        settle: Settle | None = None,
    ) -> None:
        self.session = session
        self.bot_url = bot_url
        self.fake = fake
        # The bot may answer a request before its replies are all out (a reply
        # being retried): each post waits for that work, as the person would.
        self.settle = settle

    def person(self, user: str, *, tenant: str = "contoso", locale: str = "en-US") -> TeamsPerson:
        return TeamsPerson(self, user, tenant, locale)

    def token(self, **claims: Any) -> str:
        return self.fake.token(APP_ID, self.fake.url, **claims)

    async def post(
        self, activity: dict[str, Any], *, authorization: str | None = "valid"
    ) -> Posted:
        """Post ``activity``; ``authorization``: "valid" (signed), None (absent), or a header."""
        headers = {}
        if authorization == "valid":
            headers["Authorization"] = f"Bearer {self.token()}"
        elif authorization is not None:
            headers["Authorization"] = authorization
        mark = self.fake.mark()
        async with self.session.post(
            f"{self.bot_url}/api/messages",
            json=activity,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response:
            await response.read()
            status = response.status
        if self.settle is not None:
            assert await self.settle(15.0), "the bot was still working after 15 s"
        return Posted(status, self.fake.since(mark))


@dataclass
class TeamsPerson:
    client: TeamsBotClient
    user: str
    tenant: str
    locale: str
    timezone: str = "Europe/Paris"
    last_card: Call | None = field(default=None)

    @property
    def id(self) -> str:
        return f"29:{self.user}"

    @property
    def name(self) -> str:
        return self.user.title()

    @property
    def personal_conversation(self) -> str:
        return f"a:personal-{self.id}"

    def activity(self, conversation: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """An activity from this person, with everything Teams puts in one."""
        return {
            "type": "message",
            "id": new_id(),
            "timestamp": "2026-11-02T09:00:00.000Z",
            "localTimestamp": "2026-11-02T10:00:00.000+01:00",
            "localTimezone": self.timezone,
            "serviceUrl": self.client.fake.url,
            "channelId": "msteams",
            "from": {"id": self.id, "name": self.name, "aadObjectId": f"aad-{self.user}"},
            "conversation": {**conversation, "tenantId": self.tenant},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "locale": self.locale,
            "entities": [
                {"type": "clientInfo", "locale": self.locale, "country": "FR", "platform": "Web"}
            ],
            "channelData": {"tenant": {"id": self.tenant}},
            **fields,
        }

    def personal(self, **fields: Any) -> dict[str, Any]:
        return self.activity(
            {"id": self.personal_conversation, "conversationType": "personal"}, **fields
        )

    async def says(self, text: str) -> Posted:
        """Types ``text`` in the personal chat with the bot."""
        return await self.client.post(self.personal(text=text, textFormat="plain"))

    async def submits(self, card: Call, data: dict[str, Any]) -> Posted:
        """Presses a button of ``card`` (a message the bot sent), with inputs merged in."""
        activity = self.personal(replyToId=card.posted_id, value=data)
        return await self.client.post(activity)

    async def presses(self, card: Call, title: str, **inputs: str) -> Posted:
        """Presses the Action.Submit titled ``title`` on ``card``."""
        for action in actions(card):
            if action["type"] == "Action.Submit" and action["title"] == title:
                return await self.submits(card, {**action["data"], **inputs})
        raise AssertionError(f"no button {title!r} in {[a.get('title') for a in actions(card)]}")

    async def presses_move(self, card: Call, title: str) -> Posted:
        """Presses the Skip, Back or Pause button titled ``title`` on ``card``."""
        for action in moves(card):
            if action["title"] == title:
                return await self.submits(card, dict(action["data"]))
        raise AssertionError(f"no {title!r} in {[a.get('title') for a in moves(card)]}")

    def in_channel(
        self, channel: str, team: str, text: str, *, thread: str | None = None
    ) -> dict[str, Any]:
        """A message in a team channel that @mentions the bot."""
        tag = f"<at>{BOT_NAME}</at>"
        conversation = f"{channel};messageid={thread or new_id()}"
        return self.activity(
            {"id": conversation, "conversationType": "channel", "isGroup": True},
            text=f"{tag} {text}",
            entities=[
                {"type": "mention", "text": tag, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}
            ],
            channelData={
                "tenant": {"id": self.tenant},
                "team": {"id": team, "name": "Finance"},
                "channel": {"id": channel, "name": "General"},
            },
        )

    async def runs(self, command: str, *, channel: str, team: str) -> Posted:
        return await self.client.post(self.in_channel(channel, team, command))

    def installs_in_team(self, team: str) -> dict[str, Any]:
        """The conversationUpdate Teams sends when this person adds the bot to a team."""
        return self.activity(
            {"id": team, "conversationType": "channel", "isGroup": True},
            type="conversationUpdate",
            membersAdded=[{"id": BOT_ID}],
            channelData={
                "tenant": {"id": self.tenant},
                "team": {"id": team, "name": "Finance"},
                "eventType": "teamMemberAdded",
            },
        )

    def installation(self, action: str, *, team: str | None = None) -> dict[str, Any]:
        """An installationUpdate (``add`` or ``remove``), in a team or the personal scope."""
        if team is None:
            return self.personal(type="installationUpdate", action=action)
        return self.activity(
            {"id": team, "conversationType": "channel", "isGroup": True},
            type="installationUpdate",
            action=action,
            channelData={"tenant": {"id": self.tenant}, "team": {"id": team, "name": "Finance"}},
        )


# -- reading what the bot sent ------------------------------------------------------


def activity_of(call: Call) -> dict[str, Any]:
    """The activity of a call (a new channel thread carries it inside)."""
    if call.kind == "create":
        return call.body.get("activity") or {}
    return call.body


def _type(call: Call) -> str:
    return str(activity_of(call).get("type", ""))


def cards(call: Call) -> list[dict[str, Any]]:
    return [
        a["content"]
        for a in activity_of(call).get("attachments") or []
        if a.get("contentType") == ADAPTIVE
    ]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every element of a card, depth first (including cards shown by Action.ShowCard)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def texts(call: Call) -> str:
    """All the text a person sees in a message, one block a line."""
    lines = []
    activity = activity_of(call)
    if activity.get("text"):
        lines.append(str(activity["text"]))
    for card in cards(call):
        for element in walk(card.get("body", [])):
            if element.get("type") == "RichTextBlock":
                lines.append("".join(run["text"] for run in element["inlines"]))
            elif element.get("type") == "TextBlock":
                lines.append(element["text"])
    return "\n".join(lines)


def _all_actions(call: Call) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for card in cards(call):
        found.extend(e for e in walk(card) if str(e.get("type", "")).startswith("Action."))
    return found


def _is_move(action: dict[str, Any]) -> bool:
    return (action.get("data") or {}).get("postpoc") == "move"


def actions(call: Call) -> list[dict[str, Any]]:
    """What answers (or runs a command, or explains): not Skip, Back or Pause."""
    return [a for a in _all_actions(call) if not _is_move(a)]


def moves(call: Call) -> list[dict[str, Any]]:
    """The Skip, Back and Pause buttons of a question's card."""
    return [a for a in _all_actions(call) if _is_move(a)]


def inputs(call: Call) -> list[dict[str, Any]]:
    return [
        e for card in cards(call) for e in walk(card) if str(e.get("type", "")).startswith("Input.")
    ]


def bold_lines(call: Call) -> list[str]:
    return [
        "".join(run["text"] for run in e["inlines"])
        for card in cards(call)
        for e in walk(card.get("body", []))
        if e.get("type") == "RichTextBlock"
        and all(run.get("weight") == "Bolder" for run in e["inlines"])
    ]


DATE_INPUT = "postpoc_date"
VALUES_INPUT = "postpoc_values"


def unnumbered(title: str) -> str:
    """A choice as the script names it: "2. Staff only" → "staff only"."""
    return re.sub(r"^\d+\. ", "", title).lower()


def press_for(card: Call, answer: str) -> dict[str, Any] | None:
    """The submit data that gives ``answer`` on this card, if the card can give it."""
    submits = [a for a in actions(card) if a["type"] == "Action.Submit"]
    for action in submits:
        if answer.lower() in (unnumbered(action["title"]), str(action["data"].get("value", ""))):
            return dict(action["data"])
    fields = {i["type"]: i for i in inputs(card)}
    if "Input.Date" in fields and submits:
        return {**submits[0]["data"], DATE_INPUT: answer}
    choice_set = fields.get("Input.ChoiceSet")
    if choice_set and submits:
        by_name = {unnumbered(c["title"]): c["value"] for c in choice_set["choices"]}
        by_name.update({c["value"]: c["value"] for c in choice_set["choices"]})
        wanted = [part.strip().lower() for part in answer.split(",")]
        if all(part in by_name for part in wanted):
            return {**submits[0]["data"], VALUES_INPUT: ",".join(by_name[p] for p in wanted)}
    return None


@cache
def _questions_by_text() -> dict[str, str]:
    bank = load_bank()
    return {q.text.get("en").splitlines()[0].strip(): q.key for q in bank.questions}


def question_key(call: Call) -> str | None:
    """The bank key of the question a message asks, found by its (English) text."""
    known = _questions_by_text()
    return next((known[line] for line in bold_lines(call) if line in known), None)


def questions(calls: Sequence[Call]) -> list[tuple[str, Call]]:
    """The questions among the messages the bot sent, with their keys."""
    found: list[tuple[str, Call]] = []
    for call in calls:
        key = question_key(call) if call.kind != "update" else None
        if key is not None:
            found.append((key, call))
    return found
