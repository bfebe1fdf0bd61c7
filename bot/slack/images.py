"""Charts on Slack: uploaded as image files where their message is read.

An ``image`` block needs a public URL, which the bot has not got; the files
API (``files_upload_v2``: ``files.getUploadURLExternal``, the upload, then
``files.completeUploadExternal``; scope ``files:write``) shares the PNG in a
conversation instead, with its text alternative as ``alt_txt``. An ephemeral
message can't carry a file, so a chart for a reply only its asker sees goes
to their DM; a chart posted for a channel (``summary … post``) goes to that
channel (the bot must be a member). When Slack refuses, the text
alternative is shown instead, where the chart would have been.
"""

from __future__ import annotations

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import logs
from bot.slack.calls import error_code
from bot.slack.escape import shorten
from conversations.messages import Image

TITLE = 250
ALT_TEXT = 1000
"""Slack's limit on an image's ``alt_txt``."""


async def upload(
    client: AsyncWebClient, channel: str, image: Image, thread_ts: str | None = None
) -> bool:
    """Shares ``image`` in ``channel`` (a conversation id, not a user id);
    whether Slack took it."""
    try:
        await client.files_upload_v2(
            channel=channel,
            file=image.png,
            filename=image.filename,
            title=shorten(image.alt, TITLE),
            alt_txt=shorten(image.alt, ALT_TEXT),
            thread_ts=thread_ts,
        )
        return True
    except (SlackApiError, SlackRequestError, ClientError, TimeoutError) as error:
        logs.post_failed("files_upload_v2", error_code(error))
        return False
