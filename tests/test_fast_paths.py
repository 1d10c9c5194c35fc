"""The write path's fast paths give exactly what the general (reference) code gives.

Each internal shortcut (hand-written opening JSON, event hashes built in place, the
zoneinfo branch of ``utc``, records filled without attrs' ``__init__``, cached day
segments and closes of the calendar, the inline UTC branch of ``_position``, clocks
started with their cache, the two-instant cache of ``Measure``) is held against the
code it replaces, on random inputs and at the edges.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import pathlib
import pickle
import weakref
import zoneinfo
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrantcare import (
    SYSTEM,
    Actor,
    Case,
    CaseEvent,
    Offices,
    Person,
    SlaPolicy,
    SlaTarget,
    Workflow,
    WorkingCalendar,
    WorkSchedule,
    complaint_workflow,
    outreach_workflow,
    repatriation_workflow,
    replay,
)
from migrantcare._time import as_utc, require_aware, to_zone_fields
from migrantcare._validate import MAX_TEXT
from migrantcare.cases._workflow import _opening_data
from migrantcare.exceptions import (
    DateOutOfRangeError,
    InvalidArgumentError,
    MigrantCareError,
)
from migrantcare.records._case import (
    actor_text,
    canonical_json,
    event_hash,
    hash_head,
    make_event,
    new_case,
    next_case,
    utc,
)
from migrantcare.records._sla_state import SlaClock, new_clock
from migrantcare.sla import _measure, _sla
from migrantcare.sla._measure import Measure
from migrantcare.sla._sla import (
    SlaStatus,
    _clock_status_general,
    _new_status,
    apply_event,
    concerns,
    current_clocks,
    entered_state,
    new_measure,
    refresh,
)
from tests.actors import CC

from .strategies import (
    EXTRA_DATA,
    NOTES,
    STEP_SECONDS,
    any_aware_datetimes,
    id_texts,
    satisfying_data,
    sla_targets,
    surrogate_texts,
    valid_texts,
    warn_fractions,
)

UTC = dt.timezone.utc


def outcome(call: Callable[[], object]) -> tuple[object, ...]:
    """What ``call`` returns, or the type and message of what it raises."""
    try:
        return ("returned", call())
    except Exception as exc:  # any difference in what is raised counts
        return ("raised", type(exc), str(exc))


# =========================================================================== 1. opening data

OPENING_WORKFLOWS = (
    complaint_workflow(sla=False),
    repatriation_workflow(),
    outreach_workflow(),
)
#: Attribute texts: short valid text, canonical JSON of a dict, and sizes around MAX_TEXT
#: (longer ones take the checked branch, which refuses them as canonical_json does).
attribute_texts = st.one_of(
    valid_texts,
    st.dictionaries(
        valid_texts, st.one_of(st.integers(-(2**63) + 1, 2**63 - 1), valid_texts, st.none())
    ).map(canonical_json),
    st.tuples(st.integers(MAX_TEXT - 3, MAX_TEXT + 3), st.sampled_from(["x", "é", '"', "😀"])).map(
        lambda t: t[1] * t[0]
    ),
)


def _opening_reference(wf: Workflow, values: dict[str, str]) -> str:
    return canonical_json(
        {
            "case_id": values["case_id"],
            "workflow": wf.name,
            "workflow_version": wf.version,
            "office": values["office"],
            "category": values["category"],
            "channel": values["channel"],
            "priority": values["priority"],
            "attributes": values["attributes"],
        }
    )


@given(
    st.fixed_dictionaries(
        {
            "case_id": valid_texts,
            "office": valid_texts,
            "category": valid_texts,
            "channel": valid_texts,
            "priority": valid_texts,
            "attributes": attribute_texts,
        }
    ),
    st.sampled_from(OPENING_WORKFLOWS),
)
@example(
    {
        "case_id": 'PGD "1" \\ \x01\x1f\u2028 😀',
        "office": "\x7f",
        "category": "",
        "channel": "é",
        "priority": "normal",
        "attributes": "x" * (MAX_TEXT + 1),
    },
    OPENING_WORKFLOWS[0],
)
@example(
    {
        "case_id": "A",
        "office": "b",
        "category": "c",
        "channel": "d",
        "priority": "e",
        "attributes": "é" * MAX_TEXT,  # the longest text the direct branch writes
    },
    OPENING_WORKFLOWS[0],
)
@settings(max_examples=150)
def test_opening_data_equals_canonical_json(values: dict[str, str], wf: Workflow) -> None:
    got = outcome(
        lambda: _opening_data(
            wf.name,
            wf.version,
            values["case_id"],
            values["office"],
            values["category"],
            values["channel"],
            values["priority"],
            values["attributes"],
        )
    )
    assert got == outcome(lambda: _opening_reference(wf, values))


@given(
    id_texts,
    id_texts,
    st.dictionaries(valid_texts, st.one_of(st.integers(-(2**63) + 1, 2**63 - 1), valid_texts)),
    NOTES,
)
@settings(max_examples=60)
def test_an_opening_with_any_ids_records_the_canonical_data(
    case_id: str, office: str, attributes: dict[str, Any], note: str | None
) -> None:
    # codes are vocabulary codes (ASCII snake_case); ids are free text
    wf = OPENING_WORKFLOWS[0]
    case = wf.open(
        case_id,
        at=pendulum.datetime(2026, 3, 2, 9, tz="Asia/Jakarta"),
        by=CC,
        office=office,
        category="unpaid_wages",
        channel="whatsapp",
        attributes=attributes,
        note=note,
    )
    opening = case.events[0]
    assert opening.data_json == _opening_reference(
        wf,
        {
            "case_id": case_id,
            "office": office,
            "category": "unpaid_wages",
            "channel": "whatsapp",
            "priority": "normal",
            "attributes": canonical_json(attributes),
        },
    )
    case.verify(workflows=wf)
    assert replay(case, wf) == case


# =========================================================================== 2. make_event

optional_texts = st.one_of(st.none(), valid_texts)
utc_instants = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(UTC)
)
digests = st.binary(min_size=32, max_size=32)


@st.composite
def event_fields(draw: st.DrawFn) -> dict[str, Any]:
    """The fields of make_event (``prev`` a random earlier event or None)."""
    prev = None
    if draw(st.booleans()):
        prev = CaseEvent(
            seq=draw(st.integers(0, 10**6)),
            kind="transition",
            name="verify",
            source="a",
            dest="b",
            at=draw(utc_instants),
            by="o",
            role=None,
            office=None,
            note=None,
            data_json="{}",
            prev_digest=draw(digests),
            digest=draw(digests),
        )
    return {
        "prev": prev,
        "kind": draw(valid_texts),
        "name": draw(valid_texts),
        "source": draw(optional_texts),
        "dest": draw(valid_texts),
        "at": draw(utc_instants),
        "by": draw(valid_texts),
        "role": draw(optional_texts),
        "office": draw(optional_texts),
        "note": draw(optional_texts),
        "data_json": draw(st.one_of(valid_texts, EXTRA_DATA.map(canonical_json))),
    }


def _reference_hash(f: dict[str, Any]) -> bytes:
    prev = f["prev"]
    return event_hash(
        0 if prev is None else prev.seq + 1,
        f["kind"],
        f["name"],
        f["source"],
        f["dest"],
        f["at"].isoformat(),
        f["by"],
        f["role"],
        f["office"],
        f["note"],
        f["data_json"],
        bytes(32) if prev is None else prev.digest,
    )


def _made(f: dict[str, Any], head: bool, who: bool) -> CaseEvent:
    return make_event(
        f["prev"],
        f["kind"],
        f["name"],
        f["source"],
        f["dest"],
        f["at"],
        f["by"],
        f["role"],
        f["office"],
        f["note"],
        f["data_json"],
        hash_head(f["kind"], f["name"], f["source"], f["dest"]) if head else None,
        actor_text(f["by"], f["role"], f["office"]) if who else None,
    )


@given(event_fields(), st.booleans(), st.booleans())
@settings(max_examples=200)
def test_make_event_hashes_as_event_hash(f: dict[str, Any], head: bool, who: bool) -> None:
    event = _made(f, head, who)
    expected = _reference_hash(f)
    assert event.digest == expected
    assert event.expected_digest() == expected
    prev = f["prev"]
    assert event.seq == (0 if prev is None else prev.seq + 1)
    assert event.prev_digest == (bytes(32) if prev is None else prev.digest)
    reference = CaseEvent(
        seq=event.seq,
        kind=f["kind"],
        name=f["name"],
        source=f["source"],
        dest=f["dest"],
        at=f["at"],
        by=f["by"],
        role=f["role"],
        office=f["office"],
        note=f["note"],
        data_json=f["data_json"],
        prev_digest=event.prev_digest,
        digest=expected,
    )
    assert_same_record(event, reference)


HASHED_TEXT_FIELDS = ("kind", "name", "source", "dest", "by", "role", "office", "note", "data_json")


@given(event_fields(), st.sampled_from(HASHED_TEXT_FIELDS), surrogate_texts, st.booleans())
@settings(max_examples=100)
def test_a_lone_surrogate_raises_what_event_hash_raises(
    f: dict[str, Any], field: str, bad: str, precomputed: bool
) -> None:
    f = {**f, field: bad}
    expected = outcome(lambda: _reference_hash(f))
    assert expected[:2] == ("raised", InvalidArgumentError)
    assert outcome(lambda: _made(f, precomputed, precomputed)) == expected
    if field in ("kind", "name", "source", "dest", "by", "note"):
        assert f"{field if field != 'data_json' else 'data'} contains a lone surrogate" in str(
            expected[2]
        )


def test_a_lone_surrogate_names_the_field() -> None:
    # targeted: the message names the field that is not valid Unicode
    fields = {
        "prev": None,
        "kind": "transition",
        "name": "verify",
        "source": "a",
        "dest": "b",
        "at": dt.datetime(2026, 3, 2, tzinfo=UTC),
        "by": "o",
        "role": None,
        "office": None,
        "note": "ok \ud800",
        "data_json": "{}",
    }
    with pytest.raises(InvalidArgumentError, match=r"event 0: note contains a lone surrogate"):
        _made(fields, False, False)
    with pytest.raises(InvalidArgumentError, match=r"event 0: data contains a lone surrogate"):
        _made({**fields, "note": None, "data_json": '{"a":"\udfff"}'}, True, True)


# =========================================================================== 3. utc()


@given(any_aware_datetimes())
@example(dt.datetime(1, 1, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Jakarta")))
@example(dt.datetime(9999, 12, 31, 23, tzinfo=zoneinfo.ZoneInfo("America/Sao_Paulo")))
@example(pendulum.DateTime(9999, 12, 31, 23, tzinfo=pendulum.timezone("Asia/Jayapura")))
@example(dt.datetime(2026, 3, 29, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"), fold=1))
@example(dt.datetime(2026, 10, 25, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"), fold=1))
@example(pendulum.DateTime(2018, 11, 4, 0, 30, tzinfo=pendulum.timezone("America/Sao_Paulo")))
@example(dt.datetime(2019, 2, 16, 23, 30, 0, 1, tzinfo=zoneinfo.ZoneInfo("America/Sao_Paulo")))
@settings(max_examples=300)
def test_utc_equals_as_utc(value: dt.datetime) -> None:
    got = outcome(lambda: utc(value, "at"))
    expected = outcome(lambda: as_utc(require_aware(value, "at")))
    assert got == expected
    if got[0] == "returned":
        result = got[1]
        assert type(result) is dt.datetime
        assert result.tzinfo is UTC
        assert repr(result) == repr(expected[1])  # fold included
    else:
        assert got[1] is DateOutOfRangeError


# =========================================================================== 4. records


def assert_same_record(fast: object, reference: object) -> None:
    """``fast`` (built by a fast builder) cannot be told from the attrs-built ``reference``."""
    cls = type(reference)
    assert type(fast) is cls
    assert fast == reference
    assert reference == fast
    assert (fast != reference) is False  # __ne__ too
    assert hash(fast) == hash(reference)
    assert repr(fast) == repr(reference)
    assert attrs.asdict(fast) == attrs.asdict(reference)
    assert attrs.astuple(fast) == attrs.astuple(reference)
    assert not hasattr(fast, "__dict__")
    assert weakref.ref(fast)() is fast  # type: ignore[arg-type]
    names = [a.name for a in attrs.fields(cls)]  # type: ignore[arg-type]
    for name in names:
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(fast, name, getattr(fast, name))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            delattr(fast, name)
    assert attrs.evolve(fast) == reference  # type: ignore[misc]
    first = names[0]
    assert attrs.evolve(fast, **{first: getattr(reference, first)}) == reference  # type: ignore[misc]
    for copied in (
        pickle.loads(pickle.dumps(fast)),
        copy.copy(fast),
        copy.deepcopy(fast),
    ):
        assert type(copied) is cls
        assert copied == reference
        assert hash(copied) == hash(reference)


def _case_fields(case: Case) -> dict[str, Any]:
    return {a.name: getattr(case, a.name) for a in attrs.fields(Case)}


SLA_WF = complaint_workflow()
CAL = WorkingCalendar.indonesia(first_year=2015, last_year=2030)
WITA = CAL.in_zone("Asia/Makassar")
WIT = CAL.in_zone("Asia/Jayapura")


@st.composite
def sla_cases(draw: st.DrawFn, max_steps: int = 5) -> tuple[Case, WorkingCalendar]:
    """A complaint with SLA clocks after a short random walk (actors of its office)."""
    cal = draw(st.sampled_from([CAL, WITA]))
    at = pendulum.datetime(2026, 3, 2, 8, tz=cal.tz).add(seconds=draw(STEP_SECONDS))
    case = SLA_WF.open(
        draw(id_texts),
        at=at,
        by=CC,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        priority=draw(st.sampled_from(["normal", "urgent"])),
        complainant=draw(st.none() | st.just(Person("Siti Aminah"))),
        calendar=cal,
    )
    for _ in range(draw(st.integers(0, max_steps))):
        at = at.add(seconds=draw(STEP_SECONDS))
        case = _step(draw, SLA_WF, case, at, cal)
    return case, cal


def _actors_of(case: Case) -> list[Actor]:
    return [
        Actor("desk", roles={"officer", "head_of_office", "call_centre"}, office=case.office),
        Actor("hq-1", roles={"ministry_hq"}),
        SYSTEM,
    ]


def _step(
    draw: st.DrawFn,
    wf: Workflow,
    case: Case,
    at: pendulum.DateTime,
    cal: WorkingCalendar | None,
    check: Callable[[Case, Case], None] | None = None,
) -> Case:
    """One random event on ``case``: a permitted transition, or the scheduler waking."""
    if draw(st.integers(0, 4)) == 0:
        return wf.advance(case, at=at, calendar=cal)
    by = draw(st.sampled_from(_actors_of(case)))
    allowed = wf.allowed_events(case, by=by)
    if not allowed:
        return case
    trigger = draw(st.sampled_from(allowed))
    note = "reason given" if trigger in ("reopen", "cancel") else draw(NOTES)
    data = {**draw(EXTRA_DATA), **satisfying_data(trigger)}
    after = wf.fire(case, trigger, at=at, by=by, note=note, data=data, calendar=cal)
    if check is not None:
        check(case, after)
    return after


@given(sla_cases(), st.sampled_from(["verification", "closed", "x"]))
@settings(max_examples=40)
def test_new_case_and_next_case_build_what_case_builds(
    walked: tuple[Case, WorkingCalendar], state: str
) -> None:
    case, _ = walked
    fields = _case_fields(case)
    fresh = new_case(
        case.id,
        case.workflow,
        case.workflow_version,
        case.state,
        case.office,
        case.category,
        case.channel,
        case.priority,
        case.opened_at,
        case.complainant,
        case.worker,
        case.attributes_json,
        case.events,
    )
    assert_same_record(
        fresh, Case(**{**fields, "clocks": (), "calendar_version": None, "calendar_zone": None})
    )
    moved = next_case(fresh, state, case.events, case.clocks, "cal-x", "Asia/Jakarta")
    assert_same_record(
        moved,
        Case(
            **{
                **fields,
                "state": state,
                "calendar_version": "cal-x",
                "calendar_zone": "Asia/Jakarta",
            }
        ),
    )
    assert_same_record(case, Case(**fields))  # what the workflow built
    for event in case.events:
        assert_same_record(
            event, CaseEvent(**{a.name: getattr(event, a.name) for a in attrs.fields(CaseEvent)})
        )


clock_fields = st.fixed_dictionaries(
    {
        "goal": st.sampled_from(["verification", "first_response"]),
        "variant": st.sampled_from(["default", "urgent"]),
        "cycle": st.integers(1, 5),
        "started_at": utc_instants,
        "pauses": st.lists(st.tuples(utc_instants, utc_instants), max_size=2).map(tuple),
        "paused_since": st.none() | utc_instants,
        "stopped_at": st.none() | utc_instants,
        "recorded": st.lists(st.sampled_from(["warning:50", "breach"]), max_size=2).map(tuple),
        "due_at": st.none() | utc_instants,
        "warn_times": st.lists(utc_instants, max_size=2).map(tuple),
        "budget_us": st.none() | st.integers(0, 10**12),
        "calendar_version": st.none() | st.just("cal-0123456789abcdef"),
        "provisional": st.booleans(),
        "rebased_at": st.none() | utc_instants,
        "used_us": st.integers(0, 10**12),
        "used_days": st.integers(0, 100),
    }
)


@given(clock_fields)
def test_new_clock_builds_what_slaclock_builds(fields: dict[str, Any]) -> None:
    ordered = [fields[a.name] for a in attrs.fields(SlaClock)]
    assert_same_record(new_clock(*ordered), SlaClock(**fields))


@given(sla_cases(), st.integers(0, 40 * 86400))
@settings(max_examples=30)
def test_statuses_are_the_records_slastatus_builds(
    walked: tuple[Case, WorkingCalendar], later: int
) -> None:
    case, cal = walked
    now = case.events[-1].at + dt.timedelta(seconds=later)
    plan = SLA_WF._plan
    assert plan is not None
    # the fields of the general path's statuses (built by attrs' __init__)
    general = [
        _clock_status_general(c, plan.policy(c.goal, c.variant), cal, now)
        for c in current_clocks(case.clocks)
    ]
    assert general
    for status, reference in zip(SLA_WF.status(case, at=now, calendar=cal), general, strict=True):
        fields = {a.name: getattr(reference, a.name) for a in attrs.fields(SlaStatus)}
        assert_same_record(_new_status(*fields.values()), reference)
        assert_same_record(status, reference)


# =========================================================================== 5-7. calendar

NIGHTS = WorkSchedule.weekly(
    "nights",
    **{
        day: [("01:00", "04:00"), ("09:00", "17:00")]
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    },
)
_ALWAYS = WorkingCalendar.indonesia(schedule=WorkSchedule.always(), first_year=2015, last_year=2030)
_NIGHTS = WorkingCalendar.indonesia(schedule=NIGHTS, first_year=2015, last_year=2030)
#: WIB/WITA/WIT, DST zones on the civil-service schedule (changes fall on Sundays), and
#: schedules that work through the DST changes themselves (offset-changing working days).
CALENDARS = {
    "WIB": CAL,
    "WITA": WITA,
    "WIT": WIT,
    "Berlin": CAL.in_zone("Europe/Berlin"),
    "Sao Paulo": CAL.in_zone("America/Sao_Paulo"),
    "Berlin 24/7": _ALWAYS.in_zone("Europe/Berlin"),
    "Sao Paulo 24/7": _ALWAYS.in_zone("America/Sao_Paulo"),
    "Lord Howe 24/7": _ALWAYS.in_zone("Australia/Lord_Howe"),
    "Berlin nights": _NIGHTS.in_zone("Europe/Berlin"),
    "Santiago nights": _NIGHTS.in_zone("America/Santiago"),
    "Hong Kong": CAL.in_zone("Asia/Hong_Kong"),
}
calendars = st.sampled_from(sorted(CALENDARS)).map(CALENDARS.__getitem__)


@cache
def _offset_change_days(tz: str) -> tuple[int, ...]:
    """Day numbers (of a 2015..2030 calendar) around which ``tz`` changes its offset."""
    zone = zoneinfo.ZoneInfo(tz)
    first = dt.datetime(2015, 1, 1)
    out = []
    for k in range(CAL.working_time.n_days):
        day = first + dt.timedelta(days=k)
        if zone.utcoffset(day) != zone.utcoffset(day + dt.timedelta(days=1)):
            out += [k - 1, k, k + 1]
    return tuple(d for d in out if 0 <= d < CAL.working_time.n_days) or (0,)


@st.composite
def calendar_positions(draw: st.DrawFn) -> tuple[WorkingCalendar, int]:
    """A calendar (fresh caches or warm ones) and a working position ``1..last``."""
    cal = draw(calendars)
    if draw(st.booleans()):
        cal = cal.in_zone(cal.tz)  # same index, empty day-segment and close caches
    index = cal.working_time
    if draw(st.booleans()):
        day = draw(st.sampled_from(_offset_change_days(cal.tz)))
    else:
        day = draw(st.integers(0, index.n_days - 1))
    lo, hi = index.cum_us[day], index.cum_us[day + 1]
    edges = [lo + before + e - s for s, e, before in index.day_intervals[day]]
    edges += [lo + before for _, _, before in index.day_intervals[day]]
    offset = draw(
        st.one_of(
            st.integers(0, hi - lo),
            st.sampled_from([p - lo for p in edges] or [0]),
            st.sampled_from([p - lo + d for p in edges for d in (-1, 1)] or [0]),
        )
    )
    return cal, min(max(lo + offset, 1), index.cum_us[-1])


def _wall_of(cal: WorkingCalendar, j: int, pos: int) -> dt.datetime:
    """The local wall time (naive) at position ``pos`` reached on day ``j``."""
    index = cal.working_time
    rem = pos - index.cum_us[j]
    for s, e, before in index.day_intervals[j]:
        if rem <= before + e - s:
            return dt.datetime.fromordinal(index.first_ordinal + j) + dt.timedelta(
                microseconds=s + rem - before
            )
    raise AssertionError(f"position {pos} is not reached on day {j}")


@given(calendar_positions())
@example((CALENDARS["Berlin 24/7"], CALENDARS["Berlin 24/7"].working_time.cum_us[-1]))
@example((CALENDARS["WIT"], CALENDARS["WIT"].working_time.cum_us[-1]))
@example((CALENDARS["WIB"], 1))
@settings(max_examples=400)
def test_instant_at_equals_the_exact_conversion_and_maps_back(
    case: tuple[WorkingCalendar, int],
) -> None:
    cal, pos = case
    index = cal.working_time
    j = bisect.bisect_left(index.cum_us, pos, 1) - 1
    instant = cal.working_time.instant_at(pos)
    assert type(instant) is dt.datetime
    assert instant.tzinfo is UTC
    assert instant == cal.working_time.exact_instant(j, pos)
    assert cal.working_time.instant_at(pos) == instant  # the day's segments cached now
    wall = _wall_of(cal, j, pos)
    local = instant.astimezone(cal.zone).replace(tzinfo=None)
    if local.year > cal.last_year:
        # the very last position of a schedule working until 24:00: its instant is the
        # midnight after the calendar's last day, which has no position
        assert pos == index.cum_us[-1]
        with pytest.raises(DateOutOfRangeError):
            cal.working_time.position(instant)
    elif local == wall:
        # the wall time exists (not in a DST gap): the instant is at that position; an
        # instant at the end of an interval maps back to the same position too
        assert cal.working_time.position(instant) == pos
    else:
        assert cal.zone.utcoffset(wall) != cal.zone.utcoffset(wall + dt.timedelta(hours=3))


def test_instant_at_on_a_working_dst_day() -> None:
    # targeted: 2026-03-29 (a Sunday) in Berlin, working 01:00-04:00 through the change
    cal = CALENDARS["Berlin nights"].in_zone("Europe/Berlin")
    index = cal.working_time
    j = dt.date(2026, 3, 29).toordinal() - index.first_ordinal
    assert cal.working_time.day_segments(j)[0][1] is None  # the offset changes: exact each time
    start = index.cum_us[j]
    hour = 3_600_000_000
    instant_at = cal.working_time.instant_at
    assert instant_at(start + hour // 2) == dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert instant_at(start + 3 * hour) == dt.datetime(2026, 3, 29, 2, tzinfo=UTC)
    # the next day has one offset: its segments give the instant directly
    assert cal.working_time.day_segments(j + 1)[0][1] is not None
    assert instant_at(index.cum_us[j + 1] + hour) == dt.datetime(2026, 3, 30, 0, tzinfo=UTC)


@given(
    calendars,
    st.datetimes(min_value=dt.datetime(2015, 1, 2), max_value=dt.datetime(2030, 6, 30)),
    st.sampled_from(["UTC", "Asia/Jakarta", "Europe/Berlin", "America/Sao_Paulo"]),
    st.one_of(
        st.timedeltas(min_value=dt.timedelta(microseconds=1), max_value=dt.timedelta(days=80)),
        st.integers(1, 10 * 3600).map(lambda s: dt.timedelta(seconds=s)),
    ),
)
@settings(max_examples=200)
def test_add_working_time_agrees_with_instant_at(
    cal: WorkingCalendar, wall: dt.datetime, tz: str, delta: dt.timedelta
) -> None:
    start = pendulum.instance(wall, tz=tz)
    expected = outcome(lambda: as_utc(cal.add_working_time(start, delta)))
    got = outcome(
        lambda: cal.working_time.instant_at(
            cal.working_time.position(start) + delta // dt.timedelta(microseconds=1)
        )
    )
    if expected[0] == "raised":
        assert got[:2] == expected[:2]
    else:
        assert got == expected


@given(
    calendars,
    st.one_of(
        st.integers(0, 60),
        st.integers(CAL.working_time.n_days - 60, CAL.working_time.n_days - 1),
        st.integers(0, CAL.working_time.n_days - 1),
    ),
    st.booleans(),
)
@settings(max_examples=60)
def test_working_days_close_is_the_close_of_add_working_days(
    cal: WorkingCalendar, i: int, fresh: bool
) -> None:
    if fresh:
        cal = cal.in_zone(cal.tz)
    index = cal.working_time
    day = dt.date.fromordinal(index.first_ordinal + i)

    def reference(n: int) -> tuple[dt.datetime, int]:
        due = cal.add_working_days(day, n)
        close = as_utc(cal.close_of_business(due))
        assert close == cal.working_time.close_utc(due.toordinal())
        return close, cal.working_time.close_position(due.toordinal())

    for n in range(-30, 31):
        expected = outcome(partial(reference, n))
        assert outcome(partial(cal.working_time.working_days_close, i, n)) == expected
        assert outcome(partial(cal.working_time.working_days_close, i, n)) == expected  # cached
    # the same answers from a calendar whose closes were not cached yet
    other = cal.in_zone(cal.tz)
    for n in (-30, -1, 0, 1, 30):
        got = outcome(partial(cal.working_time.working_days_close, i, n))
        assert got == outcome(partial(other.working_time.working_days_close, i, n))


class _Sub(dt.datetime):
    """A datetime subclass: the general branch of ``_position`` with the same isoformat."""


def _sub(value: dt.datetime) -> _Sub:
    return _Sub(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        tzinfo=value.tzinfo,
        fold=value.fold,
    )


@st.composite
def utc_instants_around_working_hours(draw: st.DrawFn, cal: WorkingCalendar) -> dt.datetime:
    """Plain UTC instants: at interval edges (±1 µs), anywhere, outside the years, far out."""
    kind = draw(st.integers(0, 3))
    if kind == 3:
        return draw(utc_instants)
    years = [2014, 2015, 2016, 2026, 2030, 2031] if kind == 2 else [2026]
    year = draw(st.sampled_from(years))
    day = draw(st.dates(min_value=dt.date(year, 1, 1), max_value=dt.date(year, 12, 31)))
    index = cal.working_time
    i = day.toordinal() - index.first_ordinal
    intervals = index.day_intervals[i] if 0 <= i < index.n_days else ()
    edges = [m for s, e, _ in intervals for m in (s, e)] or [0]
    tod = draw(  # microseconds since local midnight
        st.one_of(
            st.integers(0, 24 * 60 - 1).map(lambda m: m * 60_000_000),
            st.sampled_from(edges),
            st.sampled_from(edges).map(lambda e: e - 1),
            st.sampled_from(edges).map(lambda e: e + 1),
        )
    )
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(microseconds=tod)
    local = wall.replace(tzinfo=zoneinfo.ZoneInfo(cal.tz), fold=draw(st.integers(0, 1)))
    return local.astimezone(UTC)


def _reference_position(cal: WorkingCalendar, value: dt.datetime) -> tuple[int, int]:
    # independent of _position: working time before the local time of day, summed
    ordinal, tod = to_zone_fields(value, cal.zone)
    index = cal.working_time
    i = ordinal - index.first_ordinal
    if not 0 <= i < index.n_days:
        raise DateOutOfRangeError("outside")
    worked = sum(max(0, min(e, tod) - s) for s, e, _ in index.day_intervals[i])
    return i, index.cum_us[i] + worked


@given(st.data(), calendars)
@settings(max_examples=300)
def test_position_of_a_utc_instant_equals_the_general_branch(
    data: st.DataObject, cal: WorkingCalendar
) -> None:
    value = data.draw(utc_instants_around_working_hours(cal))
    assert type(value) is dt.datetime
    assert value.tzinfo is UTC
    got = outcome(lambda: cal.working_time.locate(value, "instant"))
    # the general branch with the same instant, the same text (a datetime subclass) ...
    assert got == outcome(lambda: cal.working_time.locate(_sub(value), "instant"))
    # ... and as a stdlib and a pendulum instant in another zone
    for other in (
        value.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")),
        pendulum.instance(value).in_timezone("America/Sao_Paulo"),
    ):
        if got[0] == "returned":
            assert outcome(lambda: cal.working_time.locate(other, "instant")) == got  # noqa: B023
        else:
            assert outcome(lambda: cal.working_time.locate(other, "instant"))[:2] == got[:2]  # noqa: B023
    reference = outcome(lambda: _reference_position(cal, value))
    if got[0] == "returned":
        assert got == reference
    else:
        assert got[1] is DateOutOfRangeError
        assert reference[1] is DateOutOfRangeError


@pytest.mark.parametrize("name", sorted(CALENDARS))
@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(1, 1, 1, tzinfo=UTC),
        dt.datetime(1, 1, 1, 5, tzinfo=UTC),
        dt.datetime(2, 1, 1, tzinfo=UTC),
        dt.datetime(9998, 12, 31, 23, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 12, tzinfo=UTC),
        dt.datetime.max.replace(tzinfo=UTC),
    ],
)
def test_position_at_the_ends_of_time(name: str, value: dt.datetime) -> None:
    # far outside the calendar's years, near where a zone's local date overflows
    cal = CALENDARS[name]
    got = outcome(lambda: cal.working_time.locate(value, "instant"))
    assert got[1] is DateOutOfRangeError
    assert got == outcome(lambda: cal.working_time.locate(_sub(value), "instant"))


# =========================================================================== 8, 10. SLA


def _refreshed(
    result: tuple[tuple[SlaClock, ...], frozenset[int]], cal: WorkingCalendar
) -> tuple[SlaClock, ...]:
    clocks, stale = result
    plan = SLA_WF._plan
    assert plan is not None
    shared = new_measure(cal)
    return tuple(
        refresh(c, plan.policy(c.goal, c.variant), cal, shared) if i in stale else c
        for i, c in enumerate(clocks)
    )


def _refreshed_in_full(
    result: tuple[tuple[SlaClock, ...], frozenset[int]], cal: WorkingCalendar
) -> tuple[SlaClock, ...]:
    """:func:`_refreshed` without refresh's shortcuts: the general pause/transfer walk."""
    clocks, stale = result
    plan = SLA_WF._plan
    assert plan is not None
    return tuple(
        _sla._refresh_general(c, plan.policy(c.goal, c.variant), cal)
        if i in stale and not (c.stopped_at is not None and c.due_at is not None)
        else c
        for i, c in enumerate(clocks)
    )


