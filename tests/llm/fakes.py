"""Fake chat models: langchain's own fake, taught structured output.

``GenericFakeChatModel`` does not bind tools, so ``with_structured_output``
raises on it. :class:`FakeModel` binds by remembering the name of the schema
asked for and returning itself; each call then answers with the next
scripted message, or what ``reply(schema name, messages)`` returns. It keeps
every prompt it received. ``slow`` waits for an event that never comes (the
caller's time-out ends it); ``failure`` raises instead of answering, and
``fail_first`` raises for that many calls, then answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from bot.llm import LangChainAssistant

Reply = Callable[[str, list[BaseMessage]], AIMessage]


class FakeModel(GenericFakeChatModel):
    messages: Iterator[AIMessage | str] = Field(default_factory=lambda: iter(()))
    reply: Reply | None = None
    slow: bool = False
    failure: str | None = None
    fail_first: int = 0
    schema_name: str | None = None
    received: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[Any, AIMessage]:
        self.schema_name = convert_to_openai_tool(tools[0])["function"]["name"]
        return self

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.received.append(list(messages))
        if self.slow:
            await asyncio.Event().wait()
        if self.failure or len(self.received) <= self.fail_first:
            raise RuntimeError(self.failure or "the provider failed")
        found = self.reply(self.schema_name or "", messages) if self.reply else next(self.messages)
        message = AIMessage(content=found) if isinstance(found, str) else found
        return ChatResult(generations=[ChatGeneration(message=message)])

    @property
    def prompts(self) -> list[str]:
        """The user part of every prompt received, in order."""
        return [str(messages[-1].content) for messages in self.received]


def structured(schema: str, *, tokens: tuple[int, int] = (120, 30), **args: Any) -> AIMessage:
    """What a provider answers to structured output: one call of the schema's tool."""
    given, used = tokens
    return AIMessage(
        content="",
        tool_calls=[{"name": schema, "args": args, "id": "call-1", "type": "tool_call"}],
        usage_metadata={"input_tokens": given, "output_tokens": used, "total_tokens": given + used},
    )


def scripted(*messages: AIMessage | str, **options: Any) -> FakeModel:
    return FakeModel(messages=iter(messages), **options)


TIMEOUT = 0.05
"""Seconds a slow fake is given before the time-out: no real waiting."""
PATIENCE = 10.0
"""Seconds any other fake is given: never reached, even on a busy machine."""


def assistant(model: FakeModel, *, attempts: int = 2) -> LangChainAssistant:
    timeout = TIMEOUT if model.slow else PATIENCE
    return LangChainAssistant(model, timeout=timeout, attempts=attempts, pause=0)
