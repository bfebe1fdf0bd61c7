"""Core replies as Block Kit. Pure: dictionaries in, dictionaries out.

Every text passes through :func:`bot.slack.escape.clip` (escaped, then cut to
Slack's limit) exactly once, where it is put into a text object; mrkdwn
objects are ``verbatim`` so Slack links nothing the bot did not write.

Slack's limits, from the Block Kit reference: 50 blocks in a message (100 in
a modal or Home tab), 3,000 characters in a section, 10 fields of 2,000, a
header of 150, button and option texts of 75, 25 elements in an actions
block, 10 checkboxes or radio buttons, a modal title of 24.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot import seals
from bot.slack import ids
from bot.slack.escape import clip, cut, escape, shorten
from bot.slack.texts import text
from conversations.messages import (
    Answered,
    Ask,
    Button,
    Card,
    Choice,
    Image,
    PersonRef,
    QuestionKind,
    Reply,
    Say,
    Section,
)

Block = dict[str, Any]
View = dict[str, Any]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS = 10
HEADER_TEXT = 150
CONTEXT_TEXT = 2000
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
ACTIONS_ELEMENTS = 25
TICKABLE = 10  # checkboxes or radio buttons in one group
SELECT_OPTIONS = 100
MODAL_TITLE = 24
INPUT_TEXT = 3000
FALLBACK_TEXT = 3000

BUTTON_KINDS = (QuestionKind.CHOICE, QuestionKind.YES_NO, QuestionKind.SCALE)
TYPED_KINDS = (QuestionKind.TEXT, QuestionKind.NUMBER)


# -- text objects -------------------------------------------------------------------


def plain(raw: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(raw, limit), "emoji": True}


def mrkdwn(escaped: str) -> dict[str, Any]:
    """A mrkdwn object from text that is already escaped (and within limits)."""
    return {"type": "mrkdwn", "text": escaped, "verbatim": True}


def section(raw: str) -> Block:
    return {"type": "section", "text": mrkdwn(clip(raw, SECTION_TEXT))}


def titled(title: str | None, body: str | None) -> str:
    """``*title*`` over ``body``, both escaped, within a section's limit."""
    head = f"*{clip(title, 200)}*" if title else ""
    if not body:
        return head
    room = SECTION_TEXT - len(head) - 1
    return f"{head}\n{clip(body, room)}" if head else clip(body, SECTION_TEXT)


def context(raws: Iterable[str]) -> Block:
    elements = [mrkdwn(clip(raw, CONTEXT_TEXT)) for raw in raws if raw][:CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements}


def header(raw: str) -> Block:
    return {"type": "header", "text": plain(raw, HEADER_TEXT)}


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": plain(label, BUTTON_TEXT),
        "value": shorten(value, BUTTON_VALUE),
    }
    if style:
        element["style"] = style
    return element


def fit(blocks: list[Block], limit: int, language: str) -> list[Block]:
    """At most ``limit`` blocks; the last one says the message was shortened."""
    if len(blocks) <= limit:
        return blocks
    return [*blocks[: limit - 1], context([text("truncated", language)])]


# -- plain messages and cards -----------------------------------------------------


def say_blocks(say: Say) -> list[Block]:
    # Long texts run over several sections rather than being cut.
    body = say.text
    chunks = [body[i : i + 2500] for i in range(0, len(body), 2500)] or [""]
    return [section(chunk) for chunk in chunks if chunk.strip()] or [section(" ")]


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def mention(person: PersonRef) -> str:
    """A real mention (the person is notified) when the id is a Slack user id;
    anything else is shown as an escaped name, never as markup."""
    if _USER_ID.match(person.platform_id):
        return f"<@{person.platform_id}>"
    return "@" + clip(person.name or person.platform_id, 100)


