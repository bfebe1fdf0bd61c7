"""Where each reply to a person goes, and how it gets there.

==========  ===============================================================
reply       goes to
==========  ===============================================================
Ask         the person's direct conversation with the bot, always (its
            message is edited later, which an ephemeral can't be)
Answered    edits the message that carried the question
Card with   in the DM: a message of its own; the one posted before for the
a slot      same slot (a POC's recommendation) is deleted (``chat.delete``)
Document    uploaded to the person's direct conversation (``files_upload_v2``,
            scope ``files:write``); when Slack refuses the upload, its
            ``fallback`` text is posted there instead
Image       uploaded as a file (``bot.slack.images``): to the channel when it
            is for everyone there, else to the person's direct conversation;
            when Slack refuses, its text alternative is shown as before
DIRECT      the direct conversation (``chat.postMessage`` to the user id)
PRIVATE     only the asker, where they asked: in their direct conversation
            a plain message; for a slash command or a button in a channel
            Slack's ``response_url`` (ephemeral); else ``chat.postEphemeral``
CHANNEL     where they asked, for everyone: the ``response_url`` of the
            command (in_channel), else ``chat.postMessage`` to that channel
==========  ===============================================================

``response_url`` needs no scope and works in any conversation the command
was typed in, even one the bot is not a member of. Consecutive replies that
go to the same place are posted as one message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import images, logs
from bot.slack.blocks import edited_answer_blocks, fallback, message_blocks, say_blocks
from bot.slack.calls import error_code, quietly
from bot.slack.escape import clip
from bot.slack.history import is_dm, post_once
from bot.slack.questions import Person, PostedRef, Questions
from bot.slack.texts import text
from conversations.messages import Answered, Ask, Card, Document, Image, Reply, Say, Visibility


@dataclass(frozen=True)
class Origin:
    """Who acted, where, and what Slack gave to answer them."""

    workspace: str
    user_id: str
    language: str
    channel_id: str | None = None  # None: the App Home, or a modal
    is_direct: bool = True  # the channel is their direct conversation with the bot
    response_url: str | None = None
    message: PostedRef | None = None  # the message they acted on, if any
    typed_ts: str | None = None  # the message they typed, when they typed one


@dataclass(frozen=True)
class Route:
    kind: str  # "direct", "hook", "channel" or "ephemeral"
    ephemeral: bool = False


DIRECT = Route("direct")


def slot_key(slot: str, user_id: str) -> str:
    """Where the message of ``Card.slot`` in this person's DM is remembered."""
    return f"slot:{slot}:{user_id}"


def route(origin: Origin, visibility: Visibility) -> Route:
    if visibility == Visibility.DIRECT:
        return DIRECT
    if origin.response_url:
        return Route("hook", ephemeral=visibility == Visibility.PRIVATE)
    if origin.is_direct or origin.channel_id is None:
        return DIRECT
    if visibility == Visibility.CHANNEL:
        return Route("channel")
    return Route("ephemeral", ephemeral=True)


