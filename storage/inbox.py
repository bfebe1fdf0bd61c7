"""The inbox: platform requests kept from their acknowledgement until handled.

An adapter acknowledges a request once :meth:`Inbox.put` has committed its
one row (an indexed INSERT keyed by the platform's delivery id, which is also
what tells a redelivery from a new request). The step that handles it runs
after, from the row, on whichever replica claims it:

- **claim** (:meth:`Inbox.claim`): one UPDATE gives the row a lease, only if
  it is pending, not leased by someone else (or the lease ran out: its worker
  died), and the oldest pending row of its ``lane`` (one person). So one
  person's requests are handled one at a time and in arrival order, on any
  number of replicas, as the outbox's claims work (conversations.outbox);
- **renew** while the step runs, so that only a dead worker's lease runs out;
- **finish**: ``done`` (or ``failed`` after too many attempts).

The common case costs less: the request's own worker takes its row as it
keeps it (:meth:`Inbox.put` with a lease, granted in the same INSERT when no
earlier row of the person is waiting), so no claim follows; the step's own
transaction marks the row applied (:func:`take_in_step`: ``done_at`` set,
which is also what makes a step run twice a duplicate); and ``done`` is
written with other rows' in one statement, in a transaction that writes
anyway (:mod:`storage.behind`). A row applied but not yet ``done`` (its
worker died before the replies) is taken again once its lease runs out, and
its step finds it applied; it no longer holds its person's later rows.

Arrival order is the row id. On PostgreSQL two inserts of one person within
the same instant may commit out of id order; one person does not send two
requests that close together through Slack or Teams.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from storage.database import upsert
from storage.models import InboxEntry, InboxStatus
from storage.repository import Repo, Store


@dataclass(frozen=True)
class Arrival:
    """A request as an adapter keeps it: enough to handle it later, anywhere."""

    platform: str
    workspace: str
    delivery_id: str
    lane: str
    kind: str
    payload: dict[str, Any]


TABLE: sa.Table = InboxEntry.__table__  # type: ignore[attr-defined]


def _waiting_in(lane: str) -> Any:
    """A row of ``lane`` not yet applied: what holds that person's later rows."""
    return (
        sa.select(TABLE.c.id)
        .where(
            TABLE.c.lane == lane,
            TABLE.c.status == InboxStatus.PENDING,
            TABLE.c.done_at.is_(None),
        )
        .exists()
    )


class Inbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def put(self, arrival: Arrival, now: datetime) -> int | None:
        """Keep ``arrival``; its row id, or None when it is a redelivery (already kept)."""
        kept = await self.keep(arrival, now, here=False)
        return kept.id if kept is not None else None

    async def keep(
        self, arrival: Arrival, now: datetime, *, here: bool = True
    ) -> InboxEntry | None:
        """Keep ``arrival``; its row, or None when it is a redelivery (already kept).

        ``here``: the same statement tells whether an earlier row of its lane
        waits: if not, the row is its caller's to handle at once, without a
        claim (its ``attempts`` is 1: this is the first); else it waits its
        turn (``attempts`` 0) and is claimed when that comes (:meth:`claim`).
        """
        payload = _storable(arrival.payload)
        values: dict[str, Any] = {
            "platform": arrival.platform,
            "workspace": arrival.workspace,
            "delivery_id": arrival.delivery_id,
            "lane": arrival.lane,
            "kind": arrival.kind,
            "payload": payload,
            "status": InboxStatus.PENDING,
            "attempts": sa.case((_waiting_in(arrival.lane), 0), else_=1) if here else 0,
            "created_at": now,
        }
        statement = (
            upsert(TABLE, self.store.engine.dialect.name)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["platform", "workspace", "delivery_id"])
            .returning(TABLE.c.id, TABLE.c.attempts)
        )
        # The acknowledgement waits for this commit: Core, and nothing rides along.
        async with self.store.connection(urgent=True) as connection:
            found = (await connection.execute(statement)).first()
        if found is None:
            return None
        return InboxEntry(
            id=int(found[0]),
            platform=arrival.platform,
            workspace=arrival.workspace,
            delivery_id=arrival.delivery_id,
            lane=arrival.lane,
            kind=arrival.kind,
            payload=payload,
            status=InboxStatus.PENDING,
            attempts=int(found[1]),
            created_at=now,
        )

    async def find(self, platform: str, workspace: str, delivery_id: str) -> InboxEntry | None:
        async with self.store.reading() as repo:
            result = await repo.session.execute(
                select(InboxEntry).where(
                    InboxEntry.platform == platform,
                    InboxEntry.workspace == workspace,
                    InboxEntry.delivery_id == delivery_id,
                )
            )
            return result.scalar_one_or_none()

    async def head(self, lane: str, now: datetime | None = None) -> int | None:
        """The oldest pending row of ``lane``, if any, but one applied whose
        live worker is replying to it (``now`` tells which leases are live)."""
        replying = sa.and_(
            col(InboxEntry.done_at).is_not(None),
            col(InboxEntry.lease_until).is_not(None),
            col(InboxEntry.lease_until) >= now,
        )
        async with self.store.reading() as repo:
            result = await repo.session.execute(
                select(sa.func.min(InboxEntry.id)).where(
                    InboxEntry.lane == lane,
                    InboxEntry.status == InboxStatus.PENDING,
                    *([] if now is None else [~replying]),
                )
            )
            found = result.scalar_one_or_none()
        return int(found) if found is not None else None

    async def claim(self, entry_id: int, now: datetime, lease_until: datetime) -> InboxEntry | None:
        """Take row ``entry_id`` for handling; None when it is not to be taken now
        (handled, leased by a live worker, or not its person's oldest pending)."""
        earlier = sa.orm.aliased(InboxEntry)
        older_pending = (
            select(earlier.id)
            .where(
                earlier.lane == InboxEntry.lane,
                earlier.status == InboxStatus.PENDING,
                col(earlier.done_at).is_(None),
                col(earlier.id) < col(InboxEntry.id),
            )
            .exists()
        )
        async with self.store.unit() as repo:
            result = await repo.session.execute(
                sa.update(InboxEntry)
                .where(
                    col(InboxEntry.id) == entry_id,
                    col(InboxEntry.status) == InboxStatus.PENDING,
                    sa.or_(
                        col(InboxEntry.lease_until).is_(None), col(InboxEntry.lease_until) < now
                    ),
                    ~older_pending,
                )
                .values(lease_until=lease_until, attempts=col(InboxEntry.attempts) + 1)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            return await repo.session.get(InboxEntry, entry_id, populate_existing=True)

    async def renew(self, entry_id: int, lease_until: datetime) -> None:
        async with self.store.unit() as repo:
            await repo.session.execute(
                sa.update(InboxEntry)
                .where(
                    col(InboxEntry.id) == entry_id, col(InboxEntry.status) == InboxStatus.PENDING
                )
                .values(lease_until=lease_until)
                .execution_options(synchronize_session=False)
            )

    async def finish(
        self, entry_id: int, now: datetime, status: InboxStatus = InboxStatus.DONE
    ) -> None:
        async with self.store.unit() as repo:
            await repo.session.execute(
                sa.update(InboxEntry)
                .where(col(InboxEntry.id) == entry_id)
                .values(status=status, done_at=now, lease_until=None)
                .execution_options(synchronize_session=False)
            )

    async def release(self, entry_id: int, retry_at: datetime) -> None:
        """The step failed: leave the row pending, to be taken again from ``retry_at``."""
        await self.renew(entry_id, retry_at)

    async def waiting_lanes(
        self, now: datetime, limit: int = 100, before: datetime | None = None
    ) -> Sequence[str]:
        """Lanes with a pending row nobody holds (kept before ``before``, if
        given): left by a dead worker, or waiting behind one that was."""
        async with self.store.reading() as repo:
            result = await repo.session.execute(
                select(InboxEntry.lane, sa.func.min(InboxEntry.id))
                .where(
                    InboxEntry.status == InboxStatus.PENDING,
                    sa.or_(
                        col(InboxEntry.lease_until).is_(None), col(InboxEntry.lease_until) < now
                    ),
                    col(InboxEntry.created_at) <= (before or now),
                )
                .group_by(InboxEntry.lane)
                .order_by(sa.func.min(InboxEntry.id))
                .limit(limit)
            )
            return [str(lane) for lane, _ in result.all()]

    async def pending(self) -> int:
        async with self.store.reading() as repo:
            result = await repo.session.execute(
                select(sa.func.count())
                .select_from(InboxEntry)
                .where(InboxEntry.status == InboxStatus.PENDING)
            )
            return int(result.scalar_one())

    async def purge(self, before: datetime) -> int:
        async with self.store.unit() as repo:
            return await purge_handled(repo, before)


REPLY_LEASE = timedelta(seconds=4)
"""How long an applied row is its worker's to reply to before another takes it
(and, finding it applied, shows the person where they are)."""


async def take_in_step(
    repo: Repo, entry_id: int, now: datetime, lease_until: datetime | None = None
) -> bool:
    """In the step's own transaction: mark row ``entry_id`` applied (and leased
    to this worker while it replies, until ``lease_until``, by default
    :data:`REPLY_LEASE` from now by the wall clock, which the sweeps read);
    False when it was already (a worker that died after its step): the step
    is then a duplicate. One UPDATE, in place of the claim of the delivery id."""
    lease = lease_until if lease_until is not None else datetime.now(UTC) + REPLY_LEASE
    result = await repo.session.execute(
        sa.update(TABLE)
        .where(TABLE.c.id == entry_id, TABLE.c.done_at.is_(None))
        .values(done_at=now, lease_until=lease)
    )
    return getattr(result, "rowcount", 0) == 1


async def purge_handled(repo: Repo, before: datetime) -> int:
    """Forget handled rows kept before ``before`` (a redelivery comes within
    minutes); a pending row is kept however old: it is still to be handled."""
    result = await repo.session.execute(
        sa.delete(InboxEntry).where(
            col(InboxEntry.status) != InboxStatus.PENDING,
            col(InboxEntry.created_at) < before,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: Any) -> Any:
    """``value`` with NUL and lone surrogates in its strings turned into U+FFFD:
    a raw request may hold them (a forged ``\\ud800`` in JSON), and neither
    database can store them; the step cleans what it reads the same way."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value
