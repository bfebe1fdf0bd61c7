"""The weekly pass against a reference computation, on a seeded portfolio.

The reference reads every current answer into memory (as the pass did before
it streamed, ``test_streaming._former_watched``), applies the reopening rules
POC by POC and renders each channel's nudge from that. The pass must reopen
the same decisions for the same reasons, write the same reopenings, audit
events and notices, and queue the same nudges, in a number of SQL statements
that does not depend on how many decisions it reopens; two replicas running
it at once reopen each decision once.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from benchmarks.databases import StatementCounter
from benchmarks.portfolio import NOW, Shape, seed
from conversations import health, reopenings, wire
from conversations.bank import load_bank
from conversations.context import zone
from conversations.i18n import translator
from conversations.outbox import Outbox
from conversations.watch import Watch, issue_keys, nudge_cards
from storage.database import make_engine, resolve_url
from storage.models import Decision, Delivery, Outcome, Reopening, Stage
from storage.repository import Store
from tests.watch.test_streaming import _former_watched

pytestmark = pytest.mark.storage

SHAPE = Shape(pocs=140, channels=7, portfolio_channels=1)
SETTINGS = health.WatchSettings()


@pytest.fixture
async def portfolio(database_url: str) -> AsyncIterator[Store]:
    seed(database_url, SHAPE)
    store = Store(make_engine(resolve_url(database_url)))
    try:
        async with store.unit() as repo:
            # Some running POCs were decided ten days ago: only what came after counts.
            for poc in await repo.pocs(1):
                if poc.stage in reopenings.RUNNING and poc.id is not None and poc.id % 3 == 0:
                    await repo.add_decision(
                        Decision(
                            poc_id=poc.id,
                            outcome=Outcome.INDUSTRIALISE
                            if poc.stage == Stage.INDUSTRIALISED
                            else Outcome.FRAME,
                            rationale="Reviewed",
                            decided_by_id=1,
                            created_at=NOW - timedelta(days=10),
                        )
                    )
        yield store
    finally:
        await store.dispose()


def _watch(store: Store) -> Watch:
    return Watch(store, Outbox(store, {}, clock=lambda: NOW), clock=lambda: NOW, bank=load_bank())


async def _reference_reopenings(store: Store) -> dict[int, tuple[str, dict[str, Any]]]:
    bank = load_bank()
    async with store.reading() as repo:
        pocs = [p for p in await repo.pocs(1) if p.stage in reopenings.RUNNING]
        since = {d.poc_id: d.created_at for d in await repo.workspace_decisions(1)}
        former = await _former_watched(repo, bank, 1, pocs, since)
    found = {}
    for poc_id, watched in former.items():
        broken = reopenings._broken(watched, NOW, SETTINGS)
        if broken is not None:
            found[poc_id] = broken
    return found


async def _reference_nudges(store: Store) -> dict[str, dict[str, Any]]:
    """Each channel's nudge payload, rendered from the reference facts after the pass."""
    bank = load_bank()
    async with store.reading() as repo:
        pocs = list(await repo.pocs(1))
        people = {p.id: p for p in await repo.people(1)}
        reasons = {r.poc_id: r.reason for r in await repo.workspace_open_reopenings(1)}
        former = await _former_watched(repo, bank, 1, pocs, None)
        subs = list(await repo.subscriptions(1))
        previous = await repo.outbox.last_sent_to(
            "nudge", [f"channel:{s.channel_id}" for s in subs], 1
        )
    watched = {i: dataclasses.replace(w, reopened_reason=reasons.get(i)) for i, w in former.items()}
    expected = {}
    for sub in subs:
        today = NOW.astimezone(zone(sub.timezone)).date()
        shown = [
            watched[p.id]
            for p in pocs
            if p.id is not None and (sub.scope != "here" or p.home_channel == sub.channel_id)
        ]
        assessed = [(w, health.assess(w, today, SETTINGS)) for w in shown]
        last = previous.get(f"channel:{sub.channel_id}")
        before = set(last.payload.get("issues", [])) if last else set()
        issues = sorted(issue_keys(assessed))
        creator = people[sub.created_by_id]
        parent, detail = nudge_cards(
            assessed, set(issues), before, sub.mention_owners, today, translator("en"), bank
        )
        expected[sub.channel_id] = {
            "issues": issues,
            "parent": wire.dump_all([parent]),
            "detail": wire.dump_all([detail]) if detail else None,
            "notify": {"person": creator.platform_id, "locale": creator.locale},
        }
    return expected


async def _queued(store: Store) -> list[Delivery]:
    async with store.reading() as repo:
        result = await repo.session.execute(
            sa.select(Delivery).where(Delivery.created_at == NOW).order_by(Delivery.id)  # type: ignore[arg-type]
        )
        return list(result.scalars().all())


