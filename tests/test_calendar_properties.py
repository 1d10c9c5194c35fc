"""Properties of the calendar arithmetic, and cross-checks against naive implementations."""

from __future__ import annotations

import bisect
import datetime as dt
from functools import cache

import holidays
import pendulum
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrantcare import WorkingCalendar, WorkSchedule
from migrantcare.exceptions import DateOutOfRangeError

from .strategies import (
    aware_datetimes,
    central_dates,
    dates,
    day_counts,
    recent_dates,
    working_deltas,
    zones,
)


@cache
def reference_closed_days() -> frozenset[dt.date]:
    """Closed days straight from the ``holidays`` package: an independent source."""
    data = holidays.Indonesia(
        years=range(1990, 2041), categories=("public", "government"), expand=False
    )
    return frozenset(data)


def naive_is_working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in reference_closed_days()


def naive_add(day: dt.date, n: int) -> dt.date:
    step = 1 if n >= 0 else -1
    if n == 0:
        while not naive_is_working(day):
            day += dt.timedelta(days=1)
        return day
    remaining = abs(n)
    while remaining:
        day += dt.timedelta(days=step)
        remaining -= naive_is_working(day)
    return day


@given(dates, st.integers(min_value=-400, max_value=400))
def test_add_working_days_matches_a_day_loop(cal: WorkingCalendar, day: dt.date, n: int) -> None:
    assert cal.add_working_days(day, n) == naive_add(day, n)


@given(dates, dates)
@settings(max_examples=50)
def test_working_days_between_matches_a_day_loop(
    cal: WorkingCalendar, a: dt.date, b: dt.date
) -> None:
    lo, hi = min(a, b), max(a, b)
    count = sum(naive_is_working(lo + dt.timedelta(days=k)) for k in range((hi - lo).days))
    assert cal.working_days_between(a, b) == (count if a <= b else -count)


@given(central_dates, day_counts)
def test_results_are_working_days(cal: WorkingCalendar, day: dt.date, n: int) -> None:
    assert cal.is_working_day(cal.add_working_days(day, n))


@given(central_dates, day_counts)
def test_between_is_consistent_with_add(cal: WorkingCalendar, day: dt.date, n: int) -> None:
    result = cal.add_working_days(day, n)
    if n > 0:
        # day itself is excluded, the result included
        assert cal.working_days_between(day + dt.timedelta(days=1), result + dt.timedelta(1)) == n
    elif n < 0:
        assert cal.working_days_between(result, day) == -n
    else:
        assert cal.working_days_between(day, result) == 0


@given(dates, dates)
def test_between_is_antisymmetric(cal: WorkingCalendar, a: dt.date, b: dt.date) -> None:
    assert cal.working_days_between(a, b) == -cal.working_days_between(b, a)


@given(aware_datetimes(), working_deltas)
def test_working_time_round_trip(cal: WorkingCalendar, start: dt.datetime, x: dt.timedelta) -> None:
    result = cal.add_working_time(start, x)
    assert result >= start
    assert cal.working_time_between(start, result) == x
    assert result.tzinfo is not None
    assert result.timezone_name == cal.tz  # type: ignore[attr-defined]


@given(aware_datetimes(), working_deltas, zones)
def test_input_zone_does_not_matter(
    cal: WorkingCalendar, start: dt.datetime, x: dt.timedelta, other: str
) -> None:
    assert cal.add_working_time(start, x) == cal.add_working_time(
        pendulum.instance(start).in_timezone(other), x
    )


@given(aware_datetimes(), working_deltas)
def test_positive_results_are_inside_working_time_or_at_an_end(
    cal: WorkingCalendar, start: dt.datetime, x: dt.timedelta
) -> None:
    if not x:
        return
    result = cal.add_working_time(start, x)
    just_before = result - dt.timedelta(microseconds=1)
    assert cal.is_working_time(just_before)
    # nothing earlier reaches x: one microsecond less is one microsecond short
    assert cal.working_time_between(start, just_before) == x - dt.timedelta(microseconds=1)


@given(
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 20)),
    st.integers(min_value=1, max_value=600),
)
@settings(max_examples=60, deadline=None)
def test_add_working_time_matches_a_minute_loop(
    cal: WorkingCalendar, naive: dt.datetime, minutes: int
) -> None:
    start = pendulum.instance(naive.replace(second=0, microsecond=0), tz="Asia/Jakarta")
    schedule = WorkSchedule.civil_service()
    t, left = start, minutes
    while left:
        minute_of_day = t.hour * 60 + t.minute
        working = naive_is_working(t.date()) and any(
            s <= minute_of_day < e for s, e in schedule.days[t.weekday()]
        )
        t = t.add(minutes=1)
        left -= working
    assert cal.add_working_time(start, dt.timedelta(minutes=minutes)) == t


