"""What the database holds, without ids or times: two runs that did the same
things compare equal, whatever ran them and however often a request came.

``people`` maps platform user ids to names that stay the same across runs
(a run with its own users, in its own database, compares with another).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

QUERIES = {
    "people": "SELECT p.platform_id, p.role FROM person p ORDER BY p.platform_id",
    "pocs": (
        "SELECT poc.handle, poc.title, poc.stage, o.platform_id AS owner FROM poc "
        "LEFT JOIN person o ON o.id = poc.owner_id ORDER BY poc.handle"
    ),
    "interviews": (
        "SELECT poc.handle, i.flow, i.status, i.current_key, i.editing_key, i.revision "
        "FROM interview i JOIN poc ON poc.id = i.poc_id ORDER BY poc.handle, i.flow, i.id"
    ),
    "answers": (
        "SELECT poc.handle, a.question_key, a.value, a.skipped, "
        "a.superseded_at IS NOT NULL AS superseded "
        "FROM answer a JOIN poc ON poc.id = a.poc_id ORDER BY poc.handle, a.id"
    ),
    "decisions": (
        "SELECT poc.handle, d.outcome FROM decision d JOIN poc ON poc.id = d.poc_id ORDER BY d.id"
    ),
    "assessments": "SELECT count(*) AS n FROM assessment",
    "subscriptions": "SELECT channel_id, weekday, local_time FROM subscription ORDER BY channel_id",
    "deliveries": "SELECT kind, target, status FROM delivery ORDER BY idempotency_key",
    "posted questions": "SELECT count(*) AS n FROM postedmessage",
    "audit": "SELECT action FROM auditevent ORDER BY id",
}


async def snapshot(engine: AsyncEngine, people: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every table that says what happened, as plain values."""
    names = dict(people or {})
    found: dict[str, Any] = {}
    async with engine.connect() as connection:
        for name, query in QUERIES.items():
            rows = (await connection.execute(sa.text(query))).mappings().all()
            found[name] = [_plain(dict(row), names) for row in rows]
    found["audit"] = dict(Counter(row["action"] for row in found["audit"]))
    return found


def _plain(row: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, str) and key == "value":  # JSON: text on SQLite
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        if key in ("platform_id", "owner", "target") and isinstance(value, str):
            for user, name in names.items():
                value = value.replace(user, name)
        if isinstance(value, int) and key == "superseded":
            value = bool(value)
        if key == "skipped":
            value = bool(value)
        plain[key] = _rename(value, names)
    return plain


def _rename(value: Any, names: Mapping[str, str]) -> Any:
    """User ids inside answers (a person picked) named as in the other run."""
    if isinstance(value, str):
        for user, name in names.items():
            value = value.replace(user, name)
        return value
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _rename(v, names) for k, v in value.items()}
    return value


async def count(engine: AsyncEngine, query: str, **params: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(sa.text(query), params)).scalar_one())
