"""The model comes from the settings, and only when one is named: without
``LLM_MODEL`` nothing of langchain is even imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.llm import LangChainAssistant
from bot.runtime import language_model, open_service
from conversations.llm import NoAssistant
from tests.llm.fakes import FakeModel

ROOT = Path(__file__).resolve().parents[2]
NO_LANGCHAIN = (
    "import bot.cli, bot.server, conversations.service; import sys; "
    "assert not any(m.startswith('langchain') for m in sys.modules), "
    "sorted(m for m in sys.modules if m.startswith('langchain'))"
)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_importing_the_bot_without_a_model_imports_no_langchain() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_")}
    done = subprocess.run(
        [sys.executable, "-c", NO_LANGCHAIN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_no_model_named_is_no_model() -> None:
    assert settings().llm_model is None
    assert settings(llm_model="  ").llm_model is None
    assert language_model(settings()) is None


@pytest.mark.parametrize(
    ("name", "said"),
    [("openai:gpt-4o-mini", "langchain-openai"), ("nosuchprovider:model", "nosuchprovider")],
)
def test_a_model_that_cannot_be_built_stops_the_start_naming_the_setting(
    name: str, said: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        language_model(settings(llm_model=name))
    message = str(stopped.value)
    assert message.startswith("postpoc: setting LLM_MODEL: ")
    assert said in message


async def test_the_service_gets_the_named_model_with_its_limits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    built: list[tuple[str, dict[str, Any]]] = []

    def init_chat_model(name: str, **options: Any) -> FakeModel:
        built.append((name, options))
        return FakeModel()

    monkeypatch.setattr("bot.llm.model.init_chat_model", init_chat_model)
    service = await open_service(
        settings(
            database_url=f"sqlite:///{tmp_path / 'postpoc.db'}",
            llm_model="ollama:llama3.1",
            llm_timeout_seconds=3.5,
            llm_attempts=3,
            llm_temperature=0,
        )
    )
    try:
        assert isinstance(service.assistant, LangChainAssistant)
        assert (service.assistant.timeout, service.assistant.attempts) == (3.5, 3)
        assert built == [("ollama:llama3.1", {"temperature": 0})]
    finally:
        await service.store.dispose()
    plain = await open_service(settings(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    try:
        assert isinstance(plain.assistant, NoAssistant)
    finally:
        await plain.store.dispose()
