"""Random walks through random workflows."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

import attrs
import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from migrantcare import (
    Case,
    CaseEvent,
    Workflow,
    WorkingCalendar,
    complaint_workflow,
    outreach_workflow,
    repatriation_workflow,
    replay,
)
from migrantcare.cases._replay import replay_unchecked
from tests.actors import actor

from .strategies import ACTORS, EXTRA_DATA, NOTES, OPENERS, STEP_SECONDS, satisfying_data, zones

CAL = WorkingCalendar.for_province("Nusa Tenggara Timur")
WORKFLOWS = {
    "complaint": complaint_workflow(),
    "repatriation": repatriation_workflow(),
    "outreach": outreach_workflow(),
}


@st.composite
def walks(draw: st.DrawFn) -> tuple[Workflow, Case]:
    wf = WORKFLOWS[draw(st.sampled_from(sorted(WORKFLOWS)))]
    at = pendulum.datetime(2026, 1, 5, 9, tz=draw(zones)).add(seconds=draw(STEP_SECONDS))
    case = wf.open(
        "CASE-1",
        at=at,
        by=draw(OPENERS),
        office="bp3mi-ntt",
        category=wf.spec.categories.codes[0],
        channel="whatsapp",
        priority=draw(st.sampled_from(["normal", "urgent"])),
        calendar=CAL,
    )
    for _ in range(draw(st.integers(0, 25))):
        allowed = wf.allowed_events(case)
        if not allowed:
            break
        at = at.add(seconds=draw(STEP_SECONDS))
        if draw(st.integers(0, 4)) == 0:
            case = wf.advance(case, at=at, calendar=CAL)  # the host's scheduler wakes up
            continue
        actor = draw(ACTORS)
        mine = wf.allowed_events(case, by=actor)  # what this actor may do (who may act)
        if not mine:
            continue
        trigger = draw(st.sampled_from(mine))
        data = {**draw(EXTRA_DATA), **satisfying_data(trigger)}
        note = draw(NOTES)
        if trigger in ("reopen", "cancel"):
            note = "reason given"
        case = wf.fire(case, trigger, at=at, by=actor, note=note, data=data, calendar=CAL)
    return wf, case


@given(walks())
@settings(max_examples=150)
def test_random_walks_keep_every_invariant(walk: tuple[Workflow, Case]) -> None:
    wf, case = walk
    assert case.state in {s.id for s in wf.states}
    assert case.version == len(case.events)
    case.verify(head_hash=case.head_hash)
    assert replay(case, wf, calendar=CAL) == case
    assert Case.from_dict(json.loads(json.dumps(case.to_dict()))) == case
    # times never go backwards along the trail
    assert all(a.at <= b.at for a, b in zip(case.events, case.events[1:], strict=False))


@given(walks(), st.data())
@settings(max_examples=100)
def test_tampering_is_detected(walk: tuple[Workflow, Case], data: st.DataObject) -> None:
    _, case = walk
    raw = case.to_dict()
    i = data.draw(st.integers(0, len(raw["events"]) - 1))
    how = data.draw(st.sampled_from(["note", "by", "at", "data", "drop", "swap"]))
    events = raw["events"]
    if how == "note":
        events[i]["note"] = (events[i]["note"] or "") + "!"
    elif how == "by":
        events[i]["by"] += "x"
    elif how == "at":
        events[i]["at"] = pendulum.parse(events[i]["at"]).add(seconds=1).isoformat()
    elif how == "data":
        events[i]["data"] = {**events[i]["data"], "forged": True}
    elif how == "drop":
        if len(events) < 2:
            return
        del events[i]
    elif how == "swap":
        if len(events) < 2:
            return
        j = (i + 1) % len(events)
        events[i], events[j] = events[j], events[i]
    tampered = Case.from_dict(raw)
    try:
        tampered.verify(head_hash=case.head_hash)
    except ValueError:
        return
    raise AssertionError(f"tampering by {how} at {i} went unnoticed")


def _replayed(case: Case, wf: Workflow, *, general: bool) -> object:
    """The replay of ``case`` (fast path or general), or the error it raises and its message."""
    by_key = {(wf.name, wf.version): wf._unchecked()}
    try:
        return replay_unchecked(case, by_key, CAL, general=general)
    except ValueError as exc:  # IntegrityError, and what a garbled record raises
        return (type(exc), str(exc))


def _rechained(events: list[CaseEvent]) -> tuple[CaseEvent, ...]:
    """The events with every hash recomputed: a forger who rewrites the whole chain."""
    out: list[CaseEvent] = []
    for event in events:
        prev = out[-1].digest if out else bytes(32)
        linked = attrs.evolve(event, seq=len(out), prev_digest=prev)
        out.append(attrs.evolve(linked, digest=linked.expected_digest()))
    return tuple(out)


FORGERIES = st.one_of(
    st.tuples(st.just("name"), st.sampled_from(["escalate", "close", "hold", "verify", "nope"])),
    st.tuples(st.just("kind"), st.sampled_from(["sla", "erased", "transferred", "bogus"])),
    st.tuples(st.just("dest"), st.sampled_from(["closed", "registered", "nowhere"])),
    st.tuples(st.just("by"), st.sampled_from(["someone", "system:sla"])),
    st.tuples(st.just("role"), st.sampled_from([None, "officer", "system", "ministry_hq"])),
    st.tuples(st.just("office"), st.sampled_from([None, "bp3mi-ntb"])),
    st.tuples(st.just("note"), st.sampled_from([None, "", "forged", "x" * 100_001])),
    st.tuples(
        st.just("data_json"),
        st.sampled_from(["{}", '{"forged":true}', '{"b":1,"a":2}', '{"reason":"x"}']),
    ),
)


@given(walks(), st.data())
@settings(max_examples=150)
def test_the_fast_replay_equals_the_general_one(
    walk: tuple[Workflow, Case], data: st.DataObject
) -> None:
    # replay takes a fast path for transitions; on genuine histories and on forged
    # ones (fields changed and the whole chain rehashed) it must do what firing every
    # event through the general path does: the same case, or the same refusal
    wf, case = walk
    fast = _replayed(case, wf, general=False)
    assert fast == _replayed(case, wf, general=True)
    assert fast == case
    if case.version < 2:
        return
    i = data.draw(st.integers(1, case.version - 1))
    field, value = data.draw(FORGERIES)
    events = list(case.events)
    events[i] = attrs.evolve(events[i], **{field: value})
    forged = attrs.evolve(case, events=_rechained(events))
    assert _replayed(forged, wf, general=False) == _replayed(forged, wf, general=True)


@given(walks(), st.sampled_from(["start_verification", "teleport", "close", "reopen", "hold"]))
@settings(max_examples=100)
def test_refused_events_change_nothing(walk: tuple[Workflow, Case], trigger: str) -> None:
    wf, case = walk
    before = case.to_dict()
    with contextlib.suppress(ValueError, PermissionError):
        wf.fire(
            case,
            trigger,
            at=case.events[-1].at + dt.timedelta(minutes=1),
            by=actor("o"),
            calendar=CAL,
        )
    assert case.to_dict() == before
