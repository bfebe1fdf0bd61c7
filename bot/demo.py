"""``postpoc demo``: a realistic portfolio in its own database.

The stories of :mod:`bot.demo_portfolio` are played through the real
service, as people would type them in the console: registering each POC,
naming its owner, answering every question of the interview (so each answer
is parsed and checked by the bank and stored by the engine), deciding. What
happens after the decision over thirteen weeks (readings, check-ins answered,
missed or reporting incidents, a decision reopened) is written as the weekly
watch would store it. Everything is dated from one clock, and what varies
(the noise on readings) comes from a seeded generator: the same seed and
clock make the same portfolio.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console.chat import CHANNEL, WORKSPACE
from bot.demo_portfolio import LEADS, PEOPLE, READY, STORIES, Story
from conversations.bank import Bank, QuestionDef, load_bank
from conversations.engine import read_token
from conversations.handlers import make_handle
from conversations.messages import Actor, Ask, Inbound, PersonRef, Place, Reply
from conversations.record import REOPENED
from conversations.schedule import week_key
from conversations.service import Service
from storage.models import CheckIn, CheckInStatus, Reading
from storage.repository import Store

WEEKS = 13
DEMO_DATABASE = "demo.db"
TIMEZONE = "Europe/Paris"


class DemoError(Exception):
    """The demo can't be built there; the message says why."""


def demo_settings(settings: Settings, into: str | None) -> Settings:
    """The settings with the demo's database: ``into``, or a fresh ``demo.db``
    in the data directory (never the default database)."""
    if into:
        return settings.model_copy(update={"database_url": into})
    path = settings.data_dir() / DEMO_DATABASE
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return settings.model_copy(update={"database_url": f"sqlite:///{path}"})


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Player:
    """Sends what people type to the service, as the console does."""

    def __init__(self, service: Service, me: Actor) -> None:
        self.service = service
        self.me = me
        self.names = {pid: name for pid, name, _ in PEOPLE} | {me.user_id: me.display_name}
        self.locales = {pid: locale for pid, _, locale in PEOPLE} | {me.user_id: me.locale}

    def actor(self, who: str) -> Actor:
        if who == self.me.user_id:
            return self.me
        return Actor(WORKSPACE, who, self.names[who], self.locales[who], TIMEZONE)

    async def says(self, who: str, text: str, *, command: bool = False) -> list[Reply]:
        mentions = tuple(
            PersonRef(w[1:], self.names.get(w[1:])) for w in text.split() if w.startswith("@")
        )
        channel = CHANNEL if who == self.me.user_id else f"dm-{who}"
        inbound = Inbound(
            actor=self.actor(who),
            place=Place(channel_id=channel, is_direct=True),
            text=text,
            is_command=command,
            mentions=mentions,
        )
        outcome = await self.service.handle(inbound)
        return list(outcome.replies)

    async def in_channel(self, who: str, text: str) -> list[Reply]:
        inbound = Inbound(
            actor=self.actor(who),
            place=Place(channel_id=CHANNEL, is_direct=False),
            text=text,
            is_command=True,
        )
        return list((await self.service.handle(inbound)).replies)


def fallback_answer(question: QuestionDef, today: date) -> str:
    """A valid answer to a question the story does not script."""
    kind = question.type.value
    if kind in ("choice", "multi_choice"):
        values = [v for v in question.choice_values if v not in ("dont_know", "none")]
        return (values or list(question.choice_values))[0]
    if kind == "yes_no":
        return "yes"
    if kind == "number":
        return str(int(question.min) if question.min is not None and question.min > 0 else 1)
    if kind == "scale":
        return "4"
    if kind == "date":
        return (today + timedelta(days=90)).isoformat()
    if kind == "person":
        return "Claire Martin"
    return "Described in the POC's file"


def _asked(replies: list[Reply]) -> Ask | None:
    asks = [r for r in replies if isinstance(r, Ask)]
    return asks[-1] if asks else None


async def interview(player: Player, bank: Bank, clock: Clock, story: Story, handle: str) -> int:
    """Answers the interview as the story says; returns how many answers were given."""
    script = {**READY, **story.answers}
    replies = await player.says(story.owner, f"interview {handle}", command=True)
    given = 0
    tried: set[str] = set()
    while (ask := _asked(replies)) is not None:
        if story.answered is not None and given >= story.answered:
            await player.says(story.owner, "pause")
            break
        token = read_token(ask.token)
        assert token is not None
        key = token.key
        if key in story.skip:
            text = "skip"
        elif key in script and (key not in tried or not ask.error):
            text = script[key]
        else:
            text = fallback_answer(bank.question(key), clock.now.date())
        tried.add(key)
        clock.advance(minutes=2)
        replies = await player.says(story.owner, text)
        given += 1
        if given > 400:
            raise DemoError(f"the interview of {handle} never ended (at {key})")
    return given


def _series(story: Story, baseline: float, target: float, noise: random.Random) -> list[float]:
    """Thirteen weekly values: from near the POC's result towards the story's end."""
    span = target - baseline
    values = []
    for week in range(WEEKS):
        progress = week / (WEEKS - 1)
        if story.trend == "away":
            # Reaches the target, then drifts back past the threshold.
            level = target + span * 0.1 if week < 7 else target - span * (0.12 * (week - 6))
        elif story.trend == "flat":
            level = baseline - span * 0.05
        else:
            level = baseline + span * min(1.05, 0.7 + 0.5 * progress)
        values.append(round(level + noise.uniform(-0.03, 0.03) * abs(span), 1))
    return values


