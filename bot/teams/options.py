"""What the Teams adapter can be told beyond the app's settings, as plain data.

Production needs none of it: the defaults are Azure's public cloud and real
back-off sleeps. Tests (and a private cloud) pass :class:`TeamsOptions` to
``bot.teams.mount``: where the Bot Framework's OpenID metadata and token
issuer are, a fixed outbound token instead of MSAL, and a sleep that records
instead of waiting. Nothing here names an SDK type, so callers don't change
when the adapter moves from botbuilder to the Microsoft 365 Agents SDK.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]
Jitter = Callable[[float], float]


def equal_jitter(ceiling: float) -> float:
    """Half the back-off for sure, half at random: retries spread out but still grow."""
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not cryptographic


@dataclass(frozen=True)
class Endpoints:
    """Where the Bot Framework is, for a private cloud or a local fake.

    Setting these switches botbuilder to its "parameterised" mode, in which
    nothing has a default, so every field is required.
    """

    openid_metadata_url: str
    """OpenID metadata of the channel's signing keys (inbound tokens)."""
    token_issuer: str
    """The ``iss`` of inbound tokens."""
    emulator_openid_metadata_url: str
    """OpenID metadata for Emulator and skill tokens."""
    login_url: str
    """Where the bot gets its outbound tokens."""
    oauth_scope: str
    """The scope of outbound tokens."""
    oauth_url: str
    """The Bot Framework token service (user sign-in; unused by postpoc)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How outbound calls are retried on 429, 412, 502 and 504.

    Exponential back-off with jitter; a ``Retry-After`` the service sends is
    honoured instead, unless it is longer than ``longest_wait`` (then the
    call gives up at once and says how long to wait).
    """

    attempts: int = 5
    first_delay: float = 1.0
    longest_delay: float = 16.0
    longest_wait: float = 30.0
    sleep: Sleep = asyncio.sleep
    jitter: Jitter = equal_jitter


@dataclass(frozen=True)
class TeamsOptions:
    endpoints: Endpoints | None = None
    """``None``: Azure's public cloud (botbuilder's built-in values)."""
    outbound_token: str | None = None
    """A fixed bearer token for calls to the Bot Connector instead of MSAL (tests only)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    typing_after: float = 1.0
    """Seconds before the typing indicator is shown while a message is handled; 0: at once."""
