"""The database goes away and comes back; the bot tells people to try again,
leaves nothing half-written, and recovers by itself.

PostgreSQL: a TCP proxy of the test's own (:mod:`tests.reliability.support.tcp_proxy`)
stands between the bot's engine and the server, on a fresh database per test:
connections are cut mid-transaction, refused for a while, or left unanswered,
then restored. The real server is never restarted.

SQLite: another process holds the write lock (``BEGIN IMMEDIATE``) for
longer than the bot waits for it.

After every fault: the person read "try again" (never the apology for a bug,
never a traceback), the data is byte for byte what it was (or, when the
commit itself was cut, whole: every invariant of :mod:`db_state` holds), and
the next message works on the same service, the same process.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from conversations.messages import Ask, Reply
from conversations.service import Service
from storage.database import make_engine, resolve_url
from storage.migrate import upgrade
from storage.repository import Store, Unavailable
from tests.conftest import _libpq_url
from tests.reliability.support.console import POSTPOC, ROOT, Console, environment
from tests.reliability.support.database import broken_invariants, counts, digest, engine_for
from tests.reliability.support.tcp_proxy import TcpProxy
from tests.slack.conftest import StartBot, fake_slack, no_slack_environment, start_bot
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import READY, current_key
from tests.teams.conftest import fake, serve, sleeps
from tests.teams.fakes import FakeBotFramework

TRY_AGAIN = "I can't reach my database right now; nothing was saved. Please try again in a minute."
MAYBE_SAVED = "I lost my connection to the database while saving"
APOLOGY = "Sorry, something went wrong"
# The Slack and Teams suites' fixtures: a fake Slack and the bot; a fake Bot Framework.
FIXTURES = (fake_slack, no_slack_environment, start_bot, fake, sleeps)
CONNECT_TIMEOUT = 2  # psycopg's floor; production waits longer (storage.database)


def told_to_try_again(replies: Sequence[Reply]) -> None:
    shown = text(replies)
    assert shown == TRY_AGAIN, shown


def no_bug_shown(shown: str) -> None:
    assert APOLOGY not in shown and "Traceback" not in shown, shown


# -- PostgreSQL behind a proxy ---------------------------------------------------------


@dataclass
class Postgres:
    direct: str
    """The test database, reached directly (to look at it)."""
    proxied: str
    """The same database through the proxy (what the bot is given)."""
    proxy: TcpProxy
    look: AsyncEngine

    def store(self) -> Store:
        return Store(make_engine(resolve_url(self.proxied), connect_timeout=CONNECT_TIMEOUT))


@pytest.fixture
async def postgres(postgres_server_url: str) -> AsyncIterator[Postgres]:
    name = f"postpoc_t_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq_url(postgres_server_url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    direct = _libpq_url(postgres_server_url, database=name)
    server = make_url(direct)
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432)
    await proxy.start()
    proxied = server.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, resolve_url(direct))
    look = engine_for(direct)
    try:
        yield Postgres(direct, proxied, proxy, look)
    finally:
        await look.dispose()
        await proxy.stop()
        with psycopg.connect(_libpq_url(postgres_server_url), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
async def service(postgres: Postgres) -> AsyncIterator[Service]:
    store = postgres.store()
    try:
        yield Service(store, clock=Clock())
    finally:
        await store.dispose()


async def interview_started(lea: Person, answered: int = 3) -> list[Reply]:
    """Lea registers a POC, starts its interview and answers the first questions."""
    await lea.says("/poc new Invoice agent")
    replies = await lea.says("/poc interview invoice-agent")
    for _ in range(answered):
        replies = await lea.says(READY[current_key(replies)])
    return replies


async def test_a_connection_cut_between_the_revision_bump_and_the_answer_writes_nothing(
    postgres: Postgres, service: Service
) -> None:
    lea = Person(service, "lea")
    asked = await interview_started(lea)
    key = current_key(asked)
    before = await digest(postgres.look)

    cut = postgres.proxy.cut_on(b"INSERT INTO answer ")
    replies = await lea.says(READY[key])
    assert cut.is_set(), "the answer never reached the database"
    told_to_try_again(replies)
    assert await digest(postgres.look) == before

    # The same service, the same engine: the next message simply works.
    again = await lea.says(READY[key])
    assert current_key(again) != key
    assert await broken_invariants(postgres.look) == []
    assert (await counts(postgres.look, "answer"))["answer"] == 4


async def test_a_connection_cut_mid_registration_leaves_no_poc_without_its_audit_event(
    postgres: Postgres, service: Service
) -> None:
    lea = Person(service, "lea")
    await lea.says("hello")
    before = await digest(postgres.look)

    cut = postgres.proxy.cut_on(b"INSERT INTO auditevent ")
    told_to_try_again(await lea.says("/poc new Invoice agent"))
    assert cut.is_set()
    assert await digest(postgres.look) == before

    assert "invoice-agent" in text(await lea.says("/poc new Invoice agent"))
    assert await broken_invariants(postgres.look) == []
    assert (await counts(postgres.look, "poc"))["poc"] == 1


async def test_a_connection_lost_during_the_commit_says_it_may_have_been_saved(
    postgres: Postgres, service: Service
) -> None:
    """The server got COMMIT but the bot never heard back: the one case where
    the bot can't know. It says so instead of claiming nothing was saved, and
    the data is whole: here the server did commit (it read COMMIT before the
    end of the stream), so the answer is there, all of it."""
    lea = Person(service, "lea")
    asked = await interview_started(lea)
    question = [r for r in asked if isinstance(r, Ask)][-1]
    key = current_key(asked)

    cut = postgres.proxy.cut_after(b"COMMIT")
    replies = await lea.says(READY[key])
    assert cut.is_set()
    shown = text(replies)
    assert MAYBE_SAVED in shown, shown
    no_bug_shown(shown)
    assert (await counts(postgres.look, "answer"))["answer"] == 4
    assert await broken_invariants(postgres.look) == []

    # Sent again from the question they were looking at, it can't answer the next one.
    again = await lea.says(READY[key], reply_to=question.token)
    assert "That question was already answered" in text(again), text(again)
    assert (await counts(postgres.look, "answer"))["answer"] == 4
    assert current_key(await lea.says("/poc interview invoice-agent")) != key


async def test_while_the_server_is_down_everyone_is_told_to_try_again_and_it_recovers(
    postgres: Postgres, service: Service
) -> None:
    lea, omar = Person(service, "lea"), Person(service, "omar")
    asked = await interview_started(lea)
    await omar.says("hello")
    before = await digest(postgres.look)

    await postgres.proxy.refuse()
    started = time.monotonic()
    for replies in (
        await lea.says(READY[current_key(asked)]),
        await lea.says("/poc new Claims agent"),
        await omar.says("/poc list"),
        await omar.runs("summary invoice-agent"),
        await Person(service, "newcomer").says("hello"),
        list(await service.pending(lea.actor)),  # what the console shows at start
    ):
        told_to_try_again(replies)
    assert time.monotonic() - started < 10, "a refused connection is reported at once"
    assert await digest(postgres.look) == before

    await postgres.proxy.restore()
    assert current_key(await lea.says(READY[current_key(asked)])) != current_key(asked)
    assert "invoice-agent" in text(await omar.says("/poc list"))
    assert await broken_invariants(postgres.look) == []


async def test_a_restart_drops_pooled_connections_and_the_next_message_reconnects(
    postgres: Postgres, service: Service
) -> None:
    lea = Person(service, "lea")
    asked = await interview_started(lea)
    accepted = postgres.proxy.accepted

    postgres.proxy.cut()  # every idle connection in the pool is now dead
    assert current_key(await lea.says(READY[current_key(asked)])) != current_key(asked)
    assert postgres.proxy.accepted > accepted
    assert await broken_invariants(postgres.look) == []


async def test_the_weekly_pass_reads_see_an_outage_as_unavailable_and_recover(
    postgres: Postgres,
) -> None:
    """The read-only transactions of the weekly pass fail like the others (the
    scheduler logs it and tries again at the next pass; ``tick`` says it in one line)."""
    store = postgres.store()
    try:
        await postgres.proxy.refuse()
        with pytest.raises(Unavailable):
            async with store.reading() as repo:
                await repo.installs.every()
        await postgres.proxy.restore()
        async with store.reading() as repo:
            assert list(await repo.installs.every()) == []
    finally:
        await store.dispose()


async def test_an_unanswering_server_is_reported_within_the_connect_timeout(
    postgres: Postgres, service: Service
) -> None:
    """A black hole (packets dropped, nothing refused) must not hold a person for minutes."""
    lea = Person(service, "lea")
    await lea.says("/poc new Invoice agent")
    before = await digest(postgres.look)

    postgres.proxy.cut()
    postgres.proxy.hold()
    started = time.monotonic()
    async with asyncio.timeout(30):
        replies = await lea.says("/poc list")
    told_to_try_again(replies)
    assert time.monotonic() - started < CONNECT_TIMEOUT * 4
    assert await digest(postgres.look) == before

    postgres.proxy.cut()
    await postgres.proxy.restore()
    assert "invoice-agent" in text(await lea.says("/poc list"))


async def test_production_waits_a_bounded_time_for_a_connection() -> None:
    """Not psycopg's 130 s: a person would wait that long to be told to try again."""
    engine = make_engine(resolve_url("postgresql://db.invalid/postpoc"))
    asked: dict[str, object] = {}

    @event.listens_for(engine.sync_engine, "do_connect")
    def capture(
        _dialect: object, _record: object, _args: object, params: dict[str, object]
    ) -> None:
        asked.update(params)
        raise ConnectionAbortedError("the test stops here")

    try:
        with pytest.raises(ConnectionAbortedError):
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert asked["connect_timeout"] == 10
    # A peer that vanished mid-query is noticed by TCP keepalives in about a minute.
    assert asked["keepalives_idle"] == 30


