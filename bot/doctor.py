"""``postpoc doctor``: check the settings, the database and each platform's
credentials, and say in one line per problem what is wrong and what to set."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import ValidationError

from bot.config import Settings

TIMEOUT = 8.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok ' if self.ok else 'BAD'}  {self.name}: {self.detail}"


def settings_checks() -> tuple[Settings | None, list[Check]]:
    """Every broken setting, each named (not only the first)."""
    try:
        return Settings(), [Check("settings", True, "all settings are valid")]
    except ValidationError as error:
        checks = []
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"]).upper()
            for message in str(problem["msg"]).removeprefix("Value error, ").splitlines():
                setting = name or message.split(" ", 1)[0]
                checks.append(Check(setting, False, message))
        return None, checks


async def database_check(settings: Settings) -> Check:
    from storage import migrate
    from storage.database import make_engine
    from storage.repository import Store, Unavailable

    url = settings.db_url()
    shown = url.render_as_string(hide_password=True)
    store = Store(make_engine(url))
    try:
        revision = await asyncio.wait_for(store.schema_revision(), TIMEOUT)
    except (Unavailable, TimeoutError) as error:
        return Check("DATABASE_URL", False, f"can't reach {shown} ({type(error).__name__})")
    except Exception as error:
        return Check(
            "DATABASE_URL",
            False,
            f"{shown}: {type(error).__name__}: no postpoc schema? run postpoc db upgrade",
        )
    finally:
        await store.dispose()
    head = migrate.head_revision()
    if revision != head:
        return Check(
            "database",
            False,
            f"{shown} is at {revision}, the code needs {head}: run postpoc db upgrade",
        )
    return Check("database", True, f"{shown} reachable, schema {revision} (current)")


async def slack_check(settings: Settings) -> Check:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    if not settings.slack_bot_token:
        return Check("Slack", True, "OAuth mode: tokens come from installations (not checked here)")
    client = AsyncWebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=int(TIMEOUT)
    )
    try:
        answer = await client.auth_test()
    except SlackApiError as error:
        return Check("SLACK_BOT_TOKEN", False, f"Slack refused it: {error.response.get('error')}")
    except Exception as error:
        return Check(
            "SLACK_API_URL", False, f"can't reach {settings.slack_api_url} ({type(error).__name__})"
        )
    return Check(
        "Slack", True, f"bot token valid for team {answer.get('team_id')} ({answer.get('team')})"
    )


async def teams_check(settings: Settings) -> Check:
    if not settings.microsoft_app_id:
        return Check("Teams", True, "no app id: Emulator mode, requests are NOT authenticated")
    from bot.teams.auth import outbound_token

    try:
        token = await asyncio.wait_for(asyncio.to_thread(outbound_token, settings), TIMEOUT)
    except Exception as error:
        return Check(
            "MICROSOFT_APP_ID/PASSWORD",
            False,
            f"no token from Microsoft Entra ({type(error).__name__}): check the id, secret and tenant",
        )
    return Check("Teams", True, "app credentials accepted" if token else "no token returned")


async def run_checks(settings: Settings) -> list[Check]:
    checks = [await database_check(settings)]
    platform_checks: list[Callable[[Settings], Awaitable[Check]]] = []
    if settings.slack_configured:
        platform_checks.append(slack_check)
    if settings.teams_configured:
        platform_checks.append(teams_check)
    if not settings.any_platform:
        checks.append(Check("platforms", True, "none configured: `postpoc chat` runs the console"))
    for check in platform_checks:
        checks.append(await check(settings))
    return checks


def doctor() -> tuple[int, list[str]]:
    settings, checks = settings_checks()
    if settings is not None:
        checks += asyncio.run(run_checks(settings))
    return (0 if all(c.ok for c in checks) else 1), [c.line() for c in checks]
