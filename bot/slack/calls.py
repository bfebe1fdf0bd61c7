"""Web API calls made after the ack, where nobody waits for an exception.

By the time :func:`quietly` gives up, the client's retry handler has already
retried rate limits and outages; what is left is a fact to log (the person's
answer is saved either way, and ``hello`` shows the waiting question again).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from bot.slack import logs

Result = TypeVar("Result")


def error_code(error: Exception) -> str:
    """Slack's error code (``channel_not_found``), else the exception's name."""
    if isinstance(error, SlackApiError):
        code = error.response.get("error") if error.response is not None else None
        return str(code or error.response.status_code)
    return type(error).__name__


async def quietly(method: str, call: Awaitable[Result]) -> Result | None:
    try:
        return await call
    except (SlackApiError, ClientError, TimeoutError) as error:
        logs.post_failed(method, error_code(error))
        return None
