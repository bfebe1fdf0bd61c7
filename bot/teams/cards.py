"""The core's replies as Adaptive Cards (JSON). Pure: builds dictionaries, sends nothing.

Every text goes into a ``TextRun`` of a ``RichTextBlock``. Unlike a
``TextBlock``, a ``TextRun`` is never read as Markdown, so nothing a person
typed (a POC title, an answer) can turn into a link, an image or formatting;
and without ``msteams.entities`` an ``<at>`` in a text is just text, never a
mention. Button titles and choice labels are plain text in every renderer.

Version 1.4: what Teams renders on desktop, web and mobile.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.teams import images, size, texts
from bot.teams.inbound import (
    ANSWER,
    CARD_KEY,
    COMMAND,
    DATE_INPUT,
    MOVE,
    SEAL_KEY,
    VALUES_INPUT,
    seal_of,
)
from bot.teams.routing import Message
from conversations.i18n import Translator
from conversations.messages import (
    Answered,
    Ask,
    Button,
    Card,
    Choice,
    Document,
    Image,
    PersonRef,
    QuestionKind,
    Reply,
    Say,
)

Json = dict[str, Any]

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"

BUTTONS_AT_MOST = 5
"""More choices than this are a list of radio buttons: Teams shows about six actions."""
SHORT_LABEL = 24
"""Longer labels are cut on a button; they wrap in a list."""
_SAFE_NAME = re.compile(r"[^\w .'-]|_")
"""What is taken out of a name shown in a mention (Markdown and tags)."""


# -- text -------------------------------------------------------------------------


def run(text: str, **style: Any) -> Json:
    """A piece of plain text: ``weight``, ``size``, ``isSubtle``, ``color``, ``italic``."""
    return {"type": "TextRun", "text": text, **style}


def line(*runs: Json, spacing: str | None = None) -> Json:
    block: Json = {"type": "RichTextBlock", "inlines": list(runs)}
    if spacing:
        block["spacing"] = spacing
    return block


def paragraph(text: str, **style: Any) -> list[Json]:
    """One block per line: a TextRun shows no line breaks."""
    lines = [part for part in text.splitlines() if part.strip()] or [""]
    return [
        line(run(part, **style), spacing=None if i == 0 else "None") for i, part in enumerate(lines)
    ]


# -- cards and activities ---------------------------------------------------------


def adaptive_card(
    body: Sequence[Json], actions: Sequence[Json] = (), *, wide: bool = False
) -> Json:
    card: Json = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": list(body)}
    if actions:
        card["actions"] = list(actions)
    if wide:
        card["msteams"] = {"width": "Full"}
    return card


def activity(card: Json) -> Json:
    """A message activity carrying one card and no text (text would be read as markup)."""
    return {"type": "message", "attachments": [{"contentType": CONTENT_TYPE, "content": card}]}


def activity_for(message: Message, t: Translator) -> Json:
    """The activity for one planned message: a question card, or the merged replies."""
    question = message.question
    if question is not None:
        return activity(question_card(question, t))
    return activity(replies_card(message.replies, t))


def submit(title: str, kind: str, **data: str) -> Json:
    """A button whose data comes back in the message activity's ``value``, with
    the inputs; sealed, so that data changed on the way is refused."""
    sealed = {CARD_KEY: kind, **data}
    return {"type": "Action.Submit", "title": title, "data": {**sealed, SEAL_KEY: seal_of(sealed)}}


def command_button(button: Button) -> Json:
    return submit(button.label, COMMAND, command=button.command)


# -- merged replies -------------------------------------------------------------


def replies_card(replies: Iterable[Reply], t: Translator) -> Json:
    """Several replies (texts, cards, images) as one card, in order."""
    body: list[Json] = []
    mentions: list[Json] = []
    wide = False
    pictures: list[tuple[int, Image]] = []
    for reply in replies:
        if isinstance(reply, Say):
            body.extend(_separated(paragraph(reply.text), body))
        elif isinstance(reply, Card):
            body.extend(_separated(_card_body(reply, mentions), body))
            wide = True
        elif isinstance(reply, Image):
            body.extend(_separated([{"type": "Image", "url": "", "altText": reply.alt}], body))
            pictures.append((len(body) - 1, reply))
        elif isinstance(reply, Document):
            # A bot can hand a file to Teams only through a file consent card
            # and an upload to the person's OneDrive (personal chat only);
            # until then the person is told how to get the record.
            body.extend(_separated(paragraph(reply.fallback), body))
        elif isinstance(reply, Ask):
            body.extend(_separated(question_body(reply, t), body))
        # Answered is never merged: it updates the question's own card.
    card = adaptive_card(body, wide=wide)
    if mentions:
        card["msteams"] = {**card.get("msteams", {}), "entities": mentions}
    if pictures:
        _place_pictures(card, pictures, t)
    return card


def _place_pictures(card: Json, pictures: list[tuple[int, Image]], t: Translator) -> None:
    """The charts in the room the rest of the card leaves under Teams' limit,
    shared out between them."""
    room = size.LIMIT - size.size_of(activity(card)) - PICTURE_MARGIN
    share = max(0, min(images.BUDGET, room)) // len(pictures)
    body = card["body"]
    for index, image in reversed(pictures):
        placeholder = body[index]
        shown = _image(image, share, t)
        if placeholder.get("separator"):
            shown[0] = {**shown[0], "separator": True, "spacing": placeholder.get("spacing")}
        body[index : index + 1] = shown


def _separated(blocks: list[Json], before: list[Json]) -> list[Json]:
    """A rule between replies merged into one card."""
    if before and blocks:
        blocks[0] = {**blocks[0], "separator": True, "spacing": "Medium"}
    return blocks


def _card_body(card: Card, mentions: list[Json]) -> list[Json]:
    """The card's blocks; the people it mentions are added to ``mentions``."""
    body = [line(run(card.title, weight="Bolder", size="Medium"))]
    if card.subtitle:
        body.extend(paragraph(card.subtitle, isSubtle=True))
    for section in card.sections:
        items: list[Json] = []
        if section.title:
            items.append(line(run(section.title, weight="Bolder")))
        if section.text:
            items.extend(paragraph(section.text))
        items.extend(
            line(run(f"{field.label}: ", weight="Bolder"), run(field.value), spacing="None")
            for field in section.fields
        )
        if section.mentions:
            items.append(_mentioning(section.mentions, mentions))
        if items:
            body.append({"type": "Container", "items": items, "separator": True})
    for note in card.context:
        body.extend(paragraph(note, isSubtle=True, size="Small"))
    if card.buttons:
        body.append({"type": "ActionSet", "actions": [command_button(b) for b in card.buttons]})
    return body


