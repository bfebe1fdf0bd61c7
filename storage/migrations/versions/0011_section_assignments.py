"""section assignments: interview sections handed to the people who know them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sectionassignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poc_id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("section_key", sa.String(length=80), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["asked_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["holder_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"]),
        sa.ForeignKeyConstraint(["poc_id"], ["poc.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["interview.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("interview_id", "section_key"),
    )
    with op.batch_alter_table("sectionassignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sectionassignment_poc_id"), ["poc_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sectionassignment_interview_id"), ["interview_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sectionassignment_holder_id"), ["holder_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sectionassignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sectionassignment_holder_id"))
        batch_op.drop_index(batch_op.f("ix_sectionassignment_interview_id"))
        batch_op.drop_index(batch_op.f("ix_sectionassignment_poc_id"))
    op.drop_table("sectionassignment")
