"""telemetry readings (webhook secrets, Prometheus sources, reading instants), reopenings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reading", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True))
        # Typed readings leave taken_at empty; NULLs never collide, on SQLite as on PostgreSQL.
        batch_op.create_unique_constraint(
            "uq_reading_indicator_taken_at", ["indicator_id", "taken_at"]
        )

    op.create_table(
        "telemetrysecret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poc_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["poc_id"], ["poc.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("poc_id"),
    )
    op.create_table(
        "telemetrysource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_period", sa.String(length=20), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicator.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("indicator_id"),
    )
    op.create_table(
        "reopening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poc_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column(
            "detail",
            sa.Text().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("previous_stage", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["closed_by_id"], ["decision.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"]),
        sa.ForeignKeyConstraint(["poc_id"], ["poc.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reopening", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reopening_poc_id"), ["poc_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reopening", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reopening_poc_id"))
    op.drop_table("reopening")
    op.drop_table("telemetrysource")
    op.drop_table("telemetrysecret")
    with op.batch_alter_table("reading", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reading_indicator_taken_at", type_="unique")
        batch_op.drop_column("taken_at")
