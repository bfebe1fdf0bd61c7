"""Bolt listeners: each turns a payload into an :class:`Inbound`, hands it to
the core and delivers what comes back.

The app runs with ``process_before_response``: Slack's HTTP request is
answered when the listener returns, so each listener decides when its ack
goes and starts the rest as background work (:class:`~bot.slack.work.Work`):

- **through the inbox** (:mod:`bot.inbox`): a typed message (``message.im``),
  a button or picker answering a question, a button that runs a command, and
  ``/poc`` (but ``/poc edit``): the request is acknowledged once its one row
  is committed (keyed by its delivery id, so a redelivery is acknowledged and
  dropped); the step and its replies run after, from that row, in order per
  person (:meth:`Listeners.drain_job`). A process that dies after the ack
  leaves the row, which the next start (or any replica's sweep) finishes.
  Should the database not take the row, the request is handled as before
  the inbox (acknowledged, then handled at once), so the person is told the
  database can't be reached.
- **a fast path where the answer must come inside the HTTP response or
  within 3 s of the click**, which a step run later from the inbox can't
  give: the Edit button and ``/poc edit`` open a modal with the click's
  ``trigger_id`` (valid 3 s: with the question when the core answers within
  :data:`MODAL_BUDGET`, else as "loading", filled in after); a modal
  submission is checked within :data:`ACK_BUDGET` so that an invalid answer
  is shown in the modal (``response_action: errors``, only possible in the
  response); closing the modal (``back``) and ``app_home_opened`` draw what
  is already stored and store nothing a person typed: acknowledged at once,
  handled in the background, as are edits of a typed message.

Commands and interactions carry no ``event_id``: their ``trigger_id`` is
the delivery id the core deduplicates on (:func:`~bot.slack.inbound.delivery_of`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot import seals
from bot.inbox import Inboxes
from bot.slack import ids, logs
from bot.slack.blocks import edit_modal, home_view, loading_modal, notice_modal, saving_modal
from bot.slack.calls import quietly
from bot.slack.channels import reach_of
from bot.slack.escape import shorten
from bot.slack.inbound import (
    COMMAND_PREFIX,
    action_values,
    answer_inbound,
    command_inbound,
    command_press,
    delivery_of,
    edited_message,
    is_person_message,
    mentioned,
    message_inbound,
    move_of,
    plain_text,
    submitted,
)
from bot.slack.profiles import Profiles
from bot.slack.questions import Person, PostedRef
from bot.slack.replies import Origin, Responder
from bot.slack.texts import text
from bot.slack.work import Turn, Turns, Work
from bot.slack.workspaces import Installed, workspace_key
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
from storage.inbox import Arrival
from storage.models import InboxEntry
from storage.repository import Unavailable

Body = Mapping[str, Any]
T = TypeVar("T")
Clients = Callable[[str], Awaitable[AsyncWebClient | None]]
"""A Web API client with the bot token of a workspace (None: not installed)."""

PLATFORM = "slack"
MESSAGE, ANSWER, RUN, COMMAND = "slack.message", "slack.answer", "slack.run", "slack.command"
"""Kinds of inbox rows the Slack listeners keep and handle."""


def lane_of(workspace: str, user: str) -> str:
    """One person's requests: handled one at a time, in arrival order."""
    return f"{PLATFORM}:{workspace}:{user}"


