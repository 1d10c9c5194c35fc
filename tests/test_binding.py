"""Workflows bound to offices: one API shape, calendar versions, zones, transfers, waiting."""

from __future__ import annotations

import datetime as dt
import pathlib

import pendulum
import pytest

from migrantcare import (
    SYSTEM,
    Actor,
    Case,
    Offices,
    SlaPolicy,
    SlaTarget,
    State,
    Transition,
    WorkingCalendar,
    complaint_spec,
    complaint_workflow,
    office_report,
    replay,
)
from migrantcare.exceptions import (
    CalendarMismatchError,
    IntegrityError,
    InvalidArgumentError,
    InvalidTransitionError,
    UnknownOfficeError,
    WrongTypeError,
)

OFFICES = Offices.from_file(pathlib.Path(__file__).parent.parent / "examples" / "offices.toml")
WF = complaint_workflow().bind(OFFICES)
AGENT = Actor("cc-01", roles={"call_centre"}, office="call-centre")
OFFICER = Actor("officer-ntb-2", roles={"officer", "head_of_office"}, office="bp3mi-ntb")
# Who may act is checked (docs/permissions.md): the call centre registers and hands over
# cases; an officer of the office holding a case works it.
CC_DESK = Actor("cc-desk", roles={"officer", "call_centre"}, office="call-centre")
O_DESK = Actor("o-desk", roles={"officer"}, office="o")


def wib(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="Asia/Jakarta")


def open_case(office: str = "call-centre", at: pendulum.DateTime | None = None) -> Case:
    return WF.open(
        "PGD-1",
        at=at or wib(2026, 4, 6, 9),
        by=AGENT,
        office=office,
        category="unpaid_wages",
        channel="call_center",
    )


def due(case: Case, at: dt.datetime, wf: object = WF) -> dict[str, str]:
    return {s.goal: f"{s.due_at:%a %d %b %H:%M %Z}" for s in wf.status(case, at=at)}  # type: ignore[attr-defined]


class TestActors:
    def test_a_plain_string_is_refused_everywhere(self) -> None:
        case = open_case()
        for call in (
            lambda: WF.open("X", at=wib(2026, 4, 6, 9), by="cc", office="call-centre",
                            category="other", channel="sms"),
            lambda: WF.fire(case, "start_verification", at=wib(2026, 4, 6, 10), by="o"),
            lambda: WF.advance(case, at=wib(2026, 4, 6, 10), by="system"),
            lambda: WF.transfer(case, to="bp3mi-ntb", at=wib(2026, 4, 6, 10), by="o"),
        ):  # fmt: skip
            with pytest.raises(WrongTypeError, match="by must be an Actor"):
                call()

    def test_role_and_office_are_in_the_chain(self) -> None:
        case = WF.fire(
            open_case("bp3mi-ntb"), "start_verification", at=wib(2026, 4, 6, 10), by=OFFICER
        )
        event = case.events[-1]
        # the role recorded is the one that authorised it: the first of the rule's roles
        # (officer, head_of_office) that the actor holds
        assert (event.by, event.role, event.office) == (
            "officer-ntb-2",
            "officer",
            "bp3mi-ntb",
        )
        assert case.events[0].role == "call_centre"
        row = event.to_dict()
        assert (row["by"], row["role"], row["by_office"]) == (
            "officer-ntb-2",
            "officer",
            "bp3mi-ntb",
        )
        stored = case.to_dict()
        assert stored["schema"] == "migrantcare.case/2"
        assert Case.from_dict(stored) == case
        stored["events"][1]["role"] = "head_of_office"  # claim another role afterwards
        with pytest.raises(IntegrityError, match="event 1: content does not match its hash"):
            Case.from_dict(stored).verify()

    def test_actor_values(self) -> None:
        assert SYSTEM.role == "system"
        assert SYSTEM.office is None
        assert Actor("a", roles=()).role is None
        with pytest.raises(WrongTypeError, match="roles must be a set"):
            Actor("a", roles="officer")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="must not be empty"):
            Actor(" ", roles={"officer"})
        with pytest.raises(WrongTypeError):
            Actor(None, roles={"officer"})  # type: ignore[arg-type]


