"""``POST /hooks/readings`` over real HTTP: what it accepts, what it refuses
(nothing stored then), and the secrets behind it."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli import main
from tests.support.conversation import Person, text
from tests.telemetry.conftest import (
    HANDLE,
    Client,
    World,
    body_of,
    post,
    reading,
    secret_in,
    sign,
)

pytestmark = pytest.mark.storage


def now_of(world: World) -> int:
    return int(world.clock.now.timestamp())


async def test_a_signed_reading_is_stored_once_and_marked_as_telemetry(
    world: World, hook: Client
) -> None:
    secret = secret_in(await world.omar.says(f"/poc token {HANDLE}"))
    body = body_of(reading(31.5))
    assert await post(hook, secret, body, now_of(world)) == (
        200,
        {"ok": True, "stored": 1, "duplicates": 0},
    )
    again = body_of(reading(31.5), reading(33, at="2026-11-02T07:00:00+00:00"))
    assert (await post(hook, secret, again, now_of(world)))[1] == {
        "ok": True,
        "stored": 1,
        "duplicates": 1,
    }
    stored = await world.readings()
    assert [(r.value, r.source) for r in stored] == [(31.5, "webhook"), (33.0, "webhook")]

    summary = text(await world.lea.says(f"/poc summary {HANDLE}"))
    assert "33 minutes on Nov 2, 2026 (from telemetry)" in summary
    assert "2 readings, latest 33 minutes (2 from telemetry)" in summary


REFUSALS = [
    ("unsigned", 401, "unsigned"),
    ("stale", 401, "stale"),
    ("from the future", 401, "stale"),
    ("wrong signature", 401, "bad_signature"),
    ("body changed after signing", 401, "bad_signature"),
    ("unknown poc", 401, "unknown_poc"),
    ("unknown indicator", 400, "unknown_indicator"),
    ("not json", 400, "malformed"),
    ("value not a number", 400, "malformed"),
    ("at without a time zone", 400, "malformed"),
    ("extra field", 400, "malformed"),
    ("two pocs in one list", 400, "malformed"),
    ("oversized", 400, "too_large"),
]


async def _refusal(hook: Client, secret: str, now: int, case: str) -> tuple[int, dict[str, object]]:
    body = body_of(reading(30))
    if case == "unsigned":
        return await post(hook, None, body, now)
    if case == "stale":
        return await post(hook, secret, body, now - 301)
    if case == "from the future":
        return await post(hook, secret, body, now + 301)
    if case == "wrong signature":
        return await post(hook, "pps_" + "0" * 64, body, now)
    if case == "body changed after signing":
        signature = sign(secret, now, body)
        return await post(hook, secret, body_of(reading(1)), now, signature=signature)
    if case == "oversized":
        big = body_of(*[reading(i, at=f"2026-11-01T{i % 24:02}:00:00Z") for i in range(500)])
        return await post(hook, secret, big[:-1] + b" " * 70_000 + b"]", now)
    bodies = {
        "unknown poc": body_of(reading(30, poc="nobody-here")),
        "unknown indicator": body_of(reading(30, indicator="tickets")),
        "not json": b"{value: 3",
        "value not a number": body_of({**reading(30), "value": "thirty"}),
        "at without a time zone": body_of(reading(30, at="2026-11-02T06:00:00")),
        "extra field": body_of(reading(30, person="omar")),
        "two pocs in one list": body_of(reading(30), reading(31, poc="other")),
    }
    return await post(hook, secret, bodies[case], now)


async def test_refused_requests_say_why_and_store_nothing(world: World, hook: Client) -> None:
    secret = secret_in(await world.omar.says(f"/poc token {HANDLE}"))
    seen = []
    for case, _, _ in REFUSALS:
        status, answer = await _refusal(hook, secret, now_of(world), case)
        assert answer["ok"] is False
        seen.append((case, status, answer["reason"]))
    assert seen == REFUSALS
    assert await world.readings() == []


async def test_the_five_minute_window_follows_the_injected_clock(
    world: World, hook: Client
) -> None:
    secret = secret_in(await world.omar.says(f"/poc token {HANDLE}"))
    signed_at = now_of(world)
    body = body_of(reading(20))
    world.clock.advance(minutes=4, seconds=59)
    assert (await post(hook, secret, body, signed_at))[0] == 200
    world.clock.advance(seconds=2)
    assert (await post(hook, secret, body, signed_at))[1]["reason"] == "stale"


async def test_the_token_is_shown_once_privately_and_rotating_retires_the_old_one(
    world: World, hook: Client
) -> None:
    first = await world.lea.runs(f"token {HANDLE}", channel="C-team")
    assert first[0].visibility == "private"  # ephemeral on Slack, personal chat on Teams
    old = secret_in(first)
    again = text(await world.lea.runs(f"token {HANDLE}", channel="C-team"))
    assert "pps_" not in again and "shown only once" in again
    new = secret_in(await world.omar.says(f"/poc token {HANDLE} rotate"))
    assert new != old
    body = body_of(reading(20))
    assert (await post(hook, old, body, now_of(world)))[1]["reason"] == "bad_signature"
    assert (await post(hook, new, body, now_of(world)))[0] == 200
    assert [e for e in await world.audit("telemetry_token_rotated")] == [{}]


async def test_only_the_owner_or_a_lead_gets_the_token(world: World) -> None:
    sam = Person(world.service, "sam")
    await sam.says("hello")
    refused = text(await sam.says(f"/poc token {HANDLE}"))
    assert "Only the owner of invoice-agent or a lead" in refused and "pps_" not in refused


async def test_the_secret_picks_the_workspace_when_handles_repeat(
    world: World, hook: Client
) -> None:
    from tests.telemetry.conftest import running_poc

    other_lea = Person(world.service, "lea", workspace="test:globex")
    other_omar = Person(world.service, "omar", workspace="test:globex")
    for person in (other_lea, other_omar):
        await person.says("hello")
    await running_poc(world.service, other_lea, other_omar)
    ours = secret_in(await world.lea.says(f"/poc token {HANDLE}"))
    theirs = secret_in(await other_lea.says(f"/poc token {HANDLE}"))
    assert (await post(hook, theirs, body_of(reading(44)), now_of(world)))[0] == 200
    assert await world.readings() == []  # ours untouched: the reading went to globex
    assert (await post(hook, ours, body_of(reading(11)), now_of(world)))[0] == 200
    assert [r.value for r in await world.readings()] == [11.0]


async def test_the_cli_gives_the_same_kind_of_token(
    world: World,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)

    async def cli(*args: str) -> int:
        # The CLI runs its own event loop, as from a shell.
        return await asyncio.to_thread(main, ["token", HANDLE, "--workspace", "test:acme", *args])

    assert await cli() == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("pps_") and len(printed) == 68
    assert await cli() == 1
    assert "shown only once" in capsys.readouterr().err
    assert await cli("--rotate") == 0
    assert capsys.readouterr().out.strip() != printed
