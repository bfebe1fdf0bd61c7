"""The decision record, as an auditor gets it: ``postpoc record`` on SQLite and
PostgreSQL, in Markdown, HTML and PDF, and ``/poc record`` in chat."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from conversations.messages import Document, Say, Visibility
from conversations.service import Service
from storage.models import DeliveryStatus, Poc
from storage.repository import Store
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import READY, answer_until_done

pytestmark = pytest.mark.storage
ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-12-01T08:30:00+00:00"
TITLE = 'Invoice <script>alert("x")</script> agent'
HANDLE = "invoice-script-alert-x-script"


@pytest.fixture
async def decided(store: Store) -> AsyncIterator[Store]:
    """A POC interviewed, one answer changed, framed, read, and reopened."""
    clock = Clock()
    service = Service(store, clock=clock)
    lea = Person(service, "lea")
    await lea.says("hello")
    await lea.runs(f"new {TITLE}")
    await lea.says(f"/poc interview {HANDLE}")
    await lea.runs(
        f"depth {HANDLE} full"
    )  # the weekly volume, edited below, is asked at full depth
    await answer_until_done(lea, await lea.says(f"/poc interview {HANDLE}"), READY)
    clock.advance(days=1)
    await lea.says(f"/poc edit {HANDLE} use_weekly_volume")
    await lea.says("1500")
    clock.advance(days=1)
    await lea.runs(f"decide {HANDLE} frame Needs a [rehearsed](http://evil) kill switch")
    for value in ("14", "13", "12.5"):
        clock.advance(days=7)
        await lea.runs(f"reading {HANDLE} {value}")
    async with store.unit() as repo:
        poc = await repo.poc(1, HANDLE)
        assert poc is not None
        # As the watch writes a reopening.
        await repo.audits.write(
            1,
            "reopened",
            poc_id=poc.id,
            detail={"reason": "an incident was reported"},
            at=clock.now,
        )
    yield store


def record(
    database_url: str, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "POSTPOC_DATA_DIR": str(tmp_path),
        "POSTPOC_NOW": NOW,
        "LANG": "en_US.UTF-8",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "record", HANDLE, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_the_record_of_an_empty_database_is_refused_in_one_line(
    tmp_path: Path, database_url: str
) -> None:
    from storage.database import resolve_url
    from storage.migrate import upgrade

    upgrade(resolve_url(database_url))
    done = record(database_url, tmp_path)
    assert done.returncode == 1
    assert "the database has no workspace yet" in done.stderr
    assert "Traceback" not in done.stderr


async def test_the_markdown_record_holds_the_whole_audit_trail(
    decided: Store, database_url: str, tmp_path: Path
) -> None:
    done = record(database_url, tmp_path, "--format", "md")
    assert done.returncode == 0, done.stderr
    shown = done.stdout
    assert shown.startswith("# Decision record: Invoice \\<script\\>")
    assert "Made on 2026-12-01 08:30 UTC by postpoc." in shown
    # Every answer with who and when and its reference; the history kept.
    assert (
        "| Business manager (owner\\_business\\_manager) | Claire Martin | Lea | 2026-11-02 09:"
        in shown
    )
    assert "NIST AI RMF GOVERN 2.1" in shown and "EU AI Act art. 5" in shown
    assert "### Earlier answers" in shown
    assert (
        "| Weekly volume (use\\_weekly\\_volume) | 1,500 tasks per week | Lea | 2026-11-03" in shown
    )
    # The earlier answer, and when it was replaced.
    assert (
        "| Weekly volume | 1,200 tasks per week | Lea | 2026-11-02 09:00 UTC | 2026-11-03 09:00 UTC |"
        in shown
    )
    # The recommendation, each gate with its reason, the rubric version.
    assert "| Recommendation | Industrialise |" in shown
    assert "| Rubric version | 2026.2 |" in shown
    assert "| kill\\_switch | passed | Stopping the agent has been rehearsed." in shown
    assert "| Ownership | 100/100 |" in shown
    # The decision: who, when, rationale (its link disarmed), next review.
    assert "### Decision 1: Frame" in shown
    assert "| Decided by | Lea |" in shown and "| Decided on | 2026-11-04 09:00 UTC |" in shown
    assert "Needs a \\[rehearsed\\](http://evil) kill switch" in shown
    assert "| Next review | Mar 1, 2027 |" in shown
    # Readings with their trend, the reopening, the audit trail.
    assert "handling time per invoice: 3 readings, latest 12.5 minutes" in shown
    assert "| 2026-11-11 | 14 | typed | Lea |" in shown
    assert (
        "## Reopenings" in shown
        and "| 2026-11-25 09:00 UTC | an incident was reported | — |" in shown
    )
    for action in ("poc\\_registered", "decision\\_recorded", "reading\\_recorded", "reopened"):
        assert f"| {action} |" in shown
    assert "## Check-ins" in shown and "No check-in yet." in shown


async def test_the_html_record_escapes_everything_and_shows_the_chart(
    decided: Store, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "record.html"
    done = record(database_url, tmp_path, "--format", "html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "Invoice &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; agent" in page
    assert '<img src="data:image/png;base64,' in page
    assert "<h2>Reopenings</h2>" in page and "an incident was reported" in page


async def test_the_pdf_record_reads_back_and_only_its_date_changes(
    decided: Store, database_url: str, tmp_path: Path
) -> None:
    first = record(database_url, tmp_path, "--format", "pdf", "--out", "a.pdf")
    second = record(database_url, tmp_path, "--format", "pdf", "--out", "b.pdf")
    later = record(
        database_url,
        tmp_path,
        "--format",
        "pdf",
        "--out",
        "c.pdf",
        POSTPOC_NOW="2026-12-02T10:00:00+00:00",
    )
    assert first.returncode == second.returncode == later.returncode == 0, first.stderr
    a, b, c = ((tmp_path / name).read_bytes() for name in ("a.pdf", "b.pdf", "c.pdf"))
    assert a.startswith(b"%PDF-") and a == b, "the same data at the same moment: the same bytes"
    reader, other = PdfReader(io.BytesIO(a)), PdfReader(io.BytesIO(c))
    pages = "\n".join(page.extract_text() for page in reader.pages)
    later_pages = "\n".join(page.extract_text() for page in other.pages)
    assert later_pages.replace("2026-12-02 10:00", "2026-12-01 08:30") == pages
    assert reader.metadata is not None and reader.metadata.title.startswith("Decision record")
    words = " ".join(pages.split())
    for expected in (
        'Decision record: Invoice <script>alert("x")</script> agent',
        "Made on 2026-12-01 08:30 UTC by postpoc.",
        "Claire Martin",
        "Rubric version 2026.2",
        "Decision 1: Frame",
        "an incident was reported",
        "Audit trail",
    ):
        assert expected in words, expected
    assert reader.pages[0].images or any(page.images for page in reader.pages), "the chart"


async def test_the_record_speaks_french(decided: Store, database_url: str, tmp_path: Path) -> None:
    done = record(database_url, tmp_path, "--format", "md", LANG="fr_FR.UTF-8")
    assert done.returncode == 0, done.stderr
    assert "Dossier de décision : Invoice" in done.stdout
    assert "## Journal d'audit" in done.stdout and "## Réouvertures" in done.stdout
    assert "| Décidé par | Lea |" in done.stdout


async def test_record_in_a_channel_sends_the_file_to_the_person_and_says_so(
    store: Store,
) -> None:
    service = Service(store, clock=Clock())
    lea = Person(service, "lea")
    await lea.says("hello")
    await lea.runs("new Invoice agent")
    omar = Person(service, "omar")  # a member: may see the summary, so the record

    replies = await omar.runs("record invoice-agent")

    [said, document] = replies
    assert isinstance(said, Say) and "in your direct messages" in said.text
    assert isinstance(document, Document) and document.visibility == Visibility.DIRECT
    assert document.filename == "invoice-agent-record.pdf"
    assert document.make().startswith(b"%PDF-")
    assert "postpoc record invoice-agent --format pdf" in document.fallback
    unknown = await omar.runs("record invoice-agent docx")
    assert "Usage: record <poc> [pdf|md|html]" in text(unknown)
    async with store.unit() as repo:
        events = [e.action for e in await repo.audits.of_workspace(1)]
        poc = await repo.poc(1, "invoice-agent")
    assert events.count("record_made") == 1
    assert isinstance(poc, Poc)


async def test_nudge_preview_shows_this_channels_nudge_and_posts_nothing(store: Store) -> None:
    service = Service(store, clock=Clock())
    lea = Person(service, "lea")
    await lea.says("hello")
    await lea.runs("new Invoice agent")
    await lea.runs("subscribe weekly monday 09:00 Europe/Paris", channel="C-team")
    omar = Person(service, "omar")

    refused = await omar.runs("nudge preview", channel="C-team")
    shown = text(await lea.runs("nudge preview", channel="C-team"))

    assert "Only a lead can do that." in text(refused)
    assert "A preview, posted nowhere: this channel gets the nudge every Monday at 09:00" in shown
    assert "Weekly health of 1 AI agents" in shown
    async with store.unit() as repo:
        assert await repo.outbox.count(DeliveryStatus.PENDING) == 0
