"""Interview questions as Slack messages in a person's direct conversation.

A question is posted once per token and its message remembered
(:mod:`bot.slack.remembered`); when it is answered, by a button, a
picker, a reply typed below it or a modal, the message is edited so that only
the answer is left: an old button can't be pressed twice. When the interview
moves on without answering it (``back``, an edit, a resume), the next
question posted strips the previous one of its inputs, so exactly one
message can answer at any time; one that was answered all the same (its
settling lost to a restart) shows its answer rather than "moved on". An
answer it could not take is shown in the question's own message, so a
question is one message however many tries it takes. What the person's last open question is
lives with their address (``person:<user id>``), not in process memory:
replicas share it. The address is read once and written once per delivery
(:class:`Person`), and both are kept in memory and written behind, with the
next transaction that writes (:mod:`bot.slack.remembered`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import answered_blocks, ask_blocks, moved_on_blocks
from bot.slack.calls import quietly
from bot.slack.escape import clip
from bot.slack.history import post_once
from bot.slack.remembered import Remembered
from conversations.engine import read_token
from conversations.messages import Answered, Ask

OPEN = "question"
LAST_ANSWER = "last_answer"


@dataclass(frozen=True)
class PostedRef:
    """Where a question was posted, and for which POC (for its Edit button)."""

    channel: str
    ts: str
    poc: str = ""

    def __str__(self) -> str:
        return f"{self.channel}:{self.ts}:{self.poc}"

    @classmethod
    def parse(cls, raw: str | None) -> PostedRef | None:
        parts = (raw or "").split(":", 2)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            return None
        return cls(parts[0], parts[1], parts[2] if len(parts) > 2 else "")


def person(user_id: str) -> str:
    return f"person:{user_id}"


def _later(token: str, than: str) -> bool:
    """``token`` asks at a later revision of the interview ``than`` asked in."""
    new, old = read_token(token), read_token(than)
    return (
        new is not None
        and old is not None
        and new.interview_id == old.interview_id
        and new.revision > old.revision
    )


def edit_command(ref: PostedRef, token: str) -> str | None:
    """``edit <poc> <question>`` for the Edit button of an answered question."""
    read = read_token(token)
    return f"edit {ref.poc} {read.key}" if ref.poc and read else None


class Person:
    """A person's address (``person:<user id>``), read once per delivery and
    written once at its end (:meth:`Questions.save`), however many questions
    the delivery settles and asks."""

    def __init__(self, workspace: str, user_id: str) -> None:
        self.workspace = workspace
        self.user_id = user_id
        self.address: dict[str, Any] | None = None
        self.changed = False
        self.settled = ""
        """The token of the question this delivery settled, if any."""

    def opened(self) -> dict[str, Any]:
        """The question left open in their DM, as remembered (``{}``: none)."""
        found = (self.address or {}).get(OPEN)
        return found if isinstance(found, dict) else {}


Settled = Callable[[str, str, str], Awaitable[Answered | None]]
"""``(workspace, token, language)`` → how the core settled that question, if it
did (:meth:`conversations.service.Service.settled`)."""


class Questions:
    def __init__(self, platform: Remembered, settled: Settled | None = None) -> None:
        self.platform = platform
        self.settled = settled

    async def _load(self, who: Person) -> dict[str, Any]:
        if who.address is None:
            who.address = await self.platform.address(who.workspace, person(who.user_id)) or {}
        return who.address

    async def _posted(self, who: Person, token: str) -> PostedRef | None:
        """Where the question ``token`` was posted: the open one is known from
        the address already; one asked at a later revision of the open one's
        interview was never posted (the open question is the latest posted);
        any other is looked up."""
        opened = who.opened()
        if opened.get("token") == token:
            return PostedRef.parse(opened.get("ref"))
        if _later(token, str(opened.get("token") or who.settled)):
            return None
        return PostedRef.parse(await self.platform.posted(who.workspace, token))

    async def ask(self, client: AsyncWebClient, who: Person, ask: Ask, language: str) -> None:
        """Show ``ask`` in the person's direct conversation with the bot."""
        address = await self._load(who)
        already = await self._posted(who, ask.token)
        if already is not None:
            # The same question again (an answer it did not accept, or help):
            # its message is brought up to date rather than posted twice.
            # What was wrong is shown in it, above the question: one message
            # per question, however many tries it takes.
            await self._update(client, already, ask_blocks(ask, language), ask.text)
            return
        await self._retire(client, who, address.get(OPEN), language)
        dm = address.get("channel")
        posted = await post_once(
            client,
            channel=who.user_id,
            dm=dm if isinstance(dm, str) else None,
            blocks=ask_blocks(ask, language),
            text=clip(ask.text, 3000),
            unfurl_links=False,
            unfurl_media=False,
        )
        if posted is None:
            return
        ref = PostedRef(str(posted["channel"]), str(posted["ts"]), ask.poc_handle)
        # At once, on its own: should the process stop before the address is
        # saved, the message can still be settled when its answer comes.
        await self.platform.remember_posted(who.workspace, ask.token, str(ref))
        opened = {"token": ask.token, "ref": str(ref), "text": ask.text}
        who.address = {**address, "channel": ref.channel, OPEN: opened}
        who.changed = True

    async def settle(
        self,
        client: AsyncWebClient,
        who: Person,
        answered: Answered,
        language: str,
        shown_in: PostedRef | None = None,
        typed_ts: str | None = None,
    ) -> None:
        """Replace a question's inputs with its answer. ``shown_in`` is the
        message the person acted on, for a question that was never posted by
        token (one edited in a modal). ``typed_ts`` is the message they typed
        the answer in: should they edit it, they are shown this answer's Edit."""
        address = await self._load(who)
        ref = await self._posted(who, answered.token) or shown_in
        who.settled = answered.token
        if ref is None:
            return
        edit = None if answered.left else edit_command(ref, answered.token)
        await self._update(client, ref, answered_blocks(answered, edit, language), answered.summary)
        if typed_ts and edit:
            who.address = {
                **(who.address or {}),
                LAST_ANSWER: {"ts": typed_ts, "edit": edit, "summary": answered.summary[:300]},
            }
            who.changed = True
            address = who.address
        if who.opened().get("token") == answered.token:
            who.address = {k: v for k, v in address.items() if k != OPEN}
            who.changed = True

    async def last_answer(self, who: Person) -> dict[str, Any] | None:
        """The answer the person last typed (its message ``ts``, ``edit`` command)."""
        found = (await self._load(who)).get(LAST_ANSWER)
        return found if isinstance(found, dict) else None

    async def save(self, who: Person) -> None:
        """Write the person's address back, if the delivery changed it."""
        if who.changed and who.address is not None:
            await self.platform.remember_address(who.workspace, person(who.user_id), who.address)
            who.changed = False

    async def _retire(
        self, client: AsyncWebClient, who: Person, opened: Any, language: str
    ) -> None:
        """Strip the question left open of its inputs. One that was answered
        (its settling lost, say to a restart between storing the answer and
        editing the message) shows its answer; else it says it moved on."""
        if not isinstance(opened, dict):
            return
        ref = PostedRef.parse(opened.get("ref"))
        if ref is None:
            return
        token = str(opened.get("token") or "")
        answered = await self.settled(who.workspace, token, language) if self.settled else None
        if answered is not None:
            blocks = answered_blocks(answered, edit_command(ref, token), language)
            await self._update(client, ref, blocks, answered.summary)
            return
        asked = str(opened.get("text") or "")
        await self._update(client, ref, moved_on_blocks(asked, language), asked)

    @staticmethod
    async def _update(
        client: AsyncWebClient, ref: PostedRef, blocks: list[dict[str, Any]], fallback: str
    ) -> None:
        await quietly(
            "chat.update",
            client.chat_update(
                channel=ref.channel, ts=ref.ts, blocks=blocks, text=clip(fallback, 3000)
            ),
        )
