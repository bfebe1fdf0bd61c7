"""deploy/compose.yaml: valid Compose, and the bot on PostgreSQL.

Validated with check-jsonschema against the Compose Specification's schema
kept in deploy/schemas (no network), then read for what it must say.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import check_jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.config import Settings
from storage.database import resolve_url
from tests.deploy.support import COMPOSE, COMPOSE_SCHEMA, DOCKERFILE, ROOT


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` with nothing set: the default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        check_jsonschema.main(["--schemafile", str(COMPOSE_SCHEMA), str(path)])
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out + captured.err


def test_the_compose_file_follows_the_compose_specification(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, output = check(COMPOSE, capsys)
    assert code == 0, output


def test_the_schema_check_catches_a_mistake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        COMPOSE.read_text(encoding="utf-8").replace("restart:", "restrat:", 1), encoding="utf-8"
    )
    code, output = check(broken, capsys)
    assert code == 1
    assert "restrat" in output


def test_postgres_is_16_with_a_health_check_and_a_named_volume() -> None:
    spec = compose()
    postgres = spec["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    test = " ".join(postgres["healthcheck"]["test"])
    assert "pg_isready" in test
    environment = postgres["environment"]
    assert f"-U {environment['POSTGRES_USER']}" in test
    assert f"-d {environment['POSTGRES_DB']}" in test
    volume, _, mount = postgres["volumes"][0].partition(":")
    assert volume in spec["volumes"], "a named volume, declared"
    assert mount == "/var/lib/postgresql/data"


def test_the_bot_is_built_from_the_dockerfile() -> None:
    build = compose()["services"]["postpoc"]["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == ROOT
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE


def test_the_bot_waits_for_a_healthy_postgres_and_uses_it() -> None:
    spec = compose()
    bot, postgres = spec["services"]["postpoc"], spec["services"]["postgres"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    url = make_url(interpolate(bot["environment"]["DATABASE_URL"]))
    environment = {k: interpolate(v) for k, v in postgres["environment"].items()}
    assert url.get_backend_name() == "postgresql"
    assert (url.host, url.port) == ("postgres", 5432)
    assert url.username == environment["POSTGRES_USER"]
    assert url.password == environment["POSTGRES_PASSWORD"]
    assert url.database == environment["POSTGRES_DB"]
    assert resolve_url(url.render_as_string(hide_password=False)).drivername == (
        "postgresql+psycopg"
    )


def test_the_bot_serves_its_port_and_restarts() -> None:
    bot = compose()["services"]["postpoc"]
    port = str(Settings.model_fields["port"].default)
    assert f"{port}:{port}" in bot["ports"]
    assert bot["restart"] == "unless-stopped"
    assert "command" not in bot, "the image's own command: postpoc serve"


def test_the_env_file_is_optional_and_not_committed() -> None:
    (env_file,) = compose()["services"]["postpoc"]["env_file"]
    assert env_file["required"] is False
    path = (COMPOSE.parent / env_file["path"]).resolve()
    assert path.relative_to(ROOT).as_posix() in (ROOT / ".gitignore").read_text().split()


def test_every_variable_given_to_the_bot_is_a_setting() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert set(compose()["services"]["postpoc"]["environment"]) <= fields
