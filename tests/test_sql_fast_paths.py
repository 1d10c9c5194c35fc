"""The core loader's quick reads and fast replay give exactly what the reference paths do.

A load reads each stored event row (its columns and its document) with ``quick_event``
when it can, and with ``checked_event`` otherwise. Rows as PostgreSQL's JSON aggregate
gives them and as SQLite's rows give them are mutated at random, column by column and
field by field: the quick read must give the same event as the checked one or leave the
row to it, and a whole history the same events or the same error.

A load replays the history by the fast path when it can (``replay_history``), by the
reference otherwise. Rows, header, persons and case columns are mutated the same way:
the load must give the case (or the error) the reference-only load gives.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from hypothesis import assume, example, given
from hypothesis import strategies as st

from migrantcare import CaseEvent, Person, WorkingCalendar, complaint_workflow
from migrantcare.cases._loader import (
    StoredCase,
    _Actors,
    _fast_replay,
    _fields_of,
    checked_event,
    decode_events,
    quick_event,
    replay_opening,
)
from migrantcare.exceptions import MigrantCareError
from migrantcare.records._case import is_instant_text
from migrantcare.sla._sla import next_due_at
from migrantcare.sql import SqlCaseStore
from migrantcare.sql._loading import sealed_events
from migrantcare.sql._writing import header as _header
from tests.actors import actor
from tests.strategies import REPLACEMENTS

WF = complaint_workflow()
CAL = WorkingCalendar.for_province("Nusa Tenggara Timur")
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
_case = WF.open(
    "PGD-7",
    at=T0,
    by=actor("cc-01"),
    office="bp3mi-ntt",
    category="unpaid_wages",
    channel="whatsapp",
    complainant=Person("Siti", kind="pmi"),
    attributes={"country": "MY", "n": 2},
    calendar=CAL,
)
_case = WF.fire(
    _case,
    "start_verification",
    at=T0 + dt.timedelta(hours=1, microseconds=250),
    by=actor("o-1"),
    note="called the agency",
    calendar=CAL,
)
_case = WF.fire(
    _case, "request_documents", at=T0 + dt.timedelta(hours=2), by=actor("o-1"), calendar=CAL
)
_case = WF.fire(
    _case,
    "documents_received",
    at=T0 + dt.timedelta(days=1, seconds=7, microseconds=1),
    by=actor("o-2"),
    data={"documents": ["passport", "contract"]},
    calendar=CAL,
)
# two events that move no clock and stay in the state (a replay makes them in a row)
_case = WF.fire(_case, "escalate", at=T0 + dt.timedelta(days=2), by=actor("o-1"), calendar=CAL)
CASE = WF.fire(
    _case, "escalate", at=T0 + dt.timedelta(days=2, hours=1), by=actor("o-2"), calendar=CAL
)
#: The store whose loader the tests use (it reads no database).
STORE = SqlCaseStore(sa.create_engine("sqlite://"), WF, calendar=CAL)
LOADER = STORE._loader
FIELDS = sorted(CASE.events[0].to_dict())
COLUMNS = range(7)  # seq, at, kind, name, actor, prev_hash, hash


def pg_items() -> list[list[Any]]:
    """The event rows as PostgreSQL (in UTC) aggregates them into JSON, parsed."""
    return [
        [e.seq, e.at.isoformat(), e.kind, e.name, e.by, e.prev_hash, e.hash, e.to_dict()]
        for e in CASE.events
    ]


def sqlite_items() -> list[list[Any]]:
    """The event rows as SQLite gives them: the instant a naive UTC datetime."""
    return [
        [
            e.seq,
            e.at.replace(tzinfo=None),
            e.kind,
            e.name,
            e.by,
            e.prev_hash,
            e.hash,
            e.to_dict(),
        ]
        for e in CASE.events
    ]


def checked(items: list[list[Any]]) -> object:
    """The events the checked read makes of the rows, or the error and its message."""
    try:
        return [checked_event("PGD-7", item) for item in items]
    except (MigrantCareError, OverflowError) as exc:
        return (type(exc), str(exc))


def loaded(items: list[list[Any]]) -> object:
    """The events a load makes of the rows (quick where it can), or the error."""
    try:
        return decode_events("PGD-7", items)
    except (MigrantCareError, OverflowError) as exc:
        return (type(exc), str(exc))


#: Texts a document's field or a column may be edited to: not plain, hashes in the
#: wrong case or of another event, instants in another zone or none, and names that
#: the history holds elsewhere.
_TEXTS = [
    "é",
    " ",
    "x" * 100_001,
    "0" * 64,
    CASE.events[1].hash.upper(),
    CASE.events[0].hash,
    "2026-03-02T09:00:00+08:00",
    "2026-03-02T01:00:00",
    "transition",
    "registered",
    "o-1",
]
#: What a document's field may be edited to.
HOSTILE = (
    REPLACEMENTS | st.text(max_size=3) | st.sampled_from([*_TEXTS, "\t", "0" * 63 + "g", 1.0, True])
)
#: What a column may hold: a value of its type (an instant as the driver or the
#: server's JSON gives it).
COLUMN_VALUES = (
    st.integers(-1, 3)
    | st.text(max_size=3)
    | st.sampled_from(
        [
            *_TEXTS,
            "0001-01-01T00:30:00+01:00",
            dt.datetime(2026, 3, 2, 1, 0),
            dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        ]
    )
)


def mutated(pg: bool, index: int, edit: tuple[int | str, object], drop: bool) -> list[Any]:
    """The stored rows with row ``index`` edited: a column (int) or a document key."""
    target, value = edit
    items = pg_items() if pg else sqlite_items()
    item = items[index]
    if isinstance(target, int):
        item[target] = value
    elif drop:
        del item[7][target]
    else:
        item[7][target] = value
    return items


@given(
    pg=st.booleans(),
    index=st.integers(0, len(CASE.events) - 1),
    edit=st.tuples(st.sampled_from(COLUMNS), COLUMN_VALUES)
    | st.tuples(st.sampled_from(FIELDS), HOSTILE),
    drop=st.booleans(),
)
@example(pg=True, index=1, edit=(1, "2026-03-02T09:00:00.00025+08:00"), drop=False)
@example(pg=True, index=1, edit=(1, "0001-01-01T00:30:00+01:00"), drop=False)
@example(pg=True, index=2, edit=(6, CASE.events[2].hash.upper()), drop=False)
@example(pg=False, index=0, edit=("data", {"workflow": float("nan")}), drop=False)
def test_a_mutated_row_reads_the_same_quickly_and_checked(
    pg: bool, index: int, edit: tuple[int | str, object], drop: bool, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    items = mutated(pg, index, edit, drop)
    item = items[index]
    quick = quick_event(item, set())  # reads the row, changes nothing
    if quick is not None:
        assert quick == checked_event("PGD-7", item)
    assert loaded(items) == checked(items)


def test_genuine_rows_take_the_quick_path_and_give_the_stored_events() -> None:
    for items in (pg_items(), sqlite_items()):
        plain: set[str] = set()
        for event, item in zip(CASE.events, items, strict=True):
            quick = quick_event(item, plain)
            assert quick == event == checked_event("PGD-7", item)
            assert type(quick) is CaseEvent
        assert decode_events("PGD-7", items) == list(CASE.events)


def test_an_instant_written_in_another_zone_takes_the_quick_path() -> None:
    # a server whose TimeZone is not UTC writes the column's instant with its offset
    for event, item in zip(CASE.events, pg_items(), strict=True):
        item[1] = event.at.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
        assert quick_event(item, set()) == event


def one_row(items: list[list[Any]]) -> StoredCase:
    """CASE as a store hands it to the loader, its events ``items``."""
    return StoredCase(
        "PGD-7",
        CASE.version,
        CASE.head_hash,
        CASE.state,
        CASE.office,
        next_due_at(CASE),
        json.loads(json.dumps(_header(CASE))),  # as the server writes JSON
        None if CASE.complainant is None else CASE.complainant.to_dict(),
        None,
        items,
    )


def as_read(items: list[list[Any]], pg: bool) -> list[Any]:
    """The items as a load reads them: from PostgreSQL's JSON, or SQLite's rows."""
    try:  # documents are JSON on both
        text = json.dumps([item[7] for item in items], allow_nan=False)
        if pg:
            text = json.dumps(items, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        assume(False)
    if pg:
        return list(json.loads(text))
    docs = json.loads(text)
    return [(*item[:7], doc) for item, doc in zip(items, docs, strict=True)]


def full_load(row: StoredCase) -> object:
    """The case the reference load (no fast path) makes of the row, or the error."""
    try:
        return LOADER.load(row, general=True).case
    except (MigrantCareError, OverflowError) as exc:
        return (type(exc), str(exc))


def load(row: StoredCase) -> object:
    """The case a load of the row makes (fast where it can), or the error."""
    try:
        loaded = LOADER.load(row)
    except (MigrantCareError, OverflowError) as exc:
        return (type(exc), str(exc))
    assert loaded.replayed.events == loaded.case.events
    return loaded.case


def fast_replay_takes(case: object) -> bool:
    """Whether the fast path replays ``case``'s history (rather than leaving it)."""
    assert isinstance(case, type(CASE))
    by_key = LOADER._by_key
    rebuilt, wf = replay_opening(
        case.id, case.events[0], case.complainant, case.worker, by_key, CAL
    )
    entries = [_fields_of(event) for event in case.events[1:]]
    return _fast_replay(rebuilt, entries, wf, by_key, CAL, _Actors()) is not None