async def test_the_pass_reopens_and_nudges_as_the_reference_does(portfolio: Store) -> None:
    expected = await _reference_reopenings(portfolio)
    async with portfolio.reading() as repo:
        before = {p.id: p for p in await repo.pocs(1)}
        decided = {d.poc_id: d for d in await repo.workspace_decisions(1)}
        people = {p.id: p for p in await repo.people(1)}
    assert expected and any(i in decided for i in expected)  # both kinds are reopened
    assert {reason for reason, _ in expected.values()} >= {"threshold", "incident"}

    counter = StatementCounter()
    counter.attach(portfolio.engine.sync_engine)
    with counter.counting():
        report = await _watch(portfolio).plan()
    assert report.reopened == len(expected)
    assert report.nudges == SHAPE.channels
    # A handful of statements whatever the number of reopenings (it was ~10 each).
    assert counter.total < 70, counter.by_kind

    async with portfolio.reading() as repo:
        after = {p.id: p for p in await repo.pocs(1)}
        rows = (await repo.session.execute(sa.select(Reopening).order_by(Reopening.id))).scalars()  # type: ignore[arg-type]
        opened = list(rows.all())
        audit = [e for e in await repo.audits.of_workspace(1) if e.action == "reopened"]
    for poc_id, poc in after.items():
        if poc_id in expected:
            assert (poc.stage, poc.stage_changed_at) == (Stage.REVIEW_DUE, NOW)
        else:
            assert (poc.stage, poc.stage_changed_at) == (
                before[poc_id].stage,
                before[poc_id].stage_changed_at,
            )
    in_order = sorted(expected, key=lambda i: before[i].handle)
    assert [
        (r.poc_id, r.reason, r.detail, r.previous_stage, r.decision_id, r.opened_at, r.closed_at)
        for r in opened
    ] == [
        (
            i,
            expected[i][0],
            expected[i][1],
            str(before[i].stage),
            decided[i].id if i in decided else None,
            NOW,
            None,
        )
        for i in in_order
    ]
    assert [(e.poc_id, e.person_id, e.detail, e.created_at) for e in audit] == [
        (i, None, {"reason": expected[i][0], **expected[i][1]}, NOW) for i in in_order
    ]

    queued = await _queued(portfolio)
    news = [d for d in queued if d.kind == "reopened"]
    told = []
    for row in opened:
        poc = before[row.poc_id]
        decision = decided.get(row.poc_id)
        for person_id in dict.fromkeys(
            i for i in (poc.owner_id, decision.decided_by_id if decision else None) if i
        ):
            person = people[person_id]
            card = reopenings.reopened_card(poc, row.reason, translator(person.locale))
            told.append(
                (
                    f"reopened:{row.id}:{person_id}",
                    f"person:{person.platform_id}",
                    wire.dump_all([card]),
                )
            )
    assert [(d.idempotency_key, d.target, d.payload["replies"]) for d in news] == told

    reference = await _reference_nudges(portfolio)
    nudges = {d.target.removeprefix("channel:"): d for d in queued if d.kind == "nudge"}
    details = {d.parent_key: d for d in queued if d.kind == "nudge_detail"}
    assert set(nudges) == set(reference)
    for channel, nudge in nudges.items():
        want = reference[channel]
        assert nudge.payload["issues"] == want["issues"]
        assert nudge.payload["replies"] == want["parent"]
        assert nudge.payload["notify"] == want["notify"]
        detail = details.get(nudge.idempotency_key)
        assert (detail.payload["replies"] if detail else None) == want["detail"]
    assert any("decision reopened" in str(n.payload["replies"]) for n in nudges.values())


async def test_two_replicas_reopen_each_decision_once(portfolio: Store) -> None:
    expected = await _reference_reopenings(portfolio)
    reports = await asyncio.gather(_watch(portfolio).plan(), _watch(portfolio).plan())
    assert sum(r.reopened for r in reports) == len(expected)
    async with portfolio.reading() as repo:
        opened = (await repo.session.execute(sa.select(Reopening.poc_id))).scalars().all()  # type: ignore[call-overload]
        audit = [
            e.poc_id
            for e in await repo.audits.of_workspace(1)
            if e.action == "reopened" and e.poc_id
        ]
    assert sorted(opened) == sorted(audit) == sorted(expected)
    news = [d.idempotency_key for d in await _queued(portfolio) if d.kind == "reopened"]
    assert len(news) == len(set(news)) >= len(expected)
    # And a later scan finds nothing more to reopen.
    assert await reopenings.scan(portfolio, load_bank(), SETTINGS, NOW + timedelta(hours=1)) == 0
