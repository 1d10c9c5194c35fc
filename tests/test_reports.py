from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from migrantcare import (
    Case,
    WorkingCalendar,
    complaint_workflow,
    demo_cases,
    office_report,
    outreach_workflow,
    performance_figures,
)
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError
from tests.actors import actor

WF = complaint_workflow()
JKT = WorkingCalendar.indonesia(first_year=2025, last_year=2027)
NTT = JKT.in_zone("Asia/Makassar")
CALS = {"bp3mi-jkt": JKT, "bp3mi-ntt": NTT}


def case(
    case_id: str, office: str, opened: pendulum.DateTime, *steps: tuple[str, pendulum.DateTime, str]
) -> Case:
    cal = CALS[office]
    c = WF.open(
        case_id,
        at=opened,
        by=actor("cc"),
        office=office,
        category="other",
        channel="sms",
        calendar=cal,
    )
    for trigger, when, by in steps:
        data = {"reason": "unreachable"} if trigger == "close" else None
        c = WF.fire(c, trigger, at=when, by=actor(by, office=c.office), data=data, calendar=cal)
    return c


def t(day: int, hour: int, tz: str = "Asia/Jakarta") -> pendulum.DateTime:
    return pendulum.datetime(2026, 11, day, hour, tz=tz)


def test_office_figures() -> None:
    cases = [
        # responded after 1 working hour, verified in time, resolved
        case(
            "A",
            "bp3mi-jkt",
            t(2, 8),
            ("start_verification", t(2, 9), "o1"),
            ("verify", t(3, 9), "o1"),
            ("resolve", t(4, 9), "o1"),
        ),
        # responded after 3 working hours (Mon 13:00 -> 16:00 is 3 h), still open
        case(
            "B",
            "bp3mi-jkt",
            t(2, 13),
            (
                "start_verification",
                t(
                    3,
                    8,
                ),
                "o2",
            ),
        ),
        # never responded by an officer: the verification breach is still running late
        case("C", "bp3mi-jkt", t(2, 10)),
        # another office
        case(
            "D",
            "bp3mi-ntt",
            t(3, 9, "Asia/Makassar"),
            ("start_verification", t(3, 10, "Asia/Makassar"), "o3"),
        ),
        # outside the period
        case("E", "bp3mi-jkt", t(20, 9)),
    ]
    now = t(12, 12)
    rows = office_report(
        cases,
        at=now,
        workflows=[WF, outreach_workflow()],
        calendars=CALS,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 15),
    )
    assert [r.office for r in rows] == ["bp3mi-jkt", "bp3mi-ntt"]
    jkt = rows[0]
    assert (jkt.opened, jkt.still_open, jkt.responded) == (3, 2, 2)
    # first responses: 1 h (A) and Mon 13:00 -> Tue 08:00 = 3 h + 0.5 h (B)
    assert jkt.median_first_response == dt.timedelta(hours=2, minutes=15)
    goals = {g.goal: g for g in jkt.goals}
    assert (goals["verification"].met, goals["verification"].breached) == (1, 2)
    assert goals["verification"].compliance == pytest.approx(100 / 3)
    row = jkt.as_row()
    assert row["verification_breached"] == 2
    assert row["median_first_response_hours"] == 2.25
    assert rows[1].opened == 1


def test_errors() -> None:
    c = case("A", "bp3mi-jkt", t(2, 8))
    with pytest.raises(InvalidArgumentError, match="before it starts"):
        office_report(
            [c],
            at=t(3, 8),
            workflows=WF,
            calendars=JKT,
            period_start=dt.date(2026, 11, 5),
            period_end=dt.date(2026, 11, 1),
        )
    with pytest.raises(UnknownTermError, match="no calendar given for office 'bp3mi-jkt'"):
        office_report(
            [c],
            at=t(3, 8),
            workflows=WF,
            calendars={},
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 5),
        )
    with pytest.raises(UnknownTermError, match="was not given"):
        office_report(
            [c],
            at=t(3, 8),
            workflows=outreach_workflow(),
            calendars=JKT,
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 5),
        )


