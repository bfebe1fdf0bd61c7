"""From what a person typed or pressed to a typed answer, and back.

:func:`parse_answer` reads one answer to one question of the bank: text typed
in a chat, the values a button, checkbox or picker sent, the people a platform
resolved. It returns the typed value that rules and storage rely on, or an
:class:`Invalid` whose message tells the person what is accepted, with an
example. :func:`format_answer` shows a stored value back to a person and
:func:`answer_hint` says in one line how to answer a question.

Typed values, by question type:

==============  ============================================================
text            ``str``, stripped, otherwise exactly as typed
choice          ``str``: the choice value
multi_choice    ``list[str]``: choice values in bank order, at least one
number          ``float``, or ``int`` for an ``integer`` question; ``str``: the
                value of one of its ``words`` ("not measured")
yes_no          ``bool``
person          ``{"id": str | None, "name": str}``, or ``None`` for "nobody"
date            ``str``: ISO ``YYYY-MM-DD``
scale           ``int`` from 1 to 5, or ``float`` with one decimal (4.2)
==============  ============================================================

Everything here is pure: no I/O, no clock, and no exception for any input.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel.dates import get_month_names
from babel.lists import format_list

from conversations.bank import QuestionDef
from conversations.i18n import Translator
from conversations.messages import PersonRef, QuestionKind

__all__ = ["Invalid", "answer_hint", "format_answer", "format_quantity", "parse_answer"]


@dataclass(frozen=True)
class Invalid:
    """An answer that can't be taken; ``message`` is translated and says what is accepted."""

    message: str


# -- limits and word lists ------------------------------------------------------

MAX_NAME_LENGTH = 200
"""Longest name accepted for a person typed as text."""

MAX_SHORT_INPUT = 2_000
"""Longest input read for any type but text (a number, a date, a choice...)."""

LARGEST_NUMBER = Decimal(10) ** 15
"""Numbers at or beyond this (in absolute value) are refused as not realistic."""

FIRST_YEAR, LAST_YEAR = 1990, 2100
"""Dates outside these years are refused as typos."""

EXAMPLE_NUMBER = 40

DEFAULT_MAX_LENGTH: int = QuestionDef.model_fields["max_length"].default
"""A text question with a lower limit says so in its hint."""

_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "true", "1", "oui", "o", "ouais", "si", "vrai"})
_NO = frozenset({"no", "n", "nope", "nah", "false", "0", "non", "faux"})
_NOBODY = frozenset(
    {"nobody", "no one", "no-one", "noone", "none", "personne", "aucun", "aucune", "n/a"}
)
_APPROXIMATELY = frozenset({"~", "≈", "about", "around", "approximately", "approx", "environ"})
_PER = frozenset({"per", "par", "a", "an", "each", "/"})
_PERCENT = frozenset({"%", "percent", "pourcent", "pourcents", "pct"})
_CURRENCIES = {
    "€": "eur",
    "eur": "eur",
    "euro": "eur",
    "euros": "eur",
    "$": "usd",
    "usd": "usd",
    "dollar": "usd",
    "dollars": "usd",
    "£": "gbp",
    "gbp": "gbp",
}
_UNIT_SYNONYMS = {
    **{w: "hour" for w in ("h", "hr", "hrs", "hour", "hours", "heure", "heures")},
    **{w: "minute" for w in ("mn", "min", "mins", "minute", "minutes")},
    **{w: "second" for w in ("s", "sec", "secs", "second", "seconds", "seconde", "secondes")},
    **{w: "day" for w in ("d", "day", "days", "jour", "jours", "j")},
    **{w: "week" for w in ("wk", "wks", "week", "weeks", "semaine", "semaines")},
    **{w: "month" for w in ("month", "months", "mois")},
    **{w: "year" for w in ("yr", "yrs", "year", "years", "ans", "annee", "annees")},
}

# A duration typed in another unit than the question's is converted: "30 days" to a
# question in months is 1 month. Months are counted as 30 days, years as 12 months.
_SECONDS = {
    "second": Decimal(1),
    "minute": Decimal(60),
    "hour": Decimal(3600),
    "day": Decimal(86400),
    "week": Decimal(7 * 86400),
    "month": Decimal(30 * 86400),
    "year": Decimal(360 * 86400),
}

