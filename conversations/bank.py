"""The question bank: the interview as data, checked when it loads.

A bank is a YAML file in ``conversations/banks/`` named ``<flow>.v<version>.yaml``.
Loading it rejects what would only show up in the middle of somebody's
interview: a condition naming an unknown or later question, a condition value
the question can't take, a missing translation, a duplicate key, a question
whose condition can never hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from conversations.messages import QuestionKind

AnswerValue = Any
"""A typed answer: str, bool, float, list[str], ``{"id", "name"}`` for a person, ISO date str."""


class BankError(ValueError):
    """The bank file is wrong; the message names the question and the problem."""


class Localised(BaseModel):
    """A text in every language of the bank."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str
    fr: str

    def get(self, locale: str) -> str:
        return self.fr if language_of(locale) == "fr" else self.en


class ChoiceDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: str
    label: Localised


class Not(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    not_: Any = Field(alias="not")


Expected = Any  # a scalar, a list of scalars (one of) or Not


class QuestionDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    type: QuestionKind
    text: Localised
    help: Localised | None = None
    reference: str | None = None
    required: bool = False
    choices: tuple[ChoiceDef, ...] = ()
    exclusive: tuple[str, ...] = ()
    unit: Localised | None = None
    unit_from: str | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    max_length: int = 10_000
    when: tuple[dict[str, Expected], ...] = ()

    @field_validator("when", mode="before")
    @classmethod
    def _any_of(cls, value: Any) -> Any:
        if value is None:
            return ()
        return (value,) if isinstance(value, Mapping) else value

    @model_validator(mode="after")
    def _coherent(self) -> QuestionDef:
        needs_choices = self.type in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE)
        if needs_choices and not self.choices:
            raise ValueError(f"{self.key}: a {self.type} question needs choices")
        if not needs_choices and self.choices:
            raise ValueError(f"{self.key}: a {self.type} question takes no choices")
        values = [c.value for c in self.choices]
        if len(set(values)) != len(values):
            raise ValueError(f"{self.key}: duplicate choice values")
        if unknown := set(self.exclusive) - set(values):
            raise ValueError(f"{self.key}: exclusive names unknown choices {sorted(unknown)}")
        return self

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    def choice_label(self, value: str, locale: str) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label.get(locale)
        return value


class SectionDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    title: Localised
    reference: str | None = None
    questions: tuple[QuestionDef, ...]


class BankFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    flow: str
    version: int
    locales: tuple[str, ...]
    sections: tuple[SectionDef, ...]


@dataclass(frozen=True)
class Bank:
    """A loaded, checked bank. Questions are in the order they are asked."""

    flow: str
    version: int
    sections: tuple[SectionDef, ...]

    @property
    def questions(self) -> tuple[QuestionDef, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, key: str) -> QuestionDef:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def has(self, key: str) -> bool:
        return any(q.key == key for q in self.questions)

    def section_of(self, key: str) -> SectionDef:
        for section in self.sections:
            if any(q.key == key for q in section.questions):
                return section
        raise KeyError(key)

    def index(self, key: str) -> int:
        return [q.key for q in self.questions].index(key)

    def applicable(self, answers: Mapping[str, AnswerValue]) -> Iterator[QuestionDef]:
        """The questions to ask given the answers so far, in order."""
        return (q for q in self.questions if is_applicable(q, answers))


SKIPPED = object()
"""Marks a question the person skipped, in an answers mapping."""


def language_of(locale: str) -> str:
    """``fr_CA`` → ``fr``; anything not French falls back to English."""
    return "fr" if locale.lower().replace("-", "_").split("_")[0] == "fr" else "en"


def is_applicable(question: QuestionDef, answers: Mapping[str, AnswerValue]) -> bool:
    if not question.when:
        return True
    return any(_group_holds(group, answers) for group in question.when)


def _group_holds(group: Mapping[str, Expected], answers: Mapping[str, AnswerValue]) -> bool:
    for key, expected in group.items():
        if key not in answers or answers[key] is SKIPPED or answers[key] is None:
            return False
        if not _matches(answers[key], expected):
            return False
    return True


def _matches(actual: AnswerValue, expected: Expected) -> bool:
    if isinstance(expected, Mapping) and set(expected) == {"not"}:
        return not _matches(actual, expected["not"])
    options = expected if isinstance(expected, list) else [expected]
    if isinstance(actual, list):
        return any(option in actual for option in options)
    return actual in options


