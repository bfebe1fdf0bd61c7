"""Helpers of the language-model tests: a fake model that answers each task by
rule, reading the quoted data back out of its prompt, and interviews driven
up to a given question."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence

from langchain_core.messages import AIMessage, BaseMessage
from prometheus_client import REGISTRY

from conversations.messages import Reply
from tests.llm.fakes import FakeModel, structured
from tests.support.conversation import Person
from tests.support.scripts import READY, current_key

VAGUE = "It saves time"
FOLLOW_UP = "How many hours a week does it save, and for how many people?"
CHANGE = "from 40 to 15 minutes per invoice"


def quoted(messages: Sequence[BaseMessage], tag: str) -> object:
    """The value the prompt quotes between ``<tag>`` and ``</tag>``."""
    found = re.search(rf"<{tag}>(.*?)</{tag}>", str(messages[-1].content), re.DOTALL)
    assert found, f"no <{tag}> in the prompt"
    return json.loads(found.group(1))


def narrating(summary: str, cited: Sequence[str]) -> Callable[[list[BaseMessage]], AIMessage]:
    def write(_: list[BaseMessage]) -> AIMessage:
        return structured("Narrative", summary=summary, cited_keys=list(cited))

    return write


GOOD_NARRATIVE = (
    "Accounts payable clerks use the agent to propose the accounting entry of supplier "
    "invoices. Handling time per invoice went from 40 minutes to 12 against a target of 15, "
    "measured on 400 cases."
)
GOOD_CITED = ("use_users", "use_task", "value_baseline", "value_target", "value_poc_result")


def by_rule(narrative: Callable[[list[BaseMessage]], AIMessage] | None = None) -> FakeModel:
    """Vague when the answer is :data:`VAGUE`; reads 40 out of :data:`CHANGE`;
    writes ``narrative`` (by default :data:`GOOD_NARRATIVE`)."""
    write = narrative or narrating(GOOD_NARRATIVE, GOOD_CITED)

    def reply(schema: str, messages: list[BaseMessage]) -> AIMessage:
        if schema == "FollowUp":
            vague = quoted(messages, "answer") == VAGUE
            return structured("FollowUp", vague=vague, question=FOLLOW_UP if vague else None)
        if schema == "Extracted":
            text = str(quoted(messages, "answer"))
            if CHANGE in text:
                return structured("Extracted", value=40, evidence=CHANGE)
            return structured("Extracted", value=None, evidence="")
        return write(messages)

    return FakeModel(reply=reply)


async def answer_until(
    person: Person,
    replies: Sequence[Reply],
    key: str,
    answers: Mapping[str, str] = READY,
) -> list[Reply]:
    """Answers from ``answers`` until question ``key`` is asked; returns those replies."""
    current = list(replies)
    for _ in range(200):
        if current_key(current) == key:
            return current
        current = await person.says(answers[current_key(current)])
    raise AssertionError(f"{key} was never asked")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0
