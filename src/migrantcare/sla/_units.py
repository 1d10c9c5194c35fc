"""The units an SLA target is counted in, as strategies, and their registry.

A unit says everything that depends on how a target counts: which amounts it takes
(and the errors for the others), how it reads in words and in a notice, how it is
written in a workflow document, and the arithmetic of a clock's deadline, budget and
warnings. :data:`SLA_UNITS` maps each unit's name to its strategy; adding a unit is
one :class:`Unit` subclass and one entry there (the workflow schema's enum follows it,
which a test checks).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, Final, Protocol

import attrs

from migrantcare._time import micros
from migrantcare._validate import quote
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.records._sla_state import Pause, SlaClock
from migrantcare.sla._measure import (
    Measure,
    local_date,
    paused_day_counts,
    segment,
    walk,
    whole_days,
)

#: The longest target accepted (about 100 years): longer ones cannot be dated.
MAX_TARGET: Final = _dt.timedelta(days=36_525)
#: The most working days a target may count.
MAX_TARGET_DAYS: Final = 26_000
_ONE_DAY = _dt.timedelta(days=1)
_ONE_HOUR = _dt.timedelta(hours=1)

#: What a fresh clock's cache holds: deadline, warning instants, budget (µs) and
#: whether the deadline rests on unsettled holiday data.
FreshCache = tuple[_dt.datetime, tuple[_dt.datetime, ...], int, bool]


class Target(Protocol):
    """What a unit reads of an ``SlaTarget``."""

    @property
    def days(self) -> int: ...

    @property
    def duration(self) -> _dt.timedelta: ...


class Policy(Protocol):
    """What a unit reads of an ``SlaPolicy`` (its target and the shares it worked out)."""

    @property
    def target(self) -> Target: ...

    @property
    def warn_at(self) -> tuple[float, ...]: ...

    @property
    def _budget_us(self) -> int: ...

    @property
    def _warn_shares(self) -> tuple[int, ...]: ...

    @property
    def _warn_shares_and_budget(self) -> tuple[int, ...]: ...

    @property
    def _warn_offsets(self) -> tuple[_dt.timedelta, ...]: ...


@attrs.frozen
class DocumentPart:
    """One key of a target in a workflow document, e.g. ``hours = 8``.

    Attributes:
        key: The key.
        seconds: What one of it is worth, in seconds (1 for a count of days).
        low: The least value accepted.
        high: The greatest value accepted.
        required: The key must be given (else it is 0 when absent).
    """

    key: str
    seconds: int
    low: int
    high: int
    required: bool = False


def counted(amount: float, noun: str) -> str:
    """``amount`` and ``noun`` in English: singular for exactly one, "1.5 hours" otherwise."""
    # whole amounts in full: ``:g`` would write 1,000,000 working days as "1e+06"
    shown = str(int(amount)) if amount == int(amount) else f"{amount:g}"
    return f"{shown} {noun}" if amount == 1 else f"{shown} {noun}s"


def _provisional(calendar: WorkingCalendar, start: _dt.datetime, due: _dt.datetime) -> bool:
    """Whether a span of working time from ``start`` to ``due`` touches unsettled years."""
    years = calendar.provisional_years
    first, last = start.year, due.year
    return bool(years) and (
        first in years or (last != first and not years.isdisjoint(range(first, last + 1)))
    )


def _one_by_one(
    calendar: WorkingCalendar,
    pos: int,
    shares: Sequence[int],
    old: tuple[_dt.datetime, ...],
    start: _dt.datetime,
) -> tuple[_dt.datetime, ...]:
    """Warning instants at ``pos + share``; a share already crossed keeps its instant."""
    instant_at = calendar.working_time.instant_at
    return tuple(
        instant_at(pos + share) if share > 0 else (old[k] if k < len(old) else start)
        for k, share in enumerate(shares)
    )


class Unit:
    """How an SLA target is counted: one strategy per unit name.

    Subclasses set the class attributes and override what differs; the base holds
    what the units counted on a duration share.

    Attributes:
        name: The unit's name in ``SlaTarget.unit`` and in documents.
        message_key: The message that names an amount of it in notices.
        on_calendar: Counted on the calendar (its holidays and hours): a deadline
            may then rest on unsettled holiday data.
        parts: The keys of a target of this unit in a workflow document.
    """

    name: ClassVar[str]
    message_key: ClassVar[str]
    on_calendar: ClassVar[bool] = True
    parts: ClassVar[tuple[DocumentPart, ...]]

    def __repr__(self) -> str:
        return f"<SLA unit {self.name}>"

    # ------------------------------------------------------------------ amounts

    def check(self, days: object, duration: object) -> None:
        """Refuse amounts this unit cannot count (a duration, by default).

        Raises:
            WrongTypeError: ``duration`` is not a timedelta.
            InvalidArgumentError: it is not positive or longer than :data:`MAX_TARGET`.
        """
        if not isinstance(duration, _dt.timedelta):
            raise WrongTypeError(
                f"a {self.name} target needs a datetime.timedelta, got {type(duration).__name__}"
            )
        if not _dt.timedelta(0) < duration <= MAX_TARGET:
            raise InvalidArgumentError(
                f"a {self.name} target needs a positive duration of at most "
                f"{MAX_TARGET.days} days, got {duration!r}"
            )

    def describe(self, target: Target) -> str:
        """The target in English words, e.g. ``"4 working hours"``."""
        raise NotImplementedError

    def period(self, target: Target) -> tuple[str, int] | None:
        """The message key and count that name the target in a notice, if whole."""
        raise NotImplementedError

    # ------------------------------------------------------------------ documents

    def document(self, target: Target) -> dict[str, Any]:
        """The target as a workflow document writes it: its largest whole part."""
        total = target.duration
        if total.microseconds:
            raise WrongTypeError(
                f"an SLA target of {total} has a fraction of a second; documents hold whole seconds"
            )
        seconds = int(total.total_seconds())
        for part in self.parts:
            if seconds % part.seconds == 0:
                return {"unit": self.name, part.key: seconds // part.seconds}
        raise AssertionError("seconds divide every whole number")  # pragma: no cover

    def target_fields(self, values: Mapping[str, int]) -> dict[str, Any]:
        """``SlaTarget`` keyword arguments from a document's parts (all of :attr:`parts`)."""
        seconds = sum(values[p.key] * p.seconds for p in self.parts)
        return {"duration": _dt.timedelta(seconds=seconds)}

    # ------------------------------------------------------------------ arithmetic

    def measure(self, calendar: WorkingCalendar, shared: Measure | None = None) -> Measure:
        """The measure of this unit's time on ``calendar`` (``shared`` if it fits)."""
        return shared if shared is not None else Measure(calendar)

    def settle(
        self,
        policy: Policy,
        clock: SlaClock,
        calendar: WorkingCalendar,
        pauses: Sequence[Pause],
        measure: Measure | None,
    ) -> tuple[_dt.datetime, tuple[Pause, ...]]:
        """The deadline of ``clock`` (UTC) and the pauses that count towards it."""
        origin, pauses = segment(clock, pauses)
        if measure is None:
            measure = self.measure(calendar)
        amount = max(micros(policy.target.duration) - clock.used_us, 0)
        return walk(origin, amount, pauses, measure)

    def pause_can_move(self, clock: SlaClock, calendar: WorkingCalendar, due: _dt.datetime) -> bool:
        """Whether the pause of a clock paused before ``due`` may still move it."""
        return True

    def used_days(
        self,
        clock: SlaClock,
        old: WorkingCalendar,
        origin: _dt.datetime,
        at: _dt.datetime,
        before: Sequence[Pause],
    ) -> int:
        """Whole days the clock used on ``old`` before a transfer at ``at`` (day units)."""
        return 0

    def provisional(
        self, calendar: WorkingCalendar, start: _dt.datetime, due: _dt.datetime
    ) -> bool:
        """Whether a deadline from ``start`` to ``due`` rests on estimated holiday data."""
        return _provisional(calendar, start, due)

    def fresh(
        self,
        policy: Policy,
        start: _dt.datetime,
        calendar: WorkingCalendar,
        point: tuple[int, int] | None,
        old: tuple[_dt.datetime, ...],
    ) -> FreshCache:
        """The cache of a clock that has only run since ``start`` (a non-strict calendar).

        ``point`` is ``calendar.working_time.locate(start)`` when the caller has it;
        ``old`` the clock's earlier warning instants (a threshold already crossed keeps
        its instant, as the general path does).
        """
        raise NotImplementedError