class TestBinding:
    def test_bound_operations_need_no_calendar(self) -> None:
        case = open_case("bp3mi-ntb", at=pendulum.datetime(2026, 4, 6, 9, tz="Asia/Makassar"))
        assert case.calendar_version == OFFICES.calendar("bp3mi-ntb").version
        assert case.calendar_zone == "Asia/Makassar"
        assert WF.offices is OFFICES
        assert complaint_workflow().offices is None
        assert WF.next_due_at(case) is not None
        assert WF.due_cases([case], at=pendulum.datetime(2026, 5, 1, tz="UTC")) == [case]

    def test_an_explicit_calendar_must_be_the_offices(self) -> None:
        case = open_case()
        own = OFFICES.calendar("call-centre")
        assert WF.status(case, at=wib(2026, 4, 6, 10), calendar=own)
        other = own.with_closures([dt.date(2026, 4, 7)], name="Banjir")
        with pytest.raises(
            CalendarMismatchError,
            match=f"calendar {other.version} .*whose calendar is {own.version}",
        ):
            WF.fire(case, "start_verification", at=wib(2026, 4, 6, 10), by=CC_DESK, calendar=other)
        with pytest.raises(ValueError, match="whose calendar is"):
            WF.status(case, at=wib(2026, 4, 6, 10), calendar=other)

    def test_unknown_office(self) -> None:
        with pytest.raises(UnknownOfficeError, match="unknown office 'bp3mi-xx'"):
            open_case("bp3mi-xx")

    def test_unbound_workflows_need_the_calendar(self) -> None:
        with pytest.raises(WrongTypeError, match="pass calendar="):
            complaint_workflow().open("X", at=wib(2026, 4, 6, 9), by=AGENT, office="o",
                                      category="other", channel="sms")  # fmt: skip
        with pytest.raises(InvalidArgumentError, match="not bound"):
            complaint_workflow().calendar_of("o")


class TestOneCalendarPerCase:
    """Issue #9 §2: a new calendar version recomputes every clock, once, before the event."""

    NEW = WorkingCalendar.indonesia().with_closures(
        [dt.date(2026, 3, 3), dt.date(2026, 3, 4)], name="Banjir"
    )

    def test_the_issue_example_records_no_false_breach(self) -> None:
        cal, wf = WorkingCalendar.indonesia(), complaint_workflow()
        c = wf.open("P1", at=wib(2026, 3, 2, 9), by=AGENT, office="o", category="other",
                    channel="email", calendar=cal)  # fmt: skip
        c = wf.fire(c, "start_verification", at=wib(2026, 3, 2, 9, 30), by=O_DESK,
                    calendar=self.NEW)  # fmt: skip
        assert [(e.kind, e.name) for e in c.events[1:]] == [
            ("sla", "recomputed"),
            ("transition", "start_verification"),
        ]
        assert c.events[1].data == {"from": cal.version, "to": self.NEW.version}
        assert {k.calendar_version for k in c.clocks} == {self.NEW.version}
        advanced = wf.advance(c, at=wib(2026, 3, 5, 16, 30), calendar=self.NEW)
        assert advanced == c  # before: warning, warning, breach, escalate
        verification = {
            s.goal: s for s in wf.status(c, at=wib(2026, 3, 5, 16, 30), calendar=self.NEW)
        }
        assert verification["verification"].due_at == wib(2026, 3, 9, 16)
        assert replay(c, wf, calendar=self.NEW) == c

    def test_a_refused_event_records_no_recompute(self) -> None:
        cal, wf = WorkingCalendar.indonesia(), complaint_workflow()
        c = wf.open("P1", at=wib(2026, 3, 2, 9), by=AGENT, office="o", category="other",
                    channel="email", calendar=cal)  # fmt: skip
        with pytest.raises(InvalidTransitionError):
            wf.fire(c, "verify", at=wib(2026, 3, 2, 9, 30), by=OFFICER, calendar=self.NEW)

    def test_bound_registry_change_is_picked_up(self) -> None:
        case = open_case(at=wib(2026, 3, 2, 9))
        flooded = OFFICES.with_closures("call-centre", [dt.date(2026, 3, 3)], name="Banjir")
        wf2 = complaint_workflow().bind(flooded)
        moved = wf2.advance(case, at=wib(2026, 3, 2, 10))
        assert [e.name for e in moved.events[1:]] == ["recomputed"]
        assert moved.calendar_version == flooded.calendar("call-centre").version
        assert wf2.advance(moved, at=wib(2026, 3, 2, 10)) == moved  # once

    def test_another_zone_is_refused(self) -> None:
        case = open_case("bp3mi-ntb", at=pendulum.datetime(2026, 4, 6, 9, tz="Asia/Makassar"))
        wf, jakarta = complaint_workflow(), WorkingCalendar.indonesia()
        at = wib(2026, 4, 6, 10)
        for call in (
            lambda: wf.fire(case, "start_verification", at=at, by=OFFICER, calendar=jakarta),
            lambda: wf.advance(case, at=at, calendar=jakarta),
            lambda: wf.status(case, at=at, calendar=jakarta),
            lambda: wf.recompute(case, at=at, calendar=jakarta),
        ):
            with pytest.raises(CalendarMismatchError, match=r"Asia/Makassar.*Asia/Jakarta"):
                call()

    def test_stopped_clocks_are_final_on_recompute(self) -> None:
        case = WF.fire(open_case(), "start_verification", at=wib(2026, 4, 6, 10), by=CC_DESK)
        stopped = [c for c in case.clocks if c.stopped_at is not None]
        assert stopped
        flooded = OFFICES.with_closures("call-centre", [dt.date(2026, 4, 7)], name="Banjir")
        moved = complaint_workflow().bind(flooded).recompute(case, at=wib(2026, 4, 6, 11))
        assert [c for c in moved.clocks if c.stopped_at is not None] == stopped


