"""``token`` and ``source``: connecting a POC's own telemetry (owner or lead)."""

from __future__ import annotations

from conversations import pull, telemetry
from conversations.access import require_owner_or_lead
from conversations.commands import Command
from conversations.context import Context
from conversations.errors import UserError
from conversations.limits import quoted
from conversations.messages import Card, Field, Reply, Say, Section, Visibility
from storage.models import Indicator, Poc, TelemetrySource

TOKEN_SYNTAX = "token <poc> [rotate]"  # noqa: S105  (a usage line, not a secret)
SOURCE_SYNTAX = "source <poc> <indicator> prometheus <url> <query> | source <poc> <indicator> off"
_ROTATE = {"rotate", "renouveler"}


async def _poc(ctx: Context, handle: str) -> Poc:
    from conversations.handlers import find_poc

    poc = await find_poc(ctx, handle)
    require_owner_or_lead(ctx, poc)
    return poc


async def token(ctx: Context, command: Command) -> list[Reply]:
    """The POC's webhook secret, shown once and only to whoever asked."""
    if not command.args or len(command.args) > 2:
        raise UserError("Usage: {syntax}", syntax=TOKEN_SYNTAX)
    rotate = len(command.args) == 2
    if rotate and command.args[1].lower() not in _ROTATE:
        raise UserError("Usage: {syntax}", syntax=TOKEN_SYNTAX)
    poc = await _poc(ctx, command.args[0])
    secret, row = await telemetry.issue_secret(
        ctx.repo, poc, rotate=rotate, by=ctx.person_id, now=ctx.now
    )
    if secret is None:
        return [
            Say(
                ctx.t(
                    "{poc} already has a telemetry token, made on {day}; it is shown only once. token {poc} rotate makes a new one (the old one stops working).",
                    poc=poc.handle,
                    day=ctx.t.date(row.created_at.date()),
                )
            )
        ]
    await ctx.audit("telemetry_token_rotated" if rotate else "telemetry_token_created", poc.id)
    card = Card(
        title=ctx.t("Telemetry token of {poc}", poc=poc.handle),
        sections=(
            Section(text=f"`{secret}`"),
            Section(
                text=ctx.t(
                    "Shown once: keep it in your agent's secret store. Sign each POST to /hooks/readings with it (see the README).",
                )
            ),
        ),
        # Only the person who asked sees it: ephemeral on Slack, the personal chat on Teams.
        visibility=Visibility.PRIVATE,
    )
    return [card]


def _indicator(indicators: list[Indicator], name: str, poc: Poc) -> Indicator:
    for indicator in indicators:
        if indicator.name.lower() == name.lower():
            return indicator
    raise UserError(
        "{poc} has no indicator {name}. Its indicators: {known}.",
        poc=poc.handle,
        name=quoted(name),
        known=", ".join(i.name for i in indicators) or "-",
    )


async def source(ctx: Context, command: Command) -> list[Reply]:
    if len(command.args) < 2:
        raise UserError("Usage: {syntax}", syntax=SOURCE_SYNTAX)
    poc = await _poc(ctx, command.args[0])
    assert poc.id is not None
    indicators = list(await ctx.repo.indicators(poc.id))
    words = list(command.args[1:])
    lowered = [w.lower() for w in words]
    if lowered[-1] in ("off", "none", "aucune"):
        indicator = _indicator(indicators, " ".join(words[:-1]), poc)
        assert indicator.id is not None
        if not await ctx.repo.delete_telemetry_source(indicator.id):
            raise UserError("{indicator} has no telemetry source.", indicator=indicator.name)
        await ctx.audit("telemetry_source_removed", poc.id, indicator=indicator.name)
        return [
            Say(
                ctx.t(
                    "{indicator} of {poc} is no longer read from telemetry.",
                    indicator=indicator.name,
                    poc=poc.handle,
                )
            )
        ]
    if "prometheus" not in lowered:
        raise UserError("Usage: {syntax}", syntax=SOURCE_SYNTAX)
    split = lowered.index("prometheus")
    indicator = _indicator(indicators, " ".join(words[:split]), poc)
    after = words[split + 1 :]
    if len(after) < 2:
        raise UserError("Usage: {syntax}", syntax=SOURCE_SYNTAX)
    url = after[0].strip("<>").split("|")[0]  # Slack sends links as <url|label>
    query = " ".join(after[1:]).strip()
    if not pull.valid_url(url):
        raise UserError(
            "{url} is not a Prometheus server address: it must start with http:// or https://.",
            url=quoted(url),
        )
    if len(query) > pull.MAX_QUERY:
        raise UserError("A query is at most {limit} characters.", limit=pull.MAX_QUERY)
    assert indicator.id is not None
    existing = await ctx.repo.telemetry_source(indicator.id)
    row = existing or TelemetrySource(indicator_id=indicator.id, url=url, query=query)
    row.kind, row.url, row.query = "prometheus", url, query
    row.created_by_id, row.created_at = ctx.person_id, ctx.now
    # A changed query is read again in this period, and its old failures forgotten.
    row.last_period = row.last_attempt_at = row.failing_since = row.last_error = None
    await ctx.repo.save(row)
    await ctx.audit("telemetry_source_set", poc.id, indicator=indicator.name, kind="prometheus")
    return [
        Card(
            title=ctx.t(
                "{indicator} of {poc} is read from Prometheus",
                indicator=indicator.name,
                poc=poc.handle,
            ),
            sections=(Section(fields=(Field(ctx.t("Server"), url), Field(ctx.t("Query"), query))),),
            context=(
                ctx.t(
                    "Read at each check-in period; the weekly check-in no longer asks its owner for it."
                ),
            ),
        )
    ]
