"""A workspace's currency (``currency CHF``): set by an admin only, used in every cost
question and in the reasons of the summary, named in the person's language."""

from __future__ import annotations

from tests.support.scenario import Chat, Role
from tests.support.scripts import READY


async def test_an_admin_sets_the_currency_and_a_member_cannot(chat: Chat) -> None:
    lea = await chat.person("Lea", Role.ADMIN)
    omar = await chat.person("Omar")

    shown = await omar.runs("currency")
    assert "Costs are asked and shown in EUR (Euro)" in shown
    assert chat.spelled("currency <code>") in shown

    assert "Only an admin can do that" in await omar.runs("currency CHF")
    assert "shown in EUR" in await omar.runs("currency")
    assert "ABC is not an ISO 4217 currency code" in await lea.runs("currency ABC")

    done = await lea.runs("currency chf")
    assert "Costs are now asked and shown in CHF (Swiss Franc)" in done
    assert "not converted" in done
    shown = await omar.runs("currency")
    assert "Costs are asked and shown in CHF (Swiss Franc)" in shown
    assert f"An admin changes it with {chat.spelled('currency <code>')}" in shown


async def test_cost_questions_and_reasons_speak_the_workspace_s_currency(chat: Chat) -> None:
    lea = await chat.person("Lea", Role.ADMIN)
    await lea.runs("currency CHF")
    await lea.runs("new Invoice agent")
    await lea.runs("interview invoice-agent")
    script = {**READY, "cost_per_task": "10 CHF"}

    asked: dict[str, str] = {}
    while (question := lea.question) is not None and question.question is not None:
        asked[question.question] = question.text
        await lea.answers(script[question.question])

    assert "CHF per task" in asked["cost_per_task"]
    assert "EUR" not in asked["cost_per_task"]
    assert "CHF per hour" in asked["cost_hour_cost"]
    summary = await lea.runs("summary invoice-agent")
    assert "One task costs 10 CHF and saves only 4.67 CHF" in summary
    assert "EUR" not in summary


async def test_french_names_the_currency_in_french(chat: Chat) -> None:
    lea = await chat.person("Lea", Role.ADMIN, locale="fr")

    done = await lea.runs("currency CHF")

    assert "Les coûts sont désormais demandés et affichés en CHF (franc suisse)" in done
