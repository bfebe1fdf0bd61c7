"""A setting that needs an optional extra says so at start, in one line.

The ``llm`` extra is installed in the test environment, so a ``sitecustomize``
shim on ``PYTHONPATH`` makes langchain unimportable in the child process, as
it is in an image built without the extra. Everything goes through the
installed console script, as an operator runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

POSTPOC = str(Path(sys.executable).with_name("postpoc"))

BLOCKER = '''
import sys

class _NoLangchain:
    """As if the llm extra were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("langchain", "langchain_core"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoLangchain())
'''


@pytest.fixture
def without_llm_extra(tmp_path: Path) -> dict[str, str]:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    kept = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(kept)}
    return {
        **env,
        "PYTHONPATH": str(shim),
        "POSTPOC_DATA_DIR": str(tmp_path / "data"),
        "LLM_MODEL": "openai:gpt-4o-mini",
        "TEAMS_ENABLED": "true",
    }


def postpoc(env: dict[str, str], folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [POSTPOC, *args],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


EXPECTED = (
    "LLM_MODEL needs the llm extra, which is not installed: pip install 'postpoc[llm]' "
    "(the image: docker build --build-arg EXTRAS=llm)"
)


def test_the_shim_really_hides_langchain(without_llm_extra: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import langchain"],
        env=without_llm_extra,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr


@pytest.mark.parametrize("command", ["serve", "chat", "tick"])
def test_a_model_without_the_llm_extra_stops_the_start_in_one_line(
    without_llm_extra: dict[str, str], tmp_path: Path, command: str
) -> None:
    done = postpoc(without_llm_extra, tmp_path, command)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [f"postpoc: {EXPECTED} (postpoc doctor lists every problem)"]
    assert "Traceback" not in done.stderr + done.stdout


def test_doctor_names_the_setting_and_the_install_command(
    without_llm_extra: dict[str, str], tmp_path: Path
) -> None:
    done = postpoc(without_llm_extra, tmp_path, "doctor")
    assert done.returncode == 1
    assert f"BAD  LLM_MODEL: {EXPECTED}" in done.stdout.splitlines()
    assert "all settings are valid" not in done.stdout


def test_without_a_model_the_extra_is_not_needed(
    without_llm_extra: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in without_llm_extra.items() if k != "LLM_MODEL"}
    done = postpoc(env, tmp_path, "bank", "check")
    assert done.returncode == 0, done.stderr
    doctor = postpoc(env, tmp_path, "doctor")
    assert "ok   settings: all settings are valid" in doctor.stdout.splitlines()
