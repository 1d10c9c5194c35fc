"""What the SQL store writes: case rows, event rows and persons, compare-and-set.

A save inserts only the events the stored case lacks and compare-and-sets the case row
on its version and head hash, in one transaction (one statement on PostgreSQL).
"""

from __future__ import annotations

import datetime as _dt
from collections import OrderedDict
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring as _quote  # the seal's encoder's, for str
from typing import Any, Final

import sqlalchemy as sa

from migrantcare.cases._erasure import PERSON_ROLES
from migrantcare.cases._store import exists, stale
from migrantcare.exceptions import (
    CaseExistsError,
    CaseNotFoundError,
    IntegrityError,
    InvalidArgumentError,
    StaleCaseError,
    WrongTypeError,
)
from migrantcare.records._case import CASE_SCHEMA, Case, CaseEvent, Person
from migrantcare.records._sla_state import SlaClock
from migrantcare.sla._sla import next_due_at  # calendar-free; what Workflow.next_due_at reads
from migrantcare.sql._engine import Driver
from migrantcare.sql._persons import erase_keys, key_rows
from migrantcare.sql._schema import CaseTables
from migrantcare.sql._seal import SEAL_FIELD, Sealer, canonical_text

#: The most new events a save sends as one statement (PostgreSQL).
_ONE_STATEMENT_EVENTS = 8
#: The most clocks whose JSON text a writer keeps between saves (see Writes.clock_text):
#: the clocks of some 300 cases. Full, the two memories hold about 6 MB (measured on
#: the benchmarks' workload), the clocks and instants they keep alive apart.
_CLOCK_TEXTS: Final = 4096
#: The most instants whose isoformat() a writer keeps (see Writes.time_text).
_TIME_TEXTS: Final = 8192
_DATETIME: Final = _dt.datetime
_SCHEMA_JSON: Final = _quote(CASE_SCHEMA)


def compare_and_set(cases: sa.Table) -> tuple[sa.Update, sa.Update]:
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


def deadline(case: Case) -> _dt.datetime | None:
    """The earliest deadline of the case's running (unstopped) clocks, breached or not."""
    best: _dt.datetime | None = None
    for clock in case.clocks:
        due = clock.due_at
        if clock.stopped_at is None and due is not None and (best is None or due < best):
            best = due
    return best


def header(case: Case) -> dict[str, Any]:
    """The case document without its history and persons: those have their own rows.

    :meth:`Case.to_dict` without ``events``, ``complainant`` and ``worker``, its keys in
    its order; built here so that no copy of the case is made per save.
    """
    return {
        "schema": CASE_SCHEMA,
        "id": case.id,
        "workflow": case.workflow,
        "workflow_version": case.workflow_version,
        "state": case.state,
        "office": case.office,
        "category": case.category,
        "channel": case.channel,
        "priority": case.priority,
        "opened_at": case.opened_at.isoformat(),
        "attributes": case.attributes,
        "clocks": [c.to_dict() for c in case.clocks],
        "calendar_version": case.calendar_version,
        "calendar_zone": case.calendar_zone,
    }


def _time_json(value: _dt.datetime | None, iso: Callable[[_dt.datetime], str]) -> str:
    # a datetime's isoformat() is digits and "-:T+.": its JSON is the text quoted
    return "null" if value is None else f'"{iso(value)}"'


_NONE: Final = type(None)
#: The exact types each scalar field of a stored clock record has.
_CLOCK_FIELDS: Final = (
    ("goal", (str,)),
    ("variant", (str,)),
    ("calendar_version", (str, _NONE)),
    ("cycle", (int,)),
    ("budget_us", (int, _NONE)),
    ("used_us", (int,)),
    ("used_days", (int,)),
    ("provisional", (bool,)),
    ("started_at", (_DATETIME,)),
    ("paused_since", (_DATETIME, _NONE)),
    ("stopped_at", (_DATETIME, _NONE)),
    ("due_at", (_DATETIME, _NONE)),
    ("rebased_at", (_DATETIME, _NONE)),
)
#: The same for the header's fields of a case record.
_CASE_FIELDS: Final = (
    ("id", (str,)),
    ("office", (str,)),
    ("category", (str,)),
    ("channel", (str,)),
    ("priority", (str,)),
    ("state", (str,)),
    ("workflow", (str,)),
    ("workflow_version", (int,)),
    ("opened_at", (_DATETIME,)),
    ("calendar_version", (str, _NONE)),
    ("calendar_zone", (str, _NONE)),
)


