"""The chat model named by ``LLM_MODEL``, through langchain's provider-agnostic
``init_chat_model`` ("openai:gpt-4o-mini", "anthropic:...", "ollama:llama3.1").

The provider's package (``langchain-openai``, ``langchain-anthropic``,
``langchain-ollama``...) is the installer's choice, and its credentials come
from its own environment variables (``OPENAI_API_KEY``...). A model that
can't be built stops the start with one line, as a wrong setting does.
"""

from __future__ import annotations

from typing import Any

from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel

from bot.config import Settings
from bot.llm.assistant import LangChainAssistant


class ModelSetupError(Exception):
    """``LLM_MODEL`` names a model that can't be built; the message says why."""


def chat_model(settings: Settings) -> BaseChatModel:
    name = (settings.llm_model or "").strip()
    if not name:
        raise ModelSetupError("no model named")
    options: dict[str, Any] = {}
    if settings.llm_temperature is not None:
        options["temperature"] = settings.llm_temperature
    try:
        model: BaseChatModel = init_chat_model(name, **options)
    except ImportError as error:
        raise ModelSetupError(f"{name} needs its provider's package: {error}") from None
    except Exception as error:  # the provider's own checks (an unknown provider, no API key)
        raise ModelSetupError(f"{name} can't be used: {error}") from None
    return model


def build_assistant(settings: Settings) -> LangChainAssistant:
    return LangChainAssistant(
        chat_model(settings),
        timeout=settings.llm_timeout_seconds,
        attempts=settings.llm_attempts,
    )
