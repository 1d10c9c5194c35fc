"""The tables of the SQL case store, as SQLAlchemy Core ``MetaData``.

Hosts include :func:`case_tables` in their own Alembic migrations (``target_metadata``)
or call :func:`create_all` for a quick start. Every change to these tables bumps
:data:`SCHEMA_VERSION`; ``create_all`` records it in ``migrantcare_schema``.
"""

from __future__ import annotations

from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

#: The version of the tables below; recorded by :func:`create_all`.
#:
#: 2: ``case_events.body`` is ``json`` on PostgreSQL (was ``jsonb``).
#: 3: ``case_person_keys``, the blind index of persons' identifiers.
#: 4: ``cases.deadline_at`` and its index by office: overdue lists and the next breach.
SCHEMA_VERSION: Final = 4


def _json() -> sa.types.TypeEngine[Any]:
    # JSONB on PostgreSQL: hosts can query and index inside documents; JSON text elsewhere.
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _event_json() -> sa.types.TypeEngine[Any]:
    # JSON on PostgreSQL: the server keeps the text as written. Every load reads every
    # event document, which JSONB would render back to text each time; the trail is
    # queried by its columns, which copy the fields hosts filter on.
    return sa.JSON().with_variant(postgresql.JSON(), "postgresql")


def _instant() -> sa.DateTime:
    # Instants only: timestamptz on PostgreSQL; SQLite keeps the UTC text.
    return sa.DateTime(timezone=True)


@attrs.frozen
class CaseTables:
    """The store's tables, built on one :class:`sqlalchemy.MetaData`.

    Attributes:
        metadata: The ``MetaData`` holding every table (give it to Alembic).
        cases: One row per case: the indexed columns and the header document.
        events: The audit trail, append-only; primary key ``(case_id, seq)``.
        persons: Personal data, apart from the audit trail so it can be erased.
        schema: The single-row table recording :data:`SCHEMA_VERSION`.
        person_keys: The blind index of the persons' identifiers (keyed hashes, never
            the identifiers), beside the person rows and erased with them.
    """

    metadata: sa.MetaData
    cases: sa.Table
    events: sa.Table
    persons: sa.Table
    schema: sa.Table
    person_keys: sa.Table


def case_tables(*, schema: str | None = None, prefix: str = "") -> CaseTables:
    """Build the store's tables on a new ``MetaData``.

    Args:
        schema: A database schema (PostgreSQL namespace) to create them in.
        prefix: A prefix for the table and index names, e.g. ``"mc_"``.

    Examples:
        >>> tables = case_tables(prefix="mc_")
        >>> print(*sorted(tables.metadata.tables))
        mc_case_events mc_case_person_keys mc_case_persons mc_cases mc_migrantcare_schema
        >>> print(*(c.name for c in tables.events.primary_key))
        case_id seq
    """
    md = sa.MetaData(schema=schema)
    p = prefix
    cases = sa.Table(
        f"{p}cases",
        md,
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("workflow", sa.String(100), nullable=False),
        sa.Column("workflow_version", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", sa.String(100), nullable=False),
        sa.Column("office", sa.String(100), nullable=False),
        sa.Column("calendar_version", sa.String(100), nullable=True),
        sa.Column("next_due_at", _instant(), nullable=True),
        # the earliest deadline of the case's running clocks (breached or not)
        sa.Column("deadline_at", _instant(), nullable=True),
        sa.Column("opened_at", _instant(), nullable=False),
        sa.Column("updated_at", _instant(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("header", _json(), nullable=False),
        sa.CheckConstraint("version >= 1", name=f"{p}cases_version_positive"),
    )
    # The service's work lists: by office and state, and paging by id inside them.
    sa.Index(f"{p}cases_office_state", cases.c.office, cases.c.state, cases.c.id)
    # The sweep: due cases, soonest first. Partial, so that closed cases cost nothing;
    # a claim "WHERE next_due_at <= now ORDER BY next_due_at FOR UPDATE SKIP LOCKED"
    # walks it.
    sa.Index(
        f"{p}cases_next_due_at",
        cases.c.next_due_at,
        postgresql_where=cases.c.next_due_at.is_not(None),
        sqlite_where=cases.c.next_due_at.is_not(None),
    )
    # An office's overdue list ("deadline_at <= now", soonest first) and the next breach
    # walk it; partial, so that cases with no running clock cost nothing.
    sa.Index(
        f"{p}cases_office_deadline",
        cases.c.office,
        cases.c.deadline_at,
        cases.c.id,
        postgresql_where=cases.c.deadline_at.is_not(None),
        sqlite_where=cases.c.deadline_at.is_not(None),
    )
    # Cases whose deadlines rest on an older calendar version.
    sa.Index(f"{p}cases_calendar_version", cases.c.calendar_version, cases.c.id)
    events = sa.Table(
        f"{p}case_events",
        md,
        sa.Column(
            "case_id",
            sa.String(200),
            sa.ForeignKey(cases.c.id, ondelete="RESTRICT"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("body", _event_json(), nullable=False),
        sa.CheckConstraint("seq >= 0", name=f"{p}case_events_seq_nonnegative"),
    )
    persons = sa.Table(
        f"{p}case_persons",
        md,
        sa.Column(
            "case_id",
            sa.String(200),
            sa.ForeignKey(cases.c.id, ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("data", _json(), nullable=False),
        sa.Column("erased_at", _instant(), nullable=True),
    )
    version = sa.Table(
        f"{p}migrantcare_schema",
        md,
        sa.Column("version", sa.Integer, nullable=False),
    )
    # One keyed hash (HMAC-SHA-256 with the host's key) per identifier of a person: a
    # lookup by NIK, passport or phone without the identifiers in an index. The store
    # writes the rows with the person's and deletes them in the erasure's transaction.
    # No foreign key: hosts' maintenance (TRUNCATE of the case tables) keeps working.
    person_keys = sa.Table(
        f"{p}case_person_keys",
        md,
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
    )
    sa.Index(f"{p}case_person_keys_digest", person_keys.c.digest)
    return CaseTables(md, cases, events, persons, version, person_keys)


def create_all(engine: sa.Engine, tables: CaseTables | None = None) -> CaseTables:
    """Create the tables (if missing) and record :data:`SCHEMA_VERSION`.

    For a quick start and for tests; in production let your migrations (Alembic) own the
    schema and include :func:`case_tables` in them.

    Returns:
        The tables created.
    """
    tables = case_tables() if tables is None else tables
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(tables.schema)).scalar_one() == 0:
            conn.execute(tables.schema.insert().values(version=SCHEMA_VERSION))
    return tables
