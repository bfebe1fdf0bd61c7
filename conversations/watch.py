"""Keeping watch: what is due each week, computed once and queued in the outbox.

One pass (:meth:`Watch.tick`) plans what is due now — the weekly health
nudge of each subscribed channel, each owner's check-in, one reminder per
unanswered check-in — and then drains the outbox. Planning is idempotent:
every post has a key per target and period, so two replicas, a CronJob and
the in-process scheduler can all run passes at once and each post is queued
once. Health is computed from a few bulk queries per workspace, not per POC.
"""

from __future__ import annotations

import logging
import string
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from conversations import (
    checkins,
    delegation,
    health,
    outbox,
    pull,
    reopenings,
    retention,
    rubric,
)
from conversations.bank import SKIPPED, Bank, BankError, load_bank
from conversations.context import zone
from conversations.delivery import Destination
from conversations.engine import effective_answers
from conversations.health import Level, Watched
from conversations.i18n import Translator, translator
from conversations.messages import Button, Card, PersonRef, Section
from conversations.ports.outbox import Post
from conversations.schedule import Weekly, next_working_day, week_key
from storage import assignments, weekly
from storage.models import (
    CheckInStatus,
    Person,
    Poc,
    Stage,
    Subscription,
    Workspace,
)
from storage.repository import (
    AnswerDigest,
    AnswerRow,
    CheckInRow,
    InterviewDepth,
    ReadingRow,
    Repo,
    Store,
)
from storage.weekly import PersonView, PocView

log = logging.getLogger("postpoc.watch")

CHECKED_STAGES = (Stage.ASSESSING, Stage.FRAMED, Stage.INDUSTRIALISED, Stage.REVIEW_DUE)
REOPEN_SCAN_EVERY = timedelta(minutes=15)
"""How often a pass looks for decisions to reopen: the rules are weekly facts,
and the look reads a workspace's whole portfolio, too much for every pass."""
ATTENTION_SHOWN = 10
BUTTONS_SHOWN = 5


@dataclass(frozen=True)
class CheckinSettings:
    weekday: int = 0
    at: time = time(10, 0)
    reminder_hours: int = 48


DEFAULT_WATCH = health.WatchSettings()
DEFAULT_CHECKINS = CheckinSettings()


@dataclass
class PlanReport:
    nudges: int = 0
    checkins: int = 0
    reminders: int = 0
    pulled: int = 0
    reopened: int = 0


@dataclass
class TickReport:
    plan: PlanReport
    drain: outbox.DrainReport
    purged: retention.Purged = field(default_factory=retention.Purged)


@dataclass
class Snapshot:
    """One workspace, loaded in bulk: every POC with what health needs."""

    pocs: Sequence[PocView]
    people: Mapping[int, PersonView]
    watched: dict[int, Watched]
    everything: list[Watched] = field(default_factory=list)
    """Every POC's, in handle order: what a channel of scope ``all`` sees."""
    homes: dict[str | None, list[Watched]] = field(default_factory=dict)
    """By home channel: what a channel of scope ``here`` sees."""
    assessed: dict[tuple[str, date], health.Health] = field(default_factory=dict)
    """Health by POC and day, computed once for every channel that shows it."""

    def __post_init__(self) -> None:
        for poc in self.pocs:
            if poc.id is not None:
                self.everything.append(self.watched[poc.id])
                self.homes.setdefault(poc.home_channel, []).append(self.watched[poc.id])

    def health(
        self, watched: Watched, today: date, settings: health.WatchSettings
    ) -> health.Health:
        key = (watched.handle, today)
        if key not in self.assessed:
            self.assessed[key] = health.assess(watched, today, settings)
        return self.assessed[key]


