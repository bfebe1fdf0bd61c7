"""User-facing texts in the person's language.

Messages are gettext catalogues (``conversations/locales/<lang>/LC_MESSAGES/
postpoc.po``), read with Babel at first use, so a translator edits a ``.po``
file and nothing is compiled. The English text is the message id. Mark a text
for translation where it is written with ``N_`` and translate it where it is
shown with a :class:`Translator`; ``pybabel extract`` finds both.

Placeholders use ``str.format`` names: ``_("{poc} is registered.", poc=handle)``.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from conversations.bank import language_of

LANGUAGES = ("en", "fr")

_PLACEHOLDER = re.compile(r"<([a-z][a-z -]*)>")
DOMAIN = "postpoc"


def N_(message: str) -> str:
    """Mark a text for extraction; it is translated later, where it is shown."""
    return message


PLACEHOLDERS: dict[str, str] = {
    "person": N_("person"),
    "rationale": N_("rationale"),
    "title": N_("title"),
    "question": N_("question"),
    "poc": N_("poc"),
    "indicator": N_("indicator"),
    "value": N_("value"),
    "day": N_("day"),
    "code": N_("code"),
}
"""The ``<words>`` of command syntaxes, translated where they are shown."""


@cache
def _catalogue(language: str) -> dict[str, str]:
    if language == "en":
        return {}
    path = resources.files("conversations") / "locales" / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


BANK_CURRENCY = "EUR"
"""The currency the question bank and the rubric write amounts in."""
_BANK_CURRENCY_WORD = re.compile(rf"\b{BANK_CURRENCY}\b")


class Translator:
    """Translates and formats for one language.

    ``command_prefix`` is how the person's platform wants a command typed
    (``/poc `` on Slack and in the console, nothing in a Teams chat); a text
    writes ``{cmd}help`` and reads as the platform needs. The adapter supplies
    it on the inbound event, so the core never asks which platform it is on.
    """

    def __init__(
        self, locale: str, command_prefix: str = "", currency: str = BANK_CURRENCY
    ) -> None:
        self.language = language_of(locale)
        self.command_prefix = command_prefix
        self.currency = currency
        self._messages = _catalogue(self.language)
        self._locale = Locale.parse(self.language)

    def __call__(self, message: str, **params: Any) -> str:
        text = self._messages.get(message, message)
        if "{cmd}" in text:
            params = {"cmd": self.command_prefix, **params}
        return text.format(**params) if params else text

    def for_commands(self, prefix: str) -> Translator:
        """The same language, writing commands with ``prefix``."""
        if prefix == self.command_prefix:
            return self
        return Translator(self.language, prefix, self.currency)

    def for_currency(self, currency: str) -> Translator:
        """The same, showing amounts in ``currency`` (the workspace's)."""
        if currency == self.currency:
            return self
        return Translator(self.language, self.command_prefix, currency)

    def in_currency(self, unit: str) -> str:
        """A unit of the question bank ("EUR per month") in the workspace's
        currency ("CHF per month"): the bank writes amounts in EUR, meaning
        whatever currency the workspace counts in."""
        if self.currency == BANK_CURRENCY:
            return unit
        return _BANK_CURRENCY_WORD.sub(self.currency, unit)

    def placeholder(self, syntax: str) -> str:
        """A command's syntax with its ``<placeholders>`` in the person's language."""
        return _PLACEHOLDER.sub(
            lambda m: "<" + self(PLACEHOLDERS.get(m.group(1), m.group(1))) + ">", syntax
        )

    def number(self, value: float) -> str:
        return str(format_decimal(value, locale=self._locale, decimal_quantization=False))

    def date(self, value: date) -> str:
        return str(format_date(value, format="medium", locale=self._locale))


@cache
def translator(locale: str) -> Translator:
    return Translator(language_of(locale))
