"""A workspace set up through the core, as its people would have set it up:
POCs registered, owners named, interviews started, decisions taken, channels
subscribed. Done in the test process before the bot process starts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.config import Settings
from bot.runtime import open_service
from conversations.messages import Actor, Inbound, PersonRef, Place, Reply
from conversations.service import Service
from tests.support.conversation import Clock, text

WORKSPACE = "slack:T0ACME"
LEAD = ("U0LEAD", "Lena Lead")


def actor(user: str, name: str, workspace: str = WORKSPACE) -> Actor:
    return Actor(workspace, user, name, "en", "Europe/Paris")


async def command(
    service: Service,
    who: tuple[str, str],
    line: str,
    *,
    channel: str | None = None,
    mentions: Sequence[PersonRef] = (),
    workspace: str = WORKSPACE,
) -> tuple[Reply, ...]:
    """``who`` runs ``line`` (``/poc`` left out) in their DM or in ``channel``."""
    user, name = who
    place = Place(channel_id=channel or "D" + user[1:], is_direct=channel is None)
    inbound = Inbound(
        actor=actor(user, name, workspace),
        place=place,
        text=line,
        is_command=True,
        mentions=tuple(mentions),
    )
    return (await service.handle(inbound)).replies


async def _open(database_url: str, at: datetime | None) -> Service:
    # The lead administers as the operator listed them (POSTPOC_ADMINS). Seeding
    # registers many POCs at once on purpose: the limits on writing commands
    # (conversations.throttle) are not what these tests are about.
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        postpoc_admins=LEAD[0],
        rate_limit_per_person=0,
        rate_limit_per_workspace=0,
    )
    if at is None:
        return await open_service(settings)
    return await open_service(settings, clock=Clock(at))


async def interviews(
    database_url: str, owners: Sequence[tuple[str, str]], *, depth: str | None = None
) -> list[str]:
    """A POC per owner, its interview started by them; the POC handles. ``depth``:
    the lead raises each interview to it, so that it outlasts the answers a test gives."""
    service = await _open(database_url, None)
    handles = []
    try:
        await command(service, LEAD, "hello")
        for n, owner in enumerate(owners, start=1):
            handle = f"agent-{n}"
            await command(service, LEAD, f"new Agent {n}")
            await command(service, LEAD, f"owner {handle}", mentions=[PersonRef(*owner)])
            asked = await command(service, owner, f"interview {handle}")
            assert handle in text(asked), text(asked)
            if depth is not None:
                raised = text(await command(service, LEAD, f"depth {handle} {depth}"))
                assert f"now goes to {depth} depth" in raised, raised
            handles.append(handle)
    finally:
        await service.store.dispose()
    return handles


async def portfolio(
    database_url: str,
    at: datetime,
    owners: Sequence[tuple[str, str]],
    channels: Sequence[str],
    pocs: int,
    dms: dict[str, str],
    *,
    workspace: str = WORKSPACE,
    lead: tuple[str, str] = LEAD,
    first: int = 1,
) -> list[str]:
    """As of ``at``: ``pocs`` POCs framed, owned in turn by ``owners``; each of
    ``channels`` subscribed to the weekly nudge (Mondays, 09:00 UTC). ``dms``:
    the DM channel already known for some owners (as the Slack adapter
    remembers it once it has posted a question there). Returns the handles."""
    service = await _open(database_url, at)
    handles = []
    try:

        async def run(line: str, **options: object) -> tuple[Reply, ...]:
            return await command(service, lead, line, workspace=workspace, **options)  # type: ignore[arg-type]

        await run("hello")
        for n in range(first, first + pocs):
            handle = f"agent-{n}"
            owner = owners[(n - first) % len(owners)]
            await run(f"new Agent {n}")
            await run(f"owner {handle}", mentions=[PersonRef(*owner)])
            decided = await run(f"decide {handle} frame Good value, needs a kill switch")
            assert "frame" in text(decided).lower(), text(decided)
            handles.append(handle)
        for channel in channels:
            subscribed = await run("subscribe weekly monday 09:00 UTC", channel=channel)
            assert "Monday" in text(subscribed), text(subscribed)
        for user, dm in dms.items():
            await service.platform.remember_address(workspace, f"person:{user}", {"channel": dm})
    finally:
        await service.store.dispose()
    return handles