async def after_decision(
    store: Store, player: Player, story: Story, handle: str, start: datetime, seed: int
) -> tuple[int, int]:
    """Readings, check-ins and a reopening, as the weekly watch stores them."""
    noise = random.Random(f"{seed}:{handle}")  # noqa: S311  (noise on demo data, not a secret)
    readings = checkins = 0
    async with store.unit() as repo:
        workspace = await repo.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        poc = await repo.poc(workspace.id, handle)
        assert poc is not None and poc.id is not None
        owner = await repo.person(workspace.id, story.owner)
        assert owner is not None and owner.id is not None
        indicators = list(await repo.indicators(poc.id))
        indicator = indicators[0] if indicators else None
        series: list[float] = []
        if indicator is not None and story.trend != "none":
            baseline = indicator.baseline if indicator.baseline is not None else 0.0
            target = indicator.target if indicator.target is not None else baseline
            series = _series(story, baseline, target, noise)
        for week in range(WEEKS):
            sent = start + timedelta(weeks=week)
            week_name = week_key(sent, ZoneInfo("UTC"))
            answered = story.checkins and week not in story.missed
            if series and indicator is not None and indicator.id is not None:
                await repo.add_reading(
                    Reading(
                        indicator_id=indicator.id,
                        value=series[week],
                        taken_on=sent.date(),
                        person_id=owner.id,
                        source="checkin" if answered else "command",
                        created_at=sent + timedelta(hours=1),
                    )
                )
                readings += 1
            if not story.checkins:
                continue
            incidents, summary = story.incidents.get(week, (0, None))
            await repo.add_checkin(
                CheckIn(
                    poc_id=poc.id,
                    person_id=owner.id,
                    week=week_name,
                    status=CheckInStatus.ANSWERED if answered else CheckInStatus.SENT,
                    sent_at=sent,
                    reminded_at=None if answered else sent + timedelta(hours=48),
                    answered_at=sent + timedelta(hours=1) if answered else None,
                    incidents=incidents if answered else None,
                    incident_summary=summary if answered else None,
                    changes=["model"] if week in story.changed else [],
                    retested=False if week in story.changed else None,
                )
            )
            checkins += 1
            if answered:
                await repo.audits.write(
                    workspace.id,
                    "checkin_answered",
                    person_id=owner.id,
                    poc_id=poc.id,
                    detail={"week": week_name, "incidents": incidents},
                    at=sent + timedelta(hours=1),
                )
        if story.reopened:
            # Written as the watch writes a reopening; the POC stays at its stage.
            await repo.audits.write(
                workspace.id,
                REOPENED,
                poc_id=poc.id,
                detail={"reason": story.reopened},
                at=start + timedelta(weeks=WEEKS - 1, hours=2),
            )
        if story.away_weeks:
            owner.away_until = (start + timedelta(weeks=WEEKS + story.away_weeks)).date()
            await repo.save(owner)
    return readings, checkins


async def build_demo(store: Store, me: Actor, now: datetime, *, seed: int = 18) -> str:
    """Fills ``store`` with the demo portfolio, dated so that its last week
    ends at ``now``; returns a one-paragraph report."""
    if me.user_id in {pid for pid, _, _ in PEOPLE}:
        raise DemoError(f"{me.user_id} is one of the demo's people; choose another --user")
    async with store.reading() as repo:
        existing = await repo.workspace(WORKSPACE)
        if existing is not None and existing.id is not None and await repo.handles(existing.id):
            raise DemoError(
                "that database already has POCs in the console workspace; give --into an empty one"
            )
    start = now - timedelta(weeks=WEEKS + 3)
    clock = Clock(start)
    bank = load_bank()
    service = Service(store, bank=bank, clock=clock)
    me = replace(me, workspace=WORKSPACE, timezone=TIMEZONE)
    player = Player(service, me)
    await player.says(me.user_id, "hello", command=True)  # the first person: admin
    for person, _, _ in PEOPLE:
        clock.advance(minutes=1)
        await player.says(person, "hello", command=True)
    for lead in LEADS:
        await player.says(me.user_id, f"role @{lead} lead", command=True)
    await player.in_channel(me.user_id, f"subscribe weekly monday 09:00 {TIMEZONE}")
    answers = 0
    handles: list[tuple[Story, str]] = []
    for number, story in enumerate(STORIES):
        clock.now = start + timedelta(hours=number * 5)
        handle = make_handle(story.title, {h for _, h in handles})
        await player.says(me.user_id, f"new {story.title}", command=True)
        await player.says(me.user_id, f"owner {handle} @{story.owner}", command=True)
        answers += await interview(player, bank, clock, story, handle)
        handles.append((story, handle))
    decided = 0
    for number, (story, handle) in enumerate(handles):
        if story.decision is None:
            continue
        clock.now = start + timedelta(weeks=2, hours=number)
        outcome, rationale = story.decision
        await player.says(story.decided_by, f"decide {handle} {outcome} {rationale}", command=True)
        decided += 1
    readings = checkins = 0
    for story, handle in handles:
        if story.answered is not None:
            continue
        made = await after_decision(store, player, story, handle, start + timedelta(weeks=3), seed)
        readings += made[0]
        checkins += made[1]
    return (
        f"Demo portfolio: {len(handles)} POCs, {answers} answers, {decided} decisions, "
        f"{readings} readings, {checkins} check-ins, 1 subscribed channel."
    )
