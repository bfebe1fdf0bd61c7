"""The core's one entry point: ``Service.handle(inbound) -> Outcome``.

Every inbound event is handled in one transaction: find the workspace and the
person, claim the platform's delivery id (a redelivery then changes nothing),
route to a command or the interview, write, commit. Errors are caught here and
only here: a person's mistake is answered in their language with nothing
changed; a lost race is answered as such; a database outage asks them to try
again; a bug is logged and answered with an apology.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from conversations import checkins, commands, handlers, interviews, limits, reopenings, throttle
from conversations.bank import Bank, load_bank
from conversations.context import Context
from conversations.errors import UserError
from conversations.health import WatchSettings
from conversations.i18n import Translator, translator
from conversations.identity import Identity, newcomer_role
from conversations.llm.port import Assistant, NoAssistant, enabled
from conversations.llm.prefetch import Recorder
from conversations.messages import Actor, Answered, Inbound, Outcome, Place, Reply, Say
from conversations.platform_state import PlatformState
from storage.inbox import take_in_step
from storage.models import Person, Role, Workspace
from storage.repository import Conflict, Repo, StaleRevision, Store, Unavailable

log = logging.getLogger("postpoc.core")

# The check-in flow registers what happens when a check-in is answered.
assert checkins.FLOW in interviews.ON_COMPLETED

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Service:
    """The product, as every adapter sees it."""

    def __init__(
        self,
        store: Store,
        *,
        bank: Bank | None = None,
        clock: Clock = utc_now,
        watch_settings: WatchSettings | None = None,
        assistant: Assistant | None = None,
        identity: Identity | None = None,
        rate_limits: throttle.RateLimits | None = None,
    ) -> None:
        self.store = store
        self.rate_limits = rate_limits or throttle.RateLimits()
        self.bank = bank or load_bank()
        self.clock = clock
        self.watch_settings = watch_settings or WatchSettings()
        # The optional language model; without one, every answer is "nothing to add".
        self.assistant: Assistant = assistant or NoAssistant()
        # Who administers and how people are named (conversations.identity);
        # without rules every workspace is local, as the console is.
        self.identity = identity or Identity()
        self.platform = PlatformState(store, clock)

    async def handle(self, inbound: Inbound) -> Outcome:
        t = translator(inbound.actor.locale).for_commands(inbound.command_prefix)
        try:
            inbound = limits.clean(inbound)
            try:
                return await self._handle_once(inbound)
            except Conflict:
                # Someone created the same row a moment ago (a person's first two
                # messages at once, a redelivery racing the original): run again.
                return await self._handle_once(inbound)
        except UserError as error:
            return Outcome((Say(t(error.message, **error.params)),))
        except StaleRevision:
            return Outcome(
                (
                    Say(
                        t(
                            "That question was answered a moment ago (perhaps from another device); nothing else changed."
                        )
                    ),
                )
            )
        except Unavailable as error:
            return self._unavailable(error, t)
        except Exception as error:
            return self._bug(error, inbound, t)

    async def _handle_once(self, inbound: Inbound) -> Outcome:
        assistant: Assistant = self.assistant
        if enabled(self.assistant):
            assistant = await self._prefetch(inbound)
        async with self.store.unit() as repo:
            ctx = await self._context(repo, inbound, assistant)
            if not await self._claim(repo, ctx):
                return Outcome(duplicate=True)
            replies = await self._route(ctx)
        return Outcome(tuple(replies))

    @staticmethod
    async def _claim(repo: Repo, ctx: Context) -> bool:
        """Whether this transaction is the first to apply the inbound: its inbox
        row marked applied, else its delivery id recorded (a redelivery: False)."""
        inbound = ctx.inbound
        if inbound.inbox_entry is not None:
            return await take_in_step(repo, inbound.inbox_entry, ctx.now)
        if inbound.delivery_id:
            return await repo.claim_delivery(ctx.workspace_id, inbound.delivery_id, ctx.now)
        return True

    async def _prefetch(self, inbound: Inbound) -> Assistant:
        """What the model will be asked, asked with no transaction open (see llm.prefetch)."""
        recorder = Recorder()
        try:
            async with self.store.rehearsal() as repo:
                ctx = await self._context(repo, inbound, recorder)
                if not await self._claim(repo, ctx):
                    return NoAssistant()  # handled before: nothing will be asked
                await self._route(replace(ctx, rehearsal=True))
        except Exception:  # noqa: S110  (the real run meets and reports the same error)
            pass
        return await recorder.resolve(self.assistant)

    @staticmethod
    def _unavailable(error: Unavailable, t: Translator) -> Outcome:
        log.warning(
            "database unavailable while handling an event: %s%s",
            error,
            " (while committing)" if error.unsure else "",
        )
        if error.unsure:
            # The server was asked to commit and the answer never came: all of
            # it may be saved, or none of it; never a part.
            return Outcome(
                (
                    Say(
                        t(
                            "I lost my connection to the database while saving, so I can't tell whether that was saved. Please check before sending it again."
                        )
                    ),
                )
            )
        return Outcome(
            (
                Say(
                    t(
                        "I can't reach my database right now; nothing was saved. Please try again in a minute."
                    )
                ),
            )
        )

    @staticmethod
    def _bug(error: Exception, inbound: Inbound, t: Translator) -> Outcome:
        # Never the text: it may hold personal data. Enough context to find the bug.
        log.exception(
            "bug while handling an event",
            extra={
                "workspace": inbound.actor.workspace,
                "kind": _kind(inbound),
                "error": type(error).__name__,
            },
        )
        return Outcome(
            (
                Say(
                    t(
                        "Sorry, something went wrong on my side; nothing was saved. The team has been told."
                    )
                ),
            )
        )

    async def person_left(self, workspace_key: str, platform_id: str) -> int:
        """Someone was deactivated or removed from the team: the running POCs
        they own or oversee are reopened. How many were; a retried event finds
        them under review already and changes nothing."""
        async with self.store.unit() as repo:
            workspace = await repo.workspace(workspace_key)
            if workspace is None or not workspace.active:
                return 0
            return await reopenings.person_left(repo, workspace, platform_id, self.clock())

    async def settled(self, workspace_key: str, token: str, locale: str) -> Answered | None:
        """What the question ``token`` was settled with, if the interview has
        moved past it with an answer: for an adapter retiring its message (a
        question whose settling was lost to a restart shows its answer, not
        "moved on"). None when it is still asked, was left unanswered, or is
        not this workspace's; and when the database can't say."""
        try:
            async with self.store.unit() as repo:
                workspace = await repo.workspace(workspace_key)
                if workspace is None or workspace.id is None:
                    return None
                return await interviews.settled(repo, workspace.id, token, translator(locale))
        except Unavailable:
            return None

    async def pending(self, actor: Actor) -> tuple[Reply, ...]:
        """The question waiting for this person, if any: shown when they come back."""
        inbound = Inbound(actor=actor, place=Place(channel_id="", is_direct=True))
        try:
            async with self.store.unit() as repo:
                ctx = await self._context(repo, inbound)
                return tuple(await interviews.pending(ctx))
        except Unavailable as error:
            return self._unavailable(error, translator(actor.locale)).replies

    async def _context(
        self, repo: Repo, inbound: Inbound, assistant: Assistant | None = None
    ) -> Context:
        now = self.clock()
        # One query for the workspace, the person and the interview they hold.
        found, known = await repo.arrival(inbound.actor.workspace, inbound.actor.user_id)
        workspace = await self._workspace(repo, inbound.actor, found)
        person = await self._person(repo, workspace, inbound.actor, now, known)
        return Context(
            repo=repo,
            workspace=workspace,
            person=person,
            inbound=inbound,
            t=translator(person.locale)
            .for_commands(inbound.command_prefix)
            .for_currency(workspace.currency),
            bank=self.bank,
            now=now,
            watch=self.watch_settings,
            assistant=assistant or self.assistant,
            identity=self.identity,
        )

    async def _workspace(self, repo: Repo, actor: Actor, workspace: Workspace | None) -> Workspace:
        if workspace is None:
            workspace = await repo.add_workspace(actor.workspace)
        if not workspace.active:
            raise UserError("postpoc is not installed in this workspace any more.")
        return workspace

    async def _person(
        self, repo: Repo, workspace: Workspace, actor: Actor, now: datetime, person: Person | None
    ) -> Person:
        assert workspace.id is not None
        if person is None:
            # Who administers is the install's decision (conversations.identity),
            # never the first speaker's, except where the workspace is local.
            role, why = await newcomer_role(repo, self.identity, workspace, actor.user_id)
            person = await repo.add_person(
                Person(
                    workspace_id=workspace.id,
                    platform_id=actor.user_id,
                    display_name=actor.display_name,
                    locale=actor.locale or "en",
                    timezone=actor.timezone or "UTC",
                    role=role,
                    created_at=now,
                )
            )
            if why:
                await repo.audits.write(workspace.id, why, person_id=person.id, at=now)
            return person
        if self.identity.is_listed(person.platform_id) and person.role != Role.ADMIN:
            # Listed in POSTPOC_ADMINS after they were first seen (or named by a mention).
            await repo.set_role(person, Role.ADMIN)
            await repo.audits.write(workspace.id, "listed_admin", person_id=person.id, at=now)
        seen = (
            actor.display_name or person.display_name,
            actor.locale or person.locale,
            actor.timezone or person.timezone,
        )
        if seen != (person.display_name, person.locale, person.timezone):
            person.display_name, person.locale, person.timezone = seen
            await repo.save(person)
        return person

    async def _route(self, ctx: Context) -> list[Reply]:
        inbound = ctx.inbound
        if inbound.action is not None:
            return await interviews.answer_action(ctx, inbound.action)
        text = inbound.text.strip()
        if inbound.is_command:
            return await self._command(ctx, text)
        if inbound.place.is_direct:
            parsed = commands.parse(text)
            greeting = parsed is not None and parsed.name == "hello"
            lone_help = (
                parsed is not None and parsed.name == "help" and not await interviews.held(ctx)
            )
            if text.lower().startswith("/poc") or greeting or lone_help:
                return await self._command(ctx, text)
            answered = await interviews.answer_text(ctx, text)
            if answered is not None:
                return answered
            if parsed is not None:
                return await self._command(ctx, text)
            return [Say(ctx.t("I didn't understand that. Type {cmd}help to see what I can do."))]
        return []

    async def _command(self, ctx: Context, text: str) -> list[Reply]:
        command = commands.parse(text)
        if command is None:
            word = text.split()[0] if text.split() else text
            raise UserError(
                "I don't know the command {word}. Type {cmd}help to see what I can do.",
                word=word[:40],
            )
        await throttle.admit(ctx, command.name, self.rate_limits)
        return await handlers.HANDLERS[command.name](ctx, command)


def _kind(inbound: Inbound) -> str:
    if inbound.action is not None:
        return "action"
    return "command" if inbound.is_command else "text"
