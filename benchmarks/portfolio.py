"""A large portfolio written straight into storage, in bulk.

``seed(url, Shape(pocs=10_000, channels=500))`` migrates a fresh database
and fills one Slack workspace: owners in four time zones (a few away), POCs
at every stage, each with an interview and its answers (the rubric's complete
typed answers from ``tests.support.typed``, varied: partial interviews, stale
answers, frame conditions left open, some edits), a value indicator with
weekly readings (some trending away, some past their threshold), four weeks
of check-ins (some with incidents, some unanswered after their reminder),
and channel subscriptions whose nudges are all due at :data:`NOW`, each with
last week's nudge sent.

This week's check-ins are already out (sent this morning, not yet due a
reminder), so a pass at :data:`NOW` has exactly the channel nudges to compute.

Rows go in with SQLAlchemy Core ``insert`` in batches, ids chosen here, over
a synchronous engine: seconds for a million rows, where the ORM one by one
would take many minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from conversations.bank import load_bank
from conversations.schedule import Weekly, week_key
from storage.database import resolve_url, sync_url
from storage.migrate import upgrade
from storage.models import (
    Answer,
    CheckIn,
    CheckInStatus,
    Delivery,
    DeliveryStatus,
    Indicator,
    Interview,
    InterviewStatus,
    Person,
    Poc,
    Reading,
    Role,
    Stage,
    Subscription,
    Workspace,
)
from tests.support.typed import complete_answers

NOW = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
"""A Monday evening: every channel's Monday 09:00 nudge is due, in every zone."""

WORKSPACE_KEY = "slack:T0BENCH"
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo")
STAGES = (
    Stage.POC,
    Stage.ASSESSING,
    Stage.ASSESSING,
    Stage.FRAMED,
    Stage.FRAMED,
    Stage.FRAMED,
    Stage.INDUSTRIALISED,
    Stage.INDUSTRIALISED,
    Stage.INDUSTRIALISED,
    Stage.STOPPED,
)
CHECKED = (Stage.ASSESSING, Stage.FRAMED, Stage.INDUSTRIALISED)
POCS_PER_OWNER = 4
CHECKIN_WEEKS = 4
BATCH = 2_000


@dataclass(frozen=True)
class Shape:
    pocs: int = 10_000
    channels: int = 500
    portfolio_channels: int = 0
    """Channels subscribed to the whole portfolio (scope ``all``); the others
    see the POCs whose home channel they are (scope ``here``)."""


@dataclass(frozen=True)
class Seeded:
    url: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        yield batch


