"""The outbox in SQL (``conversations.ports.outbox``), on the ``delivery`` table.

Plain statements on the table, no ORM rows: what the core gets is a
:class:`Post`, and each write is one statement (an ``INSERT … ON CONFLICT DO
NOTHING`` to queue once, an ``UPDATE … RETURNING`` to claim or settle).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.ports.outbox import SETTLED, DeliveryStatus, Post
from storage.database import upsert
from storage.models import Delivery

TABLE: sa.Table = Delivery.__table__  # type: ignore[attr-defined]
C = TABLE.c
BATCH = 1000
"""Rows per INSERT when queuing many (well under either database's limit on bound values)."""


def _post(row: sa.RowMapping) -> Post:
    return Post(
        id=row["id"],
        workspace_id=row["workspace_id"],
        key=row["idempotency_key"],
        kind=row["kind"],
        target=row["target"],
        payload=row["payload"] or {},
        parent_key=row["parent_key"],
        due_at=row["due_at"],
        created_at=row["created_at"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        platform_ref=row["platform_ref"],
        lease_until=row["lease_until"],
        sent_at=row["sent_at"],
    )


def _values(post: Post) -> dict[str, Any]:
    return {
        "workspace_id": post.workspace_id,
        "idempotency_key": post.key,
        "kind": post.kind,
        "target": post.target,
        "payload": dict(post.payload),
        "status": post.status.value,
        "attempts": post.attempts,
        "last_error": post.last_error,
        "platform_ref": post.platform_ref,
        "parent_key": post.parent_key,
        "due_at": post.due_at,
        "lease_until": post.lease_until,
        "created_at": post.created_at or post.due_at,
        "sent_at": post.sent_at,
    }


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(self, post: Post) -> bool:
        return bool(await self.enqueue_all([post]))

    async def enqueue_all(self, posts: Sequence[Post]) -> set[str]:
        dialect = self.session.get_bind().dialect.name
        added: set[str] = set()
        for start in range(0, len(posts), BATCH):
            result = await self.session.execute(
                upsert(TABLE, dialect)
                .values([_values(post) for post in posts[start : start + BATCH]])
                .on_conflict_do_nothing(index_elements=[C.idempotency_key])
                .returning(C.idempotency_key)
            )
            added.update(result.scalars().all())
        return added

    async def queued(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        result = await self.session.execute(
            sa.select(C.idempotency_key).where(C.idempotency_key.in_(keys))
        )
        return set(result.scalars().all())

    async def get(self, key: str) -> Post | None:
        result = await self.session.execute(sa.select(TABLE).where(C.idempotency_key == key))
        row = result.mappings().first()
        return _post(row) if row is not None else None

    async def due(self, now: datetime, limit: int) -> Sequence[Post]:
        result = await self.session.execute(
            sa.select(TABLE)
            .where(
                sa.or_(
                    sa.and_(C.status == DeliveryStatus.PENDING.value, C.due_at <= now),
                    sa.and_(C.status == DeliveryStatus.SENDING.value, C.lease_until < now),
                )
            )
            .order_by(C.due_at, C.id)
            .limit(limit)
        )
        return [_post(row) for row in result.mappings().all()]

    async def claim(self, seen: Post, now: datetime, lease_until: datetime) -> Post | None:
        assert seen.id is not None, "claim a post as read from the outbox"
        return await self._update(
            sa.and_(
                C.id == seen.id,
                C.status == seen.status.value,
                C.attempts == seen.attempts,
            ),
            status=DeliveryStatus.SENDING.value,
            lease_until=lease_until,
            attempts=seen.attempts + 1,
        )

    async def settle(
        self,
        key: str,
        status: DeliveryStatus,
        *,
        at: datetime,
        ref: str | None = None,
        error: str | None = None,
    ) -> Post:
        if status not in SETTLED:
            raise ValueError(f"a post is not settled as {status.value}")
        values: dict[str, Any] = {"status": status.value, "lease_until": None}
        if ref is not None:
            values |= {"platform_ref": ref, "sent_at": at}
        if error is not None:
            values["last_error"] = error
        return _found(key, await self._update(C.idempotency_key == key, **values))

    async def reschedule(
        self, key: str, *, due_at: datetime, error: str, sending: bool = False
    ) -> Post:
        status = DeliveryStatus.SENDING if sending else DeliveryStatus.PENDING
        updated = await self._update(
            C.idempotency_key == key,
            status=status.value,
            due_at=due_at,
            lease_until=due_at if sending else None,
            last_error=error,
        )
        return _found(key, updated)

    async def _update(self, where: sa.ColumnElement[bool], **values: Any) -> Post | None:
        result = await self.session.execute(
            sa.update(TABLE).where(where).values(**values).returning(*C)
        )
        row = result.mappings().first()
        return _post(row) if row is not None else None

    def _sent(self, kind: str, workspace_id: int) -> sa.ColumnElement[bool]:
        return sa.and_(
            C.workspace_id == workspace_id,
            C.kind == kind,
            C.status == DeliveryStatus.SENT.value,
        )

    async def last_sent(self, kind: str, target: str, workspace_id: int) -> Post | None:
        result = await self.session.execute(
            sa.select(TABLE)
            .where(self._sent(kind, workspace_id), C.target == target)
            .order_by(C.due_at.desc(), C.id.desc())
            .limit(1)
        )
        row = result.mappings().first()
        return _post(row) if row is not None else None

    async def last_sent_to(
        self, kind: str, targets: Sequence[str], workspace_id: int
    ) -> dict[str, Post]:
        if not targets:
            return {}
        ranked = (
            sa.select(
                C.id,
                sa.func.row_number()
                .over(partition_by=C.target, order_by=(C.due_at.desc(), C.id.desc()))
                .label("rank"),
            )
            .where(self._sent(kind, workspace_id), C.target.in_(targets))
            .subquery()
        )
        result = await self.session.execute(
            sa.select(TABLE).join(ranked, C.id == ranked.c.id).where(ranked.c.rank == 1)
        )
        posts = (_post(row) for row in result.mappings().all())
        return {post.target: post for post in posts}

    async def count(self, status: DeliveryStatus) -> int:
        result = await self.session.execute(
            sa.select(sa.func.count()).select_from(TABLE).where(C.status == status.value)
        )
        return int(result.scalar_one())


def _found(key: str, post: Post | None) -> Post:
    if post is None:
        raise LookupError(f"no post {key!r} in the outbox")
    return post
