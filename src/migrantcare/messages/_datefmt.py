"""Babel date patterns compiled once per locale into plain Python formatters.

``babel.dates`` re-reads the locale data and dispatches on every field of the pattern for
each value it formats (about 10 µs a date-time). A catalog's ``_format.date`` and
``_format.datetime`` are fixed when it is loaded, so the fields they use (weekday and
month names, day, year, hour, minute, second) are resolved once into a list of steps;
formatting is then a few tuple lookups. A pattern using any other field is formatted by
Babel itself, so the output is always Babel's (a property test compares them).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from types import MappingProxyType

from babel import Locale
from babel.dates import get_day_names, get_month_names, parse_pattern, tokenize_pattern

#: A compiled step: literal text, or a field computed from the value.
_Step = str | Callable[[_dt.date], str]
_WEEKDAY_WIDTH = MappingProxyType(
    {1: "abbreviated", 2: "abbreviated", 3: "abbreviated", 4: "wide", 5: "narrow", 6: "short"}
)
_MONTH_WIDTH = MappingProxyType({3: "abbreviated", 4: "wide", 5: "narrow"})


def _padded(attr: str, num: int) -> Callable[[_dt.date], str]:
    fmt = f"%0{num}d"
    return lambda value: fmt % getattr(value, attr)


def _step(char: str, num: int, locale: Locale) -> _Step | None:
    """The step for one pattern field, or ``None`` if Babel must format the pattern."""
    make = _STEP_FOR_FIELD.get(char)
    return None if make is None else make(char, num, locale)


def _weekday_step(_char: str, num: int, locale: Locale) -> _Step:
    names = get_day_names(_WEEKDAY_WIDTH[num], "format", locale)  # type: ignore[arg-type]
    days = tuple(str(names[i]) for i in range(7))
    return lambda value: days[value.weekday()]


def _month_step(char: str, num: int, locale: Locale) -> _Step:
    if num <= 2:
        return _padded("month", num)
    context = "format" if char == "M" else "stand-alone"
    names = get_month_names(_MONTH_WIDTH[num], context, locale)  # type: ignore[arg-type]
    months = ("", *(str(names[i]) for i in range(1, 13)))
    return lambda value: months[value.month]


def _year_step(_char: str, num: int, _locale: Locale) -> _Step:
    if num == 2:
        return lambda value: f"{value.year:02d}"[-2:]
    return _padded("year", num)


def _number_step(char: str, num: int, _locale: Locale) -> _Step:
    return _padded(_NUMBER_FIELDS[char], num)


def _hour12_step(_char: str, num: int, _locale: Locale) -> _Step:
    fmt = f"%0{num}d"
    return lambda value: fmt % (value.hour % 12 or 12)  # type: ignore[attr-defined,unused-ignore]


_NUMBER_FIELDS = MappingProxyType({"d": "day", "H": "hour", "m": "minute", "s": "second"})
#: The pattern fields compiled into steps; any other is left to Babel.
_STEP_FOR_FIELD: MappingProxyType[str, Callable[[str, int, Locale], _Step]] = MappingProxyType(
    {
        "E": _weekday_step,
        "M": _month_step,
        "L": _month_step,
        "y": _year_step,
        "d": _number_step,
        "H": _number_step,
        "m": _number_step,
        "s": _number_step,
        "h": _hour12_step,
    }
)


def compile_pattern(pattern: str, locale: Locale) -> Callable[[_dt.date], str]:
    """Return a function that formats a date or datetime like ``parse_pattern(pattern)``.

    Args:
        pattern: A Babel (CLDR) date pattern, e.g. ``"EEEE, d MMMM y HH.mm"``.
        locale: The locale whose names it uses.

    Raises:
        ValueError: the pattern does not parse.
    """
    babel_pattern = parse_pattern(pattern)  # raises ValueError on a malformed pattern
    steps: list[_Step] = []
    for kind, token in tokenize_pattern(pattern):
        if kind == "chars":
            assert isinstance(token, str)
            steps.append(token)
            continue
        char, num = token  # type: ignore[str-unpack]
        step = _step(str(char), int(num), locale)
        if step is None:
            return lambda value: str(babel_pattern.apply(value, locale))
        steps.append(step)
    frozen = tuple(steps)
    if all(isinstance(s, str) for s in frozen):
        text = "".join(s for s in frozen if isinstance(s, str))
        return lambda value: text

    def apply(value: _dt.date) -> str:
        return "".join([s if s.__class__ is str else s(value) for s in frozen])  # type: ignore[operator]

    return apply
