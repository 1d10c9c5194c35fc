"""Schema version 4: ``cases.deadline_at``, the earliest deadline of a case's running clocks.

Revision ID: mc0004
Revises: mc0003

A nullable column and a partial index by office (overdue lists, the next breach). The
rows stored before are filled from their header documents (the clocks they record),
in batches, without replaying anything: a running clock's deadline is its ``due_at``.
On PostgreSQL the column is added without a rewrite, each batch is its own short
transaction and the index is built ``CONCURRENTLY``: the service and the workers keep
running. Restart the services that write cases afterwards (a store notices the column
at its first write).
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from migrantcare.sql._migrations import already_at, context_names, set_version

revision = "mc0004"
down_revision = "mc0003"
branch_labels = None
depends_on = None

#: Rows filled per statement batch.
BATCH = 5_000


def _deadline(header: Any) -> _dt.datetime | None:
    """The earliest ``due_at`` of the unstopped clocks a header records (None: none)."""
    if isinstance(header, str):
        header = json.loads(header)
    best: _dt.datetime | None = None
    for clock in (header or {}).get("clocks") or ():
        due = clock.get("due_at")
        if clock.get("stopped_at") is None and isinstance(due, str):
            when = _dt.datetime.fromisoformat(due)
            if best is None or when < best:
                best = when
    return best


def upgrade() -> None:
    """Add the column and its index; fill it for the cases stored before."""
    n = context_names()
    if already_at(n, 4):
        return
    context = op.get_context()
    online = not context.as_sql and context.dialect.name == "postgresql"
    op.add_column(n("cases"), sa.Column("deadline_at", sa.DateTime(timezone=True)), schema=n.schema)
    if online:
        # each batch its own short transaction: the service keeps writing meanwhile
        with context.autocommit_block():
            _fill(n)
    elif not context.as_sql:
        _fill(n)
    deadline: sa.ColumnClause[Any] = sa.column("deadline_at")
    index: dict[str, Any] = {
        "index_name": n("cases_office_deadline"),
        "table_name": n("cases"),
        "columns": ["office", "deadline_at", "id"],
        "schema": n.schema,
        "postgresql_where": deadline.is_not(None),
        "sqlite_where": deadline.is_not(None),
    }
    if online:
        with context.autocommit_block():
            op.create_index(**index, postgresql_concurrently=True)
    else:
        op.create_index(**index)
    set_version(n, 4)


def _fill(n: Any) -> None:
    """Fill ``deadline_at`` of the rows stored before, batch by batch, walking the ids."""
    cases = sa.table(
        n("cases"),
        sa.column("id", sa.String),
        sa.column("header", sa.JSON),
        sa.column("deadline_at", sa.DateTime(timezone=True)),
        schema=n.schema,
    )
    conn = op.get_bind()
    last = None
    while True:
        stmt = sa.select(cases.c.id, cases.c.header).order_by(cases.c.id).limit(BATCH)
        if last is not None:
            stmt = stmt.where(cases.c.id > last)
        rows = conn.execute(stmt).all()
        if not rows:
            return
        filled = [{"b_id": r.id, "b_deadline": d} for r in rows if (d := _deadline(r.header))]
        if filled:
            # only rows still without one: a store that knows the column wrote its own
            conn.execute(
                cases.update()
                .where(cases.c.id == sa.bindparam("b_id"), cases.c.deadline_at.is_(None))
                .values(deadline_at=sa.bindparam("b_deadline")),
                filled,
            )
        last = rows[-1].id


def downgrade() -> None:
    """Drop the index and the column."""
    n = context_names()
    op.drop_index(n("cases_office_deadline"), table_name=n("cases"), schema=n.schema)
    op.drop_column(n("cases"), "deadline_at", schema=n.schema)
    set_version(n, 3)