class TestTransfer:
    def test_wib_to_wita_keeps_used_time(self) -> None:
        t0 = wib(2026, 4, 6, 9)
        case = open_case(at=t0)
        assert due(case, t0) == {
            "first_response": "Tue 07 Apr 09:30 WIB",
            "verification": "Thu 09 Apr 16:00 WIB",
            "documents": "Wed 06 May 09:00 WIB",
        }
        moved = WF.transfer(case, to="bp3mi-ntb", at=t0.add(hours=2), by=AGENT, note="Lombok")
        event = moved.events[-1]
        assert (event.kind, event.name, event.source, event.dest) == (
            "transferred", "transfer", "registered", "registered"
        )  # fmt: skip
        assert event.data == {
            "from_office": "call-centre",
            "to_office": "bp3mi-ntb",
            "from_calendar": case.calendar_version,
        }
        assert (moved.office, moved.calendar_zone) == ("bp3mi-ntb", "Asia/Makassar")
        # 2 of 8 working hours used in Jakarta; 6 left on Mataram's hours from 12:00 WITA
        assert due(moved, t0.add(hours=2)) == {
            "first_response": "Tue 07 Apr 10:30 WITA",
            "verification": "Thu 09 Apr 16:00 WITA",
            "documents": "Wed 06 May 10:00 WITA",
        }
        status = {s.goal: s for s in WF.status(moved, at=t0.add(hours=2))}
        assert status["first_response"].elapsed == dt.timedelta(hours=2)
        assert status["first_response"].remaining == dt.timedelta(hours=6)
        assert replay(moved, WF) == moved
        moved.verify()

    def test_mataram_closure_moves_the_rest_only(self) -> None:
        t0 = wib(2026, 4, 6, 9)
        closed = OFFICES.with_closures("bp3mi-ntb", [dt.date(2026, 4, 8)], name="Banjir")
        wf = complaint_workflow().bind(closed)
        case = wf.open("T", at=t0, by=AGENT, office="call-centre", category="other",
                       channel="sms")  # fmt: skip
        case = wf.fire(case, "start_verification", at=t0.add(hours=1), by=CC_DESK)
        moved = wf.transfer(case, to="bp3mi-ntb", at=wib(2026, 4, 7, 12), by=AGENT)
        # Tue 7 (in progress, counted), Wed 8 closed in Mataram, Thu 9, Fri 10
        assert due(moved, wib(2026, 4, 7, 12), wf)["verification"] == "Fri 10 Apr 16:30 WITA"
        # met in Jakarta before the transfer: final, the same instant shown in WITA
        assert due(moved, wib(2026, 4, 7, 12), wf)["first_response"] == "Tue 07 Apr 10:30 WITA"

    def test_refusals(self) -> None:
        case = open_case()
        at = wib(2026, 4, 6, 11)
        with pytest.raises(InvalidArgumentError, match="already at office"):
            WF.transfer(case, to="call-centre", at=at, by=AGENT)
        with pytest.raises(UnknownOfficeError):
            WF.transfer(case, to="bp3mi-xx", at=at, by=AGENT)
        with pytest.raises(InvalidArgumentError, match="bind the workflow"):
            complaint_workflow().transfer(case, to="bp3mi-ntb", at=at, by=AGENT)
        closed = WF.fire(case, "close", at=at, by=CC_DESK, data={"reason": "unreachable"})
        with pytest.raises(InvalidTransitionError, match="terminal state 'closed'"):
            WF.transfer(closed, to="bp3mi-ntb", at=at, by=AGENT)
        plain = complaint_workflow(sla=False)
        p = plain.open("P", at=at, by=AGENT, office="a", category="other", channel="sms")
        head = Actor("head-a", roles={"head_of_office"}, office="a")
        assert plain.transfer(p, to="b", at=at, by=head).office == "b"

    def test_report_counts_each_goal_for_the_office_that_held_the_case(self) -> None:
        t0 = wib(2026, 4, 6, 9)
        case = open_case(at=t0)
        # first response met in Jakarta, then transferred; verification breached in Mataram
        case = WF.fire(case, "start_verification", at=t0.add(hours=1), by=CC_DESK)
        case = WF.transfer(case, to="bp3mi-ntb", at=t0.add(hours=2), by=AGENT)
        rows = office_report(
            [case],
            at=wib(2026, 4, 20, 9),
            workflows=WF,
            period_start=dt.date(2026, 4, 1),
            period_end=dt.date(2026, 4, 30),
        )
        by_office = {r.office: r for r in rows}
        jkt, ntb = by_office["call-centre"], by_office["bp3mi-ntb"]
        assert (jkt.opened, jkt.still_open, ntb.opened, ntb.still_open) == (1, 0, 0, 1)
        jkt_goals = {g.goal: (g.met, g.breached, g.running) for g in jkt.goals}
        ntb_goals = {g.goal: (g.met, g.breached, g.running) for g in ntb.goals}
        assert jkt_goals == {"first_response": (1, 0, 0)}
        assert ntb_goals == {"verification": (0, 1, 0), "documents": (0, 0, 1)}


