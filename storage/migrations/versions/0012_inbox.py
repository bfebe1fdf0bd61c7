"""the inbox: platform requests kept from their acknowledgement until handled

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inboxentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace", sa.String(length=200), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("lane", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "payload",
            sa.Text().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "workspace", "delivery_id"),
    )
    with op.batch_alter_table("inboxentry", schema=None) as batch_op:
        batch_op.create_index("ix_inboxentry_lane_status_id", ["lane", "status", "id"])
        batch_op.create_index("ix_inboxentry_status_id", ["status", "id"])


def downgrade() -> None:
    with op.batch_alter_table("inboxentry", schema=None) as batch_op:
        batch_op.drop_index("ix_inboxentry_status_id")
        batch_op.drop_index("ix_inboxentry_lane_status_id")
    op.drop_table("inboxentry")
