"""Commands typed in the middle of an interview, and help, on every platform."""

from __future__ import annotations

from tests.support.scenario import Chat, Role, bank, is_text_question
from tests.support.scripts import READY


async def test_commands_typed_mid_interview_run_and_are_never_stored(chat: Chat) -> None:
    lea = await chat.person("Lea", Role.ADMIN)
    await lea.runs("new Invoice agent")
    await lea.runs("interview invoice-agent")
    # a text question: anything typed could be its answer
    waiting = (await lea.answers_until(is_text_question, READY)).question
    assert waiting is not None

    for typed, shows in [
        (lea.says("list"), "Invoice agent (invoice-agent)"),
        (lea.says("summary invoice-agent"), "Recommendation"),
        (lea.runs("list"), "Invoice agent (invoice-agent)"),
        (lea.says("interview invoice-agent"), bank().question(waiting).text.get("en")),
    ]:
        assert shows in await typed
        assert lea.waiting == waiting, shows

    # a text that names no POC stays an answer, even if it starts like a command
    await lea.says("new invoices, read and pre-filled")
    assert lea.waiting != waiting
    history = await lea.runs(f"history invoice-agent {waiting}")
    assert "new invoices, read and pre-filled" in history
    assert "summary invoice-agent" not in history and "interview invoice-agent" not in history


async def test_help_mid_interview_explains_the_question_first_then_commands(chat: Chat) -> None:
    lea = await chat.person("Lea", Role.ADMIN)
    await lea.runs("new Invoice agent")
    await lea.runs("interview invoice-agent")
    reference = bank().question(lea.waiting).reference
    assert reference is not None

    shown = (await lea.says("help")).text

    assert shown.index(reference) < shown.index(chat.spelled("list  —"))
    # written as this platform types commands, and what an admin may do is there for one
    assert chat.spelled("decide <poc> stop|frame|industrialise <rationale>") in shown
    assert chat.spelled("role <person> admin|lead|member") in shown
    if not chat.command_prefix:
        assert "/poc" not in shown


async def test_help_and_the_welcome_list_only_what_a_member_may_do(chat: Chat) -> None:
    await chat.person("Lea", Role.ADMIN)
    bob = await chat.person("Bob")

    for shown in (await bob.says("hello"), await bob.says("help")):
        assert chat.spelled("list  —") in shown and chat.spelled("summary <poc> [post]") in shown
        assert chat.spelled("reading") in shown
        assert "decide <poc>" not in shown and "role <person>" not in shown
        listed = [line.strip() for line in shown.text.splitlines()]
        for command in ("decide ", "role ", "new "):
            assert not any(line.startswith(chat.spelled(command)) for line in listed), command
        assert any(line.startswith(chat.spelled("list ")) for line in listed)
        assert "Your role: member" in shown
