"""``record`` on Teams, over HTTP as Teams delivers it. A bot hands Teams a
file only through a file consent card and an upload to the person's OneDrive
(personal chat only), which postpoc does not do: Teams gets the command that
writes the record instead, never the file's bytes in a card."""

from __future__ import annotations

import json

from tests.teams.client import TeamsBotClient


async def test_record_in_the_personal_chat_says_how_to_get_the_file(
    teams: TeamsBotClient,
) -> None:
    alice = teams.person("alice")
    await alice.says("hello")
    await alice.says("new Invoice agent")

    posted = await alice.says("record invoice-agent html")

    assert posted.status in (200, 201)
    shown = posted.text()
    assert "can't be sent as a file here" in shown
    assert "postpoc record invoice-agent --format html" in shown
    body = json.dumps([call.body for call in posted.sent])
    assert "<!DOCTYPE html>" not in body and len(body) < 20_000


async def test_record_says_so_in_french(
    teams: TeamsBotClient,
) -> None:
    # Alice is the tenant's listed admin (the fixtures' POSTPOC_ADMINS), here in French.
    alice = teams.person("alice", locale="fr-FR")
    await alice.says("bonjour")
    await alice.says("nouveau Agent factures")

    posted = await alice.says("dossier agent-factures")

    assert "postpoc record agent-factures --format pdf" in posted.text()
    assert "ne peut pas être envoyé ici en fichier" in posted.text()
