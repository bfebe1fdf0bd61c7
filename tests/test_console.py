"""``postpoc chat`` as a person uses it: a real process, a real SQLite file.

The stories told the same way on every platform (an interview to its recommendation,
commands typed mid-interview, a section handed to someone else) run on the console
adapter as scenarios: tests/scenarios/."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.scripts import READY, asked_in_order

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
    """A whole interview typed in one go: the answers of the questions it will ask, in order."""
    asked = [answers[key] for key in asked_in_order(answers)]
    lines = ["/poc new Invoice agent", "/poc interview invoice-agent", *asked]
    return "\n".join(lines) + "\n"


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
    assert "L'agent fait-il l'une de ces choses ?" in done.stdout
    assert "L'agent sert-il à l'un de ces usages ?" in done.stdout


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
    answered = asked_in_order(READY)[:20]
    for key in answered:
        shown = terminal.send(READY[key])
    question_line = next(line for line in shown.splitlines() if line.startswith("[invoice-agent"))
    terminal.kill()
    assert terminal.process.returncode == -signal.SIGKILL

    again = Terminal(tmp_path)
    welcome = again.until_prompt()
    assert question_line in welcome, welcome
    summary = again.send("/poc summary invoice-agent")
    for line in (  # a light interview: the triage, then what the recommendation needs
        "Business manager: Claire Martin",
        "Affected: Staff only",
        "Baseline (without AI): 40",
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


# -- depth from the triage, answers as soon as they are known ------------------------------

STANDARD = {**READY, "use_setting": "Customers or the public"}
FULL = {
    **READY,
    "tier_annex3_uses": "Hiring, task allocation, monitoring or evaluating staff",
    "tier_obligations_met": "no",
}
PROGRESS = re.compile(r"^\[invoice-agent · [^\]]* · (\d+)/(\d+)\]$", re.M)


def chat(session: str, tmp_path: Path) -> str:
    done = subprocess.run(
        [*POSTPOC, "chat", "--user", "lea"],
        input=session,
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        cwd=ROOT,
        timeout=180,
        check=True,
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


def progress(out: str) -> list[tuple[int, int]]:
    return [(int(n), int(total)) for n, total in PROGRESS.findall(out)]


@pytest.mark.parametrize(
    ("answers", "depth", "most"),
    # Issue 13 asks for light <= 30 and standard <= 45: standard asks 38; light asks 29,
    # as the triage, the gates and the value and cost-against-value stop rules need
    # (tests/test_depths.py LIGHT_QUESTIONS).
    [(READY, "light", 29), (STANDARD, "standard", 38), (FULL, "full", 74)],
    ids=["light", "standard", "full"],
)
def test_the_triage_sets_the_depth_and_the_number_of_questions(
    tmp_path: Path, answers: dict[str, str], depth: str, most: int
) -> None:
    out = chat(scripted_session(answers), tmp_path)
    shown = progress(out)
    # one prompt per question asked, numbered 1, 2, 3 ... out of a total that never grows
    assert [n for n, _ in shown] == list(range(1, len(shown) + 1))
    totals = [total for _, total in shown]
    assert totals[0] == 77 and totals == sorted(totals, reverse=True)
    assert totals[-1] == len(shown) == most
    if depth == "full":
        # today's depth: every question of the bank that applies (the saving is in
        # time, so the question about money saved does not, and one task saves more
        # than it costs, so whether its cost can be cut does not either; the target
        # below the baseline tells that lower is better)
        assert len(shown) == 74
    assert f"This interview goes to {depth} depth, because" in out
    assert "== Recommendation for invoice-agent:" in out


def test_a_light_poc_is_industrialised_in_29_questions(tmp_path: Path) -> None:
    out = chat(scripted_session(READY), tmp_path)
    # Issue 13 asks for 30 at most; the triage, the gates and the value and
    # cost-against-value stop rules need 29 answers (tests/test_depths.py LIGHT_QUESTIONS).
    assert len(progress(out)) == 29 <= 30
    assert (
        "This interview goes to light depth, because only staff see its outputs, a person "
        "reviews each one before it takes effect, it handles no personal data and a wrong "
        "output has at most a limited impact."
    ) in out
    assert "== Recommendation for invoice-agent: Industrialise ==" in out


def test_a_declared_prohibited_use_ends_the_questions_at_once(tmp_path: Path) -> None:
    session = "\n".join(
        [
            "/poc new Invoice agent",
            "/poc interview invoice-agent",
            "2",  # social scoring
            "no",  # not an answer any more
            "continue",
        ]
    )
    out = chat(session + "\n", tmp_path)
    before, _, after = out.partition("== Recommendation for invoice-agent: Stop ==")
    assert len(progress(before)) == 1 <= 6
    assert "It falls under a use the EU AI Act prohibits: social scoring." in after
    assert "(rests on EU AI Act art. 5(1)(c))" in after
    assert "A lead decides, with decide invoice-agent" in after
    assert "> /poc interview invoice-agent continue" in after
    stopped, _, going = after.partition("Type continue to go on for the record")
    assert progress(stopped) == []  # nothing asked after the stop ...
    assert progress(going)[0][0] == 2  # ... until the owner goes on for the record
    assert "Is the agent used for any of these?" in going


def test_a_lead_raises_the_depth_in_the_console(tmp_path: Path) -> None:
    triage = [STANDARD[key] for key in asked_in_order(STANDARD)[:7]]
    session = [
        "/poc new Invoice agent",
        "/poc interview invoice-agent",
        *triage,
        "/poc depth invoice-agent light",
        "/poc depth invoice-agent full",
        "/poc interview invoice-agent",
    ]
    out = chat("\n".join(session) + "\n", tmp_path)
    assert "This interview goes to standard depth, because" in out
    assert "a lead can raise it, never lower it below that." in out
    assert "invoice-agent now goes to full depth" in out
    assert progress(out)[-1] == (12, 77)
