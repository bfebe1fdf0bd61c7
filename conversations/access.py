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


async def require_admin(ctx: Context) -> None:
    if Role(ctx.person.role) == Role.ADMIN:
        return
    if await ctx.repo.count_admins(ctx.workspace_id) == 0:
        # Nobody speaking first takes the role (conversations.identity): say
        # how the first admin is made, with the id the operator needs.
        raise Forbidden(
            "Nobody administers this workspace yet. Whoever runs postpoc makes the first admin on its server: postpoc role {id} admin --workspace {workspace}",
            id=ctx.person.platform_id,
            workspace=ctx.workspace.key,
        )
    raise Forbidden("Only an admin can do that.")


def may_answer(ctx: Context, poc: Poc) -> bool:
    """The owner of ``poc`` and leads answer and change its interviews."""
    return poc.owner_id == ctx.person_id or is_lead(ctx)


def require_owner_or_lead(ctx: Context, poc: Poc) -> None:
    if not may_answer(ctx, poc):
        raise Forbidden("Only the owner of {poc} or a lead can do that.", poc=poc.handle)
