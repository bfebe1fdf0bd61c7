"""Teams: the installer administers, tenants stay in their lane, the Emulator
stays on this machine, and people are named by mention or id. Over real HTTP
against the fake Bot Framework, on SQLite and PostgreSQL (``store``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from storage.repository import Store
from tests.teams.conftest import Served, serve
from tests.teams.fakes import FakeBotFramework

pytestmark = pytest.mark.storage


@asynccontextmanager
async def bot(
    store: Store, fake: FakeBotFramework, sleeps: list[float], **settings: Any
) -> AsyncIterator[Served]:
    async for running in serve(store, fake, sleeps, **settings):
        yield running


async def roles(store: Store, workspace: str) -> dict[str, str]:
    async with store.unit() as repo:
        found = await repo.workspace(workspace)
        assert found is not None and found.id is not None
        return {p.platform_id: str(p.role) for p in await repo.people(found.id)}


async def test_the_installer_administers_not_the_first_to_speak(
    store: Store, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    async with bot(store, fake, sleeps, postpoc_admins=None) as served:
        teams = served.client
        mallory, carol = teams.person("mallory"), teams.person("carol")
        await mallory.says("hello")  # before anyone installed it in the tenant
        posted = await teams.post(carol.installation("add"))
        assert posted.status == 201
        await carol.says("hello")
        # Installed again, by someone else: no role changes hands.
        await teams.post(mallory.installation("add"))
        assert await roles(store, "teams:contoso") == {
            mallory.id: "member",
            carol.id: "admin",
        }
        refused = await mallory.says("role carol member")
        assert "Only an admin can do that" in refused.text()


async def test_a_single_tenant_app_serves_only_its_tenant(
    store: Store, fake: FakeBotFramework, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    async with bot(
        store, fake, sleeps, microsoft_app_type="SingleTenant", microsoft_app_tenant_id="contoso"
    ) as served:
        teams = served.client
        with caplog.at_level(logging.WARNING, logger="postpoc"):
            stranger = await teams.person("bob", tenant="fabrikam").says("canary-text-77")
        assert stranger.status == 201 and stranger.sent == []
        assert "Hello Alice!" in (await teams.person("alice").says("hello")).text()
        async with store.unit() as repo:
            assert await repo.workspace("teams:fabrikam") is None
            assert await repo.workspace("teams:contoso") is not None
        warned = [m for m in caplog.messages if "does not serve" in m]
        assert len(warned) == 1 and "fabrikam" in warned[0]
        assert not any("canary" in m for m in caplog.messages)


async def test_a_multi_tenant_app_can_be_limited_to_an_allow_list(
    store: Store, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    async with bot(store, fake, sleeps, teams_allowed_tenants="contoso, northwind") as served:
        teams = served.client
        for tenant, served_there in (("contoso", True), ("northwind", True), ("fabrikam", False)):
            posted = await teams.person("alice", tenant=tenant).says("hello")
            assert posted.status == 201
            assert ("Hello Alice!" in posted.text()) == served_there, tenant
        async with store.unit() as repo:
            assert await repo.workspace("teams:fabrikam") is None


async def test_the_emulator_answers_only_a_service_url_on_this_machine(
    store: Store, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    async with bot(store, fake, sleeps, app_id=None) as served:
        alice = served.client.person("alice")
        for elsewhere in ("http://10.20.30.40:9000/", "https://attacker.example/", "", None):
            activity = alice.personal(text="hello", channelId="emulator", serviceUrl=elsewhere)
            posted = await served.client.post(activity, authorization=None)
            assert posted.status == 400, elsewhere
            assert posted.calls == []
        async with store.unit() as repo:
            assert await repo.workspace("teams:contoso") is None
        # On this machine (the fake's 127.0.0.1), the Emulator is answered.
        local = alice.personal(text="hello", channelId="emulator")
        assert "Hello Alice!" in (await served.client.post(local, authorization=None)).text()


async def test_a_person_is_named_by_mention_or_id_never_by_display_name(
    store: Store, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    async with bot(store, fake, sleeps) as served:  # Alice is listed in POSTPOC_ADMINS
        teams = served.client
        alice, bob, mallory = teams.person("alice"), teams.person("bob"), teams.person("mallory")
        await alice.says("hello")
        await bob.says("hello")
        # Mallory sets her display name to the one of Bob's she wants to borrow.
        await teams.post(
            mallory.personal(text="hello", **{"from": {"id": mallory.id, "name": "Bob Boss"}})
        )
        refused = await alice.says("role Bob Boss lead")
        assert "mention them" in refused.text()
        french = await teams.post(
            {**alice.personal(text="role Bob Boss lead"), "locale": "fr-FR", "entities": []}
        )
        assert "mentionnez la personne" in french.text()
        assert set((await roles(store, "teams:contoso")).values()) == {"admin", "member"}

        tag = "<at>Bob</at>"
        mention = {"type": "mention", "text": tag, "mentioned": {"id": bob.id, "name": "Bob"}}
        named = await teams.post({**alice.personal(text=f"role {tag} lead"), "entities": [mention]})
        assert "is now lead" in named.text()
        by_id = await alice.says(f"role {mallory.id} lead")
        assert "is now lead" in by_id.text()
        assert await roles(store, "teams:contoso") == {
            alice.id: "admin",
            bob.id: "lead",
            mallory.id: "lead",
        }
