"""The pure parts: activities read, replies routed and drawn as Adaptive Cards.

Text people typed must never become markup: no link, no mention, no formatting.
"""

from __future__ import annotations

import json
from typing import Any

from bot.teams import cards, inbound, routing
from conversations.i18n import translator
from conversations.messages import (
    Answered,
    Ask,
    Button,
    Card,
    Choice,
    Field,
    PersonRef,
    QuestionKind,
    Say,
    Section,
    Visibility,
)
from tests.teams.client import walk

EN = translator("en")
SNEAKY = "[click me](https://evil.example) **now** <at>Everyone</at> @channel _x_"


def elements(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in walk(card) if e.get("type") == kind]


def ask(kind: QuestionKind, choices: tuple[Choice, ...] = (), **extra: Any) -> Ask:
    return Ask(
        token="7.3.some_key",
        poc_handle="invoice-agent",
        progress="Value · 3/70",
        text="How many invoices a week?",
        kind=kind,
        hint="Type a number.",
        choices=choices,
        **extra,
    )


# -- cards ---------------------------------------------------------------------------


def test_text_from_people_is_never_read_as_markdown_or_mentions() -> None:
    card = cards.replies_card(
        [
            Say(SNEAKY),
            Card(
                title=SNEAKY,
                subtitle=SNEAKY,
                sections=(Section(title=SNEAKY, text=SNEAKY, fields=(Field(SNEAKY, SNEAKY),)),),
                context=(SNEAKY,),
            ),
        ],
        EN,
    )
    assert elements(card, "TextBlock") == []  # TextBlocks read Markdown; TextRuns don't
    runs = [r["text"] for r in elements(card, "TextRun")]
    assert runs.count(SNEAKY) == 7  # all but the field's label, which ends in ": "
    assert "msteams" not in card or "entities" not in card["msteams"]


def test_an_answer_in_a_question_is_plain_text_too() -> None:
    card = cards.question_card(ask(QuestionKind.TEXT, current=SNEAKY, error=SNEAKY), EN)
    assert elements(card, "TextBlock") == []
    assert any(SNEAKY in r["text"] for r in elements(card, "TextRun"))


def test_mentions_in_a_card_are_declared_and_their_names_cleaned() -> None:
    section = Section(text="Overdue", mentions=(PersonRef("29:dave", "Dave _[x](http://e)_ <b>"),))
    card = cards.replies_card([Card(title="Nudge", sections=(section,))], EN)
    [block] = elements(card, "TextBlock")
    assert block["text"] == "<at>Dave xhttpe b</at>"
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Dave xhttpe b</at>",
            "mentioned": {"id": "29:dave", "name": "Dave xhttpe b"},
        }
    ]


def test_yes_no_and_scale_questions_are_buttons() -> None:
    yes_no = cards.question_card(ask(QuestionKind.YES_NO), EN)
    assert [(a["title"], a["data"]["value"]) for a in yes_no["actions"]] == [
        ("Yes", "yes"),
        ("No", "no"),
    ]
    assert all(a["data"]["token"] == "7.3.some_key" for a in yes_no["actions"])
    scale = cards.question_card(ask(QuestionKind.SCALE), EN)
    assert [a["data"]["value"] for a in scale["actions"]] == ["1", "2", "3", "4", "5"]
    assert (
        cards.question_card(ask(QuestionKind.YES_NO), translator("fr"))["actions"][0]["title"]
        == "Oui"
    )


def test_long_or_many_choices_are_a_list_with_a_send_button() -> None:
    short = (Choice("low", "Lower"), Choice("high", "Higher"))
    long = (Choice("deployer", "Deployer: we use a system built by others"), *short)
    buttons = cards.question_card(ask(QuestionKind.CHOICE, short), EN)["actions"]
    # Numbered, as the hint says: typing the number answers too.
    assert [(a["title"], a["data"]["value"]) for a in buttons] == [
        ("1. Lower", "low"),
        ("2. Higher", "high"),
    ]
    listed = cards.question_card(ask(QuestionKind.CHOICE, long), EN)
    [choice_set] = elements(listed, "Input.ChoiceSet")
    assert (choice_set["style"], choice_set["isMultiSelect"]) == ("expanded", False)
    assert choice_set["choices"][0] == {
        "title": "1. Deployer: we use a system built by others",
        "value": "deployer",
    }
    assert [a["title"] for a in listed["actions"]] == ["Send"]
    multi = cards.question_card(ask(QuestionKind.MULTI_CHOICE, short), EN)
    assert elements(multi, "Input.ChoiceSet")[0]["isMultiSelect"] is True


def test_dates_are_picked_text_is_typed_and_help_is_one_click_away() -> None:
    date = cards.question_card(ask(QuestionKind.DATE), EN)
    assert elements(date, "Input.Date") and [a["title"] for a in date["actions"]] == ["Send"]
    text = cards.question_card(ask(QuestionKind.TEXT), EN)
    assert "actions" not in text
    helped = cards.question_card(ask(QuestionKind.NUMBER, help="Volume sizes the risk."), EN)
    [why] = helped["actions"]
    assert why["type"] == "Action.ShowCard" and "Volume sizes the risk." in json.dumps(why)


def test_a_settled_question_keeps_the_answer_and_nothing_to_press() -> None:
    settled = cards.settled_activity(Answered("7.3.k", "How many? → 1,200"))
    card = settled["attachments"][0]["content"]
    assert "actions" not in card
    assert [r["text"] for r in elements(card, "TextRun")] == ["✅ How many? → 1,200"]


