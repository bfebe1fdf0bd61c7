"""``postpoc chat`` as a person uses it: a real process, a real SQLite file."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.scripts import READY

POSTPOC = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[1]


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LC_ALL", "LC_MESSAGES")
    }
    env.update(
        {"POSTPOC_DATA_DIR": str(data_dir), "LANG": "en_US.UTF-8", "PYTHONUNBUFFERED": "1", **extra}
    )
    return env


def scripted_session(answers: dict[str, str] = READY) -> str:
    lines = ["/poc new Invoice agent", "/poc interview invoice-agent", *answers.values()]
    return "\n".join(lines) + "\n"


def test_a_piped_session_registers_interviews_and_recommends(tmp_path: Path) -> None:
    done = subprocess.run(
        [*POSTPOC, "chat", "--user", "lea"],
        input=scripted_session() + "/poc summary invoice-agent\n",
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    out = done.stdout
    assert "Registered Invoice agent as invoice-agent" in out
    assert "[invoice-agent · Prohibited uses · 1/" in out
    assert "Recommendation for invoice-agent: Industrialise" in out
    assert "Claire Martin is the named business manager." in out
    assert "Traceback" not in out + done.stderr
    assert (tmp_path / "postpoc.db").exists()


def test_the_console_speaks_french_when_the_terminal_does(tmp_path: Path) -> None:
    done = subprocess.run(
        [*POSTPOC, "chat", "--user", "claire"],
        input="/poc nouveau Agent factures\n/poc entretien agent-factures\nnon\n",
        capture_output=True,
        text=True,
        env=environment(tmp_path, LANG="fr_FR.UTF-8"),
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert "L'agent utilise-t-il" in done.stdout
    assert "Note-t-il des personnes" in done.stdout


class Terminal:
    """A running ``postpoc chat`` that is fed one line at a time."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [*POSTPOC, "chat", "--user", "lea"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=environment(data_dir),
            cwd=ROOT,
        )
        self.selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self.selector.register(self.process.stdout, selectors.EVENT_READ)

    def until_prompt(self, timeout: float = 30) -> str:
        """Everything printed up to the next "> " prompt."""
        assert self.process.stdout is not None
        seen = b""
        deadline = time.monotonic() + timeout
        while not (
            seen.endswith(b"\n> ") or seen == b"> " or seen.endswith(b"Ctrl-D to leave.\n> ")
        ):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no prompt; got:\n{seen.decode(errors='replace')}"
            if not self.selector.select(remaining):
                continue
            chunk = os.read(self.process.stdout.fileno(), 65536)
            assert chunk, f"the bot exited; got:\n{seen.decode(errors='replace')}"
            seen += chunk
        return seen.decode()

    def send(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        return self.until_prompt()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def test_a_session_killed_mid_interview_resumes_at_the_same_question(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path)
    terminal.until_prompt()
    terminal.send("/poc new Invoice agent")
    shown = terminal.send("/poc interview invoice-agent")
    answered = list(READY.items())[:20]
    for _, answer in answered:
        shown = terminal.send(answer)
    question_line = next(line for line in shown.splitlines() if line.startswith("[invoice-agent"))
    terminal.kill()
    assert terminal.process.returncode == -signal.SIGKILL

    again = Terminal(tmp_path)
    welcome = again.until_prompt()
    assert question_line in welcome, welcome
    summary = again.send("/poc summary invoice-agent")
    for line in (
        "Business manager: Claire Martin",
        "Weekly volume: 1,200 tasks per week",
        "Unit: minutes",
    ):
        assert line in summary
    assert "20 of" in summary
    resumed = again.send("/poc interview invoice-agent")
    assert question_line in resumed
    again.process.stdin.close()  # type: ignore[union-attr]
    assert again.process.wait(timeout=10) == 0


@pytest.mark.parametrize("line", ["\x00\x01", "/poc", "/poc summary", "/poc decide", "🙂" * 3000])
def test_odd_lines_never_crash_the_console(tmp_path: Path, line: str) -> None:
    done = subprocess.run(
        [*POSTPOC, "chat", "--user", "lea"],
        input=f"{line}\n/poc help\n",
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0
    assert "Traceback" not in done.stdout + done.stderr
    assert "decide <poc>" in done.stdout
