"""Mutated stored documents: from_dict refuses or loads strictly; verify catches header edits."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import Case, Person, WorkingCalendar, complaint_workflow
from migrantcare.exceptions import IntegrityError, MigrantCareError, SchemaError
from migrantcare.records._sla_state import SlaClock, _plain_clock, clock_from_dict
from tests.actors import actor
from tests.strategies import REPLACEMENTS

WF = complaint_workflow()
CAL = WorkingCalendar.indonesia()
T0 = pendulum.datetime(2026, 3, 2, 9, tz="Asia/Jakarta")
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
_case = WF.fire(_case, "start_verification", at=T0.add(hours=1), by=actor("o-1"), calendar=CAL)
CASE = WF.fire(_case, "request_documents", at=T0.add(hours=2), by=actor("o-1"), calendar=CAL)
DOC = CASE.to_dict()


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(DOC)


@given(path=st.sampled_from(PATHS), value=REPLACEMENTS)
def test_a_mutated_document_loads_strictly_or_is_refused(
    path: tuple[object, ...], value: object, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    doc = copy.deepcopy(DOC)
    target = doc
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    try:
        case = Case.from_dict(doc)
    except SchemaError as exc:
        message = str(exc)
    else:
        # what loads is strict JSON again, and verify never crashes on it
        json.dumps(case.to_dict(), allow_nan=False)
        with contextlib.suppress(MigrantCareError):
            case.verify(workflows=WF, calendar=CAL)
        return
    assert len(message) < 2_100


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", None),
        ("office", None),
        ("attributes", None),
        ("clocks", ""),
        ("events", ""),
        ("workflow_version", True),
        ("workflow_version", "1"),
        ("workflow_version", 1.0),
        ("calendar_version", 5),
    ],
)
def test_no_silent_coercion(field: str, value: object) -> None:
    doc = {**DOC, field: value}
    with pytest.raises(SchemaError):
        Case.from_dict(doc)


def test_nan_in_stored_attributes_is_refused() -> None:
    with pytest.raises(SchemaError):
        Case.from_dict({**DOC, "attributes": {"x": float("nan")}})


def test_every_to_dict_is_strict_json() -> None:
    json.dumps(CASE.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("state", "closed"),
        ("office", "bp3mi-jatim"),
        ("category", "deportation"),
        ("channel", "email"),
        ("priority", "urgent"),
        ("attributes", {"country": "SA", "n": 2}),
        ("opened_at", "2026-03-01T09:00:00+07:00"),
        ("workflow_version", 2),
    ],
)
def test_verify_detects_a_header_edit_and_names_the_field(field: str, value: object) -> None:
    doc = {**copy.deepcopy(DOC), field: value}
    case = Case.from_dict(doc)
    name = "attributes" if field == "attributes" else field
    with pytest.raises(IntegrityError, match=name):
        case.verify(workflows=WF, calendar=CAL)


def test_verify_detects_edited_clocks() -> None:
    doc = copy.deepcopy(DOC)
    doc["clocks"][0]["due_at"] = "2030-01-01T00:00:00+00:00"
    with pytest.raises(IntegrityError, match="SLA clocks"):
        Case.from_dict(doc).verify(workflows=WF, calendar=CAL)


def test_verify_passes_a_genuine_record() -> None:
    Case.from_dict(copy.deepcopy(DOC)).verify(workflows=WF, calendar=CAL)
    CASE.verify(workflows=[WF], calendar=CAL)


EVENT_DOCS = [e.to_dict() for e in CASE.events]
EVENT_FIELDS = sorted(EVENT_DOCS[0])


def _loaded(record: object) -> object:
    """What CaseEvent.from_dict makes of ``record``: the event, or the error and its message."""
    from migrantcare import CaseEvent  # noqa: PLC0415

    try:
        return CaseEvent.from_dict(record)  # type: ignore[arg-type]
    except MigrantCareError as exc:
        return (type(exc), str(exc))


@given(
    index=st.integers(0, len(EVENT_DOCS) - 1),
    field=st.sampled_from(EVENT_FIELDS),
    value=REPLACEMENTS
    | st.text(max_size=3)
    | st.sampled_from(["é", " ", "\t", "x" * 100_001, "0" * 63 + "g", "0" * 64]),
    drop=st.booleans(),
)
def test_an_event_record_loads_the_same_on_the_plain_and_the_checked_path(
    index: int, field: str, value: object, drop: bool
) -> None:
    # a dict takes the plain path when it can; any other mapping takes the checked one:
    # both must accept the same records and build the same events
    import types  # noqa: PLC0415

    record = copy.deepcopy(EVENT_DOCS[index])
    if drop:
        del record[field]
    else:
        record[field] = value
    plain = _loaded(record)
    checked = _loaded(types.MappingProxyType(record))
    assert plain == checked


def test_genuine_event_records_take_the_plain_path_and_round_trip() -> None:
    from migrantcare import CaseEvent  # noqa: PLC0415
    from migrantcare.records._case import _plain_event  # noqa: PLC0415

    for event, record in zip(CASE.events, EVENT_DOCS, strict=True):
        assert _plain_event(CaseEvent, record) == event
        assert CaseEvent.from_dict(record) == event


_T1 = dt.datetime(2026, 3, 3, 1, tzinfo=dt.timezone.utc)
CLOCKS = [
    *CASE.clocks,
    SlaClock(
        goal="verification",
        variant="urgent",
        cycle=2,
        started_at=_T1,
        pauses=((_T1 + dt.timedelta(hours=1), _T1 + dt.timedelta(hours=2, microseconds=5)),),
        recorded=("warning:50", "breach"),
        due_at=_T1 + dt.timedelta(days=3),
        warn_times=(_T1 + dt.timedelta(days=1),),
        budget_us=10**9,
        calendar_version="cal-1",
        provisional=True,
        rebased_at=_T1 + dt.timedelta(hours=3),
        used_us=5,
        used_days=1,
    ),
]
CLOCK_DOCS = [c.to_dict() for c in CLOCKS]
CLOCK_FIELDS = sorted(CLOCK_DOCS[0])


def _clock(record: object) -> object:
    """What clock_from_dict makes of ``record``: the clock, or the error and its message."""
    try:
        return clock_from_dict(record)  # type: ignore[arg-type]
    except MigrantCareError as exc:
        return (type(exc), str(exc))


@given(
    index=st.integers(0, len(CLOCK_DOCS) - 1),
    field=st.sampled_from(CLOCK_FIELDS),
    value=REPLACEMENTS
    | st.text(max_size=3)
    | st.sampled_from(
        [
            "é",
            " ",
            None,
            [],
            ["2026-03-02T09:00:00+08:00"],
            [["2026-03-02T01:00:00+00:00", None]],
            [["2026-03-02T01:00:00+00:00", "2026-03-02T09:00:00+08:00"]],
            [["2026-03-02T01:00:00+00:00"]],
            ["warning:50", ""],
            "2026-03-02T09:00:00+08:00",
            "2026-03-02T01:00:00",
            "2026-03-02T01:00:00Z",
            True,
            0,
            -1,
            1.0,
        ]
    ),
    drop=st.booleans(),
)
def test_a_clock_record_loads_the_same_on_the_plain_and_the_checked_path(
    index: int, field: str, value: object, drop: bool, hostile_tally: list[int]
) -> None:
    # a dict takes the plain path when it can; any other mapping takes the checked one
    import types  # noqa: PLC0415

    hostile_tally[0] += 1
    record = copy.deepcopy(CLOCK_DOCS[index])
    if drop:
        del record[field]
    else:
        record[field] = value
    assert _clock(record) == _clock(types.MappingProxyType(record))


def test_genuine_clock_records_take_the_plain_path_and_round_trip() -> None:
    for clock, record in zip(CLOCKS, CLOCK_DOCS, strict=True):
        assert _plain_clock(record) == clock
        assert clock_from_dict(record) == clock
