"""People using the bot through Slack, over real HTTP, signed as Slack signs.

    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    question = lea.question()
    await lea.presses(question, "no")

Each request is what Slack sends: a slash command as a form, an event as
JSON, a button press or a modal submit as a form with one ``payload`` field,
signed with the signing secret and the current time. After each one the
harness waits (bounded) until the bot has finished the work it does after
its ack, so a test reads the fake Slack's record straight away.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.slack import ids
from bot.slack.app import SlackBot
from conversations.engine import read_token
from tests.slack.fake_slack import TEAM, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
APP_ID = "A0POSTPOC"
SETTLE_SECONDS = 15.0


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


@dataclass
class Reply:
    """What the bot answered to one request: the HTTP response."""

    status: int
    body: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


@dataclass
class Message:
    """A message the bot posted, as the fake Slack holds it now."""

    channel: str
    ts: str
    blocks: list[dict[str, Any]]
    text: str | None

    def elements(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(block, element) for every interactive element."""
        for block in self.blocks:
            if block.get("type") == "actions":
                for element in block["elements"]:
                    yield block, element
            if block.get("accessory"):
                yield block, block["accessory"]

    @property
    def token(self) -> str | None:
        """The token of the question this message asks, while it is open."""
        for block in self.blocks:
            found = ids.question_token(block.get("block_id", ""))
            if found:
                return found
        return None

    @property
    def key(self) -> str:
        token = read_token(self.token or "")
        assert token is not None, f"not a question: {self.words()}"
        return token.key

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The buttons that answer or edit: not Skip, Back, Pause (:attr:`moves`), nor
        those that run a command (:attr:`commands`)."""
        return [
            e
            for _, e in self.elements()
            if e.get("type") == "button"
            and not _is_move(e)
            and not str(e.get("action_id")).startswith(ids.RUN)
        ]

    @property
    def moves(self) -> list[str]:
        """The labels of its Skip, Back and Pause buttons, in order."""
        return [e["text"]["text"] for _, e in self.elements() if _is_move(e)]

    @property
    def commands(self) -> list[dict[str, Any]]:
        """Buttons that run a command, such as "Someone else should answer this"."""
        return [
            e
            for _, e in self.elements()
            if e.get("type") == "button" and str(e.get("action_id")).startswith(ids.RUN)
        ]

    def kinds(self) -> set[str]:
        return {e["type"] for _, e in self.elements() if not _is_move(e)}

    @property
    def is_open(self) -> bool:
        """Still has inputs that answer a question."""
        return self.token is not None

    def words(self) -> str:
        """Every text in the message, as Slack received it (escaped)."""
        return "\n".join(texts_of(self.blocks)) + "\n" + (self.text or "")


def _is_move(element: dict[str, Any]) -> bool:
    return str(element.get("action_id", "")).startswith(ids.MOVE)


def texts_of(value: Any) -> Iterator[str]:
    """Every ``text`` string inside Block Kit (text objects, options, buttons)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from texts_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_of(item)


