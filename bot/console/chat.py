"""The console channel: the bot as a direct conversation in a terminal.

Lines starting with ``/poc`` are commands; anything else answers the current
question. Standard input may be a terminal, a pipe or a file: prompts are
printed either way, and piped input is echoed so a transcript reads like the
conversation it was.
"""

from __future__ import annotations

import asyncio
import getpass
import io
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.console.render import render
from conversations.i18n import N_, translator
from conversations.messages import Actor, Ask, Inbound, PersonRef, Place, Reply
from conversations.service import Service

WORKSPACE = "console:local"
CHANNEL = "console"
PROMPT = "> "
COMMAND_PREFIX = "/poc "
"""Commands are typed with /poc in the console; texts that name one write it so."""
BANNER = N_(
    "postpoc — type {cmd}help for commands, {cmd}new <title> to register a POC, Ctrl-D to leave."
)


def console_locale() -> str:
    """The terminal's language: LC_ALL, then LC_MESSAGES, then LANG (fr_FR.UTF-8 → fr_FR)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.split(".")[0]
    return "en"


def console_actor(user: str | None = None, locale: str | None = None) -> Actor:
    name = user or getpass.getuser() or "you"
    return Actor(
        workspace=WORKSPACE,
        user_id=name.lower(),
        display_name=name,
        locale=locale or console_locale(),
        timezone=os.environ.get("TZ", "UTC") or "UTC",
    )


def mentions_in(text: str) -> tuple[PersonRef, ...]:
    """``@alice`` in a console line names the console person ``alice``."""
    return tuple(
        PersonRef(word[1:].lower(), word[1:])
        for word in text.split()
        if len(word) > 1 and word.startswith("@")
    )


def forgiving(*streams: TextIO) -> None:
    """Bytes that are not in the terminal's encoding (a paste from a Latin-1
    file, a stray NUL, a cut-off emoji) read as U+FFFD, and what the terminal
    can't show prints as "?", instead of ending the session with a traceback."""
    for stream in streams:
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


class Console:
    def __init__(
        self, service: Service, actor: Actor, out: TextIO, image_dir: Path | None = None
    ) -> None:
        self.service = service
        self.actor = actor
        self.out = out
        self.image_dir = image_dir
        self.last_question: str | None = None

    def show(self, replies: Iterable[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, Ask):
                self.last_question = reply.token
            for line in render(reply, self.image_dir):
                print(line, file=self.out)
        self.out.flush()

    async def send(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        is_command = text.lower().startswith("/poc")
        inbound = Inbound(
            actor=self.actor,
            place=Place(channel_id=CHANNEL, is_direct=True),
            text=text[4:].strip() if is_command else text,
            is_command=is_command,
            mentions=mentions_in(text) if is_command else (),
            reply_to=None if is_command else self.last_question,
            command_prefix=COMMAND_PREFIX,
        )
        outcome = await self.service.handle(inbound)
        self.show(outcome.replies)

    async def run(self, lines: TextIO) -> None:
        interactive = lines.isatty()
        t = translator(self.actor.locale).for_commands(COMMAND_PREFIX)
        print(t(BANNER), file=self.out)
        self.show(await self.service.pending(self.actor))
        while True:
            print(PROMPT, end="", file=self.out, flush=True)
            line = await asyncio.to_thread(lines.readline)
            if not line:
                print(file=self.out)
                return
            if not interactive:
                print(line.rstrip("\n"), file=self.out)
            await self.send(line)


async def chat(
    service: Service,
    actor: Actor,
    image_dir: Path | None = None,
    watch_interval: float | None = None,
) -> None:
    """The console, with the weekly watch posting into it every ``watch_interval`` seconds."""
    forgiving(sys.stdin, sys.stdout)
    console = Console(service, actor, sys.stdout, image_dir)
    watcher = None
    if watch_interval:
        from bot.config import Settings
        from bot.console.messenger import ConsoleMessenger
        from bot.scheduler import build_watch, run_forever

        messenger = ConsoleMessenger(sys.stdout, image_dir)
        watch = build_watch(service, {"console": messenger}, Settings())
        watcher = asyncio.create_task(run_forever(watch, watch_interval))
    try:
        await console.run(sys.stdin)
    finally:
        if watcher is not None:
            watcher.cancel()
