"""No log line holds what a person typed, at any level: every inbound path
(Slack events, commands, button presses, modal submits; Teams messages and
card submits; the console) is driven at DEBUG with a distinct canary string in
every field a person can write, including requests refused for their
signature and malformed bodies, and the whole captured log is searched for
them. Platform ids (team, user, channel) are not canaries: logs name them on
purpose, to find a problem's workspace."""

from __future__ import annotations

import io
import itertools
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog

from bot import logs
from bot.config import Settings
from bot.console.chat import Console, console_actor
from bot.runtime import open_service
from bot.slack import ids
from storage.repository import Store
from tests.slack.conftest import StartBot, fake_slack, no_slack_environment, start_bot
from tests.slack.harness import APP_ID, Slack, sign
from tests.support.scripts import READY
from tests.teams.client import TeamsBotClient, actions, questions
from tests.teams.conftest import Served, fake, serve, sleeps
from tests.teams.fakes import FakeBotFramework

FIXTURES = (fake_slack, no_slack_environment, start_bot, fake, sleeps)
pytestmark = pytest.mark.storage

_numbers = itertools.count(1)
CANARIES: list[str] = []


def canary() -> str:
    """A string nobody would log by chance, remembered to be searched for."""
    found = f"zq{next(_numbers)}canary"
    CANARIES.append(found)
    return found


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("DEBUG", json=True, stream=stream)
    CANARIES.clear()
    yield stream
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def leaked(log: io.StringIO) -> list[str]:
    """The log lines that hold a canary (cut, to be read in a failure)."""
    lines = log.getvalue().splitlines()
    assert any('"level": "debug"' in line for line in lines), "DEBUG lines are written"
    assert len(CANARIES) >= 4, "canaries were sent"
    return [line[:400] for line in lines if any(c in line for c in CANARIES)]


async def test_slack_requests_leave_no_user_text_in_the_log(
    log: io.StringIO, start_bot: StartBot, database_url: str
) -> None:
    slack: Slack = await start_bot(database_url)
    lea = slack.person("U0LEA", canary())
    # a command, with text in every field Slack fills from what people set
    await slack.form(
        {
            "team_id": slack.team,
            "team_domain": canary(),
            "channel_id": "C0TEAM",
            "channel_name": canary(),
            "user_id": lea.user_id,
            "user_name": canary(),
            "command": "/poc",
            "text": "new " + canary(),
            "api_app_id": APP_ID,
            "response_url": slack.fake.response_url("hook-1"),
            "trigger_id": "t.1",
        }
    )
    handle = next(iter(await poc_handles(slack)))
    await lea.runs(f"/poc interview {handle}")
    typed = await lea.answers_until(True, READY)
    await lea.says(canary())  # a typed answer
    await lea.says(canary())  # text the interview does not take
    await lea.opens_home()
    # a button press with a changed value, and one with a changed block id
    question = lea.question()
    button = {"type": "button", "action_id": f"{ids.ANSWER}:0", "value": canary()}
    await lea.acts(question, button, question.blocks[-1].get("block_id"))
    await lea.acts(question, button, "ask0|" + canary())
    await lea.acts(
        question, {"type": "button", "action_id": ids.RUN + ":0", "value": canary()}, "b"
    )
    # a modal submit, typed
    answered = next(m for m in lea.messages() if m.ts == typed.ts)
    await lea.presses_edit(slack.message(answered.channel, answered.ts))
    [view_id] = slack.fake.views
    await lea.submits(view_id, value=canary())
    # refused: a bad signature, no signature, malformed bodies, deep nesting
    body = f"command=%2Fpoc&text={canary()}&team_id=T0ACME&user_id=U0LEA"
    await slack.send(body, "application/x-www-form-urlencoded", headers=sign(body, secret="x"))
    await slack.send(json.dumps({"type": canary()}), "application/json", headers={})
    malformed = json.dumps({"type": "event_callback", "team_id": 5, "x": canary()})
    await slack.send(malformed, "application/json")
    await slack.send("{" + canary(), "application/json")
    await slack.send("[" * 100_000 + canary(), "application/json", headers={})
    payload = json.dumps({"type": "block_actions", "user": canary()})
    await slack.form({"payload": payload})

    assert leaked(log) == []


async def poc_handles(slack: Slack) -> set[str]:
    async with slack.bot.service.store.unit() as repo:
        return {p.handle for p in await repo.pocs(1)}


@pytest.fixture
async def teams_on_both(
    store: Store, fake: FakeBotFramework, sleeps: list[float]
) -> AsyncIterator[Served]:
    async for running in serve(store, fake, sleeps):
        yield running


async def test_teams_activities_leave_no_user_text_in_the_log(
    log: io.StringIO, teams_on_both: Served
) -> None:
    teams: TeamsBotClient = teams_on_both.client
    alice = teams.person("alice")
    await alice.says("new " + canary())
    posted = await alice.says("interview " + canary())
    posted = await alice.says("interview " + next(iter(await teams_handles(teams_on_both))))
    await alice.says(canary())
    _, card = questions(posted.sent)[-1]
    [first, *_] = [a for a in actions(card) if a["type"] == "Action.Submit"]
    await alice.submits(card, {**first["data"], "postpoc_values": canary()})
    await alice.submits(card, {**first["data"], "value": canary()})  # a changed card
    activity = alice.personal(text=canary())
    await teams.post(activity, authorization=None)
    await teams.post(activity, authorization="Bearer " + canary())
    await teams.post({**activity, "conversation": canary()})

    assert leaked(log) == []


async def teams_handles(served: Served) -> set[str]:
    async with served.service.store.unit() as repo:
        return {p.handle for w in await repo.installs.every() for p in await repo.pocs(w.id)}


async def test_the_console_leaves_no_user_text_in_the_log(
    log: io.StringIO, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    service = await open_service(settings)
    try:
        console = Console(service, console_actor(canary()), io.StringIO(), tmp_path)
        for line in (f"/poc new {canary()}", canary(), f"/poc decide x stop {canary()}"):
            await console.send(line)
        await console.send("/poc list")
    finally:
        await service.store.dispose()

    assert leaked(log) == []
