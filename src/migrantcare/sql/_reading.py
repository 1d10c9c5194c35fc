"""What the SQL store reads: its statements, and the stored records it hands the loader.

The store decodes nothing itself: each statement's rows become one
:class:`~migrantcare.cases._loader.StoredCase` (the case row's columns, the header and
person documents, one :class:`~migrantcare.cases._loader.StoredEvent` per event row),
and the core loader checks and replays it. :class:`RowColumns` holds the columns only
this store has, which it checks itself (:func:`~migrantcare.sql._rowcheck.check_columns`).
"""

from __future__ import annotations

import datetime as _dt
import json
import operator
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

import sqlalchemy as sa

from migrantcare.cases._loader import StoredCase, StoredEvent
from migrantcare.exceptions import CaseNotFoundError
from migrantcare.sql._engine import KNOWN_DRIVERS
from migrantcare.sql._schema import CaseTables

_UTC = _dt.timezone.utc
#: The event columns (seq ... body) in the rows of the whole-case statements.
EVENT_COLUMNS: Final = slice(8, 16)
#: The seq column of an item of the one-row statement's events.
_by_seq = operator.itemgetter(0)


class RowColumns(NamedTuple):
    """The case row's columns beyond what every store has, and its highest event seq."""

    c_wf: Any
    c_wfv: Any
    c_calv: Any
    c_opened: Any
    c_updated: Any
    c_last: Any  # the highest seq of every event row of the case


class OneRow(NamedTuple):
    """A row of the one-row statement, from the driver's cursor."""

    c_version: int
    c_head: str
    c_state: str
    c_office: str
    c_due: _dt.datetime | None
    c_wf: str
    c_wfv: int
    c_calv: str | None
    c_opened: _dt.datetime
    c_updated: _dt.datetime
    c_last: int | None  # the highest seq of every event row of the case
    c_doc: str | None  # JSON: [header, {role: person}, [event item, ...]]


def utc(value: _dt.datetime | None) -> _dt.datetime | None:
    """``value`` as an aware UTC instant: SQLite hands instants back without a zone."""
    if value is None:
        return None
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _columns(row: Any) -> RowColumns:
    return RowColumns(row.c_wf, row.c_wfv, row.c_calv, row.c_opened, row.c_updated, row.c_last)


def stored_one(case_id: str, row: Any) -> tuple[StoredCase, RowColumns]:
    """The one-row statement's row as stored records, its document read.

    Raises:
        CaseNotFoundError: ``row`` is ``None``.
    """
    if row is None:
        raise CaseNotFoundError(f"no stored case {case_id!r}")
    # the server built the document: [header, {role: data} or null, [item, ...] or null]
    header, persons, items = json.loads(row.c_doc)
    persons = persons or {}
    items = items or []
    # the server built each item from one row's columns: [seq, at, ..., body]
    items.sort(key=_by_seq)  # the seq column: whole numbers, one per row
    stored = StoredCase(
        case_id,
        row.c_version,
        row.c_head,
        row.c_state,
        row.c_office,
        utc(row.c_due),
        header,
        persons.get("complainant"),
        persons.get("worker"),
        [StoredEvent._make(item) for item in items],
    )
    return stored, _columns(row)


def stored_rows(
    case_id: str, rows: Sequence[Any], *, persons_read: bool = True
) -> tuple[StoredCase, RowColumns]:
    """The whole-case statement's rows of a case (in seq order) as stored records.

    Raises:
        CaseNotFoundError: there is no row.
    """
    if not rows:
        raise CaseNotFoundError(f"no stored case {case_id!r}")
    head = rows[0]  # the header and persons ride on the opening event's row
    stored = StoredCase(
        case_id,
        head.c_version,
        head.c_head,
        head.c_state,
        head.c_office,
        utc(head.c_due),
        head.c_header,
        head.c_complainant,
        head.c_worker,
        [StoredEvent._make(r[EVENT_COLUMNS]) for r in rows if r.seq is not None],
        persons_read,
    )
    return stored, _columns(head)