def _check_clocks(before: tuple[SlaClock, ...], after: Case, cal: WorkingCalendar) -> None:
    """The clocks after the event: fast apply_event == general one + refresh == recorded."""
    event = after.events[-1]
    policies = SLA_WF._sla.policies(after)
    precomputed = concerns(policies, event.name, event.dest, entered_state(event))
    fast = apply_event(before, policies, event, cal, precomputed)
    general = apply_event(before, policies, event)
    assert fast[1] <= general[1]  # clocks started with their cache are not stale
    assert _refreshed(fast, cal) == _refreshed(general, cal)
    assert _refreshed(fast, cal) == _refreshed_in_full(general, cal)
    # the concerns kept per selection, event and state == computed on the spot, paused
    # (waiting) goals included
    waiting = {c.goal for c in before if c.paused}
    computed = concerns(policies, event.name, event.dest, entered_state(event), waiting)
    assert apply_event(before, policies, event, cal, computed) == fast
    assert apply_event(before, policies, event, cal) == fast
    assert apply_event(before, policies, event, None, precomputed) == general
    if not waiting:
        # with no clock paused, a concern that neither stops, pauses nor starts does
        # nothing: the workflow keeps only the others (and skips apply_event without)
        acting = tuple(c for c in precomputed if c[1] or c[2] or c[3])
        assert _refreshed(apply_event(before, policies, event, cal, acting), cal) == (
            _refreshed(fast, cal)
        )
    assert after.clocks == _refreshed(fast, cal)


