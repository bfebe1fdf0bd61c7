"""Readings from the agent's own telemetry: the signed webhook and its secrets.

``POST /hooks/readings`` (mounted by ``bot/hooks.py``) hands the raw body and
headers to :func:`receive`, which answers with a status and a JSON reason.
The request is signed like Slack's: ``X-Postpoc-Signature: v1=<hex>``, the
HMAC-SHA256 of ``"<X-Postpoc-Timestamp>.<body>"`` under the POC's own secret.

Which workspace? The body names a POC by its handle, and handles are unique
only within a workspace; the secret settles it. Every POC of that handle that
has a secret is tried, and the one whose secret verifies the signature is the
POC meant (secrets are 256 random bits: two never match). A sender therefore
needs nothing but its own POC's handle and secret, and can reach no other POC.

The secret is stored as is, not hashed: verifying an HMAC needs the key
itself, as Slack's signing secret or a bot token does. Encrypting it with a
key held by the same process would add a setting without keeping it from
anyone who can read both; what it opens is small (posting readings for one
POC) and ``token <poc> rotate`` replaces it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets as random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from conversations.context import zone
from storage.models import Indicator, Poc, Reading, TelemetrySecret
from storage.repository import Repo, Store

TIMESTAMP_HEADER = "X-Postpoc-Timestamp"
SIGNATURE_HEADER = "X-Postpoc-Signature"
SIGNATURE_VERSION = "v1"
TOLERANCE = timedelta(minutes=5)
MAX_BODY_BYTES = 64 * 1024
MAX_READINGS = 500
TELEMETRY_SOURCES = frozenset({"webhook", "prometheus"})


def new_secret() -> str:
    return "pps_" + random.token_hex(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=<hex>``: what a sender puts in ``X-Postpoc-Signature``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def is_telemetry(source: str) -> bool:
    return source in TELEMETRY_SOURCES


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    poc: str = Field(min_length=1, max_length=40)
    indicator: str = Field(min_length=1, max_length=120)
    value: float = Field(allow_inf_nan=False)
    at: AwareDatetime


_BODY: TypeAdapter[ReadingIn | list[ReadingIn]] = TypeAdapter(ReadingIn | list[ReadingIn])


@dataclass(frozen=True)
class HookAnswer:
    status: int
    body: dict[str, Any]


def refused(status: int, reason: str, detail: str = "") -> HookAnswer:
    body: dict[str, Any] = {"ok": False, "reason": reason}
    if detail:
        body["detail"] = detail
    return HookAnswer(status, body)


def _handles(document: Any) -> set[str] | None:
    items = document if isinstance(document, list) else [document]
    if not items or len(items) > MAX_READINGS:
        return None
    handles = {item.get("poc") for item in items if isinstance(item, dict)}
    if len(handles) != 1 or not all(isinstance(h, str) and h for h in handles):
        return None
    return {h.lower() for h in handles if isinstance(h, str)}


def _timestamp(value: str, now: datetime) -> bool:
    try:
        sent = datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError):
        return False
    return abs(now - sent) <= TOLERANCE


async def receive(
    store: Store, headers: Mapping[str, str], body: bytes, now: datetime
) -> HookAnswer:
    """Verify and store one webhook delivery; nothing is stored unless all of it is good."""
    if len(body) > MAX_BODY_BYTES:
        return refused(400, "too_large", f"at most {MAX_BODY_BYTES} bytes")
    timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
    sent_signature = headers.get(SIGNATURE_HEADER, "").strip()
    if not timestamp or not sent_signature:
        return refused(401, "unsigned", f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required")
    if not _timestamp(timestamp, now):
        return refused(401, "stale", "the timestamp is more than 5 minutes from now")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return refused(400, "malformed", "the body is not JSON")
    handles = _handles(document)
    if handles is None:
        return refused(
            400,
            "malformed",
            f"one reading or a list of 1 to {MAX_READINGS}, all for the same POC",
        )
    (handle,) = handles
    async with store.unit() as repo:
        candidates = await repo.telemetry_secrets_of_handle(handle)
        if not candidates:
            return refused(401, "unknown_poc", "no POC of that handle takes telemetry")
        poc = _signed_by(candidates, timestamp, body, sent_signature)
        if poc is None:
            return refused(401, "bad_signature")
        try:
            parsed = _BODY.validate_json(body)
        except ValidationError as error:
            return refused(400, "malformed", _first_problem(error))
        readings = parsed if isinstance(parsed, list) else [parsed]
        return await _store(repo, poc, readings, now)


def _signed_by(
    candidates: Sequence[tuple[Poc, TelemetrySecret]], timestamp: str, body: bytes, sent: str
) -> Poc | None:
    found = None
    for poc, secret in candidates:
        # Every candidate is checked, in constant time, so timing tells nothing.
        if hmac.compare_digest(signature(secret.secret, timestamp, body), sent):
            found = poc
    return found


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}"[:200]


async def _store(repo: Repo, poc: Poc, readings: Sequence[ReadingIn], now: datetime) -> HookAnswer:
    assert poc.id is not None
    indicators = {i.name.lower(): i for i in await repo.indicators(poc.id)}
    unknown = sorted({r.indicator for r in readings if r.indicator.lower() not in indicators})
    if unknown:
        return refused(400, "unknown_indicator", ", ".join(unknown)[:200])
    if any(r.at - now > TOLERANCE for r in readings):
        return refused(400, "in_the_future", "a reading's at is later than now")
    owner = await repo.person_by_id(poc.owner_id) if poc.owner_id else None
    place = zone(owner.timezone if owner else "UTC")
    stored = 0
    for item in readings:
        indicator: Indicator = indicators[item.indicator.lower()]
        assert indicator.id is not None and math.isfinite(item.value)
        at = item.at.astimezone(UTC)
        if await repo.add_telemetry_reading(
            Reading(
                indicator_id=indicator.id,
                value=item.value,
                taken_on=at.astimezone(place).date(),
                taken_at=at,
                source="webhook",
                created_at=now,
            )
        ):
            stored += 1
    return HookAnswer(200, {"ok": True, "stored": stored, "duplicates": len(readings) - stored})


async def issue_secret(
    repo: Repo, poc: Poc, *, rotate: bool, by: int | None, now: datetime
) -> tuple[str | None, TelemetrySecret]:
    """The POC's new secret, shown once; None when it has one and ``rotate`` is off."""
    assert poc.id is not None
    existing = await repo.telemetry_secret(poc.id)
    if existing is not None and not rotate:
        return None, existing
    secret = new_secret()
    if existing is None:
        row = TelemetrySecret(poc_id=poc.id, secret=secret, created_by_id=by, created_at=now)
        await repo.save(row)
        return secret, row
    existing.secret, existing.created_by_id, existing.created_at = secret, by, now
    await repo.save(existing)
    return secret, existing
