"""Where postpoc is installed: one installation per workspace (tenant) key.

An adapter names a workspace by its key (``slack:T123``, ``teams:<tenant>``,
``console:local``). Installing the bot (again) activates it; removing it, or
the platform revoking its tokens, deactivates it: nothing is posted there
again, and its data stays until an admin exports or erases it. The bot's own
tokens stay with the platform's SDK (slack_sdk's installation store; Teams'
app credentials): the core never holds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Installation:
    id: int
    key: str
    name: str = ""
    active: bool = True


class Installs(Protocol):
    async def find(self, key: str) -> Installation | None: ...

    async def by_id(self, installation_id: int) -> Installation | None: ...

    async def ensure(self, key: str) -> Installation:
        """The installation of ``key``, made (active, unnamed) if there is none."""
        ...

    async def activate(self, key: str, name: str = "") -> Installation:
        """The bot was installed (again) in ``key``: active, and named ``name`` when given."""
        ...

    async def deactivate(self, key: str) -> Installation | None:
        """The bot was removed from ``key``. The installation as it is now, or
        None when there was nothing to deactivate (unknown, or removed already)."""
        ...

    async def every(self) -> Sequence[Installation]:
        """Every installation, active or not, in the order they were made."""
        ...
