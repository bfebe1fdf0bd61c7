"""A channel the bot is to post in later is checked before it is saved."""

from __future__ import annotations

from conversations import commands
from conversations.channels import Reach
from conversations.context import Context
from conversations.errors import UserError
from conversations.i18n import N_
from conversations.messages import Inbound

CHECKED = frozenset({"new", "subscribe"})
"""The commands that check the channel they are run in (:func:`require_reach`)."""

NOT_INVITED = N_(
    "I am not a member of this channel, so I can't post there; nothing was saved. "
    "Invite me first (in Slack: /invite @postpoc; in Teams: add postpoc to the team), "
    "then run {cmd}{command} again."
)
UNCHECKED = N_(
    "I could not check that I can post in this channel; nothing was saved. "
    "Please try {cmd}{command} again in a minute."
)


async def require_reach(ctx: Context, channel_id: str, command: str) -> None:
    """Refuses (nothing saved) unless the platform says the bot can post in
    ``channel_id``. Skipped in a rehearsal: the real run asks."""
    if ctx.rehearsal:
        return
    reach = await ctx.inbound.channels.can_post(channel_id)
    if reach == Reach.NOT_MEMBER:
        raise UserError(NOT_INVITED, command=command)
    if reach != Reach.YES:
        raise UserError(UNCHECKED, command=command)


def channel_to_check(inbound: Inbound) -> str | None:
    """The channel :func:`require_reach` may ask about while handling
    ``inbound``, if any: an adapter whose answer costs a call to the platform
    asks it before the core's transaction opens (and puts it on the inbound
    as :class:`~conversations.channels.Known`), so that no transaction waits
    on a platform."""
    if inbound.place.is_direct or not inbound.is_command or not inbound.place.channel_id:
        return None
    parsed = commands.parse(inbound.text)
    return inbound.place.channel_id if parsed is not None and parsed.name in CHECKED else None
