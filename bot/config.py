"""Settings, from the environment and an optional ``.env`` file.

One place for every knob; a wrong value stops the start with one line naming it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL

from storage.database import resolve_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL or SQLite URL; a SQLite file in the data directory when unset",
    )
    postpoc_data_dir: Path | None = Field(
        default=None, description="where the default SQLite database and charts are kept"
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")

    def db_url(self) -> URL:
        return resolve_url(self.database_url, self.postpoc_data_dir)

    def data_dir(self) -> Path:
        if self.postpoc_data_dir:
            return self.postpoc_data_dir
        from storage.database import default_sqlite_path

        return default_sqlite_path().parent