def _exact(value: object, fields: tuple[tuple[str, tuple[type, ...]], ...]) -> bool:
    """Whether each of ``fields`` of ``value`` has exactly one of its types (no subclass)."""
    return all(type(getattr(value, name)) in types for name, types in fields)


def _all_of(items: object, kind: type) -> bool:
    """Whether ``items`` is exactly a tuple of exactly ``kind`` values."""
    return type(items) is tuple and all(type(item) is kind for item in items)


def _plain_clock(clock: SlaClock) -> bool:
    """Whether every field of ``clock`` has exactly the type its stored record has."""
    return (
        _exact(clock, _CLOCK_FIELDS)
        and _all_of(clock.recorded, str)
        and _all_of(clock.warn_times, _DATETIME)
        and _all_of(clock.pauses, tuple)
        and all(len(p) == 2 and _all_of(p, _DATETIME) for p in clock.pauses)
    )


def clock_json(clock: SlaClock, iso: Callable[[_dt.datetime], str] = _DATETIME.isoformat) -> str:
    """``canonical_text(clock.to_dict())``: the clock's record as the seal encodes it.

    Written out field by field, keys in sorted order (a third of the encoder's time on
    a record of its own); a clock with a field of another type (built by hand) goes
    the encoder's way. ``iso`` gives ``isoformat()`` of a datetime (a writer's
    remembers them).
    """
    c = clock
    if not _plain_clock(c):
        return canonical_text(c.to_dict())
    pauses = ",".join([f'["{iso(a)}","{iso(b)}"]' for a, b in c.pauses])
    warns = ",".join([f'"{iso(t)}"' for t in c.warn_times])
    recorded = ",".join([_quote(mark) for mark in c.recorded])
    budget = "null" if c.budget_us is None else c.budget_us
    version = "null" if c.calendar_version is None else _quote(c.calendar_version)
    provisional = "true" if c.provisional else "false"
    return (
        f'{{"budget_us":{budget},"calendar_version":{version},"cycle":{c.cycle},'
        f'"due_at":{_time_json(c.due_at, iso)},"goal":{_quote(c.goal)},'
        f'"paused_since":{_time_json(c.paused_since, iso)},"pauses":[{pauses}],'
        f'"provisional":{provisional},"rebased_at":{_time_json(c.rebased_at, iso)},'
        f'"recorded":[{recorded}],"started_at":"{iso(c.started_at)}",'
        f'"stopped_at":{_time_json(c.stopped_at, iso)},"used_days":{c.used_days},'
        f'"used_us":{c.used_us},"variant":{_quote(c.variant)},"warn_times":[{warns}]}}'
    )


def _plain_case(case: Case) -> bool:
    """Whether the header's fields of ``case`` have exactly the types its record has."""
    return _exact(case, _CASE_FIELDS)


def header_json(case: Case, clocks: str) -> str:
    """``canonical_text(header(case))``, given the clocks' texts joined by commas.

    Written out key by key in sorted order (the attributes by the encoder); a case with
    a field of another type (built by hand) has the encoder write it all.
    """
    c = case
    if not _plain_case(c):
        return canonical_text(header(c))  # the definition itself, the clocks again
    version = "null" if c.calendar_version is None else _quote(c.calendar_version)
    zone = "null" if c.calendar_zone is None else _quote(c.calendar_zone)
    return (
        f'{{"attributes":{canonical_text(c.attributes)},"calendar_version":{version},'
        f'"calendar_zone":{zone},"category":{_quote(c.category)},'
        f'"channel":{_quote(c.channel)},"clocks":[{clocks}],"id":{_quote(c.id)},'
        f'"office":{_quote(c.office)},"opened_at":"{c.opened_at.isoformat()}",'
        f'"priority":{_quote(c.priority)},"schema":{_SCHEMA_JSON},"state":{_quote(c.state)},'
        f'"workflow":{_quote(c.workflow)},"workflow_version":{c.workflow_version}}}'
    )


def event_row(case_id: str, event: CaseEvent) -> dict[str, Any]:
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


def _check_save(case: object, expected_version: object) -> Case:
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
    return case


def past_head(case: Case, expected_version: int) -> IntegrityError:
    """The error of a save whose events collide with rows past the stored head."""
    return IntegrityError(
        f"case {case.id!r}: an event row at seq {expected_version} or later is stored "
        "past the head the case row records (inserted outside the store); the save "
        "is refused and nothing of it is kept"
    )


