"""Hostile values at every public entry point: only MigrantCareError comes out, nothing changes.

Each test adds the inputs it tries to the session tally printed at the end of the run
("hostile inputs tried: N").
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import (
    Case,
    CaseMatch,
    Person,
    SlaPlan,
    SlaPolicy,
    SlaTarget,
    Term,
    Vocabulary,
    WorkingCalendar,
    complaint_workflow,
    replay,
)
from migrantcare.exceptions import (
    CallbackError,
    DateOutOfRangeError,
    InvalidArgumentError,
    MigrantCareError,
    WrongTypeError,
)
from tests.actors import actor
from tests.strategies import (
    HOSTILE_INSTANTS,
    HOSTILE_JSON,
    HOSTILE_NUMBERS,
    HOSTILE_TEXT,
    HUGE_DURATIONS,
    WRONG_TYPES,
    extreme_datetimes,
)

WF = complaint_workflow()
CAL = WorkingCalendar.indonesia()
T0 = pendulum.datetime(2026, 3, 2, 9, tz="Asia/Jakarta")
# Personal data that must never surface in an error message.
SECRET = Person("Siti Rahasia", kind="pmi", passport_number="X9911", nik="3201" * 4, phone="+62811")
SECRETS = ("Siti Rahasia", "X9911", "3201" * 4, "+62811")
MESSAGE_BOUND = 2_100
OPEN = {
    "at": T0,
    "by": actor("cc-01"),
    "office": "bp3mi-ntt",
    "category": "unpaid_wages",
    "channel": "whatsapp",
    "complainant": SECRET,
    "calendar": CAL,
}
CASE = WF.open("PGD-1", **OPEN)  # type: ignore[arg-type]
SNAPSHOT = json.dumps(CASE.to_dict(), allow_nan=False, sort_keys=True)


def refused_or_done(call: Callable[[], object], tally: list[int]) -> MigrantCareError | None:
    """Run ``call``; only a MigrantCareError may escape, and its message is bounded and clean."""
    tally[0] += 1
    error: MigrantCareError | None = None
    try:
        call()
    except MigrantCareError as exc:
        error = exc
    # the case the call received is unchanged
    assert json.dumps(CASE.to_dict(), allow_nan=False, sort_keys=True) == SNAPSHOT
    if error is not None:
        text = str(error)
        assert len(text) <= MESSAGE_BOUND, len(text)
        assert not any(s in text or s in repr(error) for s in SECRETS), text
    return error


OPEN_FIELDS = st.sampled_from([*OPEN, "priority", "attributes", "note", "worker", "case_id"])


@given(field=OPEN_FIELDS, value=st.one_of(HOSTILE_TEXT, HOSTILE_JSON, HOSTILE_INSTANTS))
def test_open_refuses_hostile_values(field: str, value: object, hostile_tally: list[int]) -> None:
    kwargs = {**OPEN, field: value}
    case_id = kwargs.pop("case_id", "PGD-2")
    refused_or_done(lambda: WF.open(case_id, **kwargs), hostile_tally)  # type: ignore[arg-type]


FIRE_FIELDS = st.sampled_from(
    ["at", "by", "note", "data", "expected_version", "calendar", "trigger"]
)


@given(field=FIRE_FIELDS, value=st.one_of(HOSTILE_TEXT, HOSTILE_JSON, HOSTILE_INSTANTS))
def test_fire_refuses_hostile_values(field: str, value: object, hostile_tally: list[int]) -> None:
    kwargs: dict[str, object] = {"at": T0.add(hours=1), "by": actor("o-1"), "calendar": CAL}
    trigger: object = "start_verification"
    if field == "trigger":
        trigger = value
    else:
        kwargs[field] = value
    refused_or_done(lambda: WF.fire(CASE, trigger, **kwargs), hostile_tally)  # type: ignore[arg-type]


@given(now=HOSTILE_INSTANTS)
def test_clock_operations_refuse_hostile_instants(now: object, hostile_tally: list[int]) -> None:
    refused_or_done(lambda: WF.status(CASE, at=now, calendar=CAL), hostile_tally)  # type: ignore[arg-type]
    refused_or_done(lambda: WF.advance(CASE, at=now, calendar=CAL), hostile_tally)  # type: ignore[arg-type]
    refused_or_done(lambda: WF.recompute(CASE, calendar=CAL, at=now), hostile_tally)  # type: ignore[arg-type]
    refused_or_done(lambda: WF.due_cases([CASE], at=now), hostile_tally)  # type: ignore[arg-type]


# None is a valid head_hash and an empty list a valid (empty) sweep
@given(value=WRONG_TYPES.filter(lambda v: v is not None and not (isinstance(v, list) and not v)))
def test_case_taking_functions_refuse_what_is_not_a_case(
    value: object, hostile_tally: list[int]
) -> None:
    for call in (
        lambda: WF.next_due_at(value),  # type: ignore[arg-type]
        lambda: WF.due_cases(value, at=T0),  # type: ignore[arg-type]
        lambda: WF.due_cases([value], at=T0),  # type: ignore[list-item]
        lambda: replay(value, WF, calendar=CAL),  # type: ignore[arg-type]
        lambda: replay(CASE, value, calendar=CAL),  # type: ignore[arg-type]
        lambda: WF.status(value, at=T0, calendar=CAL),  # type: ignore[arg-type]
        lambda: CASE.verify(head_hash=value),  # type: ignore[arg-type]
    ):
        # the value is never a valid input here: it must be refused
        assert refused_or_done(call, hostile_tally) is not None


@given(value=st.one_of(HOSTILE_NUMBERS, HUGE_DURATIONS))
def test_sla_targets_refuse_impossible_amounts(value: object, hostile_tally: list[int]) -> None:
    makers: tuple[Callable[[object], object], ...] = (
        SlaTarget.working_days,  # type: ignore[assignment]
        SlaTarget.working_hours,  # type: ignore[assignment]
        SlaTarget.working_minutes,  # type: ignore[assignment]
        SlaTarget.calendar_days,  # type: ignore[assignment]
        SlaTarget.elapsed,  # type: ignore[assignment]
    )
    for make in makers:
        refused_or_done(functools.partial(make, value), hostile_tally)


@given(value=st.one_of(HOSTILE_TEXT, HOSTILE_JSON))
def test_policy_and_vocabulary_constructors_refuse_wrong_values(
    value: object, hostile_tally: list[int]
) -> None:
    target = SlaTarget.working_days(3)
    for call in (
        lambda: SlaPolicy(value, target, start_states="a", stop_states="b"),  # type: ignore[arg-type]
        lambda: SlaPolicy("x", target, start_states=value, stop_states="b"),  # type: ignore[arg-type]
        lambda: SlaPolicy("x", target, start_states="a", stop_states="b", warn_at=value),  # type: ignore[arg-type]
        lambda: SlaPolicy("x", value, start_states="a", stop_states="b"),  # type: ignore[arg-type]
        lambda: SlaPlan(value),  # type: ignore[arg-type]
        lambda: CaseMatch(categories=value),  # type: ignore[arg-type]
        lambda: Term(value, "a", "b"),  # type: ignore[arg-type]
        lambda: Term("a", value, "b"),  # type: ignore[arg-type]
        lambda: Vocabulary(value, ()),  # type: ignore[arg-type]
        lambda: Vocabulary("v", value),  # type: ignore[arg-type]
    ):
        refused_or_done(call, hostile_tally)


@given(value=st.one_of(HOSTILE_TEXT, HOSTILE_JSON))
def test_person_never_shows_its_data(value: object, hostile_tally: list[int]) -> None:
    for call in (
        lambda: Person(value),  # type: ignore[arg-type]
        lambda: Person("Siti Rahasia", kind=value),  # type: ignore[arg-type]
        lambda: Person("Siti Rahasia", passport_number=value),  # type: ignore[arg-type]
        lambda: Person("Siti Rahasia", nik=value),  # type: ignore[arg-type]
        lambda: Person.from_dict(value),  # type: ignore[arg-type]
        lambda: Person.from_dict({**SECRET.to_dict(), "nik": value}),
        lambda: Person.from_dict({**SECRET.to_dict(), "Siti Rahasia": value}),
        lambda: Person.from_dict(list(SECRET.to_dict().values())),  # type: ignore[arg-type]
    ):
        refused_or_done(call, hostile_tally)


@given(when=st.one_of(extreme_datetimes(), HOSTILE_INSTANTS), delta=HUGE_DURATIONS)
def test_calendar_refuses_extreme_instants_and_durations(
    when: object, delta: dt.timedelta, hostile_tally: list[int]
) -> None:
    for call in (
        lambda: CAL.local(when),  # type: ignore[arg-type]
        lambda: CAL.is_working_time(when),  # type: ignore[arg-type]
        lambda: CAL.add_working_time(when, dt.timedelta(hours=1)),  # type: ignore[arg-type]
        lambda: CAL.add_working_time(T0, delta),
        lambda: CAL.working_time_between(T0, when),  # type: ignore[arg-type]
        lambda: CAL.add_working_days(dt.date(2026, 3, 2), when),  # type: ignore[arg-type]
        lambda: CAL.with_closures(when, name="x"),  # type: ignore[arg-type]
    ):
        refused_or_done(call, hostile_tally)


# ------------------------------------------------------------------ one example per class
# Each of these failed on the code before issue 9 (a bare Python error or a wrong result).


def test_year_one_and_9999_are_date_out_of_range() -> None:
    near_one = dt.datetime(1, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=10)))
    near_end = dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-10)))
    for when in (near_one, near_end):
        with pytest.raises(DateOutOfRangeError):
            WF.open("P", **{**OPEN, "at": when})  # type: ignore[arg-type]
        with pytest.raises(DateOutOfRangeError):
            CAL.local(when)


def test_huge_targets_are_refused_not_overflowing() -> None:
    with pytest.raises(InvalidArgumentError):
        SlaTarget.working_hours(1e308)
    with pytest.raises(InvalidArgumentError):
        SlaTarget.working_hours(float("nan"))
    with pytest.raises(InvalidArgumentError):
        SlaTarget.elapsed(dt.timedelta.max)
    with pytest.raises(WrongTypeError):
        SlaTarget.working_days(True)


def test_non_finite_and_deep_data_are_refused() -> None:
    for bad in ({"x": float("nan")}, {"x": [float("inf")]}, {"x": [[[[]]]] * 1 + [_deep(5000)]}):
        with pytest.raises(InvalidArgumentError):
            WF.open("P", **{**OPEN, "attributes": bad})  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError):
            WF.fire(CASE, "start_verification", at=T0, by=actor("o"), data=bad, calendar=CAL)


def _deep(n: int) -> object:
    value: object = 1
    for _ in range(n):
        value = [value]
    return value


def test_lone_surrogates_are_refused_at_input() -> None:
    with pytest.raises(InvalidArgumentError, match="surrogate"):
        WF.fire(CASE, "start_verification", at=T0, by=actor("o"), calendar=CAL, note="\ud800")
    with pytest.raises(InvalidArgumentError, match="surrogate"):
        actor("\ud800")  # the actor is refused before any operation sees it
    with pytest.raises(InvalidArgumentError, match="surrogate"):
        WF.open("P\udfff", **OPEN)  # type: ignore[arg-type]


def test_expected_version_must_be_an_int() -> None:
    with pytest.raises(WrongTypeError):
        WF.fire(
            CASE, "start_verification", at=T0, by=actor("o"), expected_version="1", calendar=CAL
        )  # type: ignore[arg-type]
    with pytest.raises(WrongTypeError):
        WF.fire(
            CASE, "start_verification", at=T0, by=actor("o"), expected_version=True, calendar=CAL
        )  # type: ignore[arg-type]


def _boom(attempt: object) -> None:
    raise KeyError("secret detail")


@pytest.mark.parametrize(
    ("callback", "message"),
    [
        (lambda attempt: 42, "returns None or a mapping"),
        (lambda attempt: ["x"], "returns None or a mapping"),
        (lambda attempt: {"x": float("nan")}, "cannot be stored"),
        (lambda attempt: {"x": "\ud800"}, "cannot be stored"),
        (_boom, "raised KeyError"),
    ],
)
def test_a_bad_callback_names_event_and_state_and_changes_nothing(
    callback: Callable[[object], object], message: str
) -> None:
    wf = WF.spec.with_callback("start_verification", callback).build()  # type: ignore[arg-type]
    case = wf.open("P", **OPEN)  # type: ignore[arg-type]
    before = case.to_dict()
    with pytest.raises(CallbackError, match=message) as info:
        wf.fire(case, "start_verification", at=T0, by=actor("o"), calendar=CAL)
    assert "'start_verification'" in str(info.value)
    assert "'registered'" in str(info.value)
    assert (info.value.trigger, info.value.state) == ("start_verification", "registered")
    assert case.to_dict() == before


def test_messages_quote_a_bounded_prefix() -> None:
    big = "x" * 2_000_000
    for call in (
        lambda: WF.open(big, **OPEN),  # type: ignore[arg-type]
        lambda: WF.open("P", **{**OPEN, "category": big}),  # type: ignore[arg-type]
        lambda: WF.fire(CASE, big, at=T0, by=actor("o"), calendar=CAL),
        lambda: Case.from_dict({**CASE.to_dict(), "schema": big}),
    ):
        with pytest.raises(MigrantCareError) as info:
            call()
        assert len(str(info.value)) < 1_000


def test_malformed_person_records_never_show_personal_data() -> None:
    for record in (
        ["Siti Rahasia", "pmi", "X9911", "3201" * 4, "+62811"],
        {"name": "Siti Rahasia", "nik": "3201" * 4, "passport": "X9911"},
        {"name": "Siti Rahasia", "kind": "X9911"},
        {"name": "Siti Rahasia", "phone": 62811},
    ):
        with pytest.raises(MigrantCareError) as info:
            Person.from_dict(record)  # type: ignore[arg-type]
        assert not any(s in str(info.value) for s in SECRETS), str(info.value)
        assert info.value.__cause__ is None


def test_an_unknown_person_kind_is_not_quoted() -> None:
    odd = Person("Siti Rahasia", kind="siti_rahasia")
    with pytest.raises(MigrantCareError) as info:
        WF.open("P", **{**OPEN, "complainant": odd})  # type: ignore[arg-type]
    assert "siti_rahasia" not in str(info.value)
