"""Schema version 1: the cases, their events, their persons and the version row.

Revision ID: mc0001
Revises: (none; the root of the ``migrantcare`` branch)

Creates the tables as version 1 had them (every document ``jsonb`` on PostgreSQL). Does
nothing on tables already there (made by ``create_all``): the steps after it bring them
to the newest version.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrantcare.sql._migrations import already_at, context_names

revision = "mc0001"
down_revision = None
branch_labels = ("migrantcare",)
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the version 1 tables unless they are there."""
    n = context_names()
    if already_at(n, 1):
        return
    op.create_table(
        n("cases"),
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("workflow", sa.String(100), nullable=False),
        sa.Column("workflow_version", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", sa.String(100), nullable=False),
        sa.Column("office", sa.String(100), nullable=False),
        sa.Column("calendar_version", sa.String(100), nullable=True),
        sa.Column("next_due_at", _instant(), nullable=True),
        sa.Column("opened_at", _instant(), nullable=False),
        sa.Column("updated_at", _instant(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("header", _json(), nullable=False),
        sa.CheckConstraint("version >= 1", name=n("cases_version_positive")),
        schema=n.schema,
    )
    op.create_index(n("cases_office_state"), n("cases"), ["office", "state", "id"], schema=n.schema)
    op.create_index(
        n("cases_next_due_at"),
        n("cases"),
        ["next_due_at"],
        schema=n.schema,
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
        sqlite_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(
        n("cases_calendar_version"), n("cases"), ["calendar_version", "id"], schema=n.schema
    )
    op.create_table(
        n("case_events"),
        sa.Column(
            "case_id",
            sa.String(200),
            sa.ForeignKey(f"{n.qualified('cases')}.id", ondelete="RESTRICT"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.CheckConstraint("seq >= 0", name=n("case_events_seq_nonnegative")),
        schema=n.schema,
    )
    op.create_table(
        n("case_persons"),
        sa.Column(
            "case_id",
            sa.String(200),
            sa.ForeignKey(f"{n.qualified('cases')}.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("data", _json(), nullable=False),
        sa.Column("erased_at", _instant(), nullable=True),
        schema=n.schema,
    )
    version = op.create_table(
        n("migrantcare_schema"),
        sa.Column("version", sa.Integer, nullable=False),
        schema=n.schema,
    )
    op.bulk_insert(version, [{"version": 1}])


def downgrade() -> None:
    """Drop the tables (and every case in them)."""
    n = context_names()
    for table in ("case_persons", "case_events", "cases", "migrantcare_schema"):
        op.drop_table(n(table), schema=n.schema)