async def test_the_console_survives_an_outage_without_restarting(
    postgres: Postgres, tmp_path: Path
) -> None:
    proxied = f"{postgres.proxied}?connect_timeout={CONNECT_TIMEOUT}"
    console = await Console.start(tmp_path, DATABASE_URL=proxied)
    try:
        await console.until_prompt()
        assert "Registered Invoice agent" in await console.send("/poc new Invoice agent")

        await postgres.proxy.refuse()
        during = await console.send("/poc list")
        assert TRY_AGAIN in during
        no_bug_shown(during)

        await postgres.proxy.restore()
        assert "invoice-agent" in await console.send("/poc list")
        postgres.proxy.cut()
        assert "Prohibited uses" in await console.send("/poc interview invoice-agent")
        status, _ = await console.close()
    finally:
        await console.kill()
    assert status == 0
    no_bug_shown(console.transcript.decode(errors="replace"))
    assert await broken_invariants(postgres.look) == []


@pytest.mark.parametrize(
    "command", [["chat", "--user", "lea"], ["db", "upgrade"], ["tick"]], ids=" ".join
)
async def test_starting_while_the_database_is_down_says_so_in_one_line(
    postgres: Postgres, tmp_path: Path, command: list[str]
) -> None:
    await postgres.proxy.refuse()
    process = await asyncio.create_subprocess_exec(
        *POSTPOC,
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment(tmp_path, DATABASE_URL=postgres.proxied),
        cwd=ROOT,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode == 1
    said = err.decode()
    assert said.startswith("postpoc: can't reach the database: "), said
    assert "Connection refused" in said and "Traceback" not in said + out.decode()
    assert len(said.strip().splitlines()) == 1, said


# -- SQLite locked by another process ---------------------------------------------------

LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
print("released", flush=True)
"""


class Locker:
    """Another process holding SQLite's write lock until released."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Locker:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LOCKER,
            str(self.path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        async with asyncio.timeout(30):
            assert await self.process.stdout.readline() == b"locked\n"
        return self

    async def release(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"\n")
        await self.process.stdin.drain()
        async with asyncio.timeout(30):
            assert await self.process.stdout.readline() == b"released\n"
            await self.process.wait()

    async def __aexit__(self, *_: object) -> None:
        await self.release()


async def test_sqlite_locked_longer_than_the_busy_timeout_asks_to_try_again(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'postpoc.db'}"
    upgrade(resolve_url(url))
    store = Store(make_engine(resolve_url(url), lock_timeout=0.3))
    look = engine_for(url)
    try:
        service = Service(store, clock=Clock())
        lea, omar = Person(service, "lea"), Person(service, "omar")
        asked = await interview_started(lea)
        before = await digest(look)

        async with Locker(tmp_path / "postpoc.db") as locker:
            for replies in (
                await lea.says(READY[current_key(asked)]),
                await omar.says("hello"),
                await lea.says("/poc new Claims agent"),
            ):
                told_to_try_again(replies)
            await locker.release()

        assert await digest(look) == before
        assert current_key(await lea.says(READY[current_key(asked)])) != current_key(asked)
        assert "Hello Omar" in text(await omar.says("hello"))
        assert await broken_invariants(look) == []
    finally:
        await look.dispose()
        await store.dispose()


async def test_sqlite_production_waits_thirty_seconds_for_a_lock(tmp_path: Path) -> None:
    store = Store(make_engine(resolve_url(f"sqlite:///{tmp_path / 'p.db'}")))
    try:
        async with store.engine.connect() as connection:
            waited = await connection.exec_driver_sql("PRAGMA busy_timeout")
            assert waited.scalar_one() == 30_000
    finally:
        await store.dispose()


async def test_the_console_on_a_locked_sqlite_file_asks_to_try_again_then_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "postpoc.db"
    console = await Console.start(tmp_path, DATABASE_URL=f"sqlite:///{path}?timeout=0.5")
    try:
        await console.until_prompt()
        assert "Registered Invoice agent" in await console.send("/poc new Invoice agent")
        async with Locker(path):
            during = await console.send("/poc new Claims agent")
            assert TRY_AGAIN in during
            no_bug_shown(during)
        assert "claims-agent" in await console.send("/poc new Claims agent")
        status, _ = await console.close()
    finally:
        await console.kill()
    assert status == 0
    no_bug_shown(console.transcript.decode(errors="replace"))


# -- through the platforms' HTTP endpoints ----------------------------------------------


async def test_slack_people_are_told_to_try_again_during_an_outage(
    postgres: Postgres, start_bot: StartBot
) -> None:
    slack = await start_bot(f"{postgres.proxied}?connect_timeout={CONNECT_TIMEOUT}")
    lea = slack.person("U0LEA", "Léa Martin")
    assert "invoice-agent" in str(lea.replies(await lea.runs("/poc new Invoice agent")))
    before = await digest(postgres.look)

    await postgres.proxy.refuse()
    during = lea.replies(await lea.runs("/poc new Claims agent"))
    assert lea.last_reply is not None and lea.last_reply.status == 200
    assert TRY_AGAIN in str(during), during
    acked = await lea.says("hello")
    assert acked.status == 200
    assert TRY_AGAIN in lea.last().words()
    assert await digest(postgres.look) == before

    await postgres.proxy.restore()
    assert "invoice-agent" in str(lea.replies(await lea.runs("/poc list")))
    await lea.says("hello")
    assert "Hello" in lea.last().words()
    assert await broken_invariants(postgres.look) == []


async def test_teams_people_are_told_to_try_again_during_an_outage(
    postgres: Postgres, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    store = postgres.store()
    try:
        async for served in serve(store, fake, sleeps):
            alice = served.client.person("alice")
            assert "Hello Alice" in (await alice.says("hello")).text()
            before = await digest(postgres.look)

            await postgres.proxy.refuse()
            during = await alice.says("/poc new Invoice agent")
            assert during.status < 500
            assert TRY_AGAIN in during.text(), during.text()
            assert await digest(postgres.look) == before

            await postgres.proxy.restore()
            assert "invoice-agent" in (await alice.says("/poc new Invoice agent")).text()
    finally:
        await store.dispose()
    assert await broken_invariants(postgres.look) == []
