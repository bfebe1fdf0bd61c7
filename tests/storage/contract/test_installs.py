"""The installations' contract (``conversations.ports.installs``), on every store."""

from __future__ import annotations

import pytest

from tests.storage.contract.conftest import Backend


async def test_an_unknown_workspace_has_no_installation(backend: Backend) -> None:
    async with backend.unit() as unit:
        assert await unit.installs.find("slack:T0ACME") is None
        assert await unit.installs.by_id(999) is None
        assert await unit.installs.deactivate("slack:T0ACME") is None
        assert await unit.installs.every() == []


async def test_ensure_makes_one_installation_per_key(backend: Backend) -> None:
    async with backend.unit() as unit:
        made = await unit.installs.ensure("slack:T0ACME")
        assert await unit.installs.ensure("slack:T0ACME") == made
    async with backend.unit() as unit:
        assert await unit.installs.ensure("slack:T0ACME") == made
        assert await unit.installs.find("slack:T0ACME") == made
        assert await unit.installs.by_id(made.id) == made
    assert (made.key, made.name, made.active) == ("slack:T0ACME", "", True)


async def test_removed_then_installed_again(backend: Backend) -> None:
    async with backend.unit() as unit:
        installed = await unit.installs.activate("slack:T0ACME", "Acme")
    async with backend.unit() as unit:
        removed = await unit.installs.deactivate("slack:T0ACME")
        assert await unit.installs.deactivate("slack:T0ACME") is None  # a retried uninstall
    assert removed is not None and (removed.id, removed.active) == (installed.id, False)
    async with backend.unit() as unit:
        found = await unit.installs.find("slack:T0ACME")
        assert found is not None and not found.active and found.name == "Acme"
        again = await unit.installs.activate("slack:T0ACME")
    assert (again.id, again.active, again.name) == (installed.id, True, "Acme")  # name kept


async def test_an_install_names_the_workspace_when_told_its_name(backend: Backend) -> None:
    async with backend.unit() as unit:
        first = await unit.installs.activate("teams:contoso")
        renamed = await unit.installs.activate("teams:contoso", "Contoso Ltd")
    async with backend.unit() as unit:
        assert await unit.installs.find("teams:contoso") == renamed
    assert (first.name, renamed.name, renamed.id) == ("", "Contoso Ltd", first.id)


async def test_every_installation_in_the_order_made(backend: Backend) -> None:
    async with backend.unit() as unit:
        for key in ("slack:T2", "slack:T1", "teams:x"):
            await unit.installs.ensure(key)
        await unit.installs.deactivate("slack:T1")
    async with backend.unit() as unit:
        every = await unit.installs.every()
    assert [(i.key, i.active) for i in every] == [
        ("slack:T2", True),
        ("slack:T1", False),
        ("teams:x", True),
    ]
    assert len({i.id for i in every}) == 3


async def test_a_unit_that_raises_installs_nothing(backend: Backend) -> None:
    async with backend.unit() as unit:
        await unit.installs.activate("slack:T1")
    with pytest.raises(LookupError):
        async with backend.unit() as unit:
            await unit.installs.ensure("slack:T2")
            await unit.installs.deactivate("slack:T1")
            raise LookupError("boom")
    async with backend.unit() as unit:
        assert [(i.key, i.active) for i in await unit.installs.every()] == [("slack:T1", True)]