def section_blocks(part: Section) -> list[Block]:
    blocks: list[Block] = []
    fields = [
        mrkdwn(f"*{clip(f.label, 300)}*\n{clip(f.value, FIELD_TEXT - 310)}") for f in part.fields
    ]
    first: Block = {"type": "section"}
    if part.title or part.text or part.mentions:
        asked = " ".join(mention(p) for p in part.mentions[:20])
        body = cut(titled(part.title, part.text), SECTION_TEXT - len(asked) - 1)
        first["text"] = mrkdwn(f"{body}\n{asked}".strip() if asked else body)
    if fields:
        first["fields"] = fields[:FIELDS]
    if len(first) > 1:
        blocks.append(first)
    for start in range(FIELDS, len(fields), FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + FIELDS]})
    return blocks


def sealed(command: str) -> str:
    """A command carried by a button, sealed (:mod:`bot.seals`); cut first so
    that the seal fits in the value."""
    return seals.seal(shorten(command, BUTTON_VALUE - seals.LENGTH))


def command_buttons(buttons: Sequence[Button]) -> list[Block]:
    return [
        {
            "type": "actions",
            "elements": [
                button(b.label, f"{ids.RUN}:{start + n}", sealed(b.command))
                for n, b in enumerate(buttons[start : start + ACTIONS_ELEMENTS])
            ],
        }
        for start in range(0, len(buttons), ACTIONS_ELEMENTS)
    ]


def card_blocks(card: Card) -> list[Block]:
    blocks = [header(card.title)]
    if card.subtitle:
        blocks.append(context([card.subtitle]))
    for part in card.sections:
        blocks.extend(section_blocks(part))
    if card.context:
        blocks.append(context(card.context))
    blocks.extend(command_buttons(card.buttons))
    return blocks


def image_blocks(image: Image) -> list[Block]:
    # An image block needs a public URL: the picture itself is uploaded as a
    # file (bot.slack.images); a message shows it by its text alternative.
    return [context([image.alt])]


def message_blocks(replies: Sequence[Reply], language: str) -> list[Block]:
    """Says, cards and images posted together as one message."""
    blocks: list[Block] = []
    for reply in replies:
        if isinstance(reply, Say):
            blocks.extend(say_blocks(reply))
        elif isinstance(reply, Card):
            blocks.extend(card_blocks(reply))
        elif isinstance(reply, Image):
            blocks.extend(image_blocks(reply))
        elif isinstance(reply, Ask):
            blocks.extend(ask_blocks(reply, language))
        elif isinstance(reply, Answered):
            blocks.extend(answered_blocks(reply, None))
    return fit(blocks, MESSAGE_BLOCKS, language)


def fallback(replies: Sequence[Reply]) -> str:
    """The notification text of a message: what its first reply says."""
    for reply in replies:
        if isinstance(reply, Say):
            return clip(reply.text, FALLBACK_TEXT)
        if isinstance(reply, Card):
            return clip(reply.title, FALLBACK_TEXT)
        if isinstance(reply, Ask):
            return clip(reply.text, FALLBACK_TEXT)
        if isinstance(reply, Answered):
            return clip(reply.summary, FALLBACK_TEXT)
        if isinstance(reply, Image):
            return clip(reply.alt, FALLBACK_TEXT)
    return ""


def home_view(card: Card, language: str) -> View:
    return {"type": "home", "blocks": fit(card_blocks(card), VIEW_BLOCKS, language)}


# -- questions ------------------------------------------------------------------------


def _too_long(label: str) -> bool:
    return len(escape(label)) > BUTTON_TEXT


def option(value: str, label: str, *, described: bool = False) -> dict[str, Any]:
    """An option; a label too long for Slack goes on in its description when
    the element has one (checkboxes, radio buttons)."""
    shown: dict[str, Any] = {"text": plain(label, OPTION_TEXT), "value": shorten(value, 150)}
    if described and _too_long(label):
        head = label[: OPTION_TEXT - 10].rsplit(" ", 1)[0]
        shown["text"] = plain(head + " …", OPTION_TEXT)
        shown["description"] = plain(label[len(head) :].strip(), OPTION_TEXT)
    return shown


