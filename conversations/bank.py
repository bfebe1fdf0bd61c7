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
from functools import cache, cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

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


Expected = Any  # a scalar, a list of scalars (one of), or {"not": one of those}


class QuestionDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    type: QuestionKind
    label: Localised
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
    example: float | None = None
    """A plausible answer shown in the hint and in error messages (number questions)."""
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
    context: dict[str, QuestionKind] = {}
    sections: tuple[SectionDef, ...]


@dataclass(frozen=True)
class Bank:
    """A loaded, checked bank. Questions are in the order they are asked.

    ``context`` names values the interview is started with rather than asks
    (a check-in knows the POC's indicator): texts may show them as
    ``{name}``, conditions and ``unit_from`` may use them.
    """

    flow: str
    version: int
    sections: tuple[SectionDef, ...]
    context: tuple[tuple[str, QuestionKind], ...] = ()

    # A bank is read far more often than it is loaded: index it once.
    @cached_property
    def questions(self) -> tuple[QuestionDef, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    @cached_property
    def _by_key(self) -> dict[str, tuple[int, QuestionDef, SectionDef]]:
        ordered = [(q, s) for s in self.sections for q in s.questions]
        return {q.key: (i, q, s) for i, (q, s) in enumerate(ordered)}

    def question(self, key: str) -> QuestionDef:
        return self._by_key[key][1]

    def has(self, key: str) -> bool:
        return key in self._by_key

    def section_of(self, key: str) -> SectionDef:
        return self._by_key[key][2]

    def index(self, key: str) -> int:
        return self._by_key[key][0]

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


def _context_question(name: str, kind: QuestionKind) -> QuestionDef:
    """A context value, checked like an earlier question of that type."""
    text = Localised(en=name, fr=name)
    return QuestionDef.model_construct(key=name, type=kind, label=text, text=text)


def _check(file: BankFile) -> None:
    if set(file.locales) != {"en", "fr"}:
        raise BankError("a bank must be written in en and fr")
    sections = [s.key for s in file.sections]
    if len(set(sections)) != len(sections):
        raise BankError("duplicate section key")
    if any(
        kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE) for kind in file.context.values()
    ):
        raise BankError("context values are text, numbers, yes/no, dates or people")
    seen: dict[str, QuestionDef] = {
        name: _context_question(name, kind) for name, kind in file.context.items()
    }
    for section in file.sections:
        for question in section.questions:
            if question.key in seen or question.key in sections:
                raise BankError(f"{question.key}: duplicate key (question or section)")
            _check_texts(question)
            _check_shape(question, seen)
            _check_conditions(question, seen)
            seen[question.key] = question


_NUMERIC_ONLY = ("min", "max", "integer", "unit", "unit_from", "example")


def _check_shape(question: QuestionDef, earlier: Mapping[str, QuestionDef]) -> None:
    """Options that only make sense for some types, and must agree with each other."""
    key = question.key
    if question.type != QuestionKind.NUMBER:
        used = [name for name in _NUMERIC_ONLY if name in question.model_fields_set]
        if used:
            raise BankError(f"{key}: {', '.join(used)} only apply to number questions")
    if question.min is not None and question.max is not None and question.min > question.max:
        raise BankError(f"{key}: min is greater than max")
    example = question.example
    if example is not None:
        low_ok = question.min is None or example >= question.min
        high_ok = question.max is None or example <= question.max
        if not (low_ok and high_ok) or (question.integer and not float(example).is_integer()):
            raise BankError(f"{key}: the example is not an answer the question accepts")
    if question.unit and question.unit_from:
        raise BankError(f"{key}: give unit or unit_from, not both")
    if question.unit_from:
        source = earlier.get(question.unit_from)
        if source is None or source.type != QuestionKind.TEXT:
            raise BankError(f"{key}: unit_from must name a text question asked before it")
    if question.exclusive and question.type != QuestionKind.MULTI_CHOICE:
        raise BankError(f"{key}: exclusive only applies to multi-choice questions")
    if question.max_length < 1:
        raise BankError(f"{key}: max_length must be at least 1")


