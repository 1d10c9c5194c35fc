"""Time-zone and instant helpers shared by every part of the library.

Converting with ``pendulum.instance`` costs tens of microseconds per call, which alone
would blow the arithmetic budgets; these helpers do the conversion with the stdlib's
C-implemented ``fromutc`` and build a ``pendulum.DateTime`` directly.
"""

from __future__ import annotations

import datetime as _dt

import pendulum
from pendulum.tz.timezone import Timezone

from migrantcare._validate import quote
from migrantcare.exceptions import (
    DateOutOfRangeError,
    NaiveDatetimeError,
    SchemaError,
    UnknownTimezoneError,
    WrongTypeError,
)

_MICROS_PER_DAY = 86_400_000_000
UTC = _dt.timezone.utc


def micros(delta: _dt.timedelta) -> int:
    """``delta`` in whole microseconds (exact, unlike ``total_seconds() * 1e6``)."""
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def zone(name: str) -> Timezone:
    """Return the pendulum zone called ``name``, or raise a clear error.

    Args:
        name: An IANA zone name such as ``"Asia/Makassar"``.

    Raises:
        WrongTypeError: ``name`` is not a string.
        UnknownTimezoneError: no IANA zone has that name.
    """
    if not isinstance(name, str):
        raise WrongTypeError(
            f"time zone must be an IANA name as str, got {type(name).__name__} {quote(name)}"
        )
    try:
        tz = pendulum.timezone(name)
    except Exception as exc:  # pendulum raises several types for a bad name
        raise UnknownTimezoneError(
            f"unknown time zone {quote(name)}; use an IANA name such as 'Asia/Jakarta' (WIB), "
            "'Asia/Makassar' (WITA) or 'Asia/Jayapura' (WIT)"
        ) from exc
    if not isinstance(tz, Timezone):  # a fixed offset such as "+07:00" has no IANA rules
        raise UnknownTimezoneError(
            f"time zone {name!r} is a fixed offset, not an IANA zone; use e.g. 'Asia/Jakarta'"
        )
    return tz


def require_aware(value: object, what: str = "datetime") -> _dt.datetime:
    """Return ``value`` if it is an aware datetime, else raise a clear error.

    Args:
        value: The object to check.
        what: How the argument is called in the error message.

    Raises:
        WrongTypeError: ``value`` is not a datetime.
        NaiveDatetimeError: ``value`` has no time zone.
    """
    if not isinstance(value, _dt.datetime):
        raise WrongTypeError(
            f"{what} must be a timezone-aware datetime, got {type(value).__name__} {quote(value)}"
        )
    if value.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{what} {value.isoformat()} is naive (it has no time zone); pass an aware "
            "datetime, e.g. pendulum.datetime(2026, 3, 25, 9, tz='Asia/Hong_Kong')"
        )
    return value


def _out_of_range(value: _dt.datetime) -> DateOutOfRangeError:
    return DateOutOfRangeError(
        f"{value.isoformat()} cannot be shown in the office's zone: it is too close to "
        "year 1 or year 9999; pass an instant well inside that range"
    )


def to_zone_fields(value: _dt.datetime, tz: Timezone) -> tuple[int, int]:
    """Return ``(proleptic ordinal, microseconds since local midnight)`` of ``value`` in ``tz``.

    ``value`` must already be known to be aware.

    Raises:
        DateOutOfRangeError: ``value`` in ``tz`` falls before year 1 or after 9999.
    """
    try:
        return _to_zone_fields(value, tz)
    except OverflowError:
        raise _out_of_range(value) from None


