"""From an Activity, as Teams posts it (JSON), to the core's :class:`Inbound`. Pure.

These functions read the JSON body itself rather than botbuilder's objects,
which drop what Teams adds (``conversation.tenantId``, the details of mention
entities): they are the part of the adapter that survives a change of SDK.

Who is who: a person is their Teams user id (``from.id``, ``29:...``), the id
mentions carry too, so "owner invoice-bot @Claire" and a later message from
Claire name the same person. The workspace is the tenant: ``teams:<tenant>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot import seals
from conversations.messages import ActionInput, Actor, Inbound, PersonRef, Place

Activity = Mapping[str, Any]

CARD_KEY = "postpoc"
"""The key our Action.Submit data carries; its value says what the submit is."""
ANSWER = "answer"
COMMAND = "command"
MOVE = "move"
"""Skip, Back or Pause under a question: ``token`` and the move in ``value``."""
VALUES_INPUT = "postpoc_values"
"""Id of the multi-choice input (Teams sends the picked values comma-separated)."""
DATE_INPUT = "postpoc_date"
"""Id of the date input (Teams sends ``YYYY-MM-DD``)."""
SEAL_KEY = "postpoc_seal"
"""The MAC over what the bot put in a submit's data (:mod:`bot.seals`)."""
SEALED_FIELDS = (CARD_KEY, "token", "command", "value")
"""What a submit's data carries from the bot; the inputs (the person's picks) are not sealed."""


def _sealed_text(data: Mapping[str, Any]) -> str:
    return "\x1f".join(str(data.get(name, "")) for name in SEALED_FIELDS)


def seal_of(data: Mapping[str, Any]) -> str:
    """The seal a card's submit data carries."""
    return seals.seal(_sealed_text(data)).rpartition(seals.SEPARATOR)[2]


def unsealed_submit(activity: Activity) -> bool:
    """A card submit of ours whose data was changed (or sealed with another key)."""
    submitted = field(activity, "value")
    if not isinstance(submitted, Mapping) or CARD_KEY not in submitted:
        return False
    mark = submitted.get(SEAL_KEY)
    sealed = f"{_sealed_text(submitted)}{seals.SEPARATOR}{mark}"
    return not isinstance(mark, str) or seals.unseal(sealed) is None


EMULATOR_WORKSPACE = "teams:emulator"
_THREAD_SUFFIX = re.compile(r";messageid=.*$")
_AT_TAG = re.compile(r"</?at>", re.IGNORECASE)


def field(data: Any, *path: str) -> Any:
    """``data[path[0]][path[1]]...``, or None as soon as a step is missing."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def text_field(data: Any, *path: str) -> str:
    value = field(data, *path)
    return value if isinstance(value, str) else ""


def tenant_of(activity: Activity) -> str | None:
    """The Teams tenant: ``channelData.tenant.id`` (also in ``conversation.tenantId``)."""
    return (
        text_field(activity, "channelData", "tenant", "id")
        or text_field(activity, "conversation", "tenantId")
        or None
    )


def workspace_of(activity: Activity, *, emulator: bool) -> str | None:
    """``teams:<tenant>``; None when there is no tenant (refused), except for the Emulator."""
    tenant = tenant_of(activity)
    if tenant:
        return f"teams:{tenant}"
    return EMULATOR_WORKSPACE if emulator else None


def is_personal(activity: Activity) -> bool:
    """A one-to-one chat with the bot (the Emulator sends no conversation type)."""
    kind = text_field(activity, "conversation", "conversationType")
    if kind:
        return kind == "personal"
    return not field(activity, "conversation", "isGroup")


def channel_of(activity: Activity) -> str:
    """The channel (for a team) or conversation id, without the thread suffix."""
    return text_field(activity, "channelData", "channel", "id") or _THREAD_SUFFIX.sub(
        "", text_field(activity, "conversation", "id")
    )


def team_of(activity: Activity) -> str | None:
    return text_field(activity, "channelData", "team", "id") or None


def person_of(activity: Activity) -> str:
    return text_field(activity, "from", "id")


def bot_id(activity: Activity) -> str:
    return text_field(activity, "recipient", "id")


def bot_among(activity: Activity, members: str) -> bool:
    """Whether the bot itself is in ``membersAdded`` or ``membersRemoved`` of a
    conversationUpdate: it was installed in, or removed from, a team or a chat."""
    listed = field(activity, members)
    me = bot_id(activity)
    return isinstance(listed, Sequence) and any(field(m, "id") == me for m in listed)


def members_removed(activity: Activity) -> list[str]:
    """The people (not the bot) a conversationUpdate says left a team."""
    listed = field(activity, "membersRemoved")
    if not team_of(activity) or not isinstance(listed, Sequence) or isinstance(listed, str):
        return []
    me = bot_id(activity)
    return [
        member_id
        for member in listed
        if (member_id := text_field(member, "id")) and member_id != me
    ]


def actor_of(activity: Activity, workspace: str) -> Actor:
    client = _client_info(activity)
    return Actor(
        workspace=workspace,
        user_id=person_of(activity),
        display_name=text_field(activity, "from", "name"),
        locale=text_field(activity, "locale") or text_field(client, "locale") or "en",
        timezone=text_field(activity, "localTimezone") or text_field(client, "timezone") or "UTC",
    )


def place_of(activity: Activity) -> Place:
    personal = is_personal(activity)
    conversation = text_field(activity, "conversation", "id")
    return Place(channel_id=conversation if personal else channel_of(activity), is_direct=personal)


def to_inbound(activity: Activity, workspace: str) -> Inbound | None:
    """The core event for a message activity; None when it is not meant for the bot.

    A card submit carries our data in ``value``. Typed text in the personal
    chat goes to the core as typed (it tells answers from commands); in a
    channel or group chat only a message that @mentions the bot is for it, and
    it is a command.
    """
    actor = actor_of(activity, workspace)
    place = place_of(activity)
    delivery = text_field(activity, "id") or None
    submitted = field(activity, "value")
    if isinstance(submitted, Mapping) and CARD_KEY in submitted:
        return _submit(submitted, actor, place, delivery)
    text, mentions, addressed = _text_and_mentions(activity)
    if not place.is_direct and not addressed:
        return None
    return Inbound(
        actor=actor,
        place=place,
        text=text,
        is_command=not place.is_direct,
        mentions=mentions,
        delivery_id=delivery,
        command_prefix=command_prefix(activity, place),
    )


def command_prefix(activity: Activity, place: Place) -> str:
    """How a command is typed here: as is in a personal chat, after an @mention elsewhere."""
    if place.is_direct:
        return ""
    recipient = field(activity, "recipient")
    name = recipient.get("name") if isinstance(recipient, Mapping) else None
    return f"@{name} " if isinstance(name, str) and name.strip() else ""


def _submit(
    data: Mapping[str, Any], actor: Actor, place: Place, delivery: str | None
) -> Inbound | None:
    kind = data.get(CARD_KEY)
    if kind == COMMAND and isinstance(data.get("command"), str):
        return Inbound(
            actor=actor,
            place=place,
            text=data["command"],
            is_command=True,
            delivery_id=delivery,
        )
    token = data.get("token")
    if kind == MOVE and isinstance(token, str) and isinstance(data.get("value"), str):
        action = ActionInput(token=token, move=data["value"])
        return Inbound(actor=actor, place=place, action=action, delivery_id=delivery)
    if kind == ANSWER and isinstance(token, str):
        action = ActionInput(token=token, values=submitted_values(data))
        return Inbound(actor=actor, place=place, action=action, delivery_id=delivery)
    return None


def submitted_values(data: Mapping[str, Any]) -> tuple[str, ...]:
    """A pressed button's value, the picked choices, or the picked date."""
    if isinstance(data.get("value"), str):
        return (data["value"],)
    picked = data.get(VALUES_INPUT)
    if isinstance(picked, str):
        return tuple(v.strip() for v in picked.split(",") if v.strip())
    day = data.get(DATE_INPUT)
    if isinstance(day, str) and day.strip():
        return (day.strip(),)
    return ()


