"""Child processes of the benchmarks: started, awaited, always stopped."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

STOP_SECONDS = 20.0


def rss_mib(pid: int) -> float | None:
    """Resident memory of a live process (VmRSS), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it lingers; this process only."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)


@contextmanager
def spawned(
    command: Sequence[str], *, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """Start ``command``; its standard error goes to ``log`` (a pipe nobody
    reads would fill up and stall it)."""
    with log.open("w") as errors:
        process = subprocess.Popen(  # noqa: S603 (our own commands)
            list(command),
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            text=True,
            env=dict(env) if env is not None else None,
        )
        try:
            yield process
        finally:
            stop(process)
            if process.stdout is not None:
                process.stdout.close()


def ready_line(process: subprocess.Popen[str], log: Path, seconds: float = 60.0) -> list[str]:
    """Wait (bounded) for the child's ``READY ...`` line; its words after READY."""
    assert process.stdout is not None
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("READY"):
                return line.split()[1:]
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise RuntimeError(f"{process.args!r} did not start:\n{tail}")


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without any Slack, Teams or database settings of the
    developer's, plus ``extra``."""
    prefixes = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env
