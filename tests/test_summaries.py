"""What a summary says about how far the interview is."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from conversations.handlers import make_handle
from conversations.service import Service
from storage.repository import Store
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import (
    READY,
    answer_until_done,
    asked_in_order,
    current_key,
    interview_at_depth,
)

pytestmark = pytest.mark.storage


@pytest.fixture
async def service(store: Store) -> AsyncIterator[Service]:
    yield Service(store, clock=Clock())


async def test_the_summary_counts_skipped_required_questions_apart(service: Service) -> None:
    lead = Person(service, "lea")
    await lead.says("hello")
    handle = make_handle("Invoice agent", set())
    await lead.runs("new Invoice agent")
    replies = await lead.says(f"/poc interview {handle}")
    # two required questions and one optional one skipped, all asked at the light depth
    skipped = {
        "owner_business_manager": "skip",
        "run_operating_team": "skip",
        "cost_per_task": "skip",
    }
    await answer_until_done(lead, replies, {**READY, **skipped})

    shown = text(await lead.says(f"/poc summary {handle}"))

    found = re.search(r"(\d+) of (\d+) questions answered, 2 skipped that are needed", shown)
    assert found, shown
    answered, total = int(found.group(1)), int(found.group(2))
    assert answered == total - 3  # skipped questions are not counted as answered
    listed = text(await lead.says("/poc list"))
    assert "2 skipped that are needed" in listed


async def test_home_shows_the_next_question_at_the_depth_a_lead_raised(service: Service) -> None:
    """The triage alone gives a light interview; a lead raised it to full depth,
    so the question that comes next is a full-depth one, the one the interview asks."""
    lead = Person(service, "lea")
    await lead.says("hello")
    handle = make_handle("Invoice agent", set())
    await lead.runs("new Invoice agent")
    asked = await interview_at_depth(lead, handle, "full")
    light = asked_in_order(READY)
    full = asked_in_order(READY, floor="full")
    # Answer up to the first question only the full depth asks.
    first_full = next(key for key in full if key not in light)
    while (key := current_key(asked)) != first_full:
        asked = await lead.says(READY[key])
    label = service.bank.question(first_full).label.get("en")

    shown = text(await lead.says("/poc home"))

    assert f"Next question: {label}" in shown, shown
