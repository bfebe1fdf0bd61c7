"""The core's three questions, asked of a langchain chat model.

Each task renders its prompt template (``prompts``), asks the model for one
structured answer with ``with_structured_output(Schema, include_raw=True)``
(a parsing error comes back as data instead of being raised), and answers
``None``, the core's deterministic fallback, whenever the model does not help:

- every attempt is bounded by ``timeout`` seconds (``asyncio.wait_for``);
- a time-out or an exception is tried again, ``attempts`` times in all, after
  a short ``pause`` (tenacity); an unusable answer is not: asking the same
  question again seldom mends it, and the person is waiting;
- the answer must parse into the schema, then pass the core's own checks
  (``conversations.llm.checks``), which the core runs once more before use.

So a model call delays a reply by at most ``attempts × timeout + pause``.
Every call is counted in ``LLM_CALLS`` by task and result (ok, invalid,
timeout, error) and the tokens of every answer in ``LLM_TOKENS``; logs name
the task, the prompt version and the result, never the text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_fixed,
)

import prompts
from conversations.llm.checks import extracted_problem, follow_up_problem, narrative_problem
from conversations.llm.port import Extracted, Facts, FollowUp, Narrative
from conversations.metrics import LLM_CALLS, LLM_TOKENS

log = logging.getLogger("postpoc.llm")

Answer = TypeVar("Answer", bound=BaseModel)
Problem = Callable[[Answer], str | None]

FOLLOW_UP, EXTRACTION, NARRATIVE = "follow_up", "extraction", "narrative"


class LangChainAssistant:
    """Implements ``conversations.llm.port.Assistant`` with ``model``."""

    def __init__(
        self, model: BaseChatModel, *, timeout: float, attempts: int = 2, pause: float = 0.25
    ) -> None:
        self.model = model
        self.timeout = timeout
        self.attempts = attempts
        self.pause = pause

    async def follow_up(self, question: str, answer: str, language: str) -> FollowUp | None:
        return await self._ask(
            FOLLOW_UP,
            FollowUp,
            follow_up_problem,
            question=question,
            answer=answer,
            language=language,
        )

    async def extract(
        self, question: str, text: str, unit: str | None, language: str
    ) -> Extracted | None:
        return await self._ask(
            EXTRACTION,
            Extracted,
            lambda found: extracted_problem(found, text),
            question=question,
            unit=unit,
            answer=text,
            language=language,
        )

    async def narrative(self, facts: Facts, language: str) -> Narrative | None:
        return await self._ask(
            NARRATIVE,
            Narrative,
            lambda written: narrative_problem(written, facts),
            facts=facts.as_data(),
            language=language,
        )

    async def _ask(
        self, task: str, schema: type[Answer], problem: Problem[Answer], **values: object
    ) -> Answer | None:
        prompt = prompts.load(task)
        rendered = prompt.render(**values)
        messages: list[BaseMessage] = [
            SystemMessage(rendered.system),
            HumanMessage(rendered.user),
        ]
        try:
            output = await self._call(schema, messages, task)
        except TimeoutError:
            _failed(task, prompt.name, "timeout")
            return None
        except Exception as error:  # whatever the provider raises, the core falls back
            _failed(task, prompt.name, "error", type(error).__name__)
            return None
        _count_tokens(task, output.get("raw"))
        parsed = output.get("parsed")
        if not isinstance(parsed, schema):
            parsing = output.get("parsing_error")
            why = type(parsing).__name__ if parsing is not None else "no structured answer"
            _failed(task, prompt.name, "invalid", why)
            return None
        found = problem(parsed)
        if found is not None:
            _failed(task, prompt.name, "invalid", found)
            return None
        LLM_CALLS.labels(task, "ok").inc()
        log.debug("language model answered", extra={"task": task, "prompt": prompt.name})
        return parsed

    async def _call(
        self, schema: type[BaseModel], messages: list[BaseMessage], task: str
    ) -> dict[str, Any]:
        structured = self.model.with_structured_output(schema, include_raw=True)

        def retrying(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.info(
                "language model call failed, trying again",
                extra={
                    "task": task,
                    "attempt": state.attempt_number,
                    "error": type(error).__name__,
                },
            )

        attempts = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_fixed(self.pause),
            retry=retry_if_exception_type(Exception),
            before_sleep=retrying,
            reraise=True,
        )
        return await attempts(self._once, structured, messages)

    async def _once(
        self, structured: Runnable[Any, Any], messages: list[BaseMessage]
    ) -> dict[str, Any]:
        output = await asyncio.wait_for(structured.ainvoke(messages), self.timeout)
        if not isinstance(output, dict):
            raise TypeError(f"structured output with include_raw gave {type(output).__name__}")
        return output


def _failed(task: str, prompt: str, result: str, why: str | None = None) -> None:
    LLM_CALLS.labels(task, result).inc()
    log.warning(
        "language model not used: %s",
        result,
        extra={"task": task, "prompt": prompt, "result": result, "why": why},
    )


def _count_tokens(task: str, raw: object) -> None:
    usage = getattr(raw, "usage_metadata", None)
    if not usage:
        return
    LLM_TOKENS.labels(task, "input").inc(usage.get("input_tokens", 0))
    LLM_TOKENS.labels(task, "output").inc(usage.get("output_tokens", 0))
