"""`postpoc export` writes into the data directory unless told otherwise: the
working directory may be a container's read-only root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

POSTPOC = str(Path(sys.executable).with_name("postpoc"))


def postpoc(folder: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    kept = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(kept)}
    return subprocess.run(
        [POSTPOC, *args],
        env={**env, "POSTPOC_DATA_DIR": str(data)},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_export_goes_to_the_data_directory_by_default(tmp_path: Path) -> None:
    here, data = tmp_path / "cwd", tmp_path / "data"
    here.mkdir()
    assert postpoc(here, data, "db", "upgrade").returncode == 0
    done = postpoc(here, data, "export", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(data / "export" / "postpoc-export.json")
    assert (data / "export" / "postpoc-export.json").is_file()
    assert list(here.iterdir()) == [], "nothing written where it was run"
    chosen = postpoc(here, data, "export", "--out", str(tmp_path / "elsewhere"))
    assert chosen.returncode == 0 and (tmp_path / "elsewhere" / "pocs.csv").is_file()
