"""The storage interface the core talks to.

``Store.unit()`` opens one transaction and yields a :class:`Repo`; everything a
single inbound event changes is written through that one ``Repo`` and
committed together, or not at all. ``conversations.service`` is the only
caller in the product; the CLI and tests use it too.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select

from conversations.ports.audit import AuditLog
from conversations.ports.installs import Installs
from conversations.ports.outbox import Outbox
from storage.audit import SqlAuditLog
from storage.behind import WriteBehind
from storage.database import READ_ONLY, upsert, writer_wait
from storage.installs import SqlInstalls
from storage.models import (
    Address,
    Answer,
    Assessment,
    CheckIn,
    CheckInStatus,
    CommandUse,
    Decision,
    InboundDelivery,
    Indicator,
    Interview,
    InterviewStatus,
    Person,
    Poc,
    PostedMessage,
    Reading,
    Reopening,
    Role,
    SectionAssignment,
    Stage,
    Subscription,
    TelemetrySecret,
    TelemetrySource,
    Workspace,
)
from storage.outbox import SqlOutbox
from storage.writers import WriterTurns

Row = TypeVar("Row")


class AnswerRow(NamedTuple):
    poc_id: int
    question_key: str
    value: Any
    skipped: bool
    created_at: datetime


class AnswerDigest(NamedTuple):
    """One POC's current answers in a few numbers (the weekly pass): when the
    latest answer to a question of the bank came, and a fingerprint of which
    rows are current. Answer rows are never changed in place nor deleted (an
    edit adds a row and supersedes the old one), so the same fingerprint
    means the same answers."""

    poc_id: int
    last_answer_at: datetime | None
    fingerprint: tuple[int, int, int]


class InterviewDepth(NamedTuple):
    poc_id: int
    flow_version: int
    depth_floor: str | None


class ReadingRow(NamedTuple):
    indicator_id: int
    taken_on: date
    value: float
    created_at: datetime


class CheckInRow(NamedTuple):
    poc_id: int
    status: str
    sent_at: datetime
    reminded_at: datetime | None
    answered_at: datetime | None
    incidents: int | None
    changes: list[str]
    retested: bool | None


class StaleRevision(Exception):
    """Someone else moved the interview on since it was read."""


class Conflict(Exception):
    """Two writers created the same thing at once; the loser's transaction was
    rolled back and may simply be run again (it will find the winner's row)."""


class Unavailable(Exception):
    """The database could not be reached or dropped the connection; nothing was
    written, unless ``unsure``: the connection was lost while committing, after
    the server was asked to commit, so it may have done so (the data is whole
    either way: all of the transaction or none of it)."""

    def __init__(self, reason: str = "", *, unsure: bool = False) -> None:
        super().__init__(reason)
        self.unsure = unsure


class Store:
    """Holds the engine; hands out units of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._readers = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self._writer_wait = writer_wait(engine)
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, WriterTurns] = (
            weakref.WeakKeyDictionary()
        )
        # Small writes that wait for the next unit of work (storage.behind).
        self.behind = WriteBehind(self)

    @asynccontextmanager
    async def _one_writer(self, urgent: bool = False) -> AsyncIterator[None]:
        """On SQLite, this process's writers take turns here, first come first
        served (but ``urgent`` ones: storage.writers), rather than in SQLite's
        busy handler, which sleeps and polls: under load most of the time went
        to sleeping while the lock was free. Other processes still queue in
        the busy handler."""
        if self._writer_wait is None:
            yield
            return
        lock = self._writers.setdefault(asyncio.get_running_loop(), WriterTurns())
        try:
            async with asyncio.timeout(self._writer_wait):
                await lock.acquire(urgent)
        except TimeoutError:
            raise Unavailable("database is locked") from None
        try:
            yield
        finally:
            lock.release()

    @asynccontextmanager
    async def unit(self, *, all_waiting: bool = False) -> AsyncIterator[Repo]:
        """One transaction: committed when the block ends, rolled back if it raises.

        A lost connection, an unreachable server or an exhausted pool comes out
        as :class:`Unavailable`, so callers need not know SQLAlchemy's errors.
        Small writes waiting in :attr:`behind` ride along once they have waited
        a moment (``all_waiting``: whatever waits, however recent).
        """
        committing = False
        riding = None
        try:
            try:
                async with self._one_writer(), self._sessions() as session, session.begin():
                    yield Repo(session)
                    await session.flush()
                    # What waits to be written rides along (storage.behind).
                    riding = await self.behind.ride(session, now=all_waiting)
                    # Only COMMIT is left. SQLite is in this process: a failed
                    # commit is not committed. A server may have committed
                    # before the connection dropped.
                    committing = self.engine.dialect.name != "sqlite"
            except IntegrityError as error:
                raise Conflict(type(error).__name__) from error
            except (OperationalError, PoolTimeout, InterfaceError) as error:
                raise Unavailable(type(error).__name__, unsure=committing) from error
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise Unavailable(type(error).__name__, unsure=committing) from error
                raise
        except BaseException:
            self.behind.missed(riding)
            raise

    @asynccontextmanager
    async def connection(self, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """One transaction on a bare connection: SQLAlchemy Core, no ORM
        session (a third of the instructions for a statement or two, which is
        what an acknowledgement's one INSERT needs). ``urgent``: before the
        writers still waiting (a platform waits on it). Errors come out as
        :meth:`unit`'s do; nothing rides along."""
        committing = False
        try:
            async with self._one_writer(urgent), self.engine.begin() as connection:
                yield connection
                committing = self.engine.dialect.name != "sqlite"
        except IntegrityError as error:
            raise Conflict(type(error).__name__) from error
        except (OperationalError, PoolTimeout, InterfaceError) as error:
            raise Unavailable(type(error).__name__, unsure=committing) from error
        except DBAPIError as error:
            if error.connection_invalidated:
                raise Unavailable(type(error).__name__, unsure=committing) from error
            raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Repo]:
        """A transaction for reading only. On SQLite it does not take the write
        lock (readers and the one writer run side by side), so a long read, such
        as the weekly pass loading a whole portfolio, never holds up answers.
        Errors come out as :meth:`unit`'s do."""
        try:
            async with self._readers() as session, session.begin():
                yield Repo(session)
        except (OperationalError, PoolTimeout, InterfaceError) as error:
            raise Unavailable(type(error).__name__) from error
        except DBAPIError as error:
            if error.connection_invalidated:
                raise Unavailable(type(error).__name__) from error
            raise

    @asynccontextmanager
    async def rehearsal(self) -> AsyncIterator[Repo]:
        """A transaction that is always rolled back: a dry run that writes nothing."""
        async with self._one_writer(), self._sessions() as session:
            transaction = await session.begin()
            try:
                yield Repo(session)
            finally:
                await transaction.rollback()

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def schema_revision(self) -> str | None:
        """The migration the database is at (readiness compares it with the code's)."""
        try:
            async with self.engine.connect() as connection:
                migrated = await connection.run_sync(
                    lambda sync: sa.inspect(sync).has_table("alembic_version")
                )
                if not migrated:
                    return None
                result = await connection.execute(
                    sa.text("SELECT version_num FROM alembic_version")
                )
                return result.scalar_one_or_none()
        except (OperationalError, PoolTimeout, InterfaceError, DBAPIError) as error:
            raise Unavailable(type(error).__name__) from error


class Repo:
    """Reads and writes inside one transaction.

    The concerns that have a port of their own (``conversations.ports``) are
    reached through it, in the same transaction: ``audits`` (the audit trail),
    ``outbox`` (queued posts) and ``installs`` (where the bot is installed).
    They take and return the core's dataclasses, never rows of this session.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # The interview each person holds, as :meth:`arrival` read it with the
        # person (None: holds none). Taken once by :meth:`interview_held_by`;
        # forgotten at any interview write, so it is never older than the row.
        self._held: dict[int, Interview | None] = {}
        self._kept: Poc | None = None
        # The interview :meth:`arrival` read, if no section of it was ever
        # handed over (storage.assignments then needs no query for it).
        self._unhanded: int | None = None

    async def _add(self, row: Row) -> Row:
        self.session.add(row)
        await self.session.flush()
        return row

    # -- workspaces and people ------------------------------------------------

    async def workspace(self, key: str) -> Workspace | None:
        result = await self.session.execute(select(Workspace).where(Workspace.key == key))
        return result.scalar_one_or_none()

    async def arrival(
        self, workspace_key: str, platform_id: str
    ) -> tuple[Workspace | None, Person | None]:
        """The workspace and the person an inbound event comes from, and the
        interview that person holds with its POC, in one query: the interview
        step then reads nothing more than its answers. The interview and POC
        are kept for :meth:`interview_held_by` and :meth:`poc_by_id`."""
        handed = (
            sa.select(col(SectionAssignment.id))
            .where(col(SectionAssignment.interview_id) == col(Interview.id))
            .exists()
        )
        query = (
            sa.select(Workspace, Person, Interview, Poc, handed.label("handed"))
            .outerjoin(
                Person,
                sa.and_(
                    col(Person.workspace_id) == col(Workspace.id),
                    col(Person.platform_id) == platform_id,
                ),
            )
            .outerjoin(
                Interview,
                sa.and_(
                    col(Interview.held_by_id) == col(Person.id),
                    col(Interview.status) == InterviewStatus.ACTIVE,
                ),
            )
            .outerjoin(Poc, col(Poc.id) == col(Interview.poc_id))
            .where(col(Workspace.key) == workspace_key)
            # As interview_held_by: the most recently moved if several.
            .order_by(col(Interview.updated_at).desc(), col(Interview.id).desc())
            .limit(1)
        )
        found = (await self.session.execute(query)).first()
        if found is None:
            return None, None
        workspace, person, interview, poc, was_handed = found
        if person is not None and person.id is not None:
            self._held[person.id] = interview
        if interview is not None and not was_handed:
            self._unhanded = interview.id
        # The session's identity map holds rows weakly: keep the POC alive so
        # that poc_by_id finds it there.
        self._kept = poc
        return workspace, person

    def never_handed(self, interview_id: int) -> bool:
        """Whether :meth:`arrival` found that no section of ``interview_id``
        was ever handed over (and none was since, in this transaction)."""
        return self._unhanded is not None and self._unhanded == interview_id

    def handed_over(self) -> None:
        """A section is being handed over: :meth:`never_handed` no longer holds."""
        self._unhanded = None

    async def add_workspace(self, key: str, name: str = "") -> Workspace:
        return await self._add(Workspace(key=key, name=name))

    async def person(self, workspace_id: int, platform_id: str) -> Person | None:
        result = await self.session.execute(
            select(Person).where(
                Person.workspace_id == workspace_id, Person.platform_id == platform_id
            )
        )
        return result.scalar_one_or_none()

    async def person_by_id(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def add_person(self, person: Person) -> Person:
        return await self._add(person)

    async def people(self, workspace_id: int) -> Sequence[Person]:
        result = await self.session.execute(
            select(Person).where(Person.workspace_id == workspace_id).order_by(col(Person.id))
        )
        return result.scalars().all()

    async def count_people(self, workspace_id: int) -> int:
        result = await self.session.execute(
            select(sa.func.count()).select_from(Person).where(Person.workspace_id == workspace_id)
        )
        return int(result.scalar_one())

    async def find_people(self, workspace_id: int, name: str) -> Sequence[Person]:
        """People whose display name or platform id is ``name``, ignoring case."""
        lowered = name.lower()
        result = await self.session.execute(
            select(Person).where(
                Person.workspace_id == workspace_id,
                sa.or_(
                    sa.func.lower(Person.display_name) == lowered,
                    sa.func.lower(Person.platform_id) == lowered,
                ),
            )
        )
        return result.scalars().all()

    async def set_role(self, person: Person, role: Role) -> None:
        person.role = role
        self.session.add(person)
        await self.session.flush()

    async def lock_workspace(self, workspace_id: int) -> None:
        """Hold the workspace's row until this transaction ends: decisions that
        depend on who else exists (the first admin) take turns. On SQLite a
        writing transaction already holds the database's one write lock."""
        await self.session.execute(
            select(Workspace.id).where(Workspace.id == workspace_id).with_for_update()
        )

    async def count_admins(self, workspace_id: int) -> int:
        result = await self.session.execute(
            select(sa.func.count())
            .select_from(Person)
            .where(Person.workspace_id == workspace_id, Person.role == Role.ADMIN)
        )
        return int(result.scalar_one())

    # -- deduplication of platform deliveries ---------------------------------

    async def claim_delivery(
        self, workspace_id: int, delivery_id: str, at: datetime | None = None
    ) -> bool:
        """Record that a platform delivery is being handled; False if it already was.

        One statement, ``INSERT ... ON CONFLICT DO NOTHING``: losing the race
        inserts nothing and leaves the transaction usable, with no savepoint.
        ``at`` (the core's clock) dates it for the purge after a week.
        """
        table: sa.Table = InboundDelivery.__table__  # type: ignore[attr-defined]
        result = await self.session.execute(
            upsert(table, self._dialect())
            .values(
                workspace_id=workspace_id,
                delivery_id=delivery_id,
                created_at=at if at is not None else datetime.now(UTC),
            )
            .on_conflict_do_nothing()
            .returning(table.c.id)
        )
        # A row comes back only when this transaction inserted it.
        return result.first() is not None

    def _dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else ""

    # -- POCs ----------------------------------------------------------------

    async def poc(self, workspace_id: int, handle: str) -> Poc | None:
        result = await self.session.execute(
            select(Poc).where(Poc.workspace_id == workspace_id, Poc.handle == handle.lower())
        )
        return result.scalar_one_or_none()

    async def poc_by_id(self, poc_id: int) -> Poc | None:
        return await self.session.get(Poc, poc_id)

    async def pocs(self, workspace_id: int) -> Sequence[Poc]:
        result = await self.session.execute(
            select(Poc).where(Poc.workspace_id == workspace_id).order_by(col(Poc.handle))
        )
        return result.scalars().all()

    async def handles(self, workspace_id: int) -> set[str]:
        result = await self.session.execute(
            select(Poc.handle).where(Poc.workspace_id == workspace_id)
        )
        return set(result.scalars().all())

    async def add_poc(self, poc: Poc) -> Poc:
        return await self._add(poc)

    async def save(self, row: Any) -> None:
        if isinstance(row, Interview):
            self._held.clear()
        self.session.add(row)
        await self.session.flush()

    async def set_stage(self, poc: Poc, stage: Stage, now: datetime) -> None:
        if poc.stage != stage:
            poc.stage = stage
            poc.stage_changed_at = now
            await self.save(poc)

    # -- interviews and answers ---------------------------------------------

    async def interview(self, interview_id: int) -> Interview | None:
        return await self.session.get(Interview, interview_id)

    async def latest_interview(self, poc_id: int, flow: str = "post-poc") -> Interview | None:
        result = await self.session.execute(
            select(Interview)
            .where(Interview.poc_id == poc_id, Interview.flow == flow)
            .order_by(col(Interview.id).desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def interview_held_by(self, person_id: int) -> Interview | None:
        """The active interview a person is taking, the most recently moved if several."""
        if person_id in self._held:
            return self._held.pop(person_id)
        result = await self.session.execute(
            select(Interview)
            .where(Interview.held_by_id == person_id, Interview.status == InterviewStatus.ACTIVE)
            .order_by(col(Interview.updated_at).desc(), col(Interview.id).desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def add_interview(self, interview: Interview) -> Interview:
        self._held.clear()
        return await self._add(interview)

    async def move_interview(
        self, interview: Interview, read_revision: int, **changes: Any
    ) -> None:
        """Apply ``changes`` and bump the revision, if nobody else did since ``read_revision``.

        Raises :class:`StaleRevision` when another writer got there first; the
        caller's transaction must then be rolled back.
        """
        assert interview.id is not None
        self._held.clear()
        result = await self.session.execute(
            sa.update(Interview)
            .where(col(Interview.id) == interview.id, col(Interview.revision) == read_revision)
            .values(revision=read_revision + 1, **changes)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise StaleRevision(interview.id)
        # The row now holds exactly what was written: set it on the object as
        # loaded (not as a change to flush) rather than reading it back.
        for name, value in {**changes, "revision": read_revision + 1}.items():
            set_committed_value(interview, name, value)

    async def current_answers(self, poc_id: int) -> dict[str, Answer]:
        result = await self.session.execute(
            select(Answer).where(Answer.poc_id == poc_id, col(Answer.superseded_at).is_(None))
        )
        return {a.question_key: a for a in result.scalars().all()}

    async def interview_answers(self, interview_id: int) -> dict[str, Answer]:
        """The last answer given to each question in one interview."""
        result = await self.session.execute(
            select(Answer).where(Answer.interview_id == interview_id).order_by(col(Answer.id))
        )
        return {a.question_key: a for a in result.scalars().all()}

    async def poc_answer_rows(self, poc_id: int) -> Sequence[Answer]:
        """Every answer a POC received, superseded ones included, oldest first."""
        result = await self.session.execute(
            select(Answer).where(Answer.poc_id == poc_id).order_by(col(Answer.id))
        )
        return result.scalars().all()

    async def workspace_answer_rows(self, workspace_id: int) -> Sequence[Answer]:
        """Every answer of every POC of a workspace, history included."""
        result = await self.session.execute(
            select(Answer)
            .join(Poc, col(Poc.id) == col(Answer.poc_id))
            .where(Poc.workspace_id == workspace_id)
            .order_by(col(Answer.id))
        )
        return result.scalars().all()

    async def answer_history(self, poc_id: int, question_key: str) -> Sequence[Answer]:
        result = await self.session.execute(
            select(Answer)
            .where(Answer.poc_id == poc_id, Answer.question_key == question_key)
            .order_by(col(Answer.id))
        )
        return result.scalars().all()

    async def record_answer(self, answer: Answer, *, first: bool = False) -> Answer | None:
        """Store ``answer`` as the current one; returns the one it superseded.

        Two statements: the current answer, if any, is marked superseded by an
        ``UPDATE ... RETURNING`` (no SELECT first), then the new one inserted.
        ``first``: the caller knows the question has no current answer (and
        holds the interview's revision guard): the INSERT alone."""
        if first:
            await self._add(answer)
            return None
        result = await self.session.execute(
            sa.update(Answer)
            .where(
                col(Answer.poc_id) == answer.poc_id,
                col(Answer.question_key) == answer.question_key,
                col(Answer.superseded_at).is_(None),
            )
            .values(superseded_at=answer.created_at)
            .returning(col(Answer.id))
        )
        superseded = result.scalars().all()
        await self._add(answer)
        if not superseded:
            return None
        # Usually loaded already with the interview's answers (and updated in
        # place by the UPDATE): no query then.
        return await self.session.get(Answer, superseded[0])

    # -- indicators and readings ---------------------------------------------

    async def indicators(self, poc_id: int) -> Sequence[Indicator]:
        result = await self.session.execute(
            select(Indicator).where(Indicator.poc_id == poc_id).order_by(col(Indicator.id))
        )
        return result.scalars().all()

    async def add_indicator(self, indicator: Indicator) -> Indicator:
        return await self._add(indicator)

    async def add_reading(self, reading: Reading) -> Reading:
        return await self._add(reading)

    async def readings(self, indicator_id: int) -> Sequence[Reading]:
        result = await self.session.execute(
            select(Reading)
            .where(Reading.indicator_id == indicator_id)
            .order_by(col(Reading.taken_on), col(Reading.id))
        )
        return result.scalars().all()

    # -- assessments and decisions -------------------------------------------

    async def add_assessment(self, assessment: Assessment) -> Assessment:
        return await self._add(assessment)

    async def latest_assessment(self, poc_id: int) -> Assessment | None:
        result = await self.session.execute(
            select(Assessment)
            .where(Assessment.poc_id == poc_id)
            .order_by(col(Assessment.id).desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def add_decision(self, decision: Decision) -> Decision:
        return await self._add(decision)

    async def poc_decisions(self, poc_id: int) -> Sequence[Decision]:
        result = await self.session.execute(
            select(Decision).where(Decision.poc_id == poc_id).order_by(col(Decision.id))
        )
        return result.scalars().all()

    async def latest_decision(self, poc_id: int) -> Decision | None:
        result = await self.session.execute(
            select(Decision)
            .where(Decision.poc_id == poc_id)
            .order_by(col(Decision.id).desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    # -- check-ins -----------------------------------------------------------

    async def add_checkin(self, checkin: CheckIn) -> bool:
        """Record this week's check-in; False when it already exists (another scheduler)."""
        try:
            async with self.session.begin_nested():
                self.session.add(checkin)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def checkin(self, poc_id: int, week: str) -> CheckIn | None:
        result = await self.session.execute(
            select(CheckIn).where(CheckIn.poc_id == poc_id, CheckIn.week == week)
        )
        return result.scalar_one_or_none()

    async def checkin_of_interview(self, interview_id: int) -> CheckIn | None:
        result = await self.session.execute(
            select(CheckIn).where(CheckIn.interview_id == interview_id)
        )
        return result.scalar_one_or_none()

    async def poc_checkins(self, poc_id: int) -> Sequence[CheckIn]:
        """Every check-in of a POC, oldest first (the decision record)."""
        result = await self.session.execute(
            select(CheckIn)
            .where(CheckIn.poc_id == poc_id)
            .order_by(col(CheckIn.sent_at), col(CheckIn.id))
        )
        return result.scalars().all()

    async def checkins_to_remind(self, sent_before: datetime) -> Sequence[CheckIn]:
        result = await self.session.execute(
            select(CheckIn).where(
                CheckIn.status == CheckInStatus.SENT,
                col(CheckIn.reminded_at).is_(None),
                col(CheckIn.sent_at) <= sent_before,
            )
        )
        return result.scalars().all()

    # -- the weekly watch, in bulk: a few queries per workspace, not per POC --

    async def active_workspaces(self) -> Sequence[Workspace]:
        result = await self.session.execute(
            select(Workspace).where(col(Workspace.active).is_(True)).order_by(col(Workspace.id))
        )
        return result.scalars().all()

    async def subscriptions(self, workspace_id: int | None = None) -> Sequence[Subscription]:
        query = select(Subscription).where(col(Subscription.active).is_(True))
        if workspace_id is not None:
            query = query.where(Subscription.workspace_id == workspace_id)
        result = await self.session.execute(query.order_by(col(Subscription.id)))
        return result.scalars().all()

    async def subscription(self, workspace_id: int, channel_id: str) -> Subscription | None:
        result = await self.session.execute(
            select(Subscription).where(
                Subscription.workspace_id == workspace_id, Subscription.channel_id == channel_id
            )
        )
        return result.scalar_one_or_none()

    async def workspace_answers(self, workspace_id: int, flow: str = "post-poc") -> list[AnswerRow]:
        """Current interview answers of every POC of a workspace, as plain rows
        (thousands of them: no ORM objects)."""
        result = await self.session.execute(
            sa.select(
                col(Answer.poc_id),
                col(Answer.question_key),
                col(Answer.value),
                col(Answer.skipped),
                col(Answer.created_at),
            )
            .join(Poc, col(Poc.id) == col(Answer.poc_id))
            .join(Interview, col(Interview.id) == col(Answer.interview_id))
            .where(
                col(Poc.workspace_id) == workspace_id,
                col(Interview.flow) == flow,
                col(Answer.superseded_at).is_(None),
            )
        )
        return [AnswerRow(*row) for row in result.all()]

    # -- the weekly pass: plain rows, aggregates, answers streamed by POC -----

    def _current_answers(self, workspace_id: int, flow: str, *columns: Any) -> Any:
        return (
            sa.select(*columns)
            .join(Poc, col(Poc.id) == col(Answer.poc_id))
            .join(Interview, col(Interview.id) == col(Answer.interview_id))
            .where(
                col(Poc.workspace_id) == workspace_id,
                col(Interview.flow) == flow,
                col(Answer.superseded_at).is_(None),
            )
        )

    async def answer_digests(
        self, workspace_id: int, bank_keys: Collection[str], flow: str = "post-poc"
    ) -> list[AnswerDigest]:
        """Per POC with current answers: the latest ``created_at`` among the
        answers to ``bank_keys``, and the fingerprint of its current rows, in
        one grouped query."""
        created = col(Answer.created_at)
        ident = col(Answer.id)
        query = self._current_answers(
            workspace_id,
            flow,
            col(Answer.poc_id),
            sa.func.max(sa.case((col(Answer.question_key).in_(list(bank_keys)), created))),
            sa.func.count(),
            sa.func.sum(ident),
            sa.func.max(ident),
        ).group_by(col(Answer.poc_id))
        result = await self.session.execute(query)
        return [
            AnswerDigest(poc_id, last, (int(count), int(total), int(top)))
            for poc_id, last, count, total, top in result.all()
        ]

    async def stream_answers(
        self,
        workspace_id: int,
        keys: Collection[str],
        *,
        every_key_at: Stage,
        pocs: Collection[int] | None = None,
        flow: str = "post-poc",
        chunk: int = 2_000,
    ) -> AsyncIterator[list[AnswerRow]]:
        """The current answers to ``keys`` (every answer, for a POC at stage
        ``every_key_at``), one POC's rows after the other in ``poc_id`` order,
        fetched ``chunk`` rows at a time (a server-side cursor on PostgreSQL):
        yields each POC's rows together, never the whole workspace at once.
        ``pocs``: only these POCs (a short list)."""
        query = self._current_answers(
            workspace_id,
            flow,
            col(Answer.poc_id),
            col(Answer.question_key),
            col(Answer.value),
            col(Answer.skipped),
            col(Answer.created_at),
        ).where(sa.or_(col(Answer.question_key).in_(list(keys)), col(Poc.stage) == every_key_at))
        if pocs is not None:
            query = query.where(col(Answer.poc_id).in_(list(pocs)))
        query = query.order_by(col(Answer.poc_id)).execution_options(yield_per=chunk)
        result = await self.session.stream(query)
        rows: list[AnswerRow] = []
        async for partition in result.partitions():
            for row in partition:
                if rows and rows[-1].poc_id != row[0]:
                    yield rows
                    rows = []
                rows.append(AnswerRow(*row))
        if rows:
            yield rows

    async def interview_depths(
        self, workspace_id: int, flow: str = "post-poc"
    ) -> dict[int, InterviewDepth]:
        """Each POC's latest interview of ``flow``: its bank version and the
        depth a lead raised it to."""
        result = await self.session.execute(
            sa.select(
                col(Interview.poc_id), col(Interview.flow_version), col(Interview.depth_floor)
            )
            .join(Poc, col(Poc.id) == col(Interview.poc_id))
            .where(col(Poc.workspace_id) == workspace_id, col(Interview.flow) == flow)
            .order_by(col(Interview.id))
        )
        return {row[0]: InterviewDepth(*row) for row in result.all()}

    async def workspace_reading_rows(self, workspace_id: int) -> list[ReadingRow]:
        """:meth:`workspace_readings` as plain rows, in the same order."""
        result = await self.session.execute(
            sa.select(
                col(Reading.indicator_id),
                col(Reading.taken_on),
                col(Reading.value),
                col(Reading.created_at),
            )
            .join(Indicator, col(Indicator.id) == col(Reading.indicator_id))
            .join(Poc, col(Poc.id) == col(Indicator.poc_id))
            .where(col(Poc.workspace_id) == workspace_id)
            .order_by(col(Reading.taken_on), col(Reading.id))
        )
        return [ReadingRow(*row) for row in result.all()]

    async def workspace_checkin_rows(self, workspace_id: int, since: datetime) -> list[CheckInRow]:
        """:meth:`workspace_checkins` as plain rows, in the same order."""
        result = await self.session.execute(
            sa.select(
                col(CheckIn.poc_id),
                col(CheckIn.status),
                col(CheckIn.sent_at),
                col(CheckIn.reminded_at),
                col(CheckIn.answered_at),
                col(CheckIn.incidents),
                col(CheckIn.changes),
                col(CheckIn.retested),
            )
            .join(Poc, col(Poc.id) == col(CheckIn.poc_id))
            .where(col(Poc.workspace_id) == workspace_id, col(CheckIn.sent_at) >= since)
            .order_by(col(CheckIn.sent_at), col(CheckIn.id))
        )
        return [CheckInRow(*row) for row in result.all()]

    async def workspace_indicators(self, workspace_id: int) -> Sequence[Indicator]:
        result = await self.session.execute(
            select(Indicator)
            .join(Poc, col(Poc.id) == col(Indicator.poc_id))
            .where(Poc.workspace_id == workspace_id)
            .order_by(col(Indicator.id))
        )
        return result.scalars().all()

    async def workspace_readings(self, workspace_id: int) -> Sequence[Reading]:
        result = await self.session.execute(
            select(Reading)
            .join(Indicator, col(Indicator.id) == col(Reading.indicator_id))
            .join(Poc, col(Poc.id) == col(Indicator.poc_id))
            .where(Poc.workspace_id == workspace_id)
            .order_by(col(Reading.taken_on), col(Reading.id))
        )
        return result.scalars().all()

    async def workspace_checkins(self, workspace_id: int, since: datetime) -> Sequence[CheckIn]:
        result = await self.session.execute(
            select(CheckIn)
            .join(Poc, col(Poc.id) == col(CheckIn.poc_id))
            .where(Poc.workspace_id == workspace_id, col(CheckIn.sent_at) >= since)
            .order_by(col(CheckIn.sent_at), col(CheckIn.id))
        )
        return result.scalars().all()

    async def checkin_weeks(self, workspace_id: int, since: datetime) -> set[tuple[int, str]]:
        """(POC, week) of the check-ins sent since ``since``: what is already done."""
        result = await self.session.execute(
            select(CheckIn.poc_id, CheckIn.week)
            .join(Poc, col(Poc.id) == col(CheckIn.poc_id))
            .where(Poc.workspace_id == workspace_id, col(CheckIn.sent_at) >= since)
        )
        return {(poc_id, week) for poc_id, week in result.all()}

    async def workspace_decisions(self, workspace_id: int) -> Sequence[Decision]:
        result = await self.session.execute(
            select(Decision)
            .join(Poc, col(Poc.id) == col(Decision.poc_id))
            .where(Poc.workspace_id == workspace_id)
            .order_by(col(Decision.id))
        )
        return result.scalars().all()

    # -- what adapters remember about platforms ------------------------------

    async def remember_posted(self, posted: PostedMessage) -> None:
        existing = await self.posted(posted.workspace_id, posted.token)
        if existing is None:
            await self._add(posted)

    async def repost(self, workspace_id: int, token: str, ref: str, now: datetime) -> None:
        existing = await self.posted(workspace_id, token)
        if existing is None:
            await self._add(
                PostedMessage(workspace_id=workspace_id, token=token, ref=ref, created_at=now)
            )
            return
        existing.ref = ref
        existing.created_at = now
        await self.save(existing)

    async def posted(self, workspace_id: int, token: str) -> PostedMessage | None:
        result = await self.session.execute(
            select(PostedMessage).where(
                PostedMessage.workspace_id == workspace_id, PostedMessage.token == token
            )
        )
        return result.scalar_one_or_none()

    async def delete_addresses(self, workspace_id: int, target: str) -> int:
        result = await self.session.execute(
            sa.delete(Address).where(
                col(Address.workspace_id) == workspace_id, col(Address.target) == target
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def address(self, workspace_id: int, target: str) -> Address | None:
        result = await self.session.execute(
            select(Address).where(Address.workspace_id == workspace_id, Address.target == target)
        )
        return result.scalar_one_or_none()

    async def remember_address(
        self, workspace_id: int, target: str, data: dict[str, Any], at: datetime
    ) -> None:
        address = await self.address(workspace_id, target)
        if address is None:
            await self._add(
                Address(workspace_id=workspace_id, target=target, data=data, updated_at=at)
            )
        elif address.data != data:
            address.data, address.updated_at = data, at
            await self.save(address)

    # -- the concerns with ports of their own (conversations.ports) ------------

    @cached_property
    def audits(self) -> AuditLog:
        return SqlAuditLog(self.session)

    @cached_property
    def outbox(self) -> Outbox:
        return SqlOutbox(self.session)

    @cached_property
    def installs(self) -> Installs:
        return SqlInstalls(self.session)

    # -- limits and retention (conversations.throttle, conversations.retention) ----

    async def count_command_uses(
        self, workspace_id: int, since: datetime, person_id: int | None = None
    ) -> int:
        """Commands that write, run in ``workspace_id`` since ``since`` (by one person)."""
        query = (
            select(sa.func.count())
            .select_from(CommandUse)
            .where(CommandUse.workspace_id == workspace_id, col(CommandUse.created_at) >= since)
        )
        if person_id is not None:
            query = query.where(CommandUse.person_id == person_id)
        return int((await self.session.execute(query)).scalar_one())

    async def add_command_use(self, use: CommandUse) -> None:
        await self._add(use)

    async def purge_command_uses(self, before: datetime) -> int:
        return await self._purge(CommandUse, col(CommandUse.created_at) < before)

    async def purge_inbound_deliveries(self, before: datetime) -> int:
        return await self._purge(InboundDelivery, col(InboundDelivery.created_at) < before)

    async def purge_oauth_states(self, now: datetime) -> int:
        """slack_sdk's OAuth states past their expiry (its table keeps naive UTC times,
        and deletes only the states that are used)."""
        states = sa.table("slack_oauth_states", sa.column("expire_at", sa.DateTime()))
        naive = now.astimezone(UTC).replace(tzinfo=None)
        result = await self.session.execute(sa.delete(states).where(states.c.expire_at < naive))
        return int(getattr(result, "rowcount", 0) or 0)

    async def _purge(self, model: Any, condition: Any) -> int:
        result = await self.session.execute(sa.delete(model).where(condition))
        return int(getattr(result, "rowcount", 0) or 0)

    # -- telemetry: webhook secrets, pulled sources, readings stored once ------

    async def telemetry_secret(self, poc_id: int) -> TelemetrySecret | None:
        result = await self.session.execute(
            select(TelemetrySecret).where(TelemetrySecret.poc_id == poc_id)
        )
        return result.scalar_one_or_none()

    async def telemetry_secrets_of_handle(
        self, handle: str
    ) -> Sequence[tuple[Poc, TelemetrySecret]]:
        """Every POC called ``handle``, in any workspace, that has a secret: the
        webhook tries each, and the one whose secret signed the request is meant."""
        result = await self.session.execute(
            select(Poc, TelemetrySecret)
            .join(TelemetrySecret, col(TelemetrySecret.poc_id) == col(Poc.id))
            .join(Workspace, col(Workspace.id) == col(Poc.workspace_id))
            .where(Poc.handle == handle.lower(), col(Workspace.active).is_(True))
            .order_by(col(Poc.id))
        )
        return [(poc, secret) for poc, secret in result.all()]

    async def add_telemetry_reading(self, reading: Reading) -> bool:
        """Store a reading sent by telemetry; False (nothing written) when the
        same indicator already has one at the same instant."""
        try:
            async with self.session.begin_nested():
                self.session.add(reading)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def telemetry_source(self, indicator_id: int) -> TelemetrySource | None:
        result = await self.session.execute(
            select(TelemetrySource).where(TelemetrySource.indicator_id == indicator_id)
        )
        return result.scalar_one_or_none()

    async def telemetry_source_by_id(self, source_id: int) -> TelemetrySource | None:
        return await self.session.get(TelemetrySource, source_id, populate_existing=True)

    async def delete_telemetry_source(self, indicator_id: int) -> bool:
        result = await self.session.execute(
            sa.delete(TelemetrySource).where(col(TelemetrySource.indicator_id) == indicator_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def telemetry_sources(
        self, workspace_id: int
    ) -> Sequence[tuple[Poc, Indicator, TelemetrySource]]:
        result = await self.session.execute(
            select(Poc, Indicator, TelemetrySource)
            .join(Indicator, col(Indicator.poc_id) == col(Poc.id))
            .join(TelemetrySource, col(TelemetrySource.indicator_id) == col(Indicator.id))
            .where(Poc.workspace_id == workspace_id)
            .order_by(col(TelemetrySource.id))
        )
        return [(poc, indicator, source) for poc, indicator, source in result.all()]

    # -- reopenings ----------------------------------------------------------

    async def add_reopening(self, reopening: Reopening) -> Reopening:
        return await self._add(reopening)

    async def open_reopening(self, poc_id: int) -> Reopening | None:
        result = await self.session.execute(
            select(Reopening)
            .where(Reopening.poc_id == poc_id, col(Reopening.closed_at).is_(None))
            .order_by(col(Reopening.id).desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def reopenings(self, poc_id: int) -> Sequence[Reopening]:
        result = await self.session.execute(
            select(Reopening).where(Reopening.poc_id == poc_id).order_by(col(Reopening.id))
        )
        return result.scalars().all()

    async def workspace_open_reopenings(self, workspace_id: int) -> Sequence[Reopening]:
        result = await self.session.execute(
            select(Reopening)
            .join(Poc, col(Poc.id) == col(Reopening.poc_id))
            .where(Poc.workspace_id == workspace_id, col(Reopening.closed_at).is_(None))
            .order_by(col(Reopening.id))
        )
        return result.scalars().all()