HEADER_FIELDS = sorted(_header(CASE))
CLOCK_FIELDS = sorted(CASE.clocks[0].to_dict())
#: What each column of the case row may hold, as the driver gives it.
_TEXTS = st.text(max_size=3) | st.sampled_from(
    ["closed", "registered", "bp3mi-jatim", CASE.events[-2].hash, CASE.head_hash.upper()]
)
#: A column and its field in the document, edited alike.
PAIRS = [(0, "seq"), (1, "at"), (2, "kind"), (3, "name"), (4, "by"), (5, "prev_hash"), (6, "hash")]
ROW_EDITS = st.one_of(
    st.tuples(st.just("version"), st.integers(-1, 6)),
    st.tuples(st.sampled_from(["head", "state", "office"]), _TEXTS),
    st.tuples(
        st.just("due"),
        st.none()
        | st.datetimes(timezones=st.just(dt.timezone.utc))
        | st.sampled_from([CASE.clocks[0].started_at, next_due_at(CASE)]),
    ),
    st.tuples(
        st.sampled_from(["complainant", "worker"]),
        st.none()
        | st.sampled_from([{"name": "Siti"}, {"name": "Ani", "kind": "family"}, {}, [], "Siti"]),
    ),
)


@given(
    pg=st.booleans(),
    index=st.integers(0, len(CASE.events) - 1),
    edit=st.tuples(st.sampled_from(COLUMNS), COLUMN_VALUES)
    | st.tuples(st.sampled_from(FIELDS), HOSTILE)
    | st.tuples(st.sampled_from(HEADER_FIELDS), HOSTILE).map(lambda e: ("header", *e))
    | st.tuples(st.sampled_from(CLOCK_FIELDS), HOSTILE).map(lambda e: ("clock", *e))
    | ROW_EDITS.map(lambda e: ("row", *e))
    | st.tuples(st.sampled_from(PAIRS), HOSTILE).map(lambda e: ("pair", *e)),
    drop=st.booleans(),
)
@example(pg=True, index=2, edit=("pair", (5, "prev_hash"), CASE.events[0].hash), drop=False)
@example(pg=True, index=3, edit=("pair", (6, "hash"), CASE.events[1].hash), drop=False)
@example(pg=True, index=3, edit=("pair", (6, "hash"), "0" * 63 + "g"), drop=False)
@example(pg=True, index=1, edit=("pair", (0, "seq"), 2), drop=False)
@example(pg=True, index=3, edit=("source", "registered"), drop=False)
@example(pg=True, index=2, edit=("dest", "registered"), drop=False)
@example(pg=True, index=2, edit=("at", "2026-03-02T03:00:00Z"), drop=False)
@example(pg=True, index=1, edit=("at", "2026-03-02T02:00:00.000250+00:00"), drop=False)
@example(pg=True, index=0, edit=("header", "state", "closed"), drop=False)
@example(pg=True, index=0, edit=("clock", "due_at", None), drop=False)
@example(pg=True, index=0, edit=("row", "version", 3), drop=False)
def test_a_mutated_stored_case_loads_the_same_quickly_and_in_full(
    pg: bool, index: int, edit: tuple[Any, ...], drop: bool, hostile_tally: list[int]
) -> None:
    # PostgreSQL's one-row result (its document parsed), or SQLite's rows
    hostile_tally[0] += 1
    items = pg_items() if pg else sqlite_items()
    row = one_row(items)
    if edit[0] == "row":
        row = attrs.evolve(row, **{edit[1]: edit[2]})
    elif edit[0] == "pair":
        (column, field), value = edit[1], edit[2]
        assume(column != 0 or type(value) is int)
        items[index][column] = items[index][7][field] = value
        row = attrs.evolve(row, events=as_read(items, pg))
    elif edit[0] in ("header", "clock"):
        header = row.header
        target = header if edit[0] == "header" else header["clocks"][index % len(CASE.clocks)]
        if drop:
            del target[edit[1]]
        else:
            target[edit[1]] = edit[2]
    else:
        target, value = edit
        # the seq column is an integer on the server
        assume(target != 0 or type(value) is int)
        if isinstance(target, int):
            items[index][target] = value
        elif drop:
            del items[index][7][target]
        else:
            items[index][7][target] = value
        row = attrs.evolve(row, events=as_read(items, pg))
    expected = full_load(row)
    fast = LOADER._fast_load(row, None)  # changes nothing
    if fast is not None:
        assert fast.case == fast.replayed == expected
    assert load(row) == expected


