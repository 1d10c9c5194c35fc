"""Every error migrantcare raises.

All of them derive from :class:`MigrantCareError`, so a host can catch the library's
errors in one place. Each one *also* derives from the builtin exception that fits
(``ValueError``, ``LookupError``, ``TypeError``), so code that already catches those
keeps working.

Messages name the offending value and what would have been accepted. They never
contain a worker's personal data (names, passport numbers, NIK, phone numbers).
"""

from __future__ import annotations

__all__ = [
    "CalendarCoverageError",
    "DateOutOfRangeError",
    "InvalidArgumentError",
    "InvalidScheduleError",
    "MigrantCareError",
    "NaiveDatetimeError",
    "UnknownProvinceError",
    "UnknownTimezoneError",
    "WrongTypeError",
]


class MigrantCareError(Exception):
    """Root of every error raised by migrantcare."""


class NaiveDatetimeError(MigrantCareError, ValueError):
    """A datetime without a time zone was given where an instant is needed.

    migrantcare never guesses a zone: a naive ``10:00`` in a complaint from Hong Kong
    and the same ``10:00`` in a Jakarta office are an hour apart.
    """


class WrongTypeError(MigrantCareError, TypeError):
    """An argument has the wrong type (e.g. a float where a whole number of days is needed)."""


class InvalidArgumentError(MigrantCareError, ValueError):
    """An argument has the right type but an impossible value (e.g. an end before its start)."""


class InvalidScheduleError(MigrantCareError, ValueError):
    """A working schedule is malformed: inverted, overlapping or out-of-day intervals."""


class UnknownProvinceError(MigrantCareError, LookupError):
    """A province name is not one of Indonesia's 38 provinces."""


class UnknownTimezoneError(MigrantCareError, LookupError):
    """A time-zone name is not a known IANA zone."""


class DateOutOfRangeError(MigrantCareError, ValueError):
    """A date, or the result of an arithmetic step, falls outside the years a calendar covers."""


class CalendarCoverageError(MigrantCareError, ValueError):
    """A strict calendar was asked to compute across a year whose holidays are not decreed.

    Raised only by calendars built with ``strict=True``; the default calendar computes on
    the estimated data and reports it as provisional instead.
    """
