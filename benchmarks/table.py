"""The results table, the machine it ran on and the date: markdown."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Row:
    benchmark: str
    measurement: str
    value: str
    target: str = ""
    passed: bool | None = None
    """True: PASS, False: MISS, None: no target (shown for information)."""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "MISS"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def machine() -> str:
    memory = memory_gib()
    parts = [
        f"{os.cpu_count()} cores ({cpu_model()})",
        f"{memory:.0f} GiB RAM" if memory else "",
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
    ]
    return ", ".join(p for p in parts if p)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    rows: list[Row], *, taken: datetime | None = None, notes: list[str] | None = None
) -> str:
    taken = taken or datetime.now(UTC)
    lines = [
        f"Taken {taken:%Y-%m-%d %H:%M} UTC on {machine()}.",
        "",
        "| benchmark | measurement | result | target | |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {_cell(r.benchmark)} | {_cell(r.measurement)} | {_cell(r.value)} "
        f"| {_cell(r.target)} | {r.verdict} |"
        for r in rows
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"