# Characters a stored text may not contain: C0 controls but tab and line feed,
# DEL and C1 controls (invisible, break terminals and exports), and lone
# surrogates (can't be encoded to UTF-8, so can't be stored).
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
_EDGE_PUNCTUATION = " \t\n.,;:!?\"'«»“”‘’()[]"
_SPACES = re.compile(r"\s+")


# -- entry points ---------------------------------------------------------------


def parse_answer(
    question: QuestionDef,
    *,
    text: str,
    values: tuple[str, ...] = (),
    mentions: tuple[PersonRef, ...] = (),
    unit: str | None,
    translate: Translator,
) -> Any | Invalid:
    """The typed value of an answer to ``question``, or :class:`Invalid` saying what is accepted.

    ``text`` is what the person typed (empty when they pressed something),
    ``values`` what a button, checkbox or picker sent, ``mentions`` the people
    the platform resolved. ``unit`` is the unit shown to the person, if any.
    """
    kind = question.type
    if kind == QuestionKind.TEXT:
        return _parse_text(question, text, values, translate)
    if kind == QuestionKind.PERSON and mentions:
        first = mentions[0]
        return {"id": first.platform_id, "name": first.name or first.platform_id}
    if kind == QuestionKind.MULTI_CHOICE and values:
        return _parse_multi_values(question, values, translate)
    if kind == QuestionKind.CHOICE:
        for value in values:
            if value in question.choice_values:
                return value
    raw = text if text.strip() or not values else values[0]
    raw = raw.strip()
    if not raw or len(raw) > MAX_SHORT_INPUT:
        return Invalid(_please(question, unit, translate))
    if kind == QuestionKind.CHOICE:
        return _parse_choice(question, raw, translate)
    if kind == QuestionKind.MULTI_CHOICE:
        return _parse_multi_text(question, raw, translate)
    if kind == QuestionKind.NUMBER:
        if question.words:
            return _parse_number_or_word(question, raw, unit, translate)
        return _parse_number(question, raw, unit, translate)
    if kind == QuestionKind.YES_NO:
        return _parse_yes_no(raw, translate)
    if kind == QuestionKind.PERSON:
        return _parse_person(raw, translate)
    if kind == QuestionKind.DATE:
        return _parse_date(raw, translate)
    return _parse_scale(raw, translate)


def format_answer(
    question: QuestionDef, value: Any, *, unit: str | None, translate: Translator
) -> str:
    """A stored value as a person reads it, in their language."""
    kind = question.type
    language = translate.language
    if kind == QuestionKind.PERSON:
        if isinstance(value, dict) and value.get("name"):
            return str(value["name"])
        return translate("nobody")
    if value is None:
        return translate("no answer")
    if kind == QuestionKind.CHOICE:
        return question.choice_label(str(value), language)
    if kind == QuestionKind.MULTI_CHOICE:
        items = value if isinstance(value, list | tuple) else [value]
        return ", ".join(question.choice_label(str(item), language) for item in items)
    if kind == QuestionKind.YES_NO:
        return translate("Yes") if value else translate("No")
    if kind == QuestionKind.NUMBER and isinstance(value, int | float):
        return _format_number(value, _shown_unit(question, unit, translate), translate)
    if kind == QuestionKind.NUMBER and isinstance(value, str):
        return question.choice_label(value, language)
    if kind == QuestionKind.DATE:
        try:
            return translate.date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if kind == QuestionKind.SCALE:
        return translate("{value}/5", value=translate.number(value))
    return str(value)


def answer_hint(question: QuestionDef, *, unit: str | None, translate: Translator) -> str:
    """One line telling how to answer ``question``."""
    kind = question.type
    if kind == QuestionKind.TEXT:
        if question.max_length < DEFAULT_MAX_LENGTH:
            return translate(
                "Type your answer, in {limit} characters at most.",
                limit=translate.number(question.max_length),
            )
        return translate("Type your answer.")
    if kind == QuestionKind.CHOICE:
        return translate("Pick one: type its number or its name, for example 1.")
    if kind == QuestionKind.MULTI_CHOICE:
        return translate(
            "Pick one or more: type their numbers separated by commas, for example 1, 3."
        )
    if kind == QuestionKind.NUMBER and question.words:
        return _or_words(question, _number_hint(question, unit, translate), translate)
    if kind == QuestionKind.NUMBER:
        return _number_hint(question, unit, translate)
    if kind == QuestionKind.YES_NO:
        return translate("Answer yes or no.")
    if kind == QuestionKind.PERSON:
        return translate("Type a name, or nobody.")
    if kind == QuestionKind.DATE:
        return translate("Type a date as YYYY-MM-DD or DD/MM/YYYY.")
    return translate("Type a number from 1 to 5.")