class WorkingDays(Unit):
    """Due at the close of business of the N-th working day after the start day."""

    name = "working_days"
    message_key = "unit.working_days"
    parts = (DocumentPart("days", 1, 1, MAX_TARGET_DAYS, required=True),)

    def check(self, days: object, duration: object) -> None:
        """Refuse anything but a whole number of days in ``1..MAX_TARGET_DAYS``.

        Raises:
            WrongTypeError: ``days`` is not an int.
            InvalidArgumentError: it is out of range.
        """
        if type(days) is not int:
            raise WrongTypeError(
                f"a working-days target needs a whole number of days (int), got "
                f"{type(days).__name__} {quote(days)}"
            )
        if not 1 <= days <= MAX_TARGET_DAYS:
            raise InvalidArgumentError(
                f"a working-days target needs a whole number of days >= 1 (and at most "
                f"{MAX_TARGET_DAYS}), got {quote(days)}"
            )

    def describe(self, target: Target) -> str:
        return counted(target.days, "working day")

    def period(self, target: Target) -> tuple[str, int] | None:
        return self.message_key, target.days

    def document(self, target: Target) -> dict[str, Any]:
        return {"unit": self.name, "days": target.days}

    def target_fields(self, values: Mapping[str, int]) -> dict[str, Any]:
        return {"days": values["days"]}

    def settle(
        self,
        policy: Policy,
        clock: SlaClock,
        calendar: WorkingCalendar,
        pauses: Sequence[Pause],
        measure: Measure | None,
    ) -> tuple[_dt.datetime, tuple[Pause, ...]]:
        """The close of the N-th working day, pushed by each whole working day paused.

        A pause counts only if it begins before the deadline the pauses before it
        give. After a transfer only the days left are counted, from the transfer day.
        """
        origin, pauses = segment(clock, pauses)
        base, n = self._counted_from(policy.target.days, clock, calendar, origin)
        index = calendar.working_time
        due_day = calendar.add_working_days(base, n)
        due = index.close_utc(due_day.toordinal())
        assert due is not None  # add_working_days returns working days only
        kept: list[Pause] = []
        extra = 0
        for pause in pauses:
            if pause[0] >= due:
                break
            kept.append(pause)
            count = paused_day_counts(calendar, pause, due_day, measure)
            if count:
                extra += count
                due_day = calendar.add_working_days(base, n + extra)
                due = index.close_utc(due_day.toordinal())
                assert due is not None
        if measure is not None and measure.calendar is not None:
            # the deadline sits at a known working position: budgets need no conversion
            measure.positions[due] = index.close_position(due_day.toordinal())
        return due, tuple(kept)

    @staticmethod
    def _counted_from(
        days: int, clock: SlaClock, calendar: WorkingCalendar, origin: _dt.datetime
    ) -> tuple[_dt.date, int]:
        """The day counted from and the working days to count."""
        day = local_date(calendar, origin)
        if clock.rebased_at is None:
            return day, days
        if clock.used_days or day != local_date(calendar, clock.started_at):
            # the transfer day itself counts (it was in progress)
            day -= _ONE_DAY
        return day, max(days - clock.used_days, 1)

    def pause_can_move(self, clock: SlaClock, calendar: WorkingCalendar, due: _dt.datetime) -> bool:
        # only a pause that can freeze a whole working day before the due day moves it
        assert clock.paused_since is not None
        first, _ = whole_days(calendar, (clock.paused_since, clock.paused_since))
        due_day = local_date(calendar, due)
        return first <= due_day and bool(calendar.working_days_between(first, due_day + _ONE_DAY))

    def used_days(
        self,
        clock: SlaClock,
        old: WorkingCalendar,
        origin: _dt.datetime,
        at: _dt.datetime,
        before: Sequence[Pause],
    ) -> int:
        first = local_date(old, origin)
        if clock.rebased_at is None:
            first += _ONE_DAY  # the start day never counts
        last = local_date(old, at)
        days = old.working_days_between(first, last) if first < last else 0
        frozen = 0
        for pause in before:
            first_day, last_day = whole_days(old, pause)
            if first_day <= last_day:
                frozen += old.working_days_between(first_day, last_day + _ONE_DAY)
        return max(days - frozen, 0)

    def fresh(
        self,
        policy: Policy,
        start: _dt.datetime,
        calendar: WorkingCalendar,
        point: tuple[int, int] | None,
        old: tuple[_dt.datetime, ...],
    ) -> FreshCache:
        index = calendar.working_time
        day, pos = index.locate(start) if point is None else point
        due, close = index.working_days_close(day, policy.target.days)
        budget = close - pos if close > pos else 0
        shares = [int(budget * f) for f in policy.warn_at]
        if budget <= 0 or old or 0 in shares:
            warns = _one_by_one(calendar, pos, shares, old, start)
        else:
            warns = index.instants_after(pos, shares)
        return due, warns, budget, _provisional(calendar, start, due)