def _to_zone_fields(value: _dt.datetime, tz: Timezone) -> tuple[int, int]:
    if type(value) is _dt.datetime:
        local = value.astimezone(tz)  # C fast path for plain datetimes
    else:
        offset = value.utcoffset()
        assert offset is not None  # checked by require_aware
        # A plain datetime makes zoneinfo's C ``fromutc`` fast; pendulum subclasses are slow.
        utc = _dt.datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=tz,
        )
        local = tz.fromutc(utc - offset)
    return local.toordinal(), (
        (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000 + local.microsecond
    )


def from_zone_fields(ordinal: int, micros: int, tz: Timezone) -> pendulum.DateTime:
    """Build the aware ``pendulum.DateTime`` at local ``ordinal`` + ``micros`` in ``tz``."""
    day = _dt.date.fromordinal(ordinal + micros // _MICROS_PER_DAY)
    micros %= _MICROS_PER_DAY
    seconds, us = divmod(micros, 1_000_000)
    minutes, s = divmod(seconds, 60)
    h, m = divmod(minutes, 60)
    return pendulum.DateTime(day.year, day.month, day.day, h, m, s, us, tzinfo=tz)


def to_zone(value: _dt.datetime, tz: Timezone) -> pendulum.DateTime:
    """Return the aware instant ``value`` as a ``pendulum.DateTime`` in ``tz``.

    Raises:
        DateOutOfRangeError: ``value`` in ``tz`` falls before year 1 or after 9999.
    """
    try:
        return _to_zone(value, tz)
    except (OverflowError, ValueError):
        raise _out_of_range(value) from None


def _to_zone(value: _dt.datetime, tz: Timezone) -> pendulum.DateTime:
    if type(value) is _dt.datetime:
        local = value.astimezone(tz)
        return pendulum.DateTime(
            local.year,
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second,
            local.microsecond,
            tzinfo=tz,
            fold=local.fold,
        )
    ordinal, micros = to_zone_fields(value, tz)
    return from_zone_fields(ordinal, micros, tz)


def as_utc(value: _dt.datetime) -> _dt.datetime:
    """Return the aware ``value`` as a plain ``datetime`` in UTC.

    Stored instants are stdlib datetimes: 48 bytes against pendulum's 88, on every event
    of every case a host keeps in memory; building one from fields avoids pendulum's
    slow ``astimezone``.
    """
    if type(value) is _dt.datetime and value.tzinfo is UTC:
        return value
    offset = value.utcoffset()
    assert offset is not None  # callers check awareness first
    return shift_to_utc(value, offset)


def shift_to_utc(value: _dt.datetime, offset: _dt.timedelta) -> _dt.datetime:
    """Return ``value`` (whose UTC offset is ``offset``) as a plain ``datetime`` in UTC.

    Raises:
        DateOutOfRangeError: the instant is outside what a datetime holds in UTC.
    """
    try:
        return (
            _dt.datetime(
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
                tzinfo=UTC,
            )
            - offset
        )
    except OverflowError:
        raise DateOutOfRangeError(
            f"{value.isoformat()} is not an instant a datetime can hold in UTC (years 1 to "
            "9999); pass an instant well inside that range"
        ) from None


def read_utc(text: object) -> _dt.datetime | None:
    """What :func:`parse_utc` makes of an instant written in UTC, or ``None``.

    Loads read thousands of stored instants, nearly all written in UTC: this reads them
    without the general path. ``None`` means only "not that common case": hand the text
    to :func:`parse_utc`, which reads it or says what is wrong.
    """
    if type(text) is str and len(text) <= 64:
        try:
            parsed = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is UTC:
            return parsed  # what as_utc returns for it
    return None


def parse_utc(text: object, what: str = "timestamp") -> _dt.datetime:
    """Parse a stored ISO 8601 instant (with its offset) into a UTC ``datetime``.

    Raises:
        SchemaError: ``text`` is not an ISO 8601 string with a UTC offset.
    """
    if type(text) is not str:
        raise SchemaError(f"a {what} must be an ISO 8601 string, got {type(text).__name__}")
    if len(text) > 64:
        raise SchemaError(f"{what} {quote(text)} is not ISO 8601 (too long)")
    try:
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise SchemaError(f"{what} {quote(text)} is not ISO 8601") from None
    if parsed.utcoffset() is None:
        raise SchemaError(f"{what} {quote(text)} has no UTC offset")
    try:
        return as_utc(parsed)
    except DateOutOfRangeError as exc:
        raise SchemaError(f"{what} {quote(text)}: {exc}") from None
