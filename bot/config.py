"""Settings, from the environment and an optional ``.env`` file.

One place for every knob; a wrong value stops the start with one line naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL

from bot import extras
from storage.database import default_sqlite_path, resolve_url

BOT_FRAMEWORK_ENDPOINTS = (
    "to_bot_from_channel_openid_metadata_url",
    "to_bot_from_channel_token_issuer",
    "to_bot_from_emulator_openid_metadata_url",
    "to_channel_from_bot_login_url",
    "to_channel_from_bot_oauth_scope",
    "oauth_url",
)
"""The settings of a private cloud, named as botbuilder names them."""
US_GOVERNMENT_CHANNEL_SERVICE = "https://botframework.azure.us"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL or SQLite URL; a SQLite file in the data directory when unset",
    )
    postpoc_data_dir: Path | None = Field(
        default=None, description="where the default SQLite database and charts are kept"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR"
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="json lines, readable console lines, or auto: console in a terminal, json otherwise",
    )

    host: str = Field(
        default="0.0.0.0",  # noqa: S104
        description="address `postpoc serve` listens on (always 127.0.0.1 in Teams Emulator mode)",
    )
    port: int = Field(default=3978, ge=1, le=65535, description="port `postpoc serve` listens on")
    http_body_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="longest wait for a request's body to arrive; a slower one is cut (408)",
    )

    slack_bot_token: str | None = Field(
        default=None, description="xoxb- token of a single-workspace install"
    )
    slack_signing_secret: str | None = Field(
        default=None, description="verifies every request from Slack"
    )
    slack_app_token: str | None = Field(
        default=None, description="xapp- token: Socket Mode, for development"
    )
    slack_client_id: str | None = Field(
        default=None, description="OAuth, for installs in many workspaces"
    )
    slack_client_secret: str | None = Field(default=None, description="OAuth client secret")
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API base URL (GovSlack, tests)"
    )

    microsoft_app_id: str | None = Field(
        default=None, description="the Azure bot's app id; empty only for the local Emulator"
    )
    microsoft_app_password: str | None = Field(default=None, description="the app's client secret")
    microsoft_app_type: str = Field(
        default="SingleTenant", description="SingleTenant, MultiTenant or UserAssignedMSI"
    )
    microsoft_app_tenant_id: str | None = Field(
        default=None, description="the tenant of a SingleTenant app"
    )
    teams_enabled: bool = Field(
        default=False, description="serve /api/messages even without an app id (Emulator)"
    )
    teams_allowed_tenants: str | None = Field(
        default=None,
        description="comma-separated tenant ids a MultiTenant app serves; unset: every tenant",
    )
    postpoc_admins: str | None = Field(
        default=None,
        description="comma-separated platform user ids (Slack U…, Teams 29:…) who administer every workspace they are seen in",
    )
    channel_service: str | None = Field(
        default=None,
        description="the Bot Framework cloud: https://botframework.azure.us for US Government; unset: public cloud",
    )
    to_bot_from_channel_openid_metadata_url: str | None = Field(
        default=None, description="private cloud: OpenID metadata of the channel's signing keys"
    )
    to_bot_from_channel_token_issuer: str | None = Field(
        default=None, description="private cloud: the issuer of the channel's tokens"
    )
    to_bot_from_emulator_openid_metadata_url: str | None = Field(
        default=None, description="private cloud: OpenID metadata for Emulator and skill tokens"
    )
    to_channel_from_bot_login_url: str | None = Field(
        default=None, description="private cloud: where the bot gets its outbound tokens"
    )
    to_channel_from_bot_oauth_scope: str | None = Field(
        default=None, description="private cloud: the scope of the bot's outbound tokens"
    )
    oauth_url: str | None = Field(
        default=None, description="private cloud: the Bot Framework token service"
    )

    drain_seconds: float = Field(
        default=30.0,
        ge=0,
        le=300,
        description="after SIGTERM, longest wait for requests in flight to finish (keep it under the grace period)",
    )

    postpoc_secret_key: str | None = Field(
        default=None,
        min_length=32,
        description="seals the values of buttons and cards (32+ characters, the same on every replica); unset: derived from the platform secrets",
    )

    scheduler: bool = Field(
        default=True,
        description="run the weekly watch inside `postpoc serve` (turn off when a CronJob runs `postpoc tick`)",
    )
    scheduler_interval_seconds: int = Field(
        default=30, ge=5, le=3600, description="how often the in-process scheduler runs a pass"
    )
    checkin_weekday: int = Field(
        default=0, ge=0, le=4, description="day of owners' check-ins, 0 = Monday … 4 = Friday"
    )
    checkin_time: str = Field(
        default="10:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="time of owners' check-ins, in each owner's time zone",
    )
    checkin_reminder_hours: int = Field(
        default=48, ge=1, le=168, description="one reminder this long after an unanswered check-in"
    )
    decision_overdue_days: int = Field(
        default=30, ge=1, description="assessing longer than this: decision overdue"
    )
    stale_answer_days: int = Field(
        default=60, ge=1, description="answers older than this are stale"
    )
    reading_gap_weeks: int = Field(
        default=3, ge=1, description="weeks without a reading before health turns amber"
    )

    pushgateway_url: str | None = Field(
        default=None,
        description="Prometheus Pushgateway that `postpoc tick` pushes each pass's counters to; unset: no push",
    )
    rate_limited_commands: str = Field(
        default="new,decide,reading,ask,subscribe",
        description="the commands that write, counted by the two limits below (comma-separated)",
    )
    rate_limit_per_person: int = Field(
        default=10, ge=0, description="limited commands one person may run per minute; 0: no limit"
    )
    rate_limit_per_workspace: int = Field(
        default=100,
        ge=0,
        description="limited commands a whole workspace may run per minute; 0: no limit",
    )
    audit_retention_days: int | None = Field(
        default=None,
        ge=1,
        description="audit events older than this are deleted at each watch pass; unset: kept",
    )
    telemetry_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="longest wait for a Prometheus server to answer an indicator's query",
    )

    llm_model: str | None = Field(
        default=None,
        description="the optional language model as provider:model (openai:gpt-4o-mini, anthropic:..., ollama:...); unset: no model",
    )
    llm_timeout_seconds: float = Field(
        default=6.0,
        gt=0,
        le=60,
        description="longest wait for one model answer; then the bot goes on without it",
    )
    llm_attempts: int = Field(
        default=2, ge=1, le=3, description="tries per model call, after a time-out or an error"
    )
    llm_temperature: float | None = Field(
        default=None,
        ge=0,
        le=2,
        description="the model's temperature; unset: the provider's default",
    )

    @property
    def slack_configured(self) -> bool:
        # Socket Mode (an app token) needs no signing secret: Slack's requests
        # come over the bot's own WebSocket instead of HTTP.
        reachable = self.slack_signing_secret or self.slack_app_token
        return bool(reachable and (self.slack_bot_token or self.slack_client_id))

    @property
    def teams_configured(self) -> bool:
        return bool(self.microsoft_app_id) or self.teams_enabled

    @property
    def teams_emulator(self) -> bool:
        """Teams without an app id: unsigned requests, for the local Emulator only."""
        return self.teams_enabled and not self.microsoft_app_id

    @property
    def listen_host(self) -> str:
        # Emulator mode accepts anyone's unsigned activities: this machine only.
        return "127.0.0.1" if self.teams_emulator else self.host

    @property
    def admins(self) -> list[str]:
        return _listed(self.postpoc_admins)

    @property
    def allowed_tenants(self) -> list[str]:
        """The tenants Teams activities may come from; empty: any."""
        single = self.microsoft_app_type in ("SingleTenant", "UserAssignedMSI")
        if single and self.microsoft_app_tenant_id:
            return [self.microsoft_app_tenant_id]
        return _listed(self.teams_allowed_tenants)

    @property
    def any_platform(self) -> bool:
        return self.slack_configured or self.teams_configured

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value:
            resolve_url(value)  # raises with the reason for an unsupported database
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case_level(cls, value: object) -> object:
        # LOG_LEVEL=debug is as clear as DEBUG.
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("llm_model")
    @classmethod
    def _blank_is_no_model(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        # slack_sdk joins method names onto it: ".../api" would drop "api".
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        problems = list(self.problems())
        if problems:
            # One per line: the CLI shows the first, postpoc doctor shows them all.
            raise ValueError("\n".join(problems))
        return self

    def problems(self) -> Iterator[str]:
        """Settings that can't work together, each naming the setting to fix."""
        if self.slack_bot_token and not self.slack_bot_token.startswith("xoxb-"):
            yield "SLACK_BOT_TOKEN must be a bot token, starting with xoxb-"
        if self.slack_app_token and not self.slack_app_token.startswith("xapp-"):
            yield "SLACK_APP_TOKEN must be an app-level token, starting with xapp-"
        if (self.slack_bot_token or self.slack_client_id) and not (
            self.slack_signing_secret or self.slack_app_token
        ):
            yield "SLACK_SIGNING_SECRET is missing: without it Slack's requests can't be verified (or set SLACK_APP_TOKEN for Socket Mode)"
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            yield "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both for OAuth, or neither"
        if (self.slack_signing_secret or self.slack_app_token) and not (
            self.slack_bot_token or self.slack_client_id
        ):
            yield "SLACK_BOT_TOKEN is missing (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for many workspaces)"
        if (
            self.microsoft_app_id
            and self.microsoft_app_type != "UserAssignedMSI"
            and not self.microsoft_app_password
        ):
            yield "MICROSOFT_APP_PASSWORD is missing: the bot can't answer Teams without its client secret"
        if (
            self.microsoft_app_id
            and self.microsoft_app_type == "SingleTenant"
            and not self.microsoft_app_tenant_id
        ):
            yield "MICROSOFT_APP_TENANT_ID is missing: a SingleTenant bot needs its tenant"
        if self.microsoft_app_type not in ("SingleTenant", "MultiTenant", "UserAssignedMSI"):
            yield "MICROSOFT_APP_TYPE must be SingleTenant, MultiTenant or UserAssignedMSI"
        endpoints = {name.upper(): getattr(self, name) for name in BOT_FRAMEWORK_ENDPOINTS}
        missing = [name for name, value in endpoints.items() if not value]
        if missing and len(missing) < len(endpoints):
            # botbuilder's private-cloud mode has no defaults: one set means all are needed.
            yield f"Bot Framework endpoints go together; also set {', '.join(missing)}"
        built_in = len(missing) == len(endpoints)
        if (
            built_in
            and self.channel_service
            and self.channel_service.rstrip("/") != US_GOVERNMENT_CHANNEL_SERVICE
        ):
            yield (
                f"CHANNEL_SERVICE must be {US_GOVERNMENT_CHANNEL_SERVICE} (US Government) "
                "or unset; for another cloud set the TO_BOT_FROM_* and TO_CHANNEL_FROM_BOT_* endpoints"
            )
        # A setting whose optional extra is not installed (LLM_MODEL without langchain).
        yield from extras.missing(dict(self))

    def db_url(self) -> URL:
        return resolve_url(self.database_url, self.postpoc_data_dir)

    def data_dir(self) -> Path:
        if self.postpoc_data_dir:
            return self.postpoc_data_dir
        return default_sqlite_path().parent


def _listed(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]
