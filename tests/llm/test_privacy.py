"""Personal data stays out of what the model reads unless the workspace allows it."""

from __future__ import annotations

import pytest

from conversations.llm.privacy import EMAIL, PERSON, PHONE, Redactor
from conversations.service import Service
from storage.models import Workspace
from storage.repository import Store
from tests.llm.fakes import assistant
from tests.llm.support import VAGUE, answer_until, by_rule, quoted
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import READY, answer_until_done, interview_at_depth

CONTACT = "Claire Martin, then Omar Haddad (omar.haddad@acme.example, +33 6 12 34 56 78)"
SCRIPT = {**READY, "sup_escalation": CONTACT, "use_task": f"{VAGUE} for Lea and Omar Haddad"}


def test_the_redactor_replaces_names_addresses_and_numbers() -> None:
    redact = Redactor(("Claire Martin", "Omar Haddad", "Al"))
    assert redact.text(CONTACT) == f"{PERSON}, then {PERSON} ({EMAIL}, {PHONE})"
    assert redact.text("Call 01 23 45 67 89; CLAIRE MARTIN knows.") == (
        f"Call {PHONE}; {PERSON} knows."
    )
    assert redact.text("All 1 200 000 invoices, 40 minutes each") == (
        "All 1 200 000 invoices, 40 minutes each"
    ), "short names and figures are left alone"
    assert Redactor(("Claire Martin",), active=False).text(CONTACT) == CONTACT


@pytest.mark.storage
async def test_names_reach_the_model_only_when_the_workspace_allows_it(store: Store) -> None:
    model = by_rule()
    lea = Person(Service(store, clock=Clock(), assistant=assistant(model)), "lea")
    await lea.says("hello")
    await lea.runs("new Invoice agent")
    await answer_until(lea, await interview_at_depth(lea, "invoice-agent", "full"), "use_task")
    await lea.says(SCRIPT["use_task"])  # vague: a follow-up is considered
    asked = quoted(model.received[-1], "answer")
    assert asked == f"{VAGUE} for {PERSON} and {PERSON}", "a workspace member and a named owner"
    await lea.says("skip")
    await answer_until_done(lea, await interview_at_depth(lea, "invoice-agent", "full"), SCRIPT)

    await lea.runs("summary invoice-agent")
    facts = quoted(model.received[-1], "poc")
    assert isinstance(facts, dict)
    shown = {a["key"]: a["answer"] for a in facts["answers"]}
    assert shown["owner_business_manager"] == PERSON
    assert shown["sup_escalation"] == f"{PERSON}, then {PERSON} ({EMAIL}, {PHONE})"
    assert "Claire" not in str(facts) and "Haddad" not in str(facts)

    allowed = text(await lea.runs("llm personal-data on"))
    assert "may be sent to it" in allowed
    await lea.runs("summary invoice-agent")
    facts = quoted(model.received[-1], "poc")
    assert isinstance(facts, dict)
    shown = {a["key"]: a["answer"] for a in facts["answers"]}
    assert shown["owner_business_manager"] == "Claire Martin"
    assert shown["sup_escalation"] == CONTACT


@pytest.mark.storage
async def test_only_an_admin_lets_personal_data_through(store: Store) -> None:
    service = Service(store, clock=Clock())
    lea, tom = Person(service, "lea"), Person(service, "tom")
    await lea.says("hello")
    await tom.says("hello")
    status = text(await tom.runs("llm"))
    assert "No language model is configured" in status and "left out" in status
    assert "Only an admin" in text(await tom.runs("llm personal-data on"))
    assert "Usage" in text(await lea.runs("llm personal-data maybe"))
    await lea.runs("llm personal-data on")
    async with store.unit() as repo:
        workspace = await repo.workspace("test:acme")
    assert isinstance(workspace, Workspace) and workspace.settings == {"llm_personal_data": True}
    await lea.runs("llm personal-data off")
    assert "left out" in text(await tom.runs("llm"))
