"""Text from people, made safe to show in Slack.

Slack reads ``<...>`` in message text as markup: ``<!channel>`` pings a
channel, ``<@U123>`` a person, ``<https://x|y>`` shows a link labelled y.
Escaping ``&``, ``<`` and ``>`` (and nothing else: Slack decodes only these
three) leaves the text exactly as typed and inert. Every text the adapter
posts goes through :func:`escape`, whoever wrote it, so no caller has to know
where a text came from.

A channel the core names (:func:`conversations.channels.channel_ref`) becomes
a channel link, ``<#C123>``, after the escaping: the one piece of markup the
bot writes into a text, and only for an id that looks like a channel's.
"""

from __future__ import annotations

import re

from conversations.channels import render_channels

_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_CUT_ENTITY = re.compile(r"(&[a-z]{0,3}|<#[A-Z0-9]*)$")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{1,30}")
ELLIPSIS = "…"


def escape(text: str) -> str:
    for raw, entity in _ENTITIES:
        text = text.replace(raw, entity)
    return render_channels(text, _channel_link)


def _channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id) else channel_id


def unescape(text: str) -> str:
    """What Slack sends back: its own escaping undone (``&amp;`` last)."""
    for raw, entity in reversed(_ENTITIES):
        text = text.replace(entity, raw)
    return text


def clip(text: str, limit: int) -> str:
    """``text`` escaped and cut to Slack's ``limit`` (counted on the escaped
    text, which is what Slack counts), never in the middle of an entity."""
    return cut(escape(text), limit)


def cut(escaped: str, limit: int) -> str:
    """Already escaped text cut to ``limit``, never in the middle of an entity."""
    if len(escaped) <= limit:
        return escaped
    return _CUT_ENTITY.sub("", escaped[: limit - len(ELLIPSIS)]) + ELLIPSIS


def shorten(text: str, limit: int) -> str:
    """Plain ``text`` (not escaped) cut to ``limit`` characters, for values
    Slack shows as typed (option values, metadata)."""
    text = render_channels(text)
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS
