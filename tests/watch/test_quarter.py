"""A simulated quarter: 13 weeks, 50 POCs, 10 channels, some owners silent.

Every channel gets its weekly nudge exactly once, every owner who answers is
asked once a week and reminded at most once, and at the end each POC's health
is what its story implies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest

from conversations.health import Level
from conversations.messages import Ask
from conversations.outbox import Outbox
from conversations.schedule import Weekly, week_key
from conversations.service import Service
from conversations.watch import Watch
from storage.models import (
    Answer,
    Indicator,
    Interview,
    InterviewStatus,
    Person,
    Poc,
    Role,
    Stage,
    Subscription,
)
from storage.repository import Store
from tests.support.conversation import Clock
from tests.support.conversation import Person as Speaker
from tests.support.scripts import current_key
from tests.support.typed import complete_answers
from tests.support.watching import FakeMessenger, Sleeps

pytestmark = pytest.mark.storage

START = datetime(2026, 9, 7, 0, 0, tzinfo=UTC)  # a Monday
WEEKS = 13
END = START + timedelta(weeks=WEEKS)
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo")
CHANNELS = 10
POCS = 50


@dataclass(frozen=True)
class Story:
    name: str
    stage: Stage
    answers: bool
    reading: Callable[[int], float]
    expected: Level
    away_from_week: int | None = None
    incident_week: int | None = None
    expected_codes: frozenset[str] = frozenset()


def steady(week: int) -> float:
    return 5.5 if week % 2 else 5.2


STORIES = (
    Story("diligent", Stage.INDUSTRIALISED, True, steady, Level.GREEN),
    Story(
        "silent",
        Stage.INDUSTRIALISED,
        False,
        steady,
        Level.RED,
        expected_codes=frozenset({"never_read", "checkin_missing"}),
    ),
    Story(
        "drifting",
        Stage.FRAMED,
        True,
        lambda w: 5.0 + 0.5 * w,
        Level.RED,
        expected_codes=frozenset({"threshold_broken", "trending_away"}),
    ),
    Story(
        "stuck",
        Stage.ASSESSING,
        True,
        steady,
        Level.RED,
        expected_codes=frozenset({"decision_overdue"}),
    ),
    Story("away", Stage.INDUSTRIALISED, True, steady, Level.GREEN, away_from_week=9),
    Story(
        "incident",
        Stage.INDUSTRIALISED,
        True,
        steady,
        Level.RED,
        incident_week=12,
        expected_codes=frozenset({"incidents"}),
    ),
    Story("stopped", Stage.STOPPED, True, steady, Level.GREEN),
)


def story_of(index: int) -> Story:
    return STORIES[index % len(STORIES)]


async def seed(store: Store) -> list[Subscription]:
    """The portfolio as it stands on day one, written straight to storage."""
    created = START - timedelta(days=7)
    async with store.unit() as repo:
        workspace = await repo.add_workspace("test:acme", "Acme")
        assert workspace.id is not None
        lead = await repo.add_person(
            Person(
                workspace_id=workspace.id,
                platform_id="lea",
                role=Role.ADMIN,
                timezone="Europe/Paris",
                created_at=created,
            )
        )
        for index in range(POCS):
            story = story_of(index)
            owner = await repo.add_person(
                Person(
                    workspace_id=workspace.id,
                    platform_id=f"owner-{index:02d}",
                    display_name=f"Owner {index}",
                    timezone=ZONES[index % 3],
                    created_at=created,
                )
            )
            poc = await repo.add_poc(
                Poc(
                    workspace_id=workspace.id,
                    handle=f"agent-{index:02d}",
                    title=f"Agent {index} ({story.name})",
                    owner_id=owner.id,
                    home_channel=f"C{index % CHANNELS}",
                    stage=story.stage,
                    review_date=(START + timedelta(days=120)).date(),
                    created_at=created,
                    stage_changed_at=created,
                )
            )
            assert poc.id is not None
            interview = await repo.add_interview(
                Interview(
                    poc_id=poc.id,
                    flow="post-poc",
                    flow_version=1,
                    status=InterviewStatus.COMPLETE,
                    started_at=created,
                    updated_at=created,
                )
            )
            assert interview.id is not None
            for key, value in complete_answers().items():
                await repo.record_answer(
                    Answer(
                        poc_id=poc.id,
                        interview_id=interview.id,
                        question_key=key,
                        value=value,
                        created_at=START - timedelta(days=1),
                    )
                )
            await repo.add_indicator(
                Indicator(
                    poc_id=poc.id,
                    name="handling time per invoice",
                    unit="minutes",
                    baseline=12,
                    target=6,
                    threshold=8,
                    direction="lower",
                    created_at=created,
                )
            )
        subscriptions = []
        for channel in range(CHANNELS):
            sub = Subscription(
                workspace_id=workspace.id,
                channel_id=f"C{channel}",
                weekday=channel % 5,
                local_time="09:00",
                timezone=ZONES[channel % 2],
                scope="here",
                created_by_id=lead.id,
                created_at=START,
            )
            await repo.save(sub)
            subscriptions.append(sub)
        return subscriptions


def expected_nudges(subscriptions: list[Subscription]) -> set[str]:
    keys = set()
    for sub in subscriptions:
        weekly = Weekly(sub.weekday, time(9, 0), __import__("zoneinfo").ZoneInfo(sub.timezone))
        due = weekly.following(START)
        while due <= END:
            keys.add(f"nudge:{sub.id}:{week_key(due, weekly.zone)}")
            due = weekly.following(due)
    return keys


async def answer_checkin(owner: Speaker, ask: Ask, story: Story, week: int) -> None:
    replies: list = [ask]
    for _ in range(10):
        if not any(isinstance(r, Ask) for r in replies):
            return
        key = current_key(replies)
        answer = {
            "checkin_reading": f"{story.reading(week)}",
            "checkin_incidents": "1" if story.incident_week == week else "0",
            "checkin_incident_summary": "A wrong cost centre reached the ledger",
            "checkin_changes": "Nothing",
            "checkin_note": "skip",
        }[key]
        replies = await owner.says(answer, reply_to=current_ask_token(replies))
    raise AssertionError("the check-in never ended")


def current_ask_token(replies: list) -> str:
    return [r for r in replies if isinstance(r, Ask)][-1].token


async def test_a_quarter_of_keeping_watch(store: Store) -> None:
    subscriptions = await seed(store)
    clock = Clock(START)
    service = Service(store, clock=clock)
    fake = FakeMessenger()
    watch = Watch(
        store,
        Outbox(store, {"test": fake}, clock=clock, sleep=Sleeps()),
        clock=clock,
        bank=service.bank,
    )
    owners = {
        f"owner-{i:02d}": Speaker(service, f"owner-{i:02d}", timezone=ZONES[i % 3])
        for i in range(POCS)
    }
    seen = 0
    received: Counter[str] = Counter()
    while clock.now < END:
        clock.advance(hours=6)
        await watch.tick()
        for post in fake.posts[seen:]:
            if post.key and post.key.startswith("checkin:"):
                index = int(post.destination.person.split("-")[1])
                story = story_of(index)
                week = (clock.now - START).days // 7 + 1
                received[post.destination.person] += 1
                if (
                    story.away_from_week
                    and received[post.destination.person] >= story.away_from_week
                ):
                    await owners[post.destination.person].says(
                        f"/poc away until {(END + timedelta(days=14)).date()}"
                    )
                elif story.answers:
                    asks = [r for r in post.replies if isinstance(r, Ask)]
                    await answer_checkin(owners[post.destination.person], asks[-1], story, week)
        seen = len(fake.posts)

    keys = Counter(fake.posted_keys())
    assert all(count == 1 for count in keys.values()), [k for k, c in keys.items() if c > 1]
    nudges = {k for k in keys if k and k.startswith("nudge:") and not k.endswith(":detail")}
    assert nudges == expected_nudges(subscriptions)
    for post in fake.posts:
        if post.key and post.key.endswith(":detail"):
            parent = next(p for p in fake.posts if p.key == post.key.removesuffix(":detail"))
            assert post.destination.thread == parent.ref

    checkins = Counter(
        p.destination.person for p in fake.posts if p.key and p.key.startswith("checkin:")
    )
    reminders = Counter(
        p.destination.person for p in fake.posts if p.key and p.key.startswith("checkin-reminder:")
    )
    for index in range(POCS):
        story, owner = story_of(index), f"owner-{index:02d}"
        if story.stage == Stage.STOPPED:
            assert checkins[owner] == 0
        elif story.away_from_week:
            assert checkins[owner] == story.away_from_week
        else:
            assert checkins[owner] in (WEEKS, WEEKS + 1)
        if not story.answers:
            assert reminders[owner] == checkins[owner]
        else:
            assert reminders[owner] == 0

    final = await watch.portfolio_health("test:acme")
    for index in range(POCS):
        story = story_of(index)
        result = final[f"agent-{index:02d}"]
        codes = {f.code for f in result.findings}
        assert result.level == story.expected, (story.name, codes)
        assert story.expected_codes <= codes, (story.name, codes)
