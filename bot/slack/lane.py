"""One bot token, one workspace: requests for any other are ignored.

With ``SLACK_BOT_TOKEN`` (no OAuth) the token belongs to one team, or one
Enterprise Grid organisation, as ``auth.test`` says. A signed request naming
another team or enterprise (a shared channel, an app also installed
elsewhere with the same signing secret, a forged ``team_id``) would otherwise
become a new tenant served with that one token. It is acknowledged, so Slack
does not retry it, and nothing else happens but one warning line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import logs
from bot.slack.workspaces import workspace_key


def key_of(auth: Any) -> str:
    """The workspace key of an ``auth.test`` answer."""
    return workspace_key(
        enterprise_id=auth.get("enterprise_id"),
        team_id=auth.get("team_id"),
        is_enterprise_install=bool(auth.get("is_enterprise_install")),
    )


class Lane:
    """The token's own workspace, learnt once from ``auth.test``."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.enterprise: str | None = None

    def learn(self, auth: Any) -> str:
        self.key = key_of(auth)
        self.enterprise = auth.get("enterprise_id") or None
        return self.key

    async def own(self, client: AsyncWebClient) -> str | None:
        if self.key is None and client.token:
            try:
                self.learn(await client.auth_test())
            except Exception:  # Bolt's own authorisation reports a bad token
                return None
        return self.key

    async def middleware(
        self,
        context: AsyncBoltContext,
        client: AsyncWebClient,
        next: Callable[[], Awaitable[None]],  # Bolt passes it by this name
    ) -> BoltResponse | None:
        try:
            asked = workspace_key(
                enterprise_id=context.enterprise_id,
                team_id=context.team_id,
                is_enterprise_install=bool(context.is_enterprise_install),
            )
        except ValueError:
            asked = None
        own = await self.own(client)
        # A team of another Grid organisation is another tenant too.
        other_org = bool(context.enterprise_id) and context.enterprise_id != self.enterprise
        if asked is None or own is None or (asked == own and not other_org):
            await next()
            return None
        named = f"{asked} of enterprise {context.enterprise_id}" if other_org else asked
        logs.foreign_workspace(named[:80], own)
        return BoltResponse(status=200, body="")
