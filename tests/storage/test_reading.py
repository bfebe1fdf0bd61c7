"""A long read never holds up a write (the weekly pass reads a whole portfolio)."""

from __future__ import annotations

import asyncio

import pytest

from storage.repository import Store

pytestmark = pytest.mark.storage


async def test_a_write_goes_through_while_a_read_transaction_is_open(store: Store) -> None:
    async with store.reading() as reader:
        assert await reader.workspace("test:acme") is None

        async def write() -> None:
            async with store.unit() as writer:
                await writer.add_workspace("test:acme", "Acme")

        await asyncio.wait_for(write(), 5)
    async with store.reading() as reader:
        found = await reader.workspace("test:acme")
    assert found is not None and found.name == "Acme"
