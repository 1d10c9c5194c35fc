"""Time as an SLA policy counts it, and the walks over a clock's pauses.

A :class:`Measure` counts wall-clock time or working time on a calendar (through its
working-time index); the functions below walk a clock's pauses with one.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from migrantcare._time import as_utc, micros, to_zone_fields
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.records._sla_state import Pause, SlaClock

_ONE_DAY = _dt.timedelta(days=1)


class Measure:
    """Time as a policy counts it: wall-clock (no calendar), or working time on a calendar.

    One measure serves every clock of a ``status`` call, so it remembers the working
    position of the instants it has seen (``now`` is shared by all clocks).

    Attributes:
        calendar: The calendar whose working time is counted; ``None`` for wall time.
        positions: Working positions of the instants seen so far.
    """

    __slots__ = ("a", "a_pos", "b", "b_pos", "calendar", "index", "positions")

    def __init__(self, calendar: WorkingCalendar | None) -> None:
        """A measure of working time on ``calendar``, or of wall time (``None``)."""
        self.calendar = calendar
        self.index = None if calendar is None else calendar.working_time
        self.positions: dict[_dt.datetime, int] = {}
        # the two instants asked last: the clocks of a case share theirs (one ``now``;
        # the clocks an event started share its instant), and an identity test spares
        # hashing an aware datetime
        self.a: _dt.datetime | None = None
        self.b: _dt.datetime | None = None
        self.a_pos = self.b_pos = 0

    def position(self, instant: _dt.datetime) -> int:
        """The working position of ``instant`` (working measures only), remembered."""
        if instant is self.a:
            return self.a_pos
        if instant is self.b:
            return self.b_pos
        pos = self.positions.get(instant)
        if pos is None:
            assert self.index is not None
            pos = self.positions[instant] = self.index.locate(instant)[1]
        self.b, self.b_pos = self.a, self.a_pos
        self.a, self.a_pos = instant, pos
        return pos

    def between(self, a: _dt.datetime, b: _dt.datetime) -> int:
        """The time from ``a`` to ``b`` in µs (negative if ``b`` is earlier)."""
        if self.calendar is None:
            return micros(b - a)
        return self.position(b) - self.position(a)

    def add(self, a: _dt.datetime, us: int) -> _dt.datetime:
        """The instant at which ``us`` of time has run since ``a`` (UTC)."""
        if self.calendar is None:
            return a + _dt.timedelta(microseconds=us)
        if us <= 0:
            return a
        if self.calendar.strict:
            # the public method checks the years it crosses
            return as_utc(self.calendar.add_working_time(a, _dt.timedelta(microseconds=us)))
        target = self.position(a) + us
        assert self.index is not None
        result = self.index.instant_at(target)
        # the result sits exactly at that working position: later between() calls on
        # it (the budget, the status) need no conversion
        self.positions[result] = target
        return result


def advance(
    start: _dt.datetime, amount: int, pauses: Sequence[Pause], measure: Measure
) -> _dt.datetime:
    """The instant at which ``amount`` of active (unpaused) time has run since ``start``."""
    return walk(start, amount, pauses, measure)[0]


def walk(
    start: _dt.datetime, amount: int, pauses: Sequence[Pause], measure: Measure
) -> tuple[_dt.datetime, tuple[Pause, ...]]:
    """:func:`advance`, and the pauses that begin before the instant reached."""
    t = start
    kept: list[Pause] = []
    for p0, p1 in pauses:
        if p1 <= t:
            continue
        if p0 > t:
            segment = measure.between(t, p0)
            if segment >= amount:
                return measure.add(t, amount), tuple(kept)
            amount -= segment
        kept.append((p0, p1))
        t = max(t, p1)
    return measure.add(t, amount), tuple(kept)


def active_time(start: _dt.datetime, end: _dt.datetime, pauses: Sequence[Pause], m: Measure) -> int:
    """Active time in ``[start, end)`` outside ``pauses``, in the measure's µs."""
    if end <= start:
        return 0
    total = m.between(start, end)
    for p0, p1 in pauses:
        lo, hi = max(p0, start), min(p1, end)
        if lo < hi:
            total -= m.between(lo, hi)
    return total


