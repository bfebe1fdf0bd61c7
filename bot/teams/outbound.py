"""Calls to the Bot Connector, retried the way Teams asks.

botbuilder sends replies, proactive posts and new conversations as POSTs and
retries none of them: a 429 (throttled), 412 (precondition failed, a
transient Teams state), 502 or 504 reaches the caller on the first try. Teams
asks bots to retry those with exponential back-off and jitter, honouring
``Retry-After``. :func:`call` does, for every outbound call of the adapter
(replies, card updates, proactive posts), with bounded attempts. When they are
spent, or the service fails otherwise (a 500, no answer), it raises
:class:`TryLater`; :class:`Refused` when the service said no for good (403,
404: the bot was removed, the conversation is gone).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from bot.teams.options import RetryPolicy
from bot.teams.sdk import ClientRequestError

log = logging.getLogger("postpoc.teams")

T = TypeVar("T")

RETRIED = frozenset({429, 412, 502, 503, 504})
"""What Teams says to retry with back-off (503: the service is briefly unavailable)."""


class OutboundError(Exception):
    """An outbound call failed in a way the caller should know about."""


class TryLater(OutboundError):
    """Still throttled after every attempt, or the service is failing: try again later."""

    def __init__(self, status: int | None, retry_after: float | None) -> None:
        super().__init__(f"the Bot Connector is throttling or failing (status {status})")
        self.status = status
        self.retry_after = retry_after


class Refused(OutboundError):
    """The service refused for good: 403 (bot removed or blocked), 404 (gone), other 4xx."""

    def __init__(self, status: int) -> None:
        super().__init__(f"refused with status {status}")
        self.status = status


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a failed connector call (msrest keeps the response)."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else None


def retry_after_of(error: BaseException | None) -> float | None:
    """``Retry-After`` in seconds, when the service sent one (HTTP dates are not used by Teams)."""
    headers = getattr(getattr(error, "response", None), "headers", None)
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def is_transient(error: BaseException) -> bool:
    """Worth another try: throttled, a gateway failure, or the request never got an answer."""
    return status_of(error) in RETRIED or isinstance(error, ClientRequestError)


async def call(operation: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """``await operation()``, retried on transient failures; see the module docstring."""

    def delay(state: RetryCallState) -> float:
        hinted = retry_after_of(_error(state))
        if hinted is not None:
            return hinted
        ceiling = min(policy.longest_delay, policy.first_delay * 2 ** (state.attempt_number - 1))
        return policy.jitter(ceiling)

    def stop(state: RetryCallState) -> bool:
        # A Retry-After longer than we may wait: give up now and pass it on.
        hinted = retry_after_of(_error(state))
        told_to_wait_too_long = hinted is not None and hinted > policy.longest_wait
        return state.attempt_number >= policy.attempts or told_to_wait_too_long

    retrying = AsyncRetrying(
        sleep=policy.sleep,
        stop=stop,
        wait=delay,
        retry=retry_if_exception(is_transient),
        before_sleep=_log_retry,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await operation()
    except Exception as error:
        classified = _classified(error)
        if classified is error:
            raise
        raise classified from error
    raise AssertionError("tenacity ended without an attempt")  # pragma: no cover


def _error(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


def _classified(error: Exception) -> Exception:
    status = status_of(error)
    if is_transient(error) or (status is not None and status >= 500):
        return TryLater(status, retry_after_of(error))
    if status is not None and 400 <= status < 500:
        return Refused(status)
    return error


def _log_retry(state: RetryCallState) -> None:
    error = _error(state)
    log.info(
        "Bot Connector call failed (status %s); attempt %d, retrying in %.1f s",
        status_of(error) if error else None,
        state.attempt_number,
        state.upcoming_sleep,
    )
