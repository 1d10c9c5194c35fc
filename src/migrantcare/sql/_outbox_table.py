"""The outbox table: its definition, and what an erasure does to it.

Apart from :mod:`migrantcare.sql._outbox` (which renders and claims notices) so that the
case store's erasure scrubs the outbox without importing the outbox itself.
"""

from __future__ import annotations

import datetime as _dt
from typing import Final

import sqlalchemy as sa

from migrantcare.sql._schema import CaseTables

_UTC = _dt.timezone.utc
#: The longest delivery error kept.
MAX_ERROR: Final = 500
_MAX_ERROR = MAX_ERROR


def aware(value: _dt.datetime | None) -> _dt.datetime | None:
    """``value`` as an aware UTC instant: SQLite hands instants back without a zone."""
    if value is None:
        return None
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def outbox_name(tables: CaseTables) -> tuple[str, str]:
    """The outbox table's name beside ``tables``, and its key in their ``MetaData``."""
    name = f"{tables.cases.name[: -len('cases')]}notice_outbox"
    schema = tables.metadata.schema
    return name, name if schema is None else f"{schema}.{name}"


def scrub_notices(conn: sa.Connection, table: sa.Table, case_id: str) -> None:
    """Blank the texts of ``case_id``'s notices and give up those not yet sent.

    What an erasure does to the outbox (see :meth:`SqlCaseStore.erase_in`): the texts
    carry the erased names.
    """
    t = table
    conn.execute(
        t.update()
        .where(t.c.case_id == case_id, t.c.status == "pending")
        .values(status="failed", last_error="erased")
    )
    conn.execute(t.update().where(t.c.case_id == case_id, t.c.body != "").values(body=""))


def outbox_table(tables: CaseTables) -> sa.Table:
    """Add the outbox table to the store's ``MetaData`` (once) and return it.

    The table is named like the store's (same schema, same prefix):
    ``<prefix>notice_outbox``. The package's migration ``mc0005`` (``migrantcare db
    upgrade``) creates it; include ``tables.metadata`` in your own migrations after
    calling this, or call :func:`create_outbox` for a quick start.

    Examples:
        >>> from migrantcare.sql import case_tables
        >>> tables = case_tables(prefix="mc_")
        >>> outbox_table(tables).name
        'mc_notice_outbox'
        >>> outbox_table(tables) is outbox_table(tables)
        True
    """
    prefix = tables.cases.name[: -len("cases")]
    name, key = outbox_name(tables)
    md = tables.metadata
    if key in md.tables:
        return md.tables[key]
    # an integer rowid on SQLite (autoincrement), a bigint identity on PostgreSQL
    ident = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    instant = sa.DateTime(timezone=True)
    table = sa.Table(
        name,
        md,
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
        # The rendered text: it carries personal data (names); erase_person blanks it.
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", instant, nullable=False),
        sa.Column("created_at", instant, nullable=False),
        sa.Column("sent_at", instant, nullable=True),
        sa.Column("last_error", sa.String(_MAX_ERROR), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=f"{prefix}notice_outbox_status"
        ),
    )
    # The senders' claim walks only pending rows, soonest first.
    sa.Index(
        f"{prefix}notice_outbox_pending",
        table.c.next_attempt_at,
        table.c.id,
        postgresql_where=table.c.status == "pending",
        sqlite_where=table.c.status == "pending",
    )
    sa.Index(f"{prefix}notice_outbox_case", table.c.case_id, table.c.event_seq)
    return table


def create_outbox(engine: sa.Engine, tables: CaseTables) -> sa.Table:
    """Create the outbox table if missing (a quick start; migrations own it in production)."""
    table = outbox_table(tables)
    table.create(engine, checkfirst=True)
    return table


def scrub_outbox(conn: sa.Connection, tables: CaseTables, case_id: str) -> None:
    """Blank the outbox texts of ``case_id`` and give up its pending notices, if any.

    The outbox table is the one named like ``tables``; it is looked for in the database
    when no :class:`~migrantcare.sql.Outbox` registered it on these tables.
    """
    name, key = outbox_name(tables)
    md = tables.metadata
    if key not in md.tables and not sa.inspect(conn).has_table(name, schema=md.schema):
        return
    scrub_notices(conn, outbox_table(tables), case_id)
