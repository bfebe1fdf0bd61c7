"""The health of a POC: red, amber or green, with the reasons, from stored facts.

Pure: ``watch.py`` loads a :class:`Watched` per POC and calls :func:`assess`.
Each rule yields a :class:`Finding` a person can read; the worst finding sets
the colour. A stopped POC has no health: nobody needs to act on it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum
from typing import Any

from conversations import rubric
from conversations.i18n import N_, Translator
from storage.models import Stage


class Level(IntEnum):
    GREEN = 0
    AMBER = 1
    RED = 2


LEVEL_NAMES = {Level.GREEN: N_("green"), Level.AMBER: N_("amber"), Level.RED: N_("red")}
LEVEL_MARKS = {Level.GREEN: "🟢", Level.AMBER: "🟠", Level.RED: "🔴"}


@dataclass(frozen=True)
class WatchSettings:
    """Thresholds of the weekly watch; each is a setting with this default."""

    decision_overdue_days: int = 30
    stale_answer_days: int = 60
    reading_gap_weeks: int = 3
    trend_readings: int = 3
    review_grace_days: int = 30
    incident_weeks: int = 4


@dataclass(frozen=True)
class IndicatorFacts:
    name: str
    unit: str
    baseline: float | None
    target: float | None
    threshold: float | None
    direction: str
    readings: tuple[tuple[date, float], ...] = ()


@dataclass(frozen=True)
class Watched:
    """What health looks at for one POC, as loaded from storage."""

    handle: str
    title: str
    stage: Stage
    owner_name: str | None
    owner_platform_id: str | None
    owner_away_until: date | None
    manager_named: bool
    stage_changed_on: date
    last_answer_on: date | None
    review_date: date | None
    indicator: IndicatorFacts | None
    incidents_recent: int = 0
    changed_without_retest: bool = False
    open_conditions: tuple[rubric.Reason, ...] = ()
    checkin_missing: bool = False
    reopened_reason: str | None = None
    """Why the watch reopened the decision (``reopenings.REASONS``), while under review."""
    telemetry_silent_since: date | None = None
    """The first failed pull of a telemetry source that still fails."""
    sections_waiting: tuple[SectionWaiting, ...] = ()
    """Sections of the interview handed to someone who has not answered them yet."""


@dataclass(frozen=True)
class SectionWaiting:
    """A section handed over (``conversations.delegation``): its title in each
    language, who holds it, since when."""

    title: dict[str, str]
    holder: str
    since: date


@dataclass(frozen=True)
class Finding:
    code: str
    level: Level
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Health:
    level: Level
    findings: tuple[Finding, ...]

    @property
    def needs_attention(self) -> bool:
        return self.level > Level.GREEN


TEXTS = {
    "no_manager": N_("no named business manager"),
    "decision_overdue": N_("awaiting a decision for {days} days"),
    "answers_stale": N_("answers not updated for {days} days"),
    "no_reading": N_("no indicator reading for {weeks} weeks"),
    "never_read": N_("no indicator reading yet"),
    "trending_away": N_("{indicator} moving away from its target over the last {count} readings"),
    "threshold_broken": N_(
        "{indicator} past its threshold ({threshold}) two weeks running: the decision should be reopened"
    ),
    "review_passed": N_("review date passed on {day}"),
    "incidents": N_("{count} incident(s) reported in the last {weeks} weeks"),
    "changed_without_retest": N_("model, prompt or tool changed without a re-test"),
    "conditions_overdue": N_("{count} condition(s) of the frame decision not met by {day}"),
    "checkin_missing": N_("the latest check-in is unanswered, even after a reminder"),
    "review_due": N_("decision reopened ({reason}): a lead decides again"),
    "telemetry_silent": N_("telemetry not answering since {day}"),
    "section_waiting": N_("{section}: waiting for {holder} since {day}"),
}


REOPEN_REASONS = {
    "threshold": N_("an indicator was past its threshold two readings running"),
    "incident": N_("an incident was reported"),
    "untested_change": N_("the model, prompt or a tool changed without a re-test"),
    "condition_overdue": N_("the frame's review date passed with conditions unmet"),
    "owner_left": N_("its owner left"),
    "overseer_left": N_("its overseer left"),
}
"""Why the watch reopens a decision (``reopenings.py``), by the key the audit trail keeps."""


def describe(finding: Finding, t: Translator) -> str:
    params = {k: (t.date(v) if isinstance(v, date) else v) for k, v in finding.params.items()}
    if isinstance(titles := finding.params.get("section"), dict):
        params["section"] = titles.get(t.language) or titles.get("en", "")
    if finding.code == "review_due":
        reason = str(params.get("reason", ""))
        params["reason"] = t(REOPEN_REASONS[reason]) if reason in REOPEN_REASONS else reason
    return t(TEXTS[finding.code], **params)


def assess(poc: Watched, today: date, settings: WatchSettings = WatchSettings()) -> Health:
    if poc.stage == Stage.STOPPED:
        return Health(Level.GREEN, ())
    findings = [
        f
        for rule in (
            _review_due,
            _manager,
            _decision_overdue,
            _stale,
            _readings,
            _trend,
            _threshold,
            _review,
            _incidents,
            _retest,
            _conditions,
            _checkin,
            _telemetry,
        )
        if (f := rule(poc, today, settings)) is not None
    ]
    findings += _sections_waiting(poc)
    level = max((f.level for f in findings), default=Level.GREEN)
    return Health(level, tuple(findings))


_RUNNING = (Stage.FRAMED, Stage.INDUSTRIALISED, Stage.REVIEW_DUE)


def _review_due(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.stage != Stage.REVIEW_DUE:
        return None
    return Finding("review_due", Level.RED, {"reason": poc.reopened_reason or ""})


def _telemetry(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.telemetry_silent_since is None:
        return None
    return Finding("telemetry_silent", Level.AMBER, {"day": poc.telemetry_silent_since})


def _manager(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.manager_named:
        return None
    return Finding("no_manager", Level.RED if poc.stage in _RUNNING else Level.AMBER)


def _decision_overdue(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.stage != Stage.ASSESSING:
        return None
    days = (today - poc.stage_changed_on).days
    if days <= s.decision_overdue_days:
        return None
    level = Level.RED if days > 2 * s.decision_overdue_days else Level.AMBER
    return Finding("decision_overdue", level, {"days": days})


def _stale(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.stage not in (Stage.POC, Stage.ASSESSING):
        return None
    since = poc.last_answer_on or poc.stage_changed_on
    days = (today - since).days
    return (
        Finding("answers_stale", Level.AMBER, {"days": days})
        if days > s.stale_answer_days
        else None
    )


def _readings(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.stage not in _RUNNING or poc.indicator is None or _away(poc, today):
        return None
    readings = poc.indicator.readings
    if not readings:
        weeks = (today - poc.stage_changed_on).days // 7
        if weeks < s.reading_gap_weeks:
            return None
        return Finding("never_read", Level.RED if weeks >= 2 * s.reading_gap_weeks else Level.AMBER)
    weeks = (today - readings[-1][0]).days // 7
    if weeks < s.reading_gap_weeks:
        return None
    level = Level.RED if weeks >= 2 * s.reading_gap_weeks else Level.AMBER
    return Finding("no_reading", level, {"weeks": weeks})


def _worse(direction: str, before: float, after: float) -> bool:
    return after > before if direction == "lower" else after < before


def _beyond(direction: str, value: float, threshold: float) -> bool:
    return value > threshold if direction == "lower" else value < threshold


def _trend(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    indicator = poc.indicator
    if indicator is None or len(indicator.readings) < s.trend_readings:
        return None
    values = [v for _, v in indicator.readings[-s.trend_readings :]]
    if all(_worse(indicator.direction, a, b) for a, b in itertools.pairwise(values)):
        return Finding(
            "trending_away", Level.AMBER, {"indicator": indicator.name, "count": s.trend_readings}
        )
    return None


def _threshold(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    indicator = poc.indicator
    if indicator is None or indicator.threshold is None or len(indicator.readings) < 2:
        return None
    (first_day, first), (second_day, second) = indicator.readings[-2:]
    two_weeks = (second_day - first_day).days >= 7 or second_day.isocalendar()[
        1
    ] != first_day.isocalendar()[1]
    if two_weeks and all(
        _beyond(indicator.direction, v, indicator.threshold) for v in (first, second)
    ):
        return Finding(
            "threshold_broken",
            Level.RED,
            {"indicator": indicator.name, "threshold": indicator.threshold},
        )
    return None


def _review(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.review_date is None or poc.review_date >= today:
        return None
    late = (today - poc.review_date).days
    level = Level.RED if late > s.review_grace_days else Level.AMBER
    return Finding("review_passed", level, {"day": poc.review_date})


def _incidents(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.incidents_recent <= 0:
        return None
    return Finding(
        "incidents", Level.RED, {"count": poc.incidents_recent, "weeks": s.incident_weeks}
    )


def _retest(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    return Finding("changed_without_retest", Level.RED) if poc.changed_without_retest else None


def _conditions(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if poc.stage != Stage.FRAMED or not poc.open_conditions or poc.review_date is None:
        return None
    if poc.review_date >= today:
        return None
    return Finding(
        "conditions_overdue", Level.RED, {"count": len(poc.open_conditions), "day": poc.review_date}
    )


def _checkin(poc: Watched, today: date, s: WatchSettings) -> Finding | None:
    if not poc.checkin_missing or _away(poc, today):
        return None
    return Finding("checkin_missing", Level.AMBER)


def _sections_waiting(poc: Watched) -> list[Finding]:
    """Each handed section still unanswered: the recommendation waits for it."""
    return [
        Finding(
            "section_waiting",
            Level.AMBER,
            {"section": dict(w.title), "holder": w.holder, "day": w.since},
        )
        for w in poc.sections_waiting
    ]


def _away(poc: Watched, today: date) -> bool:
    return poc.owner_away_until is not None and poc.owner_away_until >= today


def is_away(poc: Watched, today: date) -> bool:
    return _away(poc, today)


def weeks_ago(today: date, weeks: int) -> date:
    return today - timedelta(weeks=weeks)