class Watch:
    def __init__(
        self,
        store: Store,
        sender: outbox.Outbox,
        *,
        clock: Callable[[], datetime],
        bank: Bank,
        settings: health.WatchSettings = DEFAULT_WATCH,
        checkin_settings: CheckinSettings = DEFAULT_CHECKINS,
        retention_settings: retention.RetentionSettings | None = None,
        metrics: pull.MetricsReader | None = None,
    ) -> None:
        self.store = store
        self.retention = retention_settings or retention.RetentionSettings()
        self.outbox = sender
        self.clock = clock
        self.bank = bank
        self.settings = settings
        self.checkin_settings = checkin_settings
        self.metrics = metrics
        """Where Prometheus sources are read (an adapter); None: none are pulled."""
        self._last_scan: datetime | None = None
        self._memo = AnswerMemo()

    async def tick(self) -> TickReport:
        plan = await self.plan()
        drained = await self.outbox.drain()
        return TickReport(
            plan, drained, await retention.purge(self.store, self.clock(), self.retention)
        )

    async def plan(self) -> PlanReport:
        report = PlanReport()
        now = self.clock()
        if self.metrics is not None:
            report.pulled = await pull.pull_due(
                self.store, self.metrics, now, lambda owner: self._period(owner, now)
            )
        if self._last_scan is None or now - self._last_scan >= REOPEN_SCAN_EVERY:
            # Before the nudges, so that a decision reopened now shows in them.
            self._last_scan = now
            report.reopened = await reopenings.scan(
                self.store, self.bank, self.settings, now, memo=self._memo
            )
        async with self.store.unit() as repo:
            workspaces = list(await repo.active_workspaces())
        for workspace in workspaces:
            await self._plan_workspace(workspace, now, report)
        async with self.store.unit() as repo:
            await self._plan_reminders(repo, now, report)
            report.reminders += await delegation.remind_holders(
                repo,
                now,
                handed_before=now - timedelta(hours=self.checkin_settings.reminder_hours),
                at=self.checkin_settings.at,
            )
        return report

    # -- per workspace ---------------------------------------------------------

    async def _plan_workspace(
        self, workspace: Workspace, now: datetime, report: PlanReport
    ) -> None:
        """What is due in one workspace. Most passes find nothing due after a few
        light queries. When something is due, the portfolio is read and every
        post computed in a read-only transaction (on SQLite, without the write
        lock, so answers keep flowing); the posts are then queued in a short one."""
        assert workspace.id is not None
        async with self.store.reading() as repo:
            keyed = [
                (sub, self._nudge_key(sub, now)) for sub in await repo.subscriptions(workspace.id)
            ]
            candidates = [(sub, key) for sub, key in keyed if key is not None]
            existing = await repo.outbox.queued([key for _, key in candidates if key])
            due = [(sub, key) for sub, key in candidates if key not in existing]
            pocs = await weekly.pocs(repo, workspace.id)
            people = await weekly.people(repo, workspace.id)
            done = await repo.checkin_weeks(workspace.id, now - timedelta(days=8))
            checkins_due = [
                (poc, owner, week)
                for poc in pocs
                if (owner := people.get(poc.owner_id) if poc.owner_id else None) is not None
                and (week := self._checkin_due(poc, owner, now, done)) is not None
            ]
            if not due and not checkins_due:
                return
            snapshot = await self._snapshot(repo, workspace, pocs, people, now)
            parents, details = await self._nudge_rows(repo, workspace, due, snapshot, now)
        async with self.store.unit() as repo:
            if parents:
                queued = await repo.outbox.enqueue_all(parents)
                # A detail goes with a nudge queued now, never with one queued before.
                await repo.outbox.enqueue_all([d for d in details if d.parent_key in queued])
                report.nudges += len(queued)
            if checkins_due:
                # open_checkin writes through the ORM rows of the few POCs due.
                rows = await weekly.orm_pocs(repo, [poc.id for poc, _, _ in checkins_due])
                owners = await weekly.orm_people(repo, [o.id for _, o, _ in checkins_due])
            for poc, owner, week in checkins_due:
                if (
                    (row := rows.get(poc.id)) is not None
                    and (person := owners.get(owner.id)) is not None
                    and await self._queue_checkin(repo, workspace, row, person, week, snapshot, now)
                ):
                    report.checkins += 1

    def _nudge_key(self, sub: Subscription, now: datetime) -> str | None:
        place = zone(sub.timezone)
        hour, minute = (int(part) for part in sub.local_time.split(":"))
        occurrence = Weekly(sub.weekday, time(hour, minute), place).latest(now)
        if occurrence < sub.created_at:
            return None
        return f"nudge:{sub.id}:{week_key(occurrence, place)}"

    async def _snapshot(
        self,
        repo: Repo,
        workspace: Workspace,
        pocs: Sequence[PocView],
        people: Mapping[int, PersonView],
        now: datetime,
    ) -> Snapshot:
        assert workspace.id is not None
        watched = await load_watched(
            repo, self.bank, self.settings, workspace.id, pocs, people, now, memo=self._memo
        )
        return Snapshot(pocs, people, watched)

    async def portfolio_health(self, workspace_key: str) -> dict[str, health.Health]:
        """The health of every POC of a workspace now, by handle."""
        now = self.clock()
        async with self.store.reading() as repo:
            workspace = await repo.workspace(workspace_key)
            if workspace is None or workspace.id is None:
                return {}
            pocs = await weekly.pocs(repo, workspace.id)
            people = await weekly.people(repo, workspace.id)
            snapshot = await self._snapshot(repo, workspace, pocs, people, now)
        today = now.date()
        return {w.handle: health.assess(w, today, self.settings) for w in snapshot.watched.values()}

    # -- the channel nudge -----------------------------------------------------

    async def _nudge_rows(
        self,
        repo: Repo,
        workspace: Workspace,
        due: Sequence[tuple[Subscription, str | None]],
        snapshot: Snapshot,
        now: datetime,
    ) -> tuple[list[Post], list[Post]]:
        """The outbox rows of the nudges ``due`` and of their threaded details,
        computed with a few reads whatever the number of channels."""
        assert workspace.id is not None
        targets = [f"channel:{sub.channel_id}" for sub, _ in due]
        previous = await repo.outbox.last_sent_to("nudge", targets, workspace.id)
        parents: list[Post] = []
        details: list[Post] = []
        for sub, key in due:
            assert key is not None
            t = translator(snapshot_locale(snapshot, sub))
            today = now.astimezone(zone(sub.timezone)).date()
            in_scope = (
                snapshot.homes.get(sub.channel_id, [])
                if sub.scope == "here"
                else snapshot.everything
            )
            assessed = [(w, snapshot.health(w, today, self.settings)) for w in in_scope]
            last = previous.get(f"channel:{sub.channel_id}")
            before = set(last.payload.get("issues", [])) if last else set()
            issues = sorted(issue_keys(assessed))
            parent, detail = nudge_cards(
                assessed, set(issues), before, sub.mention_owners, today, t, self.bank
            )
            destination = Destination(workspace.key, channel=sub.channel_id)
            parents.append(
                outbox.delivery_row(
                    workspace_id=workspace.id,
                    key=key,
                    kind="nudge",
                    destination=destination,
                    replies=[parent],
                    due_at=now,
                    extra={"issues": issues, **subscriber(snapshot, sub)},
                )
            )
            if detail is not None:
                details.append(
                    outbox.delivery_row(
                        workspace_id=workspace.id,
                        key=f"{key}:detail",
                        kind="nudge_detail",
                        destination=destination,
                        replies=[detail],
                        due_at=now,
                        parent_key=key,
                    )
                )
        return parents, details

    # -- owners' check-ins -----------------------------------------------------

    def _checkin_week(self, owner: PersonView, now: datetime) -> tuple[datetime, str]:
        place = zone(owner.timezone)
        settings = self.checkin_settings
        weekday = next_working_day(date(2026, 1, 5) + timedelta(days=settings.weekday)).weekday()
        occurrence = Weekly(weekday, settings.at, place).latest(now)
        return occurrence, week_key(occurrence, place)

    def _period(self, owner: Person | None, now: datetime) -> tuple[datetime, str]:
        """The check-in period ``now`` is in, where the owner is (UTC without one)."""
        if owner is not None:
            return self._checkin_week(owner, now)
        return self._checkin_week(Person(workspace_id=0, platform_id="", timezone="UTC"), now)

    def _checkin_due(
        self, poc: PocView, owner: PersonView, now: datetime, done: set[tuple[int, str]]
    ) -> str | None:
        """The week whose check-in is due now for ``poc``, if one is."""
        if poc.id is None or poc.stage not in CHECKED_STAGES:
            return None
        if (
            owner.away_until is not None
            and owner.away_until >= now.astimezone(zone(owner.timezone)).date()
        ):
            return None
        occurrence, week = self._checkin_week(owner, now)
        if occurrence < poc.stage_changed_at or (poc.id, week) in done:
            return None
        return week

    async def _queue_checkin(
        self,
        repo: Repo,
        workspace: Workspace,
        poc: Poc,
        owner: Person,
        week: str,
        snapshot: Snapshot,
        now: datetime,
    ) -> bool:
        assert workspace.id is not None and poc.id is not None
        replies = await checkins.open_checkin(
            repo,
            poc,
            owner,
            week,
            now,
            translator(owner.locale),
            snapshot.watched[poc.id].open_conditions,
        )
        if not replies:
            return False  # another scheduler opened it first
        return await outbox.enqueue(
            repo,
            workspace_id=workspace.id,
            key=f"checkin:{poc.id}:{week}",
            kind="checkin",
            destination=Destination(workspace.key, person=owner.platform_id),
            replies=replies,
            due_at=now,
        )

    async def _plan_reminders(self, repo: Repo, now: datetime, report: PlanReport) -> None:
        delay = timedelta(hours=self.checkin_settings.reminder_hours)
        for checkin in await repo.checkins_to_remind(now - delay):
            poc = await repo.poc_by_id(checkin.poc_id)
            owner = await repo.person_by_id(checkin.person_id)
            workspace = await repo.installs.by_id(poc.workspace_id) if poc else None
            if poc is None or owner is None or workspace is None or not workspace.active:
                continue
            local = now.astimezone(zone(owner.timezone))
            if local.weekday() >= 5 or local.time() < self.checkin_settings.at:
                continue  # working days only, not before the check-in hour
            if owner.away_until is not None and owner.away_until >= local.date():
                continue  # away: not prompted, not counted missing
            replies = await checkins.reminder(repo, checkin, poc, translator(owner.locale))
            checkin.reminded_at = now
            await repo.save(checkin)
            if not replies:
                continue
            assert workspace.id is not None
            if await outbox.enqueue(
                repo,
                workspace_id=workspace.id,
                key=f"checkin-reminder:{checkin.id}",
                kind="checkin_reminder",
                destination=Destination(workspace.key, person=owner.platform_id),
                replies=replies,
                due_at=now,
            ):
                report.reminders += 1


