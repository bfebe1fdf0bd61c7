"""``postpoc``: the bot and its administration from the command line.

Each command imports what it needs when it runs (the settings, the database,
the platforms): ``postpoc --help`` or ``postpoc bank check`` pays for none
of it, and :func:`main` pauses the garbage collector before the first of
those imports (``bot.startup``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot import startup

if TYPE_CHECKING:
    from bot.config import Settings
    from storage.repository import Store


def _logging(settings: Settings, quiet: bool = False) -> None:
    from bot import logs

    json = {"auto": None, "json": True, "console": False}[settings.log_format]
    logs.configure("WARNING" if quiet else settings.log_level, json=json)


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"]).upper()
        message = str(first["msg"]).removeprefix("Value error, ").splitlines()[0]
        where = f"setting {name}: " if name else ""
        raise SystemExit(
            f"postpoc: {where}{message} (postpoc doctor lists every problem)"
        ) from None


def _chat(args: argparse.Namespace) -> int:
    from bot.console.chat import chat, console_actor
    from bot.runtime import open_service

    settings = _settings()
    _logging(settings, quiet=True)

    async def run() -> None:
        service = await open_service(settings)
        startup.started()
        try:
            await chat(
                service, console_actor(args.user, args.locale), settings.data_dir() / "charts"
            )
        finally:
            await service.store.dispose()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        print()
    return 0


def _serve(_: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.any_platform:
        print(
            "postpoc: no Slack or Teams settings are configured; "
            "`postpoc chat` runs the bot in this terminal.",
            file=sys.stderr,
        )
        return 2
    from bot.server import serve

    _logging(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings))
    return 0


def _run(args: argparse.Namespace) -> int:
    """The bot on whatever platform is configured; the console when none is."""
    return _serve(args) if _settings().any_platform else _chat(args)


def _tick(_: argparse.Namespace) -> int:
    """One pass of the weekly watch: plan what is due, send it, exit."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from bot import executor
    from bot.runtime import open_service, platform_messengers
    from bot.scheduler import build_watch, summarise
    from conversations.service import utc_now
    from conversations.watch import TickReport
    from storage.repository import Unavailable

    settings = _settings()
    _logging(settings)
    # Hidden, for tests only: the pass runs as if it were then (an ISO time).
    fixed = os.environ.get("POSTPOC_NOW")
    now = datetime.fromisoformat(fixed) if fixed else None

    from bot import tick

    reports: list[TickReport] = []

    async def run() -> None:
        executor.install()
        service = await open_service(settings, clock=(lambda: now) if now else utc_now)
        try:
            watch = build_watch(service, platform_messengers(service, settings), settings)
            reports.append(await watch.tick())
        finally:
            await service.store.dispose()

    started, clock = time.time(), time.perf_counter()
    error = None
    try:
        asyncio.run(run())
    except (OperationalError, InterfaceError, Unavailable) as failure:
        # Pushed as a pass that could not finish, then said as every command says it.
        if settings.pushgateway_url:
            outcome = tick.Outcome(None, "database", started, time.perf_counter() - clock)
            tick.push(settings.pushgateway_url, outcome)
        raise failure from None
    except Exception as failure:
        # A bug: its traceback goes to the log, the scheduler gets the line and the code.
        logging.getLogger("postpoc.tick").exception("the pass could not finish")
        error = f"{type(failure).__name__}: {_reason(failure)}"
    report = reports[0] if reports else None
    outcome = tick.Outcome(report, error, started, time.perf_counter() - clock)
    if settings.pushgateway_url:
        tick.push(settings.pushgateway_url, outcome)
    print(tick.summary(outcome, summarise(report) if report else ""))
    return outcome.exit_code


