"""Unprompted posts (weekly nudges, check-ins, decision posts) for the outbox.

One call, one ``chat.postMessage``: the client's retry handler may retry a
rate limit or an outage within the call, and whatever still fails comes out
as :class:`DeliveryError` with Slack's ``Retry-After``, so the outbox, which
knows whether anything went out, decides when to try again.

The outbox's idempotency key travels in the message's metadata
(``postpoc_post``), so that a post made by a process that died before
recording it can be found again (:meth:`SlackMessenger.find`):

- in a person's DM (check-ins, reminders), by reading the DM's history with
  ``im:history``, a scope the bot already has for typed answers. The DM's
  channel id is the one remembered with the person's address when a question
  was last posted there;
- in a channel (weekly nudges, decision posts), not at all: that would need
  ``channels:history`` and ``groups:history``, which postpoc does not ask
  for. ``find`` says it can't tell, and the outbox marks the post
  ``unconfirmed`` rather than risk posting it twice.

A post Slack did not answer (a timeout: it may be there) is settled the same
way at once: found in the DM, it went out; verifiably absent, the outbox may
try again; elsewhere it fails for good with "may have been posted" (late or
missing, and flagged, rather than twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import history
from bot.slack.blocks import fallback, message_blocks
from bot.slack.calls import error_code
from bot.slack.oauth import TokenSource
from bot.slack.questions import PostedRef, person
from conversations.delivery import DeliveryError, Destination
from conversations.messages import Ask, Reply
from conversations.platform_state import PlatformState

METADATA_TYPE = history.METADATA_TYPE

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
        started = datetime.now(UTC)
        try:
            response = await self.client.chat_postMessage(
                token=token,
                channel=channel,
                thread_ts=thread.ts if thread else None,
                blocks=message_blocks(replies, self.language),
                text=fallback(replies),
                unfurl_links=False,
                unfurl_media=False,
                metadata=history.metadata(key) if key else None,
            )
        except SlackApiError as error:
            raise delivery_error(error) from None
        except TimeoutError:
            # Slack got the post and did not answer in time: it may be there.
            return await self._after_timeout(destination, key, started)
        except ClientError as error:
            raise DeliveryError(type(error).__name__, retryable=True) from None
        posted = f"{response['channel']}:{response['ts']}"
        for ask in (r for r in replies if isinstance(r, Ask)):
            # A question sent unprompted is settled like any other once answered.
            ref = PostedRef(str(response["channel"]), str(response["ts"]), ask.poc_handle)
            await self.platform_state.remember_posted(workspace, ask.token, str(ref))
        return posted

    async def _after_timeout(
        self, destination: Destination, key: str | None, started: datetime
    ) -> str:
        """A post Slack did not answer: found in the DM, it went out; verifiably
        absent, it may be tried again; where it can't be looked for, it is not
        (late or missing, and flagged, rather than twice)."""
        if key is None:
            raise DeliveryError("no answer from Slack", retryable=True)
        try:
            found = await self.find(destination, key, started - timedelta(minutes=5))
        except NotImplementedError:
            raise DeliveryError(
                "no answer from Slack; it may have been posted, so it is not sent again",
                retryable=False,
            ) from None
        except DeliveryError as error:
            raise DeliveryError(
                f"no answer from Slack, and it can't be checked now ({error.reason}); "
                "it may have been posted, so it is not sent again",
                retryable=False,
            ) from None
        if found is None:
            raise DeliveryError("no answer from Slack, and the post is not there", retryable=True)
        return found

    async def find(self, destination: Destination, key: str, since: datetime) -> str | None:
        """The post carrying ``key`` in the person's DM since ``since``, if any.

        Says it can't tell (``NotImplementedError``) rather than "not there"
        whenever it could not read all of it: a channel, a thread, a DM whose
        id was never seen, an error other than a transient one.
        """
        if destination.channel or destination.thread or not destination.person:
            raise NotImplementedError("finding a channel post needs channels:history")
        address = await self.platform_state.address(
            destination.workspace, person(destination.person)
        )
        channel = (address or {}).get("channel")
        token = await self.tokens.bot_token(destination.workspace)
        if not history.is_dm(channel) or not token:
            raise NotImplementedError("the person's DM is not known")
        assert isinstance(channel, str)
        try:
            ts = await history.find(self.client, channel, key, since.timestamp(), token=token)
        except history.CantTell as error:
            raise NotImplementedError(f"the DM can't be read back ({error})") from None
        except history.TryLater as error:
            raise DeliveryError(
                error.reason, retryable=True, retry_after=error.retry_after
            ) from None
        return f"{channel}:{ts}" if ts is not None else None
