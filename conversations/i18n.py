"""User-facing texts in the person's language.

Messages are gettext catalogues (``conversations/locales/<lang>/LC_MESSAGES/
postpoc.po``), read with Babel at first use, so a translator edits a ``.po``
file and nothing is compiled. The English text is the message id. Mark a text
for translation where it is written with ``N_`` and translate it where it is
shown with a :class:`Translator`; ``pybabel extract`` finds both.

Placeholders use ``str.format`` names: ``_("{poc} is registered.", poc=handle)``.
"""

from __future__ import annotations

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
DOMAIN = "postpoc"


def N_(message: str) -> str:
    """Mark a text for extraction; it is translated later, where it is shown."""
    return message


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


class Translator:
    """Translates and formats for one language."""

    def __init__(self, locale: str) -> None:
        self.language = language_of(locale)
        self._messages = _catalogue(self.language)
        self._locale = Locale.parse(self.language)

    def __call__(self, message: str, **params: Any) -> str:
        text = self._messages.get(message, message)
        return text.format(**params) if params else text

    def number(self, value: float) -> str:
        return str(format_decimal(value, locale=self._locale, decimal_quantization=False))

    def date(self, value: date) -> str:
        return str(format_date(value, format="medium", locale=self._locale))


@cache
def translator(locale: str) -> Translator:
    return Translator(language_of(locale))
