"""The contract of :class:`storage.repository.Repo`, on SQLite and PostgreSQL.

Everything read back is read in a later unit (a new session), so that it comes
from the database and not from the session's identity map.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import StatementError

from storage.models import (
    Answer,
    Assessment,
    Decision,
    Indicator,
    Interview,
    InterviewStatus,
    Outcome,
    Person,
    Poc,
    Reading,
    Role,
    Stage,
)
from storage.repository import Conflict, StaleRevision, Store

pytestmark = pytest.mark.storage

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class Seed:
    workspace_id: int
    person_id: int
    poc_id: int
    interview_id: int


async def seed(store: Store, key: str = "T1") -> Seed:
    """A workspace with one person, one POC and its interview."""
    async with store.unit() as repo:
        workspace = await repo.add_workspace(key, "Acme")
        assert workspace.id is not None
        person = await repo.add_person(
            Person(workspace_id=workspace.id, platform_id="U1", display_name="Ada")
        )
        assert person.id is not None
        poc = await repo.add_poc(
            Poc(workspace_id=workspace.id, handle="chatbot", title="Chatbot", owner_id=person.id)
        )
        assert poc.id is not None
        interview = await repo.add_interview(
            Interview(poc_id=poc.id, flow="intake", flow_version=1, current_key="purpose")
        )
        assert interview.id is not None
    return Seed(workspace.id, person.id, poc.id, interview.id)


def answer(s: Seed, key: str, value: Any, minutes: int = 0, skipped: bool = False) -> Answer:
    return Answer(
        poc_id=s.poc_id,
        interview_id=s.interview_id,
        question_key=key,
        value=value,
        skipped=skipped,
        person_id=s.person_id,
        created_at=at(minutes),
    )


def assert_exactly(got: Any, expected: Any) -> None:
    """Equal, and of the same types all the way down (True is not 1, 1.0 is not 1)."""
    assert type(got) is type(expected), (got, expected)
    if isinstance(expected, dict):
        assert got.keys() == expected.keys()
        for k in expected:
            assert_exactly(got[k], expected[k])
    elif isinstance(expected, list):
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert_exactly(g, e)
    else:
        assert got == expected


def assert_utc(value: datetime | None, expected: datetime) -> None:
    assert value is not None
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0), value
    assert value == expected


# -- workspaces and people --------------------------------------------------


async def test_a_workspace_is_found_by_its_key(store: Store) -> None:
    async with store.unit() as repo:
        created = await repo.add_workspace("T1", "Acme")
        await repo.add_workspace("T2", "Other")
    async with store.unit() as repo:
        found = await repo.workspace("T1")
        missing = await repo.workspace("T3")
    assert found is not None
    assert (found.id, found.key, found.name, found.active) == (created.id, "T1", "Acme", True)
    assert found.settings == {}
    assert found.created_at.tzinfo is not None
    assert missing is None


async def test_a_workspace_key_is_unique(store: Store) -> None:
    async with store.unit() as repo:
        await repo.add_workspace("T1")
    with pytest.raises(Conflict):
        async with store.unit() as repo:
            await repo.add_workspace("T1")


async def test_people_of_a_workspace(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")
    async with store.unit() as repo:
        grace = await repo.add_person(
            Person(
                workspace_id=s.workspace_id,
                platform_id="U2",
                display_name="Grace",
                locale="fr",
                timezone="Europe/Paris",
                role=Role.LEAD,
                away_until=date(2026, 4, 1),
            )
        )
    async with store.unit() as repo:
        by_platform = await repo.person(s.workspace_id, "U2")
        by_id = await repo.person_by_id(grace.id or 0)
        people = await repo.people(s.workspace_id)
        count = await repo.count_people(s.workspace_id)
        assert await repo.person(s.workspace_id, "U9") is None
        assert await repo.person_by_id(10_000) is None
    assert by_platform is not None and by_id is not None
    assert by_platform.id == by_id.id == grace.id
    assert (by_id.locale, by_id.timezone, by_id.role, by_id.away_until) == (
        "fr",
        "Europe/Paris",
        Role.LEAD,
        date(2026, 4, 1),
    )
    assert [p.id for p in people] == [s.person_id, grace.id]
    assert count == 2
    assert other.person_id not in {p.id for p in people}


async def test_a_platform_id_is_unique_within_a_workspace_only(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")
    with pytest.raises(Conflict):
        async with store.unit() as repo:
            await repo.add_person(Person(workspace_id=s.workspace_id, platform_id="U7"))
            await repo.add_person(Person(workspace_id=s.workspace_id, platform_id="U7"))
    async with store.unit() as repo:
        assert await repo.person(s.workspace_id, "U7") is None  # the whole unit rolled back
        # "U1" exists in both workspaces (seed), each its own person.
        first = await repo.person(s.workspace_id, "U1")
        second = await repo.person(other.workspace_id, "U1")
    assert first is not None and second is not None and first.id != second.id


async def test_find_people_ignores_case(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")
    async with store.unit() as repo:
        for platform_id, name in [("UÉ1", "Élodie Ørsted"), ("U3", "ΣΟΦΙΑ"), ("W9ABC", "Bob")]:
            await repo.add_person(
                Person(workspace_id=s.workspace_id, platform_id=platform_id, display_name=name)
            )

    async def names(query: str, workspace_id: int = s.workspace_id) -> list[str]:
        async with store.unit() as repo:
            return sorted(p.display_name for p in await repo.find_people(workspace_id, query))

    assert await names("ada") == ["Ada"]
    assert await names("ADA") == ["Ada"]
    assert await names("w9abc") == ["Bob"]  # by platform id
    assert await names("u1") == ["Ada"]  # not Ada of the other workspace
    assert await names("ad") == []  # whole names only
    assert await names("nobody") == []
    assert await names("élodie ørsted") == ["Élodie Ørsted"]
    assert await names("ÉLODIE ØRSTED") == ["Élodie Ørsted"]
    assert await names("σοφια") == ["ΣΟΦΙΑ"]
    assert await names("ada", other.workspace_id) == ["Ada"]


async def test_set_role(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        person = await repo.person_by_id(s.person_id)
        assert person is not None and person.role == Role.MEMBER
        await repo.set_role(person, Role.ADMIN)
    async with store.unit() as repo:
        person = await repo.person_by_id(s.person_id)
    assert person is not None and person.role == Role.ADMIN


# -- POCs ---------------------------------------------------------------------


async def test_a_handle_is_unique_within_a_workspace_only(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")  # also has a "chatbot": allowed
    with pytest.raises(Conflict):
        async with store.unit() as repo:
            await repo.add_poc(Poc(workspace_id=s.workspace_id, handle="chatbot", title="Again"))
    async with store.unit() as repo:
        mine = await repo.poc(s.workspace_id, "chatbot")
        theirs = await repo.poc(other.workspace_id, "CHATBOT")  # looked up ignoring case
    assert mine is not None and mine.id == s.poc_id and mine.title == "Chatbot"
    assert theirs is not None and theirs.id == other.poc_id


async def test_pocs_of_a_workspace(store: Store) -> None:
    s = await seed(store)
    await seed(store, "T2")
    async with store.unit() as repo:
        for handle in ("zeta", "alpha"):
            await repo.add_poc(Poc(workspace_id=s.workspace_id, handle=handle, title=handle))
    async with store.unit() as repo:
        pocs = await repo.pocs(s.workspace_id)
        handles = await repo.handles(s.workspace_id)
        by_id = await repo.poc_by_id(s.poc_id)
        assert await repo.poc(s.workspace_id, "nope") is None
        assert await repo.poc_by_id(10_000) is None
    assert [p.handle for p in pocs] == ["alpha", "chatbot", "zeta"]
    assert handles == {"alpha", "chatbot", "zeta"}
    assert by_id is not None and by_id.owner_id == s.person_id and by_id.stage == Stage.POC


async def test_save_and_set_stage(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        poc = await repo.poc_by_id(s.poc_id)
        assert poc is not None
        poc.title = "Support chatbot"
        poc.review_date = date(2026, 6, 30)
        await repo.save(poc)
        await repo.set_stage(poc, Stage.ASSESSING, at(1))
    async with store.unit() as repo:
        poc = await repo.poc_by_id(s.poc_id)
        assert poc is not None
        await repo.set_stage(poc, Stage.ASSESSING, at(2))  # same stage: no change
    async with store.unit() as repo:
        poc = await repo.poc_by_id(s.poc_id)
    assert poc is not None
    assert (poc.title, poc.review_date, poc.stage) == (
        "Support chatbot",
        date(2026, 6, 30),
        Stage.ASSESSING,
    )
    assert_utc(poc.stage_changed_at, at(1))


# -- interviews -----------------------------------------------------------------


async def test_interviews_of_a_poc_and_of_a_person(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        held = [
            await repo.add_interview(
                Interview(
                    poc_id=s.poc_id,
                    flow="intake",
                    flow_version=1,
                    held_by_id=s.person_id,
                    channel_id="D1",
                    status=status,
                    updated_at=at(minutes),
                )
            )
            for status, minutes in [
                (InterviewStatus.ACTIVE, 5),
                (InterviewStatus.ACTIVE, 9),
                (InterviewStatus.ACTIVE, 1),
                (InterviewStatus.PAUSED, 20),
            ]
        ]
    async with store.unit() as repo:
        by_id = await repo.interview(s.interview_id)
        latest = await repo.latest_interview(s.poc_id, flow="intake")
        taking = await repo.interview_held_by(s.person_id)
        assert await repo.interview(10_000) is None
        assert await repo.latest_interview(10_000) is None
        assert await repo.interview_held_by(10_000) is None
    assert by_id is not None and (by_id.flow, by_id.revision, by_id.current_key) == (
        "intake",
        0,
        "purpose",
    )
    assert latest is not None and latest.id == held[-1].id
    # The active one moved last, not the paused one nor the last created.
    assert taking is not None and taking.id == held[1].id


async def test_move_interview_bumps_the_revision_once(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        interview = await repo.interview(s.interview_id)
        assert interview is not None
        await repo.move_interview(interview, 0, current_key="users", updated_at=at(3))
        assert (interview.revision, interview.current_key) == (1, "users")  # refreshed

    with pytest.raises(StaleRevision):
        async with store.unit() as repo:
            interview = await repo.interview(s.interview_id)
            assert interview is not None
            await repo.record_answer(answer(s, "purpose", "lost"))
            await repo.move_interview(interview, 0, current_key="lost")

    async with store.unit() as repo:
        interview = await repo.interview(s.interview_id)
        assert interview is not None
        assert (interview.revision, interview.current_key) == (1, "users")
        assert_utc(interview.updated_at, at(3))
        assert await repo.current_answers(s.poc_id) == {}  # rolled back with the move
        await repo.move_interview(interview, 1, status=InterviewStatus.COMPLETE, completed_at=at(4))
    async with store.unit() as repo:
        interview = await repo.interview(s.interview_id)
    assert interview is not None
    assert (interview.revision, interview.status) == (2, InterviewStatus.COMPLETE)
    assert_utc(interview.completed_at, at(4))


# -- answers -------------------------------------------------------------------


async def test_an_answer_supersedes_the_previous_one_and_history_is_kept(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        assert await repo.record_answer(answer(s, "purpose", "first", 1)) is None
        await repo.record_answer(answer(s, "users", 40, 2))
    async with store.unit() as repo:
        previous = await repo.record_answer(answer(s, "purpose", "second", 3))
    assert previous is not None and previous.value == "first"
    async with store.unit() as repo:
        await repo.record_answer(answer(s, "purpose", None, 5, skipped=True))

    async with store.unit() as repo:
        history = await repo.answer_history(s.poc_id, "purpose")
        current = await repo.current_answers(s.poc_id)
    assert [a.value for a in history] == ["first", "second", None]
    assert [a.skipped for a in history] == [False, False, True]
    assert_utc(history[0].superseded_at, at(3))
    assert_utc(history[1].superseded_at, at(5))
    assert history[2].superseded_at is None
    assert sorted(current) == ["purpose", "users"]
    assert current["purpose"].id == history[2].id and current["purpose"].skipped
    assert current["users"].value == 40


async def test_answers_belong_to_their_poc(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")
    async with store.unit() as repo:
        await repo.record_answer(answer(s, "purpose", "mine"))
        await repo.record_answer(answer(other, "purpose", "theirs"))
    async with store.unit() as repo:
        mine = await repo.current_answers(s.poc_id)
        history = await repo.answer_history(s.poc_id, "purpose")
    assert mine["purpose"].value == "mine"
    assert [a.value for a in history] == ["mine"]


ARABIC = "مرحبا، هذا إثبات مفهوم للذكاء الاصطناعي"
HEBREW_MIXED = "שלום POC-42 עולם (RTL) ١٢٣"
EMOJI = "👩🏽‍💻 ships 🚀 🇫🇷 ❤️‍🔥 ✅"
LONG_TEXT = ("Écrire 0123456789 ✓ " * 500)[:10_000]

VALUES: dict[str, Any] = {
    "long": LONG_TEXT,
    "emoji": EMOJI,
    "arabic": ARABIC,
    "hebrew": HEBREW_MIXED,
    "empty": "",
    "true": True,
    "false": False,
    "int": 42,
    "float": 0.1,
    "tiny_float": -1.5e-7,
    "list": [1, 2.5, 3.0, "trois", True, None, [EMOJI]],
    "dict": {"unit": "%", "n": 3, "ok": False, "rate": 1.0, "none": None, ARABIC: [{}]},
    "none": None,
}


async def test_values_round_trip_exactly(store: Store) -> None:
    s = await seed(store)
    assert len(LONG_TEXT) == 10_000
    async with store.unit() as repo:
        for key, value in VALUES.items():
            await repo.record_answer(answer(s, key, value))
        await repo.add_person(
            Person(workspace_id=s.workspace_id, platform_id=EMOJI, display_name=HEBREW_MIXED)
        )
        decision = await repo.add_decision(
            Decision(
                poc_id=s.poc_id,
                outcome=Outcome.FRAME,
                rationale=LONG_TEXT + EMOJI + ARABIC,
                conditions=[{"text": ARABIC, "due": "2026-06-01", "done": False}],
                decided_by_id=s.person_id,
            )
        )
    async with store.unit() as repo:
        current = await repo.current_answers(s.poc_id)
        person = await repo.person(s.workspace_id, EMOJI)
        latest = await repo.latest_decision(s.poc_id)
    assert sorted(current) == sorted(VALUES)
    for key, value in VALUES.items():
        assert_exactly(current[key].value, value)
    assert person is not None and person.display_name == HEBREW_MIXED
    assert latest is not None and latest.id == decision.id
    assert latest.rationale == LONG_TEXT + EMOJI + ARABIC
    assert_exactly(latest.conditions, [{"text": ARABIC, "due": "2026-06-01", "done": False}])


async def test_top_level_numbers_keep_their_type(store: Store) -> None:
    s = await seed(store)
    numbers = {"whole_float": 3.0, "big_int": 12345678901234567890}
    async with store.unit() as repo:
        for key, value in numbers.items():
            await repo.record_answer(answer(s, key, value))
    async with store.unit() as repo:
        current = await repo.current_answers(s.poc_id)
    assert_exactly({key: current[key].value for key in numbers}, numbers)


async def test_time_stamps_come_back_aware_in_utc(store: Store) -> None:
    s = await seed(store)
    paris_summer = datetime(2026, 7, 14, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2)))
    async with store.unit() as repo:
        interview = await repo.add_interview(
            Interview(
                poc_id=s.poc_id,
                flow="intake",
                flow_version=1,
                started_at=paris_summer,
                updated_at=T0,
                completed_at=paris_summer,
            )
        )
        await repo.audits.write(s.workspace_id, "poc.created", at=paris_summer)
    async with store.unit() as repo:
        stored = await repo.interview(interview.id or 0)
        events = await repo.audits.of_workspace(s.workspace_id)
        workspace = await repo.workspace("T1")
    assert stored is not None and workspace is not None
    assert_utc(stored.started_at, paris_summer)
    assert stored.started_at.hour == 21  # converted, not relabelled
    assert_utc(stored.updated_at, T0)
    assert_utc(stored.completed_at, paris_summer)
    assert_utc(events[0].created_at, paris_summer)
    assert_utc(workspace.created_at, workspace.created_at)


async def test_a_naive_time_stamp_is_refused(store: Store) -> None:
    s = await seed(store)
    with pytest.raises((ValueError, StatementError), match="naive"):
        async with store.unit() as repo:
            await repo.audits.write(s.workspace_id, "poc.created", at=datetime(2026, 1, 1, 12, 0))


# -- deduplication of deliveries -------------------------------------------------


async def test_claim_delivery_once_per_workspace(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")
    async with store.unit() as repo:
        assert await repo.claim_delivery(s.workspace_id, "Ev1") is True
        assert await repo.claim_delivery(s.workspace_id, "Ev1") is False
        # The transaction is still usable after losing.
        await repo.add_person(Person(workspace_id=s.workspace_id, platform_id="U2"))
        assert await repo.claim_delivery(other.workspace_id, "Ev1") is True
        assert await repo.claim_delivery(s.workspace_id, "Ev2") is True
    async with store.unit() as repo:
        assert await repo.claim_delivery(s.workspace_id, "Ev1") is False
        assert await repo.claim_delivery(other.workspace_id, "Ev1") is False
        assert await repo.claim_delivery(s.workspace_id, "Ev2") is False
        assert await repo.claim_delivery(other.workspace_id, "Ev2") is True
        assert await repo.person(s.workspace_id, "U2") is not None


async def test_a_claim_is_undone_when_its_unit_fails(store: Store) -> None:
    s = await seed(store)
    with pytest.raises(RuntimeError):
        async with store.unit() as repo:
            assert await repo.claim_delivery(s.workspace_id, "Ev1") is True
            raise RuntimeError("handling failed")
    async with store.unit() as repo:
        assert await repo.claim_delivery(s.workspace_id, "Ev1") is True


# -- indicators, readings, assessments, decisions -----------------------------------


async def test_readings_come_in_date_order(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        indicator = await repo.add_indicator(
            Indicator(poc_id=s.poc_id, name="resolution rate", unit="%", baseline=40, target=60)
        )
        second = await repo.add_indicator(Indicator(poc_id=s.poc_id, name="cost", unit="€"))
        assert indicator.id is not None
        for value, day in [(55.5, 3), (48.0, 1), (61.25, 10), (52.0, 3)]:
            await repo.add_reading(
                Reading(
                    indicator_id=indicator.id,
                    value=value,
                    taken_on=date(2026, 3, day),
                    person_id=s.person_id,
                )
            )
    async with store.unit() as repo:
        indicators = await repo.indicators(s.poc_id)
        readings = await repo.readings(indicator.id)
        assert await repo.readings(second.id or 0) == []
    assert [(i.name, i.baseline, i.target) for i in indicators] == [
        ("resolution rate", 40.0, 60.0),
        ("cost", None, None),
    ]
    assert [(r.taken_on.day, r.value) for r in readings] == [
        (1, 48.0),
        (3, 55.5),
        (3, 52.0),  # same day: in the order they were taken
        (10, 61.25),
    ]


async def test_latest_assessment_and_decision(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")
    async with store.unit() as repo:
        assert await repo.latest_assessment(s.poc_id) is None
        assert await repo.latest_decision(s.poc_id) is None
        for outcome in (Outcome.NOT_ENOUGH_INFORMATION, Outcome.FRAME):
            first = await repo.add_assessment(
                Assessment(
                    poc_id=s.poc_id,
                    outcome=outcome,
                    rubric_version="2026.1",
                    gates=[{"gate": "personal_data", "passed": False}],
                    scores={"value": 3, "risk": 1},
                    reasons=[{"key": "value.baseline", "text": "no baseline"}],
                    missing=["value.baseline"],
                )
            )
        await repo.add_assessment(
            Assessment(poc_id=other.poc_id, outcome=Outcome.STOP, rubric_version="2026.1")
        )
        for outcome in (Outcome.STOP, Outcome.INDUSTRIALISE):
            await repo.add_decision(
                Decision(
                    poc_id=s.poc_id,
                    outcome=outcome,
                    rationale=f"because {outcome}",
                    next_review=date(2026, 9, 1),
                    decided_by_id=s.person_id,
                    assessment_id=first.id,
                )
            )
    async with store.unit() as repo:
        assessment = await repo.latest_assessment(s.poc_id)
        decision = await repo.latest_decision(s.poc_id)
        assert await repo.latest_decision(other.poc_id) is None
    assert assessment is not None and assessment.id == first.id
    assert assessment.outcome == Outcome.FRAME
    assert_exactly(assessment.gates, [{"gate": "personal_data", "passed": False}])
    assert_exactly(assessment.scores, {"value": 3, "risk": 1})
    assert assessment.missing == ["value.baseline"] and assessment.conditions == []
    assert decision is not None
    assert (decision.outcome, decision.rationale, decision.next_review) == (
        Outcome.INDUSTRIALISE,
        "because industrialise",
        date(2026, 9, 1),
    )


# -- audit and transactions ---------------------------------------------------------


async def test_audit_events(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")
    async with store.unit() as repo:
        await repo.audits.write(
            s.workspace_id,
            "poc.created",
            person_id=s.person_id,
            at=at(2),
            poc_id=s.poc_id,
            detail={"handle": "chatbot", "n": 1},
        )
        await repo.audits.write(other.workspace_id, "poc.created", at=at(1))
        await repo.audits.write(s.workspace_id, "role.changed", at=at(1))
    async with store.unit() as repo:
        events = await repo.audits.of_workspace(s.workspace_id)
    assert [e.action for e in events] == ["poc.created", "role.changed"]  # in order written
    assert (events[0].person_id, events[0].poc_id) == (s.person_id, s.poc_id)
    assert_exactly(events[0].detail, {"handle": "chatbot", "n": 1})
    assert events[1].detail == {} and events[1].person_id is None
    assert_utc(events[0].created_at, at(2))


async def test_a_unit_that_raises_writes_nothing(store: Store) -> None:
    s = await seed(store)
    with pytest.raises(LookupError):
        async with store.unit() as repo:
            workspace = await repo.add_workspace("T9")
            assert workspace.id is not None
            await repo.add_person(Person(workspace_id=workspace.id, platform_id="U1"))
            await repo.record_answer(answer(s, "purpose", "gone"))
            interview = await repo.interview(s.interview_id)
            assert interview is not None
            await repo.move_interview(interview, 0, current_key="gone")
            await repo.audits.write(s.workspace_id, "gone", at=T0)
            raise LookupError("boom")
    async with store.unit() as repo:
        assert await repo.workspace("T9") is None
        assert await repo.current_answers(s.poc_id) == {}
        assert await repo.audits.of_workspace(s.workspace_id) == []
        interview = await repo.interview(s.interview_id)
        assert interview is not None and interview.revision == 0


async def test_a_question_posted_again_is_settled_where_it_was_last_posted(store: Store) -> None:
    from conversations.platform_state import PlatformState

    platform = PlatformState(store, lambda: at(0))
    await platform.remember_posted("teams:contoso", "7.3.k", "first")
    await platform.remember_posted("teams:contoso", "7.3.k", "ignored: the first is kept")
    assert await platform.posted("teams:contoso", "7.3.k") == "first"

    await platform.repost("teams:contoso", "7.3.k", "second")
    await platform.repost("teams:contoso", "8.1.x", "new")

    assert await platform.posted("teams:contoso", "7.3.k") == "second"
    assert await platform.posted("teams:contoso", "8.1.x") == "new"
