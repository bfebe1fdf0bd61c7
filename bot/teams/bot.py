"""The Teams bot: one activity in, the core's answer out. Thin on purpose.

Reading activities (``inbound``), deciding where replies go (``routing``)
and drawing them (``cards``) are pure functions; this module calls them in
order, talks to the core, and sends through the ``connector``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.teams import cards, inbound, routing, size, texts
from bot.teams.channels import reach_of
from bot.teams.connector import (
    TENANT_TARGET,
    Connector,
    Unreachable,
    channel_target,
    person_target,
    team_target,
    tenant_address,
)
from bot.teams.options import TeamsOptions
from bot.teams.outbound import OutboundError, Refused
from bot.teams.sdk import Activity, ActivityHandler
from conversations.i18n import Translator, translator
from conversations.messages import Answered, Card, Inbound, Outcome, Reply, Say, Section
from conversations.service import Service

log = logging.getLogger("postpoc.teams")

RAW_ACTIVITY = "postpoc.activity"
"""Turn state key of the activity as Teams posted it (botbuilder's objects drop fields)."""
WORKSPACE = "postpoc.workspace"


class TeamsBot(ActivityHandler):  # type: ignore[misc]  # botbuilder is untyped
    def __init__(self, service: Service, connector: Connector, options: TeamsOptions) -> None:
        super().__init__()
        self.service = service
        self.connector = connector
        self.options = options

    # -- activities ----------------------------------------------------------------

    async def on_message_activity(self, turn: Any) -> None:
        activity, workspace = _facts(turn)
        await self.message(turn, activity, workspace)

    async def message(
        self,
        turn: Any,
        activity: inbound.Activity,
        workspace: str,
        *,
        retried: bool = False,
        inbox_entry: int | None = None,
    ) -> None:
        """A message or a card's submit, answered in ``turn`` (the request's own,
        or a proactive one when it is handled from the inbox later).

        ``retried``: a worker took it before and may have applied it, then died
        before the replies went. The core then finds it handled, and the person
        is shown the question they are at instead of nothing.
        """
        if inbound.unsealed_submit(activity):
            # Changed card data: refused before anything is looked up or stored.
            log.warning("teams: a card submit whose seal does not hold: refused")
            t = translator(inbound.text_field(activity, "locale") or "en")
            await turn.send_activity(Activity(type="message", text=t(texts.UNSEALED)))
            return
        await self._remember(activity, workspace)
        event = inbound.to_inbound(activity, workspace)
        if event is None:
            return
        event = replace(
            event,
            channels=await reach_of(self.service.platform, workspace, event),
            inbox_entry=inbox_entry,
        )
        outcome = await self._outcome(turn, event)
        replies: Sequence[Reply] = outcome.replies
        if outcome.duplicate and retried:
            replies = await self.service.pending(event.actor)
        await self._deliver(turn, activity, event, replies)

    async def on_conversation_update_activity(self, turn: Any) -> None:
        activity, workspace = _facts(turn)
        if inbound.bot_among(activity, "membersRemoved"):
            await self._removed(activity, workspace)
            return
        for member in inbound.members_removed(activity):
            # Removed from the team: the decisions on POCs they own or oversee reopen.
            await self.service.person_left(workspace, member)
        await self._remember(activity, workspace)
        if inbound.bot_among(activity, "membersAdded"):
            await self.service.platform.activate(workspace)
            await self._installer_administers(activity, workspace)
            await self._welcome(turn, activity, workspace)

    async def on_installation_update_add(self, turn: Any) -> None:
        # The welcome goes with the conversationUpdate Teams sends alongside this.
        activity, workspace = _facts(turn)
        await self._remember(activity, workspace)
        await self.service.platform.activate(workspace)
        await self._installer_administers(activity, workspace)

    async def on_installation_update_remove(self, turn: Any) -> None:
        activity, workspace = _facts(turn)
        await self._removed(activity, workspace)

    # -- steps -----------------------------------------------------------------------

    async def _installer_administers(self, activity: inbound.Activity, workspace: str) -> None:
        """Who added the app (the sender of the ``installationUpdate``, or of the
        ``conversationUpdate`` that adds the bot) administers the tenant,
        unless it has an admin: not whoever speaks first."""
        await self.service.platform.installed_by(
            workspace, inbound.person_of(activity), inbound.text_field(activity, "from", "name")
        )

    async def _handle(self, turn: Any, event: Inbound) -> Sequence[Reply]:
        return (await self._outcome(turn, event)).replies

    async def _outcome(self, turn: Any, event: Inbound) -> Outcome:
        """The core's answer, with the typing indicator shown if it is slow to come."""
        if self.options.typing_after <= 0:
            await self.connector.typing(turn)
            return await self.service.handle(event)

        async def type_later() -> None:
            await asyncio.sleep(self.options.typing_after)
            await self.connector.typing(turn)

        typing = asyncio.create_task(type_later())
        try:
            return await self.service.handle(event)
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing

    async def _deliver(
        self, turn: Any, activity: inbound.Activity, event: Inbound, replies: Sequence[Reply]
    ) -> None:
        workspace = event.actor.workspace
        t = translator(event.actor.locale)
        plan = routing.plan(replies, personal=event.place.is_direct)
        settled = frozenset(a.token for a in plan.settle)
        for answered in plan.settle:
            await self._settle(turn, workspace, answered, personal=event.place.is_direct)
        here = [m for m in plan.messages if m.where == routing.Where.HERE]
        away = [m for m in plan.messages if m.where == routing.Where.PERSONAL]
        if away:
            try:
                reference = await self.connector.personal_chat(
                    workspace, event.actor.user_id, tenant_address(activity)
                )
                await self.connector.within(
                    reference, lambda chat: self._send(chat, workspace, away, t, settled)
                )
            except (Unreachable, OutboundError) as error:
                # Better in the thread than not at all: anyone in the tenant may read it anyway.
                log.warning("personal chat unreachable (%s); answering in the thread", error)
                here = [*here, *(routing.Message(routing.Where.HERE, m.replies) for m in away)]
            else:
                if plan.moved_to_personal:
                    note = Say(t(texts.SENT_TO_PERSONAL_CHAT, name=event.actor.display_name))
                    here = list(routing.add_here(here, note))
        await self._send(turn, workspace, here, t, settled)

    async def _send(
        self,
        turn: Any,
        workspace: str,
        messages: Sequence[routing.Message],
        t: Translator,
        settled: frozenset[str] = frozenset(),
    ) -> None:
        """Send ``messages``; ``settled``: the questions whose cards this turn settled."""
        platform = self.service.platform
        for message in messages:
            shown = size.fit(cards.activity_for(message, t), t(texts.SHORTENED))
            question = message.question
            earlier = await platform.posted(workspace, question.token) if question else None
            if question is not None and earlier is not None and question.error:
                # Asked again after an answer it could not take: the same card,
                # with what was wrong shown in it, not one more card.
                await self.connector.update(turn, earlier, shown)
                continue
            try:
                sent = await self.connector.send(turn, shown)
            except Refused as error:
                # Refused for good (too large, malformed): the person still learns
                # that something was to be shown, and how to get at it.
                log.warning("a reply was refused by the Bot Connector: %s", error)
                short = {"type": "message", "text": t(texts.TOO_LARGE, status=error.status)}
                await self.connector.send(turn, short)
                continue
            if message.slot is not None and sent:
                await self._replace_slot(turn, workspace, message.slot, sent)
                continue
            if question is None or not sent:
                continue
            if earlier is None:
                await platform.remember_posted(workspace, question.token, sent)
                await self._left_open(turn, workspace, question.token, sent, t, settled)
                continue
            # Posted again (``interview``, a resume): the old card loses its inputs.
            await platform.repost(workspace, question.token, sent)
            try:
                await self.connector.update(turn, earlier, cards.moved_on_activity(question, t))
            except OutboundError as error:
                log.warning("could not retire a question's earlier card: %s", error)

    async def _left_open(
        self,
        turn: Any,
        workspace: str,
        token: str,
        sent: str,
        t: Translator,
        settled: frozenset[str],
    ) -> None:
        """A new question's card was sent: the card asked before it in this chat,
        if this turn did not settle it and the core says it was answered (its
        settling lost to a crash or a failed call), shows its answer now."""
        platform = self.service.platform
        key = f"open:{_conversation_of(turn)}"
        before = (await platform.swap_posted(workspace, key, f"{token} {sent}") or "").split(" ", 1)
        if len(before) != 2 or before[0] in settled or before[0] == token:
            return
        answered = await self.service.settled(workspace, before[0], t.language)
        if answered is None:
            return  # left unanswered (back, an edit): the core refuses its buttons
        try:
            await self.connector.update(turn, before[1], cards.settled_activity(answered))
        except OutboundError as error:
            log.warning("could not update an answered question's card: %s", error)

    async def _replace_slot(self, turn: Any, workspace: str, slot: str, sent: str) -> None:
        """A card of which only the latest should be seen (a recommendation) was
        sent: the one sent before for the same slot, in this chat, is deleted."""
        platform = self.service.platform
        key = f"slot:{slot}:{_conversation_of(turn)}"
        earlier = await platform.swap_posted(workspace, key, sent)
        if earlier is None or earlier == sent:
            return
        try:
            await self.connector.delete(turn, earlier)
        except OutboundError as error:
            log.warning("could not remove an earlier card: %s", error)

    async def _settle(
        self, turn: Any, workspace: str, answered: Answered, *, personal: bool
    ) -> None:
        """Replace an answered question's card by its answer, so it can't be answered twice."""
        posted = await self.service.platform.posted(workspace, answered.token)
        if posted is None or not personal:
            return
        try:
            await self.connector.update(turn, posted, cards.settled_activity(answered))
        except OutboundError as error:
            # The answer is saved; a card left with its buttons is refused by the core if pressed.
            log.warning("could not update an answered question's card: %s", error)

    async def _welcome(self, turn: Any, activity: inbound.Activity, workspace: str) -> None:
        if inbound.is_personal(activity):
            hello = Inbound(
                actor=inbound.actor_of(activity, workspace),
                place=inbound.place_of(activity),
                text="hello",
                is_command=True,
                delivery_id=inbound.text_field(activity, "id") or None,
            )
            await self._deliver(turn, activity, hello, await self._handle(turn, hello))
            return
        # Claimed through the core like any delivery, so that a redelivered
        # install is not welcomed twice (the installer is the person it records).
        claim = Inbound(
            actor=inbound.actor_of(activity, workspace),
            place=inbound.place_of(activity),
            delivery_id=inbound.text_field(activity, "id") or None,
        )
        if claim.delivery_id and (await self.service.handle(claim)).duplicate:
            return
        t = translator(inbound.text_field(activity, "locale") or "en")
        welcome = Card(title="postpoc", sections=(Section(text=t(texts.WELCOME_TEAM)),))
        await self.connector.send(turn, cards.activity(cards.replies_card([welcome], t)))

    async def _remember(self, activity: inbound.Activity, workspace: str) -> None:
        """Keep how to reach this person or channel later (proactive messages).

        Best effort: a failure here (two replicas storing the same new address
        at once) must not cost the person their answer; the next activity
        stores it again.
        """
        try:
            await self._store_references(activity, workspace)
        except Exception as error:
            log.warning("conversation reference not stored: %s", type(error).__name__)

    async def _store_references(self, activity: inbound.Activity, workspace: str) -> None:
        platform = self.service.platform
        if inbound.tenant_of(activity):
            await platform.remember_address(workspace, TENANT_TARGET, tenant_address(activity))
        if inbound.is_personal(activity):
            target = person_target(inbound.person_of(activity))
            await platform.remember_address(workspace, target, inbound.reference_of(activity))
            return
        channel = inbound.channel_of(activity)
        reference = inbound.reference_of(activity, conversation_id=channel)
        team = inbound.team_of(activity)
        if team:
            reference["teamId"] = team
            await platform.remember_address(workspace, team_target(team), {"removed": False})
        await platform.remember_address(workspace, channel_target(channel), reference)

    async def _removed(self, activity: inbound.Activity, workspace: str) -> None:
        """The app was removed from a team or by a person: post nothing there again.

        The workspace (the tenant) stays active: the bot may still be installed
        in other teams and personal chats of the tenant.
        """
        platform = self.service.platform
        team = inbound.team_of(activity)
        if inbound.is_personal(activity):
            target = person_target(inbound.person_of(activity))
            await platform.remember_address(workspace, target, {"removed": True})
        elif team:
            await platform.remember_address(workspace, team_target(team), {"removed": True})
        else:
            target = channel_target(inbound.channel_of(activity))
            await platform.remember_address(workspace, target, {"removed": True})


def _conversation_of(turn: Any) -> str:
    """The id of the conversation a turn (or a proactive turn) is in."""
    return str(getattr(getattr(turn.activity, "conversation", None), "id", "") or "")


def _facts(turn: Any) -> tuple[inbound.Activity, str]:
    """The activity's JSON and workspace, set by the HTTP handler before the turn."""
    activity: inbound.Activity = turn.turn_state[RAW_ACTIVITY]
    workspace: str = turn.turn_state[WORKSPACE]
    return activity, workspace
