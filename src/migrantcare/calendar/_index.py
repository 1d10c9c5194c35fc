"""The working-time index of a calendar: days and working time as integers.

A calendar's days are numbered from its first day (``day number = ordinal - first
ordinal``), and working time is counted as a *position*: the working microseconds from
the start of the first day. :class:`DayTable` holds the per-day facts (built once per
set of days and hours, shared by calendars that differ only in zone or strictness);
:class:`WorkingTimeIndex` reads them in the calendar's zone.

This is the one internal API the SLA arithmetic and the reports use to reach the
calendar's index (``WorkingCalendar.working_time``): deadlines and budgets become
subtractions and one bisection, with no ``pendulum`` object built on the way.
"""

from __future__ import annotations

import datetime as _dt
from bisect import bisect_left
from collections.abc import Sequence
from typing import Final

import attrs
from pendulum.tz.timezone import Timezone

from migrantcare._time import micros, require_aware, to_zone_fields
from migrantcare._validate import quote
from migrantcare.calendar._holidays import Holiday, unsettled_year
from migrantcare.calendar._schedule import WorkSchedule
from migrantcare.exceptions import (
    CalendarCoverageError,
    DateOutOfRangeError,
    InvalidArgumentError,
    WrongTypeError,
)

_US_PER_MINUTE = 60_000_000
#: The origin of the integer instants of :meth:`WorkingTimeIndex.day_segments`.
_EPOCH = _dt.datetime(1, 1, 1, tzinfo=_dt.timezone.utc)
_TimeDelta = _dt.timedelta
#: The one offset of ``instant_at``'s call of ``instants_after``.
_AT_ORIGIN: Final = (0,)
#: Not computed yet (a cache's empty value).
_UNKNOWN: Final = object()
_UTC = _dt.timezone.utc
_Date = _dt.date
_DateTime = _dt.datetime
_ONE_DAY = _dt.timedelta(days=1)

#: One interval of a day in microseconds: (start, end, working time before it that day).
DayIntervals = tuple[tuple[int, int, int], ...]
#: A day's working intervals as (end position, base of its instants, or None).
DaySegments = tuple[tuple[int, int | None], ...]


#: A schedule over a span of dates: (first date, last date, schedule), both included.
DatedSchedule = tuple[_dt.date, _dt.date, WorkSchedule]


@attrs.frozen(eq=False)
class DayTable:
    """The per-day facts of a calendar's days and hours, whatever its zone.

    Attributes:
        first_ordinal: The ordinal of the first day (day number 0).
        n_days: How many days the calendar covers.
        cum_days: ``cum_days[i]``: working days in ``[day 0, day i)``.
        workdays: The working days, in order.
        cum_us: ``cum_us[i]``: working microseconds in ``[day 0, day i)``.
        day_intervals: Each day's working intervals (empty on a closed day).
        by_year: The holidays of each covered year.
        by_ordinal: The holidays on each ordinal that has any.
        provisional_years: Years with estimated holidays or undecreed cuti bersama.
        collective_leave_years: The years whose cuti bersama is decreed in the data.
        reasons: A memo of unsettled-year texts, by (first year, last year, language).
    """

    first_ordinal: int
    n_days: int
    cum_days: list[int]
    workdays: list[_dt.date]
    cum_us: list[int]
    day_intervals: list[DayIntervals]
    by_year: dict[int, tuple[Holiday, ...]]
    by_ordinal: dict[int, tuple[Holiday, ...]]
    provisional_years: frozenset[int]
    collective_leave_years: range = range(0)
    # SLA statuses ask for the text of every provisional deadline they show
    reasons: dict[tuple[int, int, str], str] = attrs.field(factory=dict)


def _per_day_schedules(
    first: int, n_days: int, schedule: WorkSchedule, ranges: Sequence[DatedSchedule]
) -> list[WorkSchedule]:
    # later ranges win over earlier ones, and all of them over the default schedule
    per_day: list[WorkSchedule] = [schedule] * n_days
    for start, end, dated in ranges:
        lo = max(start.toordinal() - first, 0)
        hi = min(end.toordinal() - first, n_days - 1)
        for i in range(lo, hi + 1):
            per_day[i] = dated
    return per_day


