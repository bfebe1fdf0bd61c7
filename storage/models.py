"""The tables. One class per domain object of DESIGN.md.

Every row belongs to one workspace, directly or through its POC, so that one
tenant's data can always be filtered out of another's. Time stamps are stored
in UTC and come back time-zone aware on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# The core's own status of a post: one enum, which the table stores as its value.
from conversations.ports.outbox import DeliveryStatus as DeliveryStatus


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the database keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


class JSONDocument(TypeDecorator[Any]):
    """JSON as JSONB on PostgreSQL and as TEXT on SQLite.

    SQLite gives a column declared ``JSON`` numeric affinity, which turns a
    stored ``3.0`` into the integer 3 and a long integer into a float; TEXT
    keeps the document exactly as written.
    """

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql  # on PostgreSQL only: see upsert

            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if dialect.name == "postgresql":
            return value
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if dialect.name == "postgresql" or value is None:
            return value
        return json.loads(value)


def _json() -> Any:
    return sa.Column(JSONDocument())


def _stamp(nullable: bool = False) -> Any:
    return sa.Column(UTCDateTime(), nullable=nullable)


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    MEMBER = "member"


class Stage(StrEnum):
    POC = "poc"
    ASSESSING = "assessing"
    FRAMED = "framed"
    INDUSTRIALISED = "industrialised"
    STOPPED = "stopped"
    REVIEW_DUE = "review_due"
    """A framed or industrialised POC the watch reopened; a new decision ends it."""


class InterviewStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETE = "complete"


class Outcome(StrEnum):
    STOP = "stop"
    FRAME = "frame"
    INDUSTRIALISE = "industrialise"
    NOT_ENOUGH_INFORMATION = "not_enough_information"


class Workspace(SQLModel, table=True):
    """A tenant: a Slack team or enterprise, a Teams tenant, the local console."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    active: bool = True
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    currency: str = Field(default="EUR", max_length=3, sa_column_kwargs={"server_default": "EUR"})
    """ISO 4217 code of the currency costs are asked and shown in (``currency``)."""