def _db_upgrade(_: argparse.Namespace) -> int:
    from storage import migrate

    settings = _settings()
    _logging(settings)  # Alembic's lines too: JSON under LOG_FORMAT=json
    url = settings.db_url()
    # Alembic names each migration as it runs it: that is the progress shown.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
    migrate.upgrade(url)
    print(
        f"database at revision {migrate.head_revision()} ({url.render_as_string(hide_password=True)})"
    )
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from storage import migrate

    settings = _settings()
    _logging(settings)
    url = settings.db_url()
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
    try:
        before = migrate.downgrade(url, args.revision)
    except migrate.DowngradeRefused as refused:
        print(f"postpoc: db downgrade: {refused}", file=sys.stderr)
        return 1
    print(
        f"database at revision {args.revision}, was {before} ({url.render_as_string(hide_password=True)})"
    )
    return 0


def _db_current(_: argparse.Namespace) -> int:
    from storage import migrate

    url = _settings().db_url()
    current = migrate.is_current(url)
    print(
        "up to date"
        if current
        else f"behind: head is {migrate.head_revision()}; run postpoc db upgrade"
    )
    return 0 if current else 1


def _db_revision(args: argparse.Namespace) -> int:
    import tempfile

    from storage import migrate

    with tempfile.TemporaryDirectory() as workdir:
        migrate.new_revision(args.message, Path(workdir))
    return 0


def _admin(action: Callable[[Store, datetime], Awaitable[str]]) -> int:
    from bot.admin import AdminError
    from storage.database import make_engine
    from storage.repository import Store

    settings = _settings()
    _logging(settings, quiet=True)

    async def run() -> str:
        store = Store(make_engine(settings.db_url()))
        try:
            return await action(store, datetime.now(UTC))
        finally:
            await store.dispose()

    try:
        print(asyncio.run(run()))
    except AdminError as error:
        print(f"postpoc: {error}", file=sys.stderr)
        return 1
    return 0


def _role(args: argparse.Namespace) -> int:
    from bot.admin import set_role

    return _admin(lambda store, now: set_role(store, args.person, args.role, args.workspace, now))


def _forget(args: argparse.Namespace) -> int:
    from bot.admin import forget

    return _admin(lambda store, now: forget(store, args.person, args.workspace, now))


def _export(args: argparse.Namespace) -> int:
    from bot.admin import collect, write_csv, write_json

    # Into the data directory by default: the working directory may be
    # read-only (a container's root file system) or shared.
    out = Path(args.out) if args.out else _settings().data_dir() / "export"

    async def action(store: Store, _: datetime) -> str:
        export = await collect(store, args.workspace)
        written = (write_json if args.format == "json" else write_csv)(export, out)
        return "\n".join(str(path) for path in written)

    return _admin(action)


def _fixed_now() -> datetime:
    """Now, or (hidden, for tests) the ISO time in POSTPOC_NOW."""
    fixed = os.environ.get("POSTPOC_NOW")
    return datetime.fromisoformat(fixed) if fixed else datetime.now(UTC)