def _insert(conn: Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    for batch in _batches(rows):
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _days(n: int) -> timedelta:
    return timedelta(days=n)


class Portfolio:
    """Every row of the portfolio, as plain dicts; ids are positions."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.owners = max(1, shape.pocs // POCS_PER_OWNER)
        self.bank_version = load_bank().version
        self.answers = complete_answers()
        self.created = NOW - _days(200)

    # -- ids: 1 is the workspace and the lead; owner k is person k + 2 --------

    def owner_of(self, poc: int) -> int:
        return 2 + poc % self.owners

    def zone_of_owner(self, owner: int) -> str:
        return ZONES[owner % len(ZONES)]

    def stage_of(self, poc: int) -> Stage:
        return STAGES[poc % len(STAGES)]

    def workspace(self) -> Iterator[dict[str, Any]]:
        yield {
            "id": 1,
            "key": WORKSPACE_KEY,
            "name": "Bench",
            "active": True,
            "settings": {},
            "created_at": self.created,
        }

    def people(self) -> Iterator[dict[str, Any]]:
        base = {"workspace_id": 1, "locale": "en", "created_at": self.created}
        yield {
            **base,
            "id": 1,
            "platform_id": "U0LEAD",
            "display_name": "Lead",
            "timezone": "Europe/Paris",
            "role": Role.ADMIN,
            "away_until": None,
        }
        for k in range(self.owners):
            person = k + 2
            yield {
                **base,
                "id": person,
                "platform_id": f"U{k:07d}",
                "display_name": f"Owner {k}",
                "timezone": self.zone_of_owner(person),
                "role": Role.MEMBER,
                "away_until": (NOW + _days(10)).date() if k % 50 == 7 else None,
            }

    def pocs(self) -> Iterator[dict[str, Any]]:
        for i in range(self.shape.pocs):
            stage = self.stage_of(i)
            yield {
                "id": i + 1,
                "workspace_id": 1,
                "handle": f"agent-{i:05d}",
                "title": f"Agent {i}",
                "owner_id": None if i % 97 == 5 else self.owner_of(i),
                "home_channel": self.channel_of(i),
                "stage": stage,
                "review_date": (NOW + _days(90 - i % 120)).date(),
                "created_by_id": 1,
                "created_at": self.created,
                "stage_changed_at": NOW - _days(20 + i % 60),
            }

    def channel_of(self, poc: int) -> str:
        return f"C{poc % self.shape.channels:05d}"

    def interviews(self) -> Iterator[dict[str, Any]]:
        for i in range(self.shape.pocs):
            done = self.stage_of(i) != Stage.POC
            yield {
                "id": i + 1,
                "poc_id": i + 1,
                "flow": "post-poc",
                "flow_version": self.bank_version,
                "status": InterviewStatus.COMPLETE if done else InterviewStatus.ACTIVE,
                "current_key": None,
                "editing_key": None,
                "revision": len(self.answers),
                "held_by_id": self.owner_of(i),
                "channel_id": None,
                "context": {},
                "started_at": self.created,
                "updated_at": self.created,
                "completed_at": self.created if done else None,
            }

    def _values(self, i: int) -> dict[str, Any]:
        values = dict(self.answers)
        stage = self.stage_of(i)
        if stage == Stage.POC:  # an interview half-way through
            keep = 10 + i % 40
            values = dict(islice(values.items(), keep))
        if stage == Stage.FRAMED:  # frame conditions left open
            values["kill_rehearsed"] = False
            values.pop("kill_rehearsed_on", None)
            if i % 3 == 0:
                values["sup_monitoring"] = False
        if i % 11 == 0:
            values.pop("owner_business_manager", None)
        values["value_poc_result"] = 4.0 + (i % 5)
        values["use_weekly_volume"] = float(100 + i % 900)
        return values

    def answer_rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self.shape.pocs):
            answered = NOW - _days(5 + i % 90)  # stale (over 60 days) for some
            for key, value in self._values(i).items():
                row = {
                    "poc_id": i + 1,
                    "interview_id": i + 1,
                    "question_key": key,
                    "value": value,
                    "skipped": False,
                    "person_id": self.owner_of(i),
                    "created_at": answered,
                    "superseded_at": None,
                }
                if key == "use_users" and i % 20 == 0:  # an edit: history kept
                    yield {**row, "value": "Clerks", "superseded_at": answered}
                    row["created_at"] = answered + _days(1)
                yield row

    def indicators(self) -> Iterator[dict[str, Any]]:
        for i in range(self.shape.pocs):
            if self.stage_of(i) in CHECKED:
                yield {
                    "id": i + 1,
                    "poc_id": i + 1,
                    "name": "handling time per invoice",
                    "unit": "minutes",
                    "baseline": 12.0,
                    "target": 6.0,
                    "direction": "lower",
                    "threshold": 8.0,
                    "created_at": self.created,
                }

    def readings(self) -> Iterator[dict[str, Any]]:
        for i in range(self.shape.pocs):
            if self.stage_of(i) not in (Stage.FRAMED, Stage.INDUSTRIALISED):
                continue
            weeks = i % 7  # 0: never read
            gap = 0 if i % 5 else 4  # no reading for a month
            for w in range(weeks):
                value = 5.5 + (0.9 * w if i % 4 == 0 else (w % 2) * 0.3)
                yield {
                    "indicator_id": i + 1,
                    "value": value,
                    "taken_on": (NOW - _days(7 * (weeks - w + gap))).date(),
                    "person_id": self.owner_of(i),
                    "source": "checkin",
                    "created_at": NOW - _days(7 * (weeks - w + gap)),
                }

    def checkins(self) -> Iterator[dict[str, Any]]:
        for i in range(self.shape.pocs):
            if self.stage_of(i) not in CHECKED or i % 97 == 5:
                continue
            owner = self.owner_of(i)
            place = ZoneInfo(self.zone_of_owner(owner))
            latest = Weekly(0, time(10, 0), place).latest(NOW)
            for back in range(CHECKIN_WEEKS - 1, -1, -1):
                sent = latest - _days(7 * back)
                silent = i % 13 == 0 and back > 0
                this_week = back == 0
                answered = not (silent or this_week)
                yield {
                    "poc_id": i + 1,
                    "person_id": owner,
                    "week": week_key(sent, place),
                    "interview_id": None,
                    "status": CheckInStatus.ANSWERED if answered else CheckInStatus.SENT,
                    "sent_at": sent,
                    "reminded_at": sent + _days(2) if silent else None,
                    "answered_at": sent + timedelta(hours=3) if answered else None,
                    "incidents": (1 if i % 31 == 0 and back == 1 else 0) if answered else None,
                    "incident_summary": None,
                    "changes": ["prompt"] if answered and i % 41 == 0 and back == 1 else [],
                    "retested": False if i % 41 == 0 else None,
                }

    def subscriptions(self) -> Iterator[dict[str, Any]]:
        for c in range(self.shape.channels):
            yield {
                "id": c + 1,
                "workspace_id": 1,
                "channel_id": f"C{c:05d}",
                "cadence": "weekly",
                "weekday": 0,
                "local_time": "09:00",
                "timezone": ZONES[c % len(ZONES)],
                "mention_owners": c % 2 == 0,
                "scope": "all" if c < self.shape.portfolio_channels else "here",
                "active": True,
                "created_by_id": 1,
                "created_at": NOW - _days(60),
            }

    def last_nudges(self) -> Iterator[dict[str, Any]]:
        """Last week's nudge of every channel, sent: what this week's is compared with."""
        for c in range(self.shape.channels):
            place = ZoneInfo(ZONES[c % len(ZONES)])
            sent = Weekly(0, time(9, 0), place).latest(NOW) - _days(7)
            issues = [f"agent-{i:05d}:never_read" for i in range(c, self.shape.pocs, 7000)]
            yield {
                "workspace_id": 1,
                "idempotency_key": f"nudge:{c + 1}:{week_key(sent, place)}",
                "kind": "nudge",
                "target": f"channel:C{c:05d}",
                "payload": {
                    "destination": {"channel": f"C{c:05d}", "person": None, "thread": None},
                    "replies": [],
                    "issues": issues,
                },
                "status": DeliveryStatus.SENT,
                "attempts": 1,
                "last_error": None,
                "platform_ref": f"C{c:05d}:1700000000.{c:06d}",
                "parent_key": None,
                "due_at": sent,
                "lease_until": None,
                "created_at": sent,
                "sent_at": sent + timedelta(seconds=2),
            }


TABLES: tuple[tuple[str, Any], ...] = (
    ("workspace", Workspace),
    ("people", Person),
    ("pocs", Poc),
    ("interviews", Interview),
    ("answer_rows", Answer),
    ("indicators", Indicator),
    ("readings", Reading),
    ("checkins", CheckIn),
    ("subscriptions", Subscription),
    ("last_nudges", Delivery),
)


def seed(database_url: str, shape: Shape) -> Seeded:
    """Migrate the (empty) database at ``database_url`` and fill it."""
    url = resolve_url(database_url)
    upgrade(url)
    engine = sa.create_engine(sync_url(url))
    portfolio = Portfolio(shape)
    rows: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            for method, model in TABLES:
                table = _table(model)
                rows[table.name] = _insert(conn, table, getattr(portfolio, method)())
            if engine.dialect.name == "postgresql":
                _advance_sequences(conn, [_table(model) for _, model in TABLES])
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    finally:
        engine.dispose()
    return Seeded(database_url, rows)


def _advance_sequences(conn: Connection, tables: Iterable[sa.Table]) -> None:
    """Ids were given explicitly: move each id sequence past them, so the
    rows the pass inserts get fresh ids."""
    for table in tables:
        following = sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0) + 1)
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        conn.execute(sa.select(sa.func.setval(sequence, following.scalar_subquery(), False)))


def describe(rows: Mapping[str, int]) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in rows.items())
