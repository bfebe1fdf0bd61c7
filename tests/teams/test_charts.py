"""Charts in Teams: inline in the card as a data: URI PNG, made to fit under
Teams' 28 KB, else their text and where to see them. Over real HTTP with
real tokens, against the fake Bot Connector (which refuses 28 KB or more)."""

from __future__ import annotations

import base64
import io
import json
from datetime import date

from PIL import Image as Picture

from storage.models import Indicator, Reading
from tests.teams.client import cards, texts, walk
from tests.teams.conftest import Served

PNG = b"\x89PNG\r\n\x1a\n"


async def with_indicators(served: Served, count: int) -> None:
    async with served.service.store.unit() as repo:
        [poc] = await repo.pocs(1)
        assert poc.id is not None
        for n in range(count):
            indicator = await repo.add_indicator(
                Indicator(poc_id=poc.id, name=f"indicator {n + 1}", unit="min", target=6.0)
            )
            assert indicator.id is not None
            for day, value in ((date(2026, 11, 2), 12.0 + n), (date(2026, 11, 9), 7.0)):
                reading = Reading(indicator_id=indicator.id, value=value, taken_on=day)
                await repo.add_reading(reading)


async def test_a_summary_shows_its_chart_inline_within_teams_limit(served: Served) -> None:
    carol = served.client.person("alice")
    await carol.says("new Invoice agent")
    await with_indicators(served, 1)

    posted = await carol.says("summary invoice-agent")

    [message] = posted.sent
    assert message.answered == 200
    assert len(json.dumps(message.body).encode()) < 28_000
    [picture] = [e for card in cards(message) for e in walk(card) if e.get("type") == "Image"]
    prefix = "data:image/png;base64,"
    assert picture["url"].startswith(prefix)
    png = base64.b64decode(picture["url"][len(prefix) :])
    assert png.startswith(PNG)
    assert Picture.open(io.BytesIO(png)).width >= 240, "still readable"
    assert "indicator 1: 2 readings, latest 7 min" in picture["altText"]


async def test_charts_too_many_to_fit_are_told_by_their_text(served: Served) -> None:
    carol = served.client.person("alice")
    await carol.says("new Invoice agent")
    await with_indicators(served, 6)

    posted = await carol.says("summary invoice-agent")

    [message] = posted.sent
    assert message.answered == 200, "not refused with 413"
    shown = texts(message)
    pictures = [e for card in cards(message) for e in walk(card) if e.get("type") == "Image"]
    assert pictures == [], "six charts can't be made small enough and stay readable"
    for n in range(1, 7):
        assert f"indicator {n}: 2 readings, latest 7 min" in shown
    assert shown.count("too large to show in a Teams message; the decision record has it") == 6
