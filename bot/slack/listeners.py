"""Bolt listeners: each acknowledges Slack first, then turns the payload into
an :class:`Inbound`, hands it to the core and delivers what comes back.

The ack is the first thing a listener does (Bolt answers Slack's HTTP request
as soon as it is called, well within 3 seconds); everything slow (the
database, ``users.info``, posting) happens after. Two exceptions wait for the
core before answering, because Slack wants the answer in the ack: a modal
submission with an invalid answer (its error is shown in the modal), given
at most :data:`ACK_BUDGET` seconds; and the Edit button, which opens a
"loading" modal at once, while its ``trigger_id`` is valid, and fills it in
after.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import ids, logs
from bot.slack.blocks import edit_modal, home_view, loading_modal, notice_modal, saving_modal
from bot.slack.calls import quietly
from bot.slack.escape import shorten
from bot.slack.inbound import (
    action_values,
    answer_inbound,
    command_inbound,
    command_press,
    is_person_message,
    mentioned,
    message_inbound,
    plain_text,
    submitted,
)
from bot.slack.profiles import Profiles
from bot.slack.questions import PostedRef
from bot.slack.replies import Origin, Responder
from bot.slack.texts import text
from bot.slack.work import Work
from bot.slack.workspaces import workspace_key
from conversations import commands
from conversations.messages import (
    Answered,
    Ask,
    Card,
    Inbound,
    Outcome,
    PersonRef,
    Place,
    Reply,
    Say,
)
from conversations.service import Service

Body = Mapping[str, Any]

ACK_BUDGET = 2.0
"""Seconds the core gets to check a modal's answer before the ack must go."""


def workspace_of(context: AsyncBoltContext) -> str:
    return workspace_key(
        enterprise_id=context.enterprise_id,
        team_id=context.team_id,
        is_enterprise_install=bool(context.is_enterprise_install),
    )


def message_origin(body: Body, workspace: str, user: str, language: str) -> Origin:
    """Where a button was pressed: a message in the DM or a channel, or the App Home."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    if container.get("type") != "message" or not channel:
        return Origin(workspace, user, language)
    direct = str(channel).startswith("D")
    ts = container.get("message_ts")
    shown_in = PostedRef(channel, ts) if ts and not container.get("is_ephemeral") else None
    return Origin(
        workspace,
        user,
        language,
        channel_id=channel,
        is_direct=direct,
        response_url=None if direct else body.get("response_url"),
        message=shown_in,
    )


def modal_metadata(view: Body) -> dict[str, str]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def problem_with(outcome: Outcome, token: str) -> str | None:
    """Why a modal's answer was not taken, or None when it was."""
    if any(isinstance(r, Answered) for r in outcome.replies):
        return None
    for reply in outcome.replies:
        if isinstance(reply, Ask) and reply.token == token and reply.error:
            return reply.error
    said = [r.text for r in outcome.replies if isinstance(r, Say)]
    return "\n".join(said) if said else None


