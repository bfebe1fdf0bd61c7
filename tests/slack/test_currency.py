"""A workspace's currency (``/poc currency CHF``): set by an admin only, used
in every cost question and in the reasons of the summary. Over real HTTP,
signed as Slack signs, against the fake Web API."""

from __future__ import annotations

from tests.slack.harness import Slack
from tests.support.scripts import READY


def said(slack: Slack, hook: str) -> str:
    [reply] = slack.fake.responses(hook)
    return str(reply["blocks"]) + str(reply["text"])


async def test_an_admin_sets_the_currency_and_a_member_cannot(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")  # listed in POSTPOC_ADMINS
    omar = slack.person("U0OMAR", "Omar Haddad")
    await lea.says("hello")

    shown = said(slack, await omar.runs("/poc currency"))
    assert "Costs are asked and shown in EUR (Euro)" in shown
    assert "/poc currency &lt;code&gt;" in shown

    refused = said(slack, await omar.runs("/poc currency CHF"))
    assert "Only an admin can do that" in refused
    assert "shown in EUR" in said(slack, await omar.runs("/poc currency"))

    wrong = said(slack, await lea.runs("/poc currency ABC"))
    assert "ABC is not an ISO 4217 currency code" in wrong

    done = said(slack, await lea.runs("/poc currency chf"))
    assert "Costs are now asked and shown in CHF (Swiss Franc)" in done
    assert "not converted" in done


async def test_cost_questions_and_reasons_speak_the_workspace_s_currency(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc currency CHF")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    script = {**READY, "cost_per_task": "10 CHF"}

    seen: dict[str, str] = {}
    for _ in range(80):
        if not lea.has_open_question():
            break
        question = lea.question()
        seen[question.key] = question.words()
        await lea.answers(question, script[question.key])

    assert "CHF per task" in seen["cost_per_task"]
    assert "EUR" not in seen["cost_per_task"]
    assert "CHF per hour" in seen["cost_hour_cost"]
    summary = said(slack, await lea.runs("/poc summary invoice-agent"))
    assert "One task costs 10 CHF and saves only 4.67 CHF" in summary
    assert "EUR" not in summary


async def test_french_names_the_currency_in_french(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin", locale="fr-FR")

    done = said(slack, await lea.runs("/poc currency CHF"))

    assert "Les coûts sont désormais demandés et affichés en CHF (franc suisse)" in done
