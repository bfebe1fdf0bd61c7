"""The README's curl and openssl example, run exactly as written against the
webhook served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.telemetry.conftest import HANDLE, Client, World, secret_in

pytestmark = [
    pytest.mark.storage,
    pytest.mark.skipif(
        not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl"
    ),
]

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def webhook_example() -> str:
    after = README.split("<!-- webhook-example -->", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


async def run(script: str, **env: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        env={"PATH": os.environ["PATH"], **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return process.returncode, out.decode()


async def test_the_readme_example_is_accepted_then_counted_as_a_duplicate(
    world: World, hook: Client
) -> None:
    # The example signs with `date +%s`: the server's clock is the real one here.
    world.clock.now = datetime.now(UTC)
    secret = secret_in(await world.omar.says(f"/poc token {HANDLE}"))
    url = str(hook.make_url("/hooks/readings"))
    _, first = await run(webhook_example(), SECRET=secret, URL=url)
    assert json.loads(first) == {"ok": True, "stored": 1, "duplicates": 0}
    _, again = await run(webhook_example(), SECRET=secret, URL=url)
    assert json.loads(again) == {"ok": True, "stored": 0, "duplicates": 1}
    [stored] = await world.readings()
    assert (stored.value, stored.source, stored.taken_at) == (
        12.5,
        "webhook",
        datetime(2026, 6, 3, 10, 0, tzinfo=UTC),
    )
    _, wrong = await run(webhook_example(), SECRET="pps_" + "1" * 64, URL=url)
    assert json.loads(wrong) == {"ok": False, "reason": "bad_signature"}
