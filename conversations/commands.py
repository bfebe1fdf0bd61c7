"""Commands as people type them, the same in every channel.

``parse`` turns ``"decide invoice-bot frame Good value, needs a kill switch"``
into a :class:`Command`; the service runs it. Words are English with French
aliases, so ``aide`` and ``résumé`` work too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from conversations.i18n import N_


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()
    rest: str = ""


@dataclass(frozen=True)
class Usage:
    """One command as help shows it."""

    name: str
    syntax: str
    summary: str


USAGES: tuple[Usage, ...] = (
    Usage("new", "new <title>", N_("register a POC (leads)")),
    Usage("list", "list", N_("the portfolio: every POC, its stage and recommendation")),
    Usage(
        "summary",
        "summary <poc> [post]",
        N_("one POC: uses, value, risks, recommendation; post shares it in the channel"),
    ),
    Usage(
        "interview", "interview <poc>", N_("start or resume the interview (the owner, or a lead)")
    ),
    Usage(
        "edit",
        "edit <poc> <question>",
        N_("change an earlier answer; the old one is kept in the history"),
    ),
    Usage(
        "history",
        "history <poc> <question>",
        N_("every answer given to a question, with who and when"),
    ),
    Usage(
        "depth",
        "depth <poc> standard|full",
        N_("ask more questions than the triage's depth gives; never fewer (leads)"),
    ),
    Usage("owner", "owner <poc> <person>", N_("name the POC's owner (leads)")),
    Usage(
        "ask",
        "ask <poc> [<section> <person>|back]",
        N_(
            "hand a section of the interview to the person who knows it, or back; "
            "without a section, who answers each (the owner or a lead)"
        ),
    ),
    Usage(
        "decide",
        "decide <poc> stop|frame|industrialise <rationale>",
        N_("record the decision (leads)"),
    ),
    Usage(
        "reading",
        "reading <poc> [<indicator>] <value> [unit]",
        N_("record this week's value of an indicator (owner or lead)"),
    ),
    Usage(
        "record",
        "record <poc> [pdf|md|html]",
        N_("the decision record: answers, recommendation, decisions, readings, audit trail"),
    ),
    Usage(
        "token",
        "token <poc> [rotate]",
        N_("the secret the agent's telemetry signs readings with, shown once (owner or lead)"),
    ),
    Usage(
        "source",
        "source <poc> <indicator> prometheus <url> <query> | off",
        N_("read an indicator from Prometheus at each check-in period (owner or lead)"),
    ),
    Usage("role", "role <person> admin|lead|member", N_("set someone's role (admins)")),
    Usage(
        "subscribe",
        "subscribe weekly <day> <HH:MM> [time zone] [here]",
        N_("this channel gets a weekly health nudge (leads); here: only POCs whose home it is"),
    ),
    Usage("unsubscribe", "unsubscribe", N_("stop the weekly nudge in this channel (leads)")),
    Usage("mentions", "mentions on|off", N_("whether the nudge mentions owners (leads)")),
    Usage("subscriptions", "subscriptions", N_("the channels that get the nudge")),
    Usage(
        "nudge",
        "nudge preview",
        N_("what this channel's weekly nudge would say now, posting nothing (leads)"),
    ),
    Usage("away", "away until <YYYY-MM-DD> | away off", N_("pause your weekly check-ins")),
    Usage(
        "llm",
        "llm [personal-data on|off]",
        N_("the optional language model; whether names may reach it (admins)"),
    ),
    Usage(
        "currency",
        "currency [<code>]",
        N_("the currency costs are asked and shown in, such as CHF (admins set it)"),
    ),
    Usage("help", "help", N_("this list")),
)

ALIASES = {
    "nouveau": "new",
    "liste": "list",
    "resume": "summary",
    "entretien": "interview",
    "modifier": "edit",
    "historique": "history",
    "responsable": "owner",
    "decider": "decide",
    "mesure": "reading",
    "profondeur": "depth",
    "demander": "ask",
    "jeton": "token",
    "role": "role",
    "aide": "help",
    "abonner": "subscribe",
    "desabonner": "unsubscribe",
    "absent": "away",
    "dossier": "record",
    "rappel": "nudge",
    "devise": "currency",
    "?": "help",
    "hi": "hello",
    "hello": "hello",
    "hey": "hello",
    "bonjour": "hello",
    "salut": "hello",
}

# Not listed in help: greetings, and what an adapter asks for to draw a home tab.
NAMES = frozenset(u.name for u in USAGES) | {"hello", "home"}


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def command_name(word: str) -> str | None:
    folded = _fold(word).strip("!.,;:")
    folded = ALIASES.get(folded, folded)
    return folded if folded in NAMES else None


def parse(text: str) -> Command | None:
    """The command in ``text``, or None when it does not start with a command word."""
    stripped = text.strip()
    if stripped.lower().startswith("/poc"):
        stripped = stripped[4:].strip()
    if not stripped:
        return Command("help")
    head, _, rest = stripped.partition(" ")
    name = command_name(head)
    if name is None:
        return None
    rest = rest.strip()
    return Command(name, tuple(rest.split()), rest)
