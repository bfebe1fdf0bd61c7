"""Who may do what. Checked before any write; a refusal changes nothing."""

from __future__ import annotations

from conversations.context import Context
from conversations.errors import Forbidden
from storage.models import Poc, Role

_RANK = {Role.MEMBER: 0, Role.LEAD: 1, Role.ADMIN: 2}


def is_lead(ctx: Context) -> bool:
    return _RANK[Role(ctx.person.role)] >= _RANK[Role.LEAD]


def require_lead(ctx: Context) -> None:
    if not is_lead(ctx):
        raise Forbidden(
            "Only a lead can do that. Ask an admin to make you a lead ({cmd}role <person> lead)."
        )


def require_admin(ctx: Context) -> None:
    if Role(ctx.person.role) != Role.ADMIN:
        raise Forbidden("Only an admin can do that.")


def may_answer(ctx: Context, poc: Poc) -> bool:
    """The owner of ``poc`` and leads answer and change its interviews."""
    return poc.owner_id == ctx.person_id or is_lead(ctx)


def require_owner_or_lead(ctx: Context, poc: Poc) -> None:
    if not may_answer(ctx, poc):
        raise Forbidden("Only the owner of {poc} or a lead can do that.", poc=poc.handle)
