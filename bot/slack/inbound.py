"""Slack payloads as the core's :class:`Inbound`. Pure: no I/O.

Slack escapes ``&``, ``<`` and ``>`` in what people type and writes mentions,
channels and links as markup (``<@U123|lea>``, ``<#C1|general>``,
``<https://x|y>``). The core gets plain text, as the person would read it
(``@Léa``, ``#general``, ``y (https://x)``), and the people mentioned as
:class:`PersonRef`; the adapter escapes again when it posts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot import seals
from bot.slack import ids
from bot.slack.escape import unescape
from conversations.messages import ActionInput, Actor, Inbound, PersonRef, Place

Payload = Mapping[str, Any]

_MARKUP = re.compile(r"<([^<>]*)>")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_SPECIAL = {"!channel": "@channel", "!here": "@here", "!everyone": "@everyone"}

COMMAND_PREFIX = "/poc "
"""Slack sends commands through the /poc slash command: texts that name one write it so."""


def mentioned(text: str) -> list[str]:
    """The user ids mentioned in ``text``, once each, in order."""
    return list(dict.fromkeys(_MENTION.findall(text or "")))


def _label(match: re.Match[str], names: Mapping[str, str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return "@" + (names.get(target[1:]) or label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return _SPECIAL.get(target) or label or target[1:]
    shown = target.removeprefix("mailto:")
    return f"{label} ({shown})" if label and label != shown else shown


def plain_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack's markup and escaping undone: the text as the person reads it."""
    known = names or {}
    return unescape(_MARKUP.sub(lambda m: _label(m, known), text or ""))


def mentions(text: str, names: Mapping[str, str]) -> tuple[PersonRef, ...]:
    return tuple(PersonRef(user, names.get(user)) for user in mentioned(text))


# -- slash commands and typed messages ---------------------------------------------


def delivery_of(payload: Payload) -> str | None:
    """The id that tells a redelivered command or interaction from a new one.

    Slash commands, button presses and modal submissions carry no
    ``event_id``; their ``trigger_id`` is made by Slack for each invocation
    (each press, each submit), so a copy of the same request has the same
    one, and doing it again has another.
    """
    trigger = payload.get("trigger_id")
    return f"trigger:{trigger}" if isinstance(trigger, str) and trigger else None


def command_inbound(body: Payload, actor: Actor, names: Mapping[str, str]) -> Inbound:
    """``/poc <text>`` anywhere: a command."""
    raw = str(body.get("text") or "")
    return Inbound(
        actor=actor,
        place=Place(
            channel_id=str(body.get("channel_id") or ""),
            is_direct=body.get("channel_name") == "directmessage",
        ),
        text=plain_text(raw, names).strip(),
        is_command=True,
        mentions=mentions(raw, names),
        delivery_id=delivery_of(body),
        command_prefix=COMMAND_PREFIX,
    )


ANSWERING_SUBTYPES = (None, "", "file_share")
"""Message subtypes that are something a person typed: plain, or with a file
attached (Slack sends those as ``file_share``, their text being the answer)."""


def is_person_message(event: Payload) -> bool:
    """A person typed in their direct conversation with the bot (not an edit,
    a deletion, a join or a bot's own message)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and event.get("subtype") in ANSWERING_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def edited_message(event: Payload) -> Payload | None:
    """The new version of a message a person edited in their DM with the bot
    (``message_changed``), or None for anything else (a bot's message, an
    unfurl, a change in a channel)."""
    if event.get("type") != "message" or event.get("subtype") != "message_changed":
        return None
    if event.get("channel_type") != "im":
        return None
    message = event.get("message")
    if not isinstance(message, Mapping) or message.get("bot_id") or not message.get("user"):
        return None
    previous = event.get("previous_message")
    if isinstance(previous, Mapping) and previous.get("text") == message.get("text"):
        return None  # Slack also sends message_changed when it adds an unfurl
    return message


def attached_files(event: Payload) -> list[str]:
    """The names of the files attached to a message, in order."""
    files = event.get("files")
    if not isinstance(files, list):
        return []
    names = (f.get("name") or f.get("title") for f in files if isinstance(f, Mapping))
    return [str(name) for name in names if name]


def message_inbound(
    event: Payload,
    actor: Actor,
    names: Mapping[str, str],
    delivery_id: str | None,
    file_note: str = "file attached: {name}",
) -> Inbound:
    """A typed message; each attached file is noted after the text (``file_note``
    in the person's language), so an answer sent with a file is kept whole."""
    raw = str(event.get("text") or "")
    typed = plain_text(raw, names).strip()
    notes = [file_note.format(name=name) for name in attached_files(event)]
    return Inbound(
        actor=actor,
        place=Place(channel_id=str(event.get("channel") or ""), is_direct=True),
        text="\n".join(part for part in (typed, *notes) if part),
        mentions=mentions(raw, names),
        delivery_id=delivery_id,
        command_prefix=COMMAND_PREFIX,
    )


# -- buttons, pickers and modals --------------------------------------------------------


def _selected(element: Payload) -> tuple[str, ...]:
    """What an interactive element holds, whatever its type."""
    if element.get("selected_options") is not None:
        return tuple(str(o["value"]) for o in element["selected_options"])
    if element.get("selected_option"):
        return (str(element["selected_option"]["value"]),)
    if element.get("selected_date"):
        return (str(element["selected_date"]),)
    if element.get("value") is not None and element.get("type") != "users_select":
        return (str(element["value"]),)
    return ()


def action_values(action: Payload, state: Payload) -> tuple[str, ...]:
    """The answer an action carries; for Submit, the boxes ticked above it."""
    if action.get("action_id") == ids.SUBMIT:
        block = state.get("values", {}).get(action.get("block_id"), {})
        return _selected(block.get(ids.PICK, {}))
    return _selected(action)


_MOVE = ids.numbered(ids.MOVE)


def move_of(action: Payload) -> str | None:
    """The move a Skip, Back or Pause button carries; ``""`` (refused by the
    core) when its seal does not hold; None for any other element."""
    if not _MOVE.match(str(action.get("action_id") or "")):
        return None
    return seals.unseal(str(action.get("value") or "")) or ""


def answer_inbound(
    actor: Actor,
    place: Place,
    token: str,
    values: tuple[str, ...],
    person: PersonRef | None = None,
    delivery_id: str | None = None,
    move: str | None = None,
) -> Inbound:
    return Inbound(
        actor=actor,
        place=place,
        action=ActionInput(token, () if move is not None else values, move=move),
        mentions=(person,) if person else (),
        delivery_id=delivery_id,
        command_prefix=COMMAND_PREFIX,
    )


def command_press(
    actor: Actor, place: Place, command: str, delivery_id: str | None = None
) -> Inbound:
    """A button that runs a command, as if the person had typed it."""
    return Inbound(
        actor=actor,
        place=place,
        text=command,
        is_command=True,
        delivery_id=delivery_id,
        command_prefix=COMMAND_PREFIX,
    )


def submitted(view: Payload) -> tuple[tuple[str, ...], str | None]:
    """A modal's answer: the values given, and the user picked (if any)."""
    values = view.get("state", {}).get("values", {})
    element = values.get(ids.INPUT_BLOCK, {}).get(ids.INPUT_ACTION, {})
    picked = element.get("selected_user") if element.get("type") == "users_select" else None
    typed = values.get(ids.TEXT_BLOCK, {}).get(ids.TEXT_ACTION, {}).get("value")
    if picked:
        return (), str(picked)
    if typed:
        return (str(typed),), None
    return _selected(element), None
