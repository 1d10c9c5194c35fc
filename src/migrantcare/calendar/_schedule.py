"""Weekly working schedules: which hours of which weekdays are working time."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from migrantcare._validate import quote
from migrantcare.exceptions import InvalidScheduleError, WrongTypeError

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MINUTES_PER_DAY = 1440

#: One working interval as minutes since local midnight, ``[start, end)``; ``end`` may be 1440.
Interval = tuple[int, int]
#: What callers may write for an interval: ``("07:30", "12:00")`` or two ``datetime.time``.
IntervalLike = tuple["str | _dt.time", "str | _dt.time"]


def _minutes(value: str | _dt.time, *, end: bool) -> int:
    if isinstance(value, _dt.time):
        if value.second or value.microsecond:
            raise InvalidScheduleError(f"schedule times are whole minutes, got {value.isoformat()}")
        return value.hour * 60 + value.minute
    if not isinstance(value, str):
        raise WrongTypeError(
            f"a schedule time must be 'HH:MM' or datetime.time, got {type(value).__name__} "
            f"{quote(value)}"
        )
    return _text_minutes(value, end=end)


def _text_minutes(value: str, *, end: bool) -> int:
    """The minutes since midnight of an ``HH:MM`` text (``24:00`` allowed for an end)."""
    hh, sep, mm = value.partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and 1 <= len(hh) <= 2):
        raise InvalidScheduleError(f"schedule time {quote(value)} is not in 'HH:MM' form")
    total = int(hh) * 60 + int(mm)
    limit = _MINUTES_PER_DAY if end else _MINUTES_PER_DAY - 1
    if int(mm) > 59 or total > limit:
        allowed = "00:00 to 24:00" if end else "00:00 to 23:59"
        raise InvalidScheduleError(f"schedule time {quote(value)} is out of range ({allowed})")
    return total


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _validate_days(
    instance: WorkSchedule,
    attribute: attrs.Attribute[tuple[tuple[Interval, ...], ...]],
    days: tuple[tuple[Interval, ...], ...],
) -> None:
    if type(days) not in (tuple, list):
        raise WrongTypeError(
            f"a schedule's days must be 7 sequences of intervals, got {type(days).__name__}"
        )
    if len(days) != 7:
        raise InvalidScheduleError(
            f"a schedule needs 7 weekdays (Monday to Sunday), got {len(days)}"
        )
    for weekday, intervals in zip(_WEEKDAYS, days, strict=True):
        _check_intervals(weekday, intervals)


def _check_intervals(weekday: str, intervals: Any) -> None:
    """Refuse a day's intervals unless they are sorted, disjoint, forward minute pairs."""
    if type(intervals) not in (tuple, list):
        raise WrongTypeError(
            f"{weekday}: intervals must be a sequence of (start, end) minute pairs, got "
            f"{type(intervals).__name__}"
        )
    previous_end = -1
    for pair in intervals:
        start, end = _interval(weekday, pair)
        if start < previous_end:
            raise InvalidScheduleError(
                f"{weekday}: interval {_fmt(start)}-{_fmt(end)} overlaps the previous one "
                f"(which ends at {_fmt(previous_end)}); intervals must be sorted and disjoint"
            )
        previous_end = end


def _interval(weekday: str, pair: Any) -> Interval:
    """``pair`` if it is a ``(start, end)`` of whole minutes running forward within a day."""
    if type(pair) not in (tuple, list) or len(pair) != 2:
        raise WrongTypeError(f"{weekday}: an interval must be a (start, end) pair")
    start, end = pair
    if type(start) is not int or type(end) is not int:
        raise WrongTypeError(
            f"{weekday}: interval bounds must be whole minutes (int), got "
            f"{type(start).__name__} and {type(end).__name__}"
        )
    if not (0 <= start < _MINUTES_PER_DAY and 0 < end <= _MINUTES_PER_DAY):
        raise InvalidScheduleError(
            f"{weekday}: interval ({start}, {end}) is outside the day "
            "(minutes 0 to 1440 since midnight)"
        )
    if end <= start:
        raise InvalidScheduleError(
            f"{weekday}: interval {_fmt(start)}-{_fmt(end)} ends before it starts; "
            "intervals must run forward within one day"
        )
    return start, end


