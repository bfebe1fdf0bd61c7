"""What flows in and out of the core.

Adapters build an :class:`Inbound` from a platform payload and render each
:class:`Reply` to Block Kit, an Adaptive Card or terminal text. Nothing here
knows a platform: a Slack button, a Teams ``Action.Submit`` and a number typed
in the console all arrive as the same :class:`Inbound`.

Text in replies is plain text, never markup: adapters escape all of it before
posting, so a user's answer can never ping a channel or disguise a link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from conversations.channels import Anywhere, ChannelAccess


@dataclass(frozen=True)
class PersonRef:
    """A person as a platform names them; ``name`` is for display only."""

    platform_id: str
    name: str | None = None


@dataclass(frozen=True)
class Actor:
    """Who sent an inbound event, in which workspace (tenant)."""

    workspace: str
    user_id: str
    display_name: str = ""
    locale: str = "en"
    timezone: str = "UTC"


@dataclass(frozen=True)
class Place:
    """Where an event happened: a direct conversation with the bot, or a channel."""

    channel_id: str
    is_direct: bool


@dataclass(frozen=True)
class ActionInput:
    """A button, checkbox, picker or card submit.

    ``token`` is the opaque string the core put on the prompt; adapters hand it
    back untouched together with the selected values.
    """

    token: str
    values: tuple[str, ...] = ()
    move: str | None = None
    """Set when a :class:`MoveButton` was pressed (a :class:`Move` value): the
    question is skipped, left or paused rather than answered."""


@dataclass(frozen=True)
class Inbound:
    """One thing a person did: typed text, ran a command, or pressed something.

    ``is_command`` is set when the platform says the text is a command (a Slack
    slash command, an @mention in a channel, ``/poc`` typed in the console).
    ``delivery_id`` is the platform's id for this delivery; the core records it
    with the effect so a redelivery changes nothing. ``reply_to`` is the token
    of the question the person was looking at when they typed, when the
    adapter knows it: an answer typed to a question that has moved on since is
    refused rather than applied to the next one.
    """

    actor: Actor
    place: Place
    text: str = ""
    is_command: bool = False
    action: ActionInput | None = None
    mentions: tuple[PersonRef, ...] = ()
    delivery_id: str | None = None
    reply_to: str | None = None
    received_at: datetime | None = None
    command_prefix: str = ""
    """How this platform wants a command typed ("/poc " on Slack and in the console,
    nothing in a Teams chat): texts that tell the person to type one use it."""
    channels: ChannelAccess = field(default_factory=Anywhere, compare=False, repr=False)
    """Asks the platform whether the bot can post in a channel (conversations.channels)."""
    inbox_entry: int | None = None
    """The inbox row this inbound was kept in, when the adapter kept it there:
    the step marks that row applied in its own transaction, which is also what
    makes a step run twice a duplicate (instead of claiming ``delivery_id``)."""


class QuestionKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    NUMBER = "number"
    YES_NO = "yes_no"
    PERSON = "person"
    DATE = "date"
    SCALE = "scale"


class Move(StrEnum):
    """What a person may do with a question besides answering it."""

    SKIP = "skip"
    BACK = "back"
    PAUSE = "pause"


@dataclass(frozen=True)
class MoveButton:
    """A button that skips, goes back or pauses, shown with a question.

    Adapters render it next to the question's own inputs and hand ``move``
    back in :class:`ActionInput` with the question's token, so a press on a
    question the interview has left is refused like a stale answer.
    """

    move: Move
    label: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    """A block of a card. ``mentions`` are people asked to act: adapters
    render them as real mentions (they are notified), after the text."""

    title: str | None = None
    text: str | None = None
    fields: tuple[Field, ...] = ()
    mentions: tuple[PersonRef, ...] = ()


@dataclass(frozen=True)
class Button:
    """A button that runs a command as if the person had typed it."""

    label: str
    command: str


class Visibility(StrEnum):
    """Who sees a reply.

    PRIVATE: only the person who asked, where they asked (in a channel, an
    ephemeral message). CHANNEL: everyone in the conversation where they
    asked. DIRECT: the person, in their direct conversation with the bot.
    In a direct conversation all three are the same.
    """

    PRIVATE = "private"
    CHANNEL = "channel"
    DIRECT = "direct"


@dataclass(frozen=True)
class Say:
    """A plain message."""

    text: str
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class Ask:
    """One interview question, with everything an adapter needs to render it.

    ``token`` identifies the interview, its revision and the question; an
    adapter puts it on buttons and inputs and hands it back in
    :class:`ActionInput`. A stale token is refused by the core. ``error`` is
    set when this is a re-ask after an answer that was not accepted: it says
    what was wrong and what is accepted (a modal shows it on the input).
    ``moves`` are the buttons that apply to this question (the core decides:
    skip only where the question may be skipped, back not on the first).
    """

    token: str
    poc_handle: str
    progress: str
    text: str
    kind: QuestionKind
    hint: str
    help: str | None = None
    reference: str | None = None
    choices: tuple[Choice, ...] = ()
    unit: str | None = None
    current: str | None = None
    error: str | None = None
    moves: tuple[MoveButton, ...] = ()
    visibility: Visibility = Visibility.PRIVATE
    hand_over: Button | None = None
    """On a section's first question: hands the section to someone else (adapters
    show it as a button; it runs its command as if typed)."""
    typed_hint: str | None = None
    """How to answer a person question where the platform shows no people picker
    (Teams cards, the console): adapters without one show it instead of ``hint``,
    which may say to pick the person."""

    def hint_typed(self) -> str:
        """The hint for an adapter that offers no people picker."""
        return self.typed_hint or self.hint


@dataclass(frozen=True)
class Answered:
    """Tells an adapter that the prompt carrying ``token`` is settled.

    Adapters that can edit messages replace the prompt's buttons with
    ``summary`` so an old button can't be pressed twice.
    """

    token: str
    summary: str
    visibility: Visibility = Visibility.PRIVATE
    left: bool = False
    """The question was left unanswered (paused, or the person went back): its
    message loses its buttons like an answered one, but shows no answer to edit."""


@dataclass(frozen=True)
class Card:
    """A structured message: a summary, a portfolio, a recommendation.

    ``slot`` names what the card stands for when only its latest version
    should be seen (``recommendation:<poc id>``): in a person's direct
    conversation, adapters keep one message per slot, removing (or
    replacing) the one posted before rather than leaving both.
    """

    title: str
    sections: tuple[Section, ...] = ()
    context: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    subtitle: str | None = None
    slot: str | None = None
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class Image:
    """A picture (PNG bytes) with a text alternative."""

    png: bytes
    alt: str
    filename: str = "chart.png"
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class Document:
    """A file for the person who asked (a decision record).

    Adapters that can send files send it to the person's direct conversation
    with the bot; where the platform can't take a file from the bot,
    ``fallback`` says how else to get it (the command that writes it).
    ``make`` writes the file's bytes: adapters call it once the core has
    answered, so that rendering (a PDF takes about a second) happens after
    the transaction, not while it holds the database; being slow, it is best
    run in a worker thread.
    """

    make: Callable[[], bytes] = field(compare=False, repr=False)
    filename: str
    media_type: str
    title: str
    fallback: str
    visibility: Visibility = Visibility.DIRECT


Reply = Say | Ask | Answered | Card | Image | Document


@dataclass(frozen=True)
class Outcome:
    """What the core answers to one :class:`Inbound`; ``duplicate`` when the
    delivery was handled before and nothing was done this time."""

    replies: tuple[Reply, ...] = ()
    duplicate: bool = False
