"""Administration from the command line: roles, export, forgetting a person.

These run against the database directly, as an operator with access to it;
each change is written to the audit trail like a change made in chat.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.runtime import LOCAL_WORKSPACES
from storage.models import Person, Poc, Role, Workspace
from storage.repository import Repo, Store


class AdminError(Exception):
    """Something the operator must fix; the message says what."""


FORGOTTEN = "[forgotten]"


async def choose_workspace(repo: Repo, key: str | None) -> Workspace:
    """The workspace named, or the only one there is."""
    if key:
        found = await repo.workspace(key)
        if found is None:
            raise AdminError(f"no workspace {key!r}; see `postpoc export` for the list")
        return found
    installations = list(await repo.installs.every())
    if len(installations) == 1:
        return await _workspace(repo, installations[0].key)
    if not installations:
        raise AdminError("the database has no workspace yet")
    names = ", ".join(i.key for i in installations)
    raise AdminError(f"several workspaces ({names}): name one with --workspace")


async def _workspace(repo: Repo, key: str) -> Workspace:
    found = await repo.workspace(key)
    assert found is not None, "an installation is a workspace row"
    return found


async def find_person(repo: Repo, workspace: Workspace, who: str) -> Person:
    """The person whose platform id is ``who``; in the console's workspace,
    where names are not chosen by strangers, a unique display name too."""
    assert workspace.id is not None
    found = await repo.person(workspace.id, who)
    if found is not None:
        return found
    if not is_local(workspace):
        raise AdminError(
            f"no person with platform id {who!r} in {workspace.key} "
            "(a display name can be anyone's: use the platform id)"
        )
    matches = list(await repo.find_people(workspace.id, who))
    if not matches:
        raise AdminError(f"nobody called {who!r} in {workspace.key}")
    if len(matches) > 1:
        raise AdminError(f"several people are called {who!r}; use their platform id")
    return matches[0]


def is_local(workspace: Workspace) -> bool:
    return workspace.key.startswith(LOCAL_WORKSPACES)


async def set_role(
    store: Store, who: str, role: str, workspace_key: str | None, now: datetime
) -> str:
    if role not in {r.value for r in Role}:
        raise AdminError("a role is admin, lead or member")
    async with store.unit() as repo:
        workspace = await choose_workspace(repo, workspace_key)
        assert workspace.id is not None
        person = await repo.person(workspace.id, who)
        new = person is None and not is_local(workspace)
        if new:
            # Someone the bot has told their id ("nobody administers yet") may
            # not be stored: a refused command keeps nothing. Known by their id.
            person = await repo.add_person(
                Person(workspace_id=workspace.id, platform_id=who, created_at=now)
            )
        person = person or await find_person(repo, workspace, who)
        await repo.set_role(person, Role(role))
        await repo.audits.write(
            workspace.id,
            "role_set",
            detail={"person_id": person.id, "role": role, "by": "cli"},
            at=now,
        )
        seen = " (not seen by the bot yet)" if new else ""
        return f"{person.display_name or person.platform_id} is now {role} in {workspace.key}{seen}"


async def forget(store: Store, who: str, workspace_key: str | None, now: datetime) -> str:
    """Erase a person's personal data; their answers stay, anonymised."""
    async with store.unit() as repo:
        workspace = await choose_workspace(repo, workspace_key)
        assert workspace.id is not None
        # By platform id only: a display name may be someone else's too.
        person = await repo.person(workspace.id, who)
        if person is None:
            raise AdminError(
                f"no person with platform id {who!r} in {workspace.key}; "
                "postpoc forget takes a platform id, never a display name"
            )
        assert person.id is not None
        old_id = person.platform_id
        named = await _anonymise_answers(repo, workspace.id, old_id)
        removed = await repo.delete_addresses(workspace.id, f"person:{old_id}")
        person.platform_id = f"forgotten:{person.id}"
        person.display_name = FORGOTTEN
        person.away_until = None
        person.timezone = "UTC"
        await repo.save(person)
        await repo.audits.write(
            workspace.id,
            "person_forgotten",
            detail={
                "person_id": person.id,
                "answers_anonymised": named,
                "addresses_removed": removed,
            },
            at=now,
        )
    return f"forgotten: person #{person.id}; {named} answers naming them anonymised, {removed} addresses removed"


