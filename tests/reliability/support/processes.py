"""``postpoc serve`` and ``postpoc tick`` as real processes, killed for real.

Each runs ``python -m bot.cli`` from the project's interpreter in a folder of
its own (so no developer's ``.env`` is read), with an environment that holds
only what the test gives it. Every wait is bounded; a process still alive at
the end is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

START_SECONDS = 60.0
"""Longest a start may take (a cold interpreter on a busy CI machine)."""
STOP_SECONDS = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(**settings: str) -> dict[str, str]:
    """This environment without anyone's postpoc, Slack, Teams or database
    settings, plus ``settings``."""
    kept = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_", "SCHEDULER")
    env = {k: v for k, v in os.environ.items() if not k.startswith(kept)}
    env.update(LOG_LEVEL="WARNING", LOG_FORMAT="console", PYTHONUNBUFFERED="1")
    env.update(settings)
    return env


@dataclass
class Process:
    """One ``postpoc`` command; ``log`` keeps what it printed, for failures."""

    args: tuple[str, ...]
    env: Mapping[str, str]
    folder: Path
    running: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: int = 0
    log: Path = field(init=False)
    _killed: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = self.folder / f"{self.args[0]}.log"

    async def spawn(self) -> None:
        self.starts += 1
        with self.log.open("a") as log:
            log.write(f"\n--- start {self.starts} ---\n")
            log.flush()
            self.running = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                *self.args,
                cwd=self.folder,
                env=dict(self.env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    @property
    def alive(self) -> bool:
        return self.running is not None and self.running.returncode is None

    def kill(self) -> None:
        """SIGKILL, now: no handler runs, nothing is flushed (this process only)."""
        if self.alive and self.running is not None and self.running.pid != self._killed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.running.pid, signal.SIGKILL)
            self._killed = self.running.pid
            self.kills += 1

    async def wait(self, seconds: float = STOP_SECONDS) -> int:
        assert self.running is not None
        async with asyncio.timeout(seconds):
            return await self.running.wait()

    async def stop(self) -> None:
        """SIGTERM (the graceful stop), SIGKILL if it lingers."""
        if not self.alive:
            return
        assert self.running is not None
        self.running.terminate()
        try:
            await self.wait()
        except TimeoutError:
            self.running.kill()
            await self.wait()

    def tail(self, size: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-size:] if self.log.exists() else ""


@dataclass
class Server(Process):
    """``postpoc serve`` on ``port``; healthy when ``/healthz`` answers."""

    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        await self.spawn()
        deadline = time.monotonic() + START_SECONDS
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise RuntimeError(f"postpoc serve exited at start:\n{self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(
                        self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=1)
                    ) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.02)
        self.kill()
        raise RuntimeError(f"postpoc serve not healthy in {START_SECONDS:.0f} s:\n{self.tail()}")

    async def restart(self) -> None:
        """After a kill: reap the dead process, start a new one."""
        if self.running is not None:
            await self.wait()
        await self.start()


async def run_to_end(process: Process, seconds: float = START_SECONDS) -> int:
    """Start ``process`` and wait for it to exit (bounded)."""
    await process.spawn()
    try:
        return await process.wait(seconds)
    except TimeoutError:
        process.kill()
        raise
