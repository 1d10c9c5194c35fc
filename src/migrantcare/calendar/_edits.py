"""The checks and the parts of a calendar's variants (``with_holidays`` and the like).

Each function takes the calendar's values (and ``check_day``, the calendar's own check
that a date is inside its years) and returns the values of the new calendar, refusing
bad input with the errors the calendar's methods document.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeGuard

from migrantcare._validate import quote
from migrantcare.calendar._holidays import HOLIDAY_KINDS, Holiday, holiday_sort_key
from migrantcare.calendar._index import DatedSchedule
from migrantcare.calendar._schedule import WorkSchedule
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError

#: The calendar's check that a date is inside its years (raises DateOutOfRangeError).
DayCheck = Callable[[_dt.date, str], object]


def check_year_span(first_year: object, last_year: object) -> None:
    """Refuse a year range a calendar cannot cover.

    Raises:
        WrongTypeError: a year is not an int.
        InvalidArgumentError: the range is empty or outside 1..9998.
    """
    first, last = _year("first_year", first_year), _year("last_year", last_year)
    if not 1 <= first <= last <= 9998:
        raise InvalidArgumentError(
            f"year range {first}..{last} is empty or out of bounds; "
            "need 1 <= first_year <= last_year <= 9998"
        )


def _year(name: str, year: object) -> int:
    """``year`` if it is an int (not a bool or other int subclass)."""
    if type(year) is not int:
        raise WrongTypeError(f"{name} must be an int, got {type(year).__name__} {quote(year)}")
    return year


def delta_micros(delta: object) -> int:
    """``delta`` (working time to add) in whole microseconds.

    Raises:
        WrongTypeError: it is not a ``timedelta``.
        InvalidArgumentError: it is negative.
    """
    if type(delta) is not _dt.timedelta and not isinstance(delta, _dt.timedelta):
        raise WrongTypeError(
            f"delta must be a datetime.timedelta, got {type(delta).__name__} {quote(delta)}"
        )
    if delta < _dt.timedelta(0):
        raise InvalidArgumentError(
            f"delta must not be negative, got {quote(delta)}; working time only moves forward"
        )
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def checked_dates(dates: object, what: str, check_day: DayCheck) -> list[_dt.date]:
    """``dates`` (a date, or an iterable of them) as a list, each inside the years.

    Raises:
        WrongTypeError: a value is not a ``datetime.date`` (datetimes are refused).
        DateOutOfRangeError: a date is outside the calendar's years.
    """
    out = []
    for value in _iterable_of_dates(dates, what):
        d = _date(value, what)
        check_day(d, what)
        out.append(d)
    return out


def _iterable_of_dates(dates: object, what: str) -> Iterable[object]:
    """``dates`` as an iterable: one date is a list of it; text or a mapping is refused."""
    if isinstance(dates, _dt.date):
        return [dates]
    if isinstance(dates, str | bytes | Mapping) or not isinstance(dates, Iterable):
        raise WrongTypeError(
            f"{what}s must be a date or an iterable of dates, got {type(dates).__name__}"
        )
    return dates


def _date(value: object, what: str) -> _dt.date:
    """``value`` if it is a date (a datetime is refused: a calendar's days have no time)."""
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise WrongTypeError(
            f"{what} must be datetime.date values, got {type(value).__name__} {quote(value)}"
        )
    return value


def _holiday(day: _dt.date, names: object, kind: str) -> Holiday:
    if not _is_name_pair(names):
        raise InvalidArgumentError(
            f"holiday {day.isoformat()} needs (name_id, name_en), two non-empty strings, "
            f"got {quote(names)}"
        )
    return Holiday(day, names[0], names[1], kind)  # type: ignore[arg-type]


def _is_name_pair(names: object) -> TypeGuard[tuple[str, str]]:
    """Whether ``names`` is a holiday's (name_id, name_en): two non-empty strings."""
    return (
        isinstance(names, tuple)
        and len(names) == 2
        and all(isinstance(n, str) and n.strip() for n in names)
    )


def added_holidays(
    existing: tuple[Holiday, ...], holidays: object, kind: object, check_day: DayCheck
) -> tuple[Holiday, ...]:
    """``existing`` with ``holidays`` (``{date: (name_id, name_en)}``) of ``kind``, sorted.

    Raises:
        InvalidArgumentError: ``kind`` is not a holiday kind, or a name is empty.
        WrongTypeError: ``holidays`` is not a mapping of dates.
        DateOutOfRangeError: a date is outside the calendar's years.
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
    dates = checked_dates(holidays.keys(), "holiday date", check_day)
    added = [_holiday(d, holidays[d], str(kind)) for d in dates]
    return tuple(sorted(set(existing) | set(added), key=holiday_sort_key))


def closure_names(name: object, name_en: str | None) -> tuple[str, str]:
    """The (Indonesian, English) names of a closure.

    Raises:
        InvalidArgumentError: ``name`` is empty or not a text.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError(f"a closure needs a non-empty name, got {quote(name)}")
    return name, name_en or name


def removed_holidays(
    existing: tuple[Holiday, ...], dates: object, check_day: DayCheck
) -> tuple[Holiday, ...]:
    """``existing`` without any holiday on ``dates``.

    Raises:
        InvalidArgumentError: a date has no holiday to remove (a likely typo).
    """
    drop = set(checked_dates(dates, "holiday date", check_day))
    _check_removable(drop, existing)
    return tuple(h for h in existing if h.date not in drop)


def _check_removable(drop: set[_dt.date], existing: tuple[Holiday, ...]) -> None:
    """Refuse to remove a holiday that is not there: a likely typo in the date."""
    missing = sorted(drop - {h.date for h in existing})
    if missing:
        raise InvalidArgumentError(
            f"no holiday to remove on {', '.join(d.isoformat() for d in missing)}; "
            "only existing holidays can be revoked"
        )


def checked_span(
    schedule: object, start: object, end: object, check_day: DayCheck
) -> tuple[_dt.date, _dt.date]:
    """The dates of a schedule range, checked.

    Raises:
        WrongTypeError: ``schedule`` is not a :class:`WorkSchedule`, or a date not a date.
        InvalidArgumentError: ``end`` is before ``start``.
    """
    if not isinstance(schedule, WorkSchedule):
        raise WrongTypeError(
            f"schedule must be a WorkSchedule, got {type(schedule).__name__} {quote(schedule)}"
        )
    first, last = checked_dates([start, end], "schedule range date", check_day)
    if last < first:
        raise InvalidArgumentError(
            f"schedule range ends ({last.isoformat()}) before it starts ({first.isoformat()})"
        )
    return first, last


def fingerprint(  # noqa: PLR0917 - the values a calendar's answers depend on
    tz: str,
    first_year: int,
    last_year: int,
    holidays: tuple[Holiday, ...],
    schedule: WorkSchedule,
    ranges: Sequence[DatedSchedule],
) -> str:
    """A stable fingerprint of a calendar's days, hours and zone (its ``version``)."""
    digest = hashlib.sha256()
    digest.update(f"{tz}|{first_year}|{last_year}|".encode())
    digest.update(",".join(sorted({h.date.isoformat() for h in holidays})).encode())
    digest.update(repr(schedule.days).encode())
    for start, end, dated in ranges:
        digest.update(f"|{start}|{end}|{dated.days!r}".encode())
    return "cal-" + digest.hexdigest()[:16]
