"""Limits per person and per workspace on the commands that write, over HTTP:
past the limit a person is asked to slow down and nothing is written; a
minute later (the core's clock, moved by hand) they may go on. Lengths are
capped with the limit said. Charts are drawn once for the same data."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from storage.models import Indicator, Reading
from tests.slack.conftest import StartBot
from tests.slack.harness import Slack
from tests.support.conversation import Clock

pytestmark = pytest.mark.storage


async def count(slack: Slack, table: str) -> int:
    async with slack.bot.service.store.engine.connect() as connection:
        found = await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))
        return int(found.scalar_one())


def said(slack: Slack, hook: str) -> str:
    return str(slack.fake.responses(hook))


async def test_a_flood_of_new_is_slowed_down_per_person_and_per_workspace(
    start_bot: StartBot, database_url: str
) -> None:
    clock = Clock()
    slack = await start_bot(
        database_url, clock=clock, rate_limit_per_person=3, rate_limit_per_workspace=5
    )
    lea = slack.person("U0LEA", "Léa Martin")
    omar = slack.person("U0OMAR", "Omar")
    await lea.runs("/poc list")  # Léa administers: the first person the workspace sees
    await lea.runs(f"/poc role <@{omar.user_id}> lead")

    for n in range(3):
        await lea.runs(f"/poc new Agent {n}")
    refused = await lea.runs("/poc new One too many")

    assert "Slow down" in said(slack, refused) and "3 times a minute" in said(slack, refused)
    assert await count(slack, "poc") == 3, "nothing written"

    for n in range(2):
        await omar.runs(f"/poc new Omar {n}")
    crowded = await omar.runs("/poc new Omar again")
    assert "this workspace ran" in said(slack, crowded) and "5 times" in said(slack, crowded)
    assert await count(slack, "poc") == 5

    clock.advance(seconds=61)
    again = await lea.runs("/poc new A minute later")
    assert "Registered" in said(slack, again)
    assert await count(slack, "poc") == 6


async def test_the_limited_commands_are_a_setting(start_bot: StartBot, database_url: str) -> None:
    slack = await start_bot(
        database_url, clock=Clock(), rate_limit_per_person=1, rate_limited_commands="decide"
    )
    lea = slack.person("U0LEA", "Léa Martin")
    for n in range(3):
        await lea.runs(f"/poc new Agent {n}")  # not limited any more
    first = await lea.runs("/poc decide agent-0 stop No value")
    second = await lea.runs("/poc decide agent-1 stop No value either")

    assert await count(slack, "poc") == 3
    assert "Slow down" not in said(slack, first) and "Slow down" in said(slack, second)
    assert await count(slack, "decision") == 1


async def test_a_rationale_longer_than_its_cap_is_refused_with_the_cap(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    hook = await lea.runs("/poc decide invoice-agent stop " + "why " * 1000)

    assert "at most 2000 characters (this one has 3999)" in said(slack, hook)
    assert await count(slack, "decision") == 0


def drawn() -> float:
    return REGISTRY.get_sample_value("postpoc_charts_drawn_total") or 0.0


async def test_asking_for_the_same_summary_again_draws_its_chart_once(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    async with slack.bot.service.store.unit() as repo:
        [poc] = await repo.pocs(1)
        assert poc.id is not None
        indicator = await repo.add_indicator(Indicator(poc_id=poc.id, name="minutes", unit="min"))
        assert indicator.id is not None
        reading = Reading(indicator_id=indicator.id, value=12.0, taken_on=date(2026, 11, 2))
        await repo.add_reading(reading)
    before = drawn()

    for _ in range(5):
        await lea.runs("/poc summary invoice-agent")

    assert drawn() - before == 1
