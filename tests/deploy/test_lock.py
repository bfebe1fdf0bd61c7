"""The lock: uv.lock and its exports in requirements/ agree with each other,
with pyproject.toml, and with what is installed here.

``make test`` (and so CI, from a fresh clone) installs ``requirements/all.txt``
with hashes required and then the project with ``--no-deps``: the venv the
tests run in must then hold exactly the lock's versions, nothing more.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.support import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
UV_LOCK = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
EXPORTS = {name: ROOT / "requirements" / f"{name}.txt" for name in ("all", "base", "llm")}
INSTALLERS = {"pip", "setuptools", "wheel"}
"""What a venv is made with, not part of the dependency set."""


def pins(path: Path) -> dict[str, list[tuple[str, Marker | None]]]:
    """``name -> [(version, marker)]`` of an exported requirements file (a
    package may be pinned twice, for older and newer Pythons); every pin must
    carry its hashes."""
    found: dict[str, list[tuple[str, Marker | None]]] = {}
    entries = re.split(r"\n(?=[A-Za-z0-9])", path.read_text(encoding="utf-8"))
    for entry in entries:
        if entry.startswith("#") or not entry.strip():
            continue
        line = entry.split(" \\", 1)[0].strip()
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", line
        assert "--hash=sha256:" in entry, f"{requirement.name} has no hash in {path.name}"
        found.setdefault(canonicalize_name(requirement.name), []).append(
            (specifier.version, requirement.marker)
        )
    return found


def locked() -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in UV_LOCK["package"]:
        if package["name"] != PYPROJECT["project"]["name"]:
            versions.setdefault(canonicalize_name(package["name"]), set()).add(package["version"])
    return versions


def applies(marker: Marker | None) -> bool:
    return marker is None or marker.evaluate()


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_pins_the_versions_of_uv_lock(name: str) -> None:
    exported = pins(EXPORTS[name])
    assert exported
    versions = locked()
    stale = {
        package: [version for version, _ in entries]
        for package, entries in exported.items()
        if not {version for version, _ in entries} <= versions.get(package, set())
    }
    assert not stale, f"run make lock: the exports are older than uv.lock: {stale}"


def test_the_exports_nest() -> None:
    base, llm, everything = (set(pins(EXPORTS[name])) for name in ("base", "llm", "all"))
    assert base < llm < everything
    assert {"langchain", "langchain-core"} <= llm - base


def test_the_lock_satisfies_pyproject() -> None:
    """Every requirement of pyproject.toml (extras included) is met by the lock,
    so the lock is not older than an edit of pyproject.toml."""
    versions = locked()
    project = PYPROJECT["project"]
    wanted = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        wanted += extra
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name == project["name"]:
            continue
        assert name in versions, f"{name} is not in uv.lock: run make lock"
        for version in versions[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"uv.lock has {name} {version}, pyproject.toml asks {requirement.specifier}"
            )


def test_every_installed_distribution_is_the_locked_version() -> None:
    """What CI's fresh venv holds is what the lock says, and nothing else."""
    exported = pins(EXPORTS["all"])
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
    }
    project = canonicalize_name(PYPROJECT["project"]["name"])
    unlocked = {
        name: version
        for name, version in installed.items()
        if name not in exported and name not in INSTALLERS and name != project
    }
    if os.environ.get("CI"):
        # In CI's fresh venv; a developer may have added tools of their own.
        assert not unlocked, f"installed but not in the lock: {unlocked}"
    differ = {
        name: (version, [v for v, marker in exported[name] if applies(marker)])
        for name, version in installed.items()
        if name in exported
        and version not in [v for v, marker in exported[name] if applies(marker)]
    }
    assert not differ, f"installed version != locked version: {differ}"
    missing = [
        name
        for name, entries in exported.items()
        if any(applies(marker) for _, marker in entries) and name not in installed
    ]
    assert not missing, f"locked for this platform but not installed: {missing}"


def test_make_test_installs_from_the_lock_then_the_project_without_dependencies() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile[makefile.index("$(INSTALLED):") :].split("\n\n", 1)[0]
    assert "requirements/all.txt" in recipe.splitlines()[0], "reinstalls when the lock changes"
    installs = [line.split() for line in recipe.splitlines() if "pip install" in line]
    assert len(installs) == 2, recipe
    assert {"--require-hashes", "-r", "requirements/all.txt"} <= set(installs[0])
    assert "--no-deps" in installs[1]
    assert "lock:" in makefile and "uv lock" in makefile
