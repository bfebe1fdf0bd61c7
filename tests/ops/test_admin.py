"""Administration from the command line, as an operator runs it."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.admin import AdminError, collect, forget, set_role
from conversations.service import Service
from storage.models import Answer, AuditEvent, Role
from storage.models import Person as PersonRow
from storage.repository import Store
from tests.support.conversation import Clock, Person
from tests.support.scripts import READY, answer_until_done, asked_in_order, interview_at_depth

pytestmark = pytest.mark.storage
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def portfolio(store: Store) -> AsyncIterator[Store]:
    service = Service(store, clock=Clock())
    lea = Person(service, "lea")
    await lea.says("hello")
    omar = Person(service, "omar")
    await omar.says("hello")
    await lea.runs("new Invoice agent")
    # Omar named twice: picked by mention (his platform id) and typed by name.
    answers = {
        **READY,
        "owner_business_manager": "@omar",
        "owner_technical": "Omar",
        "risk_owner": "Ana Lima",
        "kill_who": "Ana Lima",
    }
    # at full depth: the technical owner and the weekly volume are asked
    await answer_until_done(lea, await interview_at_depth(lea, "invoice-agent", "full"), answers)
    await lea.says("/poc edit invoice-agent use_weekly_volume")
    await lea.says("1500")
    await lea.runs("decide invoice-agent frame Needs a rehearsed kill switch")
    await lea.runs("reading invoice-agent 13")
    yield store


async def test_a_role_is_set_by_platform_id_and_audited(portfolio: Store) -> None:
    message = await set_role(portfolio, "omar", "lead", None, Clock()())
    assert message == "Omar is now lead in test:acme"
    async with portfolio.unit() as repo:
        omar = await repo.person(1, "omar")
        events = [e.action for e in await repo.audits.of_workspace(1)]
    assert omar is not None and omar.role == Role.LEAD and "role_set" in events
    # Outside the console a display name is anyone's to set: it names nobody.
    # A platform id the bot has not stored yet names a person to come.
    said = await set_role(portfolio, "Omar", "admin", None, Clock()())
    assert said == "Omar is now admin in test:acme (not seen by the bot yet)"
    async with portfolio.unit() as repo:
        still, new = await repo.person(1, "omar"), await repo.person(1, "Omar")
    assert still is not None and still.role == Role.LEAD
    assert new is not None and new.role == Role.ADMIN and new.display_name == ""


async def test_forgetting_a_person_keeps_the_answers_anonymised(portfolio: Store) -> None:
    await portfolio_address(portfolio)
    message = await forget(portfolio, "omar", None, Clock()())
    # The mention names him by platform id; "Omar" typed as text may be anyone.
    assert "1 answers naming them anonymised, 1 addresses removed" in message
    async with portfolio.unit() as repo:
        people = (await repo.session.execute(select(PersonRow))).scalars().all()
        answers = (await repo.session.execute(select(Answer))).scalars().all()
        assert await repo.address(1, "person:omar") is None
        audit = (await repo.session.execute(select(AuditEvent))).scalars().all()
    assert not any("omar" in (p.platform_id + p.display_name).lower() for p in people)
    assert not any(isinstance(a.value, dict) and a.value.get("id") == "omar" for a in answers)
    typed = [a.value for a in answers if a.question_key == "owner_technical"]
    assert typed == [{"id": None, "name": "Omar"}]
    # nothing deleted: every answer asked at full depth, and the edit's history
    assert len(answers) == len(asked_in_order(READY, "full")) + 1
    assert audit[-1].action == "person_forgotten"


async def test_forget_takes_a_platform_id_never_a_display_name(portfolio: Store) -> None:
    """``forget "Omar"`` used to erase whoever was called Omar, and every answer
    that typed the name: a member who renamed themselves could erase another."""
    async with portfolio.unit() as repo:
        before = [(a.id, a.value) for a in (await repo.session.execute(select(Answer))).scalars()]
    with pytest.raises(AdminError, match="takes a platform id, never a display name"):
        await forget(portfolio, "Omar", None, Clock()())
    async with portfolio.unit() as repo:
        after = [(a.id, a.value) for a in (await repo.session.execute(select(Answer))).scalars()]
        omar = await repo.person(1, "omar")
    assert after == before and omar is not None and omar.display_name == "Omar"


async def portfolio_address(store: Store) -> None:
    await Service(store, clock=Clock()).platform.remember_address(
        "test:acme", "person:omar", {"conversation": "x"}
    )


async def test_the_export_holds_the_portfolio_answers_with_history_decisions_and_readings(
    portfolio: Store,
) -> None:
    export = await collect(portfolio, None, progress=None)
    assert [p["handle"] for p in export.pocs] == ["invoice-agent"]
    volume = [a for a in export.answers if a["question_key"] == "use_weekly_volume"]
    assert [(a["value"], a["current"]) for a in volume] == [("1200.0", False), ("1500.0", True)]
    assert export.decisions[0]["outcome"] == "frame" and export.readings[0]["value"] == 13.0


def test_export_from_the_command_line_writes_csv_and_json(tmp_path: Path) -> None:
    env = {**os.environ, "POSTPOC_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    script = "/poc new Invoice agent\n/poc interview invoice-agent\nno\n"
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--user", "lea"],
        input=script,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--out", str(tmp_path / "csv")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "console:local: 1/1 POCs exported" in done.stderr
    with (tmp_path / "csv" / "answers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["question_key"], r["value"], r["by"]) for r in rows] == [
        ("screen_uses", '["none"]', "lea")
    ]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "export",
            "--format",
            "json",
            "--out",
            str(tmp_path / "json"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    document = json.loads((tmp_path / "json" / "postpoc-export.json").read_text(encoding="utf-8"))
    assert document["pocs"][0]["title"] == "Invoice agent"
    refused = subprocess.run(
        [sys.executable, "-m", "bot.cli", "role", "nobody", "lead"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1 and "nobody called 'nobody'" in refused.stderr


def test_tick_runs_one_pass_and_says_what_it_did(tmp_path: Path) -> None:
    env = {**os.environ, "POSTPOC_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tick"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tick ok: planned 0 nudges, 0 check-ins, 0 reminders; sent 0")


def test_a_csv_export_opens_in_a_spreadsheet_as_text_and_json_keeps_everything(
    tmp_path: Path,
) -> None:
    """Titles, display names and rationales that look like formulas are written as
    text (a leading '); a cell longer than a spreadsheet holds is cut, visibly."""
    env = {**os.environ, "POSTPOC_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    script = '/poc new =HYPERLINK("http://evil.example","x")\n/poc decide hyperlink-http-evil-example-x stop @SUM(A1)\n'
    cli = [sys.executable, "-m", "bot.cli"]
    run = {"env": env, "cwd": ROOT, "capture_output": True, "text": True, "timeout": 60}
    subprocess.run([*cli, "chat", "--user", "+cmd"], input=script, check=True, **run)  # type: ignore[call-overload]
    huge = "-" + "x" * 40_000
    with sqlite3.connect(
        tmp_path / "postpoc.db"
    ) as db:  # older rows may be longer than today's caps
        assert db.execute("UPDATE decision SET rationale = ?", (huge,)).rowcount == 1
    done = subprocess.run([*cli, "export", "--out", str(tmp_path / "csv")], **run)  # type: ignore[call-overload]
    assert done.returncode == 0, done.stderr
    with (tmp_path / "csv" / "pocs.csv").open(encoding="utf-8") as handle:
        [poc] = list(csv.DictReader(handle))
    with (tmp_path / "csv" / "decisions.csv").open(encoding="utf-8") as handle:
        [decision] = list(csv.DictReader(handle))
    assert poc["title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert poc["owner"] == "'+cmd" and decision["by"] == "'+cmd"
    assert len(decision["rationale"]) == 32_767
    assert decision["rationale"].startswith("'-xxx")
    assert decision["rationale"].endswith(
        "[cut: 40002 characters in all; the JSON export has the whole text]"
    )
    subprocess.run(
        [*cli, "export", "--format", "json", "--out", str(tmp_path / "json")], check=True, **run
    )  # type: ignore[call-overload]
    document = json.loads((tmp_path / "json" / "postpoc-export.json").read_text(encoding="utf-8"))
    assert document["pocs"][0]["title"] == '=HYPERLINK("http://evil.example","x")'
    assert document["decisions"][0]["rationale"] == huge