def test_a_genuine_stored_case_takes_the_fast_path_and_gives_it() -> None:
    assert fast_replay_takes(CASE)
    for items in (pg_items(), sqlite_items()):
        row = one_row(items)
        assert LOADER._fast_load(row, None) is not None  # read and replayed in one pass
        loaded = LOADER.load(row)
        assert loaded.case == loaded.replayed == CASE == full_load(row)
        assert loaded.case.events == CASE.events


@given(
    at=st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.just(dt.timezone.utc),
    ),
    form=st.sampled_from(["iso", "space", "z", "millis", "zero-micros", "minus", "basic", "week"]),
)
def test_an_instant_text_is_reused_only_when_it_is_what_make_event_writes(
    at: dt.datetime, form: str
) -> None:
    canonical = at.isoformat()
    text = {
        "iso": canonical,
        "space": canonical.replace("T", " "),
        "z": canonical.replace("+00:00", "Z"),
        "millis": at.isoformat(timespec="milliseconds"),
        "zero-micros": at.replace(microsecond=0).isoformat(timespec="microseconds"),
        "minus": canonical.replace("+00:00", "-00:00"),
        "basic": f"{at.year:04d}{at.month:02d}{at.day:02d}T{at:%H%M%S}+00:00",
        "week": f"{at.isocalendar()[0]:04d}-W{at.isocalendar()[1]:02d}-{at.isocalendar()[2]}"
        + canonical[10:],
    }[form]
    parsed = dt.datetime.fromisoformat(text)
    assert is_instant_text(text, parsed) == (text == parsed.isoformat())
    assert is_instant_text(canonical, at)


