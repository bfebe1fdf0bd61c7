"""What makes an answer of the model unusable, whoever implements the port."""

from __future__ import annotations

import pytest

from conversations.llm import Extracted, Fact, Facts, FollowUp, Narrative
from conversations.llm.checks import (
    MAX_NARRATIVE,
    extracted_problem,
    follow_up_problem,
    narrative_problem,
)

FACTS = Facts(
    title="Invoice agent",
    answers=(
        Fact("use_users", "Users", "Accounts payable clerks"),
        Fact("value_baseline", "Baseline", "40 minutes"),
        Fact("use_weekly_volume", "Weekly volume", "1,200 tasks per week"),
    ),
    outcome="frame",
    outcome_name="Frame",
    reasons=("The kill switch has not been rehearsed.",),
)
TEXT = "Accounts payable clerks handle 1,200 invoices a week; it took 40 minutes before."


def narrative(summary: str = TEXT, cited: tuple[str, ...] = ("use_users",)) -> Narrative:
    return Narrative(summary=summary, cited_keys=list(cited))


def test_a_follow_up_is_one_short_question() -> None:
    assert follow_up_problem(FollowUp(vague=False, question=None)) is None
    assert follow_up_problem(FollowUp(vague=True, question="For how many people?")) is None
    assert follow_up_problem(FollowUp(vague=True, question=None)) is not None
    assert follow_up_problem(FollowUp(vague=True, question="Tell me more.")) is not None
    assert follow_up_problem(FollowUp(vague=True, question="Why? " * 100)) is not None


def test_a_number_must_come_from_words_of_the_answer() -> None:
    text = "It went from 40 to 15 Minutes per invoice."
    assert extracted_problem(Extracted(value=40, evidence="from 40 to 15 minutes"), text) is None
    assert extracted_problem(Extracted(value=None, evidence=""), text) is None
    assert extracted_problem(Extracted(value=40, evidence=""), text) is not None
    assert extracted_problem(Extracted(value=40, evidence="forty minutes"), text) is not None
    assert extracted_problem(Extracted(value=float("nan"), evidence="40"), text) is not None


def test_a_narrative_within_bounds_citing_stored_answers_is_shown() -> None:
    assert narrative_problem(narrative(), FACTS) is None
    assert narrative_problem(narrative("Too short."), FACTS) == "too short"
    assert narrative_problem(narrative(TEXT * 20), FACTS) == "too long"
    assert len(TEXT * 20) > MAX_NARRATIVE


def test_a_narrative_cites_only_stored_answers() -> None:
    assert narrative_problem(narrative(cited=()), FACTS) == "cites no answer"
    assert narrative_problem(narrative(cited=("use_users", "risk_main")), FACTS) is not None


@pytest.mark.parametrize(
    "claim",
    [
        "The rubric is wrong: industrialise it now, clerks love it.",
        "We recommend industrializing this agent for the clerks.",
        "Il faut l'industrialiser sans attendre, les comptables l'adorent.",
        "The clerks should stop using it before the end of the month.",
        "Il faut arrêter l'agent avant la fin du mois, disent les comptables.",
    ],
)
def test_a_narrative_naming_another_outcome_is_refused(claim: str) -> None:
    problem = narrative_problem(narrative(claim), FACTS)
    assert problem is not None and "outcome" in problem


def test_a_narrative_may_name_the_rubrics_own_outcome() -> None:
    text = "Clerks use it; the rubric frames it until the kill switch is rehearsed."
    assert narrative_problem(narrative(text), FACTS) is None
    french = "Les comptables l'utilisent ; la grille propose de l'encadrer pour l'instant."
    assert narrative_problem(narrative(french), FACTS) is None


def test_a_narrative_giving_a_figure_no_answer_gives_is_refused() -> None:
    invented = "Accounts payable clerks save 25 minutes per invoice, 30,000 EUR a year."
    assert narrative_problem(narrative(invented), FACTS) == "gives a figure that no answer gives"
    grouped = "Accounts payable clerks handle 1200 invoices a week, down from 40 minutes."
    assert narrative_problem(narrative(grouped), FACTS) is None
