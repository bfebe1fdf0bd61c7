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

from storage.database import default_sqlite_path, resolve_url


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

    host: str = Field(default="0.0.0.0", description="address `postpoc serve` listens on")  # noqa: S104
    port: int = Field(default=3978, ge=1, le=65535, description="port `postpoc serve` listens on")

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
    def any_platform(self) -> bool:
        return self.slack_configured or self.teams_configured

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value:
            resolve_url(value)  # raises with the reason for an unsupported database
        return value

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

    def db_url(self) -> URL:
        return resolve_url(self.database_url, self.postpoc_data_dir)

    def data_dir(self) -> Path:
        if self.postpoc_data_dir:
            return self.postpoc_data_dir
        return default_sqlite_path().parent
