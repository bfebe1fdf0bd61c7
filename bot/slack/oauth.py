"""Many workspaces: installs through OAuth, kept in the bot's own database.

slack_sdk's ``AsyncSQLAlchemyInstallationStore`` and
``AsyncSQLAlchemyOAuthStateStore`` run on the core's own engine (the same
``DATABASE_URL``, one connection pool); their tables (``slack_bots``,
``slack_installations``, ``slack_oauth_states``) are created by the
project's Alembic migrations, never by the stores' ``create_tables``.

Bolt's ``AsyncInstallationStoreAuthorize`` finds each request's bot token in
the store; its cache of ``auth.test`` results is turned on, so a token is
checked once per process rather than on every request (an uninstalled
workspace has no token left to find, so a cached result can't outlive it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

import sqlalchemy as sa
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.slack import logs
from bot.slack.scopes import BOT_SCOPES
from bot.slack.workspaces import Installed, tenant_of, workspace_key
from conversations.platform_state import PlatformState

STATE_SECONDS = 600


class TokenSource(Protocol):
    async def bot_token(self, workspace: str) -> str | None:
        """The bot token to post in ``workspace`` with, if the bot is installed there."""
        ...


@dataclass(frozen=True)
class StaticToken:
    """One workspace, one token from the settings."""

    token: str

    async def bot_token(self, workspace: str) -> str | None:
        return self.token if tenant_of(workspace) is not None else None


class InstalledTokens:
    """Tokens of installs made through OAuth, read from the installation store.

    A workspace key names the team (or the enterprise, for an org-wide
    install) but not the Grid org a team belongs to, so the latest bot row is
    looked up by that one id.
    """

    def __init__(self, store: AsyncSQLAlchemyInstallationStore) -> None:
        self.store = store

    async def bot_token(self, workspace: str) -> str | None:
        tenant = tenant_of(workspace)
        if tenant is None:
            return None
        bots = self.store.bots.c
        match = (
            bots.enterprise_id == tenant.enterprise_id
            if tenant.enterprise_id
            else bots.team_id == tenant.team_id
        )
        query = (
            sa.select(bots.bot_token)
            .where(bots.client_id == self.store.client_id, match, bots.bot_token.is_not(None))
            .order_by(bots.installed_at.desc())
            .limit(1)
        )
        if tenant.enterprise_id:
            query = query.where(bots.is_enterprise_install.is_(True))
        async with self.store.engine.connect() as connection:
            token = (await connection.execute(query)).scalar_one_or_none()
        return str(token) if token else None


@dataclass
class OAuth:
    installations: AsyncSQLAlchemyInstallationStore
    settings: AsyncOAuthSettings
    authorize: AsyncInstallationStoreAuthorize

    @property
    def tokens(self) -> InstalledTokens:
        return InstalledTokens(self.installations)


def installation_store(settings: Settings, engine: AsyncEngine) -> AsyncSQLAlchemyInstallationStore:
    if not settings.slack_client_id or not settings.slack_client_secret:
        raise ValueError("SLACK_CLIENT_ID needs SLACK_CLIENT_SECRET")
    return AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)


def tokens(settings: Settings, engine: AsyncEngine) -> TokenSource:
    """Where the bot token of a workspace comes from, for these settings."""
    if settings.slack_client_id:
        return InstalledTokens(installation_store(settings, engine))
    return StaticToken(settings.slack_bot_token or "")


def build_oauth(
    settings: Settings,
    platform: PlatformState,
    engine: AsyncEngine,
    api_base: str,
    installed_cache: Installed | None = None,
) -> OAuth:
    """``api_base`` is the Web API URL (``https://slack.com/api/``);
    ``installed_cache`` is told of each new install."""
    installations = installation_store(settings, engine)
    client_id, client_secret = installations.client_id, settings.slack_client_secret
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)

    async def installed(args: AsyncSuccessArgs) -> BoltResponse:
        done = args.installation
        key = workspace_key(
            enterprise_id=done.enterprise_id,
            team_id=done.team_id,
            is_enterprise_install=bool(done.is_enterprise_install),
        )
        await platform.activate(key, done.team_name or done.enterprise_name or "")
        # The installer administers the workspace (unless it has an admin):
        # not whoever happens to open App Home first.
        await platform.installed_by(key, done.user_id or "")
        if installed_cache is not None:
            installed_cache.forget(key)
        logs.installed(key)
        return await args.default.success(args)

    async def failed(args: AsyncFailureArgs) -> BoltResponse:
        return await args.default.failure(args)

    oauth_settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        # Next to the Web API: slack.com/oauth/v2/authorize, or GovSlack's.
        authorization_url=urljoin(api_base, "../oauth/v2/authorize"),
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=installed, failure=failed),
    )
    authorize = AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.AsyncApp"),
        installation_store=installations,
        client_id=client_id,
        client_secret=client_secret,
        cache_enabled=True,
    )
    return OAuth(installations, oauth_settings, authorize)
