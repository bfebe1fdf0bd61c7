"""Card submit data comes back sealed or is refused: Teams lets a client post
any data, so data the bot did not write is answered plainly, before anything
is looked up, and nothing is written."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.scripts import READY
from tests.teams.client import TeamsBotClient, actions, questions
from tests.teams.conftest import Served


async def count(served: Served, table: str) -> int:
    async with served.service.store.engine.connect() as connection:
        found = await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))
        return int(found.scalar_one())


async def test_card_data_changed_on_the_way_is_refused(served: Served) -> None:
    teams: TeamsBotClient = served.client
    alice = teams.person("alice")
    await alice.says("new Invoice agent")
    posted = await alice.says("interview invoice-agent")
    while questions(posted.sent)[-1][0] != "risk_personal_data":  # the first yes/no buttons
        posted = await alice.says(READY[questions(posted.sent)[-1][0]])
    _, card = questions(posted.sent)[-1]
    [no] = [a for a in actions(card) if a["data"].get("value") == "no"]
    answers, addresses = await count(served, "answer"), await count(served, "address")

    unsealed = {k: v for k, v in no["data"].items() if k != "postpoc_seal"}
    refused = await alice.submits(card, unsealed)
    changed = await alice.submits(card, {**no["data"], "value": "yes"})
    renamed = await alice.submits(card, {**no["data"], "postpoc": "command", "command": "new X"})

    for reply in (refused, changed, renamed):
        assert reply.status == 201
        assert "I can't check that button" in reply.text()
    assert await count(served, "answer") == answers, "nothing answered"
    assert await count(served, "address") == addresses, "nothing remembered"
    assert await count(served, "poc") == 1

    accepted = await alice.submits(card, no["data"])
    assert "I can't check" not in accepted.text()
    assert await count(served, "answer") == answers + 1
