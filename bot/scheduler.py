"""The weekly watch, run in-process (``postpoc serve``, ``postpoc chat``) or as
one pass (``postpoc tick``, for a CronJob). Any number may run at once: every
post is keyed, claimed and recorded in the database. Each pass also deletes
what is past its retention (``conversations.retention``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import time

from bot.config import Settings
from bot.prometheus import PrometheusReader
from conversations.delivery import Messenger
from conversations.outbox import Outbox
from conversations.retention import RetentionSettings
from conversations.service import Service
from conversations.watch import CheckinSettings, TickReport, Watch

log = logging.getLogger("postpoc.scheduler")


def build_watch(service: Service, messengers: Mapping[str, Messenger], settings: Settings) -> Watch:
    hour, minute = (int(part) for part in settings.checkin_time.split(":"))
    sender = Outbox(service.store, messengers, clock=service.clock)
    return Watch(
        service.store,
        sender,
        clock=service.clock,
        bank=service.bank,
        settings=service.watch_settings,
        checkin_settings=CheckinSettings(
            weekday=settings.checkin_weekday,
            at=time(hour, minute),
            reminder_hours=settings.checkin_reminder_hours,
        ),
        retention_settings=RetentionSettings(audit_days=settings.audit_retention_days),
        metrics=PrometheusReader(settings.telemetry_timeout_seconds),
    )


def summarise(report: TickReport) -> str:
    plan, drain = report.plan, report.drain
    return (
        f"planned {plan.nudges} nudges, {plan.checkins} check-ins, {plan.reminders} reminders; "
        f"sent {drain.sent}, recovered {drain.recovered}, rescheduled {drain.rescheduled}, "
        f"failed {drain.failed}, unconfirmed {drain.unconfirmed}; "
        f"purged {report.purged.total} old rows"
    )


async def run_forever(watch: Watch, interval: float) -> None:
    """A pass every ``interval`` seconds until cancelled; a failed pass is logged, not fatal."""
    while True:
        try:
            report = await watch.tick()
            if (
                report.plan.nudges
                or report.plan.checkins
                or report.drain.sent
                or report.drain.failed
                or report.purged.total
            ):
                log.info("watch pass: %s", summarise(report))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watch pass failed; the next one will try again")
        await asyncio.sleep(interval)
