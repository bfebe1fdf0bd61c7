"""Interview questions as Slack messages in a person's direct conversation.

A question is posted once per token and its message remembered
(``PlatformState.remember_posted``); when it is answered, by a button, a
picker, a reply typed below it or a modal, the message is edited so that only
the answer is left: an old button can't be pressed twice. When the interview
moves on without answering it (``back``, an edit, a resume), the next
question posted strips the previous one of its inputs, so exactly one
message can answer at any time. What the person's last open question is
lives with their address (``person:<user id>``), not in process memory:
replicas share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import answered_blocks, ask_blocks, moved_on_blocks, say_blocks
from bot.slack.calls import quietly
from bot.slack.escape import clip
from conversations.engine import read_token
from conversations.messages import Answered, Ask, Say
from conversations.platform_state import PlatformState

OPEN = "question"


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


def edit_command(ref: PostedRef, token: str) -> str | None:
    """``edit <poc> <question>`` for the Edit button of an answered question."""
    read = read_token(token)
    return f"edit {ref.poc} {read.key}" if ref.poc and read else None


class Questions:
    def __init__(self, platform: PlatformState) -> None:
        self.platform = platform

    async def ask(
        self, client: AsyncWebClient, workspace: str, user_id: str, ask: Ask, language: str
    ) -> None:
        """Show ``ask`` in the person's direct conversation with the bot."""
        already = PostedRef.parse(await self.platform.posted(workspace, ask.token))
        if already is not None:
            # The same question again (an answer it did not accept, or help):
            # its message is brought up to date rather than posted twice.
            await self._update(client, already, ask_blocks(ask, language), ask.text)
            if ask.error:
                await quietly(
                    "chat.postMessage",
                    client.chat_postMessage(
                        channel=already.channel,
                        blocks=say_blocks(Say(":warning: " + ask.error)),
                        text=clip(ask.error, 3000),
                    ),
                )
            return
        address = await self.platform.address(workspace, person(user_id)) or {}
        await self._retire(client, address.get(OPEN), language)
        posted = await quietly(
            "chat.postMessage",
            client.chat_postMessage(
                channel=user_id,
                blocks=ask_blocks(ask, language),
                text=clip(ask.text, 3000),
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        if posted is None:
            return
        ref = PostedRef(str(posted["channel"]), str(posted["ts"]), ask.poc_handle)
        await self.platform.remember_posted(workspace, ask.token, str(ref))
        opened = {"token": ask.token, "ref": str(ref), "text": ask.text}
        await self.platform.remember_address(
            workspace, person(user_id), {**address, "channel": ref.channel, OPEN: opened}
        )

    async def settle(
        self,
        client: AsyncWebClient,
        workspace: str,
        user_id: str,
        answered: Answered,
        language: str,
        shown_in: PostedRef | None = None,
    ) -> None:
        """Replace a question's inputs with its answer. ``shown_in`` is the
        message the person acted on, for a question that was never posted by
        token (one edited in a modal)."""
        ref = PostedRef.parse(await self.platform.posted(workspace, answered.token)) or shown_in
        if ref is None:
            return
        await self._update(
            client,
            ref,
            answered_blocks(answered, edit_command(ref, answered.token), language),
            answered.summary,
        )
        address = await self.platform.address(workspace, person(user_id)) or {}
        if (address.get(OPEN) or {}).get("token") == answered.token:
            await self.platform.remember_address(
                workspace, person(user_id), {k: v for k, v in address.items() if k != OPEN}
            )

    async def _retire(self, client: AsyncWebClient, opened: Any, language: str) -> None:
        if not isinstance(opened, dict):
            return
        ref = PostedRef.parse(opened.get("ref"))
        if ref is not None:
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
