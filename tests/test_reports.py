from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from migrantcare import (
    Case,
    WorkingCalendar,
    complaint_workflow,
    office_report,
    outreach_workflow,
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
