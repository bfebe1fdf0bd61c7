"""The question bank: the interview as data, checked when it loads.

A bank is a YAML file in ``conversations/banks/`` named ``<flow>.v<version>.yaml``.
Loading it rejects what would only show up in the middle of somebody's
interview: a condition naming an unknown or later question, a condition value
the question can't take, a missing translation, a duplicate key, a question
whose condition can never hold.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from conversations.deciding import DECIDING, DERIVED, FORMER, ONLY_WHEN, Derived
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
    reference: str | None = None
    """What this choice rests on, when it is more precise than its question's
    (each prohibited use its own article)."""


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
    skippable: bool = True
    """Whether ``skip`` may leave it unanswered (a required one may, and is
    counted missing); false for a question the flow can't go on without."""
    choices: tuple[ChoiceDef, ...] = ()
    exclusive: tuple[str, ...] = ()
    unit: Localised | None = None
    unit_from: str | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    example: float | None = None
    """A plausible answer shown in the hint and in error messages (number questions)."""
    words: tuple[ChoiceDef, ...] = ()
    """Words a number question also takes instead of a number ("not measured"),
    stored as their value."""
    max_length: int = 10_000
    when: tuple[dict[str, Expected], ...] = ()
    tiers: tuple[str, ...] | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _any_of(cls, value: Any) -> Any:
        return _groups(value)

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
        if self.words and self.type != QuestionKind.NUMBER:
            raise ValueError(f"{self.key}: words only apply to number questions")
        return self

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    def choice_label(self, value: str, locale: str) -> str:
        for choice in (*self.choices, *self.words):
            if choice.value == value:
                return choice.label.get(locale)
        return value


def _groups(value: Any) -> Any:
    """``when`` as a tuple of groups: one mapping is one group."""
    if value is None:
        return ()
    return (value,) if isinstance(value, Mapping) else value


class SectionDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    title: Localised
    reference: str | None = None
    tiers: tuple[str, ...] | None = None
    questions: tuple[QuestionDef, ...]


class TierDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    label: Localised


