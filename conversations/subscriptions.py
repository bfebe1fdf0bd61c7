"""Channel subscriptions to the weekly health nudge, and owners' absences."""

from __future__ import annotations

from datetime import date

from conversations.access import require_lead
from conversations.channels import channel_ref
from conversations.commands import Command
from conversations.context import Context
from conversations.errors import UserError
from conversations.i18n import N_
from conversations.messages import Card, Field, Reply, Say, Section
from conversations.reach import require_reach
from conversations.schedule import parse_time, parse_weekday, parse_zone
from storage.models import Subscription

SUBSCRIBE = "subscribe weekly <day> <HH:MM> [time zone] [here]"
DAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def _in_a_channel(ctx: Context) -> str:
    if ctx.inbound.place.is_direct:
        raise UserError("Run this in the channel that should receive the weekly nudge.")
    return ctx.inbound.place.channel_id


async def subscribe(ctx: Context, command: Command) -> list[Reply]:
    channel = _in_a_channel(ctx)
    require_lead(ctx)
    args = list(command.args)
    if len(args) < 3 or args[0].lower() not in ("weekly", "hebdo", "hebdomadaire"):
        raise UserError("Usage: {syntax}", syntax=SUBSCRIBE)
    weekday, at = parse_weekday(args[1]), parse_time(args[2])
    if weekday is None:
        raise UserError(
            "{day} is not a day of the week. Usage: {syntax}", day=args[1][:20], syntax=SUBSCRIBE
        )
    if at is None:
        raise UserError(
            "{time} is not a time of day such as 09:00. Usage: {syntax}",
            time=args[2][:20],
            syntax=SUBSCRIBE,
        )
    rest = [a for a in args[3:] if a.lower() not in ("here", "ici")]
    scope = "here" if len(rest) < len(args[3:]) else "all"
    zone_name = rest[0] if rest else ctx.person.timezone
    if parse_zone(zone_name) is None:
        raise UserError(
            "{zone} is not a time zone; use a name such as Europe/Paris.", zone=zone_name[:64]
        )
    await require_reach(ctx, channel, "subscribe")
    existing = await ctx.repo.subscription(ctx.workspace_id, channel)
    subscription = existing or Subscription(
        workspace_id=ctx.workspace_id, channel_id=channel, created_at=ctx.now
    )
    subscription.weekday, subscription.local_time = weekday, at.strftime("%H:%M")
    subscription.timezone, subscription.scope, subscription.active = zone_name, scope, True
    subscription.created_by_id = ctx.person_id
    if existing is None:
        subscription.created_at = ctx.now
    await ctx.repo.save(subscription)
    await ctx.audit(
        "subscribed",
        None,
        channel=channel,
        weekday=weekday,
        at=subscription.local_time,
        zone=zone_name,
    )
    return [
        Say(
            _describe(ctx, subscription, "This channel will get the weekly health nudge {when}."),
        )
    ]


def _describe(ctx: Context, sub: Subscription, template: str) -> str:
    when = ctx.t(
        "every {day} at {time} ({zone})",
        day=ctx.t(DAY_NAMES[sub.weekday]),
        time=sub.local_time,
        zone=sub.timezone,
    )
    text = ctx.t(template, when=when)
    if sub.scope == "here":
        text += " " + ctx.t("It covers the POCs whose home is this channel.")
    if sub.mention_owners:
        text += " " + ctx.t("Owners are mentioned.")
    return text


async def unsubscribe(ctx: Context, _: Command) -> list[Reply]:
    channel = _in_a_channel(ctx)
    require_lead(ctx)
    subscription = await ctx.repo.subscription(ctx.workspace_id, channel)
    if subscription is None or not subscription.active:
        raise UserError("This channel is not subscribed.")
    subscription.active = False
    await ctx.repo.save(subscription)
    await ctx.audit("unsubscribed", None, channel=channel)
    return [
        Say(
            ctx.t("This channel will no longer get the weekly nudge."),
        )
    ]


async def mentions(ctx: Context, command: Command) -> list[Reply]:
    channel = _in_a_channel(ctx)
    require_lead(ctx)
    wanted = command.args[0].lower() if command.args else ""
    if wanted not in ("on", "off"):
        raise UserError("Usage: {syntax}", syntax="mentions on|off")
    subscription = await ctx.repo.subscription(ctx.workspace_id, channel)
    if subscription is None or not subscription.active:
        raise UserError("This channel is not subscribed.")
    subscription.mention_owners = wanted == "on"
    await ctx.repo.save(subscription)
    await ctx.audit("mentions_set", None, channel=channel, on=subscription.mention_owners)
    key = (
        "The weekly nudge will mention owners."
        if subscription.mention_owners
        else "The weekly nudge will name owners without mentioning them."
    )
    return [Say(ctx.t(key))]


async def subscriptions(ctx: Context, _: Command) -> list[Reply]:
    subs = [s for s in await ctx.repo.subscriptions(ctx.workspace_id) if s.active]
    if not subs:
        return [
            Say(
                ctx.t(
                    "No channel is subscribed. A lead subscribes one with {syntax}.",
                    syntax=SUBSCRIBE,
                )
            )
        ]
    fields = tuple(Field(channel_ref(s.channel_id), _describe(ctx, s, "{when}")) for s in subs[:25])
    return [Card(title=ctx.t("Subscribed channels"), sections=(Section(fields=fields),))]


async def away(ctx: Context, command: Command) -> list[Reply]:
    """``away until <date>``: no check-ins, and not counted missing, until then."""
    args = [a.lower() for a in command.args]
    if args == ["off"] or args == ["back"]:
        ctx.person.away_until = None
        await ctx.repo.save(ctx.person)
        return [Say(ctx.t("Welcome back: check-ins resume."))]
    if len(args) != 2 or args[0] not in ("until", "jusqu'au", "jusquau"):
        raise UserError("Usage: {syntax}", syntax="away until <YYYY-MM-DD> | away off")
    try:
        until = date.fromisoformat(args[1])
    except ValueError:
        raise UserError("Usage: {syntax}", syntax="away until <YYYY-MM-DD> | away off") from None
    if until < ctx.today:
        raise UserError("That date has passed.")
    ctx.person.away_until = until
    await ctx.repo.save(ctx.person)
    await ctx.audit("away", None, until=until.isoformat())
    return [
        Say(
            ctx.t(
                "Noted: no check-ins until {day}; the weekly nudge shows you as away.",
                day=ctx.t.date(until),
            )
        )
    ]