def _number_hint(question: QuestionDef, unit: str | None, translate: Translator) -> str:
    example = translate.number(_example_number(question))
    shown = _shown_unit(question, unit, translate)
    if _is_percent(shown):
        return translate("Type a percentage, for example {example}.", example=example)
    if question.integer:
        if shown:
            return translate(
                "Type a whole number in {unit}, for example {example}.",
                unit=shown,
                example=example,
            )
        return translate("Type a whole number, for example {example}.", example=example)
    if shown:
        return translate(
            "Type a number in {unit}, for example {example}.", unit=shown, example=example
        )
    return translate("Type a number, for example {example}.", example=example)


def _or_words(question: QuestionDef, said: str, translate: Translator) -> str:
    """A number question's hint or error, with the words it also takes."""
    words = format_list(
        [translate("“{text}”", text=w.label.get(translate.language)) for w in question.words],
        style="or",
        locale=translate.language,
    )
    return translate("{said} Or type {words}.", said=said, words=words)


def _parse_number_or_word(
    question: QuestionDef, raw: str, unit: str | None, translate: Translator
) -> int | float | str | Invalid:
    folded = _fold(raw)
    for word in question.words:
        if folded in {
            _fold(word.label.en),
            _fold(word.label.fr),
            _fold(word.value.replace("_", " ")),
        }:
            return word.value
    value = _parse_number(question, raw, unit, translate)
    if isinstance(value, Invalid):
        return Invalid(_or_words(question, value.message, translate))
    return value


# -- text -------------------------------------------------------------------------


def _parse_text(
    question: QuestionDef, text: str, values: Sequence[str], translate: Translator
) -> str | Invalid:
    raw = text if text.strip() or not values else values[0]
    # Teams and pasted Windows text end lines with CR LF: keep the line, not the CR.
    raw = raw.replace("\r\n", "\n").strip()
    if not raw:
        return Invalid(translate("Please type an answer."))
    if _FORBIDDEN.search(raw):
        return Invalid(
            translate(
                "Your answer contains invisible control characters that can't be stored. "
                "Please send plain text; line breaks and tabs are fine."
            )
        )
    if len(raw) > question.max_length:
        return Invalid(
            translate(
                "Please keep your answer to {limit} characters at most (it has {count}).",
                limit=translate.number(question.max_length),
                count=translate.number(len(raw)),
            )
        )
    return raw


# -- choices ----------------------------------------------------------------------


class _Ambiguous:
    """Marks a text that matches several choices."""


_AMBIGUOUS = _Ambiguous()


def _fold(text: str) -> str:
    """Lower case, no accents, no apostrophes, single spaces, no punctuation at the edges."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.casefold().translate(_APOSTROPHES)
    return _SPACES.sub(" ", bare).strip(_EDGE_PUNCTUATION)


def _ascii_digits(text: str) -> str:
    """Any script's decimal digits as ASCII digits (Arabic-Indic, full-width...)."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        digit = unicodedata.decimal(ch, None) if not ch.isascii() else None
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


def _match_choice(question: QuestionDef, item: str) -> str | _Ambiguous | None:
    """The choice value ``item`` names: by number, value, label (en or fr), or label prefix."""
    numbered = re.fullmatch(r"#?\s*(\d{1,3})\s*[.)]?", _ascii_digits(item.strip()))
    if numbered:
        position = int(numbered.group(1))
        if 1 <= position <= len(question.choices):
            return question.choices[position - 1].value
        return None
    folded = _fold(item)
    if not folded:
        return None
    for choice in question.choices:
        if folded in (_fold(choice.value), _fold(choice.value.replace("_", " "))):
            return choice.value
    exact = {c.value for c in question.choices if folded in (_fold(c.label.en), _fold(c.label.fr))}
    if len(exact) == 1:
        return exact.pop()
    if exact:
        return _AMBIGUOUS
    if sum(ch.isalpha() for ch in folded) < 3:
        return None
    prefixed = {
        c.value
        for c in question.choices
        if _fold(c.label.en).startswith(folded) or _fold(c.label.fr).startswith(folded)
    }
    if len(prefixed) == 1:
        return prefixed.pop()
    return _AMBIGUOUS if prefixed else None


