"""Health rules, one by one: the colour and the reason a channel will read."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from conversations import health
from conversations.health import IndicatorFacts, Level, Watched
from conversations.i18n import Translator
from conversations.rubric import Reason
from storage.models import Stage

TODAY = date(2026, 11, 30)
EN = Translator("en")


def weeks(n: int) -> date:
    return TODAY - timedelta(weeks=n)


def indicator(
    *values: float, threshold: float | None = 25, direction: str = "lower", start: int = 4
) -> IndicatorFacts:
    readings = tuple((weeks(start - i), v) for i, v in enumerate(values))
    return IndicatorFacts("handling time", "minutes", 40, 15, threshold, direction, readings)


HEALTHY = Watched(
    handle="invoice-agent",
    title="Invoice agent",
    stage=Stage.INDUSTRIALISED,
    owner_name="Omar",
    owner_platform_id="omar",
    owner_away_until=None,
    manager_named=True,
    stage_changed_on=weeks(10),
    last_answer_on=weeks(10),
    review_date=TODAY + timedelta(days=60),
    indicator=indicator(14, 13, 14, 12, start=3),
)


def codes(poc: Watched) -> list[str]:
    return [f.code for f in health.assess(poc, TODAY).findings]


def test_a_well_kept_agent_is_green() -> None:
    result = health.assess(HEALTHY, TODAY)
    assert result.level is Level.GREEN and result.findings == ()


def test_no_named_manager_is_red_in_production_and_amber_before() -> None:
    assert health.assess(replace(HEALTHY, manager_named=False), TODAY).level is Level.RED
    before = replace(
        HEALTHY, manager_named=False, stage=Stage.POC, indicator=None, last_answer_on=weeks(1)
    )
    assert health.assess(before, TODAY).level is Level.AMBER
    assert codes(before) == ["no_manager"]


def test_a_decision_overdue_turns_amber_then_red() -> None:
    waiting = replace(HEALTHY, stage=Stage.ASSESSING, indicator=None, last_answer_on=weeks(1))
    assert codes(replace(waiting, stage_changed_on=TODAY - timedelta(days=29))) == []
    amber = health.assess(replace(waiting, stage_changed_on=TODAY - timedelta(days=31)), TODAY)
    assert (amber.level, amber.findings[0].code) == (Level.AMBER, "decision_overdue")
    assert health.describe(amber.findings[0], EN) == "awaiting a decision for 31 days"
    assert (
        health.assess(replace(waiting, stage_changed_on=TODAY - timedelta(days=61)), TODAY).level
        is Level.RED
    )


def test_stale_answers_before_a_decision() -> None:
    stale = replace(
        HEALTHY,
        stage=Stage.ASSESSING,
        stage_changed_on=weeks(1),
        last_answer_on=TODAY - timedelta(days=61),
        indicator=None,
    )
    assert codes(stale) == ["answers_stale"]


def test_no_reading_for_weeks() -> None:
    assert codes(replace(HEALTHY, indicator=indicator(14, start=3))) == ["no_reading"]
    gone = health.assess(replace(HEALTHY, indicator=indicator(14, start=6)), TODAY)
    assert gone.level is Level.RED
    assert codes(replace(HEALTHY, indicator=replace(indicator(), readings=()))) == ["never_read"]


def test_an_indicator_moving_away_from_its_target() -> None:
    assert codes(replace(HEALTHY, indicator=indicator(13, 16, 19, start=2))) == ["trending_away"]
    # Higher is better: falling values move away.
    rising = replace(
        HEALTHY, indicator=indicator(80, 75, 70, threshold=None, direction="higher", start=2)
    )
    assert codes(rising) == ["trending_away"]
    assert codes(replace(HEALTHY, indicator=indicator(19, 16, 13, start=2))) == []


def test_a_threshold_broken_two_weeks_running_reopens_the_decision() -> None:
    broken = health.assess(replace(HEALTHY, indicator=indicator(26, 27, start=1)), TODAY)
    assert broken.level is Level.RED and "threshold_broken" in [f.code for f in broken.findings]
    assert "reopened" in health.describe(
        next(f for f in broken.findings if f.code == "threshold_broken"), EN
    )
    assert "threshold_broken" not in codes(replace(HEALTHY, indicator=indicator(14, 27, start=1)))


def test_a_passed_review_date() -> None:
    assert (
        health.assess(replace(HEALTHY, review_date=TODAY - timedelta(days=3)), TODAY).level
        is Level.AMBER
    )
    assert (
        health.assess(replace(HEALTHY, review_date=TODAY - timedelta(days=31)), TODAY).level
        is Level.RED
    )


def test_incidents_and_untested_changes_are_red() -> None:
    assert health.assess(replace(HEALTHY, incidents_recent=2), TODAY).level is Level.RED
    assert health.describe(
        health.assess(replace(HEALTHY, incidents_recent=2), TODAY).findings[0], EN
    ).startswith("2 incident")
    assert codes(replace(HEALTHY, changed_without_retest=True)) == ["changed_without_retest"]


def test_frame_conditions_not_met_by_the_review_date() -> None:
    framed = replace(HEALTHY, stage=Stage.FRAMED, open_conditions=(Reason("rehearse_kill_switch"),))
    assert codes(framed) == []
    overdue = replace(framed, review_date=TODAY - timedelta(days=1))
    assert set(codes(overdue)) == {"conditions_overdue", "review_passed"}
    assert health.assess(overdue, TODAY).level is Level.RED


def test_a_missed_check_in_unless_the_owner_is_away() -> None:
    missed = replace(HEALTHY, checkin_missing=True)
    assert codes(missed) == ["checkin_missing"]
    assert codes(replace(missed, owner_away_until=TODAY + timedelta(days=7))) == []


def test_a_stopped_agent_needs_nobody() -> None:
    assert (
        health.assess(replace(HEALTHY, stage=Stage.STOPPED, manager_named=False), TODAY).findings
        == ()
    )


@pytest.mark.parametrize("code", sorted(health.TEXTS))
def test_every_finding_reads_in_french(code: str) -> None:
    params = {"days": 3, "weeks": 2, "count": 2, "indicator": "x", "threshold": 25, "day": TODAY}
    params |= {"section": {"en": "Integration and run", "fr": "Intégration"}, "holder": "Nadia"}
    text = health.describe(health.Finding(code, Level.RED, params), Translator("fr"))
    assert text and "{" not in text


def test_a_section_still_waiting_for_its_holder_is_a_reason() -> None:
    titles = {"en": "Integration and run", "fr": "Intégration et exploitation"}
    waiting = replace(
        HEALTHY, sections_waiting=(health.SectionWaiting(titles, "Nadia", date(2026, 6, 3)),)
    )
    found = health.assess(waiting, TODAY)
    assert found.level is Level.AMBER
    assert [health.describe(f, Translator("en")) for f in found.findings] == [
        "Integration and run: waiting for Nadia since Jun 3, 2026"
    ]
    assert [health.describe(f, Translator("fr")) for f in found.findings] == [
        "Intégration et exploitation : en attente de Nadia depuis le 3 juin 2026"
    ]