class DepthRule(BaseModel):
    """``tier`` when ``when`` holds; ``because`` is the clause the owner is told."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    tier: str
    because: Localised
    when: tuple[dict[str, Expected], ...] = ()

    @field_validator("when", mode="before")
    @classmethod
    def _any_of(cls, value: Any) -> Any:
        return _groups(value)


class ImpliedDef(BaseModel):
    """The triage answers in ``when`` settle ``key`` without asking it.

    Without ``tiers``, at a depth that does not ask ``key``; with ``tiers``, at
    those depths even when they ask it (it is asked there only when the triage
    does not settle it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    value: Any
    when: tuple[dict[str, Expected], ...]
    tiers: tuple[str, ...] | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _any_of(cls, value: Any) -> Any:
        return _groups(value)


class DepthDef(BaseModel):
    """How deep the interview goes: tiers from the lightest, rules read in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    tiers: tuple[TierDef, ...]
    triage: tuple[str, ...]
    rules: tuple[DepthRule, ...]
    otherwise: DepthRule
    implied: tuple[ImpliedDef, ...] = ()

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(tier.key for tier in self.tiers)

    def label(self, tier: str, locale: str) -> str:
        return next(t.label.get(locale) for t in self.tiers if t.key == tier)

    def deeper(self, one: str, other: str) -> str:
        return max(one, other, key=self.order.index)


@dataclass(frozen=True)
class Depth:
    """The depth in force once the triage decides it, and why."""

    tier: str
    because: Localised
    raised: bool = False
    """A lead set it deeper than the triage answers give."""


class BankFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    flow: str
    version: int
    locales: tuple[str, ...]
    context: dict[str, QuestionKind] = {}
    derived: tuple[str, ...] = ()
    """Yes/no facts computed from earlier answers (``conversations.deciding.DERIVED``)
    that conditions may read."""
    depth: DepthDef | None = None
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
    depth: DepthDef | None = None
    derived: tuple[str, ...] = ()

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

    @cached_property
    def _derived(self) -> dict[str, Derived]:
        known = DERIVED.get(self.flow, {})
        return {name: known[name] for name in self.derived}

    def _reads_derived(self, question: QuestionDef) -> bool:
        return bool(self._derived) and any(k in self._derived for g in question.when for k in g)

    def derive(self, answers: Mapping[str, AnswerValue]) -> dict[str, bool]:
        """The derived facts the answers tell (those they can't tell are left out)."""
        told: dict[str, bool] = {}
        for name, fact in self._derived.items():
            value = fact.compute(_plain(answers, fact.inputs))
            if value is not None:
                told[name] = value
        return told

    def applies(self, question: QuestionDef, answers: Mapping[str, AnswerValue]) -> bool:
        """Does ``question``'s condition hold, derived facts included?"""
        if self._reads_derived(question):
            return is_applicable(question, {**answers, **self.derive(answers)})
        return is_applicable(question, answers)

    def derived_inputs(self) -> dict[str, tuple[str, ...]]:
        """The answers each derived fact of this bank reads."""
        return {name: fact.inputs for name, fact in self._derived.items()}

    def asked_for(self, key: str) -> tuple[str, ...]:
        """The questions that answer ``key``: itself, or for a fact this bank
        derives, the questions it reads (what a reason points at to edit)."""
        if self.has(key):
            return (key,)
        fact = self._derived.get(key)
        return tuple(k for k in fact.inputs if self.has(k)) if fact else ()

    def reference_of(self, key: str) -> str | None:
        """What ``key`` rests on: its question's reference, or for a fact this bank
        derives from one choice, that choice's (else its question's)."""
        if self.has(key):
            return self.question(key).reference
        fact = self._derived.get(key)
        if fact is None:
            return None
        for source in (k for k in fact.inputs if self.has(k)):
            question = self.question(source)
            chosen = next((c for c in question.choices if c.value == fact.choice), None)
            return chosen.reference if chosen and chosen.reference else question.reference
        return None

    def upgraded(self, answers: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
        """Stored answers as this bank reads them: answers to questions an earlier
        edit of it asked, and it no longer does, read as the answer to the question
        that replaced them (``conversations.deciding.FORMER``)."""
        found = dict(answers)
        for key, former in FORMER.get(self.flow, {}).items():
            if key in found or not self.has(key) or any(self.has(k) for k in former.keys):
                continue
            if not any(k in found for k in former.keys):
                continue
            value = former.read({k: found.get(k) for k in former.keys})
            if value is not None:
                found[key] = value
        return found

    def has(self, key: str) -> bool:
        return key in self._by_key

    def section_of(self, key: str) -> SectionDef:
        return self._by_key[key][2]

    def index(self, key: str) -> int:
        return self._by_key[key][0]

    def applicable(
        self, answers: Mapping[str, AnswerValue], floor: str | None = None
    ) -> Iterator[QuestionDef]:
        """The questions to ask given the answers so far, in order.

        ``floor`` is the depth a lead raised the interview to, if any."""
        depths = self.possible_depths(answers, floor)
        settled = self.implied(answers, depths)
        return (
            q
            for q in self.questions
            if self.asks(q, depths) and q.key not in settled and self.applies(q, answers)
        )

    # -- depth ----------------------------------------------------------------------

    @cached_property
    def _tiers(self) -> dict[str, frozenset[str]]:
        every = self.depth.order if self.depth else ()
        return {
            q.key: frozenset(q.tiers or s.tiers or every)
            for s in self.sections
            for q in s.questions
        }

    def tiers_of(self, key: str) -> frozenset[str]:
        """The depths that ask a question (every depth when the bank has none)."""
        return self._tiers[key]

    def asks(self, question: QuestionDef, depths: Collection[str]) -> bool:
        """Is ``question`` asked at one of ``depths``? Always, in a bank without depths."""
        return not depths or not self._tiers[question.key].isdisjoint(depths)

    def possible_depths(
        self, answers: Mapping[str, AnswerValue], floor: str | None = None
    ) -> tuple[str, ...]:
        """The depths the interview can still end up at: one once the triage has
        decided, more while it has not; () for a bank without depths."""
        if self.depth is None:
            return ()
        found: list[str] = []
        for rule in (*self.depth.rules, self.depth.otherwise):
            holds = _three_valued(rule.when, answers) if rule.when else True
            if holds is False:
                continue
            found.append(rule.tier)
            if holds is True:
                break
        depth = self.depth
        raised = {depth.deeper(tier, floor) if floor else tier for tier in found}
        return tuple(tier for tier in depth.order if tier in raised)

    def depth_of(
        self, answers: Mapping[str, AnswerValue], floor: str | None = None
    ) -> Depth | None:
        """The depth in force and why, once the triage has decided it."""
        if self.depth is None:
            return None
        for rule in (*self.depth.rules, self.depth.otherwise):
            holds = _three_valued(rule.when, answers) if rule.when else True
            if holds is None:
                return None
            if holds:
                if floor and self.depth.deeper(rule.tier, floor) != rule.tier:
                    return Depth(floor, rule.because, raised=True)
                return Depth(rule.tier, rule.because)
        raise AssertionError("otherwise always holds")  # pragma: no cover

    def implied(
        self, answers: Mapping[str, AnswerValue], depths: Collection[str]
    ) -> dict[str, AnswerValue]:
        """Answers the triage settles, for questions the depth does not ask or asks
        only when the triage does not settle them (an implication's ``tiers``).

        While the depth is undecided, an implication with ``tiers`` holds only if
        every depth still possible is among them: the question counts until then."""
        if self.depth is None or not depths:
            return {}
        settled: dict[str, AnswerValue] = {}
        for rule in self.depth.implied:
            if rule.key in settled:
                continue
            if rule.tiers is not None:
                if not set(depths) <= set(rule.tiers):
                    continue
            elif self.asks(self.question(rule.key), depths):
                continue
            if any(_group_holds(group, answers) for group in rule.when):
                settled[rule.key] = rule.value
        return settled

    def may_apply(self, known: Mapping[str, AnswerValue], floor: str | None = None) -> list[str]:
        """The questions that can still apply given what is known, in order: those
        answered, and those whose condition or depth is not decided yet.

        ``known`` holds the answers that count (and context values). A question
        whose condition waits on an open question counts; one whose condition
        can no longer hold does not. So the list only loses questions as
        answers come in."""
        depths = self.possible_depths(known, floor)
        settled = self.implied(known, depths)
        status: dict[str, AnswerValue] = {}
        keys: list[str] = []
        for question in self.questions:
            if not self.asks(question, depths) or question.key in settled:
                continue
            if question.key in known:
                status[question.key] = known[question.key]
                keys.append(question.key)
                continue
            lookup = {**known, **status}
            if self._reads_derived(question):
                lookup.update(self._derive_open(lookup))
            if not question.when or any(
                _three_valued((group,), lookup, absent_is_open=False) is not False
                for group in question.when
            ):
                status[question.key] = _OPEN
                keys.append(question.key)
        return keys

    def _derive_open(self, lookup: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
        """Derived facts for ``may_apply``: open while one of their inputs is."""
        found: dict[str, AnswerValue] = {}
        for name, fact in self._derived.items():
            if any(lookup.get(key) is _OPEN for key in fact.inputs):
                found[name] = _OPEN
                continue
            value = fact.compute(_plain(lookup, fact.inputs))
            if value is not None:
                found[name] = value
        return found


def _plain(answers: Mapping[str, AnswerValue], keys: Iterable[str]) -> dict[str, AnswerValue]:
    """The answers a derived fact reads; skipped ones read as None."""
    return {k: None if answers.get(k) is SKIPPED else answers.get(k) for k in keys}


SKIPPED = object()
"""Marks a question the person skipped, in an answers mapping."""

_OPEN = object()
"""Marks a question that can still apply and has no answer yet (``Bank.may_apply``)."""


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


def _three_valued(
    groups: Sequence[Mapping[str, Expected]],
    answers: Mapping[str, AnswerValue],
    absent_is_open: bool = True,
) -> bool | None:
    """Does any group hold: True, False, or None while an answer it needs is
    still open (absent, or marked ``_OPEN``; with ``absent_is_open`` False an
    absent answer is one that will never come)."""
    undecided = False
    for group in groups:
        verdict: bool | None = True
        for key, expected in group.items():
            value = answers.get(key, _OPEN if absent_is_open else None)
            if value is _OPEN:
                verdict = None
            elif value is SKIPPED or value is None or not _matches(value, expected):
                verdict = False
                break
        if verdict is True:
            return True
        undecided = undecided or verdict is None
    return None if undecided else False


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
    known = DERIVED.get(file.flow, {})
    for name in file.derived:
        if name not in known or name in seen:
            raise BankError(f"derived: {name} is not a fact conversations.deciding computes")
        seen[name] = _context_question(name, QuestionKind.YES_NO)
    for section in file.sections:
        for question in section.questions:
            if question.key in seen or question.key in sections:
                raise BankError(f"{question.key}: duplicate key (question or section)")
            _check_texts(question)
            _check_shape(question, seen)
            _check_conditions(question, seen)
            for name in {k for g in question.when for k in g if k in file.derived}:
                if missing := [k for k in known[name].inputs if k not in seen]:
                    raise BankError(
                        f"{question.key}: {name} reads {', '.join(missing)}, "
                        "which must be asked before it"
                    )
            seen[question.key] = question
    if file.depth is not None:
        _check_depth(file, seen)
    elif any(s.tiers for s in file.sections) or any(
        q.tiers for s in file.sections for q in s.questions
    ):
        raise BankError("tiers are named, but the bank has no depth: section")


def _check_depth(file: BankFile, questions: Mapping[str, QuestionDef]) -> None:
    depth = file.depth
    assert depth is not None
    order = depth.order
    if not order or len(set(order)) != len(order):
        raise BankError("depth: name at least one tier, each once")
    for tier in depth.tiers:
        if not tier.label.en.strip() or not tier.label.fr.strip():
            raise BankError(f"depth: tier {tier.key} is missing a translation")
    sections = [s.key for s in file.sections]
    if list(depth.triage) != sections[: len(depth.triage)] or not depth.triage:
        raise BankError("depth: triage must name the first sections of the bank, in order")
    triage: dict[str, QuestionDef] = {}
    for section in file.sections:
        for where, tiers in (
            (section.key, section.tiers),
            *((q.key, q.tiers) for q in section.questions),
        ):
            if tiers is not None and (not tiers or set(tiers) - set(order)):
                raise BankError(f"{where}: tiers must be among {', '.join(order)}")
        if section.key in depth.triage:
            for question in section.questions:
                if question.tiers or section.tiers or question.when:
                    raise BankError(
                        f"{question.key}: a triage question is asked at every depth, unconditionally"
                    )
                triage[question.key] = question
    for rule in (*depth.rules, depth.otherwise):
        where = f"depth rule for {rule.tier}"
        if rule.tier not in order:
            raise BankError(f"{where}: unknown tier (tiers: {', '.join(order)})")
        if not rule.because.en.strip() or not rule.because.fr.strip():
            raise BankError(f"{where}: because is missing a translation")
        _check_triage_groups(where, rule.when, triage)
    if depth.otherwise.when:
        raise BankError("depth: otherwise takes no condition")
    for implied in depth.implied:
        where = f"depth: implied {implied.key}"
        if implied.key not in questions or implied.key in triage:
            raise BankError(f"{where}: not a question after the triage")
        if not _can_take(questions[implied.key], implied.value):
            raise BankError(f"{where}: {implied.value!r} is not an answer it can take")
        if not implied.when:
            raise BankError(f"{where}: say which triage answers imply it")
        if implied.tiers is not None and (not implied.tiers or set(implied.tiers) - set(order)):
            raise BankError(f"{where}: tiers must be among {', '.join(order)}")
        _check_triage_groups(where, implied.when, triage)


def _check_triage_groups(
    where: str, groups: Sequence[Mapping[str, Expected]], triage: Mapping[str, QuestionDef]
) -> None:
    for group in groups:
        for key, expected in group.items():
            if key not in triage:
                raise BankError(f"{where}: {key} is not a triage question")
            for value in _expected_values(expected):
                if not _can_take(triage[key], value):
                    raise BankError(f"{where}: {key} can't answer {value!r}")


def check_needs(
    bank: Bank,
    needs: Iterable[str],
    only_when: Mapping[str, Sequence[Mapping[str, Expected]]] | None = None,
) -> None:
    """Every answer the recommendation decides on is asked at every depth the
    interview can reach, or implied by the triage answers that reach it.

    A depth is reached by its own rule, or by a lead raising a lighter one, so
    each rule is checked with each depth from its own to the deepest.
    ``only_when`` names answers the rubric reads only under some triage
    answers: a rule that rules them all out does not need the answer."""
    # A derived fact (bank v2's value_defined) is decided by the answers it reads.
    derived = bank.derived_inputs()
    needed = sorted({i for key in needs for i in derived.get(key, (key,))})
    conditions = dict(only_when or {})
    for key in needed:
        if not bank.has(key):
            raise BankError(
                f"{key}: the recommendation reads this answer, but the bank never asks it"
            )
    depth = bank.depth
    if depth is None:
        return
    triage = {q.key for s in bank.sections if s.key in depth.triage for q in s.questions}
    for key, groups in conditions.items():
        named = {name for group in groups for name in group}
        if key not in needed or not named <= triage:
            raise BankError(f"{key}: only_when must name a decision answer and triage questions")
    for rule in (*depth.rules, depth.otherwise):
        reached = depth.order[depth.order.index(rule.tier) :]
        for tier in reached:
            for key in needed:
                if tier in bank.tiers_of(key) or _implied_by(bank, key, rule):
                    continue
                if key in conditions and _rules_out(bank, rule, conditions[key]):
                    continue
                how = (
                    f"when {_describe_groups(rule.when)}"
                    if rule.when
                    else "when no depth rule holds"
                )
                raised = "" if tier == rule.tier else f" (raised from {rule.tier})"
                raise BankError(
                    f"{key}: the recommendation needs this answer, but a {tier} interview{raised} "
                    f"does not ask it, reached {how}, and no triage answer implies it. "
                    f"Add {tier} to its tiers, or imply it under depth: implied."
                )


def _implied_by(bank: Bank, key: str, rule: DepthRule) -> bool:
    """Does every way ``rule`` holds make one of ``key``'s implications hold?"""
    assert bank.depth is not None
    implications = [i for i in bank.depth.implied if i.key == key]
    if not rule.when or not implications:
        return False
    return all(
        any(_entails(bank, group, wanted) for i in implications for wanted in i.when)
        for group in rule.when
    )


def _rules_out(bank: Bank, rule: DepthRule, groups: Sequence[Mapping[str, Expected]]) -> bool:
    """Does every way ``rule`` holds make every group of ``groups`` fail?"""
    if not rule.when:
        return False
    return all(_excludes(bank, given, wanted) for given in rule.when for wanted in groups)


def _excludes(bank: Bank, given: Mapping[str, Expected], wanted: Mapping[str, Expected]) -> bool:
    """No answers can make both ``given`` and ``wanted`` hold."""
    for key, expected in wanted.items():
        if key not in given:
            continue
        mine = _allowed(bank.question(key), given[key])
        theirs = _allowed(bank.question(key), expected)
        if mine is not None and theirs is not None and not mine & theirs:
            return True
    return False


def _entails(bank: Bank, group: Mapping[str, Expected], wanted: Mapping[str, Expected]) -> bool:
    """Whenever ``group`` holds, ``wanted`` holds too."""
    for key, expected in wanted.items():
        if key not in group:
            return False
        given = _allowed(bank.question(key), group[key])
        needed = _allowed(bank.question(key), expected)
        if given is None or needed is None or not given <= needed:
            return False
    return True


def _allowed(question: QuestionDef, expected: Expected) -> frozenset[Any] | None:
    """The answers of ``question`` that match ``expected``, when they can be listed."""
    if question.type == QuestionKind.MULTI_CHOICE:
        return frozenset(v for v in question.choice_values if _matches([v], expected))
    possible = _possible_values(question)
    if possible is None:
        return None
    return frozenset(v for v in possible if _matches(v, expected))


def _describe_groups(groups: Sequence[Mapping[str, Expected]]) -> str:
    return " or ".join(
        " and ".join(f"{k} {_describe(v)}" for k, v in group.items()) for group in groups
    )


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
    texts: list[Localised] = [
        question.label,
        question.text,
        *(c.label for c in (*question.choices, *question.words)),
    ]
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


YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it: ten times quicker than
the pure-Python one on a bank, at every start (same documents, same types)."""


def parse_bank(text: str) -> Bank:
    """Parse and check a bank from YAML text."""
    try:
        raw = yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 (a safe loader, C or Python)
    except yaml.YAMLError as error:
        raise BankError(f"not valid YAML: {error}") from error
    try:
        file = BankFile.model_validate(raw)
    except ValidationError as error:
        raise BankError(_explain(error, raw)) from None
    _check(file)
    bank = Bank(
        flow=file.flow,
        version=file.version,
        sections=file.sections,
        context=tuple(file.context.items()),
        depth=file.depth,
        derived=file.derived,
    )
    check_needs(bank, DECIDING.get(bank.flow, ()), ONLY_WHEN.get(bank.flow))
    return bank


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
            shown = f"{q.type}"
            if bank.depth is not None and bank.tiers_of(q.key) != frozenset(bank.depth.order):
                shown += " · " + ", ".join(t for t in bank.depth.order if t in bank.tiers_of(q.key))
            lines.append(f'    {q.key}["{_quote(q.key)} ({shown})"]')
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


def required_keys(
    bank: Bank, answers: Mapping[str, AnswerValue], floor: str | None = None
) -> Sequence[str]:
    """Required questions that apply (at the interview's depth) and have no real answer yet."""
    return [
        q.key
        for q in bank.applicable(answers, floor)
        if q.required and (q.key not in answers or answers[q.key] is SKIPPED)
    ]
