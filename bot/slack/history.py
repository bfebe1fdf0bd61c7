"""Posting to a person's DM once, even when Slack never answers.

A ``chat.postMessage`` that times out may well have been posted: Slack got
the request and the answer was lost. Posting again could show it twice, not
posting could lose it. In a person's DM the bot can tell which, with the
``im:history`` scope it has for typed answers: every post carries a key in
its metadata (``postpoc_post``), and after a timeout the DM's latest
messages are read back to look for it. Found: it went out; not found: it is
posted (once more). In a channel the bot can't read history (that would take
``channels:history``), so a post that timed out there is not repeated.

Rate limits, outages and dropped connections are not this module's concern:
Slack answered those (or never got the request) and the client's retry
handler (:mod:`bot.slack.retry`) retries them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import logs
from bot.slack.calls import error_code

METADATA_TYPE = "postpoc_post"
PAGES = 5
"""Pages of DM history read (200 messages each) before giving up: can't tell."""
LOOK_BACK_SECONDS = 300.0
"""How far back a post that just timed out is looked for (clocks differ a little)."""


class CantTell(Exception):
    """The history could not be read through (not a DM, no access, too long)."""


class TryLater(Exception):
    """Slack is rate-limiting or failing: ask again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def new_key() -> str:
    return uuid.uuid4().hex


def metadata(key: str) -> dict[str, Any]:
    """The message metadata that lets :func:`find` recognise a post."""
    return {"event_type": METADATA_TYPE, "event_payload": {"key": key}}


def carries(message: Mapping[str, Any], key: str) -> bool:
    """Whether a message from ``conversations.history`` is the post keyed ``key``."""
    found = message.get("metadata")
    if not isinstance(found, Mapping) or found.get("event_type") != METADATA_TYPE:
        return False
    payload = found.get("event_payload")
    return isinstance(payload, Mapping) and payload.get("key") == key


def is_dm(channel: object) -> bool:
    return isinstance(channel, str) and channel.startswith("D")


async def find(
    client: AsyncWebClient,
    channel: str,
    key: str,
    since: float,
    *,
    token: str | None = None,
) -> str | None:
    """The ts of the post keyed ``key`` in DM ``channel`` since ``since`` (epoch
    seconds), or None when it is not there. Raises :class:`CantTell` when the
    history could not be read through, :class:`TryLater` on a transient error."""
    if not is_dm(channel):
        raise CantTell("not a DM")
    cursor: str | None = None
    for _ in range(PAGES):
        try:
            page = await client.conversations_history(
                token=token,
                channel=channel,
                oldest=f"{since:.6f}",
                limit=200,
                include_all_metadata=True,
                cursor=cursor,
            )
        except SlackApiError as error:
            status = error.response.status_code
            code = str(error.response.get("error") or status)
            if status == 429 or status >= 500:
                wait = error.response.headers.get("Retry-After") if error.response.headers else None
                raise TryLater(
                    code, float(wait) if wait and str(wait).isdigit() else None
                ) from None
            raise CantTell(code) from None
        except (ClientError, TimeoutError) as error:
            raise TryLater(type(error).__name__) from None
        for message in page.get("messages") or []:
            if carries(message, key):
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            return None
    raise CantTell("too much history to read")


async def post_once(
    client: AsyncWebClient, *, channel: str, dm: str | None, **message: Any
) -> Mapping[str, Any] | None:
    """``chat.postMessage`` to a person (``channel``: their user id or DM),
    once: after a timeout, the DM ``dm`` is read back before posting again.

    Returns Slack's answer (``channel`` and ``ts`` at least), or None when the
    post did not go out, or may have but can't be found (logged either way).
    """
    key = new_key()
    for attempt in range(2):
        started = time.time() - LOOK_BACK_SECONDS
        try:
            response = await client.chat_postMessage(
                channel=channel, metadata=metadata(key), **message
            )
            return {"channel": response["channel"], "ts": response["ts"]}
        except TimeoutError:
            if not is_dm(dm) or attempt:
                logs.post_unknown("chat.postMessage")
                return None
        except (SlackApiError, ClientError) as error:
            logs.post_failed("chat.postMessage", error_code(error))
            return None
        assert dm is not None
        try:
            ts = await find(client, dm, key, started)
        except (CantTell, TryLater):
            logs.post_unknown("chat.postMessage")
            return None
        if ts is not None:
            return {"channel": dm, "ts": ts}
    return None