def _yes_no(language: str) -> tuple[Choice, ...]:
    return (Choice("yes", text("yes", language)), Choice("no", text("no", language)))


def _scale() -> tuple[Choice, ...]:
    return tuple(Choice(str(n), str(n)) for n in range(1, 6))


def choices_of(ask: Ask, language: str) -> tuple[Choice, ...]:
    if ask.kind == QuestionKind.YES_NO:
        return _yes_no(language)
    if ask.kind == QuestionKind.SCALE:
        return _scale()
    return ask.choices


def _answer_buttons(ask: Ask, choices: Sequence[Choice]) -> list[Block]:
    numbered = any(_too_long(c.label) for c in choices)
    blocks = []
    for start in range(0, len(choices), ACTIONS_ELEMENTS):
        chunk = choices[start : start + ACTIONS_ELEMENTS]
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.ask_block(ask.token, start // ACTIONS_ELEMENTS),
                "elements": [
                    button(
                        f"{start + n + 1}. {c.label}" if numbered else c.label,
                        f"{ids.ANSWER}:{start + n}",
                        c.value,
                    )
                    for n, c in enumerate(chunk)
                ],
            }
        )
    return blocks


def _many(choices: Sequence[Choice], action_id: str, language: str) -> Block:
    """Checkboxes, or a multi-select when there are too many to tick."""
    if len(choices) <= TICKABLE:
        return {
            "type": "checkboxes",
            "action_id": action_id,
            "options": [option(c.value, c.label, described=True) for c in choices],
        }
    return {
        "type": "multi_static_select",
        "action_id": action_id,
        "placeholder": plain(text("pick_one", language), 150),
        "options": [option(c.value, c.label) for c in choices[:SELECT_OPTIONS]],
    }


def ask_inputs(ask: Ask, language: str) -> list[Block]:
    """The buttons or pickers that answer ``ask`` inside a message."""
    if ask.kind in BUTTON_KINDS:
        return _answer_buttons(ask, choices_of(ask, language))
    block: Block = {"type": "actions", "block_id": ids.ask_block(ask.token)}
    if ask.kind == QuestionKind.MULTI_CHOICE:
        block["elements"] = [
            _many(ask.choices, ids.PICK, language),
            button(text("submit", language), ids.SUBMIT, "submit", style="primary"),
        ]
    elif ask.kind == QuestionKind.DATE:
        block["elements"] = [
            {
                "type": "datepicker",
                "action_id": ids.DATE,
                "placeholder": plain(text("pick_date", language), 150),
            }
        ]
    elif ask.kind == QuestionKind.PERSON:
        block["elements"] = [
            {
                "type": "users_select",
                "action_id": ids.PERSON,
                "placeholder": plain(text("pick_person", language), 150),
            }
        ]
    else:
        return []
    return [block]


def move_buttons(ask: Ask) -> list[Block]:
    """Skip, Back and Pause, as the core says apply: in a block carrying the
    question's token, so a press on a question left behind is refused."""
    if not ask.moves:
        return []
    return [
        {
            "type": "actions",
            "block_id": ids.ask_block(ask.token, ids.MOVES_BLOCK),
            "elements": [
                button(m.label, f"{ids.MOVE}:{n}", seals.seal(m.move.value))
                for n, m in enumerate(ask.moves)
            ],
        }
    ]


def _full_labels(ask: Ask) -> list[Block]:
    """When buttons had to be shortened, the choices in full, numbered."""
    if ask.kind != QuestionKind.CHOICE or not any(_too_long(c.label) for c in ask.choices):
        return []
    listed = "\n".join(f"{n}. {c.label}" for n, c in enumerate(ask.choices, start=1))
    return [section(listed)]


