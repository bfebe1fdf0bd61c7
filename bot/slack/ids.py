"""Names the adapter gives its Block Kit elements, read back when Slack sends
an interaction. One place, so rendering (``blocks``) and reading
(``inbound``) can't drift apart.

A question's token travels in the ``block_id`` of its inputs
(``ask<n>|<token>``): Slack hands the block id back with every click, and it
leaves each element's ``value`` for what the person chose. Tokens in block
ids are sealed (:mod:`bot.seals`): one that was changed reads as no token.
"""

from __future__ import annotations

import re

from bot import seals

COMMAND = "/poc"

# action ids (a numbered suffix keeps them unique within one message)
ANSWER = "poc_answer"  # a choice, yes/no or scale button
PICK = "poc_pick"  # ticking a checkbox: nothing to do until Submit
SUBMIT = "poc_submit"  # the Submit button under checkboxes
DATE = "poc_date"  # the date picker
PERSON = "poc_person"  # the user picker
RUN = "poc_command"  # a button that runs a command (Card.buttons)
EDIT = "poc_edit"  # the Edit button on an answered question
MOVE = "poc_move"  # Skip, Back or Pause under a question (value: the sealed move)
MOVES_BLOCK = 99
"""``ask<n>`` of the block holding a question's Skip, Back and Pause buttons."""

# the modal that edits an answer
MODAL = "poc_answer_modal"
INPUT_BLOCK = "answer"
TEXT_BLOCK = "answer_text"
INPUT_ACTION = "value"
TEXT_ACTION = "text"

_ASK_BLOCK = re.compile(r"^ask[0-9]+\|(.+)$")
_QUESTION_BLOCK = re.compile(r"^question\|(.+)$")


def numbered(action: str) -> re.Pattern[str]:
    """Matches ``action`` and its numbered variants (``poc_answer:3``)."""
    return re.compile(rf"^{re.escape(action)}(:[0-9]+)?$")


def ask_block(token: str, n: int = 0) -> str:
    return f"ask{n}|{seals.seal(token)}"


def token_of(block_id: str) -> str | None:
    match = _ASK_BLOCK.match(block_id or "")
    return seals.unseal(match.group(1)) if match else None


def question_block(token: str) -> str:
    """The block that shows a question's text: marks the message as an open
    question, whatever inputs it has (typed answers have none)."""
    return f"question|{seals.seal(token)}"


def question_token(block_id: str) -> str | None:
    match = _QUESTION_BLOCK.match(block_id or "")
    return seals.unseal(match.group(1)) if match else None
