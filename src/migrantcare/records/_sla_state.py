"""SLA clock state as stored on a case, and its serialisation.

A clock records facts (when it started, paused, resumed, stopped; which warnings and
breaches were recorded) plus a cache of the instants computed from them on a working
calendar, so a host's scheduler can ask :func:`next_due_at` without a calendar.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import attrs

from migrantcare._time import parse_utc, read_utc
from migrantcare._validate import (
    check_int,
    check_list,
    check_mapping,
    check_text,
    plain_text,
    quote,
)
from migrantcare.exceptions import SchemaError

_new = object.__new__

#: A closed pause: (paused at, resumed at), both UTC.
Pause = tuple[_dt.datetime, _dt.datetime]


class _ClockSlots:
    # The storage of SlaClock. Filling a bare instance of this plain slotted class and
    # giving it its frozen class costs a quarter of attrs' frozen __init__; the SLA
    # part builds clocks on every event that starts or stops one (see new_clock).
    __slots__ = (
        "__weakref__",
        "budget_us",
        "calendar_version",
        "cycle",
        "due_at",
        "goal",
        "paused_since",
        "pauses",
        "provisional",
        "rebased_at",
        "recorded",
        "started_at",
        "stopped_at",
        "used_days",
        "used_us",
        "variant",
        "warn_times",
    )


@attrs.frozen(weakref_slot=False)
class SlaClock(_ClockSlots):
    """One cycle of one SLA goal on one case.

    Attributes:
        goal: The policy's name, e.g. ``"verification"``.
        variant: Which of the goal's policies applies (``"default"``, ``"urgent"``, …).
        cycle: 1 for the first run of this goal on the case; reopening starts cycle 2.
        started_at: When the clock started (UTC).
        pauses: Closed pauses, oldest first.
        paused_since: When the current pause began, if the clock is paused.
        stopped_at: When the clock stopped, if it has.
        recorded: Marks recorded by ``advance``: ``"warning:50"``, ``"breach"``, …
        due_at: Cached deadline (UTC); ``None`` while paused.
        warn_times: Cached instants of the warning thresholds, aligned with the policy's.
        budget_us: Cached active time (µs) from start to deadline, in the policy's measure.
        calendar_version: The calendar the cache was computed on.
        provisional: Whether the cached deadline rests on estimated holiday data.
        rebased_at: When the clock last moved to another office's calendar (a
            transfer); active time is counted on the new calendar from then on.
        used_us: Active time (µs, in the policy's measure) used before ``rebased_at``.
        used_days: Working days used before ``rebased_at`` (working-day targets).
    """

    goal: str
    variant: str
    cycle: int
    started_at: _dt.datetime
    pauses: tuple[Pause, ...] = ()
    paused_since: _dt.datetime | None = None
    stopped_at: _dt.datetime | None = None
    recorded: tuple[str, ...] = ()
    due_at: _dt.datetime | None = None
    warn_times: tuple[_dt.datetime, ...] = ()
    budget_us: int | None = None
    calendar_version: str | None = None
    provisional: bool = False
    rebased_at: _dt.datetime | None = None
    used_us: int = 0
    used_days: int = 0

    @property
    def active(self) -> bool:
        """Whether the clock has not stopped."""
        return self.stopped_at is None

    @property
    def paused(self) -> bool:
        """Whether the clock is paused now."""
        return self.paused_since is not None and self.stopped_at is None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible dict."""
        return {
            "goal": self.goal,
            "variant": self.variant,
            "cycle": self.cycle,
            "started_at": self.started_at.isoformat(),
            "pauses": [[a.isoformat(), b.isoformat()] for a, b in self.pauses],
            "paused_since": _iso(self.paused_since),
            "stopped_at": _iso(self.stopped_at),
            "recorded": list(self.recorded),
            "due_at": _iso(self.due_at),
            "warn_times": [t.isoformat() for t in self.warn_times],
            "budget_us": self.budget_us,
            "calendar_version": self.calendar_version,
            "provisional": self.provisional,
            "rebased_at": _iso(self.rebased_at),
            "used_us": self.used_us,
            "used_days": self.used_days,
        }


def new_clock(  # noqa: PLR0917 - internal fast path, mirrors SlaClock's fields
    goal: str,
    variant: str,
    cycle: int,
    started_at: _dt.datetime,
    pauses: tuple[Pause, ...],
    paused_since: _dt.datetime | None,
    stopped_at: _dt.datetime | None,
    recorded: tuple[str, ...],
    due_at: _dt.datetime | None,
    warn_times: tuple[_dt.datetime, ...],
    budget_us: int | None,
    calendar_version: str | None,
    provisional: bool,
    rebased_at: _dt.datetime | None,
    used_us: int,
    used_days: int,
) -> SlaClock:
    """``SlaClock(...)`` with every field given, built without attrs' per-field setattr."""
    clock: Any = _new(_ClockSlots)
    clock.goal = goal
    clock.variant = variant
    clock.cycle = cycle
    clock.started_at = started_at
    clock.pauses = pauses
    clock.paused_since = paused_since
    clock.stopped_at = stopped_at
    clock.recorded = recorded
    clock.due_at = due_at
    clock.warn_times = warn_times
    clock.budget_us = budget_us
    clock.calendar_version = calendar_version
    clock.provisional = provisional
    clock.rebased_at = rebased_at
    clock.used_us = used_us
    clock.used_days = used_days
    clock.__class__ = SlaClock
    return clock  # type: ignore[no-any-return]


def _iso(value: _dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: object) -> _dt.datetime:
    return parse_utc(value, "SLA timestamp")


def _maybe(value: object) -> _dt.datetime | None:
    return None if value is None else _time(value)


def _pause(value: object) -> Pause:
    pair = check_list(value, "a pause")
    if len(pair) != 2:
        raise SchemaError(f"a pause must be [paused_at, resumed_at], got {len(pair)} items")
    return _time(pair[0]), _time(pair[1])


def _optional_text(value: object, what: str) -> str | None:
    return None if value is None else check_text(value, what, error=SchemaError)


def _plain_clock(data: dict[str, Any]) -> SlaClock | None:
    """The clock of a stored record whose fields need no second look, else ``None``.

    Accepts only records :func:`clock_from_dict`'s checked path accepts too (texts it
    takes at once, instants written in UTC), and builds the same clock.
    """
    try:
        goal, variant, cycle = data["goal"], data["variant"], data["cycle"]
        started, pauses, recorded = data["started_at"], data["pauses"], data["recorded"]
        paused, stopped, due = data["paused_since"], data["stopped_at"], data["due_at"]
        warns, budget, version = data["warn_times"], data["budget_us"], data["calendar_version"]
        provisional, rebased = data["provisional"], data["rebased_at"]
        used_us, used_days = data["used_us"], data["used_days"]
    except KeyError:
        return None
    if not (
        _plain_texts(goal, variant, version, recorded)
        and _plain_counts(cycle, budget, used_us, used_days)
        and type(provisional) is bool
        and type(warns) is list
        and _plain_pauses(pauses)
    ):
        return None
    instants = _plain_instants(started, warns, pauses, (paused, stopped, due, rebased))
    if instants is None:
        return None
    started_at, warn_times, pause_pairs, (paused_at, stopped_at, due_at, rebased_at) = instants
    return new_clock(
        goal,
        variant,
        cycle,
        started_at,
        pause_pairs,
        paused_at,
        stopped_at,
        tuple(recorded),
        due_at,
        warn_times,
        budget,
        version,
        provisional,
        rebased_at,
        used_us,
        used_days,
    )


def _plain_instants(
    started: object, warns: list[Any], pauses: list[list[Any]], optional: tuple[Any, ...]
) -> (
    tuple[
        _dt.datetime, tuple[_dt.datetime, ...], tuple[Pause, ...], tuple[_dt.datetime | None, ...]
    ]
    | None
):
    """A clock record's instants if each is written in UTC (see read_utc), else None.

    The start, the warnings, the pauses, and the optional ones (paused, stopped, due,
    rebased) in that order.
    """
    started_at = read_utc(started)
    warn_times = _read_all(warns) if warns else ()
    pause_times = _read_all([t for pair in pauses for t in pair]) if pauses else ()
    others = _read_optional(optional)
    if started_at is None or warn_times is None or pause_times is None or others is None:
        return None
    pairs = tuple(zip(pause_times[::2], pause_times[1::2], strict=True)) if pause_times else ()
    return started_at, warn_times, pairs, others


def _plain_texts(goal: object, variant: object, version: object, recorded: object) -> bool:
    """Whether a clock record's texts are taken at once (see ``plain_text``)."""
    return (
        plain_text(goal)
        and plain_text(variant)
        and (version is None or plain_text(version))
        and type(recorded) is list
        # loads read every clock of every case: generators only for what is there
        and (not recorded or all(plain_text(mark) for mark in recorded))
    )


def _count(value: object, least: int) -> bool:
    return type(value) is int and value >= least


def _plain_counts(cycle: object, budget: object, used_us: object, used_days: object) -> bool:
    """Whether a clock record's whole numbers are ints in their ranges."""
    return (
        _count(cycle, 1)
        and (budget is None or _count(budget, 0))
        and _count(used_us, 0)
        and _count(used_days, 0)
    )


def _plain_pauses(pauses: object) -> bool:
    """Whether a clock record's pauses are a list of pairs."""
    return type(pauses) is list and (
        not pauses or all(type(pair) is list and len(pair) == 2 for pair in pauses)
    )


def _read_optional(texts: tuple[Any, ...]) -> tuple[_dt.datetime | None, ...] | None:
    """The instants of ``texts``, each ``None`` or written in UTC (see read_utc), else None."""
    out: list[_dt.datetime | None] = []
    for text in texts:
        when = None if text is None else read_utc(text)
        if when is None and text is not None:
            return None
        out.append(when)
    return tuple(out)


def _read_all(texts: list[Any]) -> tuple[_dt.datetime, ...] | None:
    """The instants of ``texts`` if each is written in UTC (see read_utc), else None."""
    out = []
    for text in texts:
        when = read_utc(text)
        if when is None:
            return None
        out.append(when)
    return tuple(out)


def clock_from_dict(data: Mapping[str, Any]) -> SlaClock:
    """Rebuild one SLA clock from :meth:`SlaClock.to_dict` output.

    Nothing is coerced: every field must have the type :meth:`SlaClock.to_dict` writes.

    Raises:
        SchemaError: a field is missing, of the wrong type or impossible.
    """
    if type(data) is dict:
        # Loads read every clock of every case: the common record is taken at a glance;
        # anything else goes the checked way below, which names what is wrong.
        clock = _plain_clock(data)
        if clock is not None:
            return clock
    data = check_mapping(data, "an SLA clock record")
    try:
        provisional = data["provisional"]
        if type(provisional) is not bool:
            raise SchemaError(
                f"SLA clock provisional must be true or false, got {quote(provisional)}"
            )
        budget = data["budget_us"]
        return SlaClock(
            goal=check_text(data["goal"], "SLA clock goal", error=SchemaError),
            variant=check_text(data["variant"], "SLA clock variant", error=SchemaError),
            cycle=check_int(data["cycle"], "SLA clock cycle", minimum=1, error=SchemaError),
            started_at=_time(data["started_at"]),
            pauses=tuple(_pause(p) for p in check_list(data["pauses"], "SLA clock pauses")),
            paused_since=_maybe(data["paused_since"]),
            stopped_at=_maybe(data["stopped_at"]),
            recorded=tuple(
                check_text(m, "SLA mark", error=SchemaError)
                for m in check_list(data["recorded"], "SLA clock recorded")
            ),
            due_at=_maybe(data["due_at"]),
            warn_times=tuple(
                _time(t) for t in check_list(data["warn_times"], "SLA clock warn_times")
            ),
            budget_us=None
            if budget is None
            else check_int(budget, "SLA clock budget_us", minimum=0, error=SchemaError),
            calendar_version=_optional_text(data["calendar_version"], "SLA calendar_version"),
            provisional=provisional,
            rebased_at=_maybe(data["rebased_at"]),
            used_us=check_int(data["used_us"], "SLA clock used_us", minimum=0, error=SchemaError),
            used_days=check_int(
                data["used_days"], "SLA clock used_days", minimum=0, error=SchemaError
            ),
        )
    except KeyError as exc:
        raise SchemaError(f"SLA clock record lacks field {quote(exc.args[0])}") from None