class _Intervals:
    """One shared tuple of intervals per (schedule, weekday): 50 years hold ~20."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, int], DayIntervals] = {}

    def of(self, schedule: WorkSchedule, weekday: int) -> DayIntervals:
        key = (id(schedule), weekday)
        cached = self.cache.get(key)
        if cached is None:
            before, parts = 0, []
            for s, e in schedule.days[weekday]:
                parts.append((s * _US_PER_MINUTE, e * _US_PER_MINUTE, before))
                before += (e - s) * _US_PER_MINUTE
            cached = self.cache[key] = tuple(parts)
        return cached


def build_day_table(  # noqa: PLR0917 - called once per calendar with every input spelled out
    first_year: int,
    last_year: int,
    holidays: tuple[Holiday, ...],
    schedule: WorkSchedule,
    ranges: Sequence[DatedSchedule],
    collective_leave_years: range,
) -> DayTable:
    """Build the :class:`DayTable` of the years ``first_year..last_year``.

    ``ranges`` are schedules over spans of dates, later ones winning.
    """
    first = _dt.date(first_year, 1, 1).toordinal()
    n_days = _dt.date(last_year, 12, 31).toordinal() - first + 1
    by_ordinal: dict[int, list[Holiday]] = {}
    by_year: dict[int, list[Holiday]] = {y: [] for y in range(first_year, last_year + 1)}
    for h in holidays:
        by_ordinal.setdefault(h.date.toordinal(), []).append(h)
        by_year[h.date.year].append(h)
    per_day = _per_day_schedules(first, n_days, schedule, ranges)
    intervals = _Intervals()
    cum_days = [0] * (n_days + 1)
    cum_us = [0] * (n_days + 1)
    workdays: list[_dt.date] = []
    day_intervals: list[DayIntervals] = []
    empty: DayIntervals = ()
    count = total = 0
    for i in range(n_days):
        ordinal = first + i
        ivs = intervals.of(per_day[i], (ordinal - 1) % 7)  # ordinal 1 (0001-01-01): a Monday
        if ivs and ordinal not in by_ordinal:
            count += 1
            workdays.append(_dt.date.fromordinal(ordinal))
            day_intervals.append(ivs)
            last = ivs[-1]
            total += last[2] + last[1] - last[0]
        else:
            day_intervals.append(empty)
        cum_days[i + 1] = count
        cum_us[i + 1] = total
    provisional = {
        y
        for y in range(first_year, last_year + 1)
        if y not in collective_leave_years or any(h.estimated for h in by_year[y])
    }
    return DayTable(
        first_ordinal=first,
        n_days=n_days,
        cum_days=cum_days,
        workdays=workdays,
        cum_us=cum_us,
        day_intervals=day_intervals,
        by_year={y: tuple(v) for y, v in by_year.items()},
        by_ordinal={o: tuple(v) for o, v in by_ordinal.items()},
        provisional_years=frozenset(provisional),
        collective_leave_years=collective_leave_years,
    )


def describe_years(years: range) -> str:
    """``"2024..2027"``, or ``"none"`` for an empty range."""
    return f"{years[0]}..{years[-1]}" if years else "none"


class WorkingTimeIndex:
    """A calendar's days and working time as integers, read in its zone.

    Internal API of migrantcare (no underscore so that the SLA arithmetic and the
    reports may use it; not exported). A *day number* ``i`` is a local date's ordinal
    minus :attr:`first_ordinal`; a *position* is the working microseconds from the
    start of day 0, so the working time between two instants is the difference of
    their positions, exactly. Every method is O(1) or one bisection.

    The index keeps caches that are pure functions of the days and the zone (each
    day's conversion to instants, the zone's fixed offset, working-day closes), so
    the SLA part's repeated queries cost little.

    Attributes:
        table: The days and hours (shared with calendars in other zones).
        zone: The calendar's zone.
        first_ordinal: The ordinal of day number 0.
        n_days: How many days the calendar covers.
        cum_days: ``cum_days[i]``: working days in ``[day 0, day i)``.
        cum_us: ``cum_us[i]``: the position of the start of day ``i``'s working time.
        workdays: The working days, in order.
        day_intervals: Each day's working intervals as (start, end, working time
            before it that day), in microseconds since local midnight.
        first_year: The first covered year.
        last_year: The last covered year.
    """

    __slots__ = (
        "_closes",
        "_fixed",
        "_segments",
        "_starts",
        "cum_days",
        "cum_us",
        "day_intervals",
        "first_ordinal",
        "first_year",
        "last_year",
        "n_days",
        "table",
        "workdays",
        "zone",
    )

    def __init__(self, table: DayTable, zone: Timezone) -> None:
        """Index ``table`` in ``zone``."""
        self.table = table
        self.zone = zone
        self.first_ordinal = table.first_ordinal
        self.n_days = table.n_days
        self.cum_days = table.cum_days
        self.cum_us = table.cum_us
        self.workdays = table.workdays
        self.day_intervals = table.day_intervals
        self.first_year = _Date.fromordinal(table.first_ordinal).year
        self.last_year = _Date.fromordinal(table.first_ordinal + table.n_days - 1).year
        # the zone's one UTC offset over the calendar's days, None if it changes: found
        # on first use
        self._fixed: _dt.timedelta | object | None = _UNKNOWN
        # day number -> its working intervals as (end position, instant base)
        self._segments: dict[int, DaySegments] = {}
        # (day number, n) -> close of business of the n-th working day from it (UTC
        # instant, position): every working-day deadline is one
        self._closes: dict[tuple[int, int], tuple[_dt.datetime, int]] = {}
        # day number -> position of its first instant, on days without a local midnight
        self._starts: dict[int, int] = {}

    @property
    def provisional_years(self) -> frozenset[int]:
        """Years whose holidays are estimated or whose cuti bersama is not decreed."""
        return self.table.provisional_years

    # ------------------------------------------------------------------ days

    def day_number(self, ordinal: int, what: str, value: _DateTime | None = None) -> int:
        """Return the day number of local ``ordinal``, or refuse a day outside the years.

        ``value`` is the instant the caller was given, shown in the error; the text is
        built only on failure, as this runs on every arithmetic call.

        Raises:
            DateOutOfRangeError: the day is outside the calendar's years.
        """
        i = ordinal - self.first_ordinal
        if not 0 <= i < self.n_days:
            shown = value.isoformat() if value is not None else _Date.fromordinal(ordinal)
            raise DateOutOfRangeError(
                f"{what} {shown} is outside this calendar's years "
                f"{self.first_year}..{self.last_year}; build one with first_year/last_year "
                "covering it"
            )
        return i

    def day_of(self, value: object, what: str) -> int:
        """The day number of ``value``: a date, or an aware datetime read in the zone.

        Raises:
            WrongTypeError: ``value`` is neither.
            NaiveDatetimeError: it is a naive datetime.
            DateOutOfRangeError: its day is outside the calendar's years.
        """
        if type(value) is _Date:
            ordinal = value.toordinal()
        elif isinstance(value, _DateTime):
            ordinal = to_zone_fields(require_aware(value, what), self.zone)[0]
        elif isinstance(value, _Date):
            ordinal = value.toordinal()
        else:
            raise WrongTypeError(
                f"{what} must be a datetime.date (or an aware datetime), "
                f"got {type(value).__name__} {quote(value)}"
            )
        return self.day_number(ordinal, what)

    def year_of(self, i: int) -> int:
        """The year of day number ``i``."""
        return _Date.fromordinal(self.first_ordinal + i).year

    def date_of(self, i: int) -> _dt.date:
        """The date of day number ``i``."""
        return _Date.fromordinal(self.first_ordinal + i)

    def beyond(self, what: str) -> DateOutOfRangeError:
        """The error for an answer (``what``) past the calendar's last year."""
        return DateOutOfRangeError(
            f"{what} falls outside this calendar's years {self.first_year}..{self.last_year}; "
            "build one with a later last_year"
        )

    def check_settled(self, first: int, last: int) -> None:
        """Refuse (strict calendars) a computation over a provisional year.

        Raises:
            CalendarCoverageError: a year of ``first..last`` is provisional.
        """
        provisional = self.table.provisional_years
        touched = [y for y in range(min(first, last), max(first, last) + 1) if y in provisional]
        if touched:
            raise CalendarCoverageError(
                f"strict calendar: the computation touches {', '.join(map(str, touched))}, whose "
                "holidays are estimated or whose cuti bersama is not yet decreed (decreed: "
                f"{describe_years(self.table.collective_leave_years)}); use a non-strict "
                "calendar or add the decree with with_holidays()"
            )

    def workday_index(self, i: int, n: int) -> int:
        """The index in :attr:`workdays` of the ``n``-th working day from day number ``i``.

        Counted as ``WorkingCalendar.add_working_days`` counts (day ``i`` never counts
        for ``n != 0``).

        Raises:
            DateOutOfRangeError: that working day is outside the calendar's years.
        """
        cum_days = self.cum_days
        if n > 0:
            k = cum_days[i + 1] + n - 1
        elif n < 0:
            k = cum_days[i] + n
        else:
            k = cum_days[i]
        if not 0 <= k < len(self.workdays):
            raise self.beyond(f"{n} working days from {self.date_of(i)}")
        return k

    # ------------------------------------------------------------------ positions

    def locate(self, value: object, what: str = "instant") -> tuple[int, int]:
        """Return (day number, position) of an aware instant, read in the zone.

        Raises:
            NaiveDatetimeError: ``value`` is not an aware datetime.
            DateOutOfRangeError: its local day is outside the calendar's years.
        """
        if type(value) is _DateTime and value.tzinfo is _UTC and 1 < value.year < 9999:
            # the SLA part's instants (plain UTC, far from the ends of time): inline
            fixed = self._fixed
            if fixed is _UNKNOWN:
                fixed = self.fixed_offset()
            # a zone with one offset over the calendar's years (all of Indonesia's) needs
            # no zone lookup: the wall time is the UTC time plus the offset
            local = value.astimezone(self.zone) if fixed is None else value + fixed  # type: ignore[operator]
            ordinal = local.toordinal()
            tod = (
                local.hour * 3600 + local.minute * 60 + local.second
            ) * 1_000_000 + local.microsecond
        else:
            if not isinstance(value, _DateTime) or value.utcoffset() is None:
                require_aware(value, what)
            assert isinstance(value, _DateTime)
            ordinal, tod = to_zone_fields(value, self.zone)
        i = ordinal - self.first_ordinal
        if not 0 <= i < self.n_days:
            i = self.day_number(ordinal, what, value)  # raises, naming the instant
        pos = self.cum_us[i]
        for s, e, before in self.day_intervals[i]:
            if tod < e:
                pos += before + tod - s if tod > s else before
                return i, pos
        return i, self.cum_us[i + 1]

    def position(self, instant: _dt.datetime) -> int:
        """The position of the aware ``instant`` (working µs since the first day began).

        Raises:
            NaiveDatetimeError: ``instant`` is naive.
            DateOutOfRangeError: its local day is outside the calendar's years.
        """
        return self.locate(instant, "instant")[1]

    def day_start(self, i: int) -> int:
        """The position of the first instant of day number ``i``.

        That is :attr:`cum_us` ``[i]``, except on a day whose local midnight falls in a
        gap of the zone (a DST change at midnight, e.g. São Paulo's until 2019): its
        first instant is the end of the gap, which has the working time of the wall
        hours skipped before it.
        """
        fixed = self._fixed
        if fixed is _UNKNOWN:
            fixed = self.fixed_offset()
        if fixed is not None:
            return self.cum_us[i]
        found = self._starts.get(i)
        if found is None:
            start = self._wall_to_utc(self.first_ordinal + i, 0)
            found = self._starts[i] = self.locate(start, "start of day")[1]
        return found

    def day_reaching(self, i: int, target: int) -> int | None:
        """The day number, ``i`` or later, on which position ``target`` is reached.

        ``None`` when the calendar's working time ends before it.
        """
        k = bisect_left(self.cum_us, target, i + 1)
        return None if k > self.n_days else k - 1

    def close_of_day(self, i: int) -> int:
        """The local time of day (µs) at which working day number ``i`` closes.

        Raises:
            InvalidArgumentError: day ``i`` is not a working day.
        """
        intervals = self.day_intervals[i]
        if not intervals:
            raise InvalidArgumentError(
                f"{self.date_of(i).isoformat()} is not a working day; "
                "close of business exists only on working days"
            )
        return intervals[-1][1]

    def holidays_in(self, year: int) -> tuple[Holiday, ...]:
        """The holidays of ``year``, sorted by date.

        Raises:
            DateOutOfRangeError: ``year`` is outside the calendar's years.
        """
        try:
            return self.table.by_year[year]
        except KeyError:
            raise DateOutOfRangeError(
                f"year {year} is outside this calendar's years {self.first_year}..{self.last_year}"
            ) from None

    def close_position(self, ordinal: int) -> int:
        """The position of the close of business of day ``ordinal``."""
        return self.cum_us[ordinal - self.first_ordinal + 1]

    def close_utc(self, ordinal: int) -> _dt.datetime | None:
        """Close of business of day ``ordinal`` as a UTC instant, ``None`` if not working.

        Raises:
            DateOutOfRangeError: the day is outside the calendar's years.
        """
        i = ordinal - self.first_ordinal
        if not 0 <= i < self.n_days:
            raise self.beyond(f"day {_Date.fromordinal(ordinal)}")
        if not self.day_intervals[i]:
            return None
        return self.instant_at(self.cum_us[i + 1])

    def working_days_close(self, i: int, n: int) -> tuple[_dt.datetime, int]:
        """Close of business of the ``n``-th working day from day number ``i``.

        Returns its UTC instant and its position (every working-days deadline is one).

        Raises:
            DateOutOfRangeError: that working day is outside the calendar's years.
        """
        closes = self._closes
        found = closes.get((i, n))
        if found is not None:
            return found
        j = self.workdays[self.workday_index(i, n)].toordinal() - self.first_ordinal
        position = self.cum_us[j + 1]
        # a working day's close of business is where its last interval ends
        found = closes[i, n] = (self.instant_at(position), position)
        return found

    # ------------------------------------------------------------------ instants

    def instant_at(self, target: int) -> _dt.datetime:
        """The UTC instant at position ``target`` (the inverse of :meth:`position`).

        A position at the end of an interval is that end (12:00, not 13:00 after the
        break).

        Raises:
            DateOutOfRangeError: ``target`` is past the calendar's last working time.
        """
        return self.instants_after(target, _AT_ORIGIN)[0]

    def instants_after(self, origin: int, offsets: Sequence[int]) -> tuple[_dt.datetime, ...]:
        """:meth:`instant_at` of ``origin + offset`` for each offset, in one call.

        Raises:
            DateOutOfRangeError: a position is past the calendar's last working time.
        """
        cum = self.cum_us
        n_days = self.n_days
        cached = self._segments
        out = []
        # the day found last: a clock's offsets ascend, and often fall on one day
        k, low, high = 0, 0, -1
        segments: DaySegments = ()
        for offset in offsets:
            target = origin + offset
            if not low < target <= high:
                k = bisect_left(cum, target, 1)
                if k > n_days:
                    raise self.beyond(f"working position {target}")
                low, high = cum[k - 1], cum[k]
                segments = cached.get(k - 1) or self.day_segments(k - 1)
            for end, base in segments:
                if target <= end:
                    if base is not None:
                        out.append(_EPOCH + _TimeDelta(0, 0, base + target))
                    else:
                        out.append(self.exact_instant(k - 1, target))
                    break
            else:
                out.append(self.exact_instant(k - 1, target))
        return tuple(out)

    def day_segments(self, j: int) -> DaySegments:
        """Day ``j``'s working intervals as (end position, base), cached.

        The instant at a position ``p <= end`` inside the interval is ``0001-01-01 UTC +
        (base + p)`` µs. The base is None on a day on which the zone changes its offset:
        such a day takes the exact conversion each time.
        """
        midnight = self._utc_midnight(self.first_ordinal + j)
        origin = None if midnight is None else micros(midnight - _EPOCH)
        day_start = self.cum_us[j]
        segments = tuple(
            (
                day_start + before + e - s,
                None if origin is None else origin + s - before - day_start,
            )
            for s, e, before in self.day_intervals[j]
        )
        self._segments[j] = segments
        return segments

    def wall_time(self, j: int, target: int) -> int:
        """The local time of day (µs since midnight) at which day ``j`` reaches ``target``."""
        rem = target - self.cum_us[j]
        for s, e, before in self.day_intervals[j]:
            if rem <= before + e - s:
                return s + rem - before
        return 0

    def exact_instant(self, j: int, target: int) -> _dt.datetime:
        """:meth:`instant_at` of a position reached on day ``j``, by the local wall time."""
        return self._wall_to_utc(self.first_ordinal + j, self.wall_time(j, target))

    def wall_to_utc(self, ordinal: int, tod: int) -> _dt.datetime:
        """Local wall time (day ``ordinal``, ``tod`` µs) as a UTC instant (fold 0)."""
        return self._wall_to_utc(ordinal, tod)

    def _wall_to_utc(self, ordinal: int, tod: int) -> _dt.datetime:
        # like from_zone_fields, without building pendulum objects
        wall = _dt.datetime.fromordinal(ordinal) + _dt.timedelta(microseconds=tod)
        offset = self.zone.utcoffset(wall)
        assert offset is not None  # a zone has an offset at every wall time
        return (wall - offset).replace(tzinfo=_dt.timezone.utc)

    def _utc_midnight(self, ordinal: int) -> _dt.datetime | None:
        """Local midnight of day ``ordinal`` in UTC, if the day has one offset throughout.

        ``None`` for a day on which the zone changes its offset (DST, a zone change). A
        zone does not change and change back within one day, so equal offsets at both
        midnights mean one offset.
        """
        day = _dt.datetime.fromordinal(ordinal)
        offset = self.zone.utcoffset(day)
        if offset is None or offset != self.zone.utcoffset(day + _ONE_DAY):
            return None
        return (day - offset).replace(tzinfo=_dt.timezone.utc)

    def fixed_offset(self) -> _dt.timedelta | None:
        """The zone's UTC offset if it is the same over all the calendar's days, else None.

        A zone does not change its offset and back within one day, so equal offsets at
        every local midnight (and the one after the last day) mean one offset.
        """
        fixed = self._fixed
        if fixed is _UNKNOWN:
            zone = self.zone
            first = _DateTime.fromordinal(self.first_ordinal)
            offsets = {zone.utcoffset(first + _TimeDelta(days=i)) for i in range(self.n_days + 1)}
            fixed = self._fixed = offsets.pop() if len(offsets) == 1 else None
        return fixed  # type: ignore[return-value]

    # ------------------------------------------------------------------ coverage

    def unsettled_reason(self, first: int, last: int, lang: str) -> str:
        """Why answers over the years ``first..last`` may move, or ``""`` (memoised).

        ``lang`` is a label language (``"id"`` or ``"en"``); the text is
        ``WorkingCalendar.provisional_reason``'s.
        """
        table = self.table
        key = (first, last, lang)
        found = table.reasons.get(key)
        if found is None:
            decreed = table.collective_leave_years
            parts = [
                unsettled_year(
                    year,
                    decreed=year in decreed,
                    earlier=bool(decreed) and year < decreed.start,
                    estimated=sum(h.estimated for h in table.by_year[year]),
                    lang=lang,
                )
                for year in range(first, last + 1)
                if year in table.provisional_years
            ]
            found = "; ".join(parts)
            if len(table.reasons) < 4096:  # a bound on memory, not a correctness matter
                table.reasons[key] = found
        return found