def _numbered_options(question: QuestionDef, translate: Translator) -> str:
    return "\n".join(
        f"{position}. {choice.label.get(translate.language)}"
        for position, choice in enumerate(question.choices, start=1)
    )


def _parse_choice(question: QuestionDef, raw: str, translate: Translator) -> str | Invalid:
    found = _match_choice(question, raw)
    if isinstance(found, str):
        return found
    return Invalid(
        translate("Please pick one of these, by its number or its name:")
        + "\n"
        + _numbered_options(question, translate)
    )


def _multi_invalid(question: QuestionDef, translate: Translator, unknown: str | None) -> Invalid:
    head = translate(
        "Please pick one or more of these: type their numbers separated by commas, "
        "for example 1, 3."
    )
    if unknown is not None:
        shown = unknown if len(unknown) <= 40 else unknown[:39] + "…"
        head = translate("I didn't recognise “{item}”.", item=shown) + " " + head
    return Invalid(head + "\n" + _numbered_options(question, translate))


def _finish_multi(
    question: QuestionDef, chosen: Iterable[str], translate: Translator
) -> list[str] | Invalid:
    picked = set(chosen)
    ordered = [value for value in question.choice_values if value in picked]
    if not ordered:
        return _multi_invalid(question, translate, None)
    for value in question.exclusive:
        if value in picked and len(ordered) > 1:
            return Invalid(
                translate(
                    "“{option}” can't be combined with other options: "
                    "pick it alone, or leave it out.",
                    option=question.choice_label(value, translate.language),
                )
            )
    return ordered


def _parse_multi_values(
    question: QuestionDef, values: Sequence[str], translate: Translator
) -> list[str] | Invalid:
    for value in values:
        if value not in question.choice_values:
            return _multi_invalid(question, translate, value)
    return _finish_multi(question, values, translate)


_NOTHING = frozenset({"no", "nothing", "rien"})
"""A no to a whole multi-choice question ("none" and "non" name its "None" choice)."""

_NUMBER_LIST = re.compile(r"\d{1,3}(?:\s+(?:(?:and|et|&)\s+)?\d{1,3})*")
_LONGEST_LABEL_PARTS = 8
"""A label may itself contain commas: try joining up to this many parts into one."""


def _parse_multi_text(
    question: QuestionDef, raw: str, translate: Translator
) -> list[str] | Invalid:
    text = _ascii_digits(raw)
    whole = _match_choice(question, text)
    if isinstance(whole, str):
        return _finish_multi(question, [whole], translate)
    if _fold(text) in _NOTHING and len(question.exclusive) == 1:
        # "Does it do any of these?" - "No": the one choice that excludes the others.
        return list(question.exclusive)
    # Parts between commas, semicolons and line breaks, as (start, end) spans of ``text``.
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^,;\n]+", text) if m.group().strip()]
    chosen: list[str] = []
    i = 0
    while i < len(spans):
        part = text[spans[i][0] : spans[i][1]].strip()
        if _NUMBER_LIST.fullmatch(part):
            for number in re.findall(r"\d+", part):
                found = _match_choice(question, number)
                if not isinstance(found, str):
                    return _multi_invalid(question, translate, number)
                chosen.append(found)
            i += 1
            continue
        # The longest run of parts that names one choice: "Hiring, task allocation, ..."
        for j in range(min(len(spans), i + _LONGEST_LABEL_PARTS), i, -1):
            found = _match_choice(question, text[spans[i][0] : spans[j - 1][1]])
            if isinstance(found, str):
                chosen.append(found)
                i = j
                break
        else:
            return _multi_invalid(question, translate, part)
    return _finish_multi(question, chosen, translate)


# -- numbers ----------------------------------------------------------------------

# One number as typed: digit groups joined by one separator (decimal or thousands).
_LITERAL = re.compile(r"[0-9]+(?:(?:[.,'’]| )[0-9]+)*")
_THOUSAND = re.compile(r"\s*[kK](?![^\W\d_])")


class _NotANumber(Exception):
    """The literal is not one well-formed number."""

    def __init__(self, several: bool = False) -> None:
        super().__init__()
        self.several = several


