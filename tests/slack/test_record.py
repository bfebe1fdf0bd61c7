"""``/poc record`` on Slack: the decision record uploaded to the person's DM
through the files API (files_upload_v2), over real HTTP against the fake Slack."""

from __future__ import annotations

from tests.slack.harness import Slack


async def test_a_record_asked_for_in_a_channel_is_uploaded_to_the_dm(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")

    hook = await lea.runs("/poc record invoice-agent")

    [said] = lea.replies(hook)
    assert said["response_type"] == "ephemeral"
    assert "in your direct messages" in str(said["blocks"])
    [shared] = slack.fake.files.values()
    assert shared["channel"] == lea.dm
    assert shared["name"] == "invoice-agent-record.pdf"
    assert shared["title"] == "Decision record: Invoice agent (invoice-agent)"
    assert shared["content"].startswith(b"%PDF-")
    assert "Decision record: Invoice agent" in str(lea.last().blocks)
    methods = [c.method for c in slack.fake.calls]
    assert methods.index("files.getUploadURLExternal") < methods.index("upload")
    assert methods.index("upload") < methods.index("files.completeUploadExternal")


async def test_a_record_in_the_dm_comes_in_the_format_asked(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")

    await lea.says("/poc record invoice-agent md")

    [shared] = slack.fake.files.values()
    assert shared["name"] == "invoice-agent-record.md"
    assert shared["channel"] == lea.dm
    assert shared["content"].decode().startswith("# Decision record: Invoice agent")


async def test_a_refused_upload_leaves_the_way_to_get_the_record(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    slack.fake.fail("files.getUploadURLExternal", status=403)

    await lea.runs("/poc record invoice-agent html")

    assert slack.fake.files == {}
    assert "postpoc record invoice-agent --format html" in str(lea.last().blocks)
