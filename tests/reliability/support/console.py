"""``postpoc chat`` as a real process, driven from a test's event loop.

Asynchronous, so that whatever else the test runs on its loop (a TCP proxy in
front of the database) keeps working while the console waits for an answer.
Lines go in as bytes: a test can send what no keyboard types.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.reliability.support import processes

ROOT = Path(__file__).resolve().parents[3]
POSTPOC = [sys.executable, "-m", "bot.cli"]
PATIENCE = 60.0
"""Longest wait for the console to answer one line (a 1 MB line on a slow machine)."""


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """A clean environment (:func:`processes.environment`) with its own data folder."""
    return processes.environment(POSTPOC_DATA_DIR=str(data_dir), LANG="en_US.UTF-8", **extra)


class Console:
    """One ``postpoc chat --user <user>``; stderr goes to the same pipe as stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.transcript = b""

    @classmethod
    async def start(cls, data_dir: Path, user: str = "lea", **env: str) -> Console:
        process = await asyncio.create_subprocess_exec(
            *POSTPOC,
            "chat",
            "--user",
            user,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=environment(data_dir, **env),
            cwd=ROOT,
        )
        return cls(process)

    async def until_prompt(self) -> str:
        """Everything printed up to the next "> " prompt (bounded by :data:`PATIENCE`)."""
        assert self.process.stdout is not None
        seen = b""
        async with asyncio.timeout(PATIENCE):
            while not (seen.endswith(b"\n> ") or seen == b"> "):
                chunk = await self.process.stdout.read(65536)
                if not chunk:
                    self.transcript += seen
                    raise AssertionError(
                        f"the console exited; it printed:\n{seen.decode(errors='replace')}"
                    )
                seen += chunk
        self.transcript += seen
        return seen.decode(errors="replace")

    async def send(self, line: bytes | str) -> str:
        """Types ``line`` and Enter; what the console printed in answer."""
        assert self.process.stdin is not None
        raw = line.encode() if isinstance(line, str) else line
        self.process.stdin.write(raw + b"\n")
        await self.process.stdin.drain()
        return await self.until_prompt()

    async def close(self) -> tuple[int, str]:
        """Ctrl-D; the exit status and what was printed after the last prompt."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        async with asyncio.timeout(PATIENCE):
            rest = await self.process.stdout.read()
            status = await self.process.wait()
        self.transcript += rest
        return status, rest.decode(errors="replace")

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
