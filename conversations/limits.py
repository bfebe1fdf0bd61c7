"""What the core takes from an adapter, and how much of it it repeats back.

Platforms and terminals hand over strings the database can neither store nor
compare: NUL (PostgreSQL refuses it in text and JSON) and lone surrogates
(what is left of bytes that were not UTF-8, or of a forged ``\\ud800`` in
JSON; no encoding can write them). :func:`clean` turns each into U+FFFD, the
replacement character, in every string of an :class:`Inbound`, once, before
anything else reads it; other control characters are left to the answer
parser, which refuses them with its own message. Platform fields longer than
their columns are cut (names), are ignored (locale, time zone: the person's
stay as they were), or refuse the event (ids: cutting one could make it
someone else's; an event from nobody is refused too).

:func:`quoted` shortens what a message quotes back from the person: a 1 MB
argument is not worth repeating, and chat platforms cap message sizes.
"""

from __future__ import annotations

import re
from dataclasses import replace

from conversations.errors import UserError
from conversations.messages import ActionInput, Actor, Inbound, PersonRef, Place

# U+E000 and U+E001 mark a channel reference in the core's texts
# (conversations.channels): never taken from a person, so none can be forged.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff\ue000\ue001]")

MAX_ID = 200
"""Workspace, person, channel and delivery ids: the width of their columns."""
MAX_NAME = 200
MAX_LOCALE = 20
MAX_TIMEZONE = 64
MAX_QUOTED = 80
"""Longest piece of a person's input a reply quotes back."""


def storable(value: str) -> str:
    return _UNSTORABLE.sub("\ufffd", value)


def quoted(value: object) -> object:
    """``value`` as a message quotes it: long strings cut, with an ellipsis."""
    if isinstance(value, str) and len(value) > MAX_QUOTED:
        return value[: MAX_QUOTED - 1] + "…"
    return value


def _id(value: str, *, required: bool = False) -> str:
    cleaned = storable(value)
    if len(cleaned) > MAX_ID:
        raise UserError(
            "This message carries an identifier longer than I can store; it was ignored."
        )
    if required and not cleaned.strip():
        raise UserError("I can't tell who sent this message, so it was ignored.")
    return cleaned


def _optional_id(value: str | None) -> str | None:
    return None if value is None else _id(value)


def _setting(value: str, longest: int) -> str:
    """A locale or time zone; empty (unknown: the person's stays as it was) when unusable."""
    cleaned = storable(value).strip()
    return cleaned if len(cleaned) <= longest and "\ufffd" not in cleaned else ""


def _actor(actor: Actor) -> Actor:
    return Actor(
        workspace=_id(actor.workspace, required=True),
        user_id=_id(actor.user_id, required=True),
        display_name=storable(actor.display_name)[:MAX_NAME],
        locale=_setting(actor.locale, MAX_LOCALE),
        timezone=_setting(actor.timezone, MAX_TIMEZONE),
    )


def _mention(ref: PersonRef) -> PersonRef:
    return PersonRef(
        _id(ref.platform_id), None if ref.name is None else storable(ref.name)[:MAX_NAME]
    )


def _place(place: Place) -> Place:
    # A channel's id is stored (a POC's home, a subscription); a direct
    # conversation's never is, and Teams' personal chat ids run long.
    channel = storable(place.channel_id) if place.is_direct else _id(place.channel_id)
    return Place(channel_id=channel, is_direct=place.is_direct)


def clean(inbound: Inbound) -> Inbound:
    """``inbound`` with every string storable; :class:`UserError` when an id can't be."""
    action = inbound.action
    return replace(
        inbound,
        actor=_actor(inbound.actor),
        place=_place(inbound.place),
        text=storable(inbound.text),
        action=None
        if action is None
        else ActionInput(
            storable(action.token),
            tuple(storable(v) for v in action.values),
            move=None if action.move is None else storable(action.move),
        ),
        mentions=tuple(_mention(m) for m in inbound.mentions),
        delivery_id=_optional_id(inbound.delivery_id),
        reply_to=None if inbound.reply_to is None else storable(inbound.reply_to),
    )
