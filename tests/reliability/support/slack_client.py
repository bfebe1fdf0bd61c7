"""Slack's side of the conversation with a bot in another process.

Payloads are built by the Slack suite's harness (:mod:`tests.slack.harness`),
exactly as there, but captured instead of sent (:class:`Capture`); a
:class:`Sender` then delivers them the way Slack does: signed with the current
time, an event resent with ``X-Slack-Retry-Num`` when it got no 2xx (up to
three times, then Slack gives up), every request bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.slack.harness import Reply, Slack, sign

SLACK_RETRIES = 3
"""Slack resends an unacknowledged event three times, then gives up."""
REQUEST_SECONDS = 10.0


@dataclass
class Capture(Slack):
    """The harness's payloads, kept instead of sent."""

    captured: list[tuple[str, str]] = field(default_factory=list)

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        settle: bool = True,
    ) -> Reply:
        self.captured.append((body, content_type))
        return Reply(200, "")

    def take(self) -> tuple[str, str]:
        [request] = self.captured
        self.captured.clear()
        return request

    def take_for(self, person: Any) -> tuple[str, str]:
        """The one request ``person`` just made (others may have made theirs since:
        the harness builds a request without waiting, so it was the last one
        made with this person's id)."""
        user = f'"{person.user_id}"'
        for index in range(len(self.captured) - 1, -1, -1):
            if user in self.captured[index][0]:
                return self.captured.pop(index)
        raise AssertionError(f"no request from {person.user_id}")


@dataclass
class Sender:
    """Delivers requests to ``url()`` (the bot may be restarted under it)."""

    session: aiohttp.ClientSession
    url: Callable[[], str]
    up: asyncio.Event
    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    async def once(self, body: str, content_type: str, retry: int = 0) -> Reply | None:
        """One delivery; None when the bot did not answer (down, killed, too slow)."""
        headers = {"Content-Type": content_type, **sign(body)}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
        started = time.perf_counter()
        try:
            async with self.session.post(
                self.url() + "/slack/events",
                data=body.encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=REQUEST_SECONDS),
            ) as response:
                reply = Reply(response.status, await response.text())
        except (aiohttp.ClientError, TimeoutError):
            self.failures += 1
            return None
        if 200 <= reply.status < 300:
            self.latencies.append(time.perf_counter() - started)
        return reply

    async def deliver(self, body: str, content_type: str, *, resend: bool) -> Reply | None:
        """Delivered until acknowledged, as Slack would: an event (``resend``) is
        sent again, with its retry number, once the bot is back (at most
        :data:`SLACK_RETRIES` times); anything else is sent once."""
        for attempt in range(SLACK_RETRIES + 1 if resend else 1):
            if attempt:
                await self.back()
            reply = await self.once(body, content_type, retry=attempt)
            if reply is not None and 200 <= reply.status < 300:
                return reply
        return None

    async def back(self, seconds: float = 90.0) -> None:
        """Wait (bounded) until the bot serves again."""
        async with asyncio.timeout(seconds):
            while True:
                await self.up.wait()
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with self.session.get(
                        self.url() + "/healthz", timeout=aiohttp.ClientTimeout(total=2)
                    ) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def described(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1) if values else float("nan"),
    }