def _check_status(case: Case, cal: WorkingCalendar, now: dt.datetime) -> None:
    plan = SLA_WF._plan
    assert plan is not None
    when = as_utc(now)
    assert SLA_WF.status(case, at=now, calendar=cal) == tuple(
        _clock_status_general(c, plan.policy(c.goal, c.variant), cal, when)
        for c in current_clocks(case.clocks)
    )


@given(st.data(), st.sampled_from([CAL, WITA, WIT]))
@settings(max_examples=60)
def test_clocks_of_random_walks_equal_the_general_computation(
    data: st.DataObject, cal: WorkingCalendar
) -> None:
    draw = data.draw
    at = pendulum.datetime(2026, 3, 2, 7, tz=cal.tz).add(seconds=draw(STEP_SECONDS))
    case = SLA_WF.open(
        "PGD-1",
        at=at,
        by=CC,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        priority=draw(st.sampled_from(["normal", "urgent"])),
        calendar=cal,
    )
    _check_clocks((), case, cal)

    def check(before: Case, after: Case) -> None:
        if after.events[-1].kind == "transition" and before.calendar_version == cal.version:
            _check_clocks(before.clocks, after, cal)

    for _ in range(draw(st.integers(0, 15))):
        at = at.add(seconds=draw(STEP_SECONDS))
        case = _step(draw, SLA_WF, case, at, cal, check)
        _check_status(case, cal, at.add(seconds=draw(STEP_SECONDS)))
    case.verify(workflows=SLA_WF, calendar=cal)
    assert replay(case, SLA_WF, calendar=cal) == case


