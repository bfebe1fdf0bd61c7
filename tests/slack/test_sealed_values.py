"""What the bot puts in buttons and block ids comes back sealed, or not at all:
a signed request whose button value, question token or modal metadata was
changed is refused before anything is looked up, and nothing is written."""

from __future__ import annotations

import json

import sqlalchemy as sa

from bot.slack import ids
from tests.slack.harness import APP_ID, Message, Person, Slack


async def count(slack: Slack, table: str) -> int:
    async with slack.bot.service.store.engine.connect() as connection:
        found = await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))
        return int(found.scalar_one())


async def interviewing(slack: Slack) -> tuple[Person, Message]:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    for _ in range(2):  # the prohibited and the Annex III uses: to a question of buttons
        await lea.ticks(lea.question(), ["none"])
    return lea, lea.question()


async def test_a_question_token_without_its_seal_is_refused(slack: Slack) -> None:
    lea, question = await interviewing(slack)
    assert question.token is not None
    answers = await count(slack, "answer")
    # The block id as the bot would have written it before seals: a real token.
    forged = ids.ask_block(question.token).split("~")[0]
    button = next(e for e in question.buttons if e["value"] == "internal")

    reply = await lea.acts(question, {**button, "type": "button"}, forged)

    assert reply.status == 200
    assert await count(slack, "answer") == answers, "nothing answered"
    assert lea.question().key == question.key, "still asked"


async def test_a_token_with_someone_elses_seal_is_refused(slack: Slack) -> None:
    lea, question = await interviewing(slack)
    assert question.token is not None
    sealed = ids.ask_block(question.token)
    other = ids.ask_block(question.token.replace(".use_", ".other_"))
    forged = sealed.split("~")[0] + "~" + other.split("~")[1]
    button = next(e for e in question.buttons if e["value"] == "internal")
    answers = await count(slack, "answer")

    await lea.acts(question, {**button, "type": "button"}, forged)

    assert await count(slack, "answer") == answers


async def test_a_command_button_with_a_changed_value_runs_nothing(slack: Slack) -> None:
    lea, question = await interviewing(slack)
    pocs = await count(slack, "poc")

    await lea.acts(
        question,
        {"type": "button", "action_id": f"{ids.RUN}:0", "value": "new Forged agent"},
        "b",
    )
    await lea.acts(
        question,
        {
            "type": "button",
            "action_id": ids.EDIT,
            "value": "edit invoice-agent screen_uses",
        },
        "b",
    )

    assert await count(slack, "poc") == pocs, "no POC registered"
    assert not slack.fake.called("views.open"), "no modal opened"


async def test_a_modal_whose_metadata_was_changed_stores_nothing(slack: Slack) -> None:
    lea, question = await interviewing(slack)
    await lea.presses(question, "internal")
    await lea.presses_edit(lea.messages()[0])
    [view_id] = slack.fake.views
    view = slack.fake.views[view_id]
    meta = json.loads(view["private_metadata"].rpartition("~")[0])
    answers = await count(slack, "answer")
    payload = {
        "type": "view_submission",
        "team": {"id": slack.team},
        "user": {"id": lea.user_id, "team_id": slack.team},
        "api_app_id": APP_ID,
        "trigger_id": slack.next_id("trigger."),
        "view": {
            **view,
            "id": view_id,
            "private_metadata": json.dumps(meta),  # the seal left off
            "state": {
                "values": {
                    ids.INPUT_BLOCK: {
                        ids.INPUT_ACTION: {
                            "type": "radio_buttons",
                            "selected_option": {"value": "yes"},
                        }
                    }
                }
            },
        },
    }

    await slack.form({"payload": json.dumps(payload)})

    assert await count(slack, "answer") == answers
