"""Posts of the weekly watch, shown in the terminal of ``postpoc chat``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import TextIO

from bot.console.render import render
from conversations.delivery import Destination
from conversations.messages import Reply


class ConsoleMessenger:
    platform = "console"

    def __init__(self, out: TextIO, image_dir: Path | None = None) -> None:
        self.out = out
        self.image_dir = image_dir
        self._numbers = count(1)

    async def post(
        self, destination: Destination, replies: Sequence[Reply], *, key: str | None = None
    ) -> str:
        where = f"#{destination.channel}" if destination.channel else f"@{destination.person}"
        if destination.thread:
            where += " (thread)"
        print(f"\n[posted to {where}]", file=self.out)
        for reply in replies:
            for line in render(reply, self.image_dir):
                print(line, file=self.out)
        self.out.flush()
        return f"console:{next(self._numbers)}"

    async def find(self, destination: Destination, key: str, since: datetime) -> str | None:
        raise NotImplementedError("a terminal keeps no record of what it printed")
