"""A section handed to the person who knows it (issue 13), on every platform."""

from __future__ import annotations

from sqlmodel import select

from storage.models import AuditEvent, Delivery
from tests.support.scenario import Chat, Role
from tests.support.scripts import READY

SECTION = "Integration and run"


async def test_a_handed_section_is_answered_by_its_holder_and_the_recommendation_waits_for_it(
    chat: Chat,
) -> None:
    lea = await chat.person("Lea", Role.ADMIN)
    nadia = await chat.person("Nadia")
    await lea.runs("new Invoice agent")
    await lea.runs("interview invoice-agent")
    first = await lea.answers_until(lambda key: key.startswith("run_"), READY)
    if chat.shows_buttons:  # a button on the section's first question, then a picker
        asking = await lea.presses("Someone else should answer this", on=first)
        assert f"Who should answer {SECTION} of invoice-agent?" in asking
        if chat.platform == "teams":  # a card has no people picker: it says what to type
            assert "Type ask invoice-agent integration @name to hand it to them." in asking
            assert "Pick them" not in asking
        handed = await lea.names(nadia)
    else:
        handed = await lea.runs("ask invoice-agent integration @Nadia")
    assert f"Nadia now answers {SECTION} of invoice-agent" in handed
    assert not lea.waiting.startswith("run_"), "the owner's interview moves on at once"
    done = await lea.answers_all(READY, check=lambda key: assert_not_theirs(key))
    assert "Recommendation for invoice-agent: Not enough information" in done
    assert f"{SECTION}: waiting for Nadia since" in done

    # Nadia: which POC, who asked her, and only her section, with its own progress.
    invited = await nadia.comes_back()
    assert f"Lea asked you to answer {SECTION} for Invoice agent (invoice-agent)" in invited
    assert f"{SECTION} · 1/3" in invited
    answered = await nadia.answers_all(READY, check=lambda key: assert_theirs(key))
    assert f"your answers to {SECTION} of invoice-agent are recorded" in answered

    told = await lea.comes_back()
    assert f"Nadia answered {SECTION} of invoice-agent" in told
    assert "Recommendation for invoice-agent: Industrialise" in told
    summary = await lea.runs("summary invoice-agent")
    assert "Recommendation: Industrialise" in summary
    assert summary.shows_field(SECTION, "Nadia")
    assert "Nadia" in await lea.runs("history invoice-agent run_operating_team")

    async with chat.store.unit() as repo:
        actions = [
            a.action for a in (await repo.session.execute(select(AuditEvent))).scalars().all()
        ]
        kinds = [d.kind for d in (await repo.session.execute(select(Delivery))).scalars().all()]
    assert "section_handed" in actions and "section_answered" in actions
    # Her invitation; then Lea hears that Nadia answered, with the recommendation, in one post.
    assert kinds.count("hand_over") == 2


def assert_theirs(key: str) -> None:
    assert key.startswith("run_"), key


def assert_not_theirs(key: str) -> None:
    assert not key.startswith("run_"), key
