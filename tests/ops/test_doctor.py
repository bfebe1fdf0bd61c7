"""`postpoc doctor` names what is wrong, one line each; a wrong setting stops the start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from bot.doctor import run_checks
from storage.database import resolve_url
from storage.migrate import upgrade
from tests.slack.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def postpoc(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_doctor_names_each_broken_setting(tmp_path: Path) -> None:
    done = postpoc(
        "doctor",
        POSTPOC_DATA_DIR=str(tmp_path),
        SLACK_BOT_TOKEN="not-a-token",
        SLACK_CLIENT_ID="123.456",
        MICROSOFT_APP_ID="00000000-0000-0000-0000-000000000001",
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    for setting in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "MICROSOFT_APP_PASSWORD",
        "MICROSOFT_APP_TENANT_ID",
    ):
        assert any(line.startswith(f"BAD  {setting}") for line in lines), (setting, lines)


def test_a_wrong_setting_stops_the_start_with_one_line(tmp_path: Path) -> None:
    done = postpoc("serve", POSTPOC_DATA_DIR=str(tmp_path), DATABASE_URL="mysql://db/postpoc")
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines()
        == [
            "postpoc: setting DATABASE_URL: Value error, DATABASE_URL: unsupported database 'mysql' (use sqlite or postgresql) (postpoc doctor lists every problem)"
        ]
        or done.stderr.count("\n") == 1
    )
    assert "DATABASE_URL" in done.stderr and "Traceback" not in done.stderr
    bad_port = postpoc("serve", POSTPOC_DATA_DIR=str(tmp_path), PORT="99999")
    assert bad_port.returncode == 1 and bad_port.stderr.startswith("postpoc: setting PORT:")


def test_doctor_says_the_database_is_unreachable(tmp_path: Path) -> None:
    done = postpoc("doctor", DATABASE_URL="postgresql://127.0.0.1:1/postpoc?connect_timeout=2")
    assert done.returncode == 1
    assert any(
        line.startswith("BAD  DATABASE_URL: can't reach") for line in done.stdout.splitlines()
    )


def test_doctor_says_the_database_needs_its_migrations(tmp_path: Path) -> None:
    done = postpoc("doctor", POSTPOC_DATA_DIR=str(tmp_path))
    assert done.returncode == 1 and "run postpoc db upgrade" in done.stdout


async def test_doctor_checks_the_slack_token_with_slack(tmp_path: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    try:
        url = f"sqlite:///{tmp_path / 'p.db'}"
        upgrade(resolve_url(url))
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=url,
            slack_bot_token="xoxb-1",
            slack_signing_secret="s",
            slack_api_url=fake.api_url,
        )
        checks = await run_checks(settings)
        assert [c.ok for c in checks] == [True, True]
        assert "bot token valid for team" in checks[1].detail
        fake.revoked.add("xoxb-1")
        refused = await run_checks(settings)
        assert refused[1].line() == "BAD  SLACK_BOT_TOKEN: Slack refused it: token_revoked"
    finally:
        await fake.stop()
