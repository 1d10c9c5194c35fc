"""Plain JSON for what a service returns: instants, durations and notice values.

Instants become ISO 8601 texts with their offset (``2026-04-09T16:00:00+08:00``), kept in
the zone they are in (a deadline in its office's zone, a stored instant in UTC), or moved
to ``tz`` when one is given; durations become seconds. Notice values, which carry typed
parts for rendering (terms, message references, money), become small tagged objects.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import functools
import math
from collections.abc import Callable
from typing import Any

from migrantcare._time import require_aware, to_zone, zone
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError


def instant(value: _dt.datetime, tz: str | None = None) -> str:
    """Return ``value`` as ISO 8601 with its offset, in zone ``tz`` when given.

    Raises:
        NaiveDatetimeError: ``value`` has no zone.
        UnknownTimezoneError: ``tz`` is not an IANA zone.
    """
    aware = require_aware(value, "instant")
    return (aware if tz is None else to_zone(aware, zone(tz))).isoformat()


def maybe_instant(value: _dt.datetime | None, tz: str | None = None) -> str | None:
    """Like :func:`instant`; ``None`` stays ``None``."""
    return None if value is None else instant(value, tz)


def read_instant(text: object, what: str) -> _dt.datetime:
    """Read an ISO 8601 instant with an offset back (what :func:`instant` wrote).

    Raises:
        WrongTypeError: ``text`` is not a str.
        InvalidArgumentError: it is not ISO 8601, or has no offset.
    """
    if not isinstance(text, str):
        raise WrongTypeError(f"{what} must be an ISO 8601 text, got {type(text).__name__}")
    try:
        value = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(f"{what} is not an ISO 8601 instant: {text[:40]!r}") from None
    if value.utcoffset() is None:
        raise InvalidArgumentError(f"{what} has no UTC offset: {text[:40]!r}")
    return value


def number(value: float, what: str) -> float:
    """Return ``value`` if finite (JSON has no NaN or infinity).

    Raises:
        InvalidArgumentError: it is NaN or infinite.
    """
    if not math.isfinite(value):
        raise InvalidArgumentError(f"{what} is {value}, which JSON cannot carry")
    return value


def seconds(value: _dt.timedelta) -> float:
    """Return a duration in seconds (microseconds kept as the fraction)."""
    return value.total_seconds()


def notice_value(value: Any, tz: str | None = None) -> Any:
    """Return a notice's placeholder value as plain JSON.

    Texts and numbers stay as they are; an instant becomes ISO 8601 with its offset (in
    ``tz`` when given), a date ``YYYY-MM-DD``; a term or a state
    ``{"code", "label_id", "label_en"}``; a holiday ``{"date", "name_id", "name_en"}``;
    a message reference ``{"message"}`` (with ``"count"`` for a plural); money
    ``{"amount", "currency"}`` (the amount as a decimal text); a list, a list of these.
    """
    if isinstance(value, str | bool | int) or value is None:
        return value
    for kind, convert in _notice_forms():
        if isinstance(value, kind):
            return convert(value, tz)
    label = getattr(value, "label", None)
    if callable(label):  # a Term, or a workflow State
        code = getattr(value, "code", None) or getattr(value, "id", None)
        return {"code": code, "label_id": label("id"), "label_en": label("en")}
    raise WrongTypeError(f"a notice value of type {type(value).__name__} has no JSON form")


_NoticeForm = tuple[Any, Callable[[Any, str | None], Any]]


@functools.cache
def _notice_forms() -> tuple[_NoticeForm, ...]:
    """The JSON form of each kind of notice value, in the order they are tried."""
    # imported here: _messages and the vocabularies import much more than this module
    from migrantcare.calendar._holidays import Holiday  # noqa: PLC0415
    from migrantcare.messages._messages import MessageRef, Money, Plural  # noqa: PLC0415

    return (
        (float, lambda value, _tz: number(value, "a notice value")),
        (decimal.Decimal, lambda value, _tz: str(value)),
        (_dt.datetime, instant),
        (_dt.date, lambda value, _tz: value.isoformat()),
        (Plural, lambda value, _tz: {"message": value.key, "count": value.count}),
        (MessageRef, lambda value, _tz: {"message": value.key}),
        (Money, lambda value, _tz: {"amount": str(value.amount), "currency": value.currency}),
        (Holiday, _holiday_json),
        (list | tuple, lambda value, tz: [notice_value(v, tz) for v in value]),
    )


def _holiday_json(value: Any, _tz: str | None) -> dict[str, str]:
    return {"date": value.date.isoformat(), "name_id": value.name_id, "name_en": value.name_en}
