"""Who a Slack user is: name, language and time zone, from ``users.info``.

Display data only, so a per-process cache is enough: one call per person per
hour at most, whatever they do. When Slack can't say (rate limited beyond the
retries, an outage), the person is still served, in English and UTC, and
nothing is cached so the next request asks again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import logs
from conversations.messages import Actor

TTL_SECONDS = 3600.0
MAX_PEOPLE = 10_000


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    locale: str = "en"
    timezone: str = "UTC"


def profile_of(user: dict[str, object]) -> Profile:
    """A ``users.info`` user as a :class:`Profile`."""
    raw_profile = user.get("profile")
    details: dict[str, object] = raw_profile if isinstance(raw_profile, dict) else {}
    name = next(
        (
            str(value)
            for value in (
                details.get("display_name"),
                details.get("real_name"),
                user.get("real_name"),
                user.get("name"),
            )
            if value
        ),
        str(user.get("id", "")),
    )
    return Profile(
        user_id=str(user.get("id", "")),
        name=name,
        locale=str(user.get("locale") or "en"),
        timezone=str(user.get("tz") or "UTC"),
    )


class Profiles:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], tuple[float, Profile]] = OrderedDict()

    async def get(self, client: AsyncWebClient, workspace: str, user_id: str) -> Profile:
        key = (workspace, user_id)
        cached = self._seen.get(key)
        if cached and self._clock() - cached[0] < TTL_SECONDS:
            self._seen.move_to_end(key)
            return cached[1]
        try:
            response = await client.users_info(user=user_id, include_locale=True)
        except (SlackApiError, ClientError, TimeoutError) as error:
            logs.profile_unavailable(type(error).__name__)
            return Profile(user_id=user_id, name=user_id)
        user = response.get("user")
        found = profile_of(user) if isinstance(user, dict) else Profile(user_id, user_id)
        self._seen[key] = (self._clock(), found)
        while len(self._seen) > MAX_PEOPLE:
            self._seen.popitem(last=False)
        return found

    def language(self, workspace: str, user_id: str) -> str:
        """The person's language if already known, without asking Slack: for
        what must be shown before there is time to ask (a loading modal)."""
        cached = self._seen.get((workspace, user_id))
        return cached[1].locale if cached else "en"

    async def names(
        self, client: AsyncWebClient, workspace: str, user_ids: Iterable[str]
    ) -> dict[str, str]:
        """Display names of the people mentioned in a message."""
        return {user: (await self.get(client, workspace, user)).name for user in user_ids}

    async def actor(self, client: AsyncWebClient, workspace: str, user_id: str) -> Actor:
        found = await self.get(client, workspace, user_id)
        return Actor(
            workspace=workspace,
            user_id=user_id,
            display_name=found.name,
            locale=found.locale,
            timezone=found.timezone,
        )