class Reads:
    """The statements that read cases, built once per store.

    Args:
        tables: The store's tables.
        dialect: The engine's dialect.
    """

    def __init__(self, tables: CaseTables, dialect: sa.Dialect) -> None:
        self.tables = t = tables
        c = t.cases.c
        e = t.events.c
        p = t.persons.c
        self.select_case = sa.select(c.version, c.head_hash).where(c.id == sa.bindparam("b_id"))

        def first_row_only(value: Any, type_: Any) -> Any:
            # the header and persons ride on the opening event's row only
            return sa.type_coerce(sa.case((e.seq == 0, value), else_=sa.null()), type_)

        def person(role: str) -> Any:
            return sa.select(p.data).where(p.case_id == c.id, p.role == role).scalar_subquery()

        # What every read of a case takes from its row, and from each event row.
        case_row = (
            c.version.label("c_version"),
            c.head_hash.label("c_head"),
            c.state.label("c_state"),
            c.office.label("c_office"),
            c.next_due_at.label("c_due"),
        )
        event_row = (e.seq, e.at, e.kind, e.name, e.actor, e.prev_hash, e.hash, e.body)
        # Last in every read: the other columns queries read, and the highest seq of
        # all the case's event rows (rows past the head are refused: check_columns).
        newest = t.events.alias("mc_newest")
        more_row = (
            c.workflow.label("c_wf"),
            c.workflow_version.label("c_wfv"),
            c.calendar_version.label("c_calv"),
            c.opened_at.label("c_opened"),
            c.updated_at.label("c_updated"),
            sa.select(sa.func.max(newest.c.seq))
            .where(newest.c.case_id == c.id)
            .correlate(t.cases)
            .scalar_subquery()
            .label("c_last"),
        )
        # One statement reads a whole case: one round trip, and one snapshot without an
        # explicit transaction. Events below the row's version are those it saw.
        self.whole = (
            sa.select(
                *case_row,
                first_row_only(c.header, c.header.type).label("c_header"),
                first_row_only(person("complainant"), p.data.type).label("c_complainant"),
                first_row_only(person("worker"), p.data.type).label("c_worker"),
                *event_row,
                *more_row,
            )
            .select_from(t.cases.outerjoin(t.events, sa.and_(e.case_id == c.id, e.seq < c.version)))
            .where(c.id == sa.bindparam("b_id"))
            .order_by(e.seq)
        )
        # A locked read first locks the case rows with a statement of their own, then
        # reads (see SqlCaseStore._lock_rows).
        self.lock_cases = (
            sa.select(c.id)
            .where(c.id.in_(sa.bindparam("b_ids", expanding=True)))
            .order_by(c.id)
            .with_for_update(of=t.cases)
        )
        # PostgreSQL: the same, as one row, the events aggregated by the server into one
        # JSON array (one item per event row: its columns, then its document). One row
        # and one parse instead of a row and a JSON parse per event. The reader puts the
        # items in seq order: asked of the aggregate, the server would sort the rows its
        # index scan reads in that order already (PostgreSQL 15 does; a fortieth of a
        # load), and another plan may read them in any order.
        self.one: Any = None
        if dialect.name == "postgresql":
            item = sa.func.json_build_array(*event_row)
            events_json = (
                sa.select(sa.func.json_agg(item))
                .where(e.case_id == c.id, e.seq < c.version)
                .scalar_subquery()
            )
            persons_json = (
                sa.select(sa.func.json_object_agg(p.role, p.data))
                .where(p.case_id == c.id)
                .scalar_subquery()
            )
            # the header, the persons and the events as one JSON text: one parse, and
            # one scan of the persons
            self.one = sa.select(
                *case_row,
                *more_row,
                sa.cast(
                    sa.func.json_build_array(c.header, persons_json, events_json), sa.Text
                ).label("c_doc"),
            ).where(c.id == sa.bindparam("b_id"))
        # get() runs that statement on the driver's own cursor of a pooled connection
        # when the driver is one whose values (JSONB as dicts, timestamptz as aware
        # datetimes) and parameter style are known and no connect or cursor-execute
        # listener is set on the engine: it is compiled once, and a load skips
        # SQLAlchemy's per-execution and per-connection work (a quarter of a load).
        # get_in() always runs it through SQLAlchemy.
        self.one_sql: str | None = None
        self.one_params: dict[str, Any] = {}
        if self.one is not None and dialect.driver in KNOWN_DRIVERS:
            compiled = self.one.compile(dialect=dialect)
            self.one_sql = compiled.string
            self.one_params = dict(compiled.params)
        # get_many() and load_many_in(): the same one row per case, for many ids in one
        # statement (one round trip, one parse of the statement, one pool checkout for
        # them all): the id, then the columns of the one-row statement.
        self.many_one: Any = None
        self.many_sql: str | None = None
        self.many_params: dict[str, Any] = {}
        if self.one is not None:
            self.many_one = sa.select(c.id.label("mc_case"), *self.one.selected_columns).where(
                c.id == sa.any_(sa.bindparam("b_ids", type_=sa.ARRAY(c.id.type)))
            )
            if dialect.driver in KNOWN_DRIVERS:
                compiled = self.many_one.compile(dialect=dialect)
                self.many_sql, self.many_params = compiled.string, dict(compiled.params)
        # Many whole cases at once (by id), with and without their persons (reports do
        # not need them).
        self.many = (
            sa.select(*self.whole.selected_columns, c.id.label("mc_case"))
            .select_from(*self.whole.get_final_froms())
            .where(c.id.in_(sa.bindparam("b_ids", expanding=True)))
            .order_by(c.id, e.seq)
        )
        self.many_without_persons = (
            sa.select(
                *(
                    sa.type_coerce(sa.null(), p.data.type).label(col.name)
                    if col.name in ("c_complainant", "c_worker")
                    else col
                    for col in self.whole.selected_columns
                ),
                c.id.label("mc_case"),
            )
            .select_from(*self.whole.get_final_froms())
            .where(c.id.in_(sa.bindparam("b_ids", expanding=True)))
            .order_by(c.id, e.seq)
        )
        # The events appended since a remembered version, with the case row on each
        # (usually one or two rows): one round trip, one snapshot.
        self.tail = (
            sa.select(
                *case_row,
                c.header.label("c_header"),
                person("complainant").label("c_complainant"),
                person("worker").label("c_worker"),
                *event_row,
                *more_row,
            )
            .select_from(
                t.cases.outerjoin(
                    t.events,
                    sa.and_(
                        e.case_id == c.id,
                        e.seq >= sa.bindparam("b_from"),
                        e.seq < c.version,
                    ),
                )
            )
            .where(c.id == sa.bindparam("b_id"))
            .order_by(e.seq)
        )

    def lock(self, conn: sa.Connection, case_ids: Sequence[str]) -> None:
        """Lock the rows of ``case_ids`` (in id order: two lockers never deadlock).

        A statement of its own, before anything of the cases is read: under READ
        COMMITTED each later statement then sees what was committed before the lock was
        granted, the case row and its events alike. (``FOR UPDATE`` on the reading
        statement itself would wait for a concurrent save, then return the saved row
        beside the events of the snapshot taken before it: a history one event short.)
        On SQLite the write transaction already excludes every other writer.
        """
        if case_ids and conn.dialect.name != "sqlite":
            conn.execute(self.lock_cases, {"b_ids": sorted(case_ids)})

    def fetch(self, conn: sa.Connection, case_id: str) -> tuple[StoredCase, RowColumns]:
        """The stored case ``case_id``, read on ``conn`` in one statement."""
        if self.one is not None:
            return stored_one(case_id, conn.execute(self.one, {"b_id": case_id}).first())
        return stored_rows(case_id, conn.execute(self.whole, {"b_id": case_id}).all())
