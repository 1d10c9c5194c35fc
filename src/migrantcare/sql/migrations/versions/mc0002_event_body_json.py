"""Schema version 2: ``case_events.body`` is ``json`` on PostgreSQL (was ``jsonb``).

Revision ID: mc0002
Revises: mc0001

Online on PostgreSQL: no statement rewrites the events table under a lock that blocks
the service. A new nullable ``json`` column is added (a catalogue change), a trigger
fills it for rows written meanwhile, the old rows are copied in batches of 5,000 (each
its own short transaction, walking the primary key), a ``NOT VALID`` check is validated
(reads and writes go on), and one short transaction then sets ``NOT NULL`` (proved by
the check, no scan), drops the old column and renames the new one. Offline (``--sql``)
the step is the plain ``ALTER … TYPE json``, which rewrites the table under an exclusive
lock. SQLite's column is JSON text already: only the version changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrantcare.sql._migrations import Names, already_at, context_names, set_version

revision = "mc0002"
down_revision = "mc0001"
branch_labels = None
depends_on = None

#: Rows copied per transaction while the service runs (``migrantcare_batch`` in the
#: config's attributes changes it).
BATCH = 5000


def _quoted(n: Names, table: str) -> str:
    prep = op.get_context().dialect.identifier_preparer
    name = prep.quote(n(table))
    return name if n.schema is None else f"{prep.quote_schema(n.schema)}.{name}"


def _copy_in_batches(events: str) -> None:
    """Copy ``body`` into ``body_v2`` in short transactions, walking the primary key."""
    conn = op.get_bind()
    config = op.get_context().config
    size = BATCH if config is None else int(config.attributes.get("migrantcare_batch", BATCH))
    after: tuple[str, int] | None = None
    while True:
        if after is None:
            where, params = "", {}
        else:
            where = "WHERE (case_id, seq) > (:c, :s)"
            params = {"c": after[0], "s": after[1]}
        upper = conn.execute(
            sa.text(
                f"SELECT case_id, seq FROM {events} {where} ORDER BY case_id, seq "
                f"OFFSET {size - 1} LIMIT 1"
            ),
            params,
        ).one_or_none()
        bound = "" if upper is None else " AND (case_id, seq) <= (:uc, :us)"
        if upper is not None:
            params = {**params, "uc": upper[0], "us": upper[1]}
        lower = "" if after is None else " AND (case_id, seq) > (:c, :s)"
        conn.execute(
            sa.text(
                f"UPDATE {events} SET body_v2 = body::json WHERE body_v2 IS NULL{lower}{bound}"
            ),
            params,
        )
        if upper is None:
            return
        after = (upper[0], upper[1])


def upgrade() -> None:
    """Make the event documents ``json`` on PostgreSQL without a long lock."""
    n = context_names()
    if already_at(n, 2):
        return
    context = op.get_context()
    if context.dialect.name != "postgresql":
        set_version(n, 2)
        return
    events = _quoted(n, "case_events")
    if context.as_sql:
        op.execute(f"ALTER TABLE {events} ALTER COLUMN body TYPE json USING body::json")
        set_version(n, 2)
        return
    prep = context.dialect.identifier_preparer
    function = prep.quote(n("case_events_body_v2"))
    if n.schema is not None:
        function = f"{prep.quote_schema(n.schema)}.{function}"
    trigger = prep.quote(n("case_events_body_v2"))
    check = prep.quote(n("case_events_body_v2_set"))
    with context.autocommit_block():
        op.execute(f"ALTER TABLE {events} ADD COLUMN IF NOT EXISTS body_v2 json")
        op.execute(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.body_v2 := NEW.body::json; RETURN NEW; END $$"
        )
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {events}")
        op.execute(
            f"CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE OF body ON {events} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        _copy_in_batches(events)
        op.execute(f"ALTER TABLE {events} DROP CONSTRAINT IF EXISTS {check}")
        op.execute(
            f"ALTER TABLE {events} ADD CONSTRAINT {check} CHECK (body_v2 IS NOT NULL) NOT VALID"
        )
        # SHARE UPDATE EXCLUSIVE: reads and writes of the table go on meanwhile
        op.execute(f"ALTER TABLE {events} VALIDATE CONSTRAINT {check}")
    # One short transaction: no step below reads or rewrites the rows.
    op.execute(f"ALTER TABLE {events} ALTER COLUMN body_v2 SET NOT NULL")
    op.execute(f"DROP TRIGGER {trigger} ON {events}")
    op.execute(f"DROP FUNCTION {function}()")
    op.execute(f"ALTER TABLE {events} DROP COLUMN body")
    op.execute(f"ALTER TABLE {events} RENAME COLUMN body_v2 TO body")
    op.execute(f"ALTER TABLE {events} DROP CONSTRAINT {check}")
    set_version(n, 2)


def downgrade() -> None:
    """Back to ``jsonb`` (this direction rewrites the table under an exclusive lock)."""
    n = context_names()
    if op.get_context().dialect.name == "postgresql":
        op.alter_column(
            n("case_events"),
            "body",
            type_=postgresql.JSONB(),
            existing_type=sa.JSON(),
            existing_nullable=False,
            postgresql_using="body::jsonb",
            schema=n.schema,
        )
    set_version(n, 1)
