"""``chat``: the bot on each platform in turn (console, Slack, Teams), for scenarios
written once (:mod:`tests.support.scenario`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from tests.conftest import postgres_database
from tests.support.scenario import PLATFORMS, Chat, open_chat


@pytest.fixture(autouse=True)
def no_platform_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt and the settings read SLACK_*, MICROSOFT_* and more from the environment."""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_API_URL",
        "DATABASE_URL",
        "POSTPOC_ADMINS",
        "MICROSOFT_APP_ID",
        "TEAMS_ENABLED",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(
    params=[
        *PLATFORMS,
        # The core's own story on the second database (the platforms' storage is the same).
        pytest.param("console-postgresql", marks=pytest.mark.storage),
    ]
)
async def chat(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Chat]:
    platform = str(request.param)
    async with AsyncExitStack() as stack:
        database_url = f"sqlite:///{tmp_path / 'postpoc.db'}"
        if platform.endswith("-postgresql"):
            platform = platform.removesuffix("-postgresql")
            server = request.getfixturevalue("postgres_server_url")
            database_url = stack.enter_context(postgres_database(server))
        yield await open_chat(platform, stack, database_url)
