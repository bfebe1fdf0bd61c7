"""Every activity the bot sends fits in what Teams accepts (about 28 KB; the
fake connector answers 413 above it, as Teams does), and a reply refused for
good still leaves the person a short text."""

from __future__ import annotations

import json

from bot.teams import size
from conversations import throttle
from tests.teams.client import TeamsBotClient, texts
from tests.teams.conftest import Served
from tests.teams.fakes import TEAMS_MESSAGE_LIMIT, FakeBotFramework


async def test_a_long_portfolio_is_shortened_to_fit_with_a_pointer(
    served: Served, fake: FakeBotFramework
) -> None:
    # Seventy POCs in a row: the limit on writing commands is not what this is about.
    served.service.rate_limits = throttle.NO_LIMITS
    teams = served.client
    alice = teams.person("alice")
    await alice.says("hello")
    for number in range(70):
        title = f"Agent {number:02d} " + "that reads supplier invoices and drafts entries " * 2
        assert (await alice.says(f"/poc new {title.strip()}")).status == 201

    listed = await alice.says("/poc list")

    assert listed.status == 201
    [portfolio] = listed.sent
    assert portfolio.answered == 200, "Teams would refuse it: too large"
    assert len(json.dumps(portfolio.body).encode()) <= TEAMS_MESSAGE_LIMIT
    shown = texts(portfolio)
    assert "Agent 00" in shown
    assert "Shortened to fit in Teams" in shown
    assert all(c.answered != 413 for c in fake.calls)


async def test_a_reply_refused_for_good_leaves_a_short_text(
    teams: TeamsBotClient, fake: FakeBotFramework
) -> None:
    alice = teams.person("alice")
    await alice.says("hello")
    fake.fail(413, kinds=("send", "reply"))

    helped = await alice.says("help")

    refused, told = helped.sent
    assert refused.answered == 413
    assert told.answered == 200
    assert "I could not show that reply in Teams" in texts(told)
    assert "413" in texts(told)


def test_what_fits_is_sent_as_it_is_and_choices_are_never_cut() -> None:
    small = {"type": "message", "text": "hello"}
    assert size.fit(small, "note") is small

    choices = [{"title": "x" * 50, "value": "v" * 40 + str(n)} for n in range(100)]
    card = {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "type": "AdaptiveCard",
                    "body": [
                        {"type": "TextBlock", "text": "y" * 20_000},
                        {"type": "Input.ChoiceSet", "id": "c", "choices": choices},
                    ],
                },
            }
        ],
    }
    fitted = size.fit(card, "Shortened.")
    body = fitted["attachments"][0]["content"]["body"]
    assert size.size_of(fitted) <= size.LIMIT
    assert body[-1]["text"] == "Shortened."
    [kept] = [b for b in body if b.get("type") == "Input.ChoiceSet"]
    assert kept["choices"] == choices
    assert body[0]["text"].endswith("…") and len(body[0]["text"]) < 20_000