def _expected_values(expected: Expected) -> list[Any]:
    if isinstance(expected, Mapping) and set(expected) == {"not"}:
        return _expected_values(expected["not"])
    return list(expected) if isinstance(expected, list) else [expected]


def _check(file: BankFile) -> None:
    if set(file.locales) != {"en", "fr"}:
        raise BankError("a bank must be written in en and fr")
    seen: dict[str, QuestionDef] = {}
    for section in file.sections:
        for question in section.questions:
            if question.key in seen:
                raise BankError(f"{question.key}: duplicate question key")
            _check_texts(question)
            _check_conditions(question, seen)
            if question.unit_from and question.unit_from not in seen:
                raise BankError(f"{question.key}: unit_from names {question.unit_from}, not asked before")
            seen[question.key] = question


def _check_texts(question: QuestionDef) -> None:
    texts: list[Localised] = [question.text, *(c.label for c in question.choices)]
    if question.help:
        texts.append(question.help)
    if question.unit:
        texts.append(question.unit)
    for text in texts:
        if not text.en.strip() or not text.fr.strip():
            raise BankError(f"{question.key}: a text is missing a translation")


def _check_conditions(question: QuestionDef, earlier: Mapping[str, QuestionDef]) -> None:
    for group in question.when:
        if not group:
            raise BankError(f"{question.key}: an empty condition")
        for key, expected in group.items():
            if key not in earlier:
                raise BankError(
                    f"{question.key}: condition on {key!r}, which is not a question asked before it"
                )
            source = earlier[key]
            for value in _expected_values(expected):
                if not _can_take(source, value):
                    raise BankError(
                        f"{question.key}: condition expects {value!r} from {key}, "
                        f"which a {source.type} question can't answer"
                    )


def _can_take(question: QuestionDef, value: Any) -> bool:
    if question.type in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
        return value in question.choice_values
    if question.type == QuestionKind.YES_NO:
        return isinstance(value, bool)
    if question.type in (QuestionKind.NUMBER, QuestionKind.SCALE):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def parse_bank(text: str) -> Bank:
    """Parse and check a bank from YAML text."""
    try:
        raw = yaml.safe_load(text)
        file = BankFile.model_validate(raw)
    except (yaml.YAMLError, ValueError) as error:
        raise BankError(str(error)) from error
    _check(file)
    return Bank(flow=file.flow, version=file.version, sections=file.sections)


@cache
def load_bank(flow: str = "post-poc", version: int | None = None) -> Bank:
    """Load a packaged bank; the newest version when ``version`` is None."""
    folder = resources.files("conversations") / "banks"
    stem = flow.replace("-", "_")
    candidates = sorted(
        (int(entry.name.removesuffix(".yaml").rsplit(".v", 1)[1]), entry)
        for entry in folder.iterdir()
        if entry.name.startswith(f"{stem}.v") and entry.name.endswith(".yaml")
    )
    if not candidates:
        raise BankError(f"no bank named {flow}")
    chosen = [c for c in candidates if version is None or c[0] == version]
    if not chosen:
        raise BankError(f"no version {version} of bank {flow}")
    return parse_bank(chosen[-1][1].read_text(encoding="utf-8"))


def mermaid(bank: Bank, locale: str = "en") -> str:
    """Draw the bank as a Mermaid flowchart, for review."""
    lines = ["flowchart TD"]
    previous: str | None = None
    for section in bank.sections:
        lines.append(f'  subgraph {section.key}["{_quote(section.title.get(locale))}"]')
        for q in section.questions:
            lines.append(f'    {q.key}["{_quote(q.key)} ({q.type})"]')
        lines.append("  end")
        for q in section.questions:
            if previous:
                lines.append(f"  {previous} --> {q.key}")
            previous = q.key
            for group in q.when:
                label = " and ".join(f"{k} {_describe(v)}" for k, v in group.items())
                for key in group:
                    lines.append(f'  {key} -. "{_quote(label)}" .-> {q.key}')
    return "\n".join(lines) + "\n"


def _describe(expected: Expected) -> str:
    if isinstance(expected, Mapping) and set(expected) == {"not"}:
        return f"≠ {expected['not']}"
    return f"= {expected}"


def _quote(text: str) -> str:
    return text.replace('"', "'")


def required_keys(bank: Bank, answers: Mapping[str, AnswerValue]) -> Sequence[str]:
    """Required questions that apply and have no real answer yet."""
    return [
        q.key
        for q in bank.applicable(answers)
        if q.required and (q.key not in answers or answers[q.key] is SKIPPED)
    ]
