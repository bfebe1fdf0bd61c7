"""Retries of Slack Web API calls, as a slack_sdk retry handler.

slack_sdk retries nothing but connection errors by default, and its own
rate-limit handler sleeps for real. :class:`Backoff` is one handler for all
transient failures, set once on the app's client (Bolt copies
``retry_handlers`` into each request's client), with the sleep and the
jitter injectable so tests assert on the delays instead of waiting them:

- 429: wait what ``Retry-After`` says (plus a little jitter, so replicas
  rate-limited together don't retry together); Slack did not act on the
  call, so retrying can't post twice.
- 500, 502, 503, 504 and dropped or refused connections: exponential
  back-off with jitter. Slack answered (or never read the request), so it
  did not post.
- No answer in time (a timeout): retried only for calls that are safe to
  repeat (:data:`REPEATABLE`: updates, reads). Slack may have acted on a
  post that timed out; posting it again could show it twice, so that is
  left to the caller, who can look for it (``bot.slack.history``).
- A wait longer than ``longest_wait`` is not taken: the call fails with
  Slack's answer, and the caller (the outbox, through ``DeliveryError``)
  decides when to try again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlparse

from aiohttp import ClientConnectionError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.slack import logs

Sleep = Callable[[float], Awaitable[None]]

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
REPEATABLE = frozenset(
    {
        "auth.test",
        "chat.update",
        "conversations.history",
        "users.info",
        "views.publish",
        "views.update",
    }
)
"""Web API methods whose second call changes nothing the first did not."""


def repeatable(request: HttpRequest) -> bool:
    """Whether ``request`` may be sent again after it got no answer."""
    path = urlparse(request.url).path
    return "/api/" in path and path.rsplit("/", 1)[-1] in REPEATABLE


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Slack's ``Retry-After`` in seconds, if it sent one (header values come
    as a list from slack_sdk's retry layer, as a string from aiohttp)."""
    for name, values in (headers or {}).items():
        if name.lower() == "retry-after" and values:
            value = values[0] if isinstance(values, list | tuple) else values
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


class Backoff(AsyncRetryHandler):
    def __init__(
        self,
        *,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        max_retry_count: int = 5,
        first_delay: float = 0.5,
        longest_delay: float = 8.0,
        longest_wait: float = 60.0,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep
        self.jitter = jitter
        self.first_delay = first_delay
        self.longest_delay = longest_delay
        self.longest_wait = longest_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None:
            if response.status_code not in RETRYABLE_STATUS:
                return False
            wait = retry_after(response.headers) if response.status_code == 429 else None
            if wait is not None and wait > self.longest_wait:
                logs.gave_up_waiting(str(response.status_code), wait)
                return False
            return True
        if isinstance(error, TimeoutError):  # aiohttp's own timeouts included
            return repeatable(request)
        return isinstance(error, ClientConnectionError)

    def delay(self, attempt: int, response: HttpResponse | None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if response is not None and response.status_code == 429:
            asked = retry_after(response.headers)
            if asked is not None:
                return asked + self.jitter()
        backoff = min(self.longest_delay, self.first_delay * 2.0 ** int(attempt))
        return backoff * (0.5 + 0.5 * self.jitter())

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        delay = self.delay(state.current_attempt, response)
        status = str(response.status_code) if response is not None else type(error).__name__
        logs.retrying(status, delay, state.current_attempt + 1)
        await self.sleep(delay)
        state.increment_current_attempt()
