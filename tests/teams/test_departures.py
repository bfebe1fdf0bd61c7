"""Someone removed from the team (``conversationUpdate`` with ``membersRemoved``)
reopens the decisions on the POCs they own, over real HTTP with real tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.models import Stage
from storage.repository import Store
from tests.support.conversation import Person
from tests.teams.client import BOT_ID
from tests.teams.conftest import Served, serve
from tests.teams.fakes import FakeBotFramework
from tests.telemetry.conftest import HANDLE, running_poc

pytestmark = pytest.mark.storage

WORKSPACE = "teams:contoso"
TEAM = "19:finance-general@thread.tacv2"


@pytest.fixture
async def both(store: Store, fake: FakeBotFramework, sleeps: list[float]) -> AsyncIterator[Served]:
    async for running in serve(store, fake, sleeps):
        yield running


async def stage(served: Served) -> str:
    async with served.service.store.reading() as repo:
        workspace = await repo.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        poc = await repo.poc(workspace.id, HANDLE)
        assert poc is not None
        return str(poc.stage)


async def test_an_owner_removed_from_the_team_reopens_the_decision(both: Served) -> None:
    # The tenant's listed admin (the fixtures' POSTPOC_ADMINS) registers and decides.
    lea = Person(both.service, "29:alice", workspace=WORKSPACE)
    omar = Person(both.service, "29:omar", workspace=WORKSPACE)
    for person in (lea, omar):
        await person.says("hello")
    await running_poc(both.service, lea, omar, owner="29:omar")
    carol = both.client.person("carol")

    def removed(*members: str) -> dict[str, object]:
        return carol.activity(
            {"id": TEAM, "conversationType": "channel", "isGroup": True},
            type="conversationUpdate",
            membersRemoved=[{"id": member} for member in members],
            channelData={
                "tenant": {"id": "contoso"},
                "team": {"id": TEAM, "name": "Finance"},
                "eventType": "teamMemberRemoved",
            },
        )

    assert (await both.client.post(removed("29:erin"))).status in (200, 201)
    assert await stage(both) == Stage.INDUSTRIALISED
    assert (await both.client.post(removed("29:omar"))).status in (200, 201)
    assert await stage(both) == Stage.REVIEW_DUE
    async with both.service.store.reading() as repo:
        workspace = await repo.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        events = [e for e in await repo.audits.of_workspace(workspace.id) if e.action == "reopened"]
    assert [e.detail["reason"] for e in events] == ["owner_left"]
    assert BOT_ID  # the bot itself was not among the removed: the team keeps it