def _check_texts(question: QuestionDef) -> None:
    texts: list[Localised] = [question.label, question.text, *(c.label for c in question.choices)]
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
            if source.type not in _CONDITIONABLE:
                raise BankError(
                    f"{question.key}: a condition can't depend on a {source.type} question ({key})"
                )
            for value in _expected_values(expected):
                if not _can_take(source, value):
                    raise BankError(
                        f"{question.key}: condition expects {value!r} from {key}, "
                        f"which a {source.type} question can't answer"
                    )
            if not _can_hold(source, expected):
                raise BankError(
                    f"{question.key}: the condition on {key} can never hold, so it is never asked"
                )


_CONDITIONABLE = (
    QuestionKind.CHOICE,
    QuestionKind.MULTI_CHOICE,
    QuestionKind.YES_NO,
    QuestionKind.NUMBER,
    QuestionKind.SCALE,
)


def _possible_values(question: QuestionDef) -> list[Any] | None:
    """Every answer a question can give, when they can be listed."""
    if question.type == QuestionKind.YES_NO:
        return [True, False]
    if question.type == QuestionKind.SCALE:
        return [1, 2, 3, 4, 5]
    if question.type == QuestionKind.CHOICE:
        return list(question.choice_values)
    if question.type == QuestionKind.MULTI_CHOICE:
        # an answer that is a single choice is enough to tell whether a condition can hold
        return [[value] for value in question.choice_values]
    return None


def _can_hold(question: QuestionDef, expected: Expected) -> bool:
    possible = _possible_values(question)
    return possible is None or any(_matches(value, expected) for value in possible)


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
    except yaml.YAMLError as error:
        raise BankError(f"not valid YAML: {error}") from error
    try:
        file = BankFile.model_validate(raw)
    except ValidationError as error:
        raise BankError(_explain(error, raw)) from None
    _check(file)
    return Bank(
        flow=file.flow,
        version=file.version,
        sections=file.sections,
        context=tuple(file.context.items()),
    )


def _explain(error: ValidationError, raw: Any) -> str:
    """Pydantic's first complaint, located by question key rather than list index."""
    first = error.errors()[0]
    location = list(first["loc"])
    where = ".".join(str(part) for part in location)
    try:
        if location[:1] == ["sections"] and location[2:3] == ["questions"]:
            question = raw["sections"][location[1]]["questions"][location[3]]
            rest = ".".join(str(part) for part in location[4:])
            where = f"{question.get('key', '?')}: {rest}" if rest else str(question.get("key", "?"))
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return f"{where}: {first['msg']}"


def _versions(flow: str) -> dict[int, Traversable]:
    folder = resources.files("conversations") / "banks"
    prefix = f"{flow.replace('-', '_')}.v"
    found: dict[int, Traversable] = {}
    for entry in folder.iterdir():
        number = entry.name.removeprefix(prefix).removesuffix(".yaml")
        if entry.name.startswith(prefix) and entry.name.endswith(".yaml") and number.isdigit():
            found[int(number)] = entry
    return found


def load_bank(flow: str = "post-poc", version: int | None = None) -> Bank:
    """Load a packaged bank; the newest version when ``version`` is None."""
    versions = _versions(flow)
    if not versions:
        raise BankError(f"no bank named {flow}")
    chosen = max(versions) if version is None else version
    if chosen not in versions:
        raise BankError(f"no version {version} of bank {flow}")
    return _load(flow, chosen)


@cache
def _load(flow: str, version: int) -> Bank:
    bank = parse_bank(_versions(flow)[version].read_text(encoding="utf-8"))
    if (bank.flow, bank.version) != (flow, version):
        raise BankError(f"the file for {flow} v{version} says it is {bank.flow} v{bank.version}")
    return bank


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