def local_date(calendar: WorkingCalendar, instant: _dt.datetime) -> _dt.date:
    """The date of ``instant`` in the calendar's zone."""
    return _dt.date.fromordinal(to_zone_fields(instant, calendar.zone)[0])


def segment(clock: SlaClock, pauses: Sequence[Pause]) -> tuple[_dt.datetime, Sequence[Pause]]:
    """Where active time is counted from on the clock's current calendar, and its pauses.

    After a transfer the time before ``rebased_at`` is carried as ``used_us`` /
    ``used_days``; only pauses after it count on the new calendar.
    """
    origin = clock.rebased_at
    if origin is None:
        return clock.started_at, pauses
    return origin, tuple((max(p0, origin), p1) for p0, p1 in pauses if p1 > origin)


def whole_days(
    calendar: WorkingCalendar, pause: Pause, measure: Measure | None = None
) -> tuple[_dt.date, _dt.date]:
    """The first and last date whose whole working time lies inside ``pause``.

    ``first > last`` when no working day is wholly paused. ``measure`` (a working-time
    measure on ``calendar``) keeps the pause's working positions for the walks over the
    same pauses that follow (the budget, the warnings).
    """
    if not calendar.strict:
        i, j = whole_day_span(calendar, pause, measure)
        index = calendar.working_time
        return index.date_of(i), index.date_of(j)
    p0, p1 = pause
    first = calendar.local(p0).date()
    if calendar.working_time_between(calendar.start_of_day(first), p0):
        first += _ONE_DAY  # some of that day's working time came before the pause
    last = calendar.local(p1).date()
    if last < _dt.date(calendar.last_year, 12, 31) and calendar.working_time_between(
        p1, calendar.start_of_day(last + _ONE_DAY)
    ):
        last -= _ONE_DAY  # some of that day's working time comes after the pause
    return first, last


def whole_day_span(
    calendar: WorkingCalendar, pause: Pause, measure: Measure | None
) -> tuple[int, int]:
    """:func:`whole_days` as the calendar's day numbers (non-strict calendars).

    From working positions: the working time of p0's day before p0 is p0's position
    past its day's first instant; the working time after p1 on its day is the next
    day's first instant past p1's position. This runs for every pause of every
    working-days clock at every event, and the public methods build pendulum instants
    for the same answer.
    """
    p0, p1 = pause
    index = calendar.working_time
    cum = index.cum_us
    i, pos = index.locate(p0, "pause start")
    j, end = index.locate(p1, "pause end")
    if measure is not None and measure.calendar is calendar:
        measure.positions[p0] = pos
        measure.positions[p1] = end
    # a day's working time starts at its first instant: cum[i], unless its midnight
    # falls in a DST gap (then the skipped wall hours come before any instant)
    if pos > cum[i] and pos > index.day_start(i):
        i += 1  # some of that day's working time came before the pause
    if j < index.n_days - 1 and cum[j + 1] > end and index.day_start(j + 1) > end:
        j -= 1  # some of that day's working time comes after the pause
    return i, j


def paused_day_counts(
    calendar: WorkingCalendar, pause: Pause, due_day: _dt.date, measure: Measure | None = None
) -> int:
    """Whole working days paused by ``pause``, or 0 if none of them is on or before ``due_day``.

    Paused working days are consecutive: once the first one falls on or before the
    day the clock is due, each one pushes the due day past the next, so all count.
    """
    if calendar.strict:
        first, last = whole_days(calendar, pause, measure)
        if first > last or first > due_day:
            return 0
        if not calendar.working_days_between(first, due_day + _ONE_DAY):
            return 0
        return calendar.working_days_between(first, last + _ONE_DAY)
    # the same counts on day numbers: working_days_between(a, b) is the difference of
    # the cumulative working-day counts at their day numbers
    i, j = whole_day_span(calendar, pause, measure)
    index = calendar.working_time
    d = due_day.toordinal() - index.first_ordinal
    cum = index.cum_days
    if i > j or i > d or cum[d + 1] == cum[i]:
        return 0
    return cum[j + 1] - cum[i]
