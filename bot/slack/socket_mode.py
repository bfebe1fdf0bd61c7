"""Socket Mode: Slack's requests over a WebSocket the bot opens itself.

For development: no public URL, no TLS certificate, no signing secret (Slack
authenticates the connection with the ``xapp-`` app token instead, so Bolt
skips signature checks). Not allowed in the Slack Marketplace; production
runs over HTTP behind a load balancer.

The connection is opened when the aiohttp application starts (the
``apps.connections.open`` call goes to the configured Web API URL) and
closed when it stops; the listeners are the same as over HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import logs

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp


async def connect(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    # Imported here: without SLACK_APP_TOKEN, slack_sdk's Socket Mode is never loaded.
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]  # untyped in slack_bolt
    logs.socket_mode("connected")
    return handler


async def close(handler: AsyncSocketModeHandler) -> None:
    await handler.close_async()  # type: ignore[no-untyped-call]
    logs.socket_mode("closed")
