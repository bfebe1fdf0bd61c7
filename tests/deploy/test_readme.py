"""deploy/README.md shows every deployment file and its links lead somewhere."""

from __future__ import annotations

import re

from tests.deploy.support import DEPLOY, KUBERNETES, README


def text() -> str:
    return README.read_text(encoding="utf-8")


def test_every_relative_link_resolves() -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text())
    relative = [link for link in links if not re.match(r"\w+:", link)]
    assert relative
    missing = [link for link in relative if not (DEPLOY / link).exists()]
    assert not missing


def test_every_deployment_file_is_shown() -> None:
    shown = text()
    for path in [DEPLOY / "Dockerfile", DEPLOY / "compose.yaml", *KUBERNETES.glob("*.yaml")]:
        name = path.relative_to(DEPLOY).as_posix()
        assert f"({name})" in shown, f"deploy/README.md links to {name}"


def test_the_platform_guides_are_linked() -> None:
    assert "(slack/README.md" in text()
    assert "(teams/README.md" in text()
