"""What is deleted, and when: the tables that would otherwise only grow.

- inbound delivery ids, and the inbox rows of handled requests (pending ones
  are never deleted): kept a week (Slack retries for minutes, Bot Framework
  not at all; a week covers any replay a platform makes and lets an operator
  read what came in recently);
- Slack OAuth states: deleted once expired (slack_sdk deletes only the states
  that are used: every anonymous visit of ``/slack/install`` leaves one);
- command uses (``conversations.throttle``): kept a day, far longer than any
  limit's window;
- the audit trail: kept for ever unless ``AUDIT_RETENTION_DAYS`` says otherwise.

:func:`purge` runs at every pass of the watch (``postpoc serve``'s scheduler
and ``postpoc tick``), in one transaction; running it twice, or on two
replicas at once, deletes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.inbox import purge_handled
from storage.repository import Store

DELIVERY_IDS_KEPT = timedelta(days=7)
COMMAND_USES_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class RetentionSettings:
    audit_days: int | None = None
    """Audit events older than this many days are deleted; None: kept."""


@dataclass
class Purged:
    deliveries: int = 0
    oauth_states: int = 0
    command_uses: int = 0
    audit_events: int = 0
    inbox: int = 0

    @property
    def total(self) -> int:
        return (
            self.deliveries + self.oauth_states + self.command_uses + self.audit_events + self.inbox
        )


async def purge(store: Store, now: datetime, settings: RetentionSettings) -> Purged:
    """Delete what is past its retention at ``now``; how many rows of each."""
    async with store.unit() as repo:
        purged = Purged(
            deliveries=await repo.purge_inbound_deliveries(now - DELIVERY_IDS_KEPT),
            oauth_states=await repo.purge_oauth_states(now),
            command_uses=await repo.purge_command_uses(now - COMMAND_USES_KEPT),
            inbox=await purge_handled(repo, now - DELIVERY_IDS_KEPT),
        )
        if settings.audit_days is not None:
            purged.audit_events = await repo.audits.purge(now - timedelta(days=settings.audit_days))
    return purged