MANAGER_KEY = "owner_business_manager"


@dataclass(frozen=True)
class AnswerFacts:
    """What health reads from one POC's answers, besides when the latest came."""

    manager_named: bool = False
    open_conditions: tuple[rubric.Reason, ...] = ()


@dataclass
class AnswerMemo:
    """Answer facts kept from one pass to the next, by POC, while its answers,
    its depth and whether it is framed stay the same. The rubric behind the
    open conditions is the costly part of a pass (about a millisecond per
    framed POC); the reopening scan and the nudges of one pass, and the
    passes after it, compute it once per change of answers."""

    facts: dict[int, tuple[tuple[Any, ...], AnswerFacts]] = field(default_factory=dict)

    def get(self, poc_id: int, key: tuple[Any, ...]) -> AnswerFacts | None:
        found = self.facts.get(poc_id)
        return found[1] if found is not None and found[0] == key else None

    def put(self, poc_id: int, key: tuple[Any, ...], facts: AnswerFacts) -> None:
        self.facts[poc_id] = (key, facts)


def deciding_keys(bank: Bank, key: str) -> frozenset[str]:
    """The answers that decide whether ``key``'s answer counts
    (:func:`effective_answers`): its own, those its condition reads, and
    theirs, transitively, and the triage's that set the depth unless every
    one of them is asked at every depth."""
    questions = {q.key: q for q in bank.questions}
    found: set[str] = set()
    todo = [key]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        question = questions.get(current)
        for group in question.when if question is not None else ():
            todo.extend(group)
    every = frozenset(bank.depth.order) if bank.depth is not None else frozenset()
    if bank.depth is not None and any(bank.tiers_of(k) != every for k in found if bank.has(k)):
        # The depth decides whether one of them is asked.
        for rule in bank.depth.rules:
            for group in rule.when:
                found.update(group)
    return frozenset(found)


