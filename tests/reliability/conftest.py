"""Fixtures of the reliability suite, borrowed from the platforms' suites:
the fake Slack and the bot on it (``fake_slack``, ``start_bot``), the fake
Bot Framework (``fake``) and the back-off sleeps it records (``sleeps``).
Fixtures of one test module stay in that module."""

from __future__ import annotations

from tests.slack.conftest import fake_slack, start_bot
from tests.teams.conftest import fake, sleeps

__all__ = ["fake", "fake_slack", "sleeps", "start_bot"]
