"""``depth <poc> standard|full``: a lead asks for a deeper interview than the triage gives.

The triage answers set the depth (``Bank.depth_of``); a lead may raise it,
never lower it below what the triage gives. The raise is stored on the
interview, audited, and read by the engine and the rubric alike.
"""

from __future__ import annotations

from conversations import assessments, engine, interviews
from conversations.access import require_lead
from conversations.commands import Command
from conversations.context import Context
from conversations.errors import UserError
from conversations.limits import quoted
from conversations.messages import Reply, Say

SYNTAX = "depth <poc> standard|full"

# The tier names people type, in both languages.
_ALIASES = {
    "leger": "light",
    "légère": "light",
    "legere": "light",
    "léger": "light",
    "complet": "full",
    "complete": "full",
    "complète": "full",
}


async def depth(ctx: Context, command: Command) -> list[Reply]:
    if len(command.args) < 2:
        raise UserError("Usage: {syntax}", syntax=SYNTAX)
    require_lead(ctx)
    poc = await ctx.repo.poc(ctx.workspace_id, command.args[0])
    if poc is None:
        raise UserError(
            "There is no POC called {poc}. Type {cmd}list to see them.", poc=quoted(command.args[0])
        )
    assert poc.id is not None
    interview = await ctx.repo.latest_interview(poc.id)
    if interview is None:
        raise UserError(
            "The interview for {poc} has not started. Type {cmd}interview {poc}.", poc=poc.handle
        )
    bank = interviews.bank_of(interview)
    if bank.depth is None:
        raise UserError("The interview of {poc} asks every question already.", poc=poc.handle)
    word = command.args[1].lower()
    wanted = _ALIASES.get(word, word)
    order = bank.depth.order
    if wanted not in order:
        raise UserError("Usage: {syntax}", syntax=SYNTAX)
    state = await interviews.load_state(ctx.repo, interview, poc)
    triage = bank.depth_of(state.known)
    if triage is not None and bank.depth.deeper(wanted, triage.tier) != wanted:
        raise UserError(
            "The triage answers set {poc} to {tier} depth: a lead can raise it, never lower it "
            "below that.",
            poc=poc.handle,
            tier=bank.depth.label(triage.tier, ctx.t.language),
        )
    # Not a step: the question the owner is looking at stays the one to answer
    # (a deeper depth only adds questions), so its buttons stay valid.
    interview.depth_floor = wanted
    await ctx.repo.save(interview)
    await ctx.audit(
        "depth_raised",
        poc.id,
        depth=wanted,
        triage=triage.tier if triage else None,
        previous=state.depth_floor,
    )
    raised = await interviews.load_state(ctx.repo, interview, poc)
    left = [
        key
        for key in engine.still_applicable(bank, raised.answers, raised.context, wanted)
        if key not in raised.answers
    ]
    await assessments.record(ctx, poc)
    return [
        Say(
            ctx.t(
                "{poc} now goes to {tier} depth: {count} questions can still apply. "
                "Its owner goes on with {cmd}interview {poc}.",
                poc=poc.handle,
                tier=bank.depth.label(wanted, ctx.t.language),
                count=len(left),
            )
        )
    ]