class TestWaitingStates:
    def spec(self, *, opt_out: bool = False) -> object:
        base = complaint_spec()
        spec = (
            base.derive(name="complaint_kbri")
            .with_states(State("awaiting_embassy_reply", "Menunggu KBRI", "Awaiting the embassy",
                               waiting=True))
            .with_transitions(
                Transition("ask_embassy", "verification", "awaiting_embassy_reply"),
                Transition("embassy_replied", "awaiting_embassy_reply", "verification"),
            )
        )  # fmt: skip
        if opt_out:
            assert base.sla is not None
            spec = spec.with_sla(
                base.sla.with_policies(
                    SlaPolicy("verification", SlaTarget.working_days(3), start_states="registered",
                              stop_states=("in_handling", "closed"), pause_on_waiting=False)
                )
            )  # fmt: skip
        return spec.build().bind(OFFICES)

    def walk(self, wf: object) -> tuple[Case, dict[str, str]]:
        t0 = wib(2026, 11, 2, 9)
        case = wf.open("K", at=t0, by=AGENT, office="call-centre", category="other", channel="sms")  # type: ignore[attr-defined]
        case = wf.fire(case, "start_verification", at=t0.add(hours=1), by=CC_DESK)  # type: ignore[attr-defined]
        case = wf.fire(case, "ask_embassy", at=t0.add(hours=2), by=CC_DESK)  # type: ignore[attr-defined]
        states = {s.goal: s.state for s in wf.status(case, at=t0.add(days=4))}  # type: ignore[attr-defined]
        return case, states

    def test_a_waiting_state_pauses_every_running_clock(self) -> None:
        _, states = self.walk(self.spec())
        assert states["verification"] == "paused"
        assert states["documents"] == "running"  # Pasal 30(1)a measures the wait itself

    def test_a_policy_can_opt_out(self) -> None:
        _, states = self.walk(self.spec(opt_out=True))
        assert states["verification"] == "breached"  # kept counting: due Thu 5 Nov 16:00
