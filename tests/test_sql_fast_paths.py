"""The SQL store's quick read of event rows builds and refuses exactly what its checked read does.

A load reads each stored event row (its columns and its document) with ``_quick_event``
when it can, and with ``SqlCaseStore._event`` otherwise. Rows as PostgreSQL's JSON
aggregate gives them and as SQLite's rows give them are mutated at random, column by
column and field by field: the quick read must give the same event as the checked one
or leave the row to it, and a whole history the same events or the same error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import strategies as st

from migrantcare import CaseEvent, Person, WorkingCalendar, complaint_workflow
from migrantcare.exceptions import MigrantCareError
from migrantcare.sql import SqlCaseStore
from migrantcare.sql._store import _quick_event
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
CASE = WF.fire(
    _case, "request_documents", at=T0 + dt.timedelta(hours=2), by=actor("o-1"), calendar=CAL
)
#: The store whose checked read the quick one is held against (it reads no database).
STORE = SqlCaseStore(sa.create_engine("sqlite://"), WF, calendar=CAL)
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
        return [STORE._event("PGD-7", *item) for item in items]
    except (MigrantCareError, OverflowError) as exc:
        return (type(exc), str(exc))


def loaded(items: list[list[Any]]) -> object:
    """The events a load makes of the rows (quick where it can), or the error."""
    try:
        return STORE._events("PGD-7", items)
    except (MigrantCareError, OverflowError) as exc:
        return (type(exc), str(exc))


#: What a document's field may be edited to.
HOSTILE = (
    REPLACEMENTS
    | st.text(max_size=3)
    | st.sampled_from(
        [
            "é",
            " ",
            "\t",
            "x" * 100_001,
            "0" * 63 + "g",
            "0" * 64,
            CASE.events[1].hash.upper(),
            CASE.events[0].hash,
            "2026-03-02T09:00:00+08:00",
            "2026-03-02T01:00:00",
            "transition",
            "registered",
            "o-1",
            1.0,
            True,
        ]
    )
)
#: What a column may hold: a value of its type (an instant as the driver or the
#: server's JSON gives it).
COLUMN_VALUES = (
    st.integers(-1, 3)
    | st.text(max_size=3)
    | st.sampled_from(
        [
            "é",
            " ",
            "x" * 100_001,
            "0" * 64,
            CASE.events[1].hash.upper(),
            CASE.events[0].hash,
            "2026-03-02T09:00:00+08:00",
            "2026-03-02T01:00:00",
            "0001-01-01T00:30:00+01:00",
            dt.datetime(2026, 3, 2, 1, 0),
            dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            "transition",
            "registered",
            "o-1",
        ]
    )
)


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
    target, value = edit
    items = pg_items() if pg else sqlite_items()
    item = items[index]
    if isinstance(target, int):
        item[target] = value
    elif drop:
        del item[7][target]
    else:
        item[7][target] = value
    quick = _quick_event(item, set())  # reads the row, changes nothing
    if quick is not None:
        assert quick == STORE._event("PGD-7", *item)
    assert loaded(items) == checked(items)


def test_genuine_rows_take_the_quick_path_and_give_the_stored_events() -> None:
    for items in (pg_items(), sqlite_items()):
        plain: set[str] = set()
        for event, item in zip(CASE.events, items, strict=True):
            quick = _quick_event(item, plain)
            assert quick == event == STORE._event("PGD-7", *item)
            assert type(quick) is CaseEvent
        assert STORE._events("PGD-7", items) == list(CASE.events)


def test_an_instant_written_in_another_zone_takes_the_quick_path() -> None:
    # a server whose TimeZone is not UTC writes the column's instant with its offset
    for event, item in zip(CASE.events, pg_items(), strict=True):
        item[1] = event.at.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
        assert _quick_event(item, set()) == event
