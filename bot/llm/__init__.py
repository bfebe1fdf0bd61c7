"""The language-model adapter: the core's ``Assistant`` port, with langchain.

Imported only when ``LLM_MODEL`` is set (``bot.runtime.open_service``), so a
bot without a model never loads langchain. ``model`` builds the chat model
from the settings; ``assistant`` asks it the core's three questions, bounded
in time, retried, checked and counted.
"""

from bot.llm.assistant import LangChainAssistant
from bot.llm.model import ModelSetupError, build_assistant

__all__ = ["LangChainAssistant", "ModelSetupError", "build_assistant"]