def _grouped(text: str, separator: str) -> bool:
    """``1,234,567``: a first group of 1 to 3 digits, then groups of exactly 3."""
    groups = text.split(separator)
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _literal_value(literal: str, language: str) -> Decimal:
    """The value of one literal: ``1 200,5``, ``1,200.5``, ``40,5``, ``1.2``..."""
    chunks = re.split(r"[ '’]", literal)
    if len(chunks) > 1:
        # Spaces and apostrophes only group thousands: "1 200", "1'200'000,5".
        middle_ok = all(re.fullmatch(r"[0-9]{3}", c) for c in chunks[1:-1])
        last_ok = re.fullmatch(r"[0-9]{3}(?:[.,][0-9]+)?", chunks[-1]) is not None
        if not (re.fullmatch(r"[0-9]{1,3}", chunks[0]) and middle_ok and last_ok):
            raise _NotANumber(several=True)
    joined = "".join(chunks)
    dots, commas = joined.count("."), joined.count(",")
    if dots and commas:
        decimal_mark = "." if joined.rfind(".") > joined.rfind(",") else ","
        grouping = "," if decimal_mark == "." else "."
        whole, _, fraction = joined.rpartition(decimal_mark)
        if decimal_mark in whole or not _grouped(whole, grouping):
            raise _NotANumber
        digits = whole.replace(grouping, "") + "." + fraction
    elif dots > 1 or commas > 1:
        mark = "." if dots else ","
        if not _grouped(joined, mark):
            raise _NotANumber
        digits = joined.replace(mark, "")
    elif commas == 1:
        whole, fraction = joined.split(",")
        english_thousands = (
            language == "en"
            and len(chunks) == 1
            and len(fraction) == 3
            and 1 <= len(whole) <= 3
            and not whole.startswith("0")
        )
        digits = whole + fraction if english_thousands else whole + "." + fraction
    else:
        digits = joined
    return Decimal(digits)


def _canonical_word(word: str) -> str:
    if word in _PERCENT:
        return "%"
    if word in _CURRENCIES:
        return _CURRENCIES[word]
    return _UNIT_SYNONYMS.get(word, word)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _word_fits(typed: str, expected: str) -> bool:
    a, b = _canonical_word(typed), _canonical_word(expected)
    if a == b or (a in _PER and b in _PER):
        return True
    a, b = _singular(a), _singular(b)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long.startswith(short)


def _unit_words(text: str) -> list[str]:
    folded = _fold(text)
    folded = re.sub(r"\b(?:per|pour) cent\b", "percent", folded)
    folded = re.sub(r"([%€$£/])", r" \1 ", folded)
    return folded.split()


def _unit_fits(typed: str, expected: str) -> bool:
    """Whether a unit typed after (or before) a number fits the question's unit, loosely."""
    typed_words, expected_words = _unit_words(typed), _unit_words(expected)
    if not typed_words or not expected_words:
        return False
    # "EUR" fits "EUR per month"; "minutes per invoice" fits "minutes".
    return all(_word_fits(a, b) for a, b in zip(typed_words, expected_words, strict=False))


def _duration_factor(typed: str, candidates: Sequence[str]) -> Decimal | None:
    """How many of the question's time unit one typed time unit is; None if not durations."""
    typed_words = _unit_words(typed)
    if not typed_words:
        return None
    typed_unit = _UNIT_SYNONYMS.get(typed_words[0])
    if typed_unit not in _SECONDS:
        return None
    for expected in candidates:
        expected_words = _unit_words(expected)
        expected_unit = _UNIT_SYNONYMS.get(expected_words[0]) if expected_words else None
        if expected_unit not in _SECONDS:
            continue
        # "5 hours per task" to "minutes per task": the words after the unit must fit too.
        rest_typed, rest_expected = " ".join(typed_words[1:]), " ".join(expected_words[1:])
        if rest_typed and rest_expected and not _unit_fits(rest_typed, rest_expected):
            continue
        if rest_typed and not rest_expected:
            continue
        return _SECONDS[typed_unit] / _SECONDS[expected_unit]
    return None


def _unit_candidates(question: QuestionDef, unit: str | None) -> list[str]:
    candidates = [unit] if unit else []
    if question.unit:
        candidates += [question.unit.en, question.unit.fr]
    return [c for c in candidates if c.strip()]


def _shown_unit(question: QuestionDef, unit: str | None, translate: Translator) -> str | None:
    if unit:
        return unit
    return translate.in_currency(question.unit.get(translate.language)) if question.unit else None


def _is_percent(unit: str | None) -> bool:
    return unit is not None and _unit_words(unit) in (["%"], ["percent"], ["pourcent"])


