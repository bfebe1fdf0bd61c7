"""Who may post to ``/api/messages``, and how the bot signs its own calls.

Inbound: botbuilder checks the Bot Framework's RS256 token (key from the
OpenID metadata, ``msteams`` endorsement, issuer, audience = our app id,
``serviceurl`` claim = the activity's ``serviceUrl``). It raises
``PermissionError`` for some failures and plain exceptions for others (an
unknown key, an expired or malformed token), which its ``process()`` turns
into a 500. :class:`StrictAuthentication` makes every failure a refusal, so
``/api/messages`` answers 401 and nothing of the request is used.

Outbound: MSAL gets the bot's tokens from Azure AD; tests give a fixed token
instead (:class:`FixedTokenFactory`), so nothing goes online.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from bot.config import BOT_FRAMEWORK_ENDPOINTS, Settings
from bot.teams.options import Endpoints, TeamsOptions
from bot.teams.sdk import (
    AppCredentials,
    BotFrameworkAuthentication,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)

log = logging.getLogger("postpoc.teams")


class AuthUnavailable(Exception):
    """The signing keys could not be fetched: our problem, not the caller's (503)."""


class BotConfiguration:
    """The attributes botbuilder's configuration-based classes read (by ``getattr``)."""

    def __init__(self, settings: Settings, endpoints: Endpoints | None) -> None:
        self.APP_ID = settings.microsoft_app_id or ""
        self.APP_PASSWORD = settings.microsoft_app_password or ""
        # Without an app id (the Emulator) only botbuilder's MultiTenant path
        # accepts the empty credentials that switch authentication off.
        self.APP_TYPE = settings.microsoft_app_type if self.APP_ID else "MultiTenant"
        self.APP_TENANTID = settings.microsoft_app_tenant_id or ""
        if settings.channel_service:
            self.CHANNEL_SERVICE = settings.channel_service.rstrip("/")
        endpoints = endpoints or endpoints_of(settings)
        if endpoints is not None:
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = endpoints.openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = endpoints.token_issuer
            self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = endpoints.emulator_openid_metadata_url
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = endpoints.login_url
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = endpoints.oauth_scope
            self.OAUTH_URL = endpoints.oauth_url


def endpoints_of(settings: Settings) -> Endpoints | None:
    """A private cloud's endpoints from the settings (``TO_BOT_FROM_CHANNEL_*``,
    ``TO_CHANNEL_FROM_BOT_*``, ``OAUTH_URL``), or None for a built-in cloud."""
    values = [getattr(settings, name) for name in BOT_FRAMEWORK_ENDPOINTS]
    if not all(values):
        return None  # a partial set is refused at start (Settings.problems)
    return Endpoints(
        openid_metadata_url=str(settings.to_bot_from_channel_openid_metadata_url),
        token_issuer=str(settings.to_bot_from_channel_token_issuer),
        emulator_openid_metadata_url=str(settings.to_bot_from_emulator_openid_metadata_url),
        login_url=str(settings.to_channel_from_bot_login_url),
        oauth_scope=str(settings.to_channel_from_bot_oauth_scope),
        oauth_url=str(settings.oauth_url),
    )


