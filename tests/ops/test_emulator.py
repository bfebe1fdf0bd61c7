"""Emulator mode (Teams without an app id) accepts anyone's unsigned
activities, so ``postpoc serve`` then listens on this machine only, whatever
``HOST`` says."""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTEN = "0A"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening_addresses(port: int) -> set[str]:
    """The local addresses a socket listens on at ``port`` (/proc/net/tcp, tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if int(hex_port, 16) == port and state == LISTEN:
                    found.add(address)
    return found


def said(process: subprocess.Popen[bytes], words: str, seconds: float) -> str:
    """The process's standard error up to the first ``words`` (its readiness line), read
    as it comes; less if the process exits or ``seconds`` pass first."""
    assert process.stderr is not None
    seen = b""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while words.encode() not in seen and selector.select(
            timeout=max(0.0, deadline - time.monotonic())
        ):
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def test_emulator_mode_listens_on_loopback_only(tmp_path: Path) -> None:
    port = free_port()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "DATABASE_URL", "TEAMS_", "HOST"))
    }
    env = {
        **clean,
        "TEAMS_ENABLED": "true",
        "HOST": "0.0.0.0",  # what the operator asked for: not honoured in Emulator mode
        "PORT": str(port),
        "SCHEDULER": "false",
        "POSTPOC_DATA_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        errors = said(process, "serving on", seconds=60)
        assert "serving on" in errors, errors
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as ok:
            assert ok.status == 200
        assert listening_addresses(port) == {"0100007F"}
    finally:
        process.terminate()
        process.wait(timeout=30)