def test_office_figures_count_the_deadlines_on_unsettled_holiday_data() -> None:
    # verified on 14 December 2026: the resolution deadline runs into 2027, whose
    # Islamic holidays are estimated; the verification deadline stays in 2026
    dec = pendulum.datetime(2026, 12, 14, 9, tz="Asia/Jakarta")
    late = case(
        "L",
        "bp3mi-jkt",
        dec,
        ("start_verification", dec.add(hours=1), "o1"),
        ("verify", dec.add(hours=2), "o1"),
    )
    (row,) = office_report(
        [late],
        at=dec.add(hours=3),
        workflows=WF,
        calendars=CALS,
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2026, 12, 31),
    )
    goals = {g.goal: g for g in row.goals}
    assert goals["resolution"].provisional == 1
    assert goals["verification"].provisional == 0
    assert row.as_row()["resolution_provisional"] == 1
    assert row.as_row()["verification_provisional"] == 0


def test_office_report_is_a_view_over_the_performance_pass() -> None:
    # A demo year (transfers between zones included), the period covering every case's
    # whole life: the two reports group differently but count from one reading.
    data = demo_cases(seed=5, offices=3, complaints=200, outreach_per_office=0)
    complaint = [w for w in data.workflows if w.name == "complaint"]
    cases = [c for c in data.cases if c.workflow == "complaint"]
    period = {"period_start": dt.date(2025, 1, 1), "period_end": dt.date(2027, 12, 31)}
    rows = office_report(cases, at=data.at, workflows=complaint, **period)
    figures = performance_figures(
        cases, workflows=complaint, offices=data.offices, at=data.at, **period
    )
    assert any(e.kind == "transferred" for c in cases for e in c.events)
    by_office = {r.office: r for r in rows}
    for office in figures.offices:
        row = by_office[office.office]
        assert (row.opened, row.still_open) == (office.opened, office.open_now)
    assert sum(r.responded for r in rows) == figures.total.first_response.count
    # one outcome rule: the same met / breached / pending per goal (each case's newest
    # cycle is what office_report shows; these cases have one cycle per goal)
    single = [c for c in cases if len({k.goal for k in c.clocks}) == len(c.clocks)]
    rows = office_report(single, at=data.at, workflows=complaint, **period)
    figures = performance_figures(
        single, workflows=complaint, offices=data.offices, at=data.at, **period
    )
    totals: dict[str, list[int]] = {}
    for r in rows:
        for g in r.goals:
            counts = totals.setdefault(g.goal, [0, 0, 0, 0])
            for i, n in enumerate((g.met, g.breached, g.running, g.provisional)):
                counts[i] += n
    expected = {
        g.goal: [g.met, g.breached, g.pending, g.provisional]
        for g in figures.total.goals
        if g.met + g.breached + g.pending
    }
    assert totals == expected
    assert expected["verification"][1] > 0  # breaches, not only clocks met


def test_office_report_counts_nothing_after_at() -> None:
    # answered and resolved after ``at``: at ``at`` the case is open and unanswered
    c = case(
        "A",
        "bp3mi-jkt",
        t(2, 8),
        ("start_verification", t(9, 9), "o1"),
        ("verify", t(9, 10), "o1"),
        ("resolve", t(10, 9), "o1"),
    )
    (row,) = office_report(
        [c],
        at=t(5, 12),
        workflows=WF,
        calendars=CALS,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
    )
    assert (row.opened, row.still_open, row.responded) == (1, 1, 0)
    assert row.median_first_response is None
    goals = {g.goal: (g.met, g.breached, g.running) for g in row.goals}
    assert goals["first_response"] == (0, 1, 0)  # 8 working hours passed unanswered
    # a case opened after ``at`` does not exist yet
    late = case("L", "bp3mi-jkt", t(6, 8))
    assert (
        office_report(
            [late],
            at=t(5, 12),
            workflows=WF,
            calendars=CALS,
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30),
        )
        == []
    )
