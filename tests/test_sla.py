"""SLA clocks: worked examples, pauses, cycles, breaches, recompute, properties."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
from typing import Any

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrantcare import (
    Case,
    CaseMatch,
    Person,
    SlaPlan,
    SlaPolicy,
    SlaTarget,
    Workflow,
    WorkingCalendar,
    complaint_sla_plan,
    complaint_spec,
    complaint_workflow,
    replay,
)
from migrantcare._time import as_utc
from migrantcare.exceptions import (
    InvalidArgumentError,
    NaiveDatetimeError,
    WorkflowDefinitionError,
    WrongTypeError,
)
from migrantcare.records._sla_state import SlaClock
from migrantcare.sla import _sla
from migrantcare.sla._units import SLA_UNITS
from tests.actors import actor
from tests.strategies import aware_datetimes, sla_targets, warn_fractions

WF = complaint_workflow()
JKT = WorkingCalendar.indonesia()
NTT = JKT.in_zone("Asia/Makassar")
PAPUA = JKT.in_zone("Asia/Jayapura")


def at(*args: int, tz: str = "Asia/Jakarta") -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=tz)


def open_case(
    when: dt.datetime, cal: WorkingCalendar, wf: Workflow = WF, priority: str = "normal"
) -> Case:
    return wf.open(
        "PGD-1",
        at=when,
        by=actor("cc-01"),
        office="bp3mi",
        category="unpaid_wages",
        channel="whatsapp",
        priority=priority,
        complainant=Person("Siti", kind="pmi"),
        calendar=cal,
    )


def fire(
    case: Case, trigger: str, when: dt.datetime, cal: WorkingCalendar, wf: Workflow = WF
) -> Case:
    data = {"reason": "unreachable"} if trigger == "close" else None
    note = "new facts" if trigger == "reopen" else None
    return wf.fire(
        case,
        trigger,
        at=when,
        by=actor("officer-1", office=case.office),
        data=data,
        note=note,
        calendar=cal,
    )


def status(
    case: Case, now: dt.datetime, cal: WorkingCalendar, wf: Workflow = WF
) -> dict[str, object]:
    return {s.goal: s for s in wf.status(case, at=now, calendar=cal)}


# --------------------------------------------------------------------------- worked examples


class TestLebaran2026:
    def test_verification_from_hong_kong_in_each_zone(self) -> None:
        # Thu 19 Mar 2026 (Nyepi) 22:15 in Hong Kong; 25, 26, 27 Mar are the counted days
        received = at(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
        for cal in (JKT, NTT, PAPUA):
            s = status(open_case(received, cal), received, cal)["verification"]
            assert s.due_at == at(2026, 3, 27, 16, 30, tz=cal.tz), cal.tz  # type: ignore[attr-defined]
            assert s.due_at.tzinfo.key == cal.tz  # type: ignore[attr-defined]

    def test_the_office_zone_decides_the_start_day(self) -> None:
        # Thu 12 Mar 23:30 HKT is still Thursday in Jakarta but already Friday in Jayapura
        received = at(2026, 3, 12, 23, 30, tz="Asia/Hong_Kong")
        wib = status(open_case(received, JKT), received, JKT)["verification"]
        wit = status(open_case(received, PAPUA), received, PAPUA)["verification"]
        assert wib.due_at == at(2026, 3, 17, 16)  # type: ignore[attr-defined]
        # counted days 16, 17, then 25 (18-24 closed)
        assert wit.due_at == at(2026, 3, 25, 16, tz="Asia/Jayapura")  # type: ignore[attr-defined]

    def test_first_response_in_working_hours(self) -> None:
        received = at(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
        s = status(open_case(received, NTT), received, NTT)["first_response"]
        # 7.5 h on Wed 25 Mar, then 30 min on Thu 26
        assert s.due_at == at(2026, 3, 26, 8, tz="Asia/Makassar")  # type: ignore[attr-defined]
        assert s.variant == "default"  # type: ignore[attr-defined]


def test_cuti_bersama_2025_08_18() -> None:
    received = at(2025, 8, 15, 10)  # Friday; 17 Aug (Sunday) and 18 Aug (cuti bersama) closed
    s = status(open_case(received, JKT), received, JKT)["verification"]
    assert s.due_at == at(2025, 8, 21, 16)  # type: ignore[attr-defined]


def test_input_from_berlin_on_the_dst_change_day() -> None:
    before = at(2026, 3, 29, 1, 59, tz="Europe/Berlin")  # CET, 07:59 WIB Sunday
    after = at(2026, 3, 29, 3, 0, tz="Europe/Berlin")  # CEST, one minute later
    assert after - before == dt.timedelta(minutes=1)
    for received in (before, after):
        s = status(open_case(received, JKT), received, JKT)
        assert s["first_response"].due_at == at(2026, 3, 31, 8)  # type: ignore[attr-defined]
        assert s["verification"].due_at == at(2026, 4, 1, 16)  # type: ignore[attr-defined]


def test_urgent_cases_take_the_first_matching_variant() -> None:
    received = at(2026, 3, 21, 3, tz="Asia/Riyadh")  # Saturday, Idul Fitri
    urgent = status(open_case(received, JKT, priority="urgent"), received, JKT)["first_response"]
    assert urgent.variant == "urgent"  # type: ignore[attr-defined]
    assert urgent.due_at == received.add(hours=2)  # type: ignore[attr-defined]  # 24/7, holidays too
    assert urgent.target == "2 hours"  # type: ignore[attr-defined]
    assert not urgent.confirmed  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- pauses


class TestPauses:
    def verification_due(self, pause: tuple[dt.datetime, dt.datetime] | None) -> dt.datetime:
        case = open_case(at(2026, 3, 2, 9), JKT)  # Monday 2 Mar 2026
        case = fire(case, "start_verification", at(2026, 3, 2, 9, 30), JKT)
        if pause:
            case = fire(case, "request_documents", pause[0], JKT)
            case = fire(case, "documents_received", pause[1], JKT)
        return status(case, pause[1] if pause else at(2026, 3, 2, 10), JKT)["verification"].due_at  # type: ignore[attr-defined]

    def test_no_pause(self) -> None:
        assert self.verification_due(None) == at(2026, 3, 5, 16)  # 3, 4, 5 Mar

    def test_pause_covering_whole_working_days_over_lebaran(self) -> None:
        # paused Mon 2 Mar 10:30 .. Wed 25 Mar 09:00: whole working days 3-6, 9-13, 16, 17
        # (11 days; 18-24 are holidays and 2 and 25 Mar are partial) push the due by 11
        due = self.verification_due((at(2026, 3, 2, 10, 30), at(2026, 3, 25, 9)))
        assert due == at(2026, 3, 27, 16, 30)

    def test_pause_outside_working_hours_changes_nothing(self) -> None:
        due = self.verification_due((at(2026, 3, 2, 16, 30), at(2026, 3, 3, 7, 0)))
        assert due == at(2026, 3, 5, 16)

    def test_pause_over_holidays_only_changes_nothing(self) -> None:
        case = open_case(at(2026, 3, 16, 9), JKT)
        case = fire(case, "start_verification", at(2026, 3, 16, 9, 30), JKT)
        case = fire(case, "request_documents", at(2026, 3, 17, 16, 0), JKT)  # after closing
        case = fire(case, "documents_received", at(2026, 3, 25, 7, 0), JKT)  # before opening
        s = status(case, at(2026, 3, 25, 8), JKT)["verification"]
        assert s.due_at == at(2026, 3, 26, 16)  # type: ignore[attr-defined]  # 17, 25, 26

    def test_paused_status(self) -> None:
        case = open_case(at(2026, 3, 2, 9), JKT)
        case = fire(case, "start_verification", at(2026, 3, 2, 9, 30), JKT)
        case = fire(case, "request_documents", at(2026, 3, 2, 10, 30), JKT)
        s = status(case, at(2026, 3, 4, 12), JKT)["verification"]
        assert s.state == "paused"  # type: ignore[attr-defined]
        # due if resumed now: Mar 3 was a whole paused day, Mar 4 is partial
        assert s.due_at == at(2026, 3, 6, 16, 30)  # type: ignore[attr-defined]
        assert s.elapsed == dt.timedelta(hours=1, minutes=30)  # type: ignore[attr-defined]
        assert WF.next_due_at(case) is not None  # other clocks still run
        assert all(c.due_at is None for c in case.clocks if c.goal == "verification")

    def test_working_time_pause(self) -> None:
        plan = SlaPlan(
            (
                SlaPolicy(
                    "reply",
                    SlaTarget.working_hours(4),
                    start_states="verification",
                    pause_states="awaiting_documents",
                    stop_states="in_handling",
                ),
            )
        )
        wf = complaint_spec(sla=False).with_sla(plan).build()
        case = open_case(at(2026, 11, 2, 8), JKT, wf)
        case = fire(case, "start_verification", at(2026, 11, 2, 9), JKT, wf)  # due 14:00
        assert status(case, at(2026, 11, 2, 9), JKT, wf)["reply"].due_at == at(2026, 11, 2, 14)  # type: ignore[attr-defined]
        lunch = fire(case, "request_documents", at(2026, 11, 2, 12, 5), JKT, wf)
        lunch = fire(lunch, "documents_received", at(2026, 11, 2, 12, 55), JKT, wf)
        assert status(lunch, at(2026, 11, 2, 13), JKT, wf)["reply"].due_at == at(2026, 11, 2, 14)  # type: ignore[attr-defined]
        hour = fire(case, "request_documents", at(2026, 11, 2, 10), JKT, wf)
        hour = fire(hour, "documents_received", at(2026, 11, 2, 11), JKT, wf)
        assert status(hour, at(2026, 11, 2, 11), JKT, wf)["reply"].due_at == at(2026, 11, 2, 15)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- life cycle


def test_end_to_end_warnings_breach_escalation() -> None:
    received = at(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
    case = open_case(received, NTT)
    # verification due Fri 27 Mar 16:30 WITA; 22.5 working hours of budget from Thu 22:15
    first = WF.next_due_at(case)
    assert first == at(2026, 3, 25, 11, 30, tz="Asia/Makassar")  # first_response 50 %
    assert WF.advance(case, at=first - dt.timedelta(microseconds=1), calendar=NTT) == case
    case = WF.advance(case, at=first, calendar=NTT)
    assert [e.data["mark"] for e in case.events[1:]] == ["warning:50"]
    late = at(2026, 3, 30, 9, tz="Asia/Makassar")
    case = WF.advance(case, at=late, calendar=NTT)
    marks = [(e.data["goal"], e.data["mark"]) for e in case.events if e.kind == "sla"]
    # first_response (8 working hours): 50 % Wed 11:30, 75 % Wed 14:30, due Thu 08:00;
    # verification (22.5 working hours to Fri 16:30): 50 % Thu 11:15, 75 % Fri 09:22:30
    assert marks == [
        ("first_response", "warning:50"),
        ("first_response", "warning:75"),
        ("first_response", "breach"),
        ("verification", "warning:50"),
        ("verification", "warning:75"),
        ("verification", "breach"),
    ]
    crossed = {
        (e.data["goal"], e.data["mark"]): e.data["crossed_at"]
        for e in case.events
        if e.kind == "sla"
    }
    assert crossed["verification", "warning:75"] == "2026-03-27T01:22:30+00:00"
    escalations = [e for e in case.events if e.name == "escalate"]
    assert [e.data for e in escalations] == [{"sla_goal": "verification", "sla_cycle": 1}]
    assert escalations[0].by == "system:sla"
    assert case.state == "registered"  # escalation does not move the case
    s = status(case, late, NTT)
    assert s["verification"].state == "breached"  # type: ignore[attr-defined]
    assert s["documents"].state == "running"  # type: ignore[attr-defined]
    # idempotent
    assert WF.advance(case, at=late, calendar=NTT) == case
    # the history replays, clocks included
    case.verify()
    assert replay(case, WF, calendar=NTT) == case
    # the officer finally verifies: the clock stops late, the breach stays on record
    case = fire(case, "start_verification", late.add(hours=1), NTT)
    case = fire(case, "verify", late.add(hours=2), NTT)
    s = status(case, late.add(hours=3), NTT)
    assert s["verification"].state == "breached"  # type: ignore[attr-defined]
    assert s["resolution"].state == "running"  # type: ignore[attr-defined]
    assert s["documents"].state == "met"  # type: ignore[attr-defined]


def test_reopen_starts_a_new_cycle() -> None:
    case = open_case(at(2026, 11, 2, 8), JKT)
    case = fire(case, "start_verification", at(2026, 11, 2, 9), JKT)
    case = fire(case, "verify", at(2026, 11, 2, 10), JKT)
    case = fire(case, "resolve", at(2026, 11, 5, 10), JKT)
    assert status(case, at(2026, 11, 6, 10), JKT)["resolution"].state == "met"  # type: ignore[attr-defined]
    case = fire(case, "reopen", at(2026, 11, 9, 10), JKT)
    s = status(case, at(2026, 11, 9, 11), JKT)["resolution"]
    assert (s.cycle, s.state) == (2, "running")  # type: ignore[attr-defined]
    assert s.started_at == at(2026, 11, 9, 10)  # type: ignore[attr-defined]
    assert [c.cycle for c in case.clocks if c.goal == "resolution"] == [1, 2]


def test_clarity_and_unreachable_clocks() -> None:
    case = open_case(at(2026, 11, 2, 8), JKT)
    case = fire(case, "start_verification", at(2026, 11, 2, 9), JKT)
    case = fire(case, "verify", at(2026, 11, 2, 10), JKT)
    case = fire(case, "request_clarification", at(2026, 11, 3, 10), JKT)
    s = status(case, at(2026, 11, 3, 11), JKT)
    # 15 working days after Tue 3 Nov 2026 (no holiday until 24 Dec): Tue 24 Nov
    assert s["clarity"].due_at == at(2026, 11, 24, 16)  # type: ignore[attr-defined]
    assert s["unreachable"].due_at == at(2027, 1, 2, 10)  # type: ignore[attr-defined]
    assert s["resolution"].state == "paused"  # type: ignore[attr-defined]
    replied = fire(case, "complainant_replied", at(2026, 11, 10, 10), JKT)
    assert status(replied, at(2026, 11, 10, 11), JKT)["clarity"].state == "met"  # type: ignore[attr-defined]


def test_settlement_unit_is_configurable() -> None:
    wd = (
        complaint_spec(sla=False)
        .with_sla(complaint_sla_plan(settlement_unit="working_days"))
        .build()
    )
    for wf, due in ((WF, at(2026, 11, 16, 10)), (wd, at(2026, 11, 18, 16))):
        case = open_case(at(2026, 11, 2, 8), JKT, wf)
        for trigger in (
            "start_verification",
            "verify",
            "invite_clarification",
            "second_clarification",
        ):
            case = fire(case, trigger, at(2026, 11, 9, 10), JKT, wf)
        s = status(case, at(2026, 11, 9, 11), JKT, wf)["settlement"]
        assert s.due_at == due  # type: ignore[attr-defined]
        assert not s.confirmed  # type: ignore[attr-defined]
    with pytest.raises(InvalidArgumentError, match="settlement_unit"):
        complaint_sla_plan(settlement_unit="fortnights")  # type: ignore[arg-type]


def test_provisional_deadlines() -> None:
    case = open_case(at(2026, 12, 14, 9), JKT)
    case = fire(case, "start_verification", at(2026, 12, 14, 10), JKT)
    case = fire(case, "verify", at(2026, 12, 14, 11), JKT)
    s = status(case, at(2026, 12, 14, 12), JKT)
    assert s["resolution"].provisional  # type: ignore[attr-defined]  # runs into 2027
    assert not s["documents"].provisional  # type: ignore[attr-defined]  # elapsed time
    early = status(open_case(at(2026, 11, 2, 9), JKT), at(2026, 11, 2, 9), JKT)
    assert not early["verification"].provisional  # type: ignore[attr-defined]


def test_a_provisional_deadline_says_why_and_what_settles_it() -> None:
    # opened in December 2027: the resolution deadline runs into 2028, which has no
    # cuti bersama decreed yet and eight estimated religious holidays
    case = open_case(at(2027, 12, 14, 9), JKT)
    case = fire(case, "start_verification", at(2027, 12, 14, 10), JKT)
    case = fire(case, "verify", at(2027, 12, 14, 11), JKT)
    s = status(case, at(2027, 12, 14, 12), JKT)
    resolution = s["resolution"]
    assert resolution.provisional  # type: ignore[attr-defined]
    reason = resolution.provisional_reason  # type: ignore[attr-defined]
    assert "2028: no cuti bersama decreed yet" in reason
    assert "SKB on national holidays and cuti bersama 2028" in reason
    assert reason == JKT.provisional_reason(
        resolution.started_at,  # type: ignore[attr-defined]
        resolution.due_at,  # type: ignore[attr-defined]
    )
    # an elapsed-time goal is never provisional, and says nothing
    assert not s["documents"].provisional  # type: ignore[attr-defined]
    assert s["documents"].provisional_reason == ""  # type: ignore[attr-defined]
    # a deadline wholly inside a decreed year says nothing either
    early = status(open_case(at(2026, 11, 2, 9), JKT), at(2026, 11, 2, 9), JKT)
    assert early["verification"].provisional_reason == ""  # type: ignore[attr-defined]
    # the general path (a paused clock) says the same as the cached one
    paused = WF.fire(
        case,
        "request_clarification",
        at=at(2027, 12, 15, 9),
        by=actor("officer-1", office=case.office),
        calendar=JKT,
    )
    again = status(paused, at(2027, 12, 16, 9), JKT)["resolution"]
    assert again.state == "paused"  # type: ignore[attr-defined]
    assert again.provisional_reason == reason  # type: ignore[attr-defined]


def test_recompute_after_a_late_decree() -> None:
    # before SKB 933/2025, 18 Aug 2025 was a working day
    old = JKT.without_holidays([dt.date(2025, 8, 18)])
    case = open_case(at(2025, 8, 15, 10), old)
    assert status(case, at(2025, 8, 15, 11), old)["verification"].due_at == at(2025, 8, 20, 16)  # type: ignore[attr-defined]
    assert case.calendar_version == old.version
    new = WF.recompute(case, calendar=JKT, at=at(2025, 8, 15, 11))
    assert new.calendar_version == JKT.version
    assert new.events[-1].name == "recomputed"
    assert new.events[-1].data == {"from": old.version, "to": JKT.version}
    assert status(new, at(2025, 8, 15, 11), JKT)["verification"].due_at == at(2025, 8, 21, 16)  # type: ignore[attr-defined]
    assert WF.recompute(new, calendar=JKT, at=at(2025, 8, 15, 12)) == new  # same version: nothing
    # advance with the new calendar recomputes by itself
    advanced = WF.advance(case, at=at(2025, 8, 15, 11), calendar=JKT)
    assert advanced.events[-1].name == "recomputed"
    assert replay(new, WF, calendar=JKT) == new


def test_due_cases_sweep() -> None:
    a = open_case(at(2026, 11, 2, 8), JKT)
    b = open_case(at(2026, 11, 20, 8), JKT)
    now = at(2026, 11, 3, 12)
    assert WF.due_cases([a, b], at=now) == [a]
    with pytest.raises(NaiveDatetimeError):
        WF.due_cases([a], at=dt.datetime(2026, 11, 3, 12))


class TestErrors:
    def test_calendar_is_required(self) -> None:
        with pytest.raises(WrongTypeError, match="pass calendar="):
            WF.open(
                "X",
                at=at(2026, 11, 2, 8),
                by=actor("cc"),
                office="o",
                category="other",
                channel="sms",
            )
        case = open_case(at(2026, 11, 2, 8), JKT)
        with pytest.raises(TypeError, match="WorkingCalendar"):
            WF.fire(
                case,
                "start_verification",
                at=at(2026, 11, 2, 9),
                by=actor("o", office=case.office),
                calendar="WIB",
            )  # type: ignore[arg-type]

    def test_plan_must_fit_the_workflow(self) -> None:
        bad = SlaPlan(
            (
                SlaPolicy(
                    "x", SlaTarget.working_days(1), start_states="nowhere", stop_events="teleport"
                ),
            )
        )
        with pytest.raises(
            WorkflowDefinitionError, match=r"unknown state 'nowhere'.*unknown event 'teleport'"
        ):
            complaint_spec(sla=False).with_sla(bad).build()

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (lambda: SlaTarget.working_days(0), ">= 1"),
            (lambda: SlaTarget.working_hours(-1), "positive duration"),
            (lambda: SlaTarget("fortnights"), "unknown SLA unit"),  # type: ignore[arg-type]
            (
                lambda: SlaPolicy("x", SlaTarget.working_days(1), stop_states="closed"),
                "never starts",
            ),
            (
                lambda: SlaPolicy("x", SlaTarget.working_days(1), start_states="registered"),
                "never stops",
            ),
            (
                lambda: SlaPolicy(
                    "x",
                    SlaTarget.working_days(1),
                    start_states="a",
                    stop_states="b",
                    warn_at=(1.5,),
                ),
                "between 0 and 1",
            ),
        ],
    )
    def test_bad_policies(self, make: object, message: str) -> None:
        with pytest.raises(InvalidArgumentError, match=message):
            make()  # type: ignore[operator]

    def test_case_match(self) -> None:
        case = open_case(at(2026, 11, 2, 8), JKT, priority="urgent")
        assert CaseMatch(priorities={"urgent"}).matches(case)
        assert not CaseMatch(categories={"trafficking"}).matches(case)
        assert CaseMatch().matches(case)


def test_clocks_round_trip() -> None:
    case = open_case(at(2026, 3, 2, 9), JKT)
    case = fire(case, "start_verification", at(2026, 3, 2, 9, 30), JKT)
    case = fire(case, "request_documents", at(2026, 3, 2, 10, 30), JKT)
    case = WF.advance(case, at=at(2026, 3, 10, 10), calendar=JKT)
    assert Case.from_dict(case.to_dict()) == case


# --------------------------------------------------------------------------- properties

instants = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 1)).map(
    lambda d: pendulum.instance(d, tz="Asia/Jakarta")
)
gaps = st.integers(min_value=1, max_value=20 * 86400).map(lambda s: dt.timedelta(seconds=s))


@given(instants, gaps, gaps, gaps)
@settings(max_examples=60, deadline=None)
def test_pausing_never_makes_a_deadline_earlier(
    start: pendulum.DateTime, g1: dt.timedelta, g2: dt.timedelta, g3: dt.timedelta
) -> None:
    base = fire(open_case(start, JKT), "start_verification", start + g1, JKT)
    now = start + g1 + g2 + g3
    plain = status(base, now, JKT)["verification"]
    paused = fire(base, "request_documents", start + g1 + g2, JKT)
    paused = fire(paused, "documents_received", now, JKT)
    with_pause = status(paused, now, JKT)["verification"]
    assert with_pause.due_at >= plain.due_at  # type: ignore[attr-defined]
    for s in (plain, with_pause):
        assert s.due_at >= s.started_at  # type: ignore[attr-defined]


@given(
    instants,
    st.lists(gaps, min_size=1, max_size=6),
    st.sampled_from([JKT, NTT, PAPUA]),
    st.sampled_from(["normal", "urgent"]),
)
@settings(max_examples=60, deadline=None)
def test_advance_contract(
    start: pendulum.DateTime, steps: list[dt.timedelta], cal: WorkingCalendar, priority: str
) -> None:
    case = open_case(start, cal, priority=priority)
    now = start
    triggers = iter(
        [
            "start_verification",
            "request_documents",
            "documents_received",
            "verify",
            "request_clarification",
            "complainant_replied",
        ]
    )
    for gap in steps:
        now = now + gap
        due = WF.next_due_at(case)
        if due is not None and case.events[-1].at < due <= now:
            # nothing is recorded a microsecond early; something is recorded on time
            before = WF.advance(case, at=due - dt.timedelta(microseconds=1), calendar=cal)
            assert [e for e in before.events if e.kind == "sla" and e.name != "recomputed"] == [
                e for e in case.events if e.kind == "sla" and e.name != "recomputed"
            ]
            after = WF.advance(case, at=due, calendar=cal)
            assert after.version > case.version
        advanced = WF.advance(case, at=now, calendar=cal)
        assert WF.advance(advanced, at=now, calendar=cal) == advanced  # idempotent
        nxt = WF.next_due_at(advanced)
        assert nxt is None or nxt > now
        # next_due_at is the earliest of the statuses' next alerts
        alerts = [
            s.next_alert_at for s in WF.status(advanced, at=now, calendar=cal) if s.next_alert_at
        ]
        assert nxt == (min(alerts) if alerts else None)
        case = advanced
        trigger = next(triggers, None)
        if trigger and trigger in WF.allowed_events(case):
            case = fire(case, trigger, now, cal)
    for s in WF.status(case, at=now, calendar=cal):
        assert s.due_at >= s.started_at


def test_late_wake_up_after_a_later_event_keeps_time_order() -> None:
    case = open_case(at(2026, 11, 2, 8), JKT)
    # the officer acts after the first-response warning was due, before the scheduler ran
    due = WF.next_due_at(case)
    assert due is not None
    case = fire(case, "escalate", at(2026, 11, 2, 15), JKT)
    assert due < case.events[-1].at
    advanced = WF.advance(case, at=due, calendar=JKT)
    times = [e.at for e in advanced.events]
    assert times == sorted(times)
    assert advanced.events[-1].at == case.events[-1].at
    assert [e.data["mark"] for e in advanced.events if e.kind == "sla"] == [
        "warning:50",
        "warning:75",
    ]


@given(
    aware_datetimes(min_year=2025, max_year=2026),
    sla_targets,
    warn_fractions,
    st.sampled_from([JKT, NTT, PAPUA]),
)
@settings(max_examples=150, deadline=None)
def test_fresh_clock_shortcut_equals_the_general_computation(
    start: dt.datetime,
    target: SlaTarget,
    warn_at: list[float],
    calendar: WorkingCalendar,
) -> None:
    # refresh() takes a shortcut for clocks that only ran since they started (every
    # clock an event starts); it must give exactly what the pause/transfer walk gives
    policy = SlaPolicy(
        "goal", target, start_states="registered", stop_states="closed", warn_at=warn_at
    )
    clock = SlaClock("goal", "default", 1, as_utc(start))
    fast = _sla.refresh(clock, policy, calendar, _sla.new_measure(calendar))
    general = _sla._refresh_general(clock, policy, calendar, _sla.new_measure(calendar))
    assert fast == general
    assert len(fast.warn_times) == len(policy.warn_at)
    assert fast.due_at is not None
    assert fast.due_at >= fast.started_at
    # a recompute (a late decree, another zone) refreshes a clock that has its cache
    again = _sla.refresh(fast, policy, JKT, _sla.new_measure(JKT))
    assert again == _sla._refresh_general(fast, policy, JKT, _sla.new_measure(JKT))


@given(
    instants,
    st.lists(
        st.tuples(
            st.sampled_from(["start_verification", "verify", "request_documents", "resolve"]),
            gaps,
        ),
        max_size=4,
    ),
    gaps,
    st.sampled_from([JKT, NTT]),
    st.booleans(),
)
@settings(max_examples=80, deadline=None)
def test_status_from_the_cache_equals_the_general_computation(
    start: pendulum.DateTime,
    steps: list[tuple[str, dt.timedelta]],
    later: dt.timedelta,
    calendar: WorkingCalendar,
    advanced: bool,
) -> None:
    # status() reads the cache of clocks never paused nor transferred; that shortcut
    # must give what the general computation gives, at any instant
    case = open_case(start, calendar)
    when = start
    for trigger, gap in steps:
        when += gap
        if (case.state, trigger) in WF._steps:
            case = fire(case, trigger, when, calendar)
    now = as_utc(when + later)
    if advanced:
        case = WF.advance(case, at=now, calendar=calendar)
    plan = WF._plan
    assert plan is not None
    for clock in case.clocks:
        policy = plan.policy(clock.goal, clock.variant)
        for instant in (now, clock.started_at, as_utc(start + later)):
            assert _sla.clock_status(clock, policy, calendar, instant) == (
                _sla._clock_status_general(clock, policy, calendar, instant)
            )


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (SlaTarget.working_days(1), "1 working day"),
        (SlaTarget.working_days(3), "3 working days"),
        (SlaTarget.working_hours(1), "1 working hour"),
        (SlaTarget.working_hours(1.5), "1.5 working hours"),
        (SlaTarget.working_minutes(90), "1.5 working hours"),
        (SlaTarget.calendar_days(1), "1 day"),
        (SlaTarget.calendar_days(30), "30 days"),
        (SlaTarget.elapsed(dt.timedelta(hours=1)), "1 hour"),
        (SlaTarget.elapsed(dt.timedelta(hours=2)), "2 hours"),
    ],
    ids=str,
)
def test_a_target_in_words_takes_the_singular_for_one(target: SlaTarget, words: str) -> None:
    assert target.describe() == words


def test_a_policy_names_the_kind_of_its_source() -> None:
    plan = complaint_sla_plan()
    bases = {(p.name, p.variant): p.basis for p in plan.policies}
    # an official FAQ is the government's word, not a regulation
    assert bases["verification", "default"] == "guidance"
    assert bases["documents", "default"] == "regulation"
    assert bases["first_response", "default"] == "default"
    # omitted, the basis follows ``confirmed``
    target = SlaTarget.working_days(3)
    policy = SlaPolicy("x", target, start_states="a", stop_states="b")
    assert policy.basis == "regulation"
    assert SlaPolicy("x", target, start_states="a", stop_states="b", confirmed=False).basis == (
        "default"
    )
    assert policy == SlaPolicy("x", target, start_states="a", stop_states="b", basis="regulation")
    with pytest.raises(InvalidArgumentError, match="basis must be one of regulation, guidance"):
        SlaPolicy("x", target, start_states="a", stop_states="b", basis="law")  # type: ignore[arg-type]


def test_the_basis_survives_a_definition_document() -> None:
    from migrantcare import dump_workflow, loads_workflow  # noqa: PLC0415 - only here

    for fmt in ("toml", "json"):
        text = dump_workflow(complaint_spec(), fmt)
        assert text.count("guidance") == 1
        again = loads_workflow(text, format=fmt)
        assert again.sla == complaint_spec().sla


# --------------------------------------------------------------------------- units


def _schema_targets() -> list[dict[str, Any]]:
    """The alternatives of an SLA target in the shipped workflow schema."""
    text = (importlib.resources.files("migrantcare") / "workflow.schema.json").read_text()
    alternatives: list[dict[str, Any]] = json.loads(text)["$defs"]["policy"]["properties"][
        "target"
    ]["oneOf"]
    return alternatives


def test_the_workflow_schema_lists_exactly_the_registered_units() -> None:
    # a unit added to SLA_UNITS (or removed) must be added to the schema too
    units = [alternative["properties"]["unit"]["const"] for alternative in _schema_targets()]
    assert units == list(SLA_UNITS)


@pytest.mark.parametrize(
    "alternative", _schema_targets(), ids=lambda a: a["properties"]["unit"]["const"]
)
def test_the_schema_of_each_unit_has_the_keys_and_bounds_its_documents_take(
    alternative: dict[str, Any],
) -> None:
    properties = alternative["properties"]
    unit = SLA_UNITS[properties["unit"]["const"]]
    assert set(properties) == {"unit", *(part.key for part in unit.parts)}
    assert set(alternative["required"]) == {
        "unit",
        *(part.key for part in unit.parts if part.required),
    }
    for part in unit.parts:
        bounds = properties[part.key]
        assert (bounds["minimum"], bounds["maximum"]) == (part.low, part.high)


@pytest.mark.parametrize("name", list(SLA_UNITS))
def test_the_registry_is_read_only_and_names_each_unit_by_its_key(name: str) -> None:
    assert SLA_UNITS[name].name == name
    with pytest.raises(TypeError):
        SLA_UNITS[name] = SLA_UNITS[name]  # type: ignore[index]


def test_an_unknown_unit_is_refused_naming_the_registered_ones() -> None:
    with pytest.raises(InvalidArgumentError, match="use working_days, working_time or elapsed"):
        SlaTarget("fortnights", days=1)
    with pytest.raises(InvalidArgumentError, match="unknown SLA unit"):
        SlaTarget(["working_days"], days=1)  # type: ignore[arg-type]
