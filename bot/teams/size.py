"""Outgoing activities kept under what Teams accepts. Pure.

Teams refuses a bot's message above about 28 KB (HTTP 413), documented long
ago and still enforced. A card built from long answers or a long portfolio
can pass it, so before it is sent an activity is made to fit: long texts are
cut with "…" first (halving the longest until it fits), then, if the card is
still too large (too many parts), its last parts give way to a note saying
how to see the rest. Sizes are counted on the JSON as sent, in UTF-8 bytes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

Json = dict[str, Any]

LIMIT = 26_000
"""Bytes of JSON an activity may take: well under Teams' 28 KB, leaving room
for what the Bot Framework adds on the way (ids, service URL, channel data)."""
SHORTEST_CUT = 120
"""Texts are never cut shorter than this: past it, parts of the card go instead."""
ELLIPSIS = "…"


def size_of(activity: Json) -> int:
    # ASCII-escaped, as the connector client sends it: the larger count.
    return len(json.dumps(activity).encode())


def fit(activity: Json, note: str, limit: int = LIMIT) -> Json:
    """``activity`` if it fits; else a copy made to fit, ending with ``note``
    (in the person's language: what was shortened and how to see it whole)."""
    if size_of(activity) <= limit:
        return activity
    fitted = copy.deepcopy(activity)
    bodies = list(_card_bodies(fitted))
    for body in bodies:
        body.append(_note(note))
    longest = max((len(holder[key]) for holder, key in _texts(fitted)), default=0)
    cap = longest // 2
    while size_of(fitted) > limit and cap >= SHORTEST_CUT:
        for holder, key in _texts(fitted):
            if len(holder[key]) > cap and holder.get("id") != NOTE_ID:
                holder[key] = holder[key][: cap - 1].rstrip() + ELLIPSIS
        cap //= 2
    for body in bodies:
        while size_of(fitted) > limit and len(body) > 1:
            body.pop(-2)  # the part just before the note
    if size_of(fitted) > limit and isinstance(fitted.get("text"), str):
        fitted["text"] = fitted["text"][: limit // 4] + ELLIPSIS
    return fitted


NOTE_ID = "postpoc-shortened"


def _note(text: str) -> Json:
    return {"type": "TextBlock", "id": NOTE_ID, "text": text, "wrap": True, "isSubtle": True}


def _card_bodies(activity: Json) -> Iterator[list[Any]]:
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content") if isinstance(attachment, dict) else None
        if isinstance(content, dict) and isinstance(content.get("body"), list):
            yield content["body"]


def _texts(node: Any) -> Iterator[tuple[Json, str]]:
    """(holder, key) of every text a person reads in the activity."""
    if isinstance(node, dict):
        for key in ("text", "value", "title"):
            if isinstance(node.get(key), str) and not str(node.get("type", "")).startswith(
                "Input."
            ):
                yield node, key
        for key, child in node.items():
            # Buttons and choices carry the values answers are made of: never cut.
            if isinstance(child, dict | list) and key not in ("data", "actions", "choices"):
                yield from _texts(child)
    elif isinstance(node, list):
        for child in node:
            yield from _texts(child)