# ---------------------------------------------------------------- the sealed quick reading


def chained(events: Sequence[CaseEvent]) -> bool:
    """Whether ``events`` verify as a history (every hash, link and position)."""
    try:
        attrs.evolve(CASE, events=tuple(events), state=events[-1].dest).verify()
    except MigrantCareError:
        return False
    return True


def test_genuine_rows_take_the_sealed_quick_reading_and_give_the_stored_events() -> None:
    for items in (pg_items(), sqlite_items()):
        assert sealed_events(items) == CASE.events


@given(
    pg=st.booleans(),
    index=st.integers(0, len(CASE.events) - 1),
    edit=st.tuples(st.sampled_from(COLUMNS), COLUMN_VALUES)
    | st.tuples(st.sampled_from(FIELDS), HOSTILE),
    drop=st.booleans(),
)
@example(pg=True, index=1, edit=(1, "2026-03-02T09:00:00.00025+08:00"), drop=False)
@example(pg=False, index=0, edit=("data", {"workflow": float("nan")}), drop=False)
@example(pg=True, index=3, edit=("at", "2026-03-03T01:00:07.000001+00:00"), drop=False)
def test_the_sealed_quick_reading_accepts_only_what_the_careful_one_accepts(
    pg: bool, index: int, edit: tuple[int | str, object], drop: bool, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    items = mutated(pg, index, edit, drop)
    quick = sealed_events(items)
    if quick is not None:
        careful = loaded(items)
        assert careful == list(quick)
        assert chained(quick)