class Listeners:
    def __init__(
        self,
        service: Service,
        profiles: Profiles,
        responder: Responder,
        work: Work,
        installations: AsyncInstallationStore | None,
        ack_budget: float = ACK_BUDGET,
    ) -> None:
        self.ack_budget = ack_budget
        self.service = service
        self.profiles = profiles
        self.responder = responder
        self.work = work
        self.installations = installations

    # -- the slash command and typed messages ----------------------------------------

    async def command(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        with self.work.track():
            await ack()
            workspace, user = workspace_of(context), str(body.get("user_id"))
            language = self.profiles.language(workspace, user)
            origin = Origin(
                workspace,
                user,
                language,
                channel_id=body.get("channel_id"),
                is_direct=body.get("channel_name") == "directmessage",
                response_url=body.get("response_url"),
            )
            parsed = commands.parse(plain_text(str(body.get("text") or "")))
            modal = parsed is not None and parsed.name == "edit" and len(parsed.args) >= 2
            view_id = await self._open_loading(client, body, language) if modal else None
            if not await self.service.platform.is_active(workspace):
                gone: list[Reply] = [Say(text("not_installed", language))]
                if view_id is not None:
                    await self._show_edit(client, view_id, origin, Outcome(tuple(gone)), None)
                else:
                    await self.responder.deliver(client, origin, gone)
                return
            actor = await self.profiles.actor(client, workspace, user)
            names = await self.profiles.names(client, workspace, mentioned(body.get("text", "")))
            outcome = await self.service.handle(command_inbound(body, actor, names))
            origin = replace(origin, language=actor.locale)
            if modal:
                await self._show_edit(client, view_id, origin, outcome, shown_in=None)
            else:
                await self.responder.deliver(client, origin, outcome.replies)

    async def message(
        self,
        body: Body,
        event: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
    ) -> None:
        with self.work.track():
            if not is_person_message(event):
                return
            workspace, user = workspace_of(context), str(event["user"])
            if not await self.service.platform.is_active(workspace):
                logs.ignored_inactive(workspace)
                return
            actor = await self.profiles.actor(client, workspace, user)
            names = await self.profiles.names(client, workspace, mentioned(event.get("text", "")))
            outcome = await self.service.handle(
                message_inbound(event, actor, names, delivery_id=body.get("event_id"))
            )
            if outcome.duplicate:
                retries = request.headers.get("x-slack-retry-num") or []
                logs.duplicate_delivery(workspace, retries[0] if retries else None)
                return
            origin = Origin(workspace, user, actor.locale, channel_id=event.get("channel"))
            await self.responder.deliver(client, origin, outcome.replies)

    async def home(
        self, body: Body, event: Body, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        with self.work.track():
            if event.get("tab") != "home":
                return
            workspace, user = workspace_of(context), str(event["user"])
            if not await self.service.platform.is_active(workspace):
                return
            actor = await self.profiles.actor(client, workspace, user)
            home = Inbound(
                actor=actor,
                place=Place(channel_id=user, is_direct=True),
                text="home",
                is_command=True,
                delivery_id=body.get("event_id"),
            )
            outcome = await self.service.handle(home)
            card = next((r for r in outcome.replies if isinstance(r, Card)), None)
            if card is not None:
                await quietly(
                    "views.publish",
                    client.views_publish(user_id=user, view=home_view(card, actor.locale)),
                )

    # -- buttons and pickers -------------------------------------------------------------

    async def tick(self, ack: AsyncAck) -> None:
        """A checkbox ticked: nothing to do until Submit is pressed."""
        await ack()

    async def answer(
        self,
        ack: AsyncAck,
        body: Body,
        action: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        with self.work.track():
            await ack()
            token = ids.token_of(str(action.get("block_id") or ""))
            workspace, user = workspace_of(context), str(context.user_id)
            if token is None or not await self.service.platform.is_active(workspace):
                return
            actor = await self.profiles.actor(client, workspace, user)
            person = None
            if action.get("type") == "users_select":
                if not action.get("selected_user"):
                    return
                picked = str(action["selected_user"])
                person = PersonRef(
                    picked, (await self.profiles.get(client, workspace, picked)).name
                )
            values = () if person else action_values(action, body.get("state") or {})
            origin = message_origin(body, workspace, user, actor.locale)
            place = Place(channel_id=origin.channel_id or user, is_direct=True)
            outcome = await self.service.handle(answer_inbound(actor, place, token, values, person))
            await self.responder.deliver(client, origin, outcome.replies)

    async def run(
        self,
        ack: AsyncAck,
        body: Body,
        action: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A button that runs a command (Summary, Resume, Continue the interview...)."""
        with self.work.track():
            await ack()
            workspace, user = workspace_of(context), str(context.user_id)
            if not await self.service.platform.is_active(workspace):
                return
            actor = await self.profiles.actor(client, workspace, user)
            origin = message_origin(body, workspace, user, actor.locale)
            place = Place(channel_id=origin.channel_id or user, is_direct=origin.is_direct)
            inbound = command_press(actor, place, str(action.get("value") or ""))
            outcome = await self.service.handle(inbound)
            await self.responder.deliver(client, origin, outcome.replies)

    # -- editing an answer in a modal ----------------------------------------------------

    async def edit(
        self,
        ack: AsyncAck,
        body: Body,
        action: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """The Edit button of an answered question: ``edit <poc> <question>`` in a modal."""
        with self.work.track():
            await ack()
            workspace, user = workspace_of(context), str(context.user_id)
            language = self.profiles.language(workspace, user)
            view_id = await self._open_loading(client, body, language)
            if not await self.service.platform.is_active(workspace):
                if view_id is not None:  # said in the modal; nothing else is posted
                    gone = Outcome((Say(text("not_installed", language)),))
                    origin = Origin(workspace, user, language)
                    await self._show_edit(client, view_id, origin, gone, None)
                return
            actor = await self.profiles.actor(client, workspace, user)
            origin = message_origin(body, workspace, user, actor.locale)
            command = str(action.get("value") or "")
            outcome = await self.service.handle(
                command_press(
                    actor, Place(channel_id=origin.channel_id or user, is_direct=True), command
                )
            )
            shown_in = origin.message
            if shown_in is not None:
                words = command.split()
                shown_in = PostedRef(
                    shown_in.channel, shown_in.ts, words[1] if len(words) > 1 else ""
                )
            await self._show_edit(client, view_id, origin, outcome, shown_in=shown_in)

    async def submit(
        self,
        ack: AsyncAck,
        body: Body,
        view: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A modal's answer: checked by the core within the ack when it can be,
        so that what was wrong shows in the modal."""
        with self.work.track():
            workspace, user = workspace_of(context), str(context.user_id)
            meta = modal_metadata(view)
            # users.info and the core both count against the ack's budget.
            checking = asyncio.ensure_future(self._check(client, workspace, user, view, meta))
            done, _ = await asyncio.wait({checking}, timeout=self.ack_budget)
            if checking not in done:
                logs.slow_modal(ids.MODAL)
                language = self.profiles.language(workspace, user)
                await ack(response_action="update", view=saving_modal(language))
                origin, outcome = await checking
                await self._after_slow_submit(client, str(view.get("id")), origin, outcome, meta)
                return
            origin, outcome = checking.result()
            problem = problem_with(outcome, meta.get("token", ""))
            if problem:
                await ack(
                    response_action="errors", errors={ids.INPUT_BLOCK: shorten(problem, 2000)}
                )
                return
            await ack()
            await self.responder.deliver(client, origin, outcome.replies)

    async def _check(
        self, client: AsyncWebClient, workspace: str, user: str, view: Body, meta: dict[str, str]
    ) -> tuple[Origin, Outcome]:
        actor = await self.profiles.actor(client, workspace, user)
        values, picked = submitted(view)
        person = None
        if picked:
            person = PersonRef(picked, (await self.profiles.get(client, workspace, picked)).name)
        shown_in = None
        if meta.get("ts"):
            shown_in = PostedRef(meta.get("channel", ""), meta["ts"], meta.get("poc", ""))
        origin = Origin(
            workspace, user, actor.locale, channel_id=meta.get("channel") or None, message=shown_in
        )
        place = Place(channel_id=user, is_direct=True)
        inbound = answer_inbound(actor, place, meta.get("token", ""), values, person)
        return origin, await self.service.handle(inbound)

    async def closed(
        self,
        ack: AsyncAck,
        view: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """The edit was cancelled: leave it, back to where the interview was.

        ``back`` names the edited question's token, so it does nothing if the
        interview has moved on since."""
        with self.work.track():
            await ack()
            workspace, user = workspace_of(context), str(context.user_id)
            token = modal_metadata(view).get("token")
            if not token:
                return
            actor = await self.profiles.actor(client, workspace, user)
            back = Inbound(
                actor=actor,
                place=Place(channel_id=user, is_direct=True),
                text="back",
                reply_to=token,
            )
            outcome = await self.service.handle(back)
            asks: list[Reply] = [r for r in outcome.replies if isinstance(r, Ask)]
            await self.responder.deliver(client, Origin(workspace, user, actor.locale), asks)

    async def _open_loading(self, client: AsyncWebClient, body: Body, language: str) -> str | None:
        trigger = body.get("trigger_id")
        if not trigger:
            return None
        opened = await quietly(
            "views.open", client.views_open(trigger_id=trigger, view=loading_modal(language))
        )
        view = opened.get("view") if opened is not None else None
        return str(view["id"]) if isinstance(view, dict) and view.get("id") else None

    async def _show_edit(
        self,
        client: AsyncWebClient,
        view_id: str | None,
        origin: Origin,
        outcome: Outcome,
        shown_in: PostedRef | None,
    ) -> None:
        ask = next((r for r in outcome.replies if isinstance(r, Ask)), None)
        rest = [r for r in outcome.replies if r is not ask]
        if view_id is not None and ask is None:
            await quietly(
                "views.update",
                client.views_update(
                    view_id=view_id, view=notice_modal(outcome.replies, origin.language)
                ),
            )
            return
        updated = None
        if view_id is not None and ask is not None:
            meta = {
                "token": ask.token,
                "channel": shown_in.channel if shown_in else "",
                "ts": shown_in.ts if shown_in else "",
                "poc": shown_in.poc if shown_in else ask.poc_handle,
            }
            updated = await quietly(
                "views.update",
                client.views_update(view_id=view_id, view=edit_modal(ask, origin.language, meta)),
            )
        if updated is None:
            # No modal (the click was too old, or it was closed): ask in the DM.
            logs.modal_gone("no modal")
            await self.responder.deliver(client, origin, outcome.replies)
        elif rest:
            await self.responder.deliver(client, origin, rest)

    async def _after_slow_submit(
        self,
        client: AsyncWebClient,
        view_id: str,
        origin: Origin,
        outcome: Outcome,
        meta: dict[str, str],
    ) -> None:
        problem = problem_with(outcome, meta.get("token", ""))
        ask = next((r for r in outcome.replies if isinstance(r, Ask)), None)
        if problem and ask is not None:
            await quietly(
                "views.update",
                client.views_update(view_id=view_id, view=edit_modal(ask, origin.language, meta)),
            )
            return
        shown: Sequence[Reply] = (
            [Say(problem)] if problem else [Say(text("saved", origin.language))]
        )
        await quietly(
            "views.update",
            client.views_update(view_id=view_id, view=notice_modal(shown, origin.language)),
        )
        if not problem:
            await self.responder.deliver(client, origin, outcome.replies)

    # -- installs ---------------------------------------------------------------------------

    async def uninstalled(self, context: AsyncBoltContext) -> None:
        with self.work.track():
            workspace = workspace_of(context)
            if self.installations is not None:
                await self.installations.async_delete_all(
                    enterprise_id=context.enterprise_id, team_id=self._team(context)
                )
            else:
                logs.static_token_left(workspace)
            await self.service.platform.deactivate(workspace, "app_uninstalled")
            logs.uninstalled(workspace, "app_uninstalled")

    async def tokens_revoked(self, event: Body, context: AsyncBoltContext) -> None:
        with self.work.track():
            workspace = workspace_of(context)
            tokens = event.get("tokens") or {}
            if self.installations is not None:
                for user in tokens.get("oauth") or []:
                    await self.installations.async_delete_installation(
                        enterprise_id=context.enterprise_id,
                        team_id=self._team(context),
                        user_id=user,
                    )
                if tokens.get("bot"):
                    # Without its bot token the install is of no use: delete all of it,
                    # or the installation rows would still hand out the dead token.
                    await self.installations.async_delete_all(
                        enterprise_id=context.enterprise_id, team_id=self._team(context)
                    )
            if tokens.get("bot"):
                await self.service.platform.deactivate(workspace, "tokens_revoked")
                logs.uninstalled(workspace, "tokens_revoked")

    @staticmethod
    def _team(context: AsyncBoltContext) -> str | None:
        return None if context.is_enterprise_install else context.team_id
