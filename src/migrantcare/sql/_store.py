"""A case store on PostgreSQL or SQLite through SQLAlchemy Core.

One row per case (indexed columns and a header document), one row per event
(append-only), and the persons apart from both so they can be erased. A save appends the
new events and compare-and-sets the case row in one transaction; a load checks every
stored hash, the chain against the stored head, the columns against the documents, and
replays the history through the workflow.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import logging
import operator
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, NamedTuple, TextIO

import attrs
import sqlalchemy as sa

from migrantcare._time import parse_utc, read_utc
from migrantcare._validate import MAX_TEXT, plain_text
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._erasure import PERSON_ROLES
from migrantcare.cases._replay import (
    canonical_loads,
    recorded_actor,
    replay_events,
    replay_opening,
    replay_unchecked,
)
from migrantcare.cases._store import (
    DEFAULT_RETRIES,
    CaseSummary,
    check_lookup,
    check_lookups,
    check_query,
    exists,
    stale,
    update_case,
)
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import (
    CalendarMismatchError,
    CaseExistsError,
    CaseNotFoundError,
    IntegrityError,
    InvalidArgumentError,
    MigrantCareError,
    SchemaError,
    StaleCaseError,
    WrongTypeError,
)
from migrantcare.offices._actors import Actor, check_actor
from migrantcare.records._case import (
    HISTORY_FIELDS,
    Case,
    CaseEvent,
    Person,
    _stored_json,
    is_instant_text,
    make_event,
    new_event,
)
from migrantcare.sla._sla import next_due_at  # calendar-free; what Workflow.next_due_at reads
from migrantcare.sql._persons import (
    check_key,
    erase_keys,
    index_all,
    key_rows,
    lookup_statement,
    query_digests,
    visible,
)
from migrantcare.sql._rowcheck import check_columns, check_recalendared
from migrantcare.sql._schema import CaseTables, case_tables
from migrantcare.sql._seal import SEAL_FIELD, Sealer, check_sealer

_UTC = _dt.timezone.utc
#: How long a SQLite connection waits for another's lock.
_BUSY_SECONDS: Final = 30
#: The execution option telling the SQLite ``begin`` hook how to begin.
_BEGIN_OPTION: Final = "migrantcare_sqlite_begin"
#: Event kinds a load replays on top of a remembered prefix; any other kind (a
#: migration, a transfer, an erasure) sends the load through the whole history.
_TAIL_KINDS: Final = frozenset({"transition", "sla"})
#: Where a pooled connection keeps the cursor get() and save() run their statement on.
_CURSOR_KEY: Final = "migrantcare.sql.cursor"
#: How many recorded actors a store keeps built (see SqlCaseStore._actors).
_ACTORS_KEPT: Final = 4096
#: Ids, versions and error classes only: never personal data.
_log = logging.getLogger("migrantcare.sql.store")
#: Drivers whose cursors give get()'s statement values as SQLAlchemy does (pyformat).
_KNOWN_DRIVERS: Final = frozenset({"psycopg", "psycopg2"})


class _OneRow(NamedTuple):
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


class _Stored(NamedTuple):
    """The one-row statement's row, its document read: what a load checks and replays."""

    c_version: int
    c_head: str
    c_state: str
    c_office: str
    c_due: _dt.datetime | None
    c_header: Any
    c_complainant: Any
    c_worker: Any
    items: list[Any]  # the event items, in seq order
    # the other columns queries read, and the highest seq stored (see check_columns)
    c_wf: Any = None
    c_wfv: Any = None
    c_calv: Any = None
    c_opened: Any = None
    c_updated: Any = None
    c_last: Any = None


#: The event columns (seq ... body) in the rows of the whole-case statements.
_EVENT_COLUMNS: Final = slice(8, 16)

#: The seq column of an item of ``_select_one``'s events.
_by_seq = operator.itemgetter(0)


#: What :func:`_quick_fields` reads from a row: the event's fields as
#: :func:`~migrantcare.records._case.new_event` takes them, with the instant's stored text
#: after the instant, and the two hashes as their text.
_Fields = tuple[
    int,
    str,
    str,
    "str | None",
    str,
    _dt.datetime,
    Any,
    str,
    "str | None",
    "str | None",
    "str | None",
    str,
    str,
    str,
]


def _quick_fields(item: Sequence[Any], plain: set[str]) -> _Fields | None:
    """The fields of one stored row's event when nothing in it needs a second look.

    ``item`` holds the row's columns in the order selected (seq, at, kind, name, actor,
    prev_hash, hash, body). Accepts only rows whose document ``CaseEvent.from_dict``
    reads on its plain path and whose columns equal the event it reads, which is all
    :meth:`SqlCaseStore._event` checks, and gives that event's fields; ``None`` sends
    the row there, to be refused with the reason. ``plain`` holds the texts of this
    load found plain already: a history repeats its states, actors and triggers.

    The two hashes come back as the document's text, equal to their columns and not
    yet read as hex: a caller that compares them with digests it holds skips that.
    """
    seq, at, kind, name, actor, prev_hash, hash_, doc = item
    if type(doc) is not dict:
        return None
    try:
        if doc["kind"] != kind or doc["name"] != name or doc["by"] != actor:
            return None
        d_seq, d_at, raw, note = doc["seq"], doc["at"], doc["data"], doc["note"]
        source, dest, role, office = doc["source"], doc["dest"], doc["role"], doc["by_office"]
        d_prev, d_hash = doc["prev_hash"], doc["hash"]
    except KeyError:
        return None
    if not (
        type(d_seq) is int
        and d_seq == seq
        and d_seq >= 0
        and type(raw) is dict
        and d_prev == prev_hash
        and d_hash == hash_
        and type(d_prev) is str
        and len(d_prev) == 64
        and type(d_hash) is str
        and len(d_hash) == 64
        and (note is None or (type(note) is str and len(note) <= MAX_TEXT and note.isascii()))
    ):
        return None
    # kind, name and actor are the document's (equal above); each text is checked once
    if kind is None or name is None or actor is None or dest is None:
        return None
    texts = (kind, name, actor, dest, source, role, office)
    try:
        known = plain.issuperset(texts)  # after a few events, every text is
    except TypeError:  # a list or a dict: not a text
        known = False
    if not known:
        for text in texts:
            if text is None or (type(text) is str and text in plain):
                continue
            if not plain_text(text):
                return None
            plain.add(text)
    try:
        when = read_utc(d_at)
        if when is None:
            when = parse_utc(d_at, "event time")  # the general reading, or why not
        data_json = "{}" if not raw else _stored_json(raw, "event data")
        # the column's instant: the document's own text (PostgreSQL in UTC), or read
        if at != d_at and _utc(_dt.datetime.fromisoformat(at) if type(at) is str else at) != when:
            return None
    except (MigrantCareError, ValueError, TypeError, AttributeError, OverflowError):
        return None
    return (
        d_seq,
        kind,
        name,
        source,
        dest,
        when,
        d_at,
        actor,
        role,
        office,
        note,
        data_json,
        d_prev,
        d_hash,
    )


def _quick_event(item: Sequence[Any], plain: set[str]) -> CaseEvent | None:
    """The event of one stored row when nothing in it needs a second look, else ``None``.

    See :func:`_quick_fields`, which checks the row.
    """
    fields = _quick_fields(item, plain)
    if fields is None:
        return None
    seq, kind, name, source, dest, when, _, actor, role, office, note, data_json, prev, hash_ = (
        fields
    )
    try:
        prev_digest, digest = bytes.fromhex(prev), bytes.fromhex(hash_)
    except ValueError:
        return None
    if digest.hex() != hash_ or prev_digest.hex() != prev:
        return None  # not lowercase hex, as hex() writes it
    return new_event(
        seq,
        kind,
        name,
        source,
        dest,
        when,
        actor,
        role,
        office,
        note,
        data_json,
        prev_digest,
        digest,
    )


