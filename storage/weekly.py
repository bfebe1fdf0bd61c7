"""The weekly pass's own queries: a workspace read in a few statements, and
the decisions it reopens written in a few, however many POCs there are.

Set-based on purpose: the statements a pass sends must not grow with the
portfolio. A list of ids goes to the database as one parameter (a JSON array
on SQLite, an array on PostgreSQL), and many rows go in as one executemany.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa

from storage.models import (
    Answer,
    AuditEvent,
    Decision,
    Indicator,
    Interview,
    Person,
    Poc,
    Reopening,
    Stage,
)
from storage.repository import AnswerRow, Repo


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


POC, DECISION, REOPENING = _table(Poc), _table(Decision), _table(Reopening)
AUDIT = _table(AuditEvent)


PERSON, INDICATOR = _table(Person), _table(Indicator)


class PocView(Protocol):
    """What the weekly pass reads of a POC: a :class:`PocRow`, or the ORM row
    (the home card and the nudge preview pass those)."""

    @property
    def id(self) -> int | None: ...
    @property
    def handle(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def owner_id(self) -> int | None: ...
    @property
    def home_channel(self) -> str | None: ...
    @property
    def stage(self) -> str: ...
    @property
    def review_date(self) -> date | None: ...
    @property
    def stage_changed_at(self) -> datetime: ...


class PersonView(Protocol):
    """What the weekly pass reads of a person: a :class:`PersonRow` or the ORM row."""

    @property
    def id(self) -> int | None: ...
    @property
    def platform_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def away_until(self) -> date | None: ...


class PocRow(NamedTuple):
    id: int
    handle: str
    title: str
    owner_id: int | None
    home_channel: str | None
    stage: str
    review_date: date | None
    stage_changed_at: datetime


class PersonRow(NamedTuple):
    id: int
    platform_id: str
    display_name: str
    locale: str
    timezone: str
    away_until: date | None


class IndicatorRow(NamedTuple):
    id: int
    poc_id: int
    name: str
    unit: str
    baseline: float | None
    target: float | None
    threshold: float | None
    direction: str


# Plain rows, not ORM objects: a portfolio is tens of thousands of them, and
# building ORM instances was much of a pass's time.


async def pocs(repo: Repo, workspace_id: int) -> list[PocRow]:
    """The workspace's POCs in handle order (:meth:`Repo.pocs`'s)."""
    result = await repo.session.execute(
        sa.select(*(POC.c[name] for name in PocRow._fields))
        .where(POC.c.workspace_id == workspace_id)
        .order_by(POC.c.handle)
    )
    return [PocRow(*row) for row in result.all()]


async def people(repo: Repo, workspace_id: int) -> dict[int, PersonRow]:
    result = await repo.session.execute(
        sa.select(*(PERSON.c[name] for name in PersonRow._fields)).where(
            PERSON.c.workspace_id == workspace_id
        )
    )
    return {row[0]: PersonRow(*row) for row in result.all()}


async def indicators(repo: Repo, workspace_id: int) -> list[IndicatorRow]:
    """The workspace's indicators in id order (:meth:`Repo.workspace_indicators`'s)."""
    result = await repo.session.execute(
        sa.select(*(INDICATOR.c[name] for name in IndicatorRow._fields))
        .join(POC, POC.c.id == INDICATOR.c.poc_id)
        .where(POC.c.workspace_id == workspace_id)
        .order_by(INDICATOR.c.id)
    )
    return [IndicatorRow(*row) for row in result.all()]


async def orm_pocs(repo: Repo, ids: Iterable[int]) -> dict[int, Poc]:
    """The ORM rows of a few POCs (those a check-in is opened for), in one query."""
    result = await repo.session.execute(sa.select(Poc).where(among(repo, POC.c.id, ids)))
    return {poc.id: poc for poc in result.scalars().all() if poc.id is not None}


async def orm_people(repo: Repo, ids: Iterable[int]) -> dict[int, Person]:
    result = await repo.session.execute(sa.select(Person).where(among(repo, PERSON.c.id, ids)))
    return {p.id: p for p in result.scalars().all() if p.id is not None}


class DecisionRef(NamedTuple):
    """A POC's latest decision: what a reopening refers to, and who took it."""

    poc_id: int
    id: int
    decided_by_id: int
    created_at: datetime


class Reopen(NamedTuple):
    """A reopening the scan found due, with the decision its facts were read against."""

    poc_id: int
    previous_stage: Stage
    reason: str
    detail: Mapping[str, Any]
    decision_id: int | None


class Reopened(NamedTuple):
    reopen: Reopen
    reopening_id: int


def _dialect(repo: Repo) -> str:
    return repo.session.get_bind().dialect.name


def among(repo: Repo, column: Any, ids: Iterable[int]) -> Any:
    """``column IN ids`` with the ids as one parameter, whatever their number."""
    values = sorted(set(ids))
    if _dialect(repo) == "postgresql":
        from sqlalchemy.dialects import postgresql  # on PostgreSQL only: see upsert

        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(sa.Integer())))
    listed = sa.func.json_each(sa.bindparam(None, json.dumps(values), type_=sa.String()))
    return column.in_(sa.select(sa.literal_column("value")).select_from(listed))


