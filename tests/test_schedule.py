"""When weekly posts are due, across time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from conversations.schedule import Weekly, next_working_day, parse_time, parse_weekday, week_key

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_monday_nine_in_paris_is_eight_utc_in_winter_and_seven_in_summer() -> None:
    weekly = Weekly(0, time(9, 0), PARIS)
    assert weekly.latest(utc(2026, 11, 30, 12)) == utc(2026, 11, 30, 8)
    assert weekly.latest(utc(2026, 6, 1, 12)) == utc(2026, 6, 1, 7)


def test_the_week_the_clocks_go_forward_keeps_nine_local() -> None:
    # Paris moves to summer time on Sunday 29 March 2026.
    weekly = Weekly(0, time(9, 0), PARIS)
    before = weekly.latest(utc(2026, 3, 27, 12))
    after = weekly.following(utc(2026, 3, 27, 12))
    assert before == utc(2026, 3, 23, 8)
    assert after == utc(2026, 3, 30, 7)
    assert after.astimezone(PARIS).hour == 9


def test_the_week_the_clocks_go_back_keeps_nine_local_in_new_york() -> None:
    # New York returns to standard time on Sunday 1 November 2026.
    weekly = Weekly(0, time(9, 0), NEW_YORK)
    assert weekly.following(utc(2026, 10, 30)) == utc(2026, 11, 2, 14)
    assert weekly.latest(utc(2026, 10, 30)) == utc(2026, 10, 26, 13)


def test_a_time_inside_the_spring_gap_is_read_an_hour_later() -> None:
    weekly = Weekly(6, time(2, 30), PARIS)  # Sunday 02:30 does not exist on 29 March
    assert weekly.following(utc(2026, 3, 28)) == utc(2026, 3, 29, 1, 30)


def test_just_before_and_at_the_due_time() -> None:
    weekly = Weekly(2, time(16, 45), NEW_YORK)
    due = utc(2026, 12, 2, 21, 45)
    assert weekly.latest(due) == due
    assert weekly.latest(utc(2026, 12, 2, 21, 44)) == utc(2026, 11, 25, 21, 45)


def test_the_period_is_the_local_iso_week() -> None:
    # Monday 00:30 in Paris is still Sunday in UTC: the week is Paris's.
    instant = utc(2026, 11, 29, 23, 30)
    assert week_key(instant, PARIS) == "2026-W49"
    assert week_key(instant, ZoneInfo("UTC")) == "2026-W48"


@pytest.mark.parametrize(
    ("word", "day"), [("monday", 0), ("Lundi", 0), ("FRI", 4), ("dimanche", 6), ("jeudi.", 3)]
)
def test_days_in_english_and_french(word: str, day: int) -> None:
    assert parse_weekday(word) == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", time(9)), ("9h", time(9)), ("9h30", time(9, 30)), ("17:05", time(17, 5))],
)
def test_times_of_day(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9:60", "noon", "", "9:5"])
def test_times_that_are_not(text: str) -> None:
    assert parse_time(text) is None


def test_weekends_move_to_monday() -> None:
    from datetime import date

    assert next_working_day(date(2026, 11, 28)) == date(2026, 11, 30)
    assert next_working_day(date(2026, 11, 27)) == date(2026, 11, 27)
