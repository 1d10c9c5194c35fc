"""The Indonesian working calendar and its deadline arithmetic.

Everything is precomputed once per calendar into flat lists indexed by day number
(``ordinal - first ordinal``), so that every query is O(1) or one bisection whatever
the distance:

* ``cum_days[i]`` — working days in ``[day 0, day i)``; ``working_days_between`` is a
  subtraction and ``add_working_days`` an index into ``workdays``.
* ``cum_us[i]`` — working microseconds in ``[day 0, day i)``; ``add_working_time`` is a
  bisection over it plus a walk over at most a handful of intervals of one day.

Integers in microseconds keep working-time arithmetic exact, so
``working_time_between(s, add_working_time(s, x)) == x`` holds to the microsecond.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import pendulum
from pendulum.tz.timezone import Timezone

from migrantcare._locales import label_language
from migrantcare._time import (
    from_zone_fields,
    micros,
    require_aware,
    to_zone,
    to_zone_fields,
    zone,
)
from migrantcare._validate import quote
from migrantcare.calendar._exports import BusdayCalendar, calendar_to_ics, calendar_to_numpy
from migrantcare.calendar._holidays import (
    HOLIDAY_KINDS,
    Holiday,
    HolidayKind,
    holiday_sort_key,
    load_indonesia,
    unsettled_year,
)
from migrantcare.calendar._regions import PROVINCE_TIMEZONES, province_name
from migrantcare.calendar._schedule import WorkSchedule
from migrantcare.exceptions import (
    CalendarCoverageError,
    DateOutOfRangeError,
    InvalidArgumentError,
    WrongTypeError,
)

_DEFAULT_FIRST_YEAR = 1990
_DEFAULT_LAST_YEAR = 2040
_US_PER_MINUTE = 60_000_000
#: The origin of the integer instants of ``_day_segments`` (µs since then, UTC).
_EPOCH = _dt.datetime(1, 1, 1, tzinfo=_dt.timezone.utc)
_TimeDelta = _dt.timedelta
#: The one offset of ``_instant_at``'s call of ``_instants_after``.
_AT_ORIGIN: Final = (0,)
#: Not computed yet (a cache's empty value).
_UNKNOWN: Final = object()
_UTC = _dt.timezone.utc
_Date = _dt.date
_DateTime = _dt.datetime

#: One interval of a day in microseconds: (start, end, working time before it that day).
_DayIntervals = tuple[tuple[int, int, int], ...]


@attrs.frozen
class ScheduleRange:
    """A schedule that applies on the dates ``start..end`` (both included), e.g. Ramadan.

    Attributes:
        start: First date the schedule applies.
        end: Last date the schedule applies.
        schedule: The schedule used on those dates.
    """

    start: _dt.date
    end: _dt.date
    schedule: WorkSchedule


@attrs.frozen(eq=False)
class _Index:
    first_ordinal: int
    n_days: int
    cum_days: list[int]
    workdays: list[_dt.date]
    cum_us: list[int]
    day_intervals: list[_DayIntervals]
    by_year: dict[int, tuple[Holiday, ...]]
    by_ordinal: dict[int, tuple[Holiday, ...]]
    provisional_years: frozenset[int]
    #: (first year, last year, label language) -> provisional_reason's text: a memo, as
    #: SLA statuses ask it for every provisional deadline they show
    reasons: dict[tuple[int, int, str], str] = attrs.field(factory=dict)


def _build_index(  # noqa: PLR0917 - private, called once with every input spelled out
    first_year: int,
    last_year: int,
    holidays: tuple[Holiday, ...],
    schedule: WorkSchedule,
    ranges: tuple[ScheduleRange, ...],
    collective_leave_years: range,
) -> _Index:
    first = _dt.date(first_year, 1, 1).toordinal()
    n_days = _dt.date(last_year, 12, 31).toordinal() - first + 1
    by_ordinal: dict[int, list[Holiday]] = {}
    by_year: dict[int, list[Holiday]] = {y: [] for y in range(first_year, last_year + 1)}
    for h in holidays:
        by_ordinal.setdefault(h.date.toordinal(), []).append(h)
        by_year[h.date.year].append(h)

    # One shared tuple per (schedule, weekday): a calendar of 50 years holds ~20 distinct ones.
    interval_cache: dict[tuple[int, int], _DayIntervals] = {}

    def intervals_of(sched: WorkSchedule, weekday: int) -> _DayIntervals:
        key = (id(sched), weekday)
        cached = interval_cache.get(key)
        if cached is None:
            before, parts = 0, []
            for s, e in sched.days[weekday]:
                parts.append((s * _US_PER_MINUTE, e * _US_PER_MINUTE, before))
                before += (e - s) * _US_PER_MINUTE
            cached = interval_cache[key] = tuple(parts)
        return cached

    # Later ranges win over earlier ones, and all of them over the default schedule.
    per_day: list[WorkSchedule] = [schedule] * n_days
    for r in ranges:
        lo = max(r.start.toordinal() - first, 0)
        hi = min(r.end.toordinal() - first, n_days - 1)
        for i in range(lo, hi + 1):
            per_day[i] = r.schedule

    cum_days = [0] * (n_days + 1)
    cum_us = [0] * (n_days + 1)
    workdays: list[_dt.date] = []
    day_intervals: list[_DayIntervals] = []
    empty: _DayIntervals = ()
    count = total = 0
    for i in range(n_days):
        ordinal = first + i
        ivs = intervals_of(per_day[i], (ordinal - 1) % 7)  # ordinal 1 (0001-01-01) is a Monday
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
    return _Index(
        first_ordinal=first,
        n_days=n_days,
        cum_days=cum_days,
        workdays=workdays,
        cum_us=cum_us,
        day_intervals=day_intervals,
        by_year={y: tuple(v) for y, v in by_year.items()},
        by_ordinal={o: tuple(v) for o, v in by_ordinal.items()},
        provisional_years=frozenset(provisional),
    )


def _check_year_range(instance: Any, attribute: Any, value: int) -> None:
    if not 1 <= value <= 9998:
        raise InvalidArgumentError(
            f"{attribute.name} must be between 1 and 9998, got {quote(value)}"
        )


@attrs.frozen(repr=False)
class WorkingCalendar:
    """The days and hours on which an Indonesian government office works.

    A calendar is an immutable value. Build one with :meth:`indonesia` or
    :meth:`for_province`; derive variants with the ``with_*`` / ``without_*`` /
    ``in_zone`` methods, which return a new calendar and leave the original unchanged.

    A **working day** is a day on which the schedule has working hours (Monday to
    Friday for the civil service) that is neither a national holiday (libur nasional),
    nor collective leave (cuti bersama), nor an office closure added by the integrator.

    Attributes:
        tz: The IANA zone of the office, e.g. ``"Asia/Makassar"``; all local dates and
            hours are read in it.
        first_year: The first year the calendar covers.
        last_year: The last year the calendar covers.
        holiday_list: Every holiday of every covered year, sorted by date.
        schedule: The default weekly schedule.
        schedule_ranges: Schedules for date ranges (e.g. Ramadan); later ones win.
        collective_leave_years: The years for which cuti bersama is decreed in the data.
        strict: Refuse arithmetic that touches a provisional year (see
            :meth:`is_provisional`) instead of computing on estimated data.
    """

    tz: str
    first_year: int = attrs.field(validator=_check_year_range)
    last_year: int = attrs.field(validator=_check_year_range)
    holiday_list: tuple[Holiday, ...]
    schedule: WorkSchedule
    schedule_ranges: tuple[ScheduleRange, ...] = ()
    collective_leave_years: range = range(0)
    strict: bool = False
    _zone: Timezone = attrs.field(init=False, eq=False)
    _index: _Index | None = attrs.field(default=None, eq=False, kw_only=True)
    _version: str = attrs.field(init=False, eq=False, repr=False)
    _fixed: _dt.timedelta | object | None = attrs.field(init=False, eq=False, repr=False)
    _segments: dict[int, tuple[tuple[int, int | None], ...]] = attrs.field(
        init=False, eq=False, repr=False
    )
    _closes: dict[tuple[int, int], tuple[_dt.datetime, int]] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        # Derived caches on a frozen class: set once here, never changed afterwards.
        object.__setattr__(self, "_zone", zone(self.tz))
        # day index -> that day's working intervals as (end position, instant base), filled
        # by _instant_at (a pure function of the index and the zone, so a cache: SLA
        # deadlines and warnings read it several times per event)
        object.__setattr__(self, "_segments", {})
        # the zone's one UTC offset over the calendar's years, None if it changes; found
        # on first use
        object.__setattr__(self, "_fixed", _UNKNOWN)
        # (day number, n) -> close of business of the n-th working day from that day (UTC
        # instant, position): every working-day deadline is one
        object.__setattr__(self, "_closes", {})
        if self.last_year < self.first_year:
            raise InvalidArgumentError(
                f"last_year {self.last_year} is before first_year {self.first_year}"
            )
        object.__setattr__(self, "_version", self._fingerprint())
        if self._index is None:
            object.__setattr__(
                self,
                "_index",
                _build_index(
                    self.first_year,
                    self.last_year,
                    self.holiday_list,
                    self.schedule,
                    self.schedule_ranges,
                    self.collective_leave_years,
                ),
            )

    def __reduce__(self) -> tuple[Any, ...]:
        # A copy (pickle, deepcopy) starts its caches afresh: their "not looked up yet"
        # marker is this module's own object, which a copied one would not be. The index
        # travels as it is (building it again costs twice as much as reading it).
        return (
            _calendar_from,
            (
                self.tz,
                self.first_year,
                self.last_year,
                self.holiday_list,
                self.schedule,
                self.schedule_ranges,
                self.collective_leave_years,
                self.strict,
                self._index,
            ),
        )

    # ------------------------------------------------------------------ construction

    @classmethod
    def indonesia(
        cls,
        tz: str = "Asia/Jakarta",
        *,
        schedule: WorkSchedule | None = None,
        first_year: int = _DEFAULT_FIRST_YEAR,
        last_year: int = _DEFAULT_LAST_YEAR,
        strict: bool = False,
    ) -> WorkingCalendar:
        """The civil-service calendar of an Indonesian government office.

        Holidays are Indonesia's national holidays and cuti bersama from the ``holidays``
        package (categories ``public`` and ``government``), copied once; the schedule
        defaults to :meth:`WorkSchedule.civil_service` (Perpres 21/2023).

        Args:
            tz: The office's IANA zone: ``"Asia/Jakarta"`` (WIB), ``"Asia/Pontianak"``
                (WIB, West and Central Kalimantan), ``"Asia/Makassar"`` (WITA),
                ``"Asia/Jayapura"`` (WIT) or any other IANA zone.
            schedule: The weekly schedule; civil-service hours when omitted.
            first_year: The first year covered (default 1990).
            last_year: The last year covered (default 2040).
            strict: Refuse arithmetic across provisional years (estimated holidays or
                no decreed cuti bersama) with :class:`CalendarCoverageError`.

        Raises:
            UnknownTimezoneError: ``tz`` is not an IANA zone.
            InvalidArgumentError: the year range is empty or impossible.

        Examples:
            >>> cal = WorkingCalendar.indonesia(tz="Asia/Makassar")
            >>> cal.tz
            'Asia/Makassar'
        """
        zone(tz)  # fail on a bad zone before the expensive data load
        for name, year in (("first_year", first_year), ("last_year", last_year)):
            if type(year) is not int:
                raise WrongTypeError(
                    f"{name} must be an int, got {type(year).__name__} {quote(year)}"
                )
        if not 1 <= first_year <= last_year <= 9998:
            raise InvalidArgumentError(
                f"year range {first_year}..{last_year} is empty or out of bounds; "
                "need 1 <= first_year <= last_year <= 9998"
            )
        holidays, coverage = load_indonesia(first_year, last_year)
        return cls(
            tz=tz,
            first_year=first_year,
            last_year=last_year,
            holiday_list=holidays,
            schedule=schedule if schedule is not None else WorkSchedule.civil_service(),
            collective_leave_years=coverage,
            strict=strict,
        )

    @classmethod
    def for_province(
        cls,
        province: str,
        *,
        schedule: WorkSchedule | None = None,
        first_year: int = _DEFAULT_FIRST_YEAR,
        last_year: int = _DEFAULT_LAST_YEAR,
        strict: bool = False,
    ) -> WorkingCalendar:
        """The civil-service calendar of an office in ``province``, in that province's zone.

        Args:
            province: One of the 38 province names (case-insensitive), e.g.
                ``"Nusa Tenggara Timur"``; see ``migrantcare.PROVINCE_TIMEZONES``.
            schedule: As in :meth:`indonesia`.
            first_year: As in :meth:`indonesia`.
            last_year: As in :meth:`indonesia`.
            strict: As in :meth:`indonesia`.

        Raises:
            UnknownProvinceError: ``province`` is not a province name.

        Examples:
            >>> WorkingCalendar.for_province("nusa tenggara timur").tz
            'Asia/Makassar'
        """
        tz = PROVINCE_TIMEZONES[province_name(province)]
        return cls.indonesia(
            tz, schedule=schedule, first_year=first_year, last_year=last_year, strict=strict
        )

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(tz={self.tz!r}, years={self.first_year}..{self.last_year}, "
            f"schedule={self.schedule.name!r}, ranges={len(self.schedule_ranges)}, "
            f"holidays={len(self.holiday_list)}, strict={self.strict}, version={self.version!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Pretty-printers (IPython, Hypothesis) otherwise dump every holiday field by field.
        printer.text(repr(self))

    # ------------------------------------------------------------------ helpers

    def _idx(self) -> _Index:
        index = self._index
        assert index is not None  # always built in __attrs_post_init__
        return index

    def _day(self, value: object, what: str) -> int:
        """Return the day number of ``value`` (a date, or an aware datetime read in ``tz``)."""
        if type(value) is _Date:
            ordinal = value.toordinal()
        elif isinstance(value, _DateTime):
            ordinal = to_zone_fields(require_aware(value, what), self._zone)[0]
        elif isinstance(value, _Date):
            ordinal = value.toordinal()
        else:
            raise WrongTypeError(
                f"{what} must be a datetime.date (or an aware datetime), "
                f"got {type(value).__name__} {quote(value)}"
            )
        return self._offset(ordinal, what)

    def _offset(self, ordinal: int, what: str, value: _DateTime | None = None) -> int:
        """Return the day number of local ``ordinal``, or refuse a day outside the years.

        ``value`` is the instant the caller was given, shown in the error; the text is
        built only on failure, as this runs on every arithmetic call.
        """
        index = self._idx()
        i = ordinal - index.first_ordinal
        if not 0 <= i < index.n_days:
            shown = value.isoformat() if value is not None else _Date.fromordinal(ordinal)
            raise DateOutOfRangeError(
                f"{what} {shown} is outside this calendar's years "
                f"{self.first_year}..{self.last_year}; build one with first_year/last_year "
                "covering it"
            )
        return i

    def _year(self, i: int) -> int:
        """The year of day number ``i``."""
        return _Date.fromordinal(self._idx().first_ordinal + i).year

    def _check_years(self, first: int, last: int) -> None:
        provisional = self._idx().provisional_years
        touched = [y for y in range(min(first, last), max(first, last) + 1) if y in provisional]
        if touched:
            raise CalendarCoverageError(
                f"strict calendar: the computation touches {', '.join(map(str, touched))}, whose "
                "holidays are estimated or whose cuti bersama is not yet decreed (decreed: "
                f"{_describe_range(self.collective_leave_years)}); use a non-strict calendar or "
                "add the decree with with_holidays()"
            )

    def _beyond(self, what: str) -> DateOutOfRangeError:
        return DateOutOfRangeError(
            f"{what} falls outside this calendar's years {self.first_year}..{self.last_year}; "
            "build one with a later last_year"
        )

    # ------------------------------------------------------------------ working days

    def is_working_day(self, day: _dt.date) -> bool:
        """Return whether ``day`` is a working day of this office.

        Args:
            day: A date, or an aware datetime (its local date in :attr:`tz` is used).

        Raises:
            NaiveDatetimeError: ``day`` is a naive datetime.
            DateOutOfRangeError: ``day`` is outside the covered years.

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia()
            >>> cal.is_working_day(dt.date(2026, 3, 23))  # cuti bersama Idul Fitri
            False
        """
        i = self._day(day, "day")
        index = self._idx()
        return index.cum_days[i + 1] != index.cum_days[i]

    def add_working_days(self, day: _dt.date, n: int) -> _dt.date:
        r"""Return the ``n``-th working day after (``n > 0``) or before (``n < 0``) ``day``.

        ``day`` itself never counts: for ``n >= 1`` the result is the n-th working day
        strictly after ``day``, for ``n <= -1`` the \\|n\\|-th strictly before it. For
        ``n == 0`` the result is ``day`` if it is a working day, else the next one.
        Constant time whatever ``n``. Across a provisional year the answer rests on
        estimated or undecreed holiday data: see :meth:`provisional_reason`.

        Args:
            day: The date to count from (an aware datetime is read in :attr:`tz`).
            n: How many working days to move, a whole number.

        Raises:
            WrongTypeError: ``n`` is not an int.
            DateOutOfRangeError: ``day`` or the result is outside the covered years.
            CalendarCoverageError: a strict calendar would cross a provisional year.

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia()
            >>> cal.add_working_days(dt.date(2026, 3, 17), 1)  # over Nyepi and Lebaran 2026
            datetime.date(2026, 3, 25)
        """
        if type(n) is not int:
            n = _whole(n, "n")
        i = self._day(day, "day")
        index = self._idx()
        result = index.workdays[self._workday_index(i, n)]
        if self.strict:
            self._check_years(self._year(i), result.year)
        return result

    def _workday_index(self, i: int, n: int) -> int:
        """The index in ``workdays`` of the ``n``-th working day from day number ``i``.

        As :meth:`add_working_days` counts.

        Raises:
            DateOutOfRangeError: that working day is outside the calendar's years.
        """
        index = self._idx()
        cum_days = index.cum_days
        if n > 0:
            k = cum_days[i + 1] + n - 1
        elif n < 0:
            k = cum_days[i] + n
        else:
            k = cum_days[i]
        if not 0 <= k < len(index.workdays):
            raise self._beyond(
                f"{n} working days from {_Date.fromordinal(index.first_ordinal + i)}"
            )
        return k

    def working_days_between(self, start: _dt.date, end: _dt.date) -> int:
        """Count the working days in ``[start, end)``.

        Antisymmetric: when ``end < start`` the result is
        ``-working_days_between(end, start)`` (unlike ``numpy.busday_count``, which then
        counts ``(end, start]``). ``end`` may be the day after the last covered day.

        Over a provisional year (estimated religious holidays, or cuti bersama not
        decreed yet: 2028 and later in this release) the count is made on the data there
        is, which has no cuti bersama for that year; :meth:`provisional_reason` says so
        and names the decree that will settle it (a strict calendar refuses instead).

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia()
            >>> cal.working_days_between(dt.date(2026, 3, 16), dt.date(2026, 3, 30))
            5
        """
        i = self._day(start, "start")
        index = self._idx()
        if type(end) is _Date and end.toordinal() - index.first_ordinal == index.n_days:
            j = index.n_days
        else:
            j = self._day(end, "end")
        if self.strict:
            self._check_years(self._year(i), self._year(min(j, index.n_days - 1)))
        return index.cum_days[j] - index.cum_days[i]

    # ------------------------------------------------------------------ working time

    def _position(self, value: object, what: str) -> tuple[int, int]:
        """Return (day number, working µs since the calendar's start) of an aware instant."""
        if type(value) is _DateTime and value.tzinfo is _UTC and 1 < value.year < 9999:
            # the SLA part's instants (plain UTC, far from the ends of time): inline
            fixed = self._fixed
            if fixed is _UNKNOWN:
                fixed = self._find_fixed_offset()
            # a zone with one offset over the calendar's years (all of Indonesia's) needs
            # no zone lookup: the wall time is the UTC time plus the offset
            local = value.astimezone(self._zone) if fixed is None else value + fixed  # type: ignore[operator]
            ordinal = local.toordinal()
            tod = (
                local.hour * 3600 + local.minute * 60 + local.second
            ) * 1_000_000 + local.microsecond
        else:
            if not isinstance(value, _DateTime) or value.utcoffset() is None:
                require_aware(value, what)
            assert isinstance(value, _DateTime)
            ordinal, tod = to_zone_fields(value, self._zone)
        index = self._idx()
        i = ordinal - index.first_ordinal
        if not 0 <= i < index.n_days:
            i = self._offset(ordinal, what, value)  # raises, naming the instant
        pos = index.cum_us[i]
        for s, e, before in index.day_intervals[i]:
            if tod < e:
                if tod > s:
                    pos += before + tod - s
                else:
                    pos += before
                break
        else:
            pos = index.cum_us[i + 1]
        return i, pos

    def add_working_time(self, start: _dt.datetime, delta: _dt.timedelta) -> pendulum.DateTime:
        """Return the earliest instant at which ``delta`` of working time has elapsed.

        Only time inside the schedule's intervals on working days counts, read in the
        calendar's zone. A ``start`` outside working time counts from the next interval's
        start; a result that lands exactly on the end of an interval is that end (12:00,
        not 13:00 after the break). ``start`` may be in any zone (Hong Kong, Riyadh,
        Europe/Berlin on a DST change day): it is converted first. A zero ``delta``
        returns ``start`` itself, in the calendar's zone. Across a provisional year the
        answer rests on estimated or undecreed holiday data: see
        :meth:`provisional_reason`.

        Args:
            start: An aware datetime.
            delta: Working time to add; must not be negative.

        Returns:
            An aware ``pendulum.DateTime`` in :attr:`tz`.

        Raises:
            NaiveDatetimeError: ``start`` has no time zone.
            WrongTypeError: ``delta`` is not a ``timedelta``.
            InvalidArgumentError: ``delta`` is negative.
            DateOutOfRangeError: the result is beyond the covered years.

        Examples:
            >>> import datetime as dt, pendulum
            >>> cal = WorkingCalendar.indonesia()
            >>> start = pendulum.datetime(2026, 3, 19, 10, tz="Asia/Hong_Kong")  # Nyepi
            >>> cal.add_working_time(start, dt.timedelta(hours=8)).isoformat()
            '2026-03-26T08:00:00+07:00'
        """
        if type(delta) is not _dt.timedelta and not isinstance(delta, _dt.timedelta):
            raise WrongTypeError(
                f"delta must be a datetime.timedelta, got {type(delta).__name__} {quote(delta)}"
            )
        if delta < _ZERO:
            raise InvalidArgumentError(
                f"delta must not be negative, got {quote(delta)}; working time only moves forward"
            )
        i, pos = self._position(start, "start")
        index = self._idx()
        if not delta:
            ordinal, tod = to_zone_fields(start, self._zone)
            return from_zone_fields(ordinal, tod, self._zone)
        target = pos + (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        cum = index.cum_us
        k = bisect_left(cum, target, i + 1)
        if k > index.n_days:
            raise self._beyond(f"{delta} of working time from {start.isoformat()}")
        j = k - 1  # the day on which the target is reached
        rem = target - cum[j]
        tod = 0
        for s, e, before in index.day_intervals[j]:
            if rem <= before + e - s:
                tod = s + rem - before
                break
        ordinal = index.first_ordinal + j
        if self.strict:
            self._check_years(self._year(i), self._year(j))
        return from_zone_fields(ordinal, tod, self._zone)

    def _instant_at(self, target: int) -> _dt.datetime:
        """The UTC instant at working position ``target`` (internal; inverse of positions).

        Like :meth:`add_working_time` without building ``pendulum`` objects: the SLA
        part computes several of these on every event that starts a clock.
        """
        return self._instants_after(target, _AT_ORIGIN)[0]

    def _instants_after(self, origin: int, offsets: Sequence[int]) -> tuple[_dt.datetime, ...]:
        """:meth:`_instant_at` of ``origin + offset`` for each offset (one call per clock)."""
        index = self._index
        assert index is not None  # always built in __attrs_post_init__
        cum = index.cum_us
        n_days = index.n_days
        cached = self._segments
        out = []
        # the day found last: a clock's offsets ascend, and often fall on one day
        k, low, high = 0, 0, -1
        segments: tuple[tuple[int, int | None], ...] = ()
        for offset in offsets:
            target = origin + offset
            if not low < target <= high:
                k = bisect_left(cum, target, 1)
                if k > n_days:
                    raise self._beyond(f"working position {target}")
                low, high = cum[k - 1], cum[k]
                segments = cached.get(k - 1) or self._day_segments(k - 1)
            for end, base in segments:
                if target <= end:
                    if base is not None:
                        out.append(_EPOCH + _TimeDelta(0, 0, base + target))
                    else:
                        out.append(self._exact_instant(k - 1, target))
                    break
            else:
                out.append(self._exact_instant(k - 1, target))
        return tuple(out)

    def _day_segments(self, j: int) -> tuple[tuple[int, int | None], ...]:
        """Day ``j``'s working intervals as (end position, base).

        The instant at a position ``p <= end`` inside the interval is ``_EPOCH + (base +
        p)`` µs. The base is None on a day on which the zone changes its offset: such a day
        takes the exact conversion each time.
        """
        index = self._idx()
        midnight = self._utc_midnight(index.first_ordinal + j)
        origin = None if midnight is None else micros(midnight - _EPOCH)
        day_start = index.cum_us[j]
        segments = tuple(
            (
                day_start + before + e - s,
                None if origin is None else origin + s - before - day_start,
            )
            for s, e, before in index.day_intervals[j]
        )
        self._segments[j] = segments
        return segments

    def _exact_instant(self, j: int, target: int) -> _dt.datetime:
        """:meth:`_instant_at` of a position reached on day ``j``, by the local wall time."""
        index = self._idx()
        rem = target - index.cum_us[j]
        tod = 0
        for s, e, before in index.day_intervals[j]:
            if rem <= before + e - s:
                tod = s + rem - before
                break
        return self._wall_to_utc(index.first_ordinal + j, tod)

    def _wall_to_utc(self, ordinal: int, tod: int) -> _dt.datetime:
        """Local wall time (day ``ordinal``, ``tod`` µs) as a UTC instant (fold 0).

        Like ``from_zone_fields``, without building pendulum objects.
        """
        wall = _dt.datetime.fromordinal(ordinal) + _dt.timedelta(microseconds=tod)
        offset = self._zone.utcoffset(wall)
        assert offset is not None  # a zone has an offset at every wall time
        return (wall - offset).replace(tzinfo=_dt.timezone.utc)

    def _utc_midnight(self, ordinal: int) -> _dt.datetime | None:
        """Local midnight of day ``ordinal`` in UTC, if the day has one offset throughout.

        ``None`` for a day on which the zone changes its offset (DST, a zone change):
        those days take the exact conversion each time. A zone does not change and
        change back within one day, so equal offsets at both midnights mean one offset.
        """
        day = _dt.datetime.fromordinal(ordinal)
        offset = self._zone.utcoffset(day)
        if offset is None or offset != self._zone.utcoffset(day + _dt.timedelta(days=1)):
            return None
        return (day - offset).replace(tzinfo=_dt.timezone.utc)

    def _close_position(self, ordinal: int) -> int:
        """Working position of the close of business of day ``ordinal`` (internal)."""
        index = self._idx()
        return index.cum_us[ordinal - index.first_ordinal + 1]

    def _close_utc(self, ordinal: int) -> _dt.datetime | None:
        """Close of business of the day ``ordinal`` as a UTC instant, ``None`` if not working."""
        index = self._idx()
        i = ordinal - index.first_ordinal
        if not 0 <= i < index.n_days:
            raise self._beyond(f"day {_Date.fromordinal(ordinal)}")
        intervals = index.day_intervals[i]
        if not intervals:
            return None
        return self._instant_at(index.cum_us[i + 1])

    def _find_fixed_offset(self) -> _dt.timedelta | None:
        """The zone's UTC offset if it is the same over all the calendar's days, else None.

        A zone does not change its offset and back within one day, so equal offsets at
        every local midnight (and the one after the last day) mean one offset.
        """
        index = self._idx()
        zone = self._zone
        first = _DateTime.fromordinal(index.first_ordinal)
        offsets = {zone.utcoffset(first + _dt.timedelta(days=i)) for i in range(index.n_days + 1)}
        fixed = offsets.pop() if len(offsets) == 1 else None
        object.__setattr__(self, "_fixed", fixed)  # a cache: a function of the zone
        return fixed

    def _working_days_close(self, i: int, n: int) -> tuple[_dt.datetime, int]:
        """Close of business of ``add_working_days(day i, n)``: UTC instant and position.

        Internal: the SLA part's working-day deadlines, from a day number it has.
        """
        closes = self._closes
        found = closes.get((i, n))
        if found is not None:
            return found
        index = self._idx()
        j = index.workdays[self._workday_index(i, n)].toordinal() - index.first_ordinal
        position = index.cum_us[j + 1]
        # a working day's close of business is where its last interval ends
        found = closes[i, n] = (self._instant_at(position), position)
        return found

    def _working_position(self, instant: _dt.datetime) -> int:
        """Working µs from the calendar's first day to the aware ``instant`` (internal)."""
        return self._position(instant, "instant")[1]

    def working_time_between(self, start: _dt.datetime, end: _dt.datetime) -> _dt.timedelta:
        """Return the working time between two aware instants.

        Antisymmetric like :meth:`working_days_between`: negative when ``end < start``.
        Across a provisional year the answer rests on estimated or undecreed holiday
        data: see :meth:`provisional_reason`.

        Examples:
            >>> import pendulum
            >>> cal = WorkingCalendar.indonesia()
            >>> cal.working_time_between(
            ...     pendulum.datetime(2026, 3, 17, 15, tz="Asia/Jakarta"),
            ...     pendulum.datetime(2026, 3, 25, 9, tz="Asia/Jakarta"),
            ... )
            datetime.timedelta(seconds=9000)
        """
        i, a = self._position(start, "start")
        j, b = self._position(end, "end")
        if self.strict:
            self._check_years(self._year(i), self._year(j))
        return _dt.timedelta(microseconds=b - a)

    def close_of_business(self, day: _dt.date) -> pendulum.DateTime:
        """Return the end of the last working interval of working day ``day``, in :attr:`tz`.

        A deadline "within N working days" is due at the close of business of the N-th
        working day: ``cal.close_of_business(cal.add_working_days(start, n))``.

        Raises:
            InvalidArgumentError: ``day`` is not a working day.

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia()
            >>> cal.close_of_business(dt.date(2026, 3, 27)).isoformat()  # a Friday
            '2026-03-27T16:30:00+07:00'
        """
        i = self._day(day, "day")
        index = self._idx()
        intervals = index.day_intervals[i]
        if not intervals:
            raise InvalidArgumentError(
                f"{_Date.fromordinal(index.first_ordinal + i).isoformat()} is not a working day; "
                "close of business exists only on working days"
            )
        return from_zone_fields(index.first_ordinal + i, intervals[-1][1], self._zone)

    def local(self, instant: _dt.datetime) -> pendulum.DateTime:
        """Return the aware ``instant`` as a ``pendulum.DateTime`` in :attr:`tz`.

        Examples:
            >>> import pendulum
            >>> cal = WorkingCalendar.indonesia(tz="Asia/Makassar")
            >>> cal.local(pendulum.datetime(2026, 3, 19, 22, 15, tz="Europe/Berlin")).isoformat()
            '2026-03-20T05:15:00+08:00'
        """
        return to_zone(require_aware(instant, "instant"), self._zone)

    @property
    def zone(self) -> Timezone:
        """The office's zone as a ``pendulum`` (``zoneinfo``) timezone object."""
        return self._zone

    def start_of_day(self, day: _dt.date) -> pendulum.DateTime:
        """Return local midnight at the start of ``day`` in :attr:`tz`."""
        i = self._day(day, "day")
        return from_zone_fields(self._idx().first_ordinal + i, 0, self._zone)

    def is_working_time(self, instant: _dt.datetime) -> bool:
        """Return whether the aware ``instant`` falls inside working hours on a working day."""
        ordinal, tod = to_zone_fields(require_aware(instant, "instant"), self._zone)
        i = self._offset(ordinal, "instant", instant)
        return any(s <= tod < e for s, e, _ in self._idx().day_intervals[i])

    # ------------------------------------------------------------------ holidays and coverage

    def holidays(self, year: int) -> tuple[Holiday, ...]:
        """Return the holidays of ``year`` (every kind, weekends included), sorted by date.

        Examples:
            >>> cal = WorkingCalendar.indonesia()
            >>> leave = [h for h in cal.holidays(2026) if h.kind == "collective_leave"]
            >>> ", ".join(f"{h.date:%d %b}" for h in leave)
            '16 Feb, 18 Mar, 20 Mar, 23 Mar, 24 Mar, 15 May, 28 May, 24 Dec'
        """
        if type(year) is not int:
            year = _whole(year, "year")
        try:
            return self._idx().by_year[year]
        except KeyError:
            raise DateOutOfRangeError(
                f"year {year} is outside this calendar's years {self.first_year}..{self.last_year}"
            ) from None

    def holidays_on(self, day: _dt.date) -> tuple[Holiday, ...]:
        """Return the holidays falling on ``day`` (usually zero or one)."""
        i = self._day(day, "day")
        index = self._idx()
        return index.by_ordinal.get(index.first_ordinal + i, ())

    @property
    def provisional_years(self) -> frozenset[int]:
        """Years whose holidays include estimated dates or whose cuti bersama is not decreed."""
        return self._idx().provisional_years

    def is_provisional(self, day: _dt.date) -> bool:
        """Return whether ``day``'s year rests on estimated or undecreed holiday data.

        A deadline computed across a provisional year is correct for the data we have,
        but a later decree may move it; recompute it when the decree is published.
        """
        i = self._day(day, "day")
        return _Date.fromordinal(self._idx().first_ordinal + i).year in self.provisional_years

    def provisional_reason(
        self, start: _dt.date, end: _dt.date | None = None, *, lang: str = "en"
    ) -> str:
        """Say why an answer over ``start``..``end`` may still move, or ``""`` if it cannot.

        Every answer of this calendar (``working_days_between``, ``add_working_days``,
        deadlines…) over a provisional year is computed on the data we have: estimated
        religious holidays and, for a year whose cuti bersama is not decreed yet, none.
        This names each such year the span touches, what is unsettled in it, and the
        decree that will settle it; recompute (``Workflow.recompute``) once it appears.

        Args:
            start: The first day (a date, or an aware datetime read in the office's zone).
            end: The last day, included; ``start`` when omitted.
            lang: ``"id"`` or ``"en"`` (``"id-ID"``, Accept-Language headers work too).

        Raises:
            DateOutOfRangeError: a day is outside the calendar's years.
            MissingMessageError: ``lang`` is neither Indonesian nor English.

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia()
            >>> cal.working_days_between(dt.date(2028, 1, 3), dt.date(2028, 12, 30))
            247
            >>> cal.provisional_reason(dt.date(2028, 1, 3), dt.date(2028, 12, 30))[:63]
            '2028: no cuti bersama decreed yet, 8 holiday dates estimated (s'
            >>> cal.provisional_reason(dt.date(2026, 1, 5))
            ''
        """
        language = label_language(lang)  # refused even when nothing is provisional
        first = self._year(self._day(self._local_day(start), "start"))
        last = first if end is None else self._year(self._day(self._local_day(end), "end"))
        return self._reason(min(first, last), max(first, last), language)

    def _local_day(self, value: _dt.date) -> _dt.date:
        if isinstance(value, _dt.datetime):
            return self.local(value).date()
        return value

    def _reason(self, first: int, last: int, lang: str) -> str:
        """:meth:`provisional_reason` of the years ``first..last`` (memoised)."""
        index = self._idx()
        key = (first, last, lang)
        found = index.reasons.get(key)
        if found is None:
            decreed = self.collective_leave_years
            parts = [
                unsettled_year(
                    year,
                    decreed=year in decreed,
                    earlier=bool(decreed) and year < decreed.start,
                    estimated=sum(h.estimated for h in index.by_year[year]),
                    lang=lang,
                )
                for year in range(first, last + 1)
                if year in index.provisional_years
            ]
            found = "; ".join(parts)
            if len(index.reasons) < 4096:  # a bound on memory, not a correctness matter
                index.reasons[key] = found
        return found

    @property
    def decreed_through(self) -> int | None:
        """The last year for which cuti bersama is decreed in the data, if any."""
        years = self.collective_leave_years
        return years[-1] if years else None

    @property
    def version(self) -> str:
        """A stable fingerprint of the days, hours and zone this calendar uses.

        Two calendars with the same version give the same answer to every query. Names
        of holidays do not enter it (renaming a holiday moves no deadline).
        """
        return self._version

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        digest.update(f"{self.tz}|{self.first_year}|{self.last_year}|".encode())
        digest.update(",".join(sorted({h.date.isoformat() for h in self.holiday_list})).encode())
        digest.update(repr(self.schedule.days).encode())
        for r in self.schedule_ranges:
            digest.update(f"|{r.start}|{r.end}|{r.schedule.days!r}".encode())
        return "cal-" + digest.hexdigest()[:16]

    # ------------------------------------------------------------------ overrides

    def _rebuilt(self, **changes: Any) -> WorkingCalendar:
        return attrs.evolve(self, index=None, **changes)

    def _checked_dates(self, dates: Iterable[_dt.date], what: str) -> list[_dt.date]:
        if isinstance(dates, _Date):
            dates = [dates]
        if isinstance(dates, str | bytes | Mapping) or not isinstance(dates, Iterable):
            raise WrongTypeError(
                f"{what}s must be a date or an iterable of dates, got {type(dates).__name__}"
            )
        out = []
        for d in dates:
            if not isinstance(d, _Date) or isinstance(d, _DateTime):
                raise WrongTypeError(
                    f"{what} must be datetime.date values, got {type(d).__name__} {quote(d)}"
                )
            self._day(d, what)
            out.append(d)
        return out

    def with_holidays(
        self,
        holidays: Mapping[_dt.date, tuple[str, str]],
        *,
        kind: HolidayKind = "national",
    ) -> WorkingCalendar:
        """Return a new calendar with extra holidays, e.g. from a decree issued late.

        Args:
            holidays: ``{date: (name_id, name_en)}``.
            kind: ``"national"`` or ``"collective_leave"`` (cuti bersama); for office
                closures use :meth:`with_closures`.

        Raises:
            InvalidArgumentError: ``kind`` is not a holiday kind, or a name is empty.
            DateOutOfRangeError: a date is outside the covered years.

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia()
            >>> extra = cal.with_holidays(
            ...     {dt.date(2026, 11, 30): ("Cuti Bersama Contoh", "Example Joint Holiday")},
            ...     kind="collective_leave",
            ... )
            >>> monday = dt.date(2026, 11, 30)
            >>> extra.is_working_day(monday), cal.is_working_day(monday)
            (False, True)
        """
        if kind not in HOLIDAY_KINDS:
            raise InvalidArgumentError(
                f"kind must be one of {', '.join(map(repr, HOLIDAY_KINDS))}, got {quote(kind)}"
            )
        if not isinstance(holidays, Mapping):
            raise WrongTypeError(
                "holidays must be a mapping {date: (name_id, name_en)}, "
                f"got {type(holidays).__name__}"
            )
        dates = self._checked_dates(holidays.keys(), "holiday date")
        added = []
        for d in dates:
            names = holidays[d]
            if not (
                isinstance(names, tuple)
                and len(names) == 2
                and all(isinstance(n, str) and n.strip() for n in names)
            ):
                raise InvalidArgumentError(
                    f"holiday {d.isoformat()} needs (name_id, name_en), two non-empty strings, "
                    f"got {quote(names)}"
                )
            added.append(Holiday(d, names[0], names[1], kind))
        merged = tuple(sorted(set(self.holiday_list) | set(added), key=holiday_sort_key))
        return self._rebuilt(holiday_list=merged)

    def with_closures(
        self,
        dates: Iterable[_dt.date],
        name: str = "Kantor tutup",
        name_en: str | None = None,
    ) -> WorkingCalendar:
        """Return a new calendar in which the office is also closed on ``dates``.

        Args:
            dates: The closed dates (or one date).
            name: The closure's name in Indonesian, e.g. ``"Banjir"``.
            name_en: The name in English; ``name`` when omitted.

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia().with_closures(
            ...     [dt.date(2026, 4, 6)], name="Banjir", name_en="Flood"
            ... )
            >>> cal.holidays_on(dt.date(2026, 4, 6))[0].kind
            'office'
        """
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgumentError(f"a closure needs a non-empty name, got {quote(name)}")
        return self.with_holidays(
            dict.fromkeys(self._checked_dates(dates, "closure date"), (name, name_en or name)),
            kind="office",
        )

    def without_holidays(self, dates: Iterable[_dt.date]) -> WorkingCalendar:
        """Return a new calendar in which ``dates`` are no longer holidays (a revoking decree).

        Every holiday on each date is removed, whatever its kind.

        Raises:
            InvalidArgumentError: a date has no holiday to remove (a likely typo).

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia().without_holidays([dt.date(2026, 12, 24)])
            >>> cal.is_working_day(dt.date(2026, 12, 24))
            True
        """
        drop = set(self._checked_dates(dates, "holiday date"))
        present = {h.date for h in self.holiday_list}
        missing = sorted(drop - present)
        if missing:
            raise InvalidArgumentError(
                f"no holiday to remove on {', '.join(d.isoformat() for d in missing)}; "
                "only existing holidays can be revoked"
            )
        return self._rebuilt(holiday_list=tuple(h for h in self.holiday_list if h.date not in drop))

    def with_schedule(
        self, schedule: WorkSchedule, *, start: _dt.date, end: _dt.date
    ) -> WorkingCalendar:
        """Return a new calendar that uses ``schedule`` on ``start..end`` (both included).

        Examples:
            >>> import datetime as dt
            >>> cal = WorkingCalendar.indonesia().with_schedule(
            ...     WorkSchedule.ramadan(), start=dt.date(2026, 2, 18), end=dt.date(2026, 3, 19)
            ... )
            >>> len(cal.schedule_ranges)
            1

        Raises:
            WrongTypeError: ``schedule`` is not a :class:`WorkSchedule`.
            InvalidArgumentError: ``end`` is before ``start``.
        """
        if not isinstance(schedule, WorkSchedule):
            raise WrongTypeError(
                f"schedule must be a WorkSchedule, got {type(schedule).__name__} {quote(schedule)}"
            )
        start, end = self._checked_dates([start, end], "schedule range date")
        if end < start:
            raise InvalidArgumentError(
                f"schedule range ends ({end.isoformat()}) before it starts ({start.isoformat()})"
            )
        return self._rebuilt(
            schedule_ranges=(*self.schedule_ranges, ScheduleRange(start, end, schedule))
        )

    def in_zone(self, tz: str) -> WorkingCalendar:
        """Return the same days and hours for an office in zone ``tz``.

        Examples:
            >>> WorkingCalendar.indonesia().in_zone("Asia/Jayapura").tz
            'Asia/Jayapura'
        """
        zone(tz)
        # The index depends on days and hours only, so the new zone can share it.
        return attrs.evolve(self, tz=tz, index=self._index)

    def with_strict(self, strict: bool = True) -> WorkingCalendar:
        """Return the same calendar with strict coverage checking switched on or off."""
        return attrs.evolve(self, strict=bool(strict), index=self._index)

    # ------------------------------------------------------------------ exports

    def to_ics(
        self,
        year: int,
        *,
        lang: str = "id",
        name: str | None = None,
        uid_prefix: str = "indonesia",
        dtstamp: _dt.datetime | None = None,
    ) -> str:
        """Return the non-working days of ``year`` as iCalendar text.

        The same as :func:`migrantcare.calendar_to_ics` (see there for the details).

        Examples:
            >>> ics = WorkingCalendar.indonesia().to_ics(2026)
            >>> ics.splitlines()[:2]
            ['BEGIN:VCALENDAR', 'VERSION:2.0']
        """
        return calendar_to_ics(
            self, year, lang=lang, name=name, uid_prefix=uid_prefix, dtstamp=dtstamp
        )

    def to_numpy(self) -> BusdayCalendar:
        """Return the weekmask and holidays for ``numpy.busdaycalendar``.

        The same as :func:`migrantcare.calendar_to_numpy` (see there for the details).

        Examples:
            >>> WorkingCalendar.indonesia().to_numpy().weekmask
            '1111100'
        """
        return calendar_to_numpy(self)


_ZERO = _dt.timedelta(0)


def _calendar_from(  # noqa: PLR0917 - the fields of WorkingCalendar.__reduce__, in order
    tz: str,
    first_year: int,
    last_year: int,
    holiday_list: tuple[Holiday, ...],
    schedule: WorkSchedule,
    schedule_ranges: tuple[ScheduleRange, ...],
    collective_leave_years: range,
    strict: bool,
    index: _Index | None,
) -> WorkingCalendar:
    """A calendar rebuilt from its fields and index: how a pickled one comes back."""
    return WorkingCalendar(
        tz,
        first_year,
        last_year,
        holiday_list,
        schedule,
        schedule_ranges,
        collective_leave_years,
        strict,
        index=index,
    )


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise WrongTypeError(
            f"{what} must be a whole number (int), got {type(value).__name__} {quote(value)}"
        )
    return int(value.__index__())


def _describe_range(years: range) -> str:
    return f"{years[0]}..{years[-1]}" if years else "none"