async def latest_decisions(repo: Repo, workspace_id: int) -> dict[int, DecisionRef]:
    """Each decided POC's latest decision (the highest id), in one query."""
    latest = (
        sa.select(sa.func.max(DECISION.c.id))
        .join(POC, POC.c.id == DECISION.c.poc_id)
        .where(POC.c.workspace_id == workspace_id)
        .group_by(DECISION.c.poc_id)
    )
    result = await repo.session.execute(
        sa.select(
            DECISION.c.poc_id, DECISION.c.id, DECISION.c.decided_by_id, DECISION.c.created_at
        ).where(DECISION.c.id.in_(latest.scalar_subquery()))
    )
    return {row[0]: DecisionRef(*row) for row in result.all()}


async def reopen(
    repo: Repo, workspace_id: int, due: Sequence[Reopen], now: datetime
) -> list[Reopened]:
    """Reopen the POCs of ``due`` that are still as the scan read them: at the
    same stage, with no decision taken since. Each is moved to ``review_due``
    by an UPDATE that matches only while it is still running, so of two
    replicas reopening at once one moves it and the other finds nothing to
    do (PostgreSQL re-checks the row after the first commits; SQLite has one
    writer). Then the reopenings and their audit events, in ``due``'s order.
    A constant number of statements, whatever ``len(due)``."""
    if not due:
        return []
    decided = await latest_decisions(repo, workspace_id)
    still = [r for r in due if (d.id if (d := decided.get(r.poc_id)) else None) == r.decision_id]
    moved: set[int] = set()
    for stage in sorted({r.previous_stage for r in still}):
        result = await repo.session.execute(
            sa.update(POC)
            .where(
                POC.c.workspace_id == workspace_id,
                POC.c.stage == stage,
                among(repo, POC.c.id, (r.poc_id for r in still if r.previous_stage == stage)),
            )
            .values(stage=Stage.REVIEW_DUE, stage_changed_at=now)
            .returning(POC.c.id)
        )
        moved.update(result.scalars().all())
    done = [r for r in still if r.poc_id in moved]
    if not done:
        return []
    await repo.session.execute(
        sa.insert(REOPENING),
        [
            {
                "poc_id": r.poc_id,
                "reason": r.reason,
                "detail": dict(r.detail),
                "previous_stage": str(r.previous_stage),
                "decision_id": r.decision_id,
                "opened_at": now,
                "closed_by_id": None,
                "closed_at": None,
            }
            for r in done
        ],
    )
    # The rows just written: the POCs moved above have no other open reopening.
    result = await repo.session.execute(
        sa.select(REOPENING.c.poc_id, REOPENING.c.id).where(
            among(repo, REOPENING.c.poc_id, moved),
            REOPENING.c.closed_at.is_(None),
            REOPENING.c.opened_at == now,
        )
    )
    ids: dict[int, int] = {poc_id: ident for poc_id, ident in result.all()}
    await repo.session.execute(
        sa.insert(AUDIT),
        [
            {
                "workspace_id": workspace_id,
                "person_id": None,
                "poc_id": r.poc_id,
                "action": "reopened",
                "detail": {"reason": r.reason, **r.detail},
                "created_at": now,
            }
            for r in done
        ],
    )
    return [Reopened(r, ids[r.poc_id]) for r in done]


async def stream_answers(
    repo: Repo,
    workspace_id: int,
    keys: Collection[str],
    *,
    every_key_at: Stage,
    pocs: Iterable[int],
    flow: str = "post-poc",
    chunk: int = 2_000,
) -> AsyncIterator[list[AnswerRow]]:
    """The current answers to ``keys`` of ``pocs`` (every answer, for a POC at
    stage ``every_key_at``), one POC's rows after the other in ``poc_id``
    order, fetched ``chunk`` rows at a time (a server-side cursor on
    PostgreSQL). The POCs go as one parameter, so that only their rows are
    read and decoded, however many they are."""
    answer, interview = _table(Answer), _table(Interview)
    query = (
        sa.select(
            answer.c.poc_id,
            answer.c.question_key,
            answer.c.value,
            answer.c.skipped,
            answer.c.created_at,
        )
        .join(POC, POC.c.id == answer.c.poc_id)
        .join(interview, interview.c.id == answer.c.interview_id)
        .where(
            POC.c.workspace_id == workspace_id,
            interview.c.flow == flow,
            answer.c.superseded_at.is_(None),
            among(repo, answer.c.poc_id, pocs),
            sa.or_(answer.c.question_key.in_(sorted(keys)), POC.c.stage == every_key_at),
        )
        .order_by(answer.c.poc_id)
        .execution_options(yield_per=chunk)
    )
    result = await repo.session.stream(query)
    rows: list[AnswerRow] = []
    async for partition in result.partitions():
        for row in partition:
            if rows and rows[-1].poc_id != row[0]:
                yield rows
                rows = []
            rows.append(AnswerRow(*row))
    if rows:
        yield rows
