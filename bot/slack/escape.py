"""Text from people, made safe to show in Slack.

Slack reads ``<...>`` in message text as markup: ``<!channel>`` pings a
channel, ``<@U123>`` a person, ``<https://x|y>`` shows a link labelled y.
Escaping ``&``, ``<`` and ``>`` (and nothing else: Slack decodes only these
three) leaves the text exactly as typed and inert. Every text the adapter
posts goes through :func:`escape`, whoever wrote it, so no caller has to know
where a text came from.
"""

from __future__ import annotations

import re

_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_CUT_ENTITY = re.compile(r"&[a-z]{0,3}$")
ELLIPSIS = "…"


def escape(text: str) -> str:
    for raw, entity in _ENTITIES:
        text = text.replace(raw, entity)
    return text


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
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS
