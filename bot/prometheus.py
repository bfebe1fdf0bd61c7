"""The Prometheus adapter of ``conversations.pull.MetricsReader``: one instant
query through Prometheus' HTTP API (``GET <server>/api/v1/query``).

The query must yield exactly one number: a scalar, or a vector of one sample.
Anything else (an error status, no series, several, NaN or infinity, a time-out)
is a :class:`~conversations.pull.PullError`, never a value.
"""

from __future__ import annotations

import json
import math
from typing import Any

import aiohttp

from conversations.pull import PullError

MAX_RESPONSE_BYTES = 1024**2


class PrometheusReader:
    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def instant(self, url: str, query: str) -> float:
        endpoint = url.rstrip("/") + "/api/v1/query"
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as session,
                session.get(endpoint, params={"query": query}, allow_redirects=False) as response,
            ):
                raw = await response.content.read(MAX_RESPONSE_BYTES + 1)
                status = response.status
        except TimeoutError:
            raise PullError("timed out") from None
        except aiohttp.ClientError as error:
            raise PullError(f"unreachable ({type(error).__name__})") from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise PullError("answer too large")
        try:
            document: Any = json.loads(raw)
        except ValueError:
            raise PullError(f"HTTP {status}, not JSON") from None
        if not isinstance(document, dict) or document.get("status") != "success":
            kind = document.get("errorType") if isinstance(document, dict) else None
            raise PullError(f"HTTP {status}, {kind or 'error'}")
        return _number(document.get("data"))


def _number(data: Any) -> float:
    if not isinstance(data, dict):
        raise PullError("no data")
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        sample = result
    elif kind == "vector" and isinstance(result, list):
        if len(result) != 1:
            raise PullError("no series" if not result else f"{len(result)} series, not one")
        sample = result[0].get("value") if isinstance(result[0], dict) else None
    else:
        raise PullError(f"a {kind} result, not a number")
    if not isinstance(sample, list) or len(sample) != 2:
        raise PullError("no value")
    try:
        value = float(sample[1])
    except (TypeError, ValueError):
        raise PullError("not a number") from None
    if not math.isfinite(value):
        raise PullError("not a number")
    return value