def _example_number(question: QuestionDef) -> float:
    # The bank's own example reads as an answer to that question; the default is a fallback.
    example: float = EXAMPLE_NUMBER if question.example is None else question.example
    if question.max is not None and example > question.max:
        example = question.max
    if question.min is not None and example < question.min:
        example = question.min
    return int(example) if question.integer or float(example).is_integer() else example


def _number_invalid(
    question: QuestionDef, unit: str | None, translate: Translator, *, several: bool = False
) -> Invalid:
    example = translate.number(_example_number(question))
    shown = _shown_unit(question, unit, translate)
    if several:
        if shown:
            return Invalid(
                translate(
                    "Please give one number only, in {unit}, for example {example}.",
                    unit=shown,
                    example=example,
                )
            )
        return Invalid(
            translate("Please give one number only, for example {example}.", example=example)
        )
    if shown:
        return Invalid(
            translate(
                "Please give the number in {unit}, for example {example}.",
                unit=shown,
                example=example,
            )
        )
    return Invalid(translate("Please type just a number, for example {example}.", example=example))


def _parse_number(
    question: QuestionDef, raw: str, unit: str | None, translate: Translator
) -> int | float | Invalid:
    text = unicodedata.normalize("NFKC", _ascii_digits(raw)).replace("−", "-")
    text = _SPACES.sub(" ", text)
    literals = list(_LITERAL.finditer(text))
    if not literals:
        return _number_invalid(question, unit, translate)
    if len(literals) > 1:
        return _number_invalid(question, unit, translate, several=True)
    literal = literals[0]
    try:
        value = _literal_value(literal.group(), translate.language)
    except _NotANumber as error:
        return _number_invalid(question, unit, translate, several=error.several)
    except InvalidOperation:  # pragma: no cover - the literal is digits and marks only
        return _number_invalid(question, unit, translate)

    before = text[: literal.start()].strip()
    after = text[literal.end() :]
    if before.endswith(("-", "+")):
        if before.endswith("-"):
            value = -value
        before = before[:-1].strip()
    words = before.split(" ")
    while words and _fold(words[0]) in _APPROXIMATELY | {""}:
        words.pop(0)
    before = " ".join(words)
    thousand = _THOUSAND.match(after)
    if thousand:
        value *= 1000
        after = after[thousand.end() :]
    after = after.strip().rstrip(".!;,")
    typed_unit = f"{before} {after}".strip()
    if typed_unit:
        candidates = _unit_candidates(question, unit)
        if not any(_unit_fits(typed_unit, expected) for expected in candidates):
            factor = _duration_factor(typed_unit, candidates)
            if factor is None:
                return _number_invalid(question, unit, translate)
            value = (value * factor).quantize(Decimal("0.01")).normalize()

    if abs(value) >= LARGEST_NUMBER or not math.isfinite(float(value)):
        return Invalid(
            translate(
                "That number is too large; please give a realistic value, for example {example}.",
                example=translate.number(_example_number(question)),
            )
        )
    if question.integer and value != value.to_integral_value():
        example = translate.number(_example_number(question))
        return Invalid(
            translate("Please give a whole number, for example {example}.", example=example)
        )
    too_low = question.min is not None and value < Decimal(str(question.min))
    too_high = question.max is not None and value > Decimal(str(question.max))
    if too_low or too_high:
        return _bounds_invalid(question, translate)
    if question.integer:
        return int(value)
    return float(value) + 0.0  # no -0.0


def _bounds_invalid(question: QuestionDef, translate: Translator) -> Invalid:
    low = translate.number(question.min) if question.min is not None else None
    high = translate.number(question.max) if question.max is not None else None
    if low is not None and high is not None:
        return Invalid(translate("Please give a number from {min} to {max}.", min=low, max=high))
    if low is not None:
        return Invalid(translate("Please give a number of at least {min}.", min=low))
    return Invalid(translate("Please give a number of at most {max}.", max=high))


def format_quantity(value: float, unit: str | None, translate: Translator) -> str:
    """A number with its unit, as a person reads it: ``5 minutes``, ``12%``."""
    return _format_number(value, unit, translate)


def _format_number(value: float, unit: str | None, translate: Translator) -> str:
    number = translate.number(value)
    if not unit:
        return number
    if _is_percent(unit):
        return translate("{number}%", number=number)
    return translate("{number} {unit}", number=number, unit=unit)


# -- yes / no ---------------------------------------------------------------------


