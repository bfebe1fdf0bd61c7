"""Unprompted posts (weekly nudges, check-ins, decision posts) for the outbox.

One call, one ``chat.postMessage``: the client's retry handler may retry a
rate limit or an outage within the call, and whatever still fails comes out
as :class:`DeliveryError` with Slack's ``Retry-After``, so the outbox, which
knows whether anything went out, decides when to try again.

The outbox's idempotency key travels in the message's metadata
(``postpoc_post``). Finding a post by it would mean reading the channel's
history, which needs scopes the bot does not ask for (``channels:history``,
``groups:history``): :meth:`SlackMessenger.find` says it can't tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import fallback, message_blocks
from bot.slack.calls import error_code
from bot.slack.oauth import TokenSource
from bot.slack.questions import PostedRef
from conversations.delivery import DeliveryError, Destination
from conversations.messages import Ask, Reply
from conversations.platform_state import PlatformState

METADATA_TYPE = "postpoc_post"

# Slack error codes that mean "later", whatever the HTTP status said.
TRANSIENT = frozenset(
    {"ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout"}
)


def delivery_error(error: SlackApiError) -> DeliveryError:
    status = error.response.status_code
    code = error_code(error)
    wait = error.response.headers.get("Retry-After") if error.response.headers else None
    retry_after = float(wait) if wait and str(wait).replace(".", "", 1).isdigit() else None
    retryable = status == 429 or status >= 500 or code in TRANSIENT
    return DeliveryError(code, retryable=retryable, retry_after=retry_after)


class SlackMessenger:
    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        tokens: TokenSource,
        platform_state: PlatformState,
        language: str = "en",
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.platform_state = platform_state
        self.language = language

    async def post(
        self, destination: Destination, replies: Sequence[Reply], *, key: str | None = None
    ) -> str:
        """Post ``replies`` as one message; return ``"<channel>:<ts>"``."""
        workspace = destination.workspace
        if not await self.platform_state.is_active(workspace):
            raise DeliveryError("postpoc is uninstalled from this workspace", retryable=False)
        token = await self.tokens.bot_token(workspace)
        channel = destination.channel or destination.person
        if not token or not channel:
            raise DeliveryError("no bot token or no conversation to post in", retryable=False)
        thread = PostedRef.parse(destination.thread) if destination.thread else None
        try:
            response = await self.client.chat_postMessage(
                token=token,
                channel=channel,
                thread_ts=thread.ts if thread else None,
                blocks=message_blocks(replies, self.language),
                text=fallback(replies),
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": METADATA_TYPE, "event_payload": {"key": key}}
                if key
                else None,
            )
        except SlackApiError as error:
            raise delivery_error(error) from None
        except (ClientError, TimeoutError) as error:
            raise DeliveryError(type(error).__name__, retryable=True) from None
        posted = f"{response['channel']}:{response['ts']}"
        for ask in (r for r in replies if isinstance(r, Ask)):
            # A question sent unprompted is settled like any other once answered.
            ref = PostedRef(str(response["channel"]), str(response["ts"]), ask.poc_handle)
            await self.platform_state.remember_posted(workspace, ask.token, str(ref))
        return posted

    async def find(self, destination: Destination, key: str, since: datetime) -> str | None:
        raise NotImplementedError("finding a post needs channel history, which postpoc can't read")
