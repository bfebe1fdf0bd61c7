"""The README a new user reads first stays true."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from conversations.commands import USAGES, Usage

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_come_first() -> None:
    start = README[: README.index("## A first conversation")]
    assert "make run" in start and "make test" in start


@pytest.mark.parametrize("name", [name.upper() for name in Settings.model_fields])
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README


@pytest.mark.parametrize("usage", USAGES, ids=lambda u: u.name)
def test_every_command_is_documented(usage: Usage) -> None:
    syntax = usage.syntax.replace("|", "\\|")  # a table cell escapes its bars
    assert f"`{syntax}`" in README