ACKS_FIRST_SECONDS = 0.5
"""Longest a step kept in the inbox waits for the acknowledgements in progress
(each is one short INSERT that Slack waits on; a step is the work after it)."""
ACK_BUDGET = 1.5
"""Seconds the core gets to store an answer (or check a modal's) before the
ack must go anyway: Slack wants it within 3 seconds."""
MODAL_BUDGET = 1.0
"""Seconds the core gets before an edit's modal opens as "loading": the
click's ``trigger_id`` expires 3 seconds after it."""


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
    """What the bot put in a modal's metadata; nothing when its seal does not hold."""
    opened = seals.unseal(str(view.get("private_metadata") or ""))
    if opened is None:
        if view.get("private_metadata"):
            logs.unsealed("modal metadata")
        return {}
    try:
        found = json.loads(opened or "{}")
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
        modal_budget: float = MODAL_BUDGET,
        installed: Installed | None = None,
        inbox: Inboxes | None = None,
        clients: Clients | None = None,
    ) -> None:
        self.ack_budget = ack_budget
        self.modal_budget = modal_budget
        self.service = service
        self.profiles = profiles
        self.responder = responder
        self.work = work
        self.installations = installations
        self.turns = Turns()
        self.installed = installed or Installed(service.platform)
        # Without an inbox (or a way to a workspace's client) every request is
        # handled at once after its ack, as the fallback below does.
        self.inbox = inbox if clients is not None else None
        self.clients = clients
        # Acknowledgements in progress: the steps after them wait their turn.
        self._acking = 0
        self._no_acks = asyncio.Event()
        self._no_acks.set()
        if self.inbox is not None:
            self.inbox.on(MESSAGE, self._message_row)
            self.inbox.on(ANSWER, self._answer_row)
            self.inbox.on(RUN, self._run_row)
            self.inbox.on(COMMAND, self._command_row)

    # -- the inbox -----------------------------------------------------------------------

    async def _keep(
        self, kind: str, workspace: str, user: str, delivery_id: object, payload: dict[str, Any]
    ) -> bool | None:
        """Commit the request's inbox row before the ack: True when kept (its
        step then runs from the row), False for a redelivery (nothing to do),
        None when it can't be kept (no inbox, no delivery id, the database
        refused): the caller handles it at once."""
        if self.inbox is None or not isinstance(delivery_id, str) or not delivery_id:
            return None
        lane = lane_of(workspace, user)
        arrival = Arrival(PLATFORM, workspace, delivery_id, lane, kind, payload)
        self._acking += 1
        self._no_acks.clear()
        try:
            kept = await self.inbox.keep(arrival)
        except Unavailable:
            return None
        finally:
            self._acking -= 1
            if not self._acking:
                self._no_acks.set()
        if kept is None:
            logs.duplicate_delivery(workspace, None)
            return False
        # No earlier row of the person waits: this worker handles it, no claim to make.
        first = kept if kept.attempts else None
        self.work.start(self.drain_job(lane, first), key=lane)
        return True

    def drain_job(self, lane: str, first: InboxEntry | None = None) -> Coroutine[Any, Any, None]:
        """Work through ``lane``'s inbox rows, in turn with the person's other requests."""
        assert self.inbox is not None
        job = self._after_acks(self.inbox.drain(lane, first=first))
        return self._drained(self._in_turn(self.turns.take(lane), job))

    @staticmethod
    async def _drained(job: Coroutine[Any, Any, int]) -> None:
        await job

    async def _after_acks(self, job: Coroutine[Any, Any, T]) -> T:
        """``job``, once the acknowledgements in progress are through: Slack
        waits on them (3 s at most), and a step started meanwhile takes the
        event loop and the database's write lock from them. Bounded, so steps
        never starve."""
        if self._acking:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._no_acks.wait(), ACKS_FIRST_SECONDS)
        return await job

    async def _client(self, workspace: str) -> AsyncWebClient | None:
        assert self.clients is not None
        return await self.clients(workspace)

    async def _reply(
        self, client: AsyncWebClient, handled: tuple[Origin, Outcome] | None, retried: bool
    ) -> None:
        """The step's replies. A step found done already, when its row was taken
        before (a worker died after the step, maybe before the replies), shows
        the person the question they are at, so nobody is left with nothing."""
        if handled is None:
            return
        origin, outcome = handled
        if not outcome.duplicate:
            await self.responder.deliver(client, origin, outcome.replies)
            return
        logs.duplicate_delivery(origin.workspace, None)
        if retried:
            actor = await self.profiles.actor(client, origin.workspace, origin.user_id)
            pending = await self.service.pending(actor)
            if pending:
                here = Origin(origin.workspace, origin.user_id, actor.locale)
                await self.responder.deliver(client, here, pending)

    async def _message_row(self, entry: InboxEntry, retried: bool) -> None:
        body = entry.payload["body"]
        event = body["event"]
        client = await self._client(entry.workspace)
        if client is None:
            logs.ignored_inactive(entry.workspace)
            return
        handled = await self._message(
            body, event, client, entry.workspace, str(event["user"]), entry.id
        )
        await self._reply(client, handled, retried)

    async def _answer_row(self, entry: InboxEntry, retried: bool) -> None:
        body, action = entry.payload["body"], entry.payload["action"]
        token = ids.token_of(str(action.get("block_id") or ""))
        client = await self._client(entry.workspace)
        if client is None or token is None:
            return
        user = str(entry.payload["user"])
        handled = await self._answer(body, action, client, entry.workspace, user, token, entry.id)
        await self._reply(client, handled, retried)

    async def _run_row(self, entry: InboxEntry, retried: bool) -> None:
        body, command = entry.payload["body"], str(entry.payload["command"])
        client = await self._client(entry.workspace)
        if client is None:
            return
        user = str(entry.payload["user"])
        handled = await self._press(body, command, client, entry.workspace, user, entry.id)
        await self._reply(client, handled, retried)

    async def _command_row(self, entry: InboxEntry, retried: bool) -> None:
        body = entry.payload["body"]
        client = await self._client(entry.workspace)
        if client is None:
            return
        origin, outcome, _ = await self._run_command(
            body, client, entry.workspace, str(body.get("user_id")), entry.id
        )
        await self._reply(client, (origin, outcome), retried)

    # -- the ack and what follows it -------------------------------------------------

    def _turn(
        self, workspace: str, user: str, job: Coroutine[Any, Any, T]
    ) -> Coroutine[Any, Any, T]:
        """``job``, once the person's earlier requests are through (:class:`Turns`).
        The place in line is taken now, as the request arrives."""
        return self._in_turn(self.turns.take(lane_of(workspace, user)), job)

    @staticmethod
    async def _in_turn(turn: Turn, job: Coroutine[Any, Any, T]) -> T:
        try:
            async with turn:
                return await job
        finally:
            turn.release()

    async def _in_time(self, job: Coroutine[Any, Any, T]) -> tuple[asyncio.Future[T], bool]:
        """Run ``job``; whether it finished within the ack budget."""
        running = asyncio.ensure_future(job)
        done, _ = await asyncio.wait({running}, timeout=self.ack_budget)
        return running, running in done

    def _deliver_later(
        self, client: AsyncWebClient, origin: Origin, outcome: Outcome, retry: str | None = None
    ) -> None:
        """The replies, after the ack, in order with the person's other replies."""
        if outcome.duplicate:
            logs.duplicate_delivery(origin.workspace, retry)
            return
        if outcome.replies:
            self.work.start(
                self.responder.deliver(client, origin, outcome.replies),
                key=lane_of(origin.workspace, origin.user_id),
            )

    # -- the slash command and typed messages ----------------------------------------

    async def command(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """Acknowledged at once: nothing is stored yet, and the reply goes to the
        command's ``response_url`` (or a modal) after."""
        workspace, user = workspace_of(context), str(body.get("user_id"))
        parsed = commands.parse(plain_text(str(body.get("text") or "")))
        modal = parsed is not None and parsed.name == "edit" and len(parsed.args) >= 2
        if not modal:
            kept = await self._keep(COMMAND, workspace, user, delivery_of(body), {"body": body})
            if kept is not None:
                await ack()
                return
        await ack()
        # A modal must open within 3 s of the command: that work skips the queue.
        self.work.start(
            self._turn(workspace, user, self._command(body, client, workspace, user, modal)),
            key=lane_of(workspace, user),
            capped=not modal,
        )

    async def _command(
        self, body: Body, client: AsyncWebClient, workspace: str, user: str, modal: bool
    ) -> None:
        if modal:
            language = self.profiles.language(workspace, user)
            await self._in_modal(
                client, body, language, self._run_command(body, client, workspace, user)
            )
            return
        origin, outcome, _ = await self._run_command(body, client, workspace, user)
        if outcome.duplicate:
            logs.duplicate_delivery(workspace, None)
            return
        await self.responder.deliver(client, origin, outcome.replies)

    async def _run_command(
        self,
        body: Body,
        client: AsyncWebClient,
        workspace: str,
        user: str,
        inbox_entry: int | None = None,
    ) -> tuple[Origin, Outcome, PostedRef | None]:
        language = self.profiles.language(workspace, user)
        origin = Origin(
            workspace,
            user,
            language,
            channel_id=body.get("channel_id"),
            is_direct=body.get("channel_name") == "directmessage",
            response_url=body.get("response_url"),
        )
        if not await self.installed.active(workspace):
            return origin, Outcome((Say(text("not_installed", language)),)), None
        actor = await self.profiles.actor(client, workspace, user)
        names = await self.profiles.names(client, workspace, mentioned(body.get("text", "")))
        inbound = replace(command_inbound(body, actor, names), inbox_entry=inbox_entry)
        inbound = await reach_of(client, inbound)
        outcome = await self.service.handle(inbound)
        return replace(origin, language=actor.locale), outcome, None

    async def message(
        self,
        body: Body,
        event: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
    ) -> None:
        """A typed answer (or command) in the DM: acknowledged once kept in the inbox."""
        edited = edited_message(event)
        if edited is not None:
            await self._edited(client, context, event, edited)
            return
        if not is_person_message(event):
            return
        workspace, user = workspace_of(context), str(event["user"])
        kept = await self._keep(MESSAGE, workspace, user, body.get("event_id"), {"body": body})
        if kept is not None:
            return
        retries = request.headers.get("x-slack-retry-num") or []

        async def now() -> None:
            handled = await self._message(body, event, client, workspace, user)
            if handled is not None:
                self._deliver_later(client, *handled, retry=retries[0] if retries else None)

        self.work.start(self._turn(workspace, user, now()), key=lane_of(workspace, user))

    async def _message(
        self,
        body: Body,
        event: Body,
        client: AsyncWebClient,
        workspace: str,
        user: str,
        inbox_entry: int | None = None,
    ) -> tuple[Origin, Outcome] | None:
        if not await self.installed.active(workspace):
            logs.ignored_inactive(workspace)
            return None
        actor = await self.profiles.actor(client, workspace, user)
        names = await self.profiles.names(client, workspace, mentioned(event.get("text", "")))
        inbound = message_inbound(
            event,
            actor,
            names,
            delivery_id=body.get("event_id"),
            file_note=text("file_attached", actor.locale),
        )
        outcome = await self.service.handle(replace(inbound, inbox_entry=inbox_entry))
        origin = Origin(
            workspace,
            user,
            actor.locale,
            channel_id=event.get("channel"),
            typed_ts=str(event.get("ts") or "") or None,
        )
        return origin, outcome

    async def _edited(
        self, client: AsyncWebClient, context: AsyncBoltContext, event: Body, message: Body
    ) -> None:
        """A person edited a message in the DM: an edit changes no stored answer,
        so they are told how to change it (acknowledged at once, told after)."""
        workspace, user = workspace_of(context), str(message["user"])

        async def tell() -> None:
            if not await self.installed.active(workspace):
                return
            actor = await self.profiles.actor(client, workspace, user)
            await self.responder.edited(
                client,
                Person(workspace, user),
                str(event.get("channel") or ""),
                str(message.get("ts") or ""),
                actor.locale,
            )

        self.work.start(self._turn(workspace, user, tell()), key=lane_of(workspace, user))

    async def home(
        self, body: Body, event: Body, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """The App Home was opened: acknowledged at once, drawn after."""
        if event.get("tab") != "home":
            return
        workspace, user = workspace_of(context), str(event["user"])
        self.work.start(
            self._turn(workspace, user, self._home(body, client, workspace, user)),
            key=lane_of(workspace, user),
        )

    async def _home(self, body: Body, client: AsyncWebClient, workspace: str, user: str) -> None:
        if not await self.installed.active(workspace):
            return
        actor = await self.profiles.actor(client, workspace, user)
        home = Inbound(
            actor=actor,
            place=Place(channel_id=user, is_direct=True),
            text="home",
            is_command=True,
            delivery_id=body.get("event_id"),
            command_prefix=COMMAND_PREFIX,
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
        """A button or picker answering a question: acknowledged once kept in the inbox."""
        token = ids.token_of(str(action.get("block_id") or ""))
        workspace, user = workspace_of(context), str(context.user_id)
        if token is None:  # not a question's block, or its seal does not hold
            logs.unsealed("question token")
            await ack()
            return
        payload = {"body": body, "action": action, "user": user}
        kept = await self._keep(ANSWER, workspace, user, delivery_of(body), payload)
        await ack()
        if kept is not None:
            return

        async def now() -> None:
            handled = await self._answer(body, action, client, workspace, user, token)
            if handled is not None:
                self._deliver_later(client, *handled)

        self.work.start(self._turn(workspace, user, now()), key=lane_of(workspace, user))

    async def _answer(
        self,
        body: Body,
        action: Body,
        client: AsyncWebClient,
        workspace: str,
        user: str,
        token: str,
        inbox_entry: int | None = None,
    ) -> tuple[Origin, Outcome] | None:
        if not await self.installed.active(workspace):
            return None
        actor = await self.profiles.actor(client, workspace, user)
        person = None
        if action.get("type") == "users_select":
            if not action.get("selected_user"):
                return None
            picked = str(action["selected_user"])
            person = PersonRef(picked, (await self.profiles.get(client, workspace, picked)).name)
        values = () if person else action_values(action, body.get("state") or {})
        origin = message_origin(body, workspace, user, actor.locale)
        place = Place(channel_id=origin.channel_id or user, is_direct=True)
        inbound = answer_inbound(
            actor, place, token, values, person, delivery_of(body), move=move_of(action)
        )
        return origin, await self.service.handle(replace(inbound, inbox_entry=inbox_entry))

    async def run(
        self,
        ack: AsyncAck,
        body: Body,
        action: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A button that runs a command (Summary, Resume, Continue the interview...):
        acknowledged at once, like a command."""
        await ack()
        workspace, user = workspace_of(context), str(context.user_id)
        command = seals.unseal(str(action.get("value") or ""))
        if command is None:
            logs.unsealed("command button")
            return
        payload = {"body": body, "command": command, "user": user}
        if await self._keep(RUN, workspace, user, delivery_of(body), payload) is not None:
            return
        self.work.start(
            self._turn(workspace, user, self._run(body, command, client, workspace, user)),
            key=lane_of(workspace, user),
        )

    async def _run(
        self, body: Body, command: str, client: AsyncWebClient, workspace: str, user: str
    ) -> None:
        handled = await self._press(body, command, client, workspace, user)
        if handled is None:
            return
        origin, outcome = handled
        if outcome.duplicate:
            logs.duplicate_delivery(workspace, None)
            return
        await self.responder.deliver(client, origin, outcome.replies)

    async def _press(
        self,
        body: Body,
        command: str,
        client: AsyncWebClient,
        workspace: str,
        user: str,
        inbox_entry: int | None = None,
    ) -> tuple[Origin, Outcome] | None:
        if not await self.installed.active(workspace):
            return None
        actor = await self.profiles.actor(client, workspace, user)
        origin = message_origin(body, workspace, user, actor.locale)
        place = Place(channel_id=origin.channel_id or user, is_direct=origin.is_direct)
        pressed = command_press(actor, place, command, delivery_of(body))
        pressed = replace(pressed, inbox_entry=inbox_entry)
        outcome = await self.service.handle(await reach_of(client, pressed))
        return origin, outcome

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
        await ack()
        workspace, user = workspace_of(context), str(context.user_id)
        command = seals.unseal(str(action.get("value") or ""))
        if command is None:
            logs.unsealed("edit button")
            return
        # The modal must open within 3 s of the click: this work skips the queue.
        self.work.start(
            self._turn(workspace, user, self._edit(body, command, client, workspace, user)),
            key=lane_of(workspace, user),
            capped=False,
        )

    async def _edit(
        self, body: Body, command: str, client: AsyncWebClient, workspace: str, user: str
    ) -> None:
        language = self.profiles.language(workspace, user)
        await self._in_modal(
            client, body, language, self._run_edit(body, command, client, workspace, user)
        )

    async def _run_edit(
        self, body: Body, command: str, client: AsyncWebClient, workspace: str, user: str
    ) -> tuple[Origin, Outcome, PostedRef | None]:
        if not await self.installed.active(workspace):
            language = self.profiles.language(workspace, user)
            # Said in the modal; nothing else is posted.
            return (
                Origin(workspace, user, language),
                Outcome((Say(text("not_installed", language)),)),
                None,
            )
        actor = await self.profiles.actor(client, workspace, user)
        origin = message_origin(body, workspace, user, actor.locale)
        outcome = await self.service.handle(
            command_press(
                actor,
                Place(channel_id=origin.channel_id or user, is_direct=True),
                command,
                delivery_of(body),
            )
        )
        shown_in = origin.message
        if shown_in is not None:
            words = command.split()
            shown_in = PostedRef(shown_in.channel, shown_in.ts, words[1] if len(words) > 1 else "")
        return origin, outcome, shown_in

    async def submit(
        self,
        ack: AsyncAck,
        body: Body,
        view: Body,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A modal's answer: checked and stored by the core within the ack when it
        can be, so that what was wrong shows in the modal."""
        workspace, user = workspace_of(context), str(context.user_id)
        meta = modal_metadata(view)
        # users.info and the core both count against the ack's budget.
        checking, in_time = await self._in_time(
            self._turn(
                workspace, user, self._check(client, workspace, user, view, meta, delivery_of(body))
            )
        )
        if not in_time:
            logs.slow_modal(ids.MODAL)
            language = self.profiles.language(workspace, user)
            await ack(response_action="update", view=saving_modal(language))
            self.work.start(
                self._after_slow_submit(client, str(view.get("id")), checking, meta),
                key=lane_of(workspace, user),
                capped=False,
            )
            return
        origin, outcome = checking.result()
        problem = None if outcome.duplicate else problem_with(outcome, meta.get("token", ""))
        if problem:
            await ack(response_action="errors", errors={ids.INPUT_BLOCK: shorten(problem, 2000)})
            return
        await ack()
        self._deliver_later(client, origin, outcome)

    async def _check(
        self,
        client: AsyncWebClient,
        workspace: str,
        user: str,
        view: Body,
        meta: dict[str, str],
        delivery_id: str | None,
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
        inbound = answer_inbound(actor, place, meta.get("token", ""), values, person, delivery_id)
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
        await ack()
        workspace, user = workspace_of(context), str(context.user_id)
        token = modal_metadata(view).get("token")
        if token:
            closing = f"closed:{view.get('id')}" if view.get("id") else None
            self.work.start(
                self._turn(workspace, user, self._closed(client, workspace, user, token, closing)),
                key=lane_of(workspace, user),
            )

    async def _closed(
        self,
        client: AsyncWebClient,
        workspace: str,
        user: str,
        token: str,
        delivery_id: str | None,
    ) -> None:
        actor = await self.profiles.actor(client, workspace, user)
        back = Inbound(
            actor=actor,
            place=Place(channel_id=user, is_direct=True),
            text="back",
            reply_to=token,
            delivery_id=delivery_id,
            command_prefix=COMMAND_PREFIX,
        )
        outcome = await self.service.handle(back)
        asks: list[Reply] = [r for r in outcome.replies if isinstance(r, Ask)]
        await self.responder.deliver(client, Origin(workspace, user, actor.locale), asks)

    async def _in_modal(
        self,
        client: AsyncWebClient,
        body: Body,
        language: str,
        job: Coroutine[Any, Any, tuple[Origin, Outcome, PostedRef | None]],
    ) -> None:
        """An edit shown in a modal, opened with the click's ``trigger_id``,
        valid for 3 seconds: with its content when the core answers within
        :data:`MODAL_BUDGET` (and not at all for a repeated click), else as
        "loading" at once, filled in after."""
        handling = asyncio.ensure_future(job)
        done, _ = await asyncio.wait({handling}, timeout=self.modal_budget)
        view_id = None if handling in done else await self._open_loading(client, body, language)
        origin, outcome, shown_in = await handling
        if outcome.duplicate:
            logs.duplicate_delivery(origin.workspace, None)
            return
        trigger = None if view_id else body.get("trigger_id")
        await self._show_edit(client, origin, outcome, shown_in, view_id=view_id, trigger=trigger)

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
        origin: Origin,
        outcome: Outcome,
        shown_in: PostedRef | None,
        *,
        view_id: str | None = None,
        trigger: str | None = None,
    ) -> None:
        """The core's answer in the modal (``view_id``: already open; ``trigger``:
        to open), or in the DM when there is no modal to show it in."""
        ask = next((r for r in outcome.replies if isinstance(r, Ask)), None)
        rest = [r for r in outcome.replies if r is not ask]
        if ask is None:
            view = notice_modal(outcome.replies, origin.language)
        else:
            meta = {
                "token": ask.token,
                "channel": shown_in.channel if shown_in else "",
                "ts": shown_in.ts if shown_in else "",
                "poc": shown_in.poc if shown_in else ask.poc_handle,
            }
            view = edit_modal(ask, origin.language, meta)
        shown = None
        if view_id is not None:
            shown = await quietly("views.update", client.views_update(view_id=view_id, view=view))
        elif trigger:
            shown = await quietly("views.open", client.views_open(trigger_id=trigger, view=view))
        if shown is None:
            # No modal (the click was too old, or it was closed): answer in the DM.
            logs.modal_gone("no modal")
            await self.responder.deliver(client, origin, outcome.replies)
        elif ask is not None and rest:
            await self.responder.deliver(client, origin, rest)

    async def _after_slow_submit(
        self,
        client: AsyncWebClient,
        view_id: str,
        checking: asyncio.Future[tuple[Origin, Outcome]],
        meta: dict[str, str],
    ) -> None:
        origin, outcome = await checking
        if outcome.duplicate:
            return
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
        """Acknowledged once the workspace is marked inactive (a short transaction)."""
        with self.work.track():
            workspace = workspace_of(context)
            if self.installations is not None:
                await self.installations.async_delete_all(
                    enterprise_id=context.enterprise_id, team_id=self._team(context)
                )
            else:
                logs.static_token_left(workspace)
            await self.service.platform.deactivate(workspace, "app_uninstalled")
            self.installed.forget(workspace)
            logs.uninstalled(workspace, "app_uninstalled")

    async def user_changed(self, event: Body, context: AsyncBoltContext) -> None:
        """A deactivated person (``deleted: true``) no longer owns or oversees
        anything: the decisions on their running POCs are reopened."""
        user = event.get("user") or {}
        if not isinstance(user, dict) or user.get("deleted") is not True or not user.get("id"):
            return
        with self.work.track():
            await self.service.person_left(workspace_of(context), str(user["id"]))

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
                self.installed.forget(workspace)
                logs.uninstalled(workspace, "tokens_revoked")

    @staticmethod
    def _team(context: AsyncBoltContext) -> str | None:
        return None if context.is_enterprise_install else context.team_id
