"""Charts inline in a Teams card, within what Teams accepts.

An Adaptive Card shows an ``Image`` from a ``data:`` URI, which travels in
the activity itself, and Teams refuses an activity above about 28 KB
(``bot.teams.size``). A chart as drawn (about 35 KB of PNG) would not fit, so
it is re-encoded with a palette of 32 colours (a chart has few: lines, grid,
text), which takes it to about 9 KB, and made smaller step by step if that
is still more than its share of :data:`BUDGET`. Below :data:`SMALLEST_WIDTH`
a chart is unreadable: the card shows its text alternative instead.

Pillow comes with matplotlib (which requires it), the core's chart drawer.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

from PIL import Image as Picture

BUDGET = 16_000
"""Bytes of ``data:`` URI for all the pictures of one activity: what the
rest of a summary card leaves of ``bot.teams.size.LIMIT``."""
SMALLEST_WIDTH = 240
COLOURS = 32
SHRINK = 0.8
PREFIX = "data:image/png;base64,"


def data_uri(png: bytes, budget: int) -> str | None:
    """``png`` as a ``data:`` URI of at most ``budget`` bytes, or None."""
    direct = PREFIX + base64.b64encode(png).decode("ascii")
    if len(direct) <= budget:
        return direct
    return _fitted(png, budget)


@lru_cache(maxsize=64)
def _fitted(png: bytes, budget: int) -> str | None:
    try:
        picture = Picture.open(io.BytesIO(png))
        picture.load()
    except (OSError, ValueError):
        return None
    width, height = picture.size
    source = picture.convert("RGB")
    while width >= SMALLEST_WIDTH:
        sized = (
            source
            if width == picture.width
            else source.resize(
                (width, max(1, round(height * width / picture.width))), Picture.Resampling.LANCZOS
            )
        )
        buffer = io.BytesIO()
        sized.quantize(colors=COLOURS).save(buffer, format="PNG", optimize=True)
        uri = PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")
        if len(uri) <= budget:
            return uri
        width = int(width * SHRINK)
    return None
