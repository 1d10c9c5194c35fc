"""Schema version 3: ``case_person_keys``, the blind index of persons' identifiers.

Revision ID: mc0003
Revises: mc0002

A new, empty table and its index: no existing table is touched. The rows are keyed
hashes made with the host's key, which the database never sees: fill them for the
cases stored before with ``SqlCaseStore.index_persons()``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrantcare.sql._migrations import already_at, context_names, set_version

revision = "mc0003"
down_revision = "mc0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the blind index table."""
    n = context_names()
    if already_at(n, 3):
        return
    op.create_table(
        n("case_person_keys"),
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        schema=n.schema,
    )
    op.create_index(
        n("case_person_keys_digest"), n("case_person_keys"), ["digest"], schema=n.schema
    )
    set_version(n, 3)


def downgrade() -> None:
    """Drop the blind index (the persons keep their data)."""
    n = context_names()
    op.drop_table(n("case_person_keys"), schema=n.schema)
    set_version(n, 2)