async def _anonymise_answers(repo: Repo, workspace_id: int, platform_id: str) -> int:
    """Answers that name the person by their platform id (a mention). A name
    typed as text is left: it may be anyone's."""
    count = 0
    for answer in await repo.workspace_answer_rows(workspace_id):
        value = answer.value
        if isinstance(value, dict) and value.get("id") == platform_id:
            answer.value = {"id": None, "name": FORGOTTEN}
            await repo.save(answer)
            count += 1
    return count


# -- export ---------------------------------------------------------------------


@dataclass
class Export:
    pocs: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    readings: list[dict[str, Any]]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(model: Any, *fields: str, **extra: Any) -> dict[str, Any]:
    return {**{f: _plain(getattr(model, f)) for f in fields}, **extra}


async def collect(
    store: Store, workspace_key: str | None, progress: TextIO | None = sys.stderr
) -> Export:
    """Everything of one workspace (or all), one POC at a time, with progress."""
    export = Export([], [], [], [])
    async with store.unit() as repo:
        workspaces = (
            [await choose_workspace(repo, workspace_key)]
            if workspace_key
            else [await _workspace(repo, i.key) for i in await repo.installs.every()]
        )
        for workspace in workspaces:
            assert workspace.id is not None
            people = {p.id: p for p in await repo.people(workspace.id)}
            pocs = list(await repo.pocs(workspace.id))
            for done, poc in enumerate(pocs, start=1):
                await _collect_poc(repo, workspace, poc, people, export)
                if progress is not None and (done % 100 == 0 or done == len(pocs)):
                    print(
                        f"{workspace.key}: {done}/{len(pocs)} POCs exported",
                        file=progress,
                        flush=True,
                    )
    return export


def _who(people: dict[int | None, Person], person_id: int | None) -> str | None:
    person = people.get(person_id)
    return (person.display_name or person.platform_id) if person else None


async def _collect_poc(
    repo: Repo, workspace: Workspace, poc: Poc, people: dict[int | None, Person], export: Export
) -> None:
    assert poc.id is not None
    export.pocs.append(
        _row(
            poc,
            "handle",
            "title",
            "stage",
            "review_date",
            "home_channel",
            "created_at",
            "stage_changed_at",
            workspace=workspace.key,
            owner=_who(people, poc.owner_id),
        )
    )
    for answer in await repo.poc_answer_rows(poc.id):
        export.answers.append(
            _row(
                answer,
                "question_key",
                "skipped",
                "created_at",
                "superseded_at",
                poc=poc.handle,
                workspace=workspace.key,
                value=json.dumps(answer.value, ensure_ascii=False),
                by=_who(people, answer.person_id),
                current=answer.superseded_at is None,
            )
        )
    for decision in await repo.poc_decisions(poc.id):
        export.decisions.append(
            _row(
                decision,
                "outcome",
                "rationale",
                "next_review",
                "created_at",
                poc=poc.handle,
                workspace=workspace.key,
                by=_who(people, decision.decided_by_id),
                conditions=json.dumps(decision.conditions, ensure_ascii=False),
            )
        )
    for indicator in await repo.indicators(poc.id):
        assert indicator.id is not None
        for reading in await repo.readings(indicator.id):
            export.readings.append(
                _row(
                    reading,
                    "value",
                    "taken_on",
                    "source",
                    "created_at",
                    poc=poc.handle,
                    workspace=workspace.key,
                    indicator=indicator.name,
                    unit=indicator.unit,
                )
            )


def write_json(export: Export, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "postpoc-export.json"
    document = {"exported_at": datetime.now(UTC).isoformat(), **export.__dict__}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return [path]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these runs as a formula in Excel and LibreOffice
(OWASP "CSV injection"); a leading ``'`` makes it text."""
LONGEST_CELL = 32_767
"""Spreadsheets hold no more in one cell; a longer one breaks or is cut silently."""
CUT_MARKER = "…[cut: {total} characters in all; the JSON export has the whole text]"


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet may open it: never a formula, never over the cell limit.
    Numbers stay numbers (a negative reading is not a formula to csv readers)."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    if len(value) > LONGEST_CELL:
        marker = CUT_MARKER.format(total=len(value))
        value = value[: LONGEST_CELL - len(marker)] + marker
    return value


def write_csv(export: Export, out: Path) -> list[Path]:
    """One CSV per table, safe to open in a spreadsheet (:func:`safe_cell`);
    the JSON export keeps every value as stored."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in export.__dict__.items():
        path = out / f"{name}.csv"
        _write_rows(path, rows)
        written.append(path)
    return written


def _write_rows(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    fields: list[str] = []
    for row in rows:
        fields.extend(k for k in row if k not in fields)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields or ["empty"])
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