@attrs.frozen
class WorkSchedule:
    """Working hours for each weekday, in the office's local time.

    A schedule is a value: build one with a constructor such as
    :meth:`civil_service` or :meth:`weekly`; it never changes.

    Attributes:
        name: A short label, e.g. ``"civil_service"``; it enters the calendar's version.
        days: Seven tuples (Monday first) of ``(start, end)`` intervals in minutes since
            local midnight. A weekday with no interval is not a working day.

    Examples:
        >>> WorkSchedule.civil_service().weekly_hours
        datetime.timedelta(days=1, seconds=48600)
    """

    name: str
    days: tuple[tuple[Interval, ...], ...] = attrs.field(validator=_validate_days)

    @classmethod
    def weekly(
        cls,
        name: str = "custom",
        *,
        monday: Sequence[IntervalLike] = (),
        tuesday: Sequence[IntervalLike] = (),
        wednesday: Sequence[IntervalLike] = (),
        thursday: Sequence[IntervalLike] = (),
        friday: Sequence[IntervalLike] = (),
        saturday: Sequence[IntervalLike] = (),
        sunday: Sequence[IntervalLike] = (),
    ) -> WorkSchedule:
        """Build a schedule from per-weekday intervals written as ``("HH:MM", "HH:MM")``.

        Args:
            name: A label for the schedule.
            monday: Working intervals on Mondays, e.g. ``[("07:30", "12:00"), ("13:00", "16:00")]``.
            tuesday: Likewise for Tuesdays.
            wednesday: Likewise for Wednesdays.
            thursday: Likewise for Thursdays.
            friday: Likewise for Fridays.
            saturday: Likewise for Saturdays (e.g. a six-day public-service unit).
            sunday: Likewise for Sundays.

        Raises:
            InvalidScheduleError: an interval is malformed, inverted or overlaps another.
        """
        per_day = (monday, tuesday, wednesday, thursday, friday, saturday, sunday)
        days = tuple(
            tuple(sorted((_minutes(s, end=False), _minutes(e, end=True)) for s, e in _pairs(iv)))
            for iv in per_day
        )
        return cls(name=name, days=days)

    @classmethod
    def civil_service(cls) -> WorkSchedule:
        """The default schedule of a government office (instansi pemerintah).

        Perpres 21/2023 sets Monday to Friday, 37 h 30 min a week excluding breaks, a
        07:30 start, and breaks of 60 minutes (Monday-Thursday) and 90 minutes (Friday).
        The Perpres leaves the end time and the break placement to each agency; our
        choice is Mon-Thu 07:30-12:00 and 13:00-16:00, Fri 07:30-11:30 and 13:00-16:30
        (7 h 30 min every day, 37 h 30 min a week).
        """
        return cls._five_days(
            "civil_service",
            mon_thu=[("07:30", "12:00"), ("13:00", "16:00")],
            friday=[("07:30", "11:30"), ("13:00", "16:30")],
        )

    @classmethod
    def ramadan(cls) -> WorkSchedule:
        """The reduced schedule during Ramadan: 32 h 30 min a week, starting at 08:00.

        Per the MenPANRB circulars (e.g. SE MenPANRB 6/2023): Mon-Thu 08:00-15:00 with a
        break 12:00-12:30, Fri 08:00-15:30 with a break 11:30-12:30.
        """
        return cls._five_days(
            "ramadan",
            mon_thu=[("08:00", "12:00"), ("12:30", "15:00")],
            friday=[("08:00", "11:30"), ("12:30", "15:30")],
        )

    @classmethod
    def _five_days(
        cls, name: str, *, mon_thu: Sequence[IntervalLike], friday: Sequence[IntervalLike]
    ) -> WorkSchedule:
        # Perpres 21/2023 gives Friday a longer break than Monday-Thursday
        return cls.weekly(
            name,
            monday=mon_thu,
            tuesday=mon_thu,
            wednesday=mon_thu,
            thursday=mon_thu,
            friday=friday,
        )

    @classmethod
    def always(cls) -> WorkSchedule:
        """Every hour of every weekday, e.g. the ministry's 24/7 crisis-center hotline.

        Holidays of the calendar still close the day; for pure elapsed time (holidays
        included) count calendar time instead of working time.
        """
        whole = [("00:00", "24:00")]
        return cls.weekly(
            "always",
            monday=whole,
            tuesday=whole,
            wednesday=whole,
            thursday=whole,
            friday=whole,
            saturday=whole,
            sunday=whole,
        )

    def intervals(self, weekday: int) -> tuple[tuple[_dt.time | None, _dt.time | None], ...]:
        """Return the intervals of ``weekday`` (0 = Monday) as ``datetime.time`` pairs.

        An end at midnight (24:00) is returned as ``None``.
        """
        return tuple(
            (_to_time(s), _to_time(e) if e < _MINUTES_PER_DAY else None)
            for s, e in self.days[weekday]
        )

    def working_minutes(self, weekday: int) -> int:
        """Minutes of working time on ``weekday`` (0 = Monday)."""
        return sum(e - s for s, e in self.days[weekday])

    @property
    def weekly_hours(self) -> _dt.timedelta:
        """The working time of a full week without holidays."""
        return _dt.timedelta(minutes=sum(self.working_minutes(d) for d in range(7)))

    def describe(self) -> str:
        """Return a one-line human summary, e.g. ``"Mon 07:30-12:00, 13:00-16:00; ..."``."""
        parts = []
        for weekday, intervals in zip(_WEEKDAYS, self.days, strict=True):
            if intervals:
                spans = ", ".join(f"{_fmt(s)}-{_fmt(e)}" for s, e in intervals)
                parts.append(f"{weekday[:3].title()} {spans}")
        return "; ".join(parts) or "no working time"


def _to_time(minutes: int) -> _dt.time:
    return _dt.time(minutes // 60, minutes % 60)


def _pairs(intervals: Iterable[IntervalLike] | str) -> Iterable[IntervalLike]:
    # A str is iterable too; refuse it before it is read character by character.
    if isinstance(intervals, str | bytes | Mapping) or not isinstance(intervals, Iterable):
        raise WrongTypeError(
            f"a weekday's intervals must be a list of (start, end) pairs, got {quote(intervals)}"
        )
    for pair in intervals:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise WrongTypeError(
                f"a working interval must be a (start, end) pair such as ('07:30', '12:00'), "
                f"got {quote(pair)}"
            )
        yield pair[0], pair[1]