def _record(args: argparse.Namespace) -> int:
    from bot.admin import AdminError
    from bot.console.chat import console_locale
    from bot.records import write_record

    settings = _settings()
    try:
        print(
            asyncio.run(
                write_record(
                    settings.db_url(),
                    args.poc,
                    args.format,
                    args.out,
                    args.workspace,
                    args.locale or console_locale(),
                    _fixed_now(),
                )
            ),
            end="",
        )
    except AdminError as error:
        print(f"postpoc: {error}", file=sys.stderr)
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.console.chat import chat, console_actor
    from bot.demo import DemoError, build_demo, demo_settings
    from bot.runtime import open_service
    from conversations.service import utc_now

    settings = _settings()
    _logging(settings, quiet=True)
    try:
        demo = demo_settings(settings, args.into)
    except DemoError as error:
        print(f"postpoc: {error}", file=sys.stderr)
        return 1
    now = _fixed_now()
    actor = console_actor(args.user, args.locale)

    async def run() -> None:
        service = await open_service(demo, clock=lambda: now)
        try:
            report = await build_demo(service.store, actor, now, seed=args.seed)
            print(report, flush=True)
        finally:
            await service.store.dispose()
        if args.no_chat:
            return
        service = await open_service(
            demo, clock=(lambda: now) if os.environ.get("POSTPOC_NOW") else utc_now
        )
        try:
            await chat(service, actor, demo.data_dir() / "charts")
        finally:
            await service.store.dispose()

    try:
        asyncio.run(run())
    except DemoError as error:
        print(f"postpoc: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print()
    return 0


def _token(args: argparse.Namespace) -> int:
    from bot.tokens import token

    return _admin(lambda store, now: token(store, args.poc, args.workspace, args.rotate, now))


def _doctor(_: argparse.Namespace) -> int:
    from bot.doctor import doctor

    status, lines = doctor()
    print("\n".join(lines))
    return status


def _bank_draw(args: argparse.Namespace) -> int:
    from conversations.bank import load_bank, mermaid

    print(mermaid(load_bank(), args.locale), end="")
    return 0


def _bank_check(args: argparse.Namespace) -> int:
    from conversations.bank import BankError, load_bank, parse_bank

    try:
        bank = parse_bank(Path(args.file).read_text(encoding="utf-8")) if args.file else load_bank()
    except (BankError, OSError) as error:
        print(f"postpoc: {error}", file=sys.stderr)
        return 1
    print(
        f"{bank.flow} v{bank.version}: {len(bank.questions)} questions in {len(bank.sections)} sections, all checks passed"
    )
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="postpoc", description="Take AI-agent POCs past the POC.")
    commands = top.add_subparsers(dest="command")

    def person_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", help="who you are in the console (default: your login name)")
        p.add_argument("--locale", help="en or fr (default: from LANG)")

    run = commands.add_parser(
        "run", help="run the bot: Slack/Teams when configured, else the console"
    )
    person_options(run)
    run.set_defaults(handler=_run)

    chat = commands.add_parser("chat", help="talk to the bot in this terminal (reads a pipe too)")
    person_options(chat)
    chat.set_defaults(handler=_chat)

    commands.add_parser("serve", help="serve Slack and Teams over HTTP").set_defaults(
        handler=_serve
    )
    tick = commands.add_parser("tick", help="one pass of the weekly watch: send what is due, exit")
    tick.set_defaults(handler=_tick)

    role = commands.add_parser("role", help="set a person's role: admin, lead or member")
    role.add_argument("person", help="platform id or display name")
    role.add_argument("role", choices=["admin", "lead", "member"])
    role.add_argument("--workspace", help="workspace key (default: the only one)")
    role.set_defaults(handler=_role)

    forget = commands.add_parser(
        "forget", help="erase a person's personal data; answers stay, anonymised"
    )
    forget.add_argument("person", help="platform id or display name")
    forget.add_argument("--workspace", help="workspace key (default: the only one)")
    forget.set_defaults(handler=_forget)

    export = commands.add_parser(
        "export", help="portfolio, answers with history, decisions, readings"
    )
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument(
        "--out", help="folder to write into (default: export/ in the data directory)"
    )
    export.add_argument("--workspace", help="one workspace (default: all)")
    export.set_defaults(handler=_export)

    record = commands.add_parser(
        "record", help="a POC's decision record: answers, recommendation, decisions, audit trail"
    )
    record.add_argument("poc", help="the POC's handle")
    record.add_argument("--format", choices=["md", "pdf", "html"], default="md")
    record.add_argument(
        "--out",
        help="file to write (default: Markdown and HTML to standard output, PDF to <poc>-record.pdf)",
    )
    record.add_argument("--workspace", help="workspace key (default: the only one)")
    record.add_argument("--locale", help="en or fr (default: from LANG)")
    record.set_defaults(handler=_record)

    demo = commands.add_parser(
        "demo", help="a demo portfolio in its own database, then the console on it"
    )
    demo.add_argument(
        "--into",
        metavar="DATABASE_URL",
        help="fill this database instead of demo.db (it must hold no console workspace)",
    )
    demo.add_argument("--no-chat", action="store_true", help="build it and exit")
    demo.add_argument("--seed", type=int, default=18, help="the same seed, the same portfolio")
    person_options(demo)
    demo.set_defaults(handler=_demo)

    token = commands.add_parser(
        "token", help="a POC's secret for signing telemetry readings (shown once)"
    )
    token.add_argument("poc", help="the POC's handle")
    token.add_argument("--rotate", action="store_true", help="a new secret; the old one stops")
    token.add_argument("--workspace", help="workspace key (default: the only one)")
    token.set_defaults(handler=_token)

    commands.add_parser(
        "doctor", help="check settings, database and platform credentials"
    ).set_defaults(handler=_doctor)

    db = commands.add_parser("db", help="database administration").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)
    downgrade = db.add_parser(
        "downgrade", help="roll the schema back to a revision (never below what this version reads)"
    )
    downgrade.add_argument("revision", help="the revision to go down to, e.g. 0004")
    downgrade.set_defaults(handler=_db_downgrade)
    db.add_parser("current", help="exit 0 when migrations are current").set_defaults(
        handler=_db_current
    )
    revision = db.add_parser("revision", help="(developers) write a migration for model changes")
    revision.add_argument("message")
    revision.set_defaults(handler=_db_revision)

    bank = commands.add_parser("bank", help="the question bank").add_subparsers(
        dest="bank_command", required=True
    )
    draw = bank.add_parser("draw", help="print the interview as a Mermaid flowchart")
    draw.add_argument("--locale", default="en")
    draw.set_defaults(handler=_bank_draw)
    check = bank.add_parser("check", help="check a bank file (default: the packaged one)")
    check.add_argument("file", nargs="?")
    check.set_defaults(handler=_bank_check)
    return top


