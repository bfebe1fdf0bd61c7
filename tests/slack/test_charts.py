"""Charts on Slack reach the eye: uploaded as image files (files_upload_v2:
files.getUploadURLExternal, the upload, files.completeUploadExternal) where
the summary is read, over real HTTP against the fake Web API."""

from __future__ import annotations

from datetime import date

from storage.models import Indicator, Reading
from tests.slack.harness import Slack

PNG = b"\x89PNG\r\n\x1a\n"


async def with_readings(slack: Slack) -> None:
    async with slack.bot.service.store.unit() as repo:
        [poc] = await repo.pocs(1)
        assert poc.id is not None
        indicator = await repo.add_indicator(
            Indicator(poc_id=poc.id, name="minutes per invoice", unit="min", target=6.0)
        )
        assert indicator.id is not None
        for day, value in ((date(2026, 11, 2), 12.0), (date(2026, 11, 9), 7.0)):
            await repo.add_reading(Reading(indicator_id=indicator.id, value=value, taken_on=day))


def upload_calls(slack: Slack) -> list[str]:
    wanted = ("files.getUploadURLExternal", "upload", "files.completeUploadExternal")
    return [c.method for c in slack.fake.calls if c.method in wanted]


async def test_a_summary_in_the_dm_comes_with_its_chart_as_an_image(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await with_readings(slack)

    await lea.says("summary invoice-agent")

    [chart] = slack.fake.files.values()
    assert chart["channel"] == lea.dm
    assert chart["content"].startswith(PNG)
    assert chart["name"] == "invoice-agent-1.png"
    assert "minutes per invoice: 2 readings, latest 7 min" in str(chart["alt_txt"])
    assert upload_calls(slack) == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_a_private_summary_in_a_channel_keeps_the_text_and_sends_the_chart_to_the_dm(
    slack: Slack,
) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await with_readings(slack)

    hook = await lea.runs("/poc summary invoice-agent", channel="C0TEAM")

    [shown] = slack.fake.responses(hook)
    assert shown["response_type"] == "ephemeral"
    assert "2 readings, latest 7 min" in str(shown["blocks"])
    [chart] = slack.fake.files.values()
    assert chart["channel"] == lea.dm, "a file can't be ephemeral: the asker's DM"
    assert any("2 readings" in str(m.blocks) for m in lea.messages()), "said what it shows"


async def test_a_posted_summary_shares_its_chart_in_the_channel(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await with_readings(slack)

    await lea.runs("/poc summary invoice-agent post", channel="C0TEAM")

    [chart] = slack.fake.files.values()
    assert chart["channel"] == "C0TEAM"


async def test_a_refused_upload_leaves_the_chart_s_text_where_it_belonged(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await with_readings(slack)
    slack.fake.fail("files.getUploadURLExternal", status=403)

    await lea.says("summary invoice-agent")

    assert slack.fake.files == {}
    assert "2 readings, latest 7 min" in lea.last().words()
