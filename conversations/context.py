"""What every handler gets: the transaction, who is asking, where, and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conversations.bank import Bank
from conversations.health import WatchSettings
from conversations.i18n import Translator
from conversations.identity import Identity
from conversations.llm.port import Assistant, NoAssistant
from conversations.messages import Inbound
from storage.models import Person, Workspace
from storage.repository import Repo


@dataclass(frozen=True)
class Context:
    repo: Repo
    workspace: Workspace
    person: Person
    inbound: Inbound
    t: Translator
    bank: Bank
    now: datetime
    watch: WatchSettings = field(default_factory=WatchSettings)
    assistant: Assistant = field(default_factory=NoAssistant)
    rehearsal: bool = False
    """A dry run before asking the model: it is rolled back and counts nothing."""
    identity: Identity = field(default_factory=Identity)
    """Who administers and how a command names a person (conversations.identity)."""

    @property
    def workspace_id(self) -> int:
        assert self.workspace.id is not None
        return self.workspace.id

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id

    @property
    def today(self) -> date:
        """Today where the person is."""
        return self.now.astimezone(zone(self.person.timezone)).date()

    async def audit(self, action: str, poc_id: int | None = None, **detail: object) -> None:
        await self.repo.audits.write(
            self.workspace_id,
            action,
            person_id=self.person_id,
            poc_id=poc_id,
            detail=dict(detail),
            at=self.now,
        )


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
