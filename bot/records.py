"""``postpoc record``: a POC's decision record, written from the database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL

from bot.admin import AdminError, choose_workspace
from conversations import record, record_formats
from conversations.bank import load_bank
from conversations.i18n import translator
from storage.database import make_engine
from storage.repository import Store


async def write_record(
    url: URL,
    handle: str,
    form: str,
    out: str | None,
    workspace_key: str | None,
    locale: str,
    now: datetime,
) -> str:
    """Writes the record; returns what to print (the file's path, or the text
    itself for Markdown and HTML without ``out``)."""
    store = Store(make_engine(url))
    try:
        async with store.reading() as repo:
            workspace = await choose_workspace(repo, workspace_key)
            assert workspace.id is not None
            poc = await repo.poc(workspace.id, handle)
            if poc is None:
                raise AdminError(f"no POC {handle!r} in {workspace.key}")
            t = translator(locale).for_currency(workspace.currency)
            built = await record.build(repo, load_bank(), poc, t, now)
    finally:
        await store.dispose()
    content = record_formats.render(built, form)
    if out is None and form != "pdf":
        return content.decode("utf-8")
    path = Path(out) if out else Path(built.filename(form))
    path.write_bytes(content)
    return f"{path}\n"