def _parse_yes_no(raw: str, translate: Translator) -> bool | Invalid:
    word = _fold(raw)
    if word in _YES:
        return True
    if word in _NO:
        return False
    return Invalid(translate("Please answer yes or no."))


# -- person -----------------------------------------------------------------------


def _parse_person(raw: str, translate: Translator) -> dict[str, str | None] | Invalid | None:
    if _fold(raw) in _NOBODY:
        return None
    if _FORBIDDEN.search(raw):
        return Invalid(translate("Please type a person's name, or nobody."))
    name = " ".join(raw.lstrip("@").split())
    if not any(ch.isalpha() for ch in name):
        return Invalid(translate("Please type a person's name, or nobody."))
    if len(name) > MAX_NAME_LENGTH:
        return Invalid(
            translate(
                "Please keep the name to {limit} characters at most, or type nobody.",
                limit=translate.number(MAX_NAME_LENGTH),
            )
        )
    return {"id": None, "name": name}


# -- dates ------------------------------------------------------------------------

_YEAR_FIRST = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_DAY_FIRST = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4}|[0-9]{2})")
_DATE_FILLERS = frozenset({"the", "of", "le", "er", "st", "nd", "rd", "th"})


@cache
def _month_names() -> dict[str, int]:
    """Folded month names and abbreviations in English and French."""
    names: dict[str, int] = {}
    for language in ("en", "fr"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=language).items():
                names[_fold(str(name))] = int(number)
    return names


def _month_of(word: str) -> int | None:
    names = _month_names()
    if word in names:
        return names[word]
    if len(word) >= 3:  # "sept", "decem"
        found = {n for name, n in names.items() if name.startswith(word)}
        if len(found) == 1:
            return found.pop()
    return None


def _date_parts(raw: str) -> tuple[int, int, int] | None:
    """(year, month, day) as typed, or None when it isn't a date format we read."""
    text = _ascii_digits(raw).strip().rstrip(".")
    if m := _YEAR_FIRST.fullmatch(text):
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    if m := _DAY_FIRST.fullmatch(text):
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if len(m.group(3)) == 2:
            year += 2000
        if first <= 12 < second:  # only a month-first reading is a date: 12/31/2026
            return year, first, second
        return year, second, first
    tokens = [t for t in re.findall(r"[^\W\d_]+|[0-9]+", _fold(text)) if t not in _DATE_FILLERS]
    if len(tokens) != 3:
        return None
    years = [t for t in tokens if t.isdigit() and len(t) == 4]
    days = [t for t in tokens if t.isdigit() and len(t) <= 2]
    months = [n for t in tokens if not t.isdigit() and (n := _month_of(t)) is not None]
    if len(years) == len(days) == len(months) == 1:
        return int(years[0]), months[0], int(days[0])
    return None


def _parse_date(raw: str, translate: Translator) -> str | Invalid:
    parts = _date_parts(raw)
    if parts is None:
        return Invalid(
            translate(
                "Please type a date as YYYY-MM-DD or DD/MM/YYYY, for example {example}.",
                example="2026-12-31",
            )
        )
    year, month, day = parts
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return Invalid(
            translate(
                "Please give a date between {first} and {last}, as YYYY-MM-DD or DD/MM/YYYY.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return Invalid(
            translate(
                "That day doesn't exist. Please type a real date as YYYY-MM-DD or DD/MM/YYYY, "
                "for example {example}.",
                example="2026-12-31",
            )
        )


# -- scale ------------------------------------------------------------------------

_SCALE = re.compile(r"([1-5])(?:[.,]([0-9]))?(?:\s*(?:/|out of|sur)\s*5)?")


def _parse_scale(raw: str, translate: Translator) -> int | float | Invalid:
    """1 to 5, with at most one decimal (an average of ratings: 4.2)."""
    text = _ascii_digits(raw).strip().rstrip(".!").strip().casefold()
    if m := _SCALE.fullmatch(text):
        whole, tenth = int(m.group(1)), m.group(2)
        if not tenth or tenth == "0":
            return whole
        if whole < 5:
            return whole + int(tenth) / 10
    return Invalid(translate("Please type a number from 1 to 5, for example 4."))


def _please(question: QuestionDef, unit: str | None, translate: Translator) -> str:
    """The message for an empty (or absurdly long) answer: how to answer."""
    return answer_hint(question, unit=unit, translate=translate)