def depth_floor_of(bank: Bank, interview: InterviewDepth | None) -> str | None:
    """:func:`conversations.assessments.depth_floor`, from the bulk-loaded row."""
    if interview is None or bank.depth is None:
        return None
    return (
        bank.depth.order[-1]
        if _without_depths(bank.flow, interview.flow_version)
        else (interview.depth_floor)
    )


@cache
def _without_depths(flow: str, version: int) -> bool:
    """Was version ``version`` of the bank one without depths (it asked every question)?"""
    try:
        return load_bank(flow, version).depth is None
    except BankError:
        return False


def answer_facts(
    bank: Bank, poc: PocView, rows: Sequence[AnswerRow], floor: str | None
) -> AnswerFacts:
    values = {a.question_key: SKIPPED if a.skipped else a.value for a in rows}
    answers = effective_answers(bank, values, floor=floor)
    conditions: tuple[rubric.Reason, ...] = ()
    if poc.stage == Stage.FRAMED:
        conditions = rubric.assess(answers, bank, floor=floor).conditions
    return AnswerFacts(isinstance(answers.get(MANAGER_KEY), dict), conditions)


async def _answer_facts(
    repo: Repo,
    bank: Bank,
    workspace_id: int,
    pocs: Sequence[PocView],
    digests: Mapping[int, AnswerDigest],
    memo: AnswerMemo,
) -> dict[int, AnswerFacts]:
    """Each POC's :class:`AnswerFacts`, from the memo when its answers did not
    change, else from its answers streamed one POC at a time: only those that
    decide whether the manager is named, every answer for a framed POC (the
    rubric reads them all)."""
    depths = await repo.interview_depths(workspace_id)
    facts: dict[int, AnswerFacts] = {}
    wanted: dict[int, tuple[PocView, tuple[Any, ...], str | None]] = {}
    for poc in pocs:
        assert poc.id is not None
        digest = digests.get(poc.id)
        floor = depth_floor_of(bank, depths.get(poc.id))
        key = (
            bank.flow,
            bank.version,
            digest.fingerprint if digest else None,
            floor,
            poc.stage == Stage.FRAMED,
        )
        if digest is None:
            facts[poc.id] = AnswerFacts()  # no answer yet
        elif (known := memo.get(poc.id, key)) is not None:
            facts[poc.id] = known
        else:
            wanted[poc.id] = (poc, key, floor)
    if not wanted:
        return facts
    stream = weekly.stream_answers(
        repo,
        workspace_id,
        deciding_keys(bank, MANAGER_KEY),
        every_key_at=Stage.FRAMED,
        pocs=list(wanted),
    )
    async for rows in stream:
        entry = wanted.pop(rows[0].poc_id, None)
        if entry is not None:
            poc, key, floor = entry
            facts[rows[0].poc_id] = found = answer_facts(bank, poc, rows, floor)
            memo.put(rows[0].poc_id, key, found)
    for poc_id, (poc, key, floor) in wanted.items():  # none of the answers it needs
        facts[poc_id] = found = answer_facts(bank, poc, (), floor)
        memo.put(poc_id, key, found)
    return facts


