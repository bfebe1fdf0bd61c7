"""Decisions that reopen themselves (DESIGN.md, "Keeping watch").

A framed or industrialised POC goes to ``review_due`` when, since its latest
decision, a watched indicator was past its threshold two readings running,
an incident was reported, a model, prompt or tool change was declared without
a re-test, the frame's review date passed with conditions unmet, or its owner
or overseer left. The first four are health's own rules (``health.py``), run
on the facts recorded after the decision only, so that a new decision is not
reopened at once by what it was taken on. Leaving is an event: an adapter
reports it (:func:`person_left`), or a lead clears the owner.

Reopening is written once (the POC leaves the running stages in the same
transaction), told to the owner and to the lead who decided through the
outbox (keyed: sent once), shown in the channel nudge by health's
``review_due`` finding, recorded in the audit trail as ``reopened`` with its
reason, and closed by the next ``decide``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from conversations import health, outbox
from conversations.bank import Bank
from conversations.delivery import Destination
from conversations.i18n import Translator, translator
from conversations.messages import Button, Card, Section
from conversations.ports.outbox import Post
from storage import weekly
from storage.models import Decision, Person, Poc, Reopening, Stage, Workspace
from storage.repository import Repo, Store

if TYPE_CHECKING:
    from conversations.watch import AnswerMemo

log = logging.getLogger("postpoc.reopenings")

RUNNING = (Stage.FRAMED, Stage.INDUSTRIALISED)

REASONS = health.REOPEN_REASONS

# Health's findings that reopen a decision, in the order they are told.
FINDINGS = {
    "threshold_broken": "threshold",
    "incidents": "incident",
    "changed_without_retest": "untested_change",
    "conditions_overdue": "condition_overdue",
}


def reason_text(reason: str, t: Translator) -> str:
    return t(REASONS[reason]) if reason in REASONS else reason


async def reopen(
    repo: Repo,
    workspace: Workspace,
    poc: Poc,
    reason: str,
    now: datetime,
    *,
    by: int | None = None,
    gone: int | None = None,
    **detail: Any,
) -> Reopening | None:
    """Move a running POC to ``review_due`` and tell who must act (not ``gone``,
    the person who left); None when it is not running (not decided yet,
    stopped, or already reopened)."""
    assert workspace.id is not None and poc.id is not None
    if poc.stage not in RUNNING:
        return None
    decision = await repo.latest_decision(poc.id)
    row = await repo.add_reopening(
        Reopening(
            poc_id=poc.id,
            reason=reason,
            detail=dict(detail),
            previous_stage=str(poc.stage),
            decision_id=decision.id if decision else None,
            opened_at=now,
        )
    )
    await repo.set_stage(poc, Stage.REVIEW_DUE, now)
    await repo.audits.write(
        workspace.id,
        "reopened",
        person_id=by,
        poc_id=poc.id,
        detail={"reason": reason, **detail},
        at=now,
    )
    await _tell(repo, workspace, poc, row, decision, now, gone)
    return row


async def _tell(
    repo: Repo,
    workspace: Workspace,
    poc: Poc,
    row: Reopening,
    decision: Decision | None,
    now: datetime,
    gone: int | None,
) -> None:
    assert workspace.id is not None
    people: dict[int, Person] = {}
    for person_id in (poc.owner_id, decision.decided_by_id if decision else None):
        if person_id is not None and person_id != gone and person_id not in people:
            person = await repo.person_by_id(person_id)
            if person is not None:
                people[person_id] = person
    for person_id, person in people.items():
        await outbox.enqueue(
            repo,
            workspace_id=workspace.id,
            key=f"reopened:{row.id}:{person_id}",
            kind="reopened",
            destination=Destination(workspace.key, person=person.platform_id),
            replies=[reopened_card(poc, row.reason, translator(person.locale))],
            due_at=now,
        )


def reopened_card(poc: weekly.PocView, reason: str, t: Translator) -> Card:
    return Card(
        title=t("The decision on {title} ({poc}) is reopened", title=poc.title, poc=poc.handle),
        sections=(
            Section(
                text=t(
                    "Why: {reason}. It is now under review; a lead closes the review with a new decision: decide {poc} stop|frame|industrialise <rationale>.",
                    reason=reason_text(reason, t),
                    poc=poc.handle,
                )
            ),
        ),
        buttons=(Button(t("Summary of {poc}", poc=poc.handle), f"summary {poc.handle}"),),
    )


async def close(repo: Repo, poc: Poc, decision: Decision) -> Reopening | None:
    """The new decision ``decision`` ends the POC's open review, if it had one."""
    assert poc.id is not None
    row = await repo.open_reopening(poc.id)
    if row is None:
        return None
    row.closed_at, row.closed_by_id = decision.created_at, decision.id
    await repo.save(row)
    return row


