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
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pendulum
from pendulum.tz.timezone import Timezone

from migrantcare._locales import label_language
from migrantcare._time import (
    from_zone_fields,
    require_aware,
    to_zone,
    to_zone_fields,
    zone,
)
from migrantcare._validate import quote
from migrantcare.calendar._edits import (
    added_holidays,
    check_year_span,
    checked_dates,
    checked_span,
    closure_names,
    delta_micros,
    fingerprint,
    removed_holidays,
)
from migrantcare.calendar._formats import BusdayCalendar, busday_arguments, ics_text
from migrantcare.calendar._holidays import (
    Holiday,
    HolidayKind,
    load_indonesia,
)
from migrantcare.calendar._index import (
    DayTable,
    WorkingTimeIndex,
    build_day_table,
)
from migrantcare.calendar._regions import PROVINCE_TIMEZONES, province_name
from migrantcare.calendar._schedule import WorkSchedule
from migrantcare.exceptions import (
    InvalidArgumentError,
    WrongTypeError,
)

_DEFAULT_FIRST_YEAR = 1990
_DEFAULT_LAST_YEAR = 2040
_Date = _dt.date
_DateTime = _dt.datetime


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
    _index: DayTable | None = attrs.field(default=None, eq=False, kw_only=True)
    _version: str = attrs.field(init=False, eq=False, repr=False)
    _working_time: WorkingTimeIndex = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Derived values on a frozen class: set once here, never changed afterwards.
        object.__setattr__(self, "_zone", zone(self.tz))
        if self.last_year < self.first_year:
            raise InvalidArgumentError(
                f"last_year {self.last_year} is before first_year {self.first_year}"
            )
        ranges = [(r.start, r.end, r.schedule) for r in self.schedule_ranges]
        args = (self.first_year, self.last_year, self.holiday_list, self.schedule, ranges)
        object.__setattr__(self, "_version", fingerprint(self.tz, *args))
        table = self._index
        if table is None:
            table = build_day_table(*args, self.collective_leave_years)
            object.__setattr__(self, "_index", table)
        # its caches are functions of the days and the zone: a new one per calendar
        object.__setattr__(self, "_working_time", WorkingTimeIndex(table, self._zone))

    def __reduce__(self) -> tuple[Any, ...]:
        # A copy (pickle, deepcopy) starts its working-time caches afresh; the day table
        # travels as it is (building it again costs twice as much as reading it).
        fields = (self.tz, self.first_year, self.last_year, self.holiday_list, self.schedule)
        rest = (self.schedule_ranges, self.collective_leave_years, self.strict, self._index)
        return (_calendar_from, (*fields, *rest))

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
        check_year_span(first_year, last_year)
        holidays, coverage = load_indonesia(first_year, last_year)
        hours = schedule if schedule is not None else WorkSchedule.civil_service()
        return cls(tz, first_year, last_year, holidays, hours, (), coverage, strict)

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
    def _day(self, value: object, what: str) -> int:
        return self._working_time.day_of(value, what)

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
        cum_days = self._working_time.cum_days
        return cum_days[i + 1] != cum_days[i]

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
        index = self._working_time
        result = index.workdays[index.workday_index(i, n)]
        if self.strict:
            index.check_settled(index.year_of(i), result.year)
        return result

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
        index = self._working_time
        if type(end) is _Date and end.toordinal() - index.first_ordinal == index.n_days:
            j = index.n_days
        else:
            j = self._day(end, "end")
        if self.strict:
            index.check_settled(index.year_of(i), index.year_of(min(j, index.n_days - 1)))
        return index.cum_days[j] - index.cum_days[i]

    # ------------------------------------------------------------------ working time

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
        us = delta_micros(delta)
        index = self._working_time
        i, pos = index.locate(start, "start")
        if not us:
            ordinal, tod = to_zone_fields(start, self._zone)
            return from_zone_fields(ordinal, tod, self._zone)
        target = pos + us
        j = index.day_reaching(i, target)
        if j is None:
            raise index.beyond(f"{delta} of working time from {start.isoformat()}")
        if self.strict:
            index.check_settled(index.year_of(i), index.year_of(j))
        return from_zone_fields(index.first_ordinal + j, index.wall_time(j, target), self._zone)

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
        index = self._working_time
        i, a = index.locate(start, "start")
        j, b = index.locate(end, "end")
        if self.strict:
            index.check_settled(index.year_of(i), index.year_of(j))
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
        index = self._working_time
        i = self._day(day, "day")
        return from_zone_fields(index.first_ordinal + i, index.close_of_day(i), self._zone)

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

    @property
    def working_time(self) -> WorkingTimeIndex:
        """Days and working time as integers, for the SLA arithmetic (internal API)."""
        return self._working_time

    def start_of_day(self, day: _dt.date) -> pendulum.DateTime:
        """Return local midnight at the start of ``day`` in :attr:`tz`."""
        i = self._day(day, "day")
        return from_zone_fields(self._working_time.first_ordinal + i, 0, self._zone)

    def is_working_time(self, instant: _dt.datetime) -> bool:
        """Return whether the aware ``instant`` falls inside working hours on a working day."""
        ordinal, tod = to_zone_fields(require_aware(instant, "instant"), self._zone)
        index = self._working_time
        i = index.day_number(ordinal, "instant", instant)
        return any(s <= tod < e for s, e, _ in index.day_intervals[i])

    # ------------------------------------------------------------------ holidays and coverage

    def holidays(self, year: int) -> tuple[Holiday, ...]:
        """Return the holidays of ``year`` (every kind, weekends included), sorted by date.

        Examples:
            >>> cal = WorkingCalendar.indonesia()
            >>> leave = [h for h in cal.holidays(2026) if h.kind == "collective_leave"]
            >>> ", ".join(f"{h.date:%d %b}" for h in leave)
            '16 Feb, 18 Mar, 20 Mar, 23 Mar, 24 Mar, 15 May, 28 May, 24 Dec'
        """
        return self._working_time.holidays_in(year if type(year) is int else _whole(year, "year"))

    def holidays_on(self, day: _dt.date) -> tuple[Holiday, ...]:
        """Return the holidays falling on ``day`` (usually zero or one)."""
        i = self._day(day, "day")
        index = self._working_time
        return index.table.by_ordinal.get(index.first_ordinal + i, ())

    @property
    def provisional_years(self) -> frozenset[int]:
        """Years whose holidays include estimated dates or whose cuti bersama is not decreed."""
        return self._working_time.table.provisional_years

    def is_provisional(self, day: _dt.date) -> bool:
        """Return whether ``day``'s year rests on estimated or undecreed holiday data.

        A deadline computed across a provisional year is correct for the data we have,
        but a later decree may move it; recompute it when the decree is published.
        """
        i = self._day(day, "day")
        return self._working_time.year_of(i) in self.provisional_years

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
        year_of = self._working_time.year_of
        first = year_of(self._day(self._local_day(start), "start"))
        last = first if end is None else year_of(self._day(self._local_day(end), "end"))
        return self._working_time.unsettled_reason(min(first, last), max(first, last), language)

    def _local_day(self, value: _dt.date) -> _dt.date:
        if isinstance(value, _dt.datetime):
            return self.local(value).date()
        return value

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

    # ------------------------------------------------------------------ overrides

    def _rebuilt(self, **changes: Any) -> WorkingCalendar:
        return attrs.evolve(self, index=None, **changes)

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
        merged = added_holidays(self.holiday_list, holidays, kind, self._day)
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
        names = closure_names(name, name_en)
        closed = checked_dates(dates, "closure date", self._day)
        return self.with_holidays(dict.fromkeys(closed, names), kind="office")

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
        return self._rebuilt(holiday_list=removed_holidays(self.holiday_list, dates, self._day))

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
        start, end = checked_span(schedule, start, end, self._day)
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
        return ics_text(self, year, lang, name, uid_prefix, dtstamp)

    def to_numpy(self) -> BusdayCalendar:
        """Return the weekmask and holidays for ``numpy.busdaycalendar``.

        The same as :func:`migrantcare.calendar_to_numpy` (see there for the details).

        Examples:
            >>> WorkingCalendar.indonesia().to_numpy().weekmask
            '1111100'
        """
        return busday_arguments(self)


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
    index: DayTable | None,
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