STARTS_ITSELF = frozenset({"run", "chat", "serve"})
"""The commands that say themselves when they have started (``bot.startup``):
the long-running ones, once their imports are done. Every other command runs
with the garbage collector on."""


def main(argv: Sequence[str] | None = None) -> int:
    startup.pause()
    try:
        args = parser().parse_args(argv)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        if not getattr(args, "handler", None):
            args = parser().parse_args(["run", *(argv or [])])
        if args.command not in STARTS_ITSELF:
            startup.started()
        return _handle(args)
    finally:
        startup.started()


def _handle(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args))
    except Exception as error:
        if not isinstance(error, _unreachable()):
            raise
        # Unreachable or locked at start (each command reports it once, plainly;
        # a running bot answers "try again" instead and recovers by itself).
        print(
            f"postpoc: can't reach the database: {_reason(error)} {_check_database_url()}",
            file=sys.stderr,
        )
        return 1


def _unreachable() -> tuple[type[BaseException], ...]:
    """What says the database cannot be reached: SQLAlchemy's errors and the
    store's. Looked up only when a command fails; one that never imported
    SQLAlchemy cannot have raised them."""
    if "sqlalchemy" not in sys.modules:
        return ()
    from sqlalchemy.exc import InterfaceError, OperationalError

    from storage.repository import Unavailable

    return (OperationalError, InterfaceError, Unavailable)


def _check_database_url() -> str:
    """Which setting to look at, and what it says (without its password)."""
    from bot.config import Settings

    try:
        shown = Settings().db_url().render_as_string(hide_password=True)
    except Exception:  # the settings themselves are wrong: that is said elsewhere
        return "(check DATABASE_URL)"
    return f"(check DATABASE_URL: {shown})"


def _reason(error: BaseException) -> str:
    """The driver's own first line ("connection refused", "database is locked")."""
    cause: BaseException = error.__cause__ or error  # Unavailable wraps SQLAlchemy's
    cause = getattr(cause, "orig", None) or cause  # which wraps the driver's
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


if __name__ == "__main__":
    raise SystemExit(main())