def _remember(texts: OrderedDict[int, tuple[Any, str]], key: Any, text: str, limit: int) -> str:
    """Keep ``text`` for the object ``key`` in ``texts`` (by identity), at most ``limit``.

    The object is held beside its text so that its id is not reused while the entry
    lives; the oldest entries go first (``popitem`` is atomic: threads share a writer).
    """
    while len(texts) >= limit:
        try:
            texts.popitem(last=False)
        except KeyError:  # pragma: no cover - another thread emptied it
            break
    texts[id(key)] = (key, text)
    return text


class Writes:
    """The store's writes: statements built once, rows made from cases.

    Args:
        engine: The store's engine.
        tables: The store's tables.
        sealer: The host's seal keys, or ``None``.
        person_key: The key of the persons' blind index, or ``None``.
        driver: Statements on the driver's cursor (see :class:`Driver`).
    """

    #: Whether the cases table has ``deadline_at`` (schema 4); asked at the first write.
    deadline_column: bool | None = None

    def __init__(
        self,
        engine: sa.Engine,
        tables: CaseTables,
        sealer: Sealer | None,
        person_key: bytes | None,
        driver: Driver,
    ) -> None:
        self._engine, self.tables, self._sealer = engine, tables, sealer
        self._person_key, self._driver = person_key, driver
        self._select_case = sa.select(tables.cases.c.version, tables.cases.c.head_hash).where(
            tables.cases.c.id == sa.bindparam("b_id")
        )
        # Tables not yet upgraded to schema version 4 have no deadline_at column: the
        # store writes them without it (see deadlines) until `migrantcare db upgrade`.
        self._update_4, self._update_3 = compare_and_set(tables.cases)
        # per number of new events: the single-statement save of PostgreSQL, and the
        # same compiled for the driver's own cursor (its SQL and the bind processors
        # of its JSON parameters)
        self._save_statements: dict[int, sa.Insert] = {}
        self._save_sql: dict[int, tuple[str, dict[str, Any], bool]] = {}
        # id of a clock -> (the clock, its canonical JSON): clocks are frozen and most
        # pass unchanged from one version of a case to the next, so a save re-encodes
        # only the new ones. The clock is held so that its id is not reused while the
        # entry lives; the oldest entries go first (popitem is atomic: threads share it).
        self._clock_texts: OrderedDict[int, tuple[SlaClock, str]] = OrderedDict()
        # the same for the instants of the clocks that changed (see time_text)
        self._time_texts: OrderedDict[int, tuple[_dt.datetime, str]] = OrderedDict()

    # ------------------------------------------------------------ schema

    def deadlines(self, conn: sa.Connection) -> bool:
        """Whether the cases table has ``deadline_at`` (schema 4), asked once on ``conn``."""
        known = self.deadline_column
        if known is None:
            t = self.tables.cases
            columns = sa.inspect(conn).get_columns(t.name, schema=t.schema)
            known = self.deadline_column = any(col["name"] == "deadline_at" for col in columns)
        return known

    def _update_case(self, conn: sa.Connection, values: Any) -> sa.Update:
        """The compare-and-set of the case row for the tables ``conn`` reaches.

        ``values`` (one dict or a list of them) lose ``deadline_at`` when the tables
        have no such column yet.
        """
        if self.deadlines(conn):
            return self._update_4
        for row in [values] if isinstance(values, dict) else values:
            row.pop("deadline_at", None)
        return self._update_3

    # ------------------------------------------------------------ rows

    def sealed_header(self, case: Case) -> dict[str, Any]:
        """The header document of ``case``, with its seal when the store has keys."""
        doc = header(case)
        if self._sealer is not None:
            doc[SEAL_FIELD] = self._sealer.seal(case, doc)
        return doc

    def clock_text(self, clock: SlaClock) -> str:
        """The canonical JSON of ``clock.to_dict()``, remembered for the next saves."""
        texts = self._clock_texts
        known = texts.get(id(clock))
        if known is not None and known[0] is clock:
            return known[1]
        return _remember(texts, clock, clock_json(clock, self.time_text), _CLOCK_TEXTS)

    def time_text(self, when: _dt.datetime) -> str:
        """``when.isoformat()``, remembered: a changed clock keeps most of its instants."""
        texts = self._time_texts
        known = texts.get(id(when))
        if known is not None and known[0] is when:
            return known[1]
        return _remember(texts, when, when.isoformat(), _TIME_TEXTS)

    def header_text(self, case: Case) -> str:
        """:meth:`sealed_header` as JSON text, encoded once for the seal and the row.

        The header without its seal is written as canonical JSON (sorted keys, no
        spaces: the text the seal's MAC covers, see ``case_payload_text``), built from
        the canonical JSON of its parts; the seal is then added as its last key. The
        text decodes to :meth:`sealed_header`'s document (JSONB keeps no key order).
        """
        text = header_json(case, ",".join([self.clock_text(c) for c in case.clocks]))
        if self._sealer is None:
            return text
        seal = canonical_text(self._sealer.seal_text(case, text))
        return f'{text[:-1]},"{SEAL_FIELD}":{seal}}}'

    def case_values(self, case: Case, *, as_text: bool = False) -> dict[str, Any]:
        """The case row's columns for ``case`` (the id and ``opened_at`` apart).

        ``as_text`` gives the header as JSON text (:meth:`header_text`), for a
        parameter that takes it so; else as its document.
        """
        return {
            "workflow": case.workflow,
            "workflow_version": case.workflow_version,
            "version": case.version,
            "state": case.state,
            "office": case.office,
            "calendar_version": case.calendar_version,
            "next_due_at": next_due_at(case),
            "deadline_at": deadline(case),
            "updated_at": case.events[-1].at,
            "head_hash": case.head_hash,
            "header": self.header_text(case) if as_text else self.sealed_header(case),
        }

    def save_values(
        self, case: Case, expected_version: int, *, as_text: bool = False
    ) -> tuple[tuple[CaseEvent, ...], dict[str, Any]]:
        """The new events of a save, and the parameters of its statements.

        ``as_text``: the header as JSON text (see :meth:`case_values`).
        """
        case = _check_save(case, expected_version)
        new = case.events[expected_version:]
        values = self.case_values(case, as_text=as_text)
        values.update(
            b_id=case.id, b_version=expected_version, b_head=case.events[expected_version - 1].hash
        )
        for i, event in enumerate(new):
            row = event_row(case.id, event)
            del row["case_id"]
            values.update({f"{k}_{i}": v for k, v in row.items()})
        return new, values

    def refused(self, conn: sa.Connection, case: Case, expected_version: int) -> None:
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

    def existing(self, case_id: str) -> CaseExistsError | None:
        """The error for an ``add`` of ``case_id`` if a case has that id (read afresh)."""
        with self._engine.connect() as conn:
            row = conn.execute(self._select_case, {"b_id": case_id}).one_or_none()
        return None if row is None else exists(case_id, row.version)

    # ------------------------------------------------------------ writes

    def add_in(self, conn: sa.Connection, case: Case) -> None:
        """Insert a new case: its row, persons (and their blind index) and events."""
        t = self.tables
        row = {"id": case.id, "opened_at": case.opened_at, **self.case_values(case)}
        if not self.deadlines(conn):
            del row["deadline_at"]  # tables before schema version 4
        try:
            conn.execute(t.cases.insert(), row)
        except sa.exc.IntegrityError:
            # the primary key: a case with that id was added before, or beside, this one
            # (read on another connection: this transaction may be unusable now)
            found = self.existing(case.id)
            if found is None:  # pragma: no cover - not the primary key: the driver's error
                raise
            raise found from None
        persons = [(role, p) for role in PERSON_ROLES if (p := getattr(case, role)) is not None]
        if persons:
            conn.execute(
                t.persons.insert(),
                [
                    {"case_id": case.id, "role": role, "data": p.to_dict(), "erased_at": None}
                    for role, p in persons
                ],
            )
            if self._person_key is not None:
                keys = key_rows(self._person_key, case.id, persons)
                if keys:
                    conn.execute(t.person_keys.insert(), keys)
        conn.execute(t.events.insert(), [event_row(case.id, e) for e in case.events])

    def save_in(
        self, conn: sa.Connection, case: Case, expected_version: int
    ) -> tuple[CaseEvent, ...]:
        """Append the new events and compare-and-set the row, in the caller's transaction."""
        new, values = self.save_values(case, expected_version)
        result = conn.execute(self._update_case(conn, values), values)
        if result.rowcount != 1:
            self.refused(conn, case, expected_version)
        if new:
            try:
                conn.execute(self.tables.events.insert(), [event_row(case.id, e) for e in new])
            except sa.exc.IntegrityError:
                raise past_head(case, expected_version) from None
        erased = [e for e in new if e.kind == "erased"]
        if erased:
            self._erase_persons(conn, case, erased[-1])
        return new

    def _erase_persons(self, conn: sa.Connection, case: Case, erased: CaseEvent) -> None:
        p = self.tables.persons
        for role in erased.data.get("roles", ()):
            person = getattr(case, role, None)
            if isinstance(person, Person):
                # the blind index goes with the data, whoever wrote it (any key)
                erase_keys(conn, self.tables, case.id, role)
                conn.execute(
                    p.update()
                    .where(p.c.case_id == case.id, p.c.role == role)
                    .values(data=person.to_dict(), erased_at=erased.at)
                )

    def save(self, case: Case, expected_version: int, writer: sa.Engine, reader: sa.Engine) -> None:
        """A save in a transaction of its own (one statement on PostgreSQL)."""
        case = _check_save(case, expected_version)
        new = case.events[expected_version:]
        if (
            self._engine.dialect.name != "postgresql"
            or not new
            or len(new) > _ONE_STATEMENT_EVENTS
            or any(e.kind == "erased" for e in new)
        ):
            with writer.begin() as conn:
                self.save_in(conn, case, expected_version)
            return
        if self.deadline_column is None:
            with reader.connect() as conn:
                self.deadlines(conn)
        statement = self._save_statements.get(len(new))
        if statement is None:
            statement = self._save_statements[len(new)] = self._save_statement(len(new))
        if not self._driver.watched():
            self._save_on_driver(statement, case, expected_version, new, reader)
            return
        new, values = self.save_values(case, expected_version)
        if not self.deadline_column:
            values.pop("deadline_at", None)
        with reader.connect() as conn:
            # One statement (a CTE: compare-and-set the row, then insert the events it
            # let through) is one transaction and one round trip.
            try:
                inserted = conn.execute(statement, values).all()
            except sa.exc.IntegrityError:
                raise past_head(case, expected_version) from None
            if len(inserted) != len(new):
                self.refused(conn, case, expected_version)

    def _save_on_driver(
        self,
        statement: sa.Insert,
        case: Case,
        expected_version: int,
        new: tuple[CaseEvent, ...],
        reader: sa.Engine,
    ) -> None:
        compiled = self._save_sql.get(len(new))
        if compiled is None:
            sql, processors = self._driver.statement(statement)
            # the header goes as JSON text when the driver takes it so: it is then
            # encoded once, for its seal and for its row
            as_text = self._driver.jsonb_text()
            if as_text is not None:
                processors["header"] = as_text
            compiled = self._save_sql[len(new)] = (sql, processors, as_text is not None)
        sql, processors, header_text = compiled
        _, values = self.save_values(case, expected_version, as_text=header_text)
        if not self.deadline_column:
            values.pop("deadline_at", None)
        for name, process in processors.items():
            values[name] = process(values[name])
        # the same statement on the driver's cursor: a third of a save's work on this
        # side was SQLAlchemy's per-execution and per-connection work
        try:
            rows = self._driver.run(sql, values, all_rows=True)
        except sa.exc.IntegrityError:
            raise past_head(case, expected_version) from None
        if len(rows) != len(new):
            with reader.connect() as conn:
                self.refused(conn, case, expected_version)

    def _save_statement(self, count: int) -> sa.Insert:
        # built on PostgreSQL, once the deadline column is known (see save())
        e = self.tables.events
        update = self._update_4 if self.deadline_column else self._update_3
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

    def save_many_in(
        self, conn: sa.Connection, changes: Iterable[tuple[Case, int]]
    ) -> list[tuple[CaseEvent, ...]]:
        """Save many changed cases in the caller's transaction: one update, one insert."""
        updates: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        appended: list[tuple[CaseEvent, ...]] = []
        seen: set[str] = set()
        for case, expected_version in changes:
            new, values = self.save_values(case, expected_version)
            if case.id in seen:
                raise InvalidArgumentError(
                    f"case {case.id!r} is given twice; save each case once per batch"
                )
            seen.add(case.id)
            appended.append(new)
            if any(e.kind == "erased" for e in new):
                # persons rows change too: the single-case path knows how
                self.save_in(conn, case, expected_version)
                continue
            updates.append(values)
            event_rows.extend(event_row(case.id, e) for e in new)
        if updates:
            self._update_many(conn, updates)
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

    def _update_many(self, conn: sa.Connection, updates: list[dict[str, Any]]) -> None:
        result = conn.execute(self._update_case(conn, updates), updates)
        if result.rowcount in (-1, len(updates)):
            return
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