async def load_watched(
    repo: Repo,
    bank: Bank,
    settings: health.WatchSettings,
    workspace_id: int,
    pocs: Sequence[PocView],
    people: Mapping[int, PersonView],
    now: datetime,
    *,
    since: Mapping[int, datetime] | None = None,
    memo: AnswerMemo | None = None,
) -> dict[int, Watched]:
    """What health needs about ``pocs``, from a few bulk queries on their workspace.

    With ``since`` (by POC id), only the readings and check-ins recorded from
    then on count: what happened after a decision (``reopenings.py``).

    Answers are never all loaded: when the latest came is an aggregate in SQL,
    and the few facts health reads from them (:class:`AnswerFacts`) come from
    ``memo`` when unchanged, else from the answers that decide them, streamed
    one POC at a time."""
    indicators: dict[int, weekly.IndicatorRow] = {}
    for indicator in await weekly.indicators(repo, workspace_id):
        indicators.setdefault(indicator.poc_id, indicator)
    owners = {i.id: poc_id for poc_id, i in indicators.items()}
    readings: dict[int, list[ReadingRow]] = defaultdict(list)
    for reading in await repo.workspace_reading_rows(workspace_id):
        start = since.get(owners.get(reading.indicator_id, -1)) if since else None
        if start is None or reading.created_at >= start:
            readings[reading.indicator_id].append(reading)
    recent_since = now - timedelta(weeks=max(settings.incident_weeks, 2))
    recent: dict[int, list[CheckInRow]] = defaultdict(list)
    for checkin in await repo.workspace_checkin_rows(workspace_id, recent_since):
        start = since.get(checkin.poc_id) if since else None
        if start is None or (checkin.answered_at is not None and checkin.answered_at >= start):
            recent[checkin.poc_id].append(checkin)
    reopened = {r.poc_id: r.reason for r in await repo.workspace_open_reopenings(workspace_id)}
    silent: dict[int, date] = {}
    for sourced, _, source in await repo.telemetry_sources(workspace_id):
        if source.failing_since is not None and sourced.id is not None:
            day = source.failing_since.date()
            silent[sourced.id] = min(day, silent.get(sourced.id, day))
    waits = await sections_waiting(repo, bank, workspace_id, people)
    listed = [poc for poc in pocs if poc.id is not None]
    digests = {
        d.poc_id: d
        for d in await repo.answer_digests(workspace_id, [q.key for q in bank.questions])
    }
    facts = await _answer_facts(repo, bank, workspace_id, listed, digests, memo or AnswerMemo())
    watched: dict[int, Watched] = {}
    for poc in listed:
        assert poc.id is not None
        digest = digests.get(poc.id)
        watched[poc.id] = watched_of(
            settings,
            poc,
            people,
            facts[poc.id],
            digest.last_answer_at if digest else None,
            indicators.get(poc.id),
            readings,
            recent[poc.id],
            now,
            reopened_reason=reopened.get(poc.id),
            telemetry_silent_since=silent.get(poc.id),
            sections_waiting=waits.get(poc.id, ()),
        )
    return watched