def _text_and_mentions(activity: Activity) -> tuple[str, tuple[PersonRef, ...], bool]:
    """The text without the bot's mention, the people mentioned, and whether the bot was."""
    text = text_field(activity, "text")
    me = bot_id(activity)
    people: list[PersonRef] = []
    addressed = False
    entities = field(activity, "entities")
    for entity in entities if isinstance(entities, Sequence) else ():
        if field(entity, "type") != "mention":
            continue
        who = text_field(entity, "mentioned", "id")
        name = text_field(entity, "mentioned", "name")
        tag = text_field(entity, "text")
        if who == me:
            addressed = True
            text = text.replace(tag, " ") if tag else text
        elif who:
            people.append(PersonRef(who, name or None))
            text = text.replace(tag, name) if tag else text
    # What is left of the markup: stray <at> tags and HTML entities Teams adds.
    plain = html.unescape(_AT_TAG.sub("", text)).replace("\xa0", " ")
    return " ".join(plain.split()), tuple(people), addressed


def _client_info(activity: Activity) -> Mapping[str, Any]:
    entities = field(activity, "entities")
    for entity in entities if isinstance(entities, Sequence) else ():
        if field(entity, "type") == "clientInfo" and isinstance(entity, Mapping):
            return entity
    return {}


def reference_of(activity: Activity, *, conversation_id: str | None = None) -> dict[str, Any]:
    """A conversation reference (JSON) to reach this conversation later, unprompted.

    Without the activity id, so that a proactive post starts a new message
    rather than answering an old one, and so that the stored reference only
    changes when the conversation does.
    """
    conversation = field(activity, "conversation")
    kept = {
        k: v
        for k, v in (conversation if isinstance(conversation, Mapping) else {}).items()
        if k in ("id", "conversationType", "isGroup", "tenantId", "name")
    }
    if conversation_id is not None:
        kept["id"] = conversation_id
    tenant = tenant_of(activity)
    if tenant:
        kept["tenantId"] = tenant
    reference: dict[str, Any] = {
        "bot": _account(field(activity, "recipient")),
        "conversation": kept,
        "channelId": text_field(activity, "channelId"),
        "serviceUrl": text_field(activity, "serviceUrl"),
    }
    locale = text_field(activity, "locale")
    if locale:
        reference["locale"] = locale
    if is_personal(activity):
        reference["user"] = _account(field(activity, "from"))
    return reference


def _account(account: Any) -> dict[str, str]:
    return {k: v for k in ("id", "name") if isinstance(v := field(account, k), str)}
