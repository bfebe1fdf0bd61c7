"""Every text a person can see exists in French, with the same placeholders."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from conversations.i18n import Translator, _catalogue

ROOT = Path(__file__).resolve().parents[1]
# The same marks as `make messages` (Makefile KEYWORDS).
KEYWORDS = {name: None for name in ("N_", "t", "translate", "ctx.t", "UserError", "Forbidden")}


def message_ids() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "conversations"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.add(message)
    return found


MESSAGES = sorted(message_ids())


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_texts_are_found() -> None:
    assert len(MESSAGES) > 150
    assert (
        "Only a lead can do that. Ask an admin to make you a lead ({cmd}role <person> lead)."
        in MESSAGES
    )


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m[:60])
def test_every_text_has_a_french_translation_with_the_same_placeholders(message: str) -> None:
    french = _catalogue("fr").get(message)
    assert french, f"no French for: {message!r} (run make messages, then translate)"
    assert placeholders(french) == placeholders(message)


def test_french_formats_numbers_and_dates_the_french_way() -> None:
    from datetime import date

    fr = Translator("fr_FR")
    assert fr.number(1234.5) == "1\u202f234,5"
    assert fr.date(date(2026, 12, 31)) == "31 déc. 2026"