def _ask_hints(ask: Ask, language: str) -> list[str]:
    hints = [ask.hint]
    if ask.kind in TYPED_KINDS:
        hints.append(text("reply_here", language))
    elif ask.kind == QuestionKind.PERSON:
        hints.append(text("or_type_name", language))
    hints.append(text("steering", language))
    return [" ".join(hints)] + (
        [text("reference", language, reference=ask.reference)] if ask.reference else []
    )


def ask_blocks(ask: Ask, language: str) -> list[Block]:
    blocks = [context([f"{ask.poc_handle} · {ask.progress}"])]
    if ask.error:
        blocks.append({"type": "section", "text": mrkdwn(":warning: " + clip(ask.error, 2900))})
    blocks.append(
        {
            "type": "section",
            "block_id": ids.question_block(ask.token),
            "text": mrkdwn(titled(ask.text, None)),
        }
    )
    blocks.extend(_full_labels(ask))
    if ask.current is not None:
        blocks.append(context([text("current", language, answer=ask.current)]))
    blocks.extend(ask_inputs(ask, language))
    if ask.hand_over is not None:  # "Someone else should answer this" (issue 13)
        blocks.extend(command_buttons([ask.hand_over]))
    blocks.append(context(_ask_hints(ask, language)))
    # Last, so that cutting a long question to Slack's limit keeps its inputs first.
    blocks = fit(blocks, MESSAGE_BLOCKS - 1, language)
    return blocks + move_buttons(ask)


def answered_blocks(
    answered: Answered, edit_command: str | None, language: str = "en"
) -> list[Block]:
    """A settled question: what was answered, and no input left to press (one
    left unanswered, paused or gone back from, has no answer to edit either)."""
    mark = ":double_vertical_bar: " if answered.left else ":white_check_mark: "
    block: Block = {"type": "section", "text": mrkdwn(mark + clip(answered.summary, 2900))}
    if edit_command and not answered.left:
        block["accessory"] = button(text("edit", language), ids.EDIT, sealed(edit_command))
    return [block]


def edited_answer_blocks(notice: str, edit_command: str, language: str = "en") -> list[Block]:
    """After a person edited the message of their last answer: what the stored
    answer is, and the Edit button that changes it."""
    block: Block = {"type": "section", "text": mrkdwn(":pencil2: " + clip(notice, 2900))}
    block["accessory"] = button(text("edit", language), ids.EDIT, edit_command)
    return [block]


def moved_on_blocks(ask_text: str, language: str) -> list[Block]:
    """A question asked again further down: its inputs removed, so only the
    latest message can answer it."""
    return [
        {"type": "section", "text": mrkdwn(titled(ask_text, None))},
        context([text("moved_on", language)]),
    ]


# -- the modal that edits an answer --------------------------------------------------


def _modal(language: str, blocks: list[Block], *, submit: bool) -> View:
    view: View = {
        "type": "modal",
        "callback_id": ids.MODAL,
        "title": plain(text("modal_title", language), MODAL_TITLE),
        "close": plain(text("cancel" if submit else "close", language), MODAL_TITLE),
        "blocks": fit(blocks, VIEW_BLOCKS, language),
    }
    if submit:
        view["submit"] = plain(text("save", language), MODAL_TITLE)
    return view


def loading_modal(language: str) -> View:
    return _modal(language, [section(text("loading", language))], submit=False)


def saving_modal(language: str) -> View:
    return _modal(language, [section(text("saving", language))], submit=False)


def notice_modal(replies: Sequence[Reply], language: str) -> View:
    """What the core said instead of asking (no such question, not allowed…)."""
    blocks = message_blocks([r for r in replies if not isinstance(r, Ask | Answered)], language)
    return _modal(language, blocks or [section(text("saved", language))], submit=False)


def _matching(choices: Sequence[Choice], shown: str | None) -> list[Choice]:
    if not shown:
        return []
    wanted = {part.strip().casefold() for part in shown.split(",")} | {shown.casefold()}
    found = [c for c in choices if c.label.casefold() in wanted]
    if not found and shown[:1].isdigit():  # a scale answer shows as "4/5"
        found = [c for c in choices if c.value == shown[:1]]
    return found