def watched_of(
    settings: health.WatchSettings,
    poc: PocView,
    people: Mapping[int, PersonView],
    facts: AnswerFacts,
    last_answer_at: datetime | None,
    indicator: weekly.IndicatorRow | None,
    readings: Mapping[int, Sequence[ReadingRow]],
    recent: Sequence[CheckInRow],
    now: datetime,
    *,
    reopened_reason: str | None = None,
    telemetry_silent_since: date | None = None,
    sections_waiting: tuple[health.SectionWaiting, ...] = (),
) -> Watched:
    owner = people.get(poc.owner_id) if poc.owner_id else None
    indicator_facts = None
    if indicator is not None and indicator.id is not None:
        indicator_facts = health.IndicatorFacts(
            name=indicator.name,
            unit=indicator.unit,
            baseline=indicator.baseline,
            target=indicator.target,
            threshold=indicator.threshold,
            direction=indicator.direction,
            readings=tuple((r.taken_on, r.value) for r in readings.get(indicator.id, [])),
        )
    incident_since = now - timedelta(weeks=settings.incident_weeks)
    answered = [c for c in recent if c.status == CheckInStatus.ANSWERED]
    latest = recent[-1] if recent else None
    return Watched(
        handle=poc.handle,
        title=poc.title,
        stage=Stage(poc.stage),
        owner_name=(owner.display_name or owner.platform_id) if owner else None,
        owner_platform_id=owner.platform_id if owner else None,
        owner_away_until=owner.away_until if owner else None,
        manager_named=facts.manager_named,
        stage_changed_on=poc.stage_changed_at.date(),
        last_answer_on=last_answer_at.date() if last_answer_at else None,
        review_date=poc.review_date,
        indicator=indicator_facts,
        incidents_recent=sum(c.incidents or 0 for c in answered if c.sent_at >= incident_since),
        changed_without_retest=bool(
            answered
            and set(answered[-1].changes) & {"model", "prompt", "tool"}
            and answered[-1].retested is False
        ),
        open_conditions=facts.open_conditions,
        checkin_missing=bool(
            latest and latest.status == CheckInStatus.SENT and latest.reminded_at is not None
        ),
        reopened_reason=reopened_reason,
        telemetry_silent_since=telemetry_silent_since,
        sections_waiting=sections_waiting,
    )