def test_card_buttons_run_commands() -> None:
    card = cards.replies_card([Card(title="Yours", buttons=(Button("Resume", "interview x"),))], EN)
    [button] = elements(card, "Action.Submit")
    data = dict(button["data"])
    assert len(data.pop("postpoc_seal")) == 22, "sealed (bot.seals)"
    assert data == {"postpoc": "command", "command": "interview x"}


# -- inbound --------------------------------------------------------------------------


def activity(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "message",
        "id": "1",
        "from": {"id": "29:alice", "name": "Alice"},
        "recipient": {"id": "28:bot", "name": "postpoc"},
        "conversation": {"id": "a:1", "conversationType": "personal"},
        "channelData": {"tenant": {"id": "contoso"}},
        "locale": "fr-FR",
        "localTimezone": "Europe/Paris",
        "serviceUrl": "https://smba.example/",
        "channelId": "msteams",
    }
    return {**base, **fields}


def in_channel(text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    return activity(
        text=text,
        entities=entities,
        conversation={"id": "19:c@thread.tacv2;messageid=9", "conversationType": "channel"},
        channelData={"tenant": {"id": "contoso"}, "channel": {"id": "19:c@thread.tacv2"}},
    )


def mention(who: str, name: str) -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": who, "name": name}}


def test_a_channel_mention_is_a_command_and_other_mentions_are_people() -> None:
    event = inbound.to_inbound(
        in_channel(
            "<at>postpoc</at> owner invoice-agent&nbsp;<at>Claire Martin</at>\n",
            [mention("28:bot", "postpoc"), mention("29:claire", "Claire Martin")],
        ),
        "teams:contoso",
    )
    assert event is not None
    assert (event.text, event.is_command) == ("owner invoice-agent Claire Martin", True)
    assert event.mentions == (PersonRef("29:claire", "Claire Martin"),)
    assert event.place.channel_id == "19:c@thread.tacv2" and not event.place.is_direct
    assert (event.actor.locale, event.actor.timezone) == ("fr-FR", "Europe/Paris")


def test_a_channel_message_not_for_the_bot_is_ignored() -> None:
    assert inbound.to_inbound(in_channel("lunch?", []), "teams:contoso") is None


def test_typed_text_in_the_personal_chat_goes_as_typed() -> None:
    event = inbound.to_inbound(activity(text="list"), "teams:contoso")
    assert event is not None
    assert (event.text, event.is_command, event.place.is_direct) == ("list", False, True)
    assert event.delivery_id == "1"


def test_card_submits_carry_the_token_and_values() -> None:
    def submitted(value: dict[str, Any]) -> Any:
        event = inbound.to_inbound(activity(value={"postpoc": "answer", **value}), "teams:x")
        assert event is not None and event.action is not None
        return event.action.token, event.action.values

    assert submitted({"token": "1.2.k", "value": "no"}) == ("1.2.k", ("no",))
    assert submitted({"token": "1.2.k", "postpoc_values": "a,b, c"}) == ("1.2.k", ("a", "b", "c"))
    assert submitted({"token": "1.2.k", "postpoc_values": ""}) == ("1.2.k", ())
    assert submitted({"token": "1.2.k", "postpoc_date": "2027-03-01"}) == ("1.2.k", ("2027-03-01",))
    command = inbound.to_inbound(
        activity(value={"postpoc": "command", "command": "interview x"}), "teams:x"
    )
    assert command is not None and (command.text, command.is_command) == ("interview x", True)
    assert inbound.to_inbound(activity(value={"postpoc": "unknown"}), "teams:x") is None


def test_the_workspace_is_the_tenant() -> None:
    assert inbound.workspace_of(activity(), emulator=False) == "teams:contoso"
    no_tenant = activity(channelData={})
    assert inbound.workspace_of(no_tenant, emulator=False) is None
    assert inbound.workspace_of(no_tenant, emulator=True) == "teams:emulator"
    only_conversation = activity(channelData={}, conversation={"id": "a:1", "tenantId": "t"})
    assert inbound.workspace_of(only_conversation, emulator=False) == "teams:t"


def test_a_stored_reference_has_what_a_proactive_post_needs_and_no_activity_id() -> None:
    reference = inbound.reference_of(activity())
    assert reference == {
        "bot": {"id": "28:bot", "name": "postpoc"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "contoso"},
        "channelId": "msteams",
        "serviceUrl": "https://smba.example/",
        "locale": "fr-FR",
        "user": {"id": "29:alice", "name": "Alice"},
    }


# -- routing ----------------------------------------------------------------------------


def test_in_a_channel_only_what_was_asked_for_all_stays_in_the_thread() -> None:
    question = ask(QuestionKind.TEXT, visibility=Visibility.DIRECT)
    plan = routing.plan(
        [
            Say("I'll ask you the questions in our direct conversation."),
            question,
            Card(title="Portfolio"),
            Card(title="Posted", visibility=Visibility.CHANNEL),
            Answered("7.3.k", "done"),
        ],
        personal=False,
    )
    assert [(m.where, [type(r).__name__ for r in m.replies]) for m in plan.messages] == [
        (routing.Where.PERSONAL, ["Say"]),  # a confirmation is the person's, as on Slack
        (routing.Where.PERSONAL, ["Ask"]),
        (routing.Where.PERSONAL, ["Card"]),
        (routing.Where.HERE, ["Card"]),  # a post asked for
    ]
    assert plan.moved_to_personal
    assert plan.settle == (Answered("7.3.k", "done"),)


def test_in_the_personal_chat_replies_merge_around_questions() -> None:
    plan = routing.plan(
        [Say("Hello"), Card(title="Help"), ask(QuestionKind.TEXT), Say("after")], personal=True
    )
    assert [len(m.replies) for m in plan.messages] == [2, 1, 1]
    assert not plan.moved_to_personal