def _one_of(choices: Sequence[Choice], current: str | None, language: str) -> Block:
    if len(choices) <= TICKABLE:
        element: Block = {
            "type": "radio_buttons",
            "action_id": ids.INPUT_ACTION,
            "options": [option(c.value, c.label, described=True) for c in choices],
        }
    else:
        element = {
            "type": "static_select",
            "action_id": ids.INPUT_ACTION,
            "placeholder": plain(text("pick_one", language), 150),
            "options": [option(c.value, c.label) for c in choices[:SELECT_OPTIONS]],
        }
    initial = _matching(choices, current)
    if initial:
        described = element["type"] == "radio_buttons"
        element["initial_option"] = option(initial[0].value, initial[0].label, described=described)
    return element


def _several(choices: Sequence[Choice], current: str | None, language: str) -> Block:
    element = _many(choices, ids.INPUT_ACTION, language)
    initial = _matching(choices, current)
    if initial:
        described = element["type"] == "checkboxes"
        element["initial_options"] = [
            option(c.value, c.label, described=described) for c in initial
        ]
    return element


def _text_input(current: str | None, *, multiline: bool) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": ids.INPUT_ACTION,
        "multiline": multiline,
    }
    if current:
        # A value in an input box can't ping or link: it is kept as typed.
        element["initial_value"] = shorten(current, INPUT_TEXT)
    return element


def answer_element(ask: Ask, language: str) -> Block:
    """The input that answers ``ask`` in a modal."""
    if ask.kind in BUTTON_KINDS:
        return _one_of(choices_of(ask, language), ask.current, language)
    if ask.kind == QuestionKind.MULTI_CHOICE:
        return _several(ask.choices, ask.current, language)
    if ask.kind == QuestionKind.DATE:
        return {
            "type": "datepicker",
            "action_id": ids.INPUT_ACTION,
            "placeholder": plain(text("pick_date", language), 150),
        }
    if ask.kind == QuestionKind.PERSON:
        return {
            "type": "users_select",
            "action_id": ids.INPUT_ACTION,
            "placeholder": plain(text("pick_person", language), 150),
        }
    return _text_input(ask.current, multiline=ask.kind == QuestionKind.TEXT)


def edit_modal(ask: Ask, language: str, metadata: dict[str, str]) -> View:
    person = ask.kind == QuestionKind.PERSON
    blocks = ask_blocks_for_modal(ask, language)
    blocks.append(
        {
            "type": "input",
            "block_id": ids.INPUT_BLOCK,
            "optional": person,
            "label": plain(
                text("pick_person", language) if person else text("your_answer", language), 2000
            ),
            "hint": plain(ask.hint, 2000),
            "element": answer_element(ask, language),
        }
    )
    if person:
        # A person may be outside Slack, or nobody: a name can be typed too.
        blocks.append(
            {
                "type": "input",
                "block_id": ids.TEXT_BLOCK,
                "optional": True,
                "label": plain(text("or_type_name", language), 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.TEXT_ACTION,
                    **({"initial_value": shorten(ask.current, 200)} if ask.current else {}),
                },
            }
        )
    view = _modal(language, blocks, submit=True)
    # ids and a token: far below the limit
    view["private_metadata"] = seals.seal(json.dumps(metadata))
    view["notify_on_close"] = True
    return view


def ask_blocks_for_modal(ask: Ask, language: str) -> list[Block]:
    blocks = [context([f"{ask.poc_handle} · {ask.progress}"])]
    if ask.error:
        blocks.append({"type": "section", "text": mrkdwn(":warning: " + clip(ask.error, 2900))})
    blocks.append({"type": "section", "text": mrkdwn(titled(ask.text, None))})
    if ask.current is not None:
        blocks.append(context([text("current", language, answer=ask.current)]))
    return blocks