def _mentioning(people: Sequence[PersonRef], entities: list[Json]) -> Json:
    """People asked to act, as Teams mentions (they are notified).

    A mention lives in a TextBlock, which reads Markdown: the name shown is
    cut down to letters, digits, spaces and a few harmless signs, and the
    mention itself is declared in ``msteams.entities``, never taken from text.
    """
    tags = []
    for person in people:
        shown = _SAFE_NAME.sub("", person.name or "").strip() or "?"
        tag = f"<at>{shown}</at>"
        tags.append(tag)
        entities.append(
            {"type": "mention", "text": tag, "mentioned": {"id": person.platform_id, "name": shown}}
        )
    return {"type": "TextBlock", "text": " ".join(tags), "wrap": True}


PICTURE_MARGIN = 1_000
"""Bytes kept free under the limit: the pictures' own JSON, the fitting note."""


def _image(image: Image, budget: int, t: Translator) -> list[Json]:
    """The chart inline (made to fit its share of the activity), or, when it
    can't be made small enough to read, its text alternative and where to
    see it."""
    uri = images.data_uri(image.png, budget)
    if uri is not None:
        return [{"type": "Image", "url": uri, "altText": image.alt}]
    return [*paragraph(image.alt), *paragraph(t(texts.CHART_TOO_LARGE), isSubtle=True)]


# -- questions --------------------------------------------------------------------