@given(recent_dates, st.sets(recent_dates, max_size=5))
@settings(max_examples=30, deadline=None)
def test_overrides_never_change_the_original(
    cal: WorkingCalendar, day: dt.date, closures: set[dt.date]
) -> None:
    before = (cal.version, cal.add_working_days(day, 5), cal.holidays(day.year))
    new = cal.with_closures(closures, name="Tutup")
    assert all(not new.is_working_day(d) for d in closures)
    present = [d for d in closures if cal.holidays_on(d)]
    if present:
        cal.without_holidays(present)
    cal.in_zone("Asia/Jayapura")
    cal.with_schedule(WorkSchedule.ramadan(), start=day, end=day)
    assert (cal.version, cal.add_working_days(day, 5), cal.holidays(day.year)) == before


@given(central_dates, day_counts)
def test_zone_does_not_change_working_days(cal: WorkingCalendar, day: dt.date, n: int) -> None:
    assert cal.in_zone("Asia/Jayapura").add_working_days(day, n) == cal.add_working_days(day, n)


def test_lookups_outside_the_data_never_grow_it() -> None:
    cal = WorkingCalendar.indonesia(first_year=2025, last_year=2026)
    count = len(cal.holiday_list)
    with pytest.raises(DateOutOfRangeError):
        cal.is_working_day(dt.date(2030, 1, 1))
    assert len(cal.holiday_list) == count
    assert {h.date.year for h in cal.holiday_list} == {2025, 2026}


@cache
def _zoned(tz: str, around_the_clock: bool) -> WorkingCalendar:
    schedule = WorkSchedule.always() if around_the_clock else None
    return WorkingCalendar.indonesia(tz, schedule=schedule, first_year=2020, last_year=2030)


@cache
def _offset_change_days(tz: str) -> tuple[int, ...]:
    """Day indices (from 2020-01-01) on or before which ``tz`` changes its UTC offset."""
    zone = pendulum.timezone(tz)
    first = dt.datetime(2020, 1, 1)
    out = []
    for k in range(4_000):
        day = first + dt.timedelta(days=k)
        if zone.utcoffset(day) != zone.utcoffset(day + dt.timedelta(days=1)):
            out += [k - 1, k, k + 1]
    return tuple(d for d in out if d >= 0) or (0,)


@st.composite
def zone_days(draw: st.DrawFn) -> tuple[str, int]:
    """A zone and a day index, often a day on which the zone changes offset (DST)."""
    tz = draw(zones | st.sampled_from(["America/Santiago", "Asia/Beirut", "Europe/London"]))
    if draw(st.booleans()):
        return tz, draw(st.sampled_from(_offset_change_days(tz)))
    return tz, draw(st.integers(min_value=0, max_value=4_000))


@given(
    zone_days(),
    st.booleans(),
    st.integers(min_value=0, max_value=86_400 * 1_000_000),
)
@example(("Europe/Berlin", 88), True, 12 * 3600 * 1_000_000)  # 2020-03-29, summer time
@settings(max_examples=300, deadline=None)
def test_instant_at_by_cached_midnights_equals_the_wall_time_conversion(
    zone_day: tuple[str, int], around_the_clock: bool, micros: int
) -> None:
    # SLA deadlines go from working positions to instants through a per-day cache of
    # local midnights; days on which the zone changes offset must not use it
    tz, day = zone_day
    cal = _zoned(tz, around_the_clock)
    index = cal.working_time
    # a position within that day's working time (none on a closed day)
    target = index.cum_us[day] + micros % (index.cum_us[day + 1] - index.cum_us[day] + 1)
    fast = cal.working_time.instant_at(target)
    # the same conversion without the cache
    j = bisect.bisect_left(index.cum_us, target, 1) - 1
    rem = target - index.cum_us[j]
    tod = 0
    for s, e, before in index.day_intervals[j]:
        if rem <= before + e - s:
            tod = s + rem - before
            break
    assert fast == cal.working_time.wall_to_utc(index.first_ordinal + j, tod)
    assert fast.tzinfo is dt.timezone.utc