@dataclass
class Slack:
    """One workspace talking to the bot at ``bot_url``."""

    bot_url: str
    fake: FakeSlack
    bot: SlackBot
    session: aiohttp.ClientSession
    team: str = TEAM
    sleeps: list[float] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def person(
        self, user_id: str, name: str, *, locale: str = "en-US", tz: str = "Europe/Paris"
    ) -> Person:
        self.fake.add_user(user_id, name, locale=locale, tz=tz)
        return Person(self, user_id, name)

    async def settled(self) -> None:
        assert await self.bot.settled(SETTLE_SECONDS), "the bot was still working after 15 s"

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        settle: bool = True,
    ) -> Reply:
        signed = {"Content-Type": content_type, **(sign(body) if headers is None else headers)}
        async with self.session.post(
            self.bot_url + "/slack/events", data=body.encode(), headers=signed
        ) as response:
            reply = Reply(response.status, await response.text())
        if settle:
            await self.settled()
        return reply

    async def get(self, path: str, *, cookie: str | None = None) -> tuple[Reply, dict[str, str]]:
        """A browser visiting ``path`` (the OAuth pages); the reply and its headers."""
        headers = {"Cookie": cookie} if cookie else {}
        async with self.session.get(
            self.bot_url + path, headers=headers, allow_redirects=False
        ) as response:
            return Reply(response.status, await response.text()), dict(response.headers)

    async def form(self, fields: dict[str, str], **options: Any) -> Reply:
        return await self.send(urlencode(fields), "application/x-www-form-urlencoded", **options)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry: int | None = None,
        team: str | None = None,
        enterprise: str | None = None,
        **options: Any,
    ) -> Reply:
        team = team or self.team
        envelope: dict[str, Any] = {
            "token": "unused",
            "team_id": team,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self.next_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": team,
                    "user_id": "UBOTPOC",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        if enterprise:
            envelope["enterprise_id"] = enterprise
            envelope["authorizations"][0]["enterprise_id"] = enterprise
        body = json.dumps(envelope)
        headers = sign(body)
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.send(body, "application/json", headers=headers, **options)

    def message(self, channel: str, ts: str) -> Message:
        stored = self.fake.messages[(channel, ts)]
        return Message(channel, ts, stored.get("blocks") or [], stored.get("text"))


@dataclass
class Person:
    slack: Slack
    user_id: str
    name: str
    last_reply: Reply | None = None

    @property
    def dm(self) -> str:
        return self.slack.fake.dm_channel(self.user_id)

    # -- what they see --------------------------------------------------------------

    def messages(self) -> list[Message]:
        """Their direct conversation with the bot, oldest first."""
        return [
            self.slack.message(channel, ts)
            for (channel, ts) in sorted(self.slack.fake.messages)
            if channel == self.dm
        ]

    def question(self) -> Message:
        """The question waiting for them: the one message that can answer it."""
        open_ = [m for m in self.messages() if m.is_open]
        assert len(open_) == 1, f"{len(open_)} open questions in the DM"
        return open_[0]

    def has_open_question(self) -> bool:
        return any(m.is_open for m in self.messages())

    def last(self) -> Message:
        return self.messages()[-1]

    def replies(self, hook: str) -> list[dict[str, Any]]:
        return self.slack.fake.responses(hook)

    # -- what they do ------------------------------------------------------------------

    async def runs(
        self,
        command: str,
        *,
        channel: str = "C0TEAM",
        channel_name: str = "team",
        settle: bool = True,
    ) -> str:
        """Types ``/poc ...``; returns the name of the response_url hook."""
        hook = self.slack.next_id("hook")
        reply = await self.slack.form(
            {
                "token": "unused",
                "team_id": self.slack.team,
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": channel_name,
                "user_id": self.user_id,
                "user_name": self.name,
                "command": "/poc",
                "text": command.removeprefix("/poc").strip(),
                "api_app_id": APP_ID,
                "response_url": self.slack.fake.response_url(hook),
                "trigger_id": self.slack.next_id("trigger."),
            },
            settle=settle,
        )
        self.last_reply = reply
        return hook

    async def says(
        self, text: str, *, event_id: str | None = None, retry: int | None = None, **options: Any
    ) -> Reply:
        """Types ``text`` in their direct conversation with the bot."""
        return await self.slack.event(
            {
                "type": "message",
                "channel": self.dm,
                "channel_type": "im",
                "user": self.user_id,
                "text": text,
                "ts": f"{time.time():.6f}",
            },
            event_id=event_id,
            retry=retry,
            **options,
        )

    async def acts(
        self,
        message: Message,
        action: dict[str, Any],
        block_id: str | None,
        state: dict[str, Any] | None = None,
    ) -> Reply:
        payload = {
            "type": "block_actions",
            "user": {"id": self.user_id, "team_id": self.slack.team, "name": self.name},
            "team": {"id": self.slack.team, "domain": "acme"},
            "api_app_id": APP_ID,
            "token": "unused",
            "trigger_id": self.slack.next_id("trigger."),
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            },
            "channel": {"id": message.channel, "name": "directmessage"},
            "message": {"ts": message.ts, "blocks": message.blocks, "text": message.text},
            "response_url": self.slack.fake.response_url(self.slack.next_id("hook")),
            "state": {"values": state or {}},
            "actions": [{**action, "block_id": block_id, "action_ts": f"{time.time():.6f}"}],
        }
        return await self.slack.form({"payload": json.dumps(payload)})

    async def answers(
        self, question: Message, value: str, people: dict[str, str] | None = None
    ) -> Reply:
        """Answers the way the question asks for: boxes, a picker, a button, or
        typing. ``people`` maps names to user ids, for the user picker."""
        kinds = question.kinds()
        if "checkboxes" in kinds:
            return await self.ticks(question, [part.strip() for part in value.split(",")])
        if "datepicker" in kinds:
            return await self.picks_date(question, value)
        if "users_select" in kinds and value in (people or {}):
            return await self.picks_person(question, (people or {})[value])
        if question.buttons:
            return await self.presses(question, value)
        return await self.says(value)

    async def answers_until(self, typed: bool, script: dict[str, str]) -> Message:
        """Answers from ``script`` until a question to be typed (or not) comes."""
        for _ in range(len(script)):
            question = self.question()
            if (not question.buttons and not question.kinds() - {"button"}) == typed:
                return question
            await self.answers(question, script[question.key])
        raise AssertionError("no such question in the script")

    async def presses(self, message: Message, choice: str) -> Reply:
        """Presses the button whose value or label is ``choice``."""
        for block, element in message.elements():
            label = element.get("text", {}).get("text", "")
            if (
                element.get("type") == "button"
                and not _is_move(element)
                and choice.casefold()
                in (
                    str(element.get("value")).casefold(),
                    label.casefold(),
                )
            ):
                return await self.acts(
                    message,
                    {
                        "type": "button",
                        "action_id": element["action_id"],
                        "value": element["value"],
                        "text": element["text"],
                    },
                    block.get("block_id"),
                )
        raise AssertionError(f"no button {choice!r} in {message.words()}")

    async def ticks(self, message: Message, choices: list[str]) -> Reply:
        """Ticks the checkboxes named ``choices``, then presses Submit."""
        block, boxes = next((b, e) for b, e in message.elements() if e["type"] == "checkboxes")
        wanted = {c.casefold() for c in choices}
        picked = [
            o
            for o in boxes["options"]
            if o["value"].casefold() in wanted or o["text"]["text"].casefold() in wanted
        ]
        assert len(picked) == len(choices), f"not all of {choices} are offered"
        state = {block["block_id"]: {ids.PICK: {"type": "checkboxes", "selected_options": picked}}}
        submit = next(e for _, e in message.elements() if e.get("action_id") == ids.SUBMIT)
        return await self.acts(
            message,
            {"type": "button", "action_id": ids.SUBMIT, "value": submit["value"]},
            block["block_id"],
            state,
        )

    async def picks_date(self, message: Message, day: str) -> Reply:
        block = next(b for b, e in message.elements() if e["type"] == "datepicker")
        return await self.acts(
            message,
            {"type": "datepicker", "action_id": ids.DATE, "selected_date": day},
            block["block_id"],
        )

    async def picks_person(self, message: Message, user_id: str) -> Reply:
        block = next(b for b, e in message.elements() if e["type"] == "users_select")
        return await self.acts(
            message,
            {"type": "users_select", "action_id": ids.PERSON, "selected_user": user_id},
            block["block_id"],
        )

    async def presses_move(self, message: Message, label: str) -> Reply:
        """Presses its Skip, Back or Pause button (by label)."""
        for block, element in message.elements():
            if _is_move(element) and element["text"]["text"] == label:
                return await self.acts(
                    message,
                    {
                        "type": "button",
                        "action_id": element["action_id"],
                        "value": element["value"],
                        "text": element["text"],
                    },
                    block.get("block_id"),
                )
        raise AssertionError(f"no {label!r} button in {message.words()}")

    async def presses_edit(self, message: Message) -> Reply:
        block, element = next(
            (b, e) for b, e in message.elements() if e.get("action_id") == ids.EDIT
        )
        return await self.acts(
            message,
            {"type": "button", "action_id": ids.EDIT, "value": element["value"]},
            block.get("block_id"),
        )

    async def opens_home(self) -> Reply:
        return await self.slack.event(
            {"type": "app_home_opened", "user": self.user_id, "channel": self.dm, "tab": "home"}
        )

    async def presses_in_home(self, label: str) -> Reply:
        view = self.slack.fake.homes[self.user_id]
        for block in view["blocks"]:
            for element in block.get("elements", []):
                if element.get("type") == "button" and element["text"]["text"] == label:
                    payload = {
                        "type": "block_actions",
                        "user": {"id": self.user_id, "team_id": self.slack.team},
                        "team": {"id": self.slack.team},
                        "api_app_id": APP_ID,
                        "token": "unused",
                        "trigger_id": self.slack.next_id("trigger."),
                        "container": {"type": "view", "view_id": "VHOME"},
                        "view": {"id": "VHOME", "type": "home", "blocks": view["blocks"]},
                        "actions": [{**element, "block_id": block.get("block_id", "b")}],
                    }
                    return await self.slack.form({"payload": json.dumps(payload)})
        raise AssertionError(f"no button {label!r} in the App Home")

    async def submits(
        self,
        view_id: str,
        *,
        value: str | None = None,
        options: list[str] | None = None,
        settle: bool = True,
    ) -> Reply:
        """Submits the modal ``view_id`` with a typed value or picked options."""
        view = self.slack.fake.views[view_id]
        element = next(b for b in view["blocks"] if b.get("block_id") == ids.INPUT_BLOCK)["element"]
        state: dict[str, Any] = {"type": element["type"]}
        if value is not None:
            state["value"] = value
        if options is not None:
            chosen = [o for o in element.get("options", []) if o["value"] in options]
            if element["type"] in ("radio_buttons", "static_select"):
                state["selected_option"] = chosen[0]
            else:
                state["selected_options"] = chosen
        payload = {
            "type": "view_submission",
            "team": {"id": self.slack.team, "domain": "acme"},
            "user": {"id": self.user_id, "team_id": self.slack.team},
            "api_app_id": APP_ID,
            "token": "unused",
            "trigger_id": self.slack.next_id("trigger."),
            "view": {
                **view,
                "id": view_id,
                "team_id": self.slack.team,
                "state": {"values": {ids.INPUT_BLOCK: {ids.INPUT_ACTION: state}}},
            },
        }
        return await self.slack.form({"payload": json.dumps(payload)}, settle=settle)

    async def closes(self, view_id: str) -> Reply:
        view = self.slack.fake.views[view_id]
        payload = {
            "type": "view_closed",
            "team": {"id": self.slack.team},
            "user": {"id": self.user_id, "team_id": self.slack.team},
            "api_app_id": APP_ID,
            "token": "unused",
            "view": {**view, "id": view_id, "team_id": self.slack.team},
            "is_cleared": False,
        }
        return await self.slack.form({"payload": json.dumps(payload)})