# -- the watch's rules -----------------------------------------------------------


async def scan(
    store: Store,
    bank: Bank,
    settings: health.WatchSettings,
    now: datetime,
    *,
    memo: AnswerMemo | None = None,
) -> int:
    """Reopen every running POC whose facts since its decision break a rule;
    how many were reopened. The facts are read in a read-only transaction (on
    SQLite, without the write lock); the reopenings are then written together
    in one short one (:func:`storage.weekly.reopen`: a few statements however
    many they are), which reopens only the POCs still running and decided as
    read, so two replicas reopen each once."""
    from conversations.watch import load_watched  # the watch imports this module

    reopened = 0
    async with store.reading() as repo:
        workspaces = list(await repo.active_workspaces())
    for workspace in workspaces:
        assert workspace.id is not None
        async with store.reading() as repo:
            pocs = [p for p in await weekly.pocs(repo, workspace.id) if p.stage in RUNNING]
            if not pocs:
                continue
            decisions = await weekly.latest_decisions(repo, workspace.id)
            since = {poc_id: d.created_at for poc_id, d in decisions.items()}
            people = await weekly.people(repo, workspace.id)
            watched = await load_watched(
                repo, bank, settings, workspace.id, pocs, people, now, since=since, memo=memo
            )
        due = [
            weekly.Reopen(
                poc.id,
                Stage(poc.stage),
                reason,
                detail,
                decision.id if (decision := decisions.get(poc.id)) else None,
            )
            for poc in pocs
            if poc.id is not None and (found := _broken(watched[poc.id], now, settings)) is not None
            for reason, detail in (found,)
        ]
        if not due:
            continue
        by_id = {poc.id: poc for poc in pocs}
        async with store.unit() as repo:
            done = await weekly.reopen(repo, workspace.id, due, now)
            await repo.outbox.enqueue_all(
                [
                    post
                    for r in done
                    for post in _news(workspace, by_id[r.reopen.poc_id], r, decisions, people, now)
                ],
            )
        reopened += len(done)
    return reopened


def _news(
    workspace: Workspace,
    poc: weekly.PocView,
    reopened: weekly.Reopened,
    decisions: Mapping[int, weekly.DecisionRef],
    people: Mapping[int, weekly.PersonView],
    now: datetime,
) -> list[Post]:
    """The outbox rows :func:`_tell` queues, for a reopening written in bulk."""
    assert workspace.id is not None
    decision = decisions.get(reopened.reopen.poc_id)
    told = dict.fromkeys(
        i for i in (poc.owner_id, decision.decided_by_id if decision else None) if i is not None
    )
    return [
        outbox.delivery_row(
            workspace_id=workspace.id,
            key=f"reopened:{reopened.reopening_id}:{person_id}",
            kind="reopened",
            destination=Destination(workspace.key, person=person.platform_id),
            replies=[reopened_card(poc, reopened.reopen.reason, translator(person.locale))],
            due_at=now,
        )
        for person_id in told
        if (person := people.get(person_id)) is not None
    ]


def _broken(
    watched: health.Watched, now: datetime, settings: health.WatchSettings
) -> tuple[str, dict[str, Any]] | None:
    codes = {f.code: f for f in health.assess(watched, now.date(), settings).findings}
    for code, reason in FINDINGS.items():
        if code in codes:
            return reason, {k: _plain(v) for k, v in codes[code].params.items()}
    return None


def _plain(value: object) -> object:
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


# -- people who leave -------------------------------------------------------------


async def person_left(repo: Repo, workspace: Workspace, platform_id: str, now: datetime) -> int:
    """``platform_id`` was deactivated or removed: reopen the running POCs they
    own or oversee. How many were reopened."""
    assert workspace.id is not None
    person = await repo.person(workspace.id, platform_id)
    pocs = [p for p in await repo.pocs(workspace.id) if p.stage in RUNNING]
    answers: dict[int, dict[str, Any]] = defaultdict(dict)
    if pocs:
        for row in await repo.workspace_answers(workspace.id):
            if not row.skipped:
                answers[row.poc_id][row.question_key] = row.value
    reopened = 0
    for poc in pocs:
        assert poc.id is not None
        overseer = answers.get(poc.id, {}).get("sup_overseer")
        if person is not None and poc.owner_id == person.id:
            reason = "owner_left"
        elif isinstance(overseer, dict) and overseer.get("id") == platform_id:
            reason = "overseer_left"
        else:
            continue
        if await reopen(repo, workspace, poc, reason, now, gone=person.id if person else None):
            reopened += 1
    if reopened:
        log.info("reopened %d decision(s) after someone left", reopened)
    return reopened
