"""The weekly pass reads what health needs, not every answer of every POC.

On a seeded portfolio (``benchmarks.portfolio``: every stage, partial
interviews, edits, open frame conditions, stale answers, readings,
check-ins), health comes out as the former computation gave it, which read
every current answer into Python; the pass streams only the answers that
decide its facts, and a later pass, with nothing changed, streams none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from benchmarks.portfolio import NOW, WORKSPACE_KEY, Shape, seed
from conversations import health, reopenings, rubric
from conversations.bank import SKIPPED, Bank, load_bank
from conversations.engine import effective_answers
from conversations.health import Watched
from conversations.outbox import Outbox
from conversations.watch import Watch, load_watched
from storage import weekly
from storage.database import make_engine, resolve_url
from storage.models import CheckInStatus, Interview, Poc, Stage
from storage.repository import AnswerRow, Repo, Store
from tests.support.typed import complete_answers

pytestmark = pytest.mark.storage

SHAPE = Shape(pocs=120, channels=6)


@pytest.fixture
async def portfolio(database_url: str) -> AsyncIterator[Store]:
    seed(database_url, SHAPE)
    store = Store(make_engine(resolve_url(database_url)))
    try:
        yield store
    finally:
        await store.dispose()


async def _former_watched(
    repo: Repo, bank: Bank, workspace_id: int, pocs: list[Poc], since: dict[int, datetime] | None
) -> dict[int, Watched]:
    """Health's facts as the pass computed them before it streamed: every
    current answer of the workspace in memory, ORM readings and check-ins."""
    people = {p.id: p for p in await repo.people(workspace_id)}
    indicators = {}
    for indicator in await repo.workspace_indicators(workspace_id):
        indicators.setdefault(indicator.poc_id, indicator)
    owners = {i.id: poc_id for poc_id, i in indicators.items()}
    readings: dict[int, list[Any]] = defaultdict(list)
    for reading in await repo.workspace_readings(workspace_id):
        start = since.get(owners.get(reading.indicator_id, -1)) if since else None
        if start is None or reading.created_at >= start:
            readings[reading.indicator_id].append(reading)
    recent: dict[int, list[Any]] = defaultdict(list)
    for checkin in await repo.workspace_checkins(workspace_id, NOW - timedelta(weeks=4)):
        start = since.get(checkin.poc_id) if since else None
        if start is None or (checkin.answered_at is not None and checkin.answered_at >= start):
            recent[checkin.poc_id].append(checkin)
    answers: dict[int, list[AnswerRow]] = defaultdict(list)
    for row in await repo.workspace_answers(workspace_id):
        answers[row.poc_id].append(row)
    found = {}
    for poc in pocs:
        assert poc.id is not None
        rows = answers[poc.id]
        values = effective_answers(
            bank, {a.question_key: SKIPPED if a.skipped else a.value for a in rows}
        )
        dates = [a.created_at for a in rows if bank.has(a.question_key)]
        indicator = indicators.get(poc.id)
        owner = people.get(poc.owner_id) if poc.owner_id else None
        checkins = recent[poc.id]
        answered = [c for c in checkins if c.status == CheckInStatus.ANSWERED]
        found[poc.id] = Watched(
            handle=poc.handle,
            title=poc.title,
            stage=Stage(poc.stage),
            owner_name=(owner.display_name or owner.platform_id) if owner else None,
            owner_platform_id=owner.platform_id if owner else None,
            owner_away_until=owner.away_until if owner else None,
            manager_named=isinstance(values.get("owner_business_manager"), dict),
            stage_changed_on=poc.stage_changed_at.date(),
            last_answer_on=max(dates).date() if dates else None,
            review_date=poc.review_date,
            indicator=health.IndicatorFacts(
                name=indicator.name,
                unit=indicator.unit,
                baseline=indicator.baseline,
                target=indicator.target,
                threshold=indicator.threshold,
                direction=indicator.direction,
                readings=tuple((r.taken_on, r.value) for r in readings.get(indicator.id, [])),
            )
            if indicator is not None and indicator.id is not None
            else None,
            incidents_recent=sum(
                c.incidents or 0 for c in answered if c.sent_at >= NOW - timedelta(weeks=4)
            ),
            changed_without_retest=bool(
                answered
                and set(answered[-1].changes) & {"model", "prompt", "tool"}
                and answered[-1].retested is False
            ),
            open_conditions=rubric.assess(values, bank).conditions
            if poc.stage == Stage.FRAMED
            else (),
            checkin_missing=bool(
                checkins
                and checkins[-1].status == CheckInStatus.SENT
                and checkins[-1].reminded_at is not None
            ),
        )
    return found


async def test_health_is_what_reading_every_answer_gave(portfolio: Store) -> None:
    bank = load_bank()
    async with portfolio.reading() as repo:
        workspace = await repo.workspace(WORKSPACE_KEY)
        assert workspace is not None and workspace.id is not None
        pocs = list(await repo.pocs(workspace.id))
        people = {p.id: p for p in await repo.people(workspace.id) if p.id is not None}
        since = {d.poc_id: d.created_at for d in await repo.workspace_decisions(workspace.id)}
        running = [p for p in pocs if p.stage in reopenings.RUNNING]
        for chosen, after in ((pocs, None), (running, since or {p.id: NOW for p in running})):
            streamed = await load_watched(
                repo, bank, health.WatchSettings(), workspace.id, chosen, people, NOW, since=after
            )
            former = await _former_watched(repo, bank, workspace.id, chosen, after)
            assert streamed == former
            today = NOW.date()
            assert {k: health.assess(w, today) for k, w in streamed.items()} == {
                k: health.assess(w, today) for k, w in former.items()
            }
    levels = {health.assess(w, NOW.date()).level for w in streamed.values()}
    assert levels == {health.Level.GREEN, health.Level.AMBER, health.Level.RED}
    assert any(w.open_conditions for w in former.values())


async def test_the_pass_streams_only_what_health_reads(
    portfolio: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed: list[AnswerRow] = []
    stream = weekly.stream_answers

    async def counted(repo: Repo, *args: Any, **kwargs: Any) -> AsyncIterator[list[AnswerRow]]:
        async for rows in stream(repo, *args, **kwargs):
            streamed.extend(rows)
            yield rows

    async def everything(self: Repo, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the weekly pass read every answer")

    monkeypatch.setattr(weekly, "stream_answers", counted)
    monkeypatch.setattr(Repo, "workspace_answers", everything)
    monkeypatch.setattr(Repo, "workspace_answer_rows", everything)
    # Before the pass, which reopens some framed POCs.
    async with portfolio.reading() as repo:
        workspace = await repo.workspace(WORKSPACE_KEY)
        assert workspace is not None and workspace.id is not None
        stages = {p.id: p.stage for p in await repo.pocs(workspace.id)}
        every = await stream_everything(repo, workspace.id)
    bank = load_bank()
    watch = Watch(portfolio, Outbox(portfolio, {}, clock=lambda: NOW), clock=lambda: NOW, bank=bank)
    report = await watch.plan()
    assert report.nudges == SHAPE.channels

    framed_rows = [r for r in every if stages[r.poc_id] == Stage.FRAMED]
    assert framed_rows and len(every) > 3 * len(framed_rows)
    # Every answer of a framed POC (the rubric reads them all), otherwise only
    # the business manager: a small part of the portfolio's answers.
    assert {(r.poc_id, r.question_key) for r in streamed} == {
        (r.poc_id, r.question_key)
        for r in every
        if stages[r.poc_id] == Stage.FRAMED or r.question_key == "owner_business_manager"
    }
    assert len(streamed) < len(every) / 2

    # Fifteen minutes on (the next pass, which scans for reopenings again),
    # nothing changed: no answer is read again.
    streamed.clear()
    later = NOW + timedelta(minutes=15)
    watch.clock = lambda: later
    await watch.plan()
    assert streamed == []


async def stream_everything(repo: Repo, workspace_id: int) -> list[AnswerRow]:
    """Every current answer of the workspace (what the former pass read)."""
    import sqlalchemy as sa

    from storage.models import Answer

    result = await repo.session.execute(
        sa.select(
            Answer.poc_id, Answer.question_key, Answer.value, Answer.skipped, Answer.created_at
        )
        .join(Poc, Poc.id == Answer.poc_id)  # type: ignore[arg-type]
        .join(Interview, Interview.id == Answer.interview_id)  # type: ignore[arg-type]
        .where(Poc.workspace_id == workspace_id, Answer.superseded_at.is_(None))  # type: ignore[union-attr]
    )
    return [AnswerRow(*row) for row in result.all()]


async def test_a_raised_depth_counts_in_the_frame_conditions(store: Store) -> None:
    """A lead raised a framed POC's interview to full depth: its full-depth
    questions are not all answered yet, so the rubric has not enough
    information and names no frame condition, as the POC's summary says; the
    watch read the answers at the triage's light depth and named one."""
    bank = load_bank()
    answers = complete_answers()
    answers["kill_rehearsed"] = False
    answers.pop("kill_rehearsed_on", None)
    answers.pop("use_users")
    floor = "full"
    expected = rubric.assess(effective_answers(bank, answers, floor=floor), bank, floor=floor)
    light = rubric.assess(effective_answers(bank, answers), bank)
    assert light.conditions and not expected.conditions  # the two readings differ
    async with store.unit() as repo:
        workspace = await repo.add_workspace("test:T1")
        assert workspace.id is not None
        poc = await repo.add_poc(
            Poc(
                workspace_id=workspace.id,
                handle="invoice-agent",
                title="Invoice agent",
                stage=Stage.FRAMED,
                review_date=(NOW - timedelta(days=3)).date(),
                created_at=NOW - timedelta(days=60),
                stage_changed_at=NOW - timedelta(days=30),
            )
        )
        assert poc.id is not None
        interview = await repo.add_interview(
            Interview(
                poc_id=poc.id,
                flow=bank.flow,
                flow_version=bank.version,
                status="active",
                depth_floor=floor,
                started_at=NOW - timedelta(days=60),
                updated_at=NOW - timedelta(days=1),
            )
        )
        for key, value in answers.items():
            await repo.record_answer(
                _answer(poc.id, interview.id, key, value, NOW - timedelta(days=40))
            )
    async with store.reading() as repo:
        watched = await load_watched(
            repo, bank, health.WatchSettings(), workspace.id, [poc], {}, NOW
        )
    assert watched[poc.id].open_conditions == expected.conditions == ()
    codes = [f.code for f in health.assess(watched[poc.id], NOW.date()).findings]
    assert "conditions_overdue" not in codes


def _answer(poc_id: int, interview_id: int | None, key: str, value: Any, at: datetime) -> Any:
    from storage.models import Answer

    assert interview_id is not None
    return Answer(
        poc_id=poc_id, interview_id=interview_id, question_key=key, value=value, created_at=at
    )
