"""The workspace is the Teams tenant: nothing of one tenant is visible from another.

Runs on SQLite and PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from conversations.delivery import DeliveryError, Destination
from conversations.messages import Say
from storage.repository import Store
from tests.teams.client import questions
from tests.teams.conftest import Served, serve
from tests.teams.fakes import FakeBotFramework
from tests.teams.test_interview import press_for

CONTOSO_TEAM = "19:contoso-general@thread.tacv2"


@pytest.fixture
async def both(store: Store, fake: FakeBotFramework, sleeps: list[float]) -> AsyncIterator[Served]:
    async for running in serve(store, fake, sleeps):
        yield running


async def test_two_tenants_are_kept_apart(
    both: Served, store: Store, fake: FakeBotFramework
) -> None:
    teams = both.client
    alice = teams.person("alice", tenant="contoso")
    bob = teams.person("bob", tenant="fabrikam")

    await alice.says("hello")
    await alice.says("new Invoice agent")
    started = await alice.says("interview invoice-agent")
    _, card = questions(started.sent)[-1]
    await teams.post(alice.installs_in_team(CONTOSO_TEAM))

    await bob.says("hello")
    assert "invoice-agent" not in (await bob.says("list")).text()
    assert (
        "There is no POC called invoice-agent" in (await bob.says("summary invoice-agent")).text()
    )

    # Alice's card, submitted from the other tenant, is refused and changes nothing.
    pressed = await bob.submits(card, press_for(card, "none") or {})
    assert "no longer valid" in pressed.text()
    assert pressed.updates == []

    # Bob's tenant can't post to Alice's channel, nor see her as someone it knows.
    mark = fake.mark()
    with pytest.raises(DeliveryError) as raised:
        await both.messenger.post(
            Destination("teams:fabrikam", channel=CONTOSO_TEAM), [Say("Hello from fabrikam")]
        )
    assert not raised.value.retryable
    assert fake.since(mark) == []

    async with store.unit() as repo:
        contoso = await repo.workspace("teams:contoso")
        fabrikam = await repo.workspace("teams:fabrikam")
        assert contoso is not None and fabrikam is not None
        assert contoso.id is not None and fabrikam.id is not None
        assert [p.platform_id for p in await repo.people(fabrikam.id)] == [bob.id]
        assert await repo.address(fabrikam.id, f"channel:{CONTOSO_TEAM}") is None
        assert await repo.address(contoso.id, f"channel:{CONTOSO_TEAM}") is not None

    # And Alice's interview is where she left it.
    assert questions((await alice.says("hello")).sent)[-1][0] == "screen_uses"
