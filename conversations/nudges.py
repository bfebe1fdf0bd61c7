"""``nudge preview``: what this channel's weekly nudge would say now.

The same cards the weekly pass queues (:func:`conversations.watch.nudge_cards`),
computed from the same facts, shown only to the lead who asked and posted
nowhere: no outbox row, no mention that would notify anyone.
"""

from __future__ import annotations

from conversations import health
from conversations.access import require_lead
from conversations.commands import Command
from conversations.context import Context, zone
from conversations.errors import UserError
from conversations.messages import Card, Reply, Say
from conversations.subscriptions import DAY_NAMES
from conversations.watch import issue_keys, load_watched, nudge_cards

SYNTAX = "nudge preview"


async def nudge(ctx: Context, command: Command) -> list[Reply]:
    if not command.args or command.args[0].lower() not in ("preview", "apercu", "aperçu"):
        raise UserError("Usage: {syntax}", syntax=SYNTAX)
    require_lead(ctx)
    channel = ctx.inbound.place.channel_id
    sub = await ctx.repo.subscription(ctx.workspace_id, channel)
    if sub is not None and not sub.active:
        sub = None
    pocs = list(await ctx.repo.pocs(ctx.workspace_id))
    if sub is not None and sub.scope == "here":
        pocs = [poc for poc in pocs if poc.home_channel == channel]
    people = {p.id: p for p in await ctx.repo.people(ctx.workspace_id) if p.id is not None}
    watched = await load_watched(
        ctx.repo, ctx.bank, ctx.watch, ctx.workspace_id, pocs, people, ctx.now
    )
    today = ctx.now.astimezone(zone(sub.timezone if sub else ctx.person.timezone)).date()
    assessed = [
        (watched[poc.id], health.assess(watched[poc.id], today, ctx.watch))
        for poc in pocs
        if poc.id is not None
    ]
    last = await ctx.repo.outbox.last_sent("nudge", f"channel:{channel}", ctx.workspace_id)
    before = set(last.payload.get("issues", [])) if last else set()
    # Never mention anyone: a preview must not notify the owners it names.
    parent, detail = nudge_cards(
        assessed, issue_keys(assessed), before, False, today, ctx.t, ctx.bank
    )
    if sub is not None:
        when = ctx.t(
            "every {day} at {time} ({zone})",
            day=ctx.t(DAY_NAMES[sub.weekday]),
            time=sub.local_time,
            zone=sub.timezone,
        )
        intro = ctx.t("A preview, posted nowhere: this channel gets the nudge {when}.", when=when)
    else:
        intro = ctx.t(
            "A preview, posted nowhere: this channel gets no nudge yet; subscribe weekly <day> <HH:MM> sends one every week."
        )
    replies: list[Reply] = [Say(intro), parent]
    if detail is not None:
        replies.append(Card(title=detail.title, sections=detail.sections))
    return replies
