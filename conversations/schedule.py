"""When weekly things are due, in the time zone of the channel or person.

A weekly occurrence is a weekday and a wall-clock time in an IANA time zone:
"Monday 09:00 Europe/Paris" stays at 09:00 in Paris across daylight-saving
changes (07:00 UTC in summer, 08:00 UTC in winter). A wall-clock time that
does not exist on the day the clocks go forward is taken as the same instant
an hour later, as ``zoneinfo`` reads it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "lundi": 0,
    "tuesday": 1,
    "tue": 1,
    "mardi": 1,
    "wednesday": 2,
    "wed": 2,
    "mercredi": 2,
    "thursday": 3,
    "thu": 3,
    "jeudi": 3,
    "friday": 4,
    "fri": 4,
    "vendredi": 4,
    "saturday": 5,
    "sat": 5,
    "samedi": 5,
    "sunday": 6,
    "sun": 6,
    "dimanche": 6,
}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_weekday(word: str) -> int | None:
    folded = unicodedata.normalize("NFKD", word.lower()).encode("ascii", "ignore").decode()
    return _WEEKDAYS.get(folded.strip(".,"))


def parse_time(text: str) -> time | None:
    """``09:00``, ``9:00``, ``9h``, ``9h30`` → a wall-clock time."""
    match = re.fullmatch(r"(\d{1,2})(?:[:h](\d{2})?)?", text.strip().lower())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class Weekly:
    """Every week on ``weekday`` (0 = Monday) at ``at`` in ``zone``."""

    weekday: int
    at: time
    zone: ZoneInfo

    def occurrence(self, on: date) -> datetime:
        """The instant (UTC) of the occurrence in the week of ``on`` (a local date)."""
        monday = on - timedelta(days=on.weekday())
        day = monday + timedelta(days=self.weekday)
        return datetime.combine(day, self.at, tzinfo=self.zone).astimezone(UTC)

    def latest(self, now: datetime) -> datetime:
        """The most recent occurrence at or before ``now``."""
        local_today = now.astimezone(self.zone).date()
        this_week = self.occurrence(local_today)
        return this_week if this_week <= now else self.occurrence(local_today - timedelta(days=7))

    def following(self, now: datetime) -> datetime:
        """The first occurrence after ``now``."""
        local_today = now.astimezone(self.zone).date()
        this_week = self.occurrence(local_today)
        return this_week if this_week > now else self.occurrence(local_today + timedelta(days=7))


def week_key(instant: datetime, zone: ZoneInfo) -> str:
    """The ISO week of ``instant`` where ``zone`` is, e.g. ``2026-W48``: the period
    that a weekly post belongs to, part of its idempotency key."""
    year, week, _ = instant.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def next_working_day(day: date) -> date:
    """``day`` itself on Monday to Friday, else the Monday after."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