class Responder:
    def __init__(self, questions: Questions) -> None:
        self.questions = questions

    async def deliver(
        self, client: AsyncWebClient, origin: Origin, replies: Sequence[Reply]
    ) -> None:
        batch: list[Reply] = []
        batch_route: Route | None = None
        who = Person(origin.workspace, origin.user_id)
        # The DM's id, once known: files go to a conversation, not a user id.
        dm = origin.channel_id if origin.is_direct and is_dm(origin.channel_id) else None
        later: list[Image] = []
        try:
            for reply in replies:
                if isinstance(reply, Answered | Ask):
                    await self._send(client, origin, batch_route, batch)
                    batch, batch_route = [], None
                    await self._question(client, origin, who, reply)
                    continue
                if (
                    isinstance(reply, Card)
                    and reply.slot
                    and route(origin, reply.visibility) == DIRECT
                ):
                    await self._send(client, origin, batch_route, batch)
                    batch, batch_route = [], None
                    await self._slotted(client, origin, reply, reply.slot)
                    continue
                if isinstance(reply, Document):
                    await self._send(client, origin, batch_route, batch)
                    batch, batch_route = [], None
                    await self._document(client, origin, reply)
                    continue
                where = route(origin, reply.visibility)
                if isinstance(reply, Image) and where.ephemeral and not origin.is_direct:
                    # Only the asker sees this reply, and a file can't be ephemeral:
                    # the text alternative stays with it, the picture goes to their DM.
                    later.append(reply)
                elif isinstance(reply, Image):
                    dm = await self._send(client, origin, batch_route, batch) or dm
                    batch, batch_route = [], None
                    dm = await self._image(client, origin, reply, dm)
                    continue
                if where != batch_route:
                    dm = await self._send(client, origin, batch_route, batch) or dm
                    batch, batch_route = [], where
                batch.append(reply)
            await self._send(client, origin, batch_route, batch)
            for image in later:
                dm = await self._image(
                    client, origin, replace(image, visibility=Visibility.DIRECT), dm
                )
        finally:
            await self.questions.save(who)

    async def _image(
        self, client: AsyncWebClient, origin: Origin, image: Image, dm: str | None
    ) -> str | None:
        """The chart as a file where it is read; its text alternative where
        Slack refuses the file. Returns the DM's id when it is known."""
        where = route(origin, image.visibility)
        for_everyone = where.kind == "channel" or (where.kind == "hook" and not where.ephemeral)
        if for_everyone and not origin.is_direct and origin.channel_id:
            if await images.upload(client, origin.channel_id, image):
                return dm
            await self._send(client, origin, where, [image])
            return dm
        if dm is None:
            # The DM's id comes from a post there: the line saying what the chart shows.
            posted = await post_once(
                client,
                channel=origin.user_id,
                dm=None,
                blocks=message_blocks([image], origin.language),
                text=fallback([image]),
            )
            if posted is None:
                return None
            dm = str(posted["channel"])
            await images.upload(client, dm, image)
            return dm
        if not await images.upload(client, dm, image):
            await self._send(client, origin, DIRECT, [image])
        return dm

    async def _slotted(self, client: AsyncWebClient, origin: Origin, card: Card, slot: str) -> None:
        """A card of which only the latest should be seen (a POC's recommendation):
        posted in the DM, and the one posted before for the same slot deleted,
        so that an edit that changes the recommendation never leaves two."""
        dm = origin.channel_id if origin.is_direct and is_dm(origin.channel_id) else None
        posted = await post_once(
            client,
            channel=origin.user_id,
            dm=dm,
            blocks=message_blocks([card], origin.language),
            text=fallback([card]),
            unfurl_links=False,
        )
        if posted is None:
            return
        platform = self.questions.platform
        key = slot_key(slot, origin.user_id)
        now = PostedRef(str(posted["channel"]), str(posted["ts"]))
        earlier = PostedRef.parse(await platform.swap_posted(origin.workspace, key, str(now)))
        if earlier is not None and (earlier.channel, earlier.ts) != (now.channel, now.ts):
            await quietly("chat.delete", client.chat_delete(channel=earlier.channel, ts=earlier.ts))

    async def _document(self, client: AsyncWebClient, origin: Origin, document: Document) -> None:
        """The file in the person's DM, under a line saying what it is. The
        DM's id comes from that line's post (a user id is no channel for an
        upload, and opening the DM would need another scope)."""
        title = message_blocks([Say(document.title)], origin.language)
        dm = origin.channel_id if origin.is_direct and is_dm(origin.channel_id) else None
        posted = await post_once(
            client, channel=origin.user_id, dm=dm, blocks=title, text=document.title
        )
        if posted is None:
            return
        channel = str(posted["channel"])
        # Rendering takes a second or so: off the event loop, which answers Slack.
        content = await asyncio.to_thread(document.make)
        try:
            await client.files_upload_v2(
                channel=channel,
                file=content,
                filename=document.filename,
                title=document.title,
            )
            return
        except (SlackApiError, SlackRequestError, ClientError, TimeoutError) as error:
            logs.post_failed("files_upload_v2", error_code(error))
        blocks = message_blocks([Say(document.fallback)], origin.language)
        await post_once(
            client, channel=origin.user_id, dm=channel, blocks=blocks, text=document.fallback
        )

    async def _question(
        self, client: AsyncWebClient, origin: Origin, who: Person, reply: Answered | Ask
    ) -> None:
        if isinstance(reply, Ask):
            await self.questions.ask(client, who, reply, origin.language)
        else:
            await self.questions.settle(
                client, who, reply, origin.language, origin.message, typed_ts=origin.typed_ts
            )

    async def edited(
        self, client: AsyncWebClient, who: Person, channel: str, ts: str, language: str
    ) -> None:
        """The person edited message ``ts`` in their DM: if it was their last
        answer, the Edit button of that answer; else how to change an answer."""
        last = await self.questions.last_answer(who)
        if last is not None and last.get("ts") == ts and last.get("edit"):
            blocks = edited_answer_blocks(
                text("edited_last_answer", language, answer=str(last.get("summary") or "")),
                str(last["edit"]),
                language,
            )
            fallback_text = text("edited_last_answer", language, answer="")
        else:
            fallback_text = text("edited_old_message", language)
            blocks = say_blocks(Say(fallback_text))
        await quietly(
            "chat.postMessage",
            client.chat_postMessage(
                channel=channel or who.user_id, blocks=blocks, text=clip(fallback_text, 3000)
            ),
        )

    async def _send(
        self, client: AsyncWebClient, origin: Origin, where: Route | None, batch: list[Reply]
    ) -> str | None:
        """Posts ``batch`` as one message; the DM's id when it went there."""
        if where is None or not batch:
            return None
        blocks = message_blocks(batch, origin.language)
        text = fallback(batch)
        if where.kind == "hook" and origin.response_url:
            await self._hook(client, origin.response_url, where.ephemeral, blocks, text)
        elif where.kind == "channel" and origin.channel_id:
            await quietly(
                "chat.postMessage",
                client.chat_postMessage(
                    channel=origin.channel_id, blocks=blocks, text=text, unfurl_links=False
                ),
            )
        elif where.kind == "ephemeral" and origin.channel_id:
            await quietly(
                "chat.postEphemeral",
                client.chat_postEphemeral(
                    channel=origin.channel_id, user=origin.user_id, blocks=blocks, text=text
                ),
            )
        else:
            dm = origin.channel_id if origin.is_direct else None
            posted = await post_once(
                client,
                channel=origin.user_id,
                dm=dm if is_dm(dm) else None,
                blocks=blocks,
                text=text,
                unfurl_links=False,
            )
            return str(posted["channel"]) if posted is not None else None
        return None

    @staticmethod
    async def _hook(
        client: AsyncWebClient,
        url: str,
        ephemeral: bool,
        blocks: list[dict[str, object]],
        text: str,
    ) -> None:
        # The same retries as the Web API: Slack rate-limits response_url too.
        hook = AsyncWebhookClient(
            url, session=client.session, retry_handlers=list(client.retry_handlers or [])
        )
        response = await quietly(
            "response_url",
            hook.send_dict(
                {
                    "response_type": "ephemeral" if ephemeral else "in_channel",
                    "replace_original": False,
                    "text": text,
                    "blocks": blocks,
                }
            ),
        )
        if response is not None and response.status_code != 200:
            logs.post_failed("response_url", str(response.status_code))