class WorkingTime(Unit):
    """A duration of working time on the office's schedule."""

    name = "working_time"
    message_key = "unit.working_hours"
    parts = (
        DocumentPart("hours", 3_600, 0, int(MAX_TARGET.total_seconds()) // 3_600),
        DocumentPart("minutes", 60, 0, int(MAX_TARGET.total_seconds()) // 60),
        DocumentPart("seconds", 1, 0, int(MAX_TARGET.total_seconds())),
    )

    def describe(self, target: Target) -> str:
        return counted(target.duration / _ONE_HOUR, "working hour")

    def period(self, target: Target) -> tuple[str, int] | None:
        hours, rest = divmod(target.duration, _ONE_HOUR)
        return None if rest else (self.message_key, hours)

    def fresh(
        self,
        policy: Policy,
        start: _dt.datetime,
        calendar: WorkingCalendar,
        point: tuple[int, int] | None,
        old: tuple[_dt.datetime, ...],
    ) -> FreshCache:
        index = calendar.working_time
        pos = index.locate(start)[1] if point is None else point[1]
        budget = policy._budget_us
        shares = policy._warn_shares
        if budget <= 0 or old or 0 in shares:
            due = index.instant_at(pos + budget) if budget > 0 else start
            warns = _one_by_one(calendar, pos, shares, old, start)
        else:
            # the warnings and the deadline in one calendar call
            instants = index.instants_after(pos, policy._warn_shares_and_budget)
            warns, due = instants[:-1], instants[-1]
        return due, warns, budget, _provisional(calendar, start, due)


class Elapsed(Unit):
    """Wall-clock time, around the clock and through holidays."""

    name = "elapsed"
    message_key = "unit.days"
    on_calendar = False
    parts = (
        DocumentPart("days", 86_400, 0, MAX_TARGET.days),
        *WorkingTime.parts,
    )

    def describe(self, target: Target) -> str:
        hours = target.duration / _ONE_HOUR
        if hours % 24 == 0:
            return counted(hours / 24, "day")
        return counted(hours, "hour")

    def period(self, target: Target) -> tuple[str, int] | None:
        hours, rest = divmod(target.duration, _ONE_HOUR)
        days, left = divmod(hours, 24)
        return None if rest or left else (self.message_key, days)

    def measure(self, calendar: WorkingCalendar, shared: Measure | None = None) -> Measure:
        return Measure(None)

    def provisional(
        self, calendar: WorkingCalendar, start: _dt.datetime, due: _dt.datetime
    ) -> bool:
        return False  # elapsed time never rests on holidays

    def fresh(
        self,
        policy: Policy,
        start: _dt.datetime,
        calendar: WorkingCalendar,
        point: tuple[int, int] | None,
        old: tuple[_dt.datetime, ...],
    ) -> FreshCache:
        offsets = policy._warn_offsets
        if old:
            warns = tuple(
                start + delta if delta else (old[k] if k < len(old) else start)
                for k, delta in enumerate(offsets)
            )
        elif len(offsets) == 2:
            # two warnings (the default) without a comprehension's call
            warns = (start + offsets[0], start + offsets[1])
        else:
            warns = tuple([start + d for d in offsets])
        return start + policy.target.duration, warns, policy._budget_us, False


#: Every SLA unit by name, in the order documents and errors list them.
SLA_UNITS: Final[Mapping[str, Unit]] = MappingProxyType(
    {unit.name: unit for unit in (WorkingDays(), WorkingTime(), Elapsed())}
)


def unit_named(name: object) -> Unit:
    """The unit called ``name``.

    Raises:
        InvalidArgumentError: no unit has that name.
    """
    unit = SLA_UNITS.get(name) if type(name) is str else None
    if unit is None:
        *most, last = SLA_UNITS
        raise InvalidArgumentError(
            f"unknown SLA unit {quote(name)}; use {', '.join(most)} or {last}"
        )
    return unit