class SharedCredentials(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """The bot's outbound credentials, made once per app, scope and authority and
    shared by every turn of the process.

    botbuilder asks its factory for new credentials at every turn, and each new
    credentials object has its own MSAL application, hence its own empty token
    cache: one token request to Microsoft Entra per message, which Entra
    throttles. Kept, MSAL's cache serves the token until shortly before it
    expires (MSAL renews it itself).
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._made: dict[tuple[str, str, str, bool], Any] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        key = (app_id or "", oauth_scope or "", login_endpoint or "", bool(validate_authority))
        if key not in self._made:
            self._made[key] = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
        return self._made[key]


def check_settings(settings: Settings) -> None:
    """Refuse to start with settings botbuilder would only reject at the first message."""
    if not settings.microsoft_app_id:
        return
    kind = settings.microsoft_app_type.lower()
    if kind not in ("singletenant", "multitenant", "userassignedmsi"):
        raise ValueError(
            "MICROSOFT_APP_TYPE must be SingleTenant, MultiTenant or UserAssignedMSI, "
            f"not {settings.microsoft_app_type!r}"
        )
    if kind in ("singletenant", "userassignedmsi") and not settings.microsoft_app_tenant_id:
        raise ValueError(
            f"MICROSOFT_APP_TENANT_ID is required for a {settings.microsoft_app_type} app"
        )
    if kind != "userassignedmsi" and not settings.microsoft_app_password:
        raise ValueError("MICROSOFT_APP_PASSWORD is required when MICROSOFT_APP_ID is set")


class FixedToken(AppCredentials):  # type: ignore[misc]  # botbuilder is untyped
    """Outbound credentials that always present the same bearer token."""

    def __init__(self, app_id: str, token: str) -> None:
        super().__init__(app_id=app_id)
        self._token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._token


class FixedTokenFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Credentials for tests: our app id is valid, and calls carry a fixed token."""

    def __init__(self, app_id: str, token: str) -> None:
        self.app_id = app_id
        self.token = token

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(app_id) and app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return not self.app_id

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        if not self.app_id:
            return MicrosoftAppCredentials.empty()
        return FixedToken(self.app_id, self.token)


class StrictAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's authentication, with every failed check a ``PermissionError``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        # CloudAdapter passes "" for a missing header, but botbuilder's
        # configurable mode only recognises None as "no header".
        header = auth_header or None
        try:
            return await self._inner.authenticate_request(activity, header)
        except requests.RequestException as error:
            raise AuthUnavailable(type(error).__name__) from error
        except Exception as error:
            # The reason, never the token: enough to tell a bad key from a clock skew.
            log.warning("refused a request to /api/messages: %s", _reason(error))
            raise PermissionError("unauthorized") from error

    async def authenticate_streaming_request(self, auth_header: str, channel_id: str) -> Any:
        try:
            return await self._inner.authenticate_streaming_request(auth_header, channel_id)
        except Exception as error:
            raise PermissionError("unauthorized") from error

    def create_connector_factory(self, claims_identity: Any) -> Any:
        return self._inner.create_connector_factory(claims_identity)

    async def create_user_token_client(self, claims_identity: Any) -> Any:
        return await self._inner.create_user_token_client(claims_identity)

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> Any:
        try:
            return await self._inner.authenticate_channel_request(auth_header)
        except Exception as error:
            raise PermissionError("unauthorized") from error


def _reason(error: Exception) -> str:
    """A short, token-free reason: botbuilder's own messages name claims, not values."""
    if isinstance(error, PermissionError):
        return str(error)[:120]
    return type(error).__name__


def authentication(settings: Settings, options: TeamsOptions) -> Any:
    """The inbound checks and outbound credentials for the app's settings."""
    check_settings(settings)
    configuration = BotConfiguration(settings, options.endpoints)
    made = (
        FixedTokenFactory(settings.microsoft_app_id or "", options.outbound_token)
        if options.outbound_token is not None
        else ConfigurationServiceClientCredentialFactory(configuration)
    )
    inner = ConfigurationBotFrameworkAuthentication(
        configuration, credentials_factory=SharedCredentials(made)
    )
    return StrictAuthentication(inner)


def outbound_token(settings: Settings) -> str | None:
    """A token for the app's credentials from Microsoft Entra (blocking: run in
    a thread). For ``postpoc doctor``: proves the id, secret and tenant work."""
    tenant = (
        settings.microsoft_app_tenant_id if settings.microsoft_app_type == "SingleTenant" else None
    )
    credentials = MicrosoftAppCredentials(
        settings.microsoft_app_id, settings.microsoft_app_password or "", channel_auth_tenant=tenant
    )
    token = credentials.get_access_token()
    return str(token) if token else None
