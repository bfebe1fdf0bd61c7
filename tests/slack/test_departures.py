"""A deactivated Slack user (``user_change`` with ``deleted: true``) reopens the
decisions on the POCs they own, over real HTTP, signed as Slack signs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.models import Stage
from tests.slack.conftest import StartBot
from tests.support.conversation import Person
from tests.telemetry.conftest import HANDLE, running_poc

pytestmark = pytest.mark.storage

WORKSPACE = "slack:T0ACME"


async def stage(service: object, handle: str = HANDLE) -> str:
    from conversations.service import Service

    assert isinstance(service, Service)
    async with service.store.reading() as repo:
        workspace = await repo.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        poc = await repo.poc(workspace.id, handle)
        assert poc is not None
        return str(poc.stage)


async def test_a_deactivated_owner_reopens_the_decision(
    start_bot: StartBot, database_url: str
) -> None:
    slack = await start_bot(database_url)
    service = slack.bot.service
    lea = Person(service, "U0LEA", workspace=WORKSPACE)
    omar = Person(service, "U0OMAR", workspace=WORKSPACE)
    for person in (lea, omar):
        await person.says("hello")
    await running_poc(service, lea, omar, owner="U0OMAR")
    assert await stage(service) == Stage.INDUSTRIALISED

    still_here = await slack.event(
        {"type": "user_change", "user": {"id": "U0OMAR", "deleted": False}}
    )
    assert still_here.status == 200 and await stage(service) == Stage.INDUSTRIALISED

    gone = {"type": "user_change", "user": {"id": "U0OMAR", "deleted": True, "name": "omar"}}
    assert (await slack.event(gone)).status == 200
    assert await stage(service) == Stage.REVIEW_DUE
    await slack.event(gone, retry=1)  # Slack's retry changes nothing
    async with service.store.reading() as repo:
        workspace = await repo.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        events = [e for e in await repo.audits.of_workspace(workspace.id) if e.action == "reopened"]
        told = [d.target for d in await repo.outbox.due(datetime.now(UTC), 100)]
    assert [e.detail["reason"] for e in events] == ["owner_left"]
    assert told.count("person:U0LEA") == 1  # the lead who decided, through the outbox
    assert "person:U0OMAR" not in told  # not the one who left