async def sections_waiting(
    repo: Repo, bank: Bank, workspace_id: int, people: Mapping[int, PersonView]
) -> dict[int, tuple[health.SectionWaiting, ...]]:
    """By POC: the sections handed to someone who has not answered them yet."""
    titles = {s.key: {"en": s.title.en, "fr": s.title.fr} for s in bank.sections}
    found: dict[int, list[health.SectionWaiting]] = defaultdict(list)
    for a in await assignments.waiting_in_workspace(repo, workspace_id):
        holder = people.get(a.holder_id)
        found[a.poc_id].append(
            health.SectionWaiting(
                titles.get(a.section_key, {"en": a.section_key}),
                (holder.display_name or holder.platform_id) if holder else "?",
                a.since.date(),
            )
        )
    return {poc_id: tuple(waits) for poc_id, waits in found.items()}


def subscriber(snapshot: Snapshot, sub: Subscription) -> dict[str, Any]:
    """Whom to tell if the nudge can't be posted: whoever subscribed the channel."""
    creator = snapshot.people.get(sub.created_by_id) if sub.created_by_id else None
    return outbox.notify(creator.platform_id, creator.locale) if creator else {}


def snapshot_locale(snapshot: Snapshot, sub: Subscription) -> str:
    """A channel speaks the language of whoever subscribed it."""
    creator = snapshot.people.get(sub.created_by_id) if sub.created_by_id else None
    return creator.locale if creator else "en"


def issue_keys(assessed: Sequence[tuple[Watched, health.Health]]) -> set[str]:
    keys: set[str] = set()
    for watched, result in assessed:
        keys.update(f"{watched.handle}:{f.code}" for f in result.findings)
        keys.update(f"{watched.handle}:condition:{c.code}" for c in watched.open_conditions)
    return keys


def _mark(key: str, before: set[str], t: Translator) -> str:
    return t("new") if key not in before else t("unchanged")


def nudge_cards(
    assessed: Sequence[tuple[Watched, health.Health]],
    issues: set[str],
    before: set[str],
    mention: bool,
    today: date,
    t: Translator,
    bank: Bank,
) -> tuple[Card, Card | None]:
    """The one channel message and the one thread reply with the details."""
    counts = {level: sum(1 for _, h in assessed if h.level == level) for level in Level}
    attention = sorted(
        ((w, h) for w, h in assessed if h.needs_attention or w.open_conditions),
        key=lambda pair: (-pair[1].level, pair[0].handle),
    )
    subtitle = " · ".join(
        f"{health.LEVEL_MARKS[level]} {counts[level]} {t(health.LEVEL_NAMES[level])}"
        for level in (Level.RED, Level.AMBER, Level.GREEN)
    )
    sections = [
        _attention_section(w, h, before, mention, today, t) for w, h in attention[:ATTENTION_SHOWN]
    ]
    if len(attention) > ATTENTION_SHOWN:
        sections.append(
            Section(
                text=t("… and {count} more in the thread.", count=len(attention) - ATTENTION_SHOWN)
            )
        )
    away = [w for w, _ in assessed if health.is_away(w, today) and w.owner_away_until]
    if away:
        lines = [
            t(
                "{owner} is away until {day} ({poc})",
                owner=w.owner_name,
                day=t.date(w.owner_away_until),
                poc=w.handle,
            )
            for w in away
            if w.owner_away_until
        ]
        sections.append(Section(title=t("Away"), text="\n".join(lines)))
    resolved = sorted(before - issues)
    if resolved:
        sections.append(
            Section(
                title=t("Resolved since last week"),
                text="\n".join(f"✓ {_issue_text(k, t)}" for k in resolved[:20]),
            )
        )
    if not attention:
        sections.insert(0, Section(text=t("Every agent is green this week.")))
    parent = Card(
        title=t("Weekly health of {count} AI agents", count=len(assessed)),
        subtitle=subtitle,
        sections=tuple(sections),
        context=(t("Details in the thread."),) if attention else (),
        buttons=tuple(
            Button(t("Summary of {poc}", poc=w.handle), f"summary {w.handle}")
            for w, _ in attention[:BUTTONS_SHOWN]
        ),
    )
    if not attention:
        return parent, None
    detail = Card(
        title=t("Details"),
        sections=tuple(_detail_section(w, h, before, today, t, bank) for w, h in attention),
    )
    return parent, detail


