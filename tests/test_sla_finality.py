"""A breach never hides, a finished clock never changes (issue 9 §1)."""

from __future__ import annotations

import datetime as dt

import pendulum

from migrantcare import Case, Person, WorkingCalendar, complaint_workflow
from tests.actors import actor

WF = complaint_workflow()
JKT = WorkingCalendar.indonesia()


def wib(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="Asia/Jakarta")


def verification(case: Case, now: dt.datetime, cal: WorkingCalendar = JKT):
    (clock,) = [s for s in WF.status(case, at=now, calendar=cal) if s.goal == "verification"]
    return clock


def _opened() -> Case:
    case = WF.open(
        "PGD-9",
        at=wib(2025, 8, 14, 9),
        by=actor("cc-01"),
        office="bp3mi",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti", kind="pmi"),
        calendar=JKT,
    )
    return WF.fire(
        case,
        "start_verification",
        at=wib(2025, 8, 14, 10),
        by=actor("o-1", office="bp3mi"),
        calendar=JKT,
    )


def _paused_after_due() -> Case:
    return WF.fire(
        _opened(),
        "request_documents",
        at=wib(2025, 8, 21, 7),
        by=actor("o-1", office="bp3mi"),
        calendar=JKT,
    )


DUE = wib(2025, 8, 20, 16)


def test_the_verification_deadline_of_the_example() -> None:
    assert verification(_opened(), wib(2025, 8, 15, 9)).due_at == DUE


def test_a_pause_after_the_due_instant_does_not_hide_the_breach() -> None:
    case = _paused_after_due()
    status = verification(case, wib(2025, 8, 22, 10))
    assert status.state == "breached"
    assert status.due_at == DUE


def test_next_due_at_still_wakes_the_host_for_a_clock_paused_after_its_deadline() -> None:
    wake = WF.next_due_at(_paused_after_due())
    assert wake is not None
    assert wake <= wib(2025, 8, 21, 7)


def test_advance_records_the_breach_during_a_late_pause() -> None:
    case = WF.advance(_paused_after_due(), at=wib(2025, 8, 22, 10), calendar=JKT)
    breaches = [e for e in case.events if e.kind == "sla" and e.name == "breach"]
    assert [e.data["goal"] for e in breaches if e.data["goal"] == "verification"] == [
        "verification"
    ]
    assert breaches[0].data["due_at"] == DUE.in_timezone("UTC").isoformat()


def test_a_late_pause_does_not_move_the_deadline_once_it_ends() -> None:
    case = WF.fire(
        _paused_after_due(),
        "documents_received",
        at=wib(2025, 8, 26, 9),
        by=actor("o-1", office="bp3mi"),
        calendar=JKT,
    )
    status = verification(case, wib(2025, 8, 26, 10))
    assert status.due_at == DUE
    assert status.state == "breached"
    case = WF.advance(case, at=wib(2025, 8, 26, 10), calendar=JKT)
    (breach,) = [
        e
        for e in case.events
        if e.kind == "sla" and e.name == "breach" and e.data["goal"] == "verification"
    ]
    assert breach.data["due_at"] == DUE.in_timezone("UTC").isoformat()


def test_a_pause_before_the_due_instant_still_extends_the_deadline() -> None:
    # paused Mon 18 Aug (cuti bersama) .. Fri 22 Aug 08:00: whole working days 19, 20, 21
    case = WF.fire(
        _opened(),
        "request_documents",
        at=wib(2025, 8, 15, 17),
        by=actor("o-1", office="bp3mi"),
        calendar=JKT,
    )
    assert verification(case, wib(2025, 8, 20, 17)).state == "paused"
    assert WF.next_due_at(case) is None or WF.next_due_at(case) > wib(2025, 8, 20, 17)
    case = WF.fire(
        case,
        "documents_received",
        at=wib(2025, 8, 22, 7),
        by=actor("o-1", office="bp3mi"),
        calendar=JKT,
    )
    assert verification(case, wib(2025, 8, 22, 9)).due_at > DUE


def test_a_stopped_clock_is_final_on_a_new_calendar_version() -> None:
    case = WF.fire(
        _opened(), "verify", at=wib(2025, 8, 20, 15), by=actor("o-1", office="bp3mi"), calendar=JKT
    )
    assert verification(case, wib(2025, 8, 21, 9)).state == "met"
    closed = JKT.with_closures([dt.date(2025, 8, 15)], name="Banjir")
    later = JKT.with_closures([dt.date(2025, 8, 19), dt.date(2025, 8, 20)], name="Lain")
    for cal in (closed, later):
        status = verification(case, wib(2025, 8, 21, 9), cal)
        assert status.state == "met"
        assert status.due_at == DUE
        moved = WF.recompute(case, calendar=cal, at=wib(2025, 8, 21, 9))
        (clock,) = [c for c in moved.clocks if c.goal == "verification"]
        (before,) = [c for c in case.clocks if c.goal == "verification"]
        assert clock == before
        assert verification(moved, wib(2025, 8, 21, 9), cal).state == "met"