class Person(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("workspace_id", "platform_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    platform_id: str = Field(max_length=200)
    display_name: str = Field(default="", max_length=200)
    locale: str = Field(default="en", max_length=20)
    timezone: str = Field(default="UTC", max_length=64)
    role: Role = Field(default=Role.MEMBER, sa_type=sa.String(16))
    away_until: date | None = None
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class Poc(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("workspace_id", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    handle: str = Field(max_length=40)
    title: str = Field(max_length=200)
    owner_id: int | None = Field(default=None, foreign_key="person.id")
    home_channel: str | None = Field(default=None, max_length=200)
    stage: Stage = Field(default=Stage.POC, sa_type=sa.String(16))
    review_date: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    stage_changed_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class Interview(SQLModel, table=True):
    """A run of a flow for a POC. ``revision`` goes up by one at every step;
    a write names the revision it read, so two concurrent answers can't both win."""

    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", index=True)
    flow: str = Field(max_length=40)
    flow_version: int
    status: InterviewStatus = Field(default=InterviewStatus.ACTIVE, sa_type=sa.String(16))
    current_key: str | None = Field(default=None, max_length=80)
    editing_key: str | None = Field(default=None, max_length=80)
    revision: int = 0
    held_by_id: int | None = Field(default=None, foreign_key="person.id")
    channel_id: str | None = Field(default=None, max_length=200)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    started_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    updated_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    completed_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    depth_floor: str | None = Field(default=None, max_length=16)
    """The depth a lead raised the interview to; the triage answers give the rest."""
    early_stop: str | None = Field(default=None, max_length=16)
    """``held``: a stop rule held and the questions stopped; ``continued``: the
    owner went on for the record."""


class Answer(SQLModel, table=True):
    """One answer to one question. An edit adds a row and marks the old one
    superseded: the current answer is the row with no ``superseded_at``."""

    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", index=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    question_key: str = Field(max_length=80)
    value: Any = Field(default=None, sa_column=_json())
    skipped: bool = False
    person_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    superseded_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))


class Indicator(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("poc_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", index=True)
    name: str = Field(max_length=120)
    unit: str = Field(default="", max_length=40)
    baseline: float | None = None
    target: float | None = None
    direction: str = Field(default="higher", max_length=8)
    threshold: float | None = None
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class Reading(SQLModel, table=True):
    """``source`` says where a value came from: ``command``, ``checkin``, or the
    agent's own telemetry (``webhook``, ``prometheus``, which also set ``taken_at``:
    the same instant sent twice is stored once; typed readings leave it empty)."""

    __table_args__ = (
        sa.UniqueConstraint("indicator_id", "taken_at", name="uq_reading_indicator_taken_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    value: float
    taken_on: date
    person_id: int | None = Field(default=None, foreign_key="person.id")
    source: str = Field(default="command", max_length=16)
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    taken_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))


class Assessment(SQLModel, table=True):
    """A snapshot of the recommendation: what the rubric said, on which answers."""

    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", index=True)
    outcome: Outcome = Field(sa_type=sa.String(32))
    rubric_version: str = Field(max_length=20)
    gates: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    scores: dict[str, int] = Field(default_factory=dict, sa_column=_json())
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    missing: list[str] = Field(default_factory=list, sa_column=_json())
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class Decision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", index=True)
    outcome: Outcome = Field(sa_type=sa.String(32))
    rationale: str = Field(sa_type=sa.Text())
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    next_review: date | None = None
    decided_by_id: int = Field(foreign_key="person.id")
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id")
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class Subscription(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("workspace_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    channel_id: str = Field(max_length=200)
    cadence: str = Field(default="weekly", max_length=16)
    weekday: int = 0
    local_time: str = Field(default="09:00", max_length=5)
    timezone: str = Field(default="UTC", max_length=64)
    mention_owners: bool = False
    scope: str = Field(default="all", max_length=16)
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class Delivery(SQLModel, table=True):
    """The outbox: one row per message to send, keyed so it is sent once."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=32)
    target: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, sa_type=sa.String(16))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    platform_ref: str | None = Field(default=None, max_length=200)
    parent_key: str | None = Field(default=None, max_length=200)
    due_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    lease_until: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    sent_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    poc_id: int | None = Field(default=None, foreign_key="poc.id")
    action: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class InboundDelivery(SQLModel, table=True):
    """Platform deliveries already handled, so a retried one changes nothing."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "delivery_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    delivery_id: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class PostedMessage(SQLModel, table=True):
    """Where an adapter posted a question, so it can settle that message (remove
    its buttons) even when the answer is typed rather than pressed."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "token"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    token: str = Field(max_length=120)
    ref: str = Field(max_length=400)
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class Address(SQLModel, table=True):
    """How to reach a person or a channel later, unprompted: a Teams conversation
    reference, a Slack channel. ``target`` is ``person:<id>`` or ``channel:<id>``."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    target: str = Field(max_length=250)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    updated_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class CheckInStatus(StrEnum):
    SENT = "sent"
    ANSWERED = "answered"


class CheckIn(SQLModel, table=True):
    """One owner's weekly check-in on one POC: sent, reminded once, answered."""

    __table_args__ = (sa.UniqueConstraint("poc_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    week: str = Field(max_length=10)
    interview_id: int | None = Field(default=None, foreign_key="interview.id")
    status: CheckInStatus = Field(default=CheckInStatus.SENT, sa_type=sa.String(16))
    sent_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    reminded_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    incidents: int | None = None
    incident_summary: str | None = Field(default=None, sa_type=sa.Text())
    changes: list[str] = Field(default_factory=list, sa_column=_json())
    retested: bool | None = None


class CommandUse(SQLModel, table=True):
    """A command that writes, run by a person: what the limits per person and per
    workspace count (``conversations.throttle``). Kept a day, then purged."""

    __table_args__ = (sa.Index("ix_commanduse_workspace_created", "workspace_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    person_id: int = Field(foreign_key="person.id")
    command: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class TelemetrySecret(SQLModel, table=True):
    """The key a POC's telemetry signs its readings with (``POST /hooks/readings``).

    Kept as is, not hashed: checking an HMAC needs the key itself. It lets its
    holder post readings for one POC and nothing else; rotating replaces it."""

    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", unique=True)
    secret: str = Field(max_length=100)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())


class TelemetrySource(SQLModel, table=True):
    """Where the scheduler pulls an indicator's value from (a PromQL query on a
    Prometheus server), and how the last pulls went."""

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", unique=True)
    kind: str = Field(default="prometheus", max_length=16)
    url: str = Field(max_length=500)
    query: str = Field(sa_type=sa.Text())
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    last_period: str | None = Field(default=None, max_length=20)
    """The check-in period last read successfully: one reading per period."""
    last_attempt_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    failing_since: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    last_error: str | None = Field(default=None, max_length=200)


class Reopening(SQLModel, table=True):
    """A decision the watch reopened: why, when, and the decision that closed it."""

    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", index=True)
    reason: str = Field(max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    previous_stage: str = Field(max_length=16)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    """The decision that was reopened."""
    opened_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    closed_by_id: int | None = Field(default=None, foreign_key="decision.id")
    closed_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))


class AssignmentState(StrEnum):
    WAITING = "waiting"
    """Handed to ``holder``, who has not answered every question of it yet."""
    ANSWERED = "answered"
    RETURNED = "returned"
    """Handed back, or taken back: the owner answers it again."""


class SectionAssignment(SQLModel, table=True):
    """A section of an interview handed to the person who knows it.

    One row per interview and section, updated as it changes hands (the audit
    trail keeps each hand-over). ``run_id`` is the holder's own run of the
    section: an interview row whose cursor is theirs, so two people answering
    at once never move each other's question."""

    __table_args__ = (sa.UniqueConstraint("interview_id", "section_key"),)

    id: int | None = Field(default=None, primary_key=True)
    poc_id: int = Field(foreign_key="poc.id", index=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    section_key: str = Field(max_length=80)
    holder_id: int = Field(foreign_key="person.id", index=True)
    asked_by_id: int = Field(foreign_key="person.id")
    since: datetime = Field(default_factory=_now, sa_column=_stamp())
    state: AssignmentState = Field(default=AssignmentState.WAITING, sa_type=sa.String(16))
    run_id: int | None = Field(default=None, foreign_key="interview.id")
    answered_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    """When the weekly check-in last reminded the holder: once per hand-over."""


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class InboxEntry(SQLModel, table=True):
    """A platform request acknowledged but perhaps not yet handled (storage.inbox).

    Keyed by the platform's delivery id (Slack's ``event_id`` or ``trigger_id``,
    the Teams activity id), so that a redelivered request finds its row and is
    not taken twice. ``lane`` is whose request it is: one person's requests are
    handled one at a time, oldest (lowest id) first.
    """

    __table_args__ = (
        sa.UniqueConstraint("platform", "workspace", "delivery_id"),
        sa.Index("ix_inboxentry_lane_status_id", "lane", "status", "id"),
        sa.Index("ix_inboxentry_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace: str = Field(max_length=200)
    """The workspace key as the adapter names it (no row of ``workspace`` needed yet)."""
    delivery_id: str = Field(max_length=200)
    lane: str = Field(max_length=300)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    status: InboxStatus = Field(default=InboxStatus.PENDING, sa_type=sa.String(16))
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    created_at: datetime = Field(default_factory=_now, sa_column=_stamp())
    done_at: datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
