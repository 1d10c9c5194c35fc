from __future__ import annotations

import datetime as dt

import pytest

from migrantcare import WorkSchedule
from migrantcare.exceptions import InvalidScheduleError, MigrantCareError, WrongTypeError


def test_civil_service_is_perpres_21_2023() -> None:
    s = WorkSchedule.civil_service()
    assert s.weekly_hours == dt.timedelta(hours=37, minutes=30)
    assert all(s.intervals(d)[0][0] == dt.time(7, 30) for d in range(5))
    # breaks: 60 minutes Monday-Thursday, 90 minutes on Friday
    breaks = [(s.days[d][1][0] - s.days[d][0][1]) for d in range(5)]
    assert breaks == [60, 60, 60, 60, 90]
    assert s.working_minutes(5) == s.working_minutes(6) == 0


def test_ramadan_is_32_and_a_half_hours_from_eight() -> None:
    s = WorkSchedule.ramadan()
    assert s.weekly_hours == dt.timedelta(hours=32, minutes=30)
    assert {s.intervals(d)[0][0] for d in range(5)} == {dt.time(8)}


def test_always() -> None:
    s = WorkSchedule.always()
    assert s.weekly_hours == dt.timedelta(days=7)
    assert s.intervals(6) == ((dt.time(0), None),)


def test_weekly_accepts_times_and_sorts() -> None:
    s = WorkSchedule.weekly(
        "split", monday=[(dt.time(13), dt.time(15)), ("08:00", "12:00")], sunday=[("9:00", "24:00")]
    )
    assert s.days[0] == ((480, 720), (780, 900))
    assert s.describe() == "Mon 08:00-12:00, 13:00-15:00; Sun 09:00-24:00"


@pytest.mark.parametrize(
    ("monday", "message"),
    [
        ([("12:00", "08:00")], "ends before it starts"),
        ([("08:00", "08:00")], "ends before it starts"),
        ([("08:00", "12:00"), ("11:00", "14:00")], "overlaps"),
        ([("25:00", "26:00")], "out of range"),
        ([("08:00", "24:01")], "out of range"),
        ([("8h", "12:00")], "'HH:MM' form"),
        ([("08:60", "12:00")], "out of range"),
        ([(dt.time(8, 0, 30), "12:00")], "whole minutes"),
    ],
)
def test_bad_intervals(monday: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(InvalidScheduleError, match=message):
        WorkSchedule.weekly(monday=monday)


def test_bad_shapes() -> None:
    with pytest.raises(WrongTypeError, match="pair"):
        WorkSchedule.weekly(monday=[("08:00",)])  # type: ignore[list-item]
    with pytest.raises(WrongTypeError, match="list of"):
        WorkSchedule.weekly(monday="08:00-12:00")  # type: ignore[arg-type]
    with pytest.raises(WrongTypeError, match=r"'HH:MM' or datetime\.time"):
        WorkSchedule.weekly(monday=[(800, 1200)])  # type: ignore[list-item]
    with pytest.raises(InvalidScheduleError, match="7 weekdays"):
        WorkSchedule("x", days=((),))
    with pytest.raises(ValueError, match="outside the day"):
        WorkSchedule("x", days=(((0, 2000),), (), (), (), (), (), ()))


def test_errors_share_the_root() -> None:
    assert issubclass(InvalidScheduleError, MigrantCareError)
    assert issubclass(InvalidScheduleError, ValueError)


def test_schedules_are_frozen_values() -> None:
    s = WorkSchedule.civil_service()
    assert s == WorkSchedule.civil_service()
    assert hash(s) == hash(WorkSchedule.civil_service())
    with pytest.raises(AttributeError):
        s.name = "other"  # type: ignore[misc]