@attrs.frozen
class _Verified:
    """A case this store loaded, checked and replayed: the prefix later loads build on."""

    case: Case
    replayed: Case


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite begins transactions lazily and on its own terms; the store must begin
    # them itself so that reads are consistent and writers queue (BEGIN IMMEDIATE)
    # instead of failing with "database is locked" when both try to upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The busy timeout first: every later statement (and every BEGIN IMMEDIATE) then
    # waits for the lock instead of failing at once.
    for pragma in (f"busy_timeout={_BUSY_SECONDS * 1000}", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    # WAL lets readers run beside the writer. The mode is persistent, but switching to
    # it needs an exclusive lock and does not wait in the busy handler: it fails at once
    # ("database is locked") while another connection is in a transaction. So switch
    # only a database that is not in WAL yet (read it first: a read waits in the busy
    # handler), retrying for as long as the busy timeout; the store does it when it is
    # built (see prepare_engine), before its connections run concurrently.
    cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()
    deadline = time.monotonic() + _BUSY_SECONDS
    delay = 0.001
    while _journal_mode(cursor) != "wal":
        try:
            # returns the mode now in force; a database that cannot be in WAL (in
            # memory) keeps its own, and that is final
            cursor.execute("PRAGMA journal_mode=WAL").fetchone()
            break
        except dbapi_connection.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    cursor.close()


def _journal_mode(cursor: Any) -> str:
    return str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _sqlite_begin(conn: sa.Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def prepare_engine(engine: sa.Engine) -> sa.Engine:
    """Make ``engine`` fit for the store; a no-op except on SQLite, and idempotent.

    On SQLite it turns on foreign keys, WAL and a busy timeout for each new connection,
    and lets the store emit ``BEGIN`` itself (``BEGIN IMMEDIATE`` for writes, so that
    concurrent writers wait for each other rather than fail). Call it before the engine
    has opened connections (the store does so when it is built).
    """
    if engine.dialect.name == "sqlite" and not sa.event.contains(
        engine, "connect", _sqlite_connect
    ):
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        # Connections pooled before (create_all's) lack the settings: drop them, and
        # open one now so that the database is in WAL before threads share it.
        # (Not a database in memory: dropping its connection would drop it.)
        if engine.url.database not in (None, "", ":memory:") and "mode=memory" not in str(
            engine.url
        ):
            engine.dispose()
            with engine.connect():
                pass
    return engine


def _own_calendar(
    calendar: WorkingCalendar | Mapping[str, WorkingCalendar] | None,
    bound: Sequence[Workflow],
    count: int,
) -> WorkingCalendar | Mapping[str, WorkingCalendar] | None:
    """The ``calendar=`` a store keeps: none when every workflow is bound to offices.

    Given beside bound workflows it is deprecated (the offices are the one truth), and
    refused when it disagrees with them.
    """
    if calendar is None or len(bound) != count:
        return calendar
    warnings.warn(
        "SqlCaseStore(calendar=...) is deprecated for workflows bound to offices: "
        "the store takes every calendar from the bound offices; omit calendar=",
        DeprecationWarning,
        stacklevel=3,
    )
    _agrees_with_offices(calendar, bound)
    return None


def _agrees_with_offices(
    calendar: WorkingCalendar | Mapping[str, WorkingCalendar], bound: Sequence[Workflow]
) -> None:
    """Refuse a ``calendar=`` that differs from the bound offices' calendars.

    Raises:
        CalendarMismatchError: naming the first office whose calendar differs.
    """
    for workflow in bound:
        offices = workflow.offices
        assert offices is not None  # bound
        given: Mapping[str, WorkingCalendar] = (
            {office.id: calendar for office in offices}
            if isinstance(calendar, WorkingCalendar)
            else calendar
        )
        for office_id, cal in given.items():
            if not isinstance(cal, WorkingCalendar):
                raise WrongTypeError(
                    f"calendar for office {office_id!r} must be a WorkingCalendar, "
                    f"got {type(cal).__name__}"
                )
            own = workflow.calendar_of(office_id)
            if cal.version != own.version:
                raise CalendarMismatchError(
                    f"calendar {cal.version} ({cal.tz}) was given for office "
                    f"{office_id!r}, whose calendar in the bound offices is {own.version} "
                    f"({own.tz}); omit calendar= (the bound offices are the one truth)"
                )


def _utc(value: _dt.datetime | None) -> _dt.datetime | None:
    # SQLite hands instants back without a zone; the store writes them in UTC.
    if value is None:
        return None
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _compare_and_set(cases: sa.Table) -> tuple[sa.Update, sa.Update]:
    """The compare-and-set of a case row: with ``deadline_at`` (schema 4), and without.

    The row moves only from the version (and head) the change was based on; under
    concurrency exactly one writer matches.
    """
    c = cases.c
    cas = cases.update().where(
        c.id == sa.bindparam("b_id"),
        c.version == sa.bindparam("b_version"),
        c.head_hash == sa.bindparam("b_head"),
    )
    moved: dict[str, Any] = {
        name: sa.bindparam(name)
        for name in (
            "workflow",
            "workflow_version",
            "version",
            "state",
            "office",
            "calendar_version",
            "next_due_at",
            "updated_at",
            "head_hash",
            "header",
        )
    }
    return cas.values(**moved, deadline_at=sa.bindparam("deadline_at")), cas.values(**moved)


def _deadline(case: Case) -> _dt.datetime | None:
    """The earliest deadline of the case's running (unstopped) clocks, breached or not."""
    best: _dt.datetime | None = None
    for clock in case.clocks:
        due = clock.due_at
        if clock.stopped_at is None and due is not None and (best is None or due < best):
            best = due
    return best


def _header(case: Case) -> dict[str, Any]:
    # The case document without its history and persons: those have their own rows.
    # One event is kept so the record stays a valid case; its dict is dropped.
    doc = attrs.evolve(case, events=case.events[:1], complainant=None, worker=None).to_dict()
    for key in ("events", "complainant", "worker"):
        del doc[key]
    return doc


def _event_row(case_id: str, event: CaseEvent) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": event.seq,
        "at": event.at,
        "kind": event.kind,
        "name": event.name,
        "actor": event.by,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "body": event.to_dict(),
    }


class SqlCaseStore:
    """Cases in PostgreSQL or SQLite; satisfies :class:`migrantcare.CaseStore`.

    Args:
        engine: A SQLAlchemy engine, e.g. ``create_engine("postgresql+psycopg://...")``
            or ``create_engine("sqlite:///cases.db")``; the tables must exist
            (:func:`create_all` or your migrations).
        workflows: The workflow cases run on, or every version they ran on: loads
            replay each history through them.
        calendar: Unbound workflows only: the working calendar replays use for SLA
            clocks (one calendar, or a mapping from office id to calendar). Workflows
            bound to an ``Offices`` registry take every calendar from it, the calendar
            of the office that held the case at each event; given beside them,
            ``calendar=`` is deprecated (``DeprecationWarning``) and refused with
            ``CalendarMismatchError`` when it differs from the registry's.
        tables: The tables, when built with a schema or prefix (:func:`case_tables`).
        verified_cache: How many loaded cases the store may remember; 0 (the default)
            remembers none, so every load reads the whole history, verifies the chain
            against the stored head and replays it. A positive number is an opt-in for
            hosts that load long, busy cases often: a load of a remembered case then
            reads only the events appended since, checks that they chain onto the
            remembered head and the stored head, and replays only them. The price: an
            edit made in SQL to the *old* rows after this store loaded them is found only
            by the next full load (another store, :meth:`export_jsonl`, or a store
            with ``verified_cache=0``), not by this store.
        sealer: The host's seal keys (:class:`Sealer`, e.g. ``Sealer.from_env()``),
            kept outside the database. With them every save seals the case (an
            HMAC-SHA-256 over its identity, version, head hash, header, clocks and
            persons) and every load refuses a case whose seal is missing or wrong; a
            sealed case loads without replaying its history (the seal vouches for what
            replay would check), except when its calendar version is not the current
            one. :meth:`verify_case` replays in full. Without keys, loads detect
            careless edits but not a history rebuilt with the public API and written
            over the rows (see the "Sealed cases and digests" guide).
        person_key: The host's secret key (at least 16 random bytes, kept outside the
            database) for the blind index of persons' identifiers: with it every new
            case's persons are indexed by keyed hashes of their NIK, passport and phone
            and :meth:`cases_of_person` finds them; an erasure deletes their rows.

    Writes never rewrite history: a save inserts only the events the stored case lacks
    and compare-and-sets the case row on its version and head hash, in one transaction.
    """

    #: Whether the cases table has ``deadline_at`` (schema 4); asked at the first write.
    _deadline_column: bool | None = None

    def __init__(
        self,
        engine: sa.Engine,
        workflows: Workflow | Iterable[Workflow],
        *,
        calendar: WorkingCalendar | Mapping[str, WorkingCalendar] | None = None,
        tables: CaseTables | None = None,
        verified_cache: int = 0,
        sealer: Sealer | None = None,
        person_key: bytes | None = None,
    ) -> None:
        if not isinstance(engine, sa.Engine):
            raise WrongTypeError(f"engine must be a sqlalchemy Engine, got {type(engine).__name__}")
        self._engine = prepare_engine(engine)
        # Writers on SQLite take the write lock up front (see prepare_engine).
        self._writer = self._engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        # A read is one statement: on PostgreSQL it needs no BEGIN/ROLLBACK round trips.
        self._reader = (
            self._engine.execution_options(isolation_level="AUTOCOMMIT")
            if self._engine.dialect.name == "postgresql"
            else self._engine
        )
        self._workflows = (workflows,) if isinstance(workflows, Workflow) else tuple(workflows)
        if not self._workflows or not all(isinstance(w, Workflow) for w in self._workflows):
            raise WrongTypeError("workflows must be a Workflow or a non-empty iterable of them")
        # One calendar truth: workflows bound to offices take every calendar from them
        # (the office that holds the case at each event). A calendar given besides
        # would be a second truth; it is deprecated, and refused when it disagrees.
        self._bound = tuple(w for w in self._workflows if w.offices is not None)
        self._calendar = _own_calendar(calendar, self._bound, len(self._workflows))
        if (
            isinstance(verified_cache, bool)
            or not isinstance(verified_cache, int)
            or verified_cache < 0
        ):
            raise InvalidArgumentError(
                f"verified_cache must be an int >= 0, got {verified_cache!r}"
            )
        # the key of the blind index of persons (cases_of_person) stays in memory only
        self._cache_size, self._person_key = verified_cache, check_key(person_key)
        # The host's keys (never in the tables): seals every save, checked by every load.
        self._sealer = check_sealer(sealer)
        # Per store, not per module: a bounded map from case id to its verified prefix,
        # shared by the threads using this store (hence the lock).
        self._known: dict[str, _Verified] = {}
        self._verified_lock = threading.Lock()
        # The actors the loads met, by the (id, role, office) their events record: a
        # service's officers act on many cases, and an Actor checks its texts when built.
        # Values, so sharing them between threads is safe; bounded by clearing.
        self._actors: dict[tuple[str, str | None, str | None], Actor] = {}
        # Replay reproduces what was recorded; it does not judge it under today's
        # permissions (as migrantcare.replay does).
        self._by_key = {(w.name, w.version): w._unchecked() for w in self._workflows}
        # Exports and erasures are judged by the rules of the case's workflow.
        self._checked = {(w.name, w.version): w for w in self._workflows}
        self.tables = case_tables() if tables is None else tables
        t = self.tables
        c = t.cases.c
        # per number of new events: the single-statement save of PostgreSQL
        self._save_statements: dict[int, sa.Insert] = {}
        # save()'s statement per number of new events, compiled for the driver's own
        # cursor (see get()): its SQL and the bind processors of its JSON parameters
        self._save_sql: dict[int, tuple[str, dict[str, Any]]] = {}
        self._select_case = sa.select(c.version, c.head_hash).where(c.id == sa.bindparam("b_id"))
        e = t.events.c
        p = t.persons.c

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
        self._select_whole = (
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
        # reads (see _lock_rows).
        self._lock_cases = (
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
        self._select_one: Any = None
        if self._engine.dialect.name == "postgresql":
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
            self._select_one = sa.select(
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
        self._one_sql: str | None = None
        self._one_params: dict[str, Any] = {}
        if self._select_one is not None and self._engine.dialect.driver in _KNOWN_DRIVERS:
            compiled = self._select_one.compile(dialect=self._engine.dialect)
            self._one_sql = compiled.string
            self._one_params = dict(compiled.params)
        # Many whole cases at once, without their persons (reports do not need them).
        self._select_batch_without_persons = (
            sa.select(
                *(
                    sa.type_coerce(sa.null(), p.data.type).label(col.name)
                    if col.name in ("c_complainant", "c_worker")
                    else col
                    for col in self._select_whole.selected_columns
                ),
                c.id.label("mc_case"),
            )
            .select_from(*self._select_whole.get_final_froms())
            .where(c.id.in_(sa.bindparam("b_ids", expanding=True)))
            .order_by(c.id, e.seq)
        )
        # The events appended since a remembered version, with the case row on each
        # (usually one or two rows): one round trip, one snapshot.
        self._select_tail = (
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
        # Tables not yet upgraded to schema version 4 have no deadline_at column: the
        # store writes them without it (see _deadlines) until `migrantcare db upgrade`.
        self._update_case_4, self._update_case_3 = _compare_and_set(t.cases)

    def _deadlines(self, conn: sa.Connection) -> bool:
        """Whether the cases table has ``deadline_at`` (schema 4), asked once on ``conn``."""
        known = self._deadline_column
        if known is None:
            t = self.tables.cases
            columns = sa.inspect(conn).get_columns(t.name, schema=t.schema)
            known = self._deadline_column = any(col["name"] == "deadline_at" for col in columns)
        return known

    def _update_case(self, conn: sa.Connection, values: Any) -> sa.Update:
        """The compare-and-set of the case row for the tables ``conn`` reaches.

        ``values`` (one dict or a list of them) lose ``deadline_at`` when the tables
        have no such column yet.
        """
        if self._deadlines(conn):
            return self._update_case_4
        for row in [values] if isinstance(values, dict) else values:
            row.pop("deadline_at", None)
        return self._update_case_3

    @property
    def engine(self) -> sa.Engine:
        """The engine the store runs on."""
        return self._engine

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """Open a write transaction; commit when the block ends, roll back on error.

        Use it to save several cases, or a case and rows of your own (an outbox), all
        or nothing: pass the connection to :meth:`get_in`, :meth:`add_in` and
        :meth:`save_in`. On SQLite it takes the write lock at once.
        """
        with self._writer.begin() as conn:
            yield conn

    # ------------------------------------------------------------------ CaseStore

    def get(self, case_id: str) -> Case:
        """Return the stored case ``case_id``, its history checked and replayed.

        Raises:
            CaseNotFoundError: no case has that id.
            IntegrityError: a stored row was altered (naming the case and the first
                bad event), or the history does not replay through the workflows.
            InvalidArgumentError: the id holds a NUL or a lone surrogate (no case does).
        """
        check_lookup(case_id, "case_id")
        if self._one_sql is None or self._watched():
            with self._reader.connect() as conn:
                return self.get_in(conn, case_id)
        # The one statement straight on the driver's cursor (see __init__), on the
        # pool's connection itself, not a Connection around it (a tenth of a load).
        row = self._on_driver(self._one_sql, {**self._one_params, "b_id": case_id}, all_rows=False)
        # the connection is back in the pool before the replay
        return self._load_one(case_id, None if row is None else _OneRow._make(row))

    def add(self, case: Case) -> None:
        """Store a new case (its row, persons and every event) in one transaction.

        Raises:
            CaseExistsError: a case with that id is already stored (a
                :class:`StaleCaseError`).
            IntegrityError: the case's own history does not verify.
        """
        with self.transaction() as conn:
            self.add_in(conn, case)

    def _existing(self, case_id: str) -> CaseExistsError | None:
        """The error for an ``add`` of ``case_id`` if a case has that id (read afresh)."""
        with self._engine.connect() as conn:
            row = conn.execute(self._select_case, {"b_id": case_id}).one_or_none()
        return None if row is None else exists(case_id, row.version)

    def save(self, case: Case, *, expected_version: int) -> None:
        """Append the case's new events and update its row, in one transaction.

        Args:
            case: The changed case.
            expected_version: The version the change was based on (the version of the
                case as it was loaded).

        Raises:
            CaseNotFoundError: no case has that id (use :meth:`add`).
            StaleCaseError: another writer saved first; reload and apply again.
            InvalidArgumentError: ``case`` does not extend the stored history.
        """
        new, values = self._save_values(case, expected_version)
        if (
            self._engine.dialect.name != "postgresql"
            or not new
            or len(new) > 8
            or any(e.kind == "erased" for e in new)
        ):
            with self.transaction() as conn:
                self.save_in(conn, case, expected_version=expected_version)
            return
        if self._deadline_column is None:
            with self._reader.connect() as conn:
                self._deadlines(conn)
        if not self._deadline_column:
            values.pop("deadline_at", None)
        statement = self._save_statements.get(len(new))
        if statement is None:
            statement = self._save_statements[len(new)] = self._save_statement(len(new))
        if self._watched():
            with self._reader.connect() as conn:
                # One statement (a CTE: compare-and-set the row, then insert the events
                # it let through) is one transaction and one round trip.
                try:
                    inserted = conn.execute(statement, values).all()
                except sa.exc.IntegrityError:
                    raise self._past_head(case, expected_version) from None
                if len(inserted) != len(new):
                    self._refused(conn, case, expected_version)
            return
        compiled = self._save_sql.get(len(new))
        if compiled is None:
            compiled = self._save_sql[len(new)] = self._driver_statement(statement)
        sql, processors = compiled
        for name, process in processors.items():
            values[name] = process(values[name])
        # the same statement on the driver's cursor: a third of a save's work on this
        # side was SQLAlchemy's per-execution and per-connection work
        try:
            rows = self._on_driver(sql, values, all_rows=True)
        except sa.exc.IntegrityError:
            raise self._past_head(case, expected_version) from None
        if len(rows) != len(new):
            with self._reader.connect() as conn:
                self._refused(conn, case, expected_version)

    def _watched(self) -> bool:
        """Whether statements must go through SQLAlchemy (see :meth:`get`).

        They do when the driver is not one whose parameter style and values are known,
        when the store remembers verified cases, and when the host watches connections
        or statements (tracing, logging): it then sees every one.
        """
        watched = self._engine.dispatch
        return bool(
            self._engine.dialect.driver not in _KNOWN_DRIVERS
            or self._cache_size
            or watched.engine_connect
            or watched.before_cursor_execute
            or watched.after_cursor_execute
        )

    def _driver_statement(self, statement: sa.Insert) -> tuple[str, dict[str, Any]]:
        """``statement`` compiled for the driver: its SQL and its parameters' processors.

        Only parameters whose type converts the value (JSON, serialized as SQLAlchemy
        serializes it) have a processor; strings, numbers and aware datetimes go to
        the driver as they are, as SQLAlchemy sends them.
        """
        dialect = self._engine.dialect
        compiled = statement.compile(dialect=dialect)
        processors: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        return compiled.string, processors

    def _on_driver(self, sql: str, params: Mapping[str, Any], *, all_rows: bool) -> Any:
        """Run one statement on a pooled connection's own cursor, in autocommit.

        Returns every row (``all_rows``) or the first (None if there is none). The
        connection goes back to the pool; if anything fails it is dropped instead (it
        may be broken, and its autocommit is not restored). A driver error is raised as
        SQLAlchemy raises it (:class:`sqlalchemy.exc.DBAPIError` subclasses, the
        statement's parameters hidden), and a lost connection invalidates the pool as
        SQLAlchemy's own path does (see :meth:`_driver_failed`).
        """
        pooled = self._engine.raw_connection()
        driver: Any = None
        cursor: Any = None
        try:
            driver = pooled.driver_connection
            # what the reader's AUTOCOMMIT does: one statement needs no transaction
            begun = not driver.autocommit
            if begun:
                driver.autocommit = True
            # one cursor per connection, kept with it in the pool (an invalidated
            # connection takes it along)
            cursor = pooled.info.get(_CURSOR_KEY)
            if cursor is None:
                cursor = pooled.info[_CURSOR_KEY] = driver.cursor()
            cursor.execute(sql, params)
            result = cursor.fetchall() if all_rows else cursor.fetchone()
            if begun:
                driver.autocommit = False
        except Exception as exc:
            raise self._driver_failed(pooled, exc, sql, driver, cursor) from exc
        except BaseException:
            pooled.invalidate()
            raise
        finally:
            pooled.close()
        return result

    def _driver_failed(
        self, pooled: Any, exc: Exception, sql: str, driver: Any, cursor: Any
    ) -> BaseException:
        """Drop ``pooled`` after ``exc``; the error to raise, as SQLAlchemy would raise it.

        When the server went away (a restart, a failover: the dialect's
        ``is_disconnect``), every connection the pool holds from before is as dead as
        this one: the whole pool is invalidated, as SQLAlchemy does for a statement it
        runs, so that only the call in flight fails; the next calls reconnect.
        """
        dialect = self._engine.dialect
        dbapi = dialect.loaded_dbapi
        if not isinstance(exc, dbapi.Error):
            pooled.invalidate()
            return exc
        lost = bool(dialect.is_disconnect(exc, driver, cursor))
        if lost:
            # SQLAlchemy's own handling of a disconnect (Connection._handle_dbapi_exception):
            # this connection and every one made before it are invalidated
            self._engine.pool._invalidate(pooled, exc)
            _log.warning(
                "connection lost (%s); the pool reconnects", type(exc).__name__,
                extra={"error": type(exc).__name__},
            )  # fmt: skip
        else:
            pooled.invalidate(exc)
        return sa.exc.DBAPIError.instance(
            sql, None, exc, dbapi.Error, hide_parameters=True,
            connection_invalidated=lost, dialect=dialect,
        )  # fmt: skip

    def _save_statement(self, count: int) -> sa.Insert:
        # built on PostgreSQL, once the deadline column is known (see save())
        e = self.tables.events
        update = self._update_case_4 if self._deadline_column else self._update_case_3
        upd = update.returning(self.tables.cases.c.id).cte("mc_cas")
        columns = ("seq", "at", "kind", "name", "actor", "prev_hash", "hash", "body")
        rows = sa.union_all(
            *(
                sa.select(*(sa.bindparam(f"{k}_{i}", type_=e.c[k].type).label(k) for k in columns))
                for i in range(count)
            )
        ).subquery("mc_new")
        source = sa.select(upd.c.id, *(rows.c[k] for k in columns)).select_from(
            upd.join(rows, sa.true())
        )
        return e.insert().from_select(["case_id", *columns], source).returning(e.c.seq)

    def update(
        self, case_id: str, change: Callable[[Case], Case], *, retries: int = DEFAULT_RETRIES
    ) -> Case:
        """Load the case, apply ``change``, save; again on a concurrent save.

        See :func:`migrantcare.update_case`: the same loop for every store.

        Raises:
            CaseNotFoundError: no case has that id.
            StaleCaseError: other writers saved first on every attempt.
        """
        return update_case(self, case_id, change, retries=retries)

    def query(
        self,
        *,
        office: str | None = None,
        state: str | None = None,
        due_before: _dt.datetime | None = None,
        calendar_version_not: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[CaseSummary]:
        """Return up to ``limit`` summaries matching every filter given (one indexed query).

        See :class:`migrantcare.CaseStore` for the filters. ``due_before`` lists the
        cases whose ``next_due_at`` is at or before that instant, soonest first;
        otherwise summaries come in id order, for paging with ``after``.
        """
        when, limit = check_query(due_before, limit)
        check_lookups(
            office=office, state=state, after=after, calendar_version_not=calendar_version_not
        )
        c = self.tables.cases.c
        stmt = self._summary_select()
        if office is not None:
            stmt = stmt.where(c.office == office)
        if state is not None:
            stmt = stmt.where(c.state == state)
        if calendar_version_not is not None:
            stmt = stmt.where(c.calendar_version != calendar_version_not)
        if when is not None:
            stmt = stmt.where(c.next_due_at <= when).order_by(c.next_due_at, c.id)
        else:
            if after is not None:
                stmt = stmt.where(c.id > after)
            stmt = stmt.order_by(c.id)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt.limit(limit)).all()
        return [self._summary(r) for r in rows]

    # ------------------------------------------------------------------ more queries

    def overdue(
        self, *, office: str, at: _dt.datetime, after: str | None = None, limit: int = 100
    ) -> list[CaseSummary]:
        """The cases of ``office`` with a running clock past its deadline at ``at``.

        One indexed query (``cases_office_deadline``): the cases whose earliest running
        deadline (``deadline_at``, breached or not yet marked) is at or before ``at``,
        the longest overdue first, ties by id. Page with ``after`` (the id of the last
        case of the previous page) only among cases overdue since the same instant;
        for deep lists, page with ``at`` moving back instead.

        Args:
            office: The office holding the cases.
            at: The current instant (aware).
            after: Only cases whose id sorts after this one.
            limit: The most summaries.

        Raises:
            InvalidArgumentError: a bad limit, or a text no case holds.
            NaiveDatetimeError: ``at`` has no zone.
        """
        when, limit = check_query(at, limit)
        check_lookups(office=office, after=after)
        c = self.tables.cases.c
        stmt = (
            self._summary_select()
            .where(c.office == office, c.deadline_at <= when)
            .order_by(c.deadline_at, c.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(c.id > after)
        with self._engine.connect() as conn:
            self._need_deadlines(conn)
            return [self._summary(r) for r in conn.execute(stmt)]

    def next_deadline(
        self, *, after: _dt.datetime, office: str | None = None
    ) -> _dt.datetime | None:
        """The next deadline of any running clock (of ``office``'s cases) after ``after``.

        When the next breach falls if nothing is done: a scheduler or a dashboard
        reads it in one indexed query. ``None``: no running clock has a later deadline.
        """
        when, _ = check_query(after, 1)
        check_lookups(office=office)
        c = self.tables.cases.c
        stmt = sa.select(sa.func.min(c.deadline_at)).where(c.deadline_at > when)
        if office is not None:
            stmt = stmt.where(c.office == office)
        with self._engine.connect() as conn:
            self._need_deadlines(conn)
            return _utc(conn.execute(stmt).scalar_one_or_none())

    def _need_deadlines(self, conn: sa.Connection) -> None:
        if not self._deadlines(conn):
            raise InvalidArgumentError(
                "the case tables are older than schema version 4 (no deadline_at column): "
                "run `migrantcare db upgrade`, then restart the services that write cases"
            )

    def _summary_select(self) -> sa.Select[Any]:
        c = self.tables.cases.c
        return sa.select(
            c.id,
            c.workflow,
            c.workflow_version,
            c.version,
            c.state,
            c.office,
            c.calendar_version,
            c.next_due_at,
            c.head_hash,
        )

    @staticmethod
    def _summary(r: Any) -> CaseSummary:
        return CaseSummary(
            r.id,
            r.workflow,
            r.workflow_version,
            r.version,
            r.state,
            r.office,
            r.calendar_version,
            _utc(r.next_due_at),
            r.head_hash,
        )

    def history(self, case_id: str, *, after: int = -1, limit: int = 100) -> list[CaseEvent]:
        """Return up to ``limit`` events of a case with ``seq > after``, oldest first.

        Pages through a long history without loading or replaying the case. Each event's
        own hash is checked; the chain is checked when the whole case is loaded.

        Raises:
            CaseNotFoundError: no case has that id.
            IntegrityError: a row's columns and document disagree, its hash does not
                match its content, or it lies past the head the case row records.
        """
        _, limit = check_query(None, limit)
        check_lookup(case_id, "case_id")
        e = self.tables.events.c
        stmt = (
            sa.select(e.seq, e.at, e.kind, e.name, e.actor, e.prev_hash, e.hash, e.body)
            .where(e.case_id == case_id, e.seq > after)
            .order_by(e.seq)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
            # read after the events: a save commits its events and the row together, so
            # every event read is below the version read here unless it was inserted
            # outside the store
            head = conn.execute(self._select_case, {"b_id": case_id}).first()
        if head is None:
            raise CaseNotFoundError(f"no stored case {case_id!r}")
        if rows and rows[-1].seq >= head.version:
            past = next(r.seq for r in rows if r.seq >= head.version)
            raise IntegrityError(
                f"case {case_id!r}: an event row with seq {past} lies past the head (the "
                f"case row records {head.version} events): inserted outside the store"
            )
        events = [self._event(case_id, *r) for r in rows]
        for event in events:
            if event.expected_digest() != event.digest:
                raise IntegrityError(
                    f"case {case_id!r}, event {event.seq}: content does not match its hash (edited)"
                )
        return events

    def export_jsonl(
        self, out: TextIO, *, by: Actor | None = None, office: str | None = None
    ) -> int:
        """Write every case (or an office's) to ``out`` as JSON lines; return the count.

        Each line is a case document as :meth:`Workflow.export` gives it for ``by``: the
        whole document (:meth:`Case.to_dict`) when the workflow's rules let ``by`` read
        the case's personal data, otherwise the document without it (persons and notes
        ``null``, ``"personal_data": "withheld"``). See the JSON Schema reference. Cases
        come in id order, read in batches; the stored hashes and chain are checked on
        the way, histories are not replayed.

        Args:
            out: A text stream.
            by: Who the export is for; ``None`` (a report, a third party) never gets
                personal data.
            office: Only this office's cases.

        Raises:
            IntegrityError: a stored row was altered, or a case runs on a workflow this
                store was not given.
        """
        if by is not None:
            check_actor(by)
        check_lookups(office=office)
        c = self.tables.cases.c
        count, last = 0, None
        while True:
            stmt = sa.select(c.id).order_by(c.id).limit(500)
            if office is not None:
                stmt = stmt.where(c.office == office)
            if last is not None:
                stmt = stmt.where(c.id > last)
            with self._engine.connect() as conn:
                ids = conn.execute(stmt).scalars().all()
                if not ids:
                    return count
                for case_id in ids:
                    case = self._read(conn, case_id)
                    case.verify()
                    doc = self._workflow_of(case).export(case, by=by)
                    out.write(json.dumps(doc, ensure_ascii=False, sort_keys=True))
                    out.write("\n")
                    count += 1
            last = ids[-1]

    def iter_cases(
        self, *, office: str | None = None, batch: int = 500, after: str | None = None
    ) -> Iterator[Case]:
        """Yield every stored case (or an office's) without personal data, streamed.

        For reports and figures (:func:`migrantcare.performance_figures`), which need
        the histories, not the persons: the person rows are not read, and each case
        comes with ``complainant`` and ``worker`` ``None``. Cases come in id order,
        ``batch`` at a time (one statement per batch), so memory stays flat however
        many there are. The stored hashes and chain are checked; histories are not
        replayed.

        Args:
            office: Only this office's cases.
            batch: Cases per statement.
            after: Keyset paging: only cases whose id sorts after this one (the id of
                the last case of the previous page), so a page costs the same however
                deep it is.

        Raises:
            IntegrityError: a stored row was altered.
        """
        _, batch = check_query(None, batch)
        check_lookups(office=office, after=after)
        c = self.tables.cases.c
        last = after
        while True:
            stmt = sa.select(c.id).order_by(c.id).limit(batch)
            if office is not None:
                stmt = stmt.where(c.office == office)
            if last is not None:
                stmt = stmt.where(c.id > last)
            with self._engine.connect() as conn:
                ids = conn.execute(stmt).scalars().all()
                if not ids:
                    return
                grouped: dict[str, list[Any]] = {case_id: [] for case_id in ids}
                for row in conn.execute(self._select_batch_without_persons, {"b_ids": ids}):
                    grouped[row.mc_case].append(row)
            for case_id, rows in grouped.items():
                case = self._read_rows(case_id, rows)
                case.verify()
                yield case
            last = ids[-1]

    def newest_event_at(self) -> _dt.datetime | None:
        """The instant of the newest event of any stored case (``None``: no case).

        What a report takes as "now" when none is given: the library never reads a
        clock.
        """
        c = self.tables.cases.c
        with self._engine.connect() as conn:
            return _utc(conn.execute(sa.select(sa.func.max(c.updated_at))).scalar_one_or_none())

    def cases_of_person(
        self,
        *,
        nik: str | None = None,
        passport: str | None = None,
        phone: str | None = None,
        by: Actor,
    ) -> tuple[str, ...]:
        """Return the ids of the cases of a person, found by NIK, passport or phone.

        Looks up the blind index (keyed hashes of the normalised identifiers: see
        :func:`normalise_nik`, :func:`normalise_passport`, :func:`normalise_phone`); a
        case matches when any given identifier is one of any of its persons. Only cases
        whose personal data ``by`` may read (the workflow's ``read_personal_data`` rule,
        in its office scope) are returned; the others are not shown, not even counted.
        Erased persons are not found.

        Args:
            nik: A NIK (16 digits; separators are dropped).
            passport: A passport number (case and spaces do not matter).
            phone: A phone number (E.164, or national with Indonesia's +62).
            by: Who asks.

        Returns:
            Case ids, oldest case first.

        Raises:
            InvalidArgumentError: the store has no ``person_key``, no identifier is
                given, or one does not normalise (the value is never shown).
        """
        key = self._needs_person_key()
        digests = query_digests(key, nik=nik, passport=passport, phone=phone)
        check_actor(by)
        with self._reader.connect() as conn:
            rows = conn.execute(self._person_lookup, {"b_digests": digests}).all()
        return visible(rows, self._checked, by)

    def index_persons(self, *, batch: int = 500) -> int:
        """Write the blind index of every stored person not erased; return the persons.

        For cases stored before the store had a ``person_key`` (or before schema
        version 3), and after a change of key: each batch of persons is re-indexed in
        its own transaction. Safe to run while the service runs.

        Raises:
            InvalidArgumentError: the store has no ``person_key``, or ``batch`` is not
                from 1 to 10,000.
        """
        key = self._needs_person_key()
        if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 10_000:
            raise InvalidArgumentError(f"batch must be an int from 1 to 10000, got {batch!r}")
        return index_all(self, key, batch)

    @functools.cached_property
    def _person_lookup(self) -> sa.Select[Any]:
        return lookup_statement(self.tables)

    def _needs_person_key(self) -> bytes:
        if self._person_key is None:
            raise InvalidArgumentError(
                "this store has no person_key: give SqlCaseStore(..., person_key=...) the "
                "host's secret key to index and look up persons"
            )
        return self._person_key

    def erase_person(
        self,
        case_id: str,
        *,
        at: _dt.datetime,
        by: Actor,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Erase a case's personal data (UU 27/2022) and record it, in one transaction.

        Goes through :meth:`Workflow.erase_personal_data`: ``by`` must be allowed to
        erase (the workflow's ``erase`` rule, in its office scope). The person rows
        become tombstones, and an ``"erased"`` event that names only the roles erased
        and the role that authorised it is appended; the case still verifies and
        replays.

        ``expected_version`` (``None``: do not check) is the version the caller read:
        a case at another version is not erased (:class:`StaleCaseError`).

        Returns:
            The case after the erasure.

        Raises:
            CaseNotFoundError: no case has that id.
            PermissionDeniedError: ``by`` may not erase it; nothing is changed.
            StaleCaseError: the case is not at ``expected_version``.
        """
        with self.transaction() as conn:
            return self.erase_in(
                conn, case_id, at=at, by=by, note=note, expected_version=expected_version
            )

    def erase_in(
        self,
        conn: sa.Connection,
        case_id: str,
        *,
        at: _dt.datetime,
        by: Actor,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Like :meth:`erase_person`, in the caller's transaction (roll it back on error).

        The texts of the case's notices in the outbox table, when the database has one
        (:func:`create_outbox`), are blanked in the same transaction, and its notices
        not yet sent are given up (``"failed"``, reason ``"erased"``): they carry the
        erased names. One erasure, whichever object it goes through.
        """
        case = self.get_in(conn, case_id, lock=True)
        erased = self._workflow_of(case).erase_personal_data(
            case, at=at, by=by, note=note, expected_version=expected_version
        )
        if erased.version != case.version:
            self.save_in(conn, erased, expected_version=case.version)
        self._scrub_notices(conn, case_id)
        _log.info(
            "case %r: personal data erased",
            case_id,
            extra={"case_id": case_id, "version": erased.version},
        )
        return erased

    def _scrub_notices(self, conn: sa.Connection, case_id: str) -> None:
        """Blank the outbox texts of ``case_id`` and give up its pending notices.

        The outbox table is the one named like this store's tables; it is looked for
        in the database when no :class:`Outbox` registered it on these tables.
        """
        from migrantcare.sql._outbox import outbox_table, scrub_notices  # noqa: PLC0415 - a cycle

        md = self.tables.metadata
        name = f"{self.tables.cases.name[: -len('cases')]}notice_outbox"
        key = name if md.schema is None else f"{md.schema}.{name}"
        if key not in md.tables and not sa.inspect(conn).has_table(name, schema=md.schema):
            return
        scrub_notices(conn, outbox_table(self.tables), case_id)

    # ------------------------------------------------------------------ in a transaction

    def get_in(self, conn: sa.Connection, case_id: str, *, lock: bool = False) -> Case:
        """Like :meth:`get`, on a connection the caller holds.

        Args:
            conn: The connection (see :meth:`transaction`).
            case_id: The case id.
            lock: Lock the case row until the transaction ends (``FOR UPDATE`` on
                PostgreSQL; on SQLite the write transaction already excludes others).
        """
        check_lookup(case_id, "case_id")
        if lock:
            self._lock_rows(conn, [case_id])
        if self._cache_size:
            with self._verified_lock:
                known = self._known.get(case_id)
            if known is not None:
                tail = self._load_tail(conn, case_id, known)
                if tail is not None:
                    return tail
        return self._load_stored(case_id, self._fetch(conn, case_id))

    def _lock_rows(self, conn: sa.Connection, case_ids: Sequence[str]) -> None:
        """Lock the rows of ``case_ids`` (in id order: two lockers never deadlock).

        A statement of its own, before anything of the cases is read: under READ
        COMMITTED each later statement then sees what was committed before the lock was
        granted, the case row and its events alike. (``FOR UPDATE`` on the reading
        statement itself would wait for a concurrent save, then return the saved row
        beside the events of the snapshot taken before it: a history one event short.)
        On SQLite the write transaction already excludes every other writer.
        """
        if case_ids and self._engine.dialect.name != "sqlite":
            conn.execute(self._lock_cases, {"b_ids": sorted(case_ids)})

    def _load_one(self, case_id: str, row: Any) -> Case:
        """The full load of a case from the one row of ``_select_one``: check, replay, remember."""
        return self._load_stored(case_id, self._stored(case_id, row))

    def _load_stored(self, case_id: str, stored: _Stored, *, deep: bool = False) -> Case:
        """The load of a case read; the one place that chooses how it is checked.

        A sealed store loads a sealed case without replay (:meth:`_sealed_load`) unless
        ``deep``; otherwise the history is replayed: in one pass if it can, else in full.
        """
        if self._sealer is not None and not deep:
            sealed = self._sealed_load(case_id, stored)
            if sealed is not None:
                return sealed
        quick = self._quick_load(case_id, stored)
        if quick is None:
            return self._replayed_and_checked(self._read_stored(case_id, stored))
        case, replayed = quick
        self._remember(case, replayed)
        return case

    def _sealed_load(self, case_id: str, stored: _Stored) -> Case | None:
        """A sealed case, loaded by decoding its rows and re-hashing its events.

        Each row is checked against its document, every event's hash and link is
        recomputed, the newest must be the row's head, every column must agree, and the
        seal (under one of the host's keys) must match the case: a writer without the
        key could not have made it, so the transitions and clocks need no replay.
        ``None`` (replay instead) for a case whose clocks rest on another calendar than
        the current one, or on a workflow this store was not given.
        """
        case = self._read_stored(case_id, stored)  # every row, column and the seal
        case.verify()  # every hash and link
        workflow = self._checked.get((case.workflow, case.workflow_version))
        if workflow is None:
            return None
        if workflow.spec.sla is not None:
            try:
                cal = self.calendar_for(case.office)
            except MigrantCareError:
                return None
            if cal is not None and cal.version != case.calendar_version:
                return None
        return case

    def verify_case(self, case_id: str) -> Case:
        """Load ``case_id`` with every check there is: the full replay, and the seal.

        The deep check of a sealed store (whose loads skip the replay), and what
        ``migrantcare audit`` runs on every case.

        Raises:
            CaseNotFoundError: no case has that id.
            IntegrityError: anything stored disagrees, naming the case.
        """
        with self._reader.connect() as conn:
            return self._load_stored(case_id, self._fetch(conn, case_id), deep=True)

    def _quick_load(self, case_id: str, row: _Stored) -> tuple[Case, Case] | None:
        """A load with nothing out of the ordinary: (the case as stored, as replayed).

        The history is replayed straight from the stored rows. A transition's row is
        accepted when it is plain (:func:`_quick_fields`), names the step the workflow
        takes from the state replay has reached, and records the position, link, source,
        destination and hash of the event replay makes of it. The hash covers every
        other field, and replay took those from the row: so the stored event is the
        replayed one, and need not be built apart and compared with it. Then the
        header must give the replayed case in every field.

        That is what the full load checks, on fewer rows: an opening and transitions
        of one workflow, nothing that needs a second look. ``None`` on anything else;
        the full load then decides, and names what is wrong. It would accept all this
        function accepts, and build the same case (a property test holds the two equal).
        """
        items = row.items
        if not items or len(items) != row.c_version:
            return None
        plain: set[str] = set()
        first = _quick_event(items[0], plain)
        if first is None or first.seq != 0:
            return None
        try:
            persons: tuple[Person | None, Person | None] = (
                None if row.c_complainant is None else Person.from_dict(row.c_complainant),
                None if row.c_worker is None else Person.from_dict(row.c_worker),
            )
            calendar = self._calendar_for(row.c_office)
            key = (first.by, first.role, first.office)
            opener = self._actors.get(key) or self._new_actor(key)
            # the opening's data as the row holds it: what first.data reads back
            rebuilt, workflow = replay_opening(
                case_id,
                first,
                *persons,
                self._by_key,
                calendar,
                by=opener,
                info=items[0][7]["data"],
            )
            if rebuilt.events[0] != first:
                return None
            # transitions do not move a case: the office, so the calendar, stays
            cal = workflow._calendar(rebuilt.office, calendar)
            replayed = self._quick_transitions(rebuilt, workflow, cal, items, plain)
            if replayed is None:
                return None
            case = self._case_from(case_id, row, replayed.events, persons)
        except (MigrantCareError, KeyError, TypeError, AttributeError, ValueError):
            return None
        return (case, replayed) if case == replayed else None

    def _new_actor(self, key: tuple[str, str | None, str | None]) -> Actor:
        """The actor an event records as ``key`` (id, role, office), built and kept."""
        actors = self._actors
        if len(actors) >= _ACTORS_KEPT:
            actors.clear()
        actor = actors[key] = recorded_actor(*key)
        return actor

    def _quick_transitions(
        self,
        rebuilt: Case,
        workflow: Workflow,
        cal: WorkingCalendar | None,
        items: list[Any],
        plain: set[str],
    ) -> Case | None:
        """``rebuilt`` (the opened case) with the transitions of ``items[1:]`` replayed.

        ``None`` when a row is not one :meth:`_quick_load` accepts. Events that only
        move the state (``Workflow._quiet``) are made in a row and the case built once
        for them: what firing them one by one gives.
        """
        steps, actors = workflow._steps, self._actors
        previous = items[0][6]  # the opening's hash, checked by _quick_event
        state, last, run = rebuilt.state, rebuilt.events[0], []
        quiet: dict[Any, bool] = {}  # per step, for the case as ``rebuilt`` holds it
        for position in range(1, len(items)):
            item = items[position]
            fields = _quick_fields(item, plain) if item[2] == "transition" else None
            if fields is None:
                return None
            seq, _, name, source, dest, when, text, by, role, office, note, data, prev, new = fields
            step = steps.get((state, name))
            if (
                step is None
                or seq != position
                or prev != previous
                or source != state
                or dest != step.dest
            ):
                return None
            actor = actors.get((by, role, office)) or self._new_actor((by, role, office))
            instant = text if is_instant_text(text, when) else None
            is_quiet = quiet.get(step)
            if is_quiet is None:
                is_quiet = quiet[step] = workflow._quiet(rebuilt, step, cal)
            if is_quiet:
                # what _fire makes of it: the data is canonical JSON already
                last = make_event(
                    last,
                    "transition",
                    name,
                    state,
                    step.dest,
                    when,
                    actor.id,
                    actor.role,
                    actor.office,
                    note,
                    data,
                    step.head,
                    actor._text,
                    instant,
                )
                run.append(last)
            else:
                if run:
                    rebuilt = rebuilt.evolved_by(state, run)
                    run = []
                quiet.clear()  # the event may move a clock
                # what replay_events fires for the stored event
                rebuilt = workflow._fire(
                    rebuilt,
                    name,
                    when,
                    actor,
                    note,
                    None if data == "{}" else canonical_loads(data),
                    cal,
                    step,
                    instant,
                )
                last = rebuilt.events[-1]
            if last.digest.hex() != new:
                return None
            state, previous = step.dest, new
        return rebuilt.evolved_by(state, run) if run else rebuilt

    def _load_rows(self, case_id: str, rows: Sequence[Any]) -> Case:
        """The full load of a case from ``_select_whole``'s rows: check, replay, remember."""
        return self._load_stored(case_id, self._stored_rows(case_id, rows))

    def _replayed_and_checked(self, case: Case) -> Case:
        """Replay a case just read and check it against its history; remember it."""
        case_id = case.id
        try:
            calendar = self._calendar_for(case.office)
            replayed = replay_unchecked(case, self._by_key, calendar)
        except MigrantCareError as exc:
            # Name the first event that fails the hash chain, if one does; otherwise the
            # history is intact and the definitions refuse it.
            case.verify()
            if isinstance(exc, IntegrityError):
                raise
            raise IntegrityError(f"case {case_id!r}: history does not replay: {exc}") from exc
        self._check_replayed(case, replayed, calendar, 0)
        self._remember(case, replayed)
        return case

    def _remember(self, case: Case, replayed: Case) -> None:
        if not self._cache_size:
            return
        verified = _Verified(case, replayed)
        with self._verified_lock:
            self._known.pop(verified.case.id, None)
            while len(self._known) >= self._cache_size:
                # dicts keep insertion order: drop the least recently loaded
                del self._known[next(iter(self._known))]
            self._known[verified.case.id] = verified

    def _forget(self, case_id: str) -> None:
        with self._verified_lock:
            self._known.pop(case_id, None)

    def _check_replayed(
        self, case: Case, replayed: Case, calendar: WorkingCalendar | None, start: int
    ) -> None:
        """Check ``case`` (as stored) against ``replayed`` (as its history gives it).

        Events before ``start`` were checked by an earlier load.
        """
        case_id = case.id
        # Replaying rebuilt every event, its hash included, from what the stored one
        # records and from the chain: each stored event must be that one, every field
        # (this is verify() without hashing twice; comparing the hashes alone would let
        # through a stored source or destination edited apart from its hash).
        if replayed.events[start:] != case.events[start:]:
            case.verify()  # names the first event that does not match its hash
            for mine, stored in zip(replayed.events[start:], case.events[start:], strict=False):
                if mine != stored:
                    raise IntegrityError(
                        f"case {case_id!r}, event {stored.seq}: differs from what its "
                        "history gives (edited)"
                    )
            raise IntegrityError(  # pragma: no cover - replay makes one event per event
                f"case {case_id!r}: its history replays to {replayed.version} events, "
                f"not {case.version}"
            )
        for field in HISTORY_FIELDS:
            if getattr(replayed, field) != getattr(case, field):
                raise IntegrityError(
                    f"case {case_id!r}: stored {field!r} differs from what its history "
                    "records (header edited)"
                )
        bound = all(w.offices is not None for w in self._workflows)
        if (
            (calendar is not None or bound)
            and replayed.calendar_version == case.calendar_version
            and replayed.clocks != case.clocks
        ):
            raise IntegrityError(
                f"case {case_id!r}: stored SLA clocks differ from what its history "
                "gives (header edited)"
            )
        if (calendar is not None or bound) and replayed.calendar_version != case.calendar_version:
            # another calendar than the current one: not trusted, re-verified by replay
            # as far as the history alone decides (the seal covers the rest)
            check_recalendared(case, replayed)

    def _load_tail(self, conn: sa.Connection, case_id: str, known: _Verified) -> Case | None:
        """Load a remembered case by replaying only the events appended since.

        Returns None when anything is out of the ordinary (fewer events than
        remembered, a kind other than a transition or an SLA fact, a different office,
        anything that does not check): the full load then decides, and names what is
        wrong.
        """
        start = known.case.version
        rows = conn.execute(self._select_tail, {"b_id": case_id, "b_from": start}).all()
        if not rows or rows[0].c_version < start:
            self._forget(case_id)
            return None
        row = rows[0]
        try:
            events = tuple(
                self._event(case_id, *r[_EVENT_COLUMNS]) for r in rows if r.seq is not None
            )
            if (
                [e.seq for e in events] != list(range(start, row.c_version))
                or any(e.kind not in _TAIL_KINDS for e in events)
                or (events[-1].hash if events else known.case.head_hash) != row.c_head
            ):
                raise IntegrityError("not a plain tail")
            case = self._case_from(case_id, row, known.case.events + events)
            if case.office != known.case.office:
                raise IntegrityError("moved office")
            calendar = self._calendar_for(case.office)
            workflow = self._by_key[known.replayed.workflow, known.replayed.workflow_version]
            rebuilt, _ = replay_events(
                case_id, known.replayed, events, workflow, self._by_key, calendar
            )
            if workflow.spec.sla is None:
                # as replay does: SLA state without a plan is carried as recorded
                rebuilt = attrs.evolve(
                    rebuilt,
                    clocks=case.clocks,
                    calendar_version=case.calendar_version,
                    calendar_zone=case.calendar_zone,
                )
            self._check_replayed(case, rebuilt, calendar, start)
        except (MigrantCareError, KeyError, TypeError, AttributeError, ValueError):
            self._forget(case_id)
            return None
        self._remember(case, rebuilt)
        return case

    def add_in(self, conn: sa.Connection, case: Case) -> None:
        """Like :meth:`add`, in the caller's transaction.

        Raises:
            CaseExistsError: a case with that id is already stored (the transaction is
                then unusable on PostgreSQL: roll it back).
        """
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        case.verify()
        t = self.tables
        row = {"id": case.id, "opened_at": case.opened_at, **self._case_values(case)}
        if not self._deadlines(conn):
            del row["deadline_at"]  # tables before schema version 4
        try:
            conn.execute(t.cases.insert(), row)
        except sa.exc.IntegrityError:
            # the primary key: a case with that id was added before, or beside, this one
            # (read on another connection: this transaction may be unusable now)
            found = self._existing(case.id)
            if found is None:  # pragma: no cover - not the primary key: the driver's error
                raise
            raise found from None
        persons = [
            {"case_id": case.id, "role": role, "data": person.to_dict(), "erased_at": None}
            for role in PERSON_ROLES
            if (person := getattr(case, role)) is not None
        ]
        if persons:
            conn.execute(t.persons.insert(), persons)
            if self._person_key is not None:
                keys = key_rows(
                    self._person_key,
                    case.id,
                    ((r, p) for r in PERSON_ROLES if (p := getattr(case, r)) is not None),
                )
                if keys:
                    conn.execute(t.person_keys.insert(), keys)
        conn.execute(t.events.insert(), [_event_row(case.id, e) for e in case.events])

    def save_in(
        self, conn: sa.Connection, case: Case, *, expected_version: int
    ) -> tuple[CaseEvent, ...]:
        """Like :meth:`save`, in the caller's transaction; return the events appended.

        Write rows of your own (an outbox of notices for the returned events) on the
        same connection: they commit or roll back together with the case.
        """
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        new, values = self._save_values(case, expected_version)
        result = conn.execute(self._update_case(conn, values), values)
        if result.rowcount != 1:
            self._refused(conn, case, expected_version)
        if new:
            try:
                conn.execute(self.tables.events.insert(), [_event_row(case.id, e) for e in new])
            except sa.exc.IntegrityError:
                raise self._past_head(case, expected_version) from None
        erased = [e for e in new if e.kind == "erased"]
        if erased:
            p = self.tables.persons
            for role in erased[-1].data.get("roles", ()):
                person = getattr(case, role, None)
                if isinstance(person, Person):
                    # the blind index goes with the data, whoever wrote it (any key)
                    erase_keys(conn, self.tables, case.id, role)
                    conn.execute(
                        p.update()
                        .where(p.c.case_id == case.id, p.c.role == role)
                        .values(data=person.to_dict(), erased_at=erased[-1].at)
                    )
        return new

    def load_many_in(
        self, conn: sa.Connection, case_ids: Sequence[str], *, lock: bool = False
    ) -> dict[str, Case | MigrantCareError]:
        """Load many cases in one statement, on a connection the caller holds.

        Each case gets the same checks as :meth:`get_in` (every hash, the chain against
        the stored head, the columns against the documents, the replay). One bad case
        does not stop the others: its id maps to the error its load raised.

        Args:
            conn: The connection (see :meth:`transaction`).
            case_ids: The ids (at most 10,000).
            lock: Lock the case rows until the transaction ends (``FOR UPDATE`` on
                PostgreSQL; on SQLite the write transaction already excludes others).

        Returns:
            For each id, in the order given: its case, or a :class:`CaseNotFoundError` /
            :class:`IntegrityError` (or another :class:`MigrantCareError`) saying why
            it did not load.
        """
        ids = [check_lookup(case_id, "case_id") for case_id in dict.fromkeys(case_ids)]
        if len(ids) > 10_000:
            raise InvalidArgumentError(f"load_many_in takes at most 10,000 ids, got {len(ids)}")
        grouped: dict[str, list[Any]] = {case_id: [] for case_id in ids}
        if ids:
            whole = self._select_whole
            c = self.tables.cases.c
            e = self.tables.events.c
            stmt = (
                sa.select(*whole.selected_columns, c.id.label("mc_case"))
                .select_from(*whole.get_final_froms())
                .where(c.id.in_(ids))
                .order_by(c.id, e.seq)
            )
            if lock:
                self._lock_rows(conn, ids)
            for row in conn.execute(stmt):
                grouped[row.mc_case].append(row)
        loaded: dict[str, Case | MigrantCareError] = {}
        for case_id, rows in grouped.items():
            try:
                loaded[case_id] = self._load_rows(case_id, rows)
            except MigrantCareError as exc:
                loaded[case_id] = exc
        return loaded

    def save_many_in(
        self, conn: sa.Connection, changes: Iterable[tuple[Case, int]]
    ) -> list[tuple[CaseEvent, ...]]:
        """Save many changed cases in the caller's transaction: one update, one insert.

        Args:
            conn: The connection (see :meth:`transaction`).
            changes: Pairs of a changed case and the version it was based on (as for
                :meth:`save_in`).

        Returns:
            The events appended, for each change in order.

        Raises:
            StaleCaseError: a case row had moved on (the transaction is then to be
                rolled back; nothing of it is kept).
            InvalidArgumentError: a case does not extend its stored history, or one
                case is given twice.
        """
        updates: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        appended: list[tuple[CaseEvent, ...]] = []
        seen: set[str] = set()
        for case, expected_version in changes:
            new, values = self._save_values(case, expected_version)
            if case.id in seen:
                raise InvalidArgumentError(
                    f"case {case.id!r} is given twice; save each case once per batch"
                )
            seen.add(case.id)
            appended.append(new)
            if any(e.kind == "erased" for e in new):
                # persons rows change too: the single-case path knows how
                self.save_in(conn, case, expected_version=expected_version)
                continue
            updates.append(values)
            event_rows.extend(_event_row(case.id, e) for e in new)
        if updates:
            result = conn.execute(self._update_case(conn, updates), updates)
            if result.rowcount not in (-1, len(updates)):
                # find which one moved, and say why
                for values in updates:
                    row = conn.execute(self._select_case, {"b_id": values["b_id"]}).one_or_none()
                    if row is None:
                        raise CaseNotFoundError(f"no stored case {values['b_id']!r}; add it first")
                    if row.version != values["version"]:
                        raise stale(values["b_id"], values["b_version"], row.version)
                raise StaleCaseError(  # pragma: no cover - one of them said why above
                    f"{len(updates) - result.rowcount} of {len(updates)} cases moved on",
                    expected=len(updates),
                    actual=result.rowcount,
                )
        if event_rows:
            try:
                conn.execute(self.tables.events.insert(), event_rows)
            except sa.exc.IntegrityError:
                names = sorted({row["case_id"] for row in event_rows})
                raise IntegrityError(
                    f"cases {names}: an event row lies past a stored head (inserted "
                    "outside the store); nothing of the batch is kept (roll it back)"
                ) from None
        return appended

    def workflow_for(self, case: Case) -> Workflow:
        """The workflow (of those this store was given) that ``case`` runs on.

        Raises:
            IntegrityError: the store was not given that workflow and version.
        """
        return self._workflow_of(case)

    def calendar_for(self, office: str) -> WorkingCalendar | None:
        """The working calendar of ``office``'s cases (or ``None``: no calendar).

        For workflows bound to offices, the bound registry's calendar of ``office``:
        the one truth the store, the sweep and the outbox use. Otherwise the
        ``calendar=`` the store was given (one, or the one for ``office``).

        Raises:
            UnknownOfficeError: the workflows are bound, and no office has that id.
            InvalidArgumentError: the store has calendars per office, but none for it.
        """
        if self._bound:
            return self._bound[0].calendar_of(office)
        return self._calendar_for(office)

    # ------------------------------------------------------------------ internals

    def _save_values(
        self, case: Case, expected_version: int
    ) -> tuple[tuple[CaseEvent, ...], dict[str, Any]]:
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise WrongTypeError(
                f"expected_version must be an int, got {type(expected_version).__name__}"
            )
        if not 1 <= expected_version <= case.version:
            raise InvalidArgumentError(
                f"case {case.id!r}: expected_version must be between 1 and the case's "
                f"version {case.version}, got {expected_version}"
            )
        new = case.events[expected_version:]
        values = self._case_values(case)
        values.update(
            b_id=case.id, b_version=expected_version, b_head=case.events[expected_version - 1].hash
        )
        for i, event in enumerate(new):
            row = _event_row(case.id, event)
            del row["case_id"]
            values.update({f"{k}_{i}": v for k, v in row.items()})
        return new, values

    @staticmethod
    def _past_head(case: Case, expected_version: int) -> IntegrityError:
        """The error of a save whose events collide with rows past the stored head."""
        return IntegrityError(
            f"case {case.id!r}: an event row at seq {expected_version} or later is stored "
            "past the head the case row records (inserted outside the store); the save "
            "is refused and nothing of it is kept"
        )

    def _refused(self, conn: sa.Connection, case: Case, expected_version: int) -> None:
        """Raise why a compare-and-set matched no row."""
        row = conn.execute(self._select_case, {"b_id": case.id}).one_or_none()
        if row is None:
            raise CaseNotFoundError(f"no stored case {case.id!r}; add it first")
        if row.version != expected_version:
            raise stale(case.id, expected_version, row.version)
        raise InvalidArgumentError(
            f"case {case.id!r}: the new value does not extend the stored history "
            f"(event {expected_version - 1} differs, or nothing new); histories are "
            "append-only"
        )

    def _workflow_of(self, case: Case) -> Workflow:
        workflow = self._checked.get((case.workflow, case.workflow_version))
        if workflow is None:
            raise IntegrityError(
                f"case {case.id!r}: runs on workflow {case.workflow!r} "
                f"v{case.workflow_version}, which this store was not given; known: "
                f"{sorted(self._checked)}"
            )
        return workflow

    def _calendar_for(self, office: str) -> WorkingCalendar | None:
        # What replays and advances are given: None for bound workflows, which resolve
        # the calendar of the office holding the case at each event themselves.
        cal = self._calendar
        if cal is None or isinstance(cal, WorkingCalendar):
            return cal
        try:
            return cal[office]
        except KeyError:
            raise InvalidArgumentError(
                f"no calendar for office {office!r}; known: {sorted(cal)}"
            ) from None

    def _case_values(self, case: Case) -> dict[str, Any]:
        return {
            "workflow": case.workflow,
            "workflow_version": case.workflow_version,
            "version": case.version,
            "state": case.state,
            "office": case.office,
            "calendar_version": case.calendar_version,
            "next_due_at": next_due_at(case),
            "deadline_at": _deadline(case),
            "updated_at": case.events[-1].at,
            "head_hash": case.head_hash,
            "header": self._sealed_header(case),
        }

    def _sealed_header(self, case: Case) -> dict[str, Any]:
        """The header document of ``case``, with its seal when the store has keys."""
        header = _header(case)
        if self._sealer is not None:
            header[SEAL_FIELD] = self._sealer.seal(case, header)
        return header

    def _event(  # noqa: PLR0917 - one per stored column, in the order selected
        self,
        case_id: str,
        seq: Any,
        at: Any,
        kind: Any,
        name: Any,
        actor: Any,
        prev_hash: Any,
        hash_: Any,
        body: Any,
    ) -> CaseEvent:
        """The event of one stored row, its columns checked against its document.

        ``at`` is the column's instant: a ``datetime`` (naive on SQLite: UTC), or the
        ISO 8601 text PostgreSQL writes for it inside JSON.
        """
        try:
            event = CaseEvent.from_dict(body)
        except (SchemaError, TypeError, AttributeError) as exc:
            raise IntegrityError(
                f"case {case_id!r}, event {seq}: stored document unreadable ({exc})"
            ) from None
        try:
            at = _utc(_dt.datetime.fromisoformat(at) if type(at) is str else at)
        except (ValueError, TypeError, AttributeError, OverflowError):
            # unreadable, or outside what a datetime holds in UTC: differs from any
            # event's instant
            at = None
        if (
            event.seq != seq
            or event.kind != kind
            or event.name != name
            or event.by != actor
            or event.hash != hash_
            or event.prev_hash != prev_hash
            or event.at != at
        ):
            raise IntegrityError(
                f"case {case_id!r}, event {seq}: columns differ from the stored document (edited)"
            )
        return event

    def _read(self, conn: sa.Connection, case_id: str) -> Case:
        """Read a case and check that its rows agree with each other (no hashing)."""
        return self._read_stored(case_id, self._fetch(conn, case_id))

    def _fetch(self, conn: sa.Connection, case_id: str) -> _Stored:
        """The stored case ``case_id``, read on ``conn`` in one statement."""
        if self._select_one is not None:
            return self._stored(case_id, conn.execute(self._select_one, {"b_id": case_id}).first())
        return self._stored_rows(case_id, conn.execute(self._select_whole, {"b_id": case_id}).all())

    @staticmethod
    def _stored(case_id: str, row: Any) -> _Stored:
        """``_select_one``'s row with its document read, the event items in seq order."""
        if row is None:
            raise CaseNotFoundError(f"no stored case {case_id!r}")
        # the server built the document: [header, {role: data} or null, [item, ...] or null]
        header, persons, items = json.loads(row.c_doc)
        persons = persons or {}
        items = items or []
        # the server built each item from one row's columns: [seq, at, ..., body]
        items.sort(key=_by_seq)  # the seq column: whole numbers, one per row
        return _Stored(
            row.c_version,
            row.c_head,
            row.c_state,
            row.c_office,
            row.c_due,
            header,
            persons.get("complainant"),
            persons.get("worker"),
            items,
            row.c_wf,
            row.c_wfv,
            row.c_calv,
            row.c_opened,
            row.c_updated,
            row.c_last,
        )

    def _read_rows(self, case_id: str, rows: Sequence[Any]) -> Case:
        """Build a case from the rows of ``_select_whole`` and check that they agree."""
        return self._read_stored(case_id, self._stored_rows(case_id, rows), persons_read=False)

    def _read_stored(self, case_id: str, stored: _Stored, *, persons_read: bool = True) -> Case:
        """The case ``stored`` holds, each row checked and the rows against each other.

        ``persons_read``: whether ``stored`` holds the person rows (reports read without).
        """
        events = self._events(case_id, stored.items)
        return self._assemble(case_id, stored, events, persons_read=persons_read)

    @staticmethod
    def _stored_rows(case_id: str, rows: Sequence[Any]) -> _Stored:
        """``_select_whole``'s rows of a case (in seq order) as one record."""
        if not rows:
            raise CaseNotFoundError(f"no stored case {case_id!r}")
        head = rows[0]  # the header and persons ride on the opening event's row
        return _Stored(
            head.c_version,
            head.c_head,
            head.c_state,
            head.c_office,
            head.c_due,
            head.c_header,
            head.c_complainant,
            head.c_worker,
            [r[_EVENT_COLUMNS] for r in rows if r.seq is not None],
            head.c_wf,
            head.c_wfv,
            head.c_calv,
            head.c_opened,
            head.c_updated,
            head.c_last,
        )

    def _events(self, case_id: str, items: Iterable[Sequence[Any]]) -> list[CaseEvent]:
        """The events of stored rows (their columns in the order selected), each checked.

        Each is what :meth:`_event` makes of its row: at once when :func:`_quick_event`
        can tell, otherwise by :meth:`_event`, which refuses the row naming what is wrong.
        """
        plain: set[str] = set()
        events = []
        for item in items:
            event = _quick_event(item, plain)
            events.append(self._event(case_id, *item) if event is None else event)
        return events

    def _assemble(
        self, case_id: str, row: Any, events: list[CaseEvent], *, persons_read: bool = True
    ) -> Case:
        for position, event in enumerate(events):
            if event.seq != position:
                break
        else:
            position = len(events)
        if position != row.c_version:
            raise IntegrityError(
                f"case {case_id!r}, event {position}: missing ({len(events)} stored "
                f"events, the case row records {row.c_version})"
            )
        return self._case_from(case_id, row, tuple(events), persons_read=persons_read)

    def _case_from(
        self,
        case_id: str,
        row: Any,
        events: tuple[CaseEvent, ...],
        persons: tuple[Person | None, Person | None] | None = None,
        *,
        persons_read: bool = True,
    ) -> Case:
        """Build the case from its row's header and persons and its parsed events.

        ``persons``: the row's complainant and worker, read already. ``persons_read``:
        whether the row holds them (a sealed store then checks their seal too).
        """
        header = row.c_header
        if isinstance(header, dict):
            doc = {**header, "complainant": row.c_complainant, "worker": row.c_worker}
        else:
            doc = header  # refused below, saying what it is
        try:
            case = Case._from_dict(doc, events, persons)
        except (SchemaError, TypeError, ValueError) as exc:
            raise IntegrityError(f"case {case_id!r}: stored header unreadable ({exc})") from None
        if case.id != case_id:
            raise IntegrityError(f"case {case_id!r}: stored header names case {case.id!r}")
        if events[-1].hash != row.c_head:
            raise IntegrityError(
                f"case {case_id!r}: newest hash differs from the recorded head "
                "(events removed from the end, or a different case)"
            )
        if (
            row.c_state != case.state
            or row.c_office != case.office
            or _utc(row.c_due) != next_due_at(case)
        ):
            raise IntegrityError(
                f"case {case_id!r}: the case row's columns differ from its header (edited)"
            )
        check_columns(case_id, case, row)
        if self._sealer is not None:
            self._sealer.check(case, _header(case), header.get(SEAL_FIELD), persons=persons_read)
        return case