#: Paths to the states where the clocks pause, resume, stop and start again; a clock
#: paused in a waiting state is resumed by an event that concerns its goal only then.
SCRIPTS = {
    "documents": ("start_verification", "request_documents", "documents_received", "verify"),
    "settlement paused": (
        "start_verification",
        "verify",
        "invite_clarification",
        "second_clarification",
        "request_clarification",
        "escalate",
        "complainant_replied",
        "resolve",
        "reopen",
        "request_clarification",
        "close",
    ),
    "urgent escalation": ("escalate", "close", "reopen", "invite_clarification", "mediate"),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
@pytest.mark.parametrize("cal", [CAL, WITA], ids=["WIB", "WITA"])
@pytest.mark.parametrize("priority", ["normal", "urgent"])
def test_clocks_along_scripted_paths_equal_the_general_computation(
    script: str, cal: WorkingCalendar, priority: str
) -> None:
    at = pendulum.datetime(2026, 3, 13, 15, 59, tz=cal.tz)  # before Nyepi and Lebaran 2026
    case = SLA_WF.open(
        "PGD-2",
        at=at,
        by=CC,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        priority=priority,
        calendar=cal,
    )
    _check_clocks((), case, cal)
    by = _actors_of(case)[0]
    for k, trigger in enumerate(SCRIPTS[script]):
        at = at.add(hours=7 * k + 1, minutes=13)
        note = "reason given" if trigger in ("reopen", "cancel") else None
        after = SLA_WF.fire(
            case, trigger, at=at, by=by, note=note, data=satisfying_data(trigger), calendar=cal
        )
        _check_clocks(case.clocks, after, cal)
        _check_status(after, cal, at.add(days=k))
        case = after
    case.verify(workflows=SLA_WF, calendar=cal)


OFFICES = Offices.from_file(pathlib.Path(__file__).parent.parent / "examples" / "offices.toml")
BOUND = complaint_workflow().bind(OFFICES)
OFFICE_IDS = [office.id for office in OFFICES]


@given(st.data())
@settings(max_examples=40)
def test_a_bound_walk_replays_to_the_same_case_after_every_event(data: st.DataObject) -> None:
    draw = data.draw
    at = pendulum.datetime(2026, 3, 2, 7, tz="Asia/Jakarta").add(seconds=draw(STEP_SECONDS))
    case = BOUND.open(
        "PGD-9",
        at=at,
        by=Actor("cc-01", roles={"call_centre"}, office="call-centre"),
        office=draw(st.sampled_from(OFFICE_IDS)),
        category="unpaid_wages",
        channel="call_center",
        priority=draw(st.sampled_from(["normal", "urgent"])),
    )
    for _ in range(draw(st.integers(0, 10))):
        at = at.add(seconds=draw(STEP_SECONDS))
        if draw(st.integers(0, 5)) == 0:
            to = draw(st.sampled_from(OFFICE_IDS))
            by = Actor("hq-1", roles={"ministry_hq"})
            try:
                case = BOUND.transfer(case, to=to, at=at, by=by)
            except MigrantCareError:
                continue  # a closed case, or its own office: refused, nothing changes
        else:
            case = _step(draw, BOUND, case, at, None)
        assert replay(case, BOUND) == case
        case.verify(workflows=BOUND)  # calendars from the offices, transfers included
        status = BOUND.status(case, at=at)
        assert len(status) == len(current_clocks(case.clocks))


# =========================================================================== 9. measures


@given(sla_targets, warn_fractions)
def test_policy_budget_and_warn_offsets_match_the_target(
    target: SlaTarget, warn_at: list[float]
) -> None:
    policy = SlaPolicy("goal", target, start_states="a", stop_states="b", warn_at=warn_at)
    budget = target.duration // dt.timedelta(microseconds=1)
    assert policy._budget_us == budget
    assert len(policy._warn_offsets) == len(policy.warn_at)
    for delta, fraction in zip(policy._warn_offsets, policy.warn_at, strict=True):
        share = int(budget * fraction)
        assert delta == dt.timedelta(microseconds=share)
        assert bool(delta) is (share > 0)  # a zero share keeps an earlier instant
    start = dt.datetime(2026, 3, 2, 1, tzinfo=UTC)
    if target.unit == "elapsed":
        # the elapsed shortcut equals the general walk
        clock = SlaClock("goal", "default", 1, start)
        assert _sla.refresh(clock, policy, CAL) == _sla._refresh_general(clock, policy, CAL)


@given(
    calendars,
    st.lists(
        st.datetimes(min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2026, 2, 28)),
        min_size=1,
        max_size=4,
    ),
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(-1, 5 * 3600 * 10**6)),
        min_size=1,
        max_size=30,
    ),
)
@settings(max_examples=150)
def test_a_measure_with_its_instant_cache_equals_a_fresh_one(
    cal: WorkingCalendar, walls: list[dt.datetime], ops: list[tuple[int, int, int]]
) -> None:
    # a pool of instants, each also as an equal but distinct object (the identity cache
    # must not confuse them) and in another zone
    pool: list[dt.datetime] = []
    for wall in walls:
        instant = wall.replace(tzinfo=UTC)
        pool += [instant, copy.copy(instant), instant.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))]
    shared = Measure(cal)
    elapsed = Measure(None)
    for a_at, b_at, us in ops:
        a, b = pool[a_at % len(pool)], pool[b_at % len(pool)]
        expected = cal.working_time.position(b) - cal.working_time.position(a)
        assert shared.between(a, b) == expected
        assert Measure(cal).between(a, b) == expected
        assert elapsed.between(a, b) == (b - a) // dt.timedelta(microseconds=1)
        if us >= 0:
            added = shared.add(a, us)
            assert added == Measure(cal).add(a, us)
            pool.append(added)  # its position is cached by add(): later between()s use it


