"""A case store on PostgreSQL or SQLite through SQLAlchemy Core.

One row per case (indexed columns and a header document), one row per event
(append-only), and the persons apart from both so they can be erased. A save appends the
new events and compare-and-sets the case row in one transaction; a load hands the rows
to the core loader (:class:`~migrantcare.cases._loader.CaseLoader`), which checks every
stored hash, the chain against the stored head, the columns against the documents, and
replays the history through the workflow.

The store's parts: :mod:`._reading` (statements, rows to stored records),
:mod:`._writing` (rows from cases, compare-and-set), :mod:`._queries` (summaries),
:mod:`._engine` (SQLite settings, the driver's cursor), :mod:`._persons` (the blind
index), :mod:`._outbox_table` (what an erasure does to the outbox).
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

import sqlalchemy as sa

from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._loader import CaseLoader, StoredCase
from migrantcare.cases._store import (
    DEFAULT_RETRIES,
    CaseSummary,
    check_lookup,
    check_lookups,
    check_query,
    update_case,
)
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import (
    CalendarMismatchError,
    InvalidArgumentError,
    MigrantCareError,
    WrongTypeError,
)
from migrantcare.offices._actors import Actor, check_actor
from migrantcare.records._case import Case, CaseEvent
from migrantcare.sql._engine import BEGIN_OPTION, Driver, prepare_engine
from migrantcare.sql._loading import Loads
from migrantcare.sql._outbox_table import scrub_outbox
from migrantcare.sql._persons import check_key, index_all, lookup_statement, query_digests, visible
from migrantcare.sql._queries import Queries
from migrantcare.sql._reading import OneRow, Reads, RowColumns, stored_one
from migrantcare.sql._schema import CaseTables, case_tables
from migrantcare.sql._seal import Sealer, check_sealer
from migrantcare.sql._writing import Writes

__all__ = ["SqlCaseStore", "prepare_engine"]

#: Ids, versions and error classes only: never personal data.
_log = logging.getLogger("migrantcare.sql.store")


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


def _ids(case_ids: Sequence[str], what: str) -> list[str]:
    """``case_ids`` checked, each once, in the order given (at most 10,000)."""
    if isinstance(case_ids, (str, bytes)) or not isinstance(case_ids, Iterable):
        # a lone id is a sequence of one-letter ids to Python: refused, not looked up
        raise WrongTypeError(f"{what} takes a list of case ids, got {type(case_ids).__name__}")
    ids = list(dict.fromkeys(check_lookup(case_id, "case_id") for case_id in case_ids))
    if len(ids) > 10_000:
        raise InvalidArgumentError(f"{what} takes at most 10,000 ids, got {len(ids)}")
    return ids


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
        self._writer = self._engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        # A read is one statement: on PostgreSQL it needs no BEGIN/ROLLBACK round trips.
        self._reader = (
            self._engine.execution_options(isolation_level="AUTOCOMMIT")
            if self._engine.dialect.name == "postgresql"
            else self._engine
        )
        pool = (workflows,) if isinstance(workflows, Workflow) else tuple(workflows)
        if not pool or not all(isinstance(w, Workflow) for w in pool):
            raise WrongTypeError("workflows must be a Workflow or a non-empty iterable of them")
        # One calendar truth: workflows bound to offices take every calendar from them
        # (the office that holds the case at each event). A calendar given besides
        # would be a second truth; it is deprecated, and refused when it disagrees.
        self._bound = tuple(w for w in pool if w.offices is not None)
        self._loader = CaseLoader(pool, _own_calendar(calendar, self._bound, len(pool)))
        self._workflows_by_key = {(w.name, w.version): w for w in pool}
        if (
            isinstance(verified_cache, bool)
            or not isinstance(verified_cache, int)
            or verified_cache < 0
        ):
            raise InvalidArgumentError(
                f"verified_cache must be an int >= 0, got {verified_cache!r}"
            )
        # the key of the blind index of persons (cases_of_person) stays in memory only
        self._person_key = check_key(person_key)
        # The host's keys (never in the tables): seals every save, checked by every load.
        self._sealer = check_sealer(sealer)
        self.tables = case_tables() if tables is None else tables
        self._driver = Driver(self._engine, cached=bool(verified_cache))
        self._reads = Reads(self.tables, self._engine.dialect)
        self._writes = Writes(
            self._engine, self.tables, self._sealer, self._person_key, self._driver
        )
        self._queries = Queries(self._engine, self.tables, self._writes)
        self._loads = Loads(self._loader, self._sealer, self._reads, self._engine, verified_cache)

    @property
    def engine(self) -> sa.Engine:
        """The engine the store runs on."""
        return self._engine

    @property
    def sealed(self) -> bool:
        """Whether the store has the host's seal keys (seals every save, checks every load)."""
        return self._sealer is not None

    @property
    def workflows(self) -> tuple[Workflow, ...]:
        """The workflows the store was given (every version its cases run on)."""
        return self._loader.workflows

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
        reads = self._reads
        if reads.one_sql is None or self._driver.watched():
            with self._reader.connect() as conn:
                return self.get_in(conn, case_id)
        # The one statement straight on the driver's cursor (see Reads), on the pool's
        # connection itself, not a Connection around it (a tenth of a load).
        row = self._driver.run(reads.one_sql, {**reads.one_params, "b_id": case_id}, all_rows=False)
        # the connection is back in the pool before the replay
        return self._loads.load(*stored_one(case_id, None if row is None else OneRow._make(row)))

    def get_many(self, case_ids: Sequence[str]) -> dict[str, Case | MigrantCareError]:
        """Load many cases at once: one statement, one round trip on PostgreSQL.

        Each case gets :meth:`get`'s checks; one bad case does not stop the others.

        Args:
            case_ids: The ids (at most 10,000; repeats are loaded once).

        Returns:
            For each id, in the order given: its case, or the error its load raised
            (:class:`CaseNotFoundError`, :class:`IntegrityError`, ...).
        """
        ids, reads = _ids(case_ids, "get_many"), self._reads
        if not ids or reads.many_sql is None or self._driver.watched():
            with self._reader.connect() as conn:
                return self._loads.load_many_in(conn, ids, lock=False)
        rows = self._driver.run(reads.many_sql, {**reads.many_params, "b_ids": ids}, all_rows=True)
        return self._loads.load_one_rows(ids, rows)

    def add(self, case: Case) -> None:
        """Store a new case (its row, persons and every event) in one transaction.

        Raises:
            CaseExistsError: a case with that id is already stored (a
                :class:`StaleCaseError`).
            IntegrityError: the case's own history does not verify.
        """
        with self.transaction() as conn:
            self.add_in(conn, case)

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
        self._writes.save(case, expected_version, self._writer, self._reader)

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
        return self._queries.query(
            office=office,
            state=state,
            due_before=due_before,
            calendar_version_not=calendar_version_not,
            after=after,
            limit=limit,
        )

    # ------------------------------------------------------------------ more queries

    def overdue(
        self, *, office: str, at: _dt.datetime, after: str | None = None, limit: int = 100
    ) -> list[CaseSummary]:
        """The cases of ``office`` with a running clock past its deadline at ``at``.

        See :meth:`Queries.overdue <migrantcare.sql._queries.Queries.overdue>`: one
        indexed query (``cases_office_deadline``), the longest overdue first.

        Raises:
            InvalidArgumentError: a bad limit, or a text no case holds.
            NaiveDatetimeError: ``at`` has no zone.
        """
        return self._queries.overdue(office=office, at=at, after=after, limit=limit)

    def next_deadline(
        self, *, after: _dt.datetime, office: str | None = None
    ) -> _dt.datetime | None:
        """The next deadline of any running clock (of ``office``'s cases) after ``after``.

        When the next breach falls if nothing is done: a scheduler or a dashboard
        reads it in one indexed query. ``None``: no running clock has a later deadline.
        """
        return self._queries.next_deadline(after=after, office=office)

    def newest_event_at(self) -> _dt.datetime | None:
        """The instant of the newest event of any stored case (``None``: no case).

        What a report takes as "now" when none is given: the library never reads a
        clock.
        """
        return self._queries.newest_event_at()

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
        return self._loads.history(case_id, after=after, limit=limit)

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
        return self._loads.export_jsonl(out, by=by, office=office)

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
        return self._loads.iter_cases(office=office, batch=batch, after=after)

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
        return visible(rows, self._workflows_by_key, by)

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
        return index_all(self.tables, self.transaction, key, batch)

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
        erased = self._loader.workflow_of(case).erase_personal_data(
            case, at=at, by=by, note=note, expected_version=expected_version
        )
        if erased.version != case.version:
            self.save_in(conn, erased, expected_version=case.version)
        scrub_outbox(conn, self.tables, case_id)
        _log.info(
            "case %r: personal data erased",
            case_id,
            extra={"case_id": case_id, "version": erased.version},
        )
        return erased

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
            self._reads.lock(conn, [case_id])
        return self._loads.get_in(conn, case_id)

    def verify_case(self, case_id: str) -> Case:
        """Load ``case_id`` with every check there is: the full replay, and the seal.

        The deep check of a sealed store (whose loads skip the replay), and what
        ``migrantcare audit`` runs on every case.

        Raises:
            CaseNotFoundError: no case has that id.
            IntegrityError: anything stored disagrees, naming the case.
        """
        with self._reader.connect() as conn:
            return self._loads.load(*self._reads.fetch(conn, case_id), deep=True)

    def add_in(self, conn: sa.Connection, case: Case) -> None:
        """Like :meth:`add`, in the caller's transaction.

        Raises:
            CaseExistsError: a case with that id is already stored (the transaction is
                then unusable on PostgreSQL: roll it back).
        """
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        case.verify()
        self._writes.add_in(conn, case)

    def save_in(
        self, conn: sa.Connection, case: Case, *, expected_version: int
    ) -> tuple[CaseEvent, ...]:
        """Like :meth:`save`, in the caller's transaction; return the events appended.

        Write rows of your own (an outbox of notices for the returned events) on the
        same connection: they commit or roll back together with the case.
        """
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        return self._writes.save_in(conn, case, expected_version)

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
        return self._loads.load_many_in(conn, _ids(case_ids, "load_many_in"), lock=lock)

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
        return self._writes.save_many_in(conn, changes)

    def workflow_for(self, case: Case) -> Workflow:
        """The workflow (of those this store was given) that ``case`` runs on.

        Raises:
            IntegrityError: the store was not given that workflow and version.
        """
        return self._loader.workflow_of(case)

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
        return self._loader.replay_calendar(office)

    def sealed_header(self, case: Case) -> dict[str, Any]:
        """The header document the store writes for ``case``, sealed when it has keys."""
        return self._writes.sealed_header(case)

    def fetch_in(self, conn: sa.Connection, case_id: str) -> tuple[StoredCase, RowColumns]:
        """The stored records of ``case_id`` as read on ``conn`` (nothing checked yet)."""
        return self._reads.fetch(conn, case_id)

    def load_stored(
        self, stored: StoredCase, columns: RowColumns, *, deep: bool = False, seal: bool = True
    ) -> Case:
        """The load of stored records read by :meth:`fetch_in`.

        ``deep``: the full replay, sealed or not; ``seal=False``: without checking the
        seal (a case written before the store had keys, being sealed).
        """
        loads = self._loads if seal else self._loads.without_seal()
        return loads.load(stored, columns, deep=deep)
