"""The pure parts of the adapter: escaping, reading Slack's markup, Block Kit
within Slack's limits, workspace keys, texts, back-off delays."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.http_retry.response import HttpResponse

from bot.slack import ids
from bot.slack.blocks import ask_blocks, card_blocks, edit_modal, message_blocks
from bot.slack.escape import clip, escape, unescape
from bot.slack.inbound import mentioned, plain_text
from bot.slack.questions import PostedRef
from bot.slack.retry import Backoff
from bot.slack.texts import TEXTS, text
from bot.slack.workspaces import tenant_of, workspace_key
from conversations.messages import (
    Ask,
    Button,
    Card,
    Choice,
    Field,
    PersonRef,
    QuestionKind,
    Say,
    Section,
)


def test_escaping_makes_markup_inert_and_round_trips() -> None:
    typed = "<!channel> <@U123> <https://x|y> & co"
    assert escape(typed) == "&lt;!channel&gt; &lt;@U123&gt; &lt;https://x|y&gt; &amp; co"
    assert unescape(escape(typed)) == typed
    assert unescape("&amp;lt;") == "&lt;", "Slack's own escaping undone once"


@given(st.text(), st.integers(min_value=4, max_value=80))
def test_clipping_never_cuts_an_entity_nor_passes_the_limit(raw: str, limit: int) -> None:
    clipped = clip(raw, limit)
    assert len(clipped) <= limit
    assert "<" not in clipped and ">" not in clipped
    body = clipped.removesuffix("…")
    assert unescape(body) == raw[: len(unescape(body))]


def test_slack_markup_is_read_as_plain_text() -> None:
    sent = "<@U0BOB|bob> and <@U0EVE> in <#C01|general>: <!here> see <https://x.example|docs> &lt;b&gt; &amp;"
    assert mentioned(sent) == ["U0BOB", "U0EVE"]
    assert plain_text(sent, {"U0EVE": "Eve Adams"}) == (
        "@bob and @Eve Adams in #general: @here see docs (https://x.example) <b> &"
    )
    assert plain_text("<mailto:a@b.c|a@b.c>") == "a@b.c"


def question(kind: QuestionKind, choices: tuple[Choice, ...] = (), **extra: str) -> Ask:
    return Ask(
        token="12.3.some_key",
        poc_handle="invoice-agent",
        progress="Value · 3/66",
        text="What <b>is</b> it?",
        kind=kind,
        hint="Type it.",
        choices=choices,
        **extra,
    )


def actions(blocks: list[dict[str, object]]) -> list[dict[str, object]]:
    return [b for b in blocks if b["type"] == "actions"]


@pytest.mark.parametrize(
    ("kind", "element"),
    [
        (QuestionKind.YES_NO, "button"),
        (QuestionKind.SCALE, "button"),
        (QuestionKind.DATE, "datepicker"),
        (QuestionKind.PERSON, "users_select"),
    ],
)
def test_each_kind_of_question_gets_its_input(kind: QuestionKind, element: str) -> None:
    blocks = ask_blocks(question(kind), "en")
    [inputs] = actions(blocks)
    assert {e["type"] for e in inputs["elements"]} == {element}  # type: ignore[union-attr]
    assert ids.token_of(str(inputs["block_id"])) == "12.3.some_key"
    assert "What &lt;b&gt;is&lt;/b&gt; it?" in str(blocks)


def test_typed_questions_have_no_input_but_say_to_reply() -> None:
    blocks = ask_blocks(question(QuestionKind.NUMBER, current="40 <minutes>"), "fr")
    assert actions(blocks) == []
    assert "Réponse actuelle : 40 &lt;minutes&gt;" in str(blocks)
    assert "Répondez dans cette conversation." in str(blocks)


def test_long_choices_are_shortened_on_buttons_and_listed_in_full() -> None:
    long = "Access to essential services or benefits (including insurance pricing and more)"
    blocks = ask_blocks(question(QuestionKind.CHOICE, (Choice("a", long), Choice("b", "B"))), "en")
    buttons = actions(blocks)[0]["elements"]
    assert all(len(b["text"]["text"]) <= 75 for b in buttons)  # type: ignore[index,union-attr]
    assert f"1. {long}" in str(blocks)


def test_many_checkboxes_become_a_multi_select() -> None:
    many = tuple(Choice(str(n), f"Choice {n}") for n in range(12))
    [inputs] = actions(ask_blocks(question(QuestionKind.MULTI_CHOICE, many), "en"))
    kinds = [e["type"] for e in inputs["elements"]]  # type: ignore[union-attr]
    assert kinds == ["multi_static_select", "button"]


def test_a_card_stays_within_slacks_limits() -> None:
    fields = tuple(Field(f"Label {n}", "v" * 3000) for n in range(25))
    card = Card(
        title="T" * 400,
        sections=tuple(Section(title=f"S{n}", text="x" * 5000, fields=fields) for n in range(30)),
        context=tuple(f"c{n}" for n in range(15)),
        buttons=tuple(Button(f"b{n}" * 50, f"summary p{n}") for n in range(30)),
    )
    blocks = message_blocks([card], "en")
    assert len(blocks) <= 50
    assert len(card_blocks(card)[0]["text"]["text"]) <= 150
    for block in card_blocks(card):
        assert len(block.get("fields", [])) <= 10
        assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if isinstance(block.get("text"), dict):
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])


def test_a_long_say_runs_over_several_sections() -> None:
    blocks = message_blocks([Say("word " * 2000)], "en")
    assert len(blocks) == 4
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)


def test_the_edit_modal_preselects_the_current_answer() -> None:
    yes_no = question(QuestionKind.YES_NO, current="No")
    modal = edit_modal(yes_no, "en", {"token": yes_no.token})
    assert len(modal["title"]["text"]) <= 24
    [field] = [b for b in modal["blocks"] if b.get("block_id") == ids.INPUT_BLOCK]
    assert field["element"]["initial_option"]["value"] == "no"
    assert modal["notify_on_close"] is True


def test_workspace_keys() -> None:
    assert (
        workspace_key(enterprise_id=None, team_id="T1", is_enterprise_install=False) == "slack:T1"
    )
    assert (
        workspace_key(enterprise_id="E1", team_id="T1", is_enterprise_install=False) == "slack:T1"
    )
    assert workspace_key(enterprise_id="E1", team_id=None, is_enterprise_install=True) == "slack:E1"
    assert tenant_of("slack:E1") is not None and tenant_of("slack:E1").enterprise_id == "E1"  # type: ignore[union-attr]
    assert tenant_of("teams:abc") is None


def test_posted_refs_read_back() -> None:
    ref = PostedRef("D01", "1700000000.000100", "invoice-agent")
    assert PostedRef.parse(str(ref)) == ref
    assert PostedRef.parse("C01:1700000000.000100") == PostedRef("C01", "1700000000.000100")
    assert PostedRef.parse("garbage") is None


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_adapter_text_is_in_both_languages_with_the_same_placeholders(key: str) -> None:
    def names(template: str) -> set[str]:
        return {n for _, n, _, _ in string.Formatter().parse(template) if n}

    assert set(TEXTS[key]) == {"en", "fr"}
    assert names(TEXTS[key]["en"]) == names(TEXTS[key]["fr"])
    assert text(key, "fr-FR") == TEXTS[key]["fr"] or names(TEXTS[key]["fr"])


def test_back_off_waits_what_slack_asks_then_doubles() -> None:
    backoff = Backoff(jitter=lambda: 1.0)
    limited = HttpResponse(status_code=429, headers={"Retry-After": ["7"]})
    outage = HttpResponse(status_code=503, headers={})
    assert backoff.delay(0, limited) == 8.0
    assert [backoff.delay(n, outage) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_people_asked_to_act_are_mentioned_for_real_and_nobody_else() -> None:
    part = Section(
        text="Decision overdue <!here>",
        mentions=(PersonRef("U0CLAIRE", "Claire"), PersonRef("<!channel>", "<!channel>")),
    )
    [block] = card_blocks(Card("Health", sections=(part,)))[1:]
    shown = block["text"]["text"]
    assert shown == "Decision overdue &lt;!here&gt;\n<@U0CLAIRE> @&lt;!channel&gt;"