@pytest.mark.parametrize(
    ("zone", "offset"),
    [
        ("Asia/Jakarta", dt.timedelta(hours=7)),
        ("Asia/Makassar", dt.timedelta(hours=8)),
        ("Asia/Jayapura", dt.timedelta(hours=9)),
        ("Europe/Berlin", None),
        ("America/Sao_Paulo", None),
    ],
)
def test_a_zone_with_one_offset_over_the_years_is_read_without_lookups(
    zone: str, offset: dt.timedelta | None
) -> None:
    # _position adds the offset instead of asking the zone only where that is exact:
    # Indonesia's zones have kept one offset since 1964; Berlin and Sao Paulo change
    cal = CAL.in_zone(zone)
    assert cal.working_time.fixed_offset() == offset
    instant = dt.datetime(2026, 3, 30, 1, 30, tzinfo=dt.timezone.utc)
    assert cal.working_time.locate(instant, "instant") == cal.working_time.locate(
        instant.astimezone(zoneinfo.ZoneInfo(zone)), "instant"
    )


@pytest.mark.parametrize(
    "at",
    [
        dt.datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # isoformat's own way
        dt.datetime(1000, 1, 1, tzinfo=UTC),  # the written way from here on
        dt.datetime(2026, 3, 19, 1, 15, tzinfo=UTC),
        dt.datetime(2026, 3, 19, 1, 15, 0, 1, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        # an instant with a UTC offset of zero that is not datetime.timezone.utc
        dt.datetime(2026, 3, 19, 1, 15, tzinfo=dt.timezone(dt.timedelta(0), "Z")),
    ],
)
def test_make_event_writes_the_instant_as_isoformat_does(at: dt.datetime) -> None:
    f = {
        "prev": None,
        "kind": "opened",
        "name": "open",
        "source": None,
        "dest": "registered",
        "at": at,
        "by": "cc-01",
        "role": None,
        "office": None,
        "note": None,
        "data_json": "{}",
    }
    assert _made(f, head=False, who=False).digest == _reference_hash(f)


def _whole_days_reference(cal: WorkingCalendar, pause: tuple[dt.datetime, dt.datetime]) -> object:
    """The whole working days of a pause by the public methods (the code whole_days had)."""
    p0, p1 = pause
    one_day = dt.timedelta(days=1)
    first = cal.local(p0).date()
    if cal.working_time_between(cal.start_of_day(first), p0):
        first += one_day
    last = cal.local(p1).date()
    if last < dt.date(cal.last_year, 12, 31) and cal.working_time_between(
        p1, cal.start_of_day(last + one_day)
    ):
        last -= one_day
    return first, last


@given(calendar_positions(), st.integers(0, 40 * 86_400_000_000), st.booleans())
@example((CALENDARS["WIB"], 1), 0, False)
@example((CALENDARS["WIT"], CALENDARS["WIT"].working_time.cum_us[-2]), 10**12, False)
# 2018-11-04 in Sao Paulo has no midnight (DST began at 00:00): its first instant is
# 01:00, whose working position is past the day's start in the index
@example((CALENDARS["Sao Paulo 24/7"], 113_788_800_000_000), 0, False)
@settings(max_examples=300)
def test_whole_days_of_a_pause_from_positions_equal_the_public_methods(
    case: tuple[WorkingCalendar, int], length: int, at_edge: bool
) -> None:
    cal, pos = case
    index = cal.working_time
    end = min(pos + length, index.cum_us[-1])
    p0 = cal.working_time.instant_at(pos)
    # a pause ends at a working position, or anywhere (evenings, weekends) after it
    p1 = cal.working_time.instant_at(end) if at_edge else p0 + dt.timedelta(microseconds=length)
    if cal.local(p1).year > cal.last_year:
        p1 = cal.working_time.instant_at(index.cum_us[-2])
    if p1 < p0:
        p1 = p0
    assert _measure.whole_days(cal, (p0, p1)) == _whole_days_reference(cal, (p0, p1))


@given(
    calendar_positions(),
    st.integers(0, 40 * 86_400_000_000),
    st.booleans(),
    st.integers(-5, 60),
)
@example((CALENDARS["WIB"], 1), 0, False, 0)
@settings(max_examples=300)
def test_paused_day_counts_on_day_numbers_equal_the_public_methods(
    case: tuple[WorkingCalendar, int], length: int, at_edge: bool, due_offset: int
) -> None:
    cal, pos = case
    index = cal.working_time
    end = min(pos + length, index.cum_us[-1])
    p0 = cal.working_time.instant_at(pos)
    p1 = cal.working_time.instant_at(end) if at_edge else p0 + dt.timedelta(microseconds=length)
    if cal.local(p1).year > cal.last_year:
        p1 = cal.working_time.instant_at(index.cum_us[-2])
    if p1 < p0:
        p1 = p0
    # the due day is a working day (add_working_days gives one), near the pause
    start = cal.local(p0).date()
    base = start if due_offset >= 0 else start - dt.timedelta(days=10)
    due_day = outcome(lambda: cal.add_working_days(base, abs(due_offset)))
    if due_day[0] == "raised":
        return
    day = due_day[1]
    assert isinstance(day, dt.date)
    first, last = _whole_days_reference(cal, (p0, p1))
    one = dt.timedelta(days=1)
    if first > last or first > day or not cal.working_days_between(first, day + one):
        expected = 0
    else:
        expected = cal.working_days_between(first, last + one)
    assert _measure.paused_day_counts(cal, (p0, p1), day) == expected
