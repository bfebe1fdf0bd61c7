"""Every request is verified; nothing a person typed can ping or disguise a link."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import sqlalchemy as sa

from tests.slack.harness import Slack, sign, texts_of
from tests.support.scripts import READY

HOSTILE_MARKUP = "<!channel> <@U0BOB|bob> <https://evil.example|the docs>"
HOSTILE_TYPED = "&lt;!channel&gt; &lt;@U123&gt; &lt;https://x|y&gt; &amp; co"
"""What Slack sends when someone types ``<!channel> <@U123> <https://x|y> & co``."""


async def rows(slack: Slack, table: str) -> int:
    async with slack.bot.service.store.engine.connect() as connection:
        return int(
            (await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()
        )


def command_body(text: str) -> str:
    return (
        "token=unused&team_id=T0ACME&channel_id=C0TEAM&channel_name=team&user_id=U0LEA"
        f"&command=%2Fpoc&text={text}&response_url=http%3A%2F%2F127.0.0.1%3A1%2Fnowhere"
        "&trigger_id=1.2.3"
    )


async def test_a_forged_signature_is_refused_and_nothing_is_stored(slack: Slack) -> None:
    body = command_body("new+Invoice+agent")
    forged = sign(body, secret="not-the-signing-secret")

    reply = await slack.send(body, "application/x-www-form-urlencoded", headers=forged)

    assert reply.status == 401
    assert await rows(slack, "poc") == 0
    assert await rows(slack, "person") == 0
    assert slack.fake.calls == slack.fake.called("auth.test"), "no call to Slack either"


async def test_a_stale_signature_is_refused_even_when_it_is_genuine(slack: Slack) -> None:
    event = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0ACME",
            "event_id": "Ev0STALE",
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "D0LEA",
                "user": "U0LEA",
                "text": "hello",
            },
        }
    )
    six_minutes_ago = int(time.time()) - 6 * 60

    reply = await slack.send(event, "application/json", headers=sign(event, six_minutes_ago))

    assert reply.status == 401
    assert await rows(slack, "inbounddelivery") == 0
    assert await rows(slack, "person") == 0


async def test_a_request_without_a_signature_is_refused(slack: Slack) -> None:
    reply = await slack.send(command_body("help"), "application/x-www-form-urlencoded", headers={})

    assert reply.status == 401
    assert await rows(slack, "person") == 0


def posted_texts(slack: Slack) -> list[str]:
    """Every text the bot sent to Slack, in any call."""
    found: list[str] = []
    for call in slack.fake.calls:
        args: Any = call.args
        found.extend(texts_of(args))
        found.extend(str(args[k]) for k in ("text",) if isinstance(args.get(k), str))
    return found


async def test_what_people_type_is_escaped_everywhere_it_is_posted(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    slack.person("U0BOB", "Bob")
    registered = await lea.runs(f"/poc new Agent {HOSTILE_MARKUP} {HOSTILE_TYPED}")
    handle = re.search(r" as ([a-z0-9-]+),", lea.replies(registered)[0]["text"])
    assert handle is not None
    await lea.runs(f"/poc interview {handle.group(1)}")
    await lea.answers_until(typed=True, script=READY)
    await lea.says(f"Clerks {HOSTILE_TYPED} {HOSTILE_MARKUP}")
    summary = await lea.runs(f"/poc summary {handle.group(1)} post")

    card = lea.replies(summary)[0]
    assert card["response_type"] == "in_channel"
    assert card["blocks"][0]["type"] == "header"
    assert "&lt;!channel&gt;" in card["blocks"][0]["text"]["text"]
    texts = posted_texts(slack)
    everything = "\n".join(texts)
    for raw in ("<!channel>", "<@U123>", "<@U0BOB", "<https://x|y>", "<https://evil.example|"):
        assert raw not in everything, f"{raw} reached Slack unescaped"
    assert "&lt;https://x|y&gt;" in everything
    assert "the docs (https://evil.example)" in everything, "a link shows where it goes"
    assert " & " not in everything, "a bare & is escaped too"
    markdown = [
        block["text"]
        for call in slack.fake.calls
        for block in call.args.get("blocks") or []
        if isinstance(block.get("text"), dict) and block["text"]["type"] == "mrkdwn"
    ]
    assert markdown and all(text["verbatim"] for text in markdown)
