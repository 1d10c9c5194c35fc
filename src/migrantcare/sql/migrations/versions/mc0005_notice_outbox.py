"""The notice outbox: ``notice_outbox`` and its indexes, when the table is missing.

Revision ID: mc0005
Revises: mc0004

A new table beside the case tables (see :func:`migrantcare.sql.outbox_table`): no
existing table is touched or locked. It records no schema version: the outbox is
optional, and :func:`~migrantcare.sql.create_outbox` (the quick start that made it
before this revision) records none either. So the step looks for the table itself and
does nothing when it is there: an outbox made by ``create_outbox``, with its pending and
sent notices, joins the migrations without a ``stamp``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrantcare.sql._migrations import context_names, has_table

revision = "mc0005"
down_revision = "mc0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the outbox table and its two indexes unless the table is there."""
    n = context_names()
    if has_table(n, "notice_outbox"):
        return
    # an integer rowid on SQLite (autoincrement), a bigint on PostgreSQL
    ident = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    instant = sa.DateTime(timezone=True)
    op.create_table(
        n("notice_outbox"),
        sa.Column("id", ident, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("event_seq", sa.Integer, nullable=False),
        sa.Column("event_hash", sa.String(64), nullable=False),
        sa.Column("message_key", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("office", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", instant, nullable=False),
        sa.Column("created_at", instant, nullable=False),
        sa.Column("sent_at", instant, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=n("notice_outbox_status")
        ),
        schema=n.schema,
    )
    pending = sa.text("status = 'pending'")
    op.create_index(
        n("notice_outbox_pending"),
        n("notice_outbox"),
        ["next_attempt_at", "id"],
        schema=n.schema,
        postgresql_where=pending,
        sqlite_where=pending,
    )
    op.create_index(
        n("notice_outbox_case"), n("notice_outbox"), ["case_id", "event_seq"], schema=n.schema
    )


def downgrade() -> None:
    """Drop the outbox table (and every notice in it, sent or not)."""
    n = context_names()
    op.drop_table(n("notice_outbox"), schema=n.schema)