def question_card(ask: Ask, t: Translator) -> Json:
    """One interview question: buttons for a choice, inputs for several choices or a
    date, and for text, numbers and people the person simply replies."""
    body = question_body(ask, t)
    body.extend(_inputs(ask, t))
    body.extend(_moves(ask))
    actions = _actions(ask, t)
    if ask.hand_over is not None:  # "Someone else should answer this" (issue 13)
        actions.append(command_button(ask.hand_over))
    if ask.help:
        help_body = paragraph(ask.help)
        if ask.reference:
            help_body.extend(paragraph(ask.reference, isSubtle=True, size="Small"))
        actions.append(
            {"type": "Action.ShowCard", "title": t(texts.WHY), "card": adaptive_card(help_body)}
        )
    return adaptive_card(body, actions)


def question_body(ask: Ask, t: Translator) -> list[Json]:
    body = paragraph(f"{ask.poc_handle} · {ask.progress}", isSubtle=True, size="Small")
    if ask.error:
        body.extend(paragraph(ask.error, color="Attention"))
    body.extend(paragraph(ask.text, weight="Bolder"))
    if ask.current is not None:
        body.extend(paragraph(f"({ask.current})", isSubtle=True))
    # No people picker on a card: a person is named by a typed @mention.
    body.extend(paragraph(ask.hint_typed(), isSubtle=True, size="Small"))
    return body


def choices_of(ask: Ask, t: Translator) -> tuple[Choice, ...]:
    """What can be pressed, for the kinds answered by pressing."""
    if ask.kind == QuestionKind.YES_NO:
        return (Choice("yes", t("Yes")), Choice("no", t("No")))
    if ask.kind == QuestionKind.SCALE:
        return tuple(Choice(str(n), str(n)) for n in range(1, 6))
    if ask.kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
        # Numbered as the hint says: typing "2" (or "1, 3") answers as well.
        return tuple(Choice(c.value, f"{n}. {c.label}") for n, c in enumerate(ask.choices, 1))
    return ()


def as_buttons(ask: Ask, t: Translator) -> bool:
    """A few short choices are buttons; many or long ones a list with a Send button."""
    if ask.kind in (QuestionKind.YES_NO, QuestionKind.SCALE):
        return True
    if ask.kind != QuestionKind.CHOICE:
        return False
    choices = choices_of(ask, t)
    return len(choices) <= BUTTONS_AT_MOST and all(len(c.label) <= SHORT_LABEL for c in choices)


def _actions(ask: Ask, t: Translator) -> list[Json]:
    if as_buttons(ask, t):
        return [submit(c.label, ANSWER, token=ask.token, value=c.value) for c in choices_of(ask, t)]
    if ask.kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE, QuestionKind.DATE):
        return [submit(t(texts.SEND), ANSWER, token=ask.token)]
    return []


def _moves(ask: Ask) -> list[Json]:
    """Skip, Back and Pause, as the core says apply, in a row of their own under
    the question (the card's own actions are its answers); sealed with its token."""
    if not ask.moves:
        return []
    actions = [submit(m.label, MOVE, token=ask.token, value=m.move.value) for m in ask.moves]
    return [{"type": "ActionSet", "actions": actions, "spacing": "Medium"}]


def _inputs(ask: Ask, t: Translator) -> list[Json]:
    if ask.kind == QuestionKind.DATE:
        return [{"type": "Input.Date", "id": DATE_INPUT}]
    if ask.kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE) and not as_buttons(ask, t):
        return [
            {
                "type": "Input.ChoiceSet",
                "id": VALUES_INPUT,
                "style": "expanded",
                "isMultiSelect": ask.kind == QuestionKind.MULTI_CHOICE,
                "wrap": True,
                "choices": [{"title": c.label, "value": c.value} for c in choices_of(ask, t)],
            }
        ]
    return []


def settled_activity(answered: Answered) -> Json:
    """What a question's message becomes once answered: the answer, and nothing to
    press (one left unanswered, paused or gone back from, says so)."""
    mark = "⏸" if answered.left else "✅"
    return activity(adaptive_card(paragraph(f"{mark} {answered.summary}")))


def moved_on_activity(ask: Ask, t: Translator) -> Json:
    """A question's earlier card once it is asked again further down: its text,
    and nothing to press, so only the latest card answers it."""
    body = paragraph(ask.text, isSubtle=True)
    body.extend(paragraph(t(texts.MOVED_ON), isSubtle=True))
    return activity(adaptive_card(body))