def _who_acts(
    watched: Watched, mention: bool, today: date, t: Translator
) -> tuple[str, tuple[PersonRef, ...]]:
    if watched.owner_name is None:
        return t("asked to act: a lead, to name an owner"), ()
    if health.is_away(watched, today):
        assert watched.owner_away_until is not None
        return t(
            "{owner} is away until {day}",
            owner=watched.owner_name,
            day=t.date(watched.owner_away_until),
        ), ()
    if mention and watched.owner_platform_id:
        return t("asked to act:"), (PersonRef(watched.owner_platform_id, watched.owner_name),)
    return t("asked to act: {owner}", owner=watched.owner_name), ()


def _attention_section(
    watched: Watched,
    result: health.Health,
    before: set[str],
    mention: bool,
    today: date,
    t: Translator,
) -> Section:
    first = result.findings[0] if result.findings else None
    headline = health.describe(first, t) if first else t("open conditions of the frame decision")
    key = f"{watched.handle}:{first.code}" if first else f"{watched.handle}:condition"
    more = len(result.findings) - 1 + len(watched.open_conditions)
    text = f"{headline} ({_mark(key, before, t)})"
    if more > 0:
        text += " " + t("and {count} more", count=more)
    who, mentions = _who_acts(watched, mention, today, t)
    return Section(
        title=f"{health.LEVEL_MARKS[result.level]} {watched.title} ({watched.handle})",
        text=f"{text}\n{who}",
        mentions=mentions,
    )


def _detail_section(
    watched: Watched,
    result: health.Health,
    before: set[str],
    today: date,
    t: Translator,
    bank: Bank,
) -> Section:
    lines = [
        f"• {health.describe(f, t)} ({_mark(f'{watched.handle}:{f.code}', before, t)})"
        for f in result.findings
    ]
    for condition in watched.open_conditions:
        key = f"{watched.handle}:condition:{condition.code}"
        lines.append(f"◦ {rubric.describe(condition, t, bank)} ({_mark(key, before, t)})")
    if health.is_away(watched, today) and watched.owner_away_until:
        lines.append(t("Owner away until {day}.", day=t.date(watched.owner_away_until)))
    return Section(
        title=f"{health.LEVEL_MARKS[result.level]} {watched.title} ({watched.handle})",
        text="\n".join(lines),
    )


def _issue_text(key: str, t: Translator) -> str:
    handle, _, code = key.partition(":")
    if code.startswith("condition:"):
        return t("{poc}: a condition of the frame decision is met", poc=handle)
    text = health.TEXTS.get(code)
    issue = t(text, **_blank_params(text)) if text else code
    return t("{poc}: no longer “{issue}”", poc=handle, issue=issue)


def _blank_params(text: str) -> dict[str, Any]:
    """A resolved finding is named without its numbers (they belonged to last week)."""
    return {name: "…" for _, name, _, _ in string.Formatter().parse(text) if name}
