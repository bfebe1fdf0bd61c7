"""Who administers, from the core's side: first messages sent at the same
moment give exactly the admins the rules say, on SQLite and PostgreSQL.

The console's rule (its first person administers: whoever runs it owns the
database file) used to be checked as "nobody here yet" under READ COMMITTED,
so several first people could all become admin. The platforms' rule gives
the role to the ids listed (``POSTPOC_ADMINS``) and to nobody else.
"""

from __future__ import annotations

import asyncio

import pytest

from conversations.identity import platform_rules
from conversations.messages import Actor, Inbound, Place
from conversations.service import Service
from storage.models import Role
from storage.repository import Store
from tests.support.conversation import Clock

pytestmark = pytest.mark.storage
PEOPLE = [f"person-{n}" for n in range(8)]


async def first_messages_at_once(service: Service, workspace: str) -> dict[str, str]:
    async with service.store.unit() as repo:
        await repo.add_workspace(workspace)  # installed: its row exists before anyone speaks
    await asyncio.gather(
        *(
            service.handle(
                Inbound(
                    actor=Actor(workspace, who, who.title()),
                    place=Place(channel_id=f"D-{who}", is_direct=True),
                    text="hello",
                )
            )
            for who in PEOPLE
        )
    )
    async with service.store.unit() as repo:
        found = await repo.workspace(workspace)
        assert found is not None and found.id is not None
        return {p.platform_id: p.role for p in await repo.people(found.id)}


async def test_in_the_console_exactly_one_first_person_administers(store: Store) -> None:
    service = Service(store, clock=Clock(), identity=platform_rules([], ["console:"]))
    for round_ in range(4):
        roles = await first_messages_at_once(service, f"console:round-{round_}")
        assert sorted(roles) == PEOPLE
        assert list(roles.values()).count(Role.ADMIN) == 1, roles


async def test_on_a_platform_exactly_the_listed_ids_administer(store: Store) -> None:
    rules = platform_rules(["person-2", "person-6", "someone-elsewhere"], ["console:"])
    service = Service(store, clock=Clock(), identity=rules)
    for round_ in range(4):
        roles = await first_messages_at_once(service, f"slack:T{round_}")
        assert {who for who, role in roles.items() if role == Role.ADMIN} == {
            "person-2",
            "person-6",
        }
        assert len(roles) == len(PEOPLE)
