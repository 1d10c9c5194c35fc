"""Office performance figures over many cases, computed in one pass.

:func:`performance_figures` reads each case once (its events and SLA clocks, never a
replay) and returns frozen records: per office and for all offices together, over a
period. What each figure counts is said in its docstring and in the report.

Attribution follows the case: a case *opened* counts for the office that opened it; a
goal *met or breached* counts for the office holding the case when it was met or
breached (a ``"transferred"`` event moves a case, its ``data`` names ``from_office``
and ``to_office``); the *backlog* counts for the office holding the case at ``at``.
Working time is measured on the calendar of the office credited.
"""

from __future__ import annotations

import datetime as _dt
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Literal, NamedTuple

import attrs

from migrantcare._time import to_zone_fields
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError, WrongTypeError
from migrantcare.offices._actors import acted_by_system
from migrantcare.records._case import Case, CaseEvent, utc
from migrantcare.records._sla_state import SlaClock
from migrantcare.sla._sla import SlaPlan, SlaPolicy, deadline
from migrantcare.sla._units import SLA_UNITS

#: Age buckets of the open backlog, in working days since opening: (label, low, high).
BACKLOG_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-2", 0, 2),
    ("3-5", 3, 5),
    ("6-10", 6, 10),
    ("11-20", 11, 20),
    ("21-40", 21, 40),
    ("41+", 41, None),
)
#: The z of a 95 % two-sided interval, used by the Wilson lower bound.
WILSON_Z = 1.959963984540054
ALL_OFFICES = "*"
_UTC = _dt.timezone.utc
_HOUR_US = 3_600_000_000


# --------------------------------------------------------------------------- records


@attrs.frozen
class Spread:
    """A distribution of working times.

    Attributes:
        count: How many values.
        median: The median (mean of the two middle values for an even count).
        p90: The 90th percentile by nearest rank: the smallest value that at least 90 %
            of the values do not exceed.
    """

    count: int
    median: _dt.timedelta | None
    p90: _dt.timedelta | None

    @property
    def median_hours(self) -> float | None:
        """The median in working hours, rounded to 0.01."""
        return _hours(self.median)

    @property
    def p90_hours(self) -> float | None:
        """The 90th percentile in working hours, rounded to 0.01."""
        return _hours(self.p90)


@attrs.frozen
class GoalCount:
    """Outcomes of one SLA goal's clocks.

    Attributes:
        goal: The policy name, e.g. ``"verification"``.
        met: Clocks that stopped on time, the stop falling in the period.
        breached: Clocks whose deadline passed in the period (stopped late, or still
            running or paused after a recorded breach).
        pending: Clocks still running (or paused) within their deadline at ``at``.
        provisional: Of those met, breached and pending, the deadlines that rest on
            holiday data not settled yet (estimated dates, or a year whose cuti bersama
            is not decreed): they may move when the decree appears. 0 in month rows.
    """

    goal: str
    met: int = 0
    breached: int = 0
    pending: int = 0
    provisional: int = 0

    @property
    def decided(self) -> int:
        """``met + breached``."""
        return self.met + self.breached

    @property
    def compliance(self) -> float | None:
        """``met / decided`` as a percentage, ``None`` when nothing was decided."""
        return None if not self.decided else 100.0 * self.met / self.decided

    @property
    def wilson_lower(self) -> float | None:
        """The 95 % Wilson lower bound of the compliance, as a percentage."""
        return wilson_lower(self.met, self.decided)


@attrs.frozen
class MonthRow:
    """One month of an office's trend (months in the office's zone).

    Attributes:
        month: The first day of the month.
        opened: Cases opened in that month.
        goals: Per goal, clocks met and breached in that month (``pending`` is 0).
    """

    month: _dt.date
    opened: int
    goals: tuple[GoalCount, ...]


@attrs.frozen
class BacklogBucket:
    """Open cases at ``at`` whose age in working days is in ``low..high``.

    Attributes:
        label: ``"0-2"``, ``"3-5"``, …, ``"41+"``.
        low: The youngest age in the bucket (working days).
        high: The oldest age in the bucket; ``None`` for the last, open-ended one.
        count: How many open cases.
    """

    label: str
    low: int
    high: int | None
    count: int


@attrs.frozen
class Count:
    """A count per code (a category, a channel).

    Attributes:
        code: The vocabulary code.
        count: How many.
    """

    code: str
    count: int


@attrs.frozen
class ChannelFigures:
    """How responsive an office is on one channel, for cases opened in the period.

    Attributes:
        channel: The channel code.
        opened: Cases opened through the channel.
        responded: Of those, cases with a first officer action by ``at``.
        unanswered: Of those, cases still without one at ``at``.
        open_now: Cases from the channel open at ``at`` (whenever opened).
        first_response: Working time from opening to the first officer action.
        met: ``first_response`` goal clocks met (outcomes in the period).
        breached: ``first_response`` goal clocks breached (outcomes in the period).
        clogged: The channel looks clogged: its median first response is at least twice
            the office's and at least one working hour, or a quarter or more of its cases
            are unanswered (with at least 5 cases opened).
    """

    channel: str
    opened: int
    responded: int
    unanswered: int
    open_now: int
    first_response: Spread
    met: int
    breached: int
    clogged: bool


@attrs.frozen
class OfficePerformance:
    """One office's figures (or all offices', with ``office == "*"``).

    Attributes:
        office: The office id, ``"*"`` for all offices.
        name_id: The office's name in Indonesian.
        name_en: The office's name in English.
        province: The office's province, if known.
        tz: The office's IANA zone (``""`` for all offices: each in its own).
        opened: Service cases opened in the period (by the office that opened them).
        open_now: Service cases open at ``at`` (held by the office then).
        backlog: ``open_now`` by age in working days since opening.
        goals: Per SLA goal, outcomes in the period (pending: at ``at``).
        months: The trend, one row per month of the period.
        first_response: Working time from opening to the first officer action, for
            cases opened in the period (system actions, such as escalations, do not count).
        resolution: Working time from opening to the first terminal state (resolved or
            closed), for cases opened in the period.
        breaches_by_category: Goals breached in the period, by the case's category.
        breaches_by_channel: Goals breached in the period, by the case's channel.
        channels: Responsiveness per channel.
        transfers_in: Cases transferred to this office in the period.
        transfers_out: Cases transferred away from this office in the period.
    """

    office: str
    name_id: str
    name_en: str
    province: str | None
    tz: str
    opened: int
    open_now: int
    backlog: tuple[BacklogBucket, ...]
    goals: tuple[GoalCount, ...]
    months: tuple[MonthRow, ...]
    first_response: Spread
    resolution: Spread
    breaches_by_category: tuple[Count, ...]
    breaches_by_channel: tuple[Count, ...]
    channels: tuple[ChannelFigures, ...]
    transfers_in: int
    transfers_out: int

    def name(self, lang: str) -> str:
        """The office's name in ``lang`` (``"id"`` or ``"en"``)."""
        return self.name_en if lang == "en" else self.name_id

    @property
    def met(self) -> int:
        """Goals met in the period, all goals together."""
        return sum(g.met for g in self.goals)

    @property
    def deadlines(self) -> int:
        """Deadlines counted (met, breached and pending), all goals together."""
        return sum(g.met + g.breached + g.pending for g in self.goals)

    @property
    def provisional(self) -> int:
        """Of :attr:`deadlines`, those resting on holiday data not settled yet."""
        return sum(g.provisional for g in self.goals)

    @property
    def breached(self) -> int:
        """Goals breached in the period, all goals together."""
        return sum(g.breached for g in self.goals)


@attrs.frozen
class RankRow:
    """One office in the ranking.

    Offices are ranked by the 95 % Wilson lower bound of their SLA compliance (all goals
    together): an office with few cases is not ranked first on luck, nor last on one bad
    week, because the bound is wider for fewer outcomes. The numbers behind it are kept.

    Attributes:
        rank: 1 for the best; ``None`` when the office has no goal outcome.
        office: The office id.
        opened: Cases opened in the period (the volume).
        met: Goals met.
        breached: Goals breached.
        compliance: ``met / (met + breached)`` in percent.
        wilson_lower: The ranking key, in percent.
        breaches_per_100: Goals breached per 100 cases opened.
    """

    rank: int | None
    office: str
    opened: int
    met: int
    breached: int
    compliance: float | None
    wilson_lower: float | None
    breaches_per_100: float | None


@attrs.frozen
class OutreachRow:
    """Outreach activities in one province and category over the period.

    Attributes:
        province: The province (the case's ``province`` attribute, else its office's).
        category: The outreach category (``desa_migran_emas``, ``safe_migration``, …).
        planned: Activities opened (planned) in the period.
        held: Activities held in the period (entered the ``held`` state).
        cancelled: Activities cancelled in the period.
        participants: Participants counted at the activities held (``data["participants"]``).
        villages: Distinct villages (``village`` attribute) of the activities held.
    """

    province: str
    category: str
    planned: int
    held: int
    cancelled: int
    participants: int
    villages: int


@attrs.frozen
class GoalSource:
    """Where an SLA goal's target comes from.

    Attributes:
        goal: The policy name.
        variant: Which variant (``"default"``, ``"urgent"``).
        target: The target in words, e.g. ``"3 working days"``.
        source: The regulation or the reason for the default.
        confirmed: ``True`` for a target set by regulation or official guidance,
            ``False`` for a migrantcare default or an unconfirmed reading.
        description: What the goal asks.
        basis: ``"regulation"``, ``"guidance"`` (an official FAQ or circular: the
            government's word, not law) or ``"default"`` (see ``SlaPolicy.basis``).
    """

    goal: str
    variant: str
    target: str
    source: str
    confirmed: bool
    description: str
    basis: str = "regulation"


@attrs.frozen
class PerformanceFigures:
    """Everything the office performance report shows.

    Attributes:
        period_start: First day of the period (in each office's zone).
        period_end: Last day of the period (included).
        at: The instant the figures are taken at (UTC).
        workflows: The workflows read, as ``"name@version"``.
        goal_sources: The SLA policies the goal figures rest on.
        service_goals: The goals an office answers for itself: the breakdowns by
            category and channel and the ranking count these only.
        offices: One entry per office, sorted by office id.
        total: All offices together (``office == "*"``).
        ranking: The offices, best first (see :class:`RankRow`).
        outreach: Outreach per province and category, sorted.
        cases_read: Cases read (all workflows, all dates).
        calendar_versions: Office id -> the calendar version used.
        provisional_reason: When some deadlines rest on holiday data not settled yet
            (see ``OfficePerformance.provisional``): which years, what is unsettled and
            the decree that will settle it, in Indonesian and English
            (:meth:`WorkingCalendar.provisional_reason`); ``("", "")`` otherwise.
    """

    period_start: _dt.date
    period_end: _dt.date
    at: _dt.datetime
    workflows: tuple[str, ...]
    goal_sources: tuple[GoalSource, ...]
    service_goals: tuple[str, ...]
    offices: tuple[OfficePerformance, ...]
    total: OfficePerformance
    ranking: tuple[RankRow, ...]
    outreach: tuple[OutreachRow, ...]
    cases_read: int
    calendar_versions: tuple[tuple[str, str], ...]
    provisional_reason: tuple[str, str] = ("", "")

    @property
    def goals(self) -> tuple[str, ...]:
        """The SLA goals, in the order of their policies."""
        return tuple(dict.fromkeys(s.goal for s in self.goal_sources))

    def office(self, office_id: str) -> OfficePerformance:
        """The figures of ``office_id`` (``"*"`` for all offices).

        Raises:
            UnknownTermError: no such office in the figures.
            WrongTypeError: ``office_id`` is not a str.
        """
        if not isinstance(office_id, str):
            raise WrongTypeError(f"office_id must be a str, got {type(office_id).__name__}")
        if office_id == ALL_OFFICES:
            return self.total
        for o in self.offices:
            if o.office == office_id:
                return o
        raise _no_figures_for(office_id, self.offices)


def _no_figures_for(office_id: str, offices: tuple[OfficePerformance, ...]) -> UnknownTermError:
    """The error for an office the figures lack, naming the ones they have."""
    return UnknownTermError(
        f"no figures for office {office_id!r}; offices: "
        f"{', '.join(o.office for o in offices) or '(none)'}"
    )


# --------------------------------------------------------------------------- helpers


def wilson_lower(successes: int, trials: int, z: float = WILSON_Z) -> float | None:
    """The Wilson score lower bound of a proportion, in percent (``None`` for no trials).

    Examples:
        >>> round(wilson_lower(9, 10), 1), round(wilson_lower(90, 100), 1)
        (59.6, 82.6)
    """
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return 100.0 * max(0.0, (centre - margin) / (1 + z2 / trials))


def _hours(value: _dt.timedelta | None) -> float | None:
    return None if value is None else round(value / _dt.timedelta(hours=1), 2)


def spread(values_us: list[int]) -> Spread:
    """The :class:`Spread` of working times given in microseconds (sorts the list)."""
    n = len(values_us)
    if not n:
        return Spread(0, None, None)
    values_us.sort()
    mid = n // 2
    median = values_us[mid] if n % 2 else (values_us[mid - 1] + values_us[mid]) // 2
    p90 = values_us[max(0, math.ceil(0.9 * n) - 1)]
    return Spread(n, _dt.timedelta(microseconds=median), _dt.timedelta(microseconds=p90))


# --------------------------------------------------------------------------- calendar access


def _position_on(cal: WorkingCalendar) -> Callable[[_dt.datetime], int]:
    """Working µs from ``cal``'s first day to an instant, as one function per calendar.

    The reports reach the calendar's working-time index here and in
    :func:`_unsettled_reason` only.
    """
    return cal.working_time.position


def _unsettled_reason(cal: WorkingCalendar, first: int, last: int, lang: str) -> str:
    """Why deadlines in the years ``first..last`` rest on unsettled holiday data."""
    return cal.working_time.unsettled_reason(first, last, lang)


# --------------------------------------------------------------------------- counters

#: The outcomes of an SLA clock: the one met/breached rule (see :meth:`_Pass.outcomes`). Written
#: as literals in the code (a constant, not a global to look up, once per clock).
_Kind = Literal["met", "breached", "pending"]


class _GoalTally:
    """Outcomes of one goal at one office (behind :class:`GoalCount`)."""

    __slots__ = ("breached", "met", "pending", "provisional")

    def __init__(self) -> None:
        self.met = 0
        self.breached = 0
        self.pending = 0
        self.provisional = 0

    def add(self, kind: _Kind, provisional: bool) -> None:
        if kind == "met":
            self.met += 1
        elif kind == "breached":
            self.breached += 1
        else:
            self.pending += 1
        self.provisional += provisional

    def absorb(self, other: _GoalTally) -> None:
        self.met += other.met
        self.breached += other.breached
        self.pending += other.pending
        self.provisional += other.provisional

    def count(self, goal: str) -> GoalCount:
        return GoalCount(goal, self.met, self.breached, self.pending, self.provisional)


def _tally(table: dict[str, _GoalTally], goal: str) -> _GoalTally:
    tally = table.get(goal)
    if tally is None:
        tally = table[goal] = _GoalTally()
    return tally


class _ChannelTally:
    """How one channel fares at one office (behind :class:`ChannelFigures`)."""

    __slots__ = ("breached", "met", "open_now", "opened", "responded", "responses", "unanswered")

    def __init__(self) -> None:
        self.opened = 0
        self.responded = 0
        self.open_now = 0
        self.met = 0
        self.breached = 0
        self.unanswered = 0
        self.responses: list[int] = []

    def absorb(self, other: _ChannelTally) -> None:
        self.opened += other.opened
        self.responded += other.responded
        self.open_now += other.open_now
        self.met += other.met
        self.breached += other.breached
        self.unanswered += other.unanswered
        self.responses += other.responses

    def figures(self, code: str, office_response: Spread) -> ChannelFigures:
        own = spread(self.responses)
        silent = self.opened >= 5 and self.unanswered * 4 >= self.opened
        return ChannelFigures(
            code,
            self.opened,
            self.responded,
            self.unanswered,
            self.open_now,
            own,
            self.met,
            self.breached,
            _slow(own, office_response) or silent,
        )


def _slow(own: Spread, office: Spread) -> bool:
    """Whether a channel's first responses take at least twice the office's, and an hour.

    Judged on 5 responses or more, and only when both medians are known.
    """
    return (
        own.median is not None
        and office.median is not None
        and own.count >= 5
        and own.median >= max(2 * office.median, _dt.timedelta(hours=1))
    )


class _OutreachTally:
    """Outreach activities of one province and category (behind :class:`OutreachRow`)."""

    __slots__ = ("cancelled", "held", "participants", "planned", "villages")

    def __init__(self) -> None:
        self.planned = 0
        self.held = 0
        self.cancelled = 0
        self.participants = 0
        self.villages: set[str] = set()

    def held_one(self, event: CaseEvent, village: object) -> None:
        self.held += 1
        people = event.data.get("participants")
        if isinstance(people, int) and not isinstance(people, bool) and people > 0:
            self.participants += people
        if village:
            self.villages.add(str(village))

    def row(self, province: str, category: str) -> OutreachRow:
        return OutreachRow(
            province,
            category,
            self.planned,
            self.held,
            self.cancelled,
            self.participants,
            len(self.villages),
        )


# --------------------------------------------------------------------------- offices


@attrs.frozen
class _OfficeInfo:
    id: str
    name_id: str
    name_en: str
    province: str | None
    calendar: WorkingCalendar | None  # None for the all-offices row


def _known_offices(offices: object) -> tuple[dict[str, _OfficeInfo], WorkingCalendar | None]:
    """The ``offices`` argument as (office id -> what the report needs, a calendar for all)."""
    if isinstance(offices, WorkingCalendar):
        return {}, offices
    if isinstance(offices, Mapping):
        return _infos_of_calendars(offices), None
    if isinstance(offices, Iterable) and not isinstance(offices, str):
        return _infos_of_records(offices), None
    raise WrongTypeError(
        "offices must be a WorkingCalendar, a mapping office id -> calendar, or office "
        f"records (an Offices registry); got {type(offices).__name__}"
    )


def _infos_of_calendars(calendars: Mapping[str, object]) -> dict[str, _OfficeInfo]:
    """Offices known by their calendars only: each named by its id, in no province."""
    return {key: _info_of_calendar(key, cal) for key, cal in calendars.items()}


def _infos_of_records(records: Iterable[object]) -> dict[str, _OfficeInfo]:
    """Offices from an office registry, or office records.

    A record is anything with an id, names, a province and a calendar.
    """
    infos = (_info_of_record(office) for office in records)
    return {info.id: info for info in infos}


def _info_of_calendar(key: str, cal: object) -> _OfficeInfo:
    if not isinstance(cal, WorkingCalendar):
        raise WrongTypeError(
            f"offices maps office ids to WorkingCalendar; {key!r} maps to {type(cal).__name__}"
        )
    return _OfficeInfo(key, key, key, None, cal)


def _info_of_record(office: object) -> _OfficeInfo:
    cal = getattr(office, "calendar", None)
    office_id = getattr(office, "id", None)
    if not isinstance(cal, WorkingCalendar) or not isinstance(office_id, str):
        raise WrongTypeError(
            "offices must be a WorkingCalendar, a mapping office id -> calendar, or "
            f"office records with id and calendar; got an item {type(office).__name__}"
        )
    return _OfficeInfo(
        office_id,
        str(getattr(office, "name_id", office_id)),
        str(getattr(office, "name_en", office_id)),
        getattr(office, "province", None),
        cal,
    )


def _office_resolver(offices: object) -> Callable[[str], _OfficeInfo]:
    """Turn the ``offices`` argument into a lookup office id -> what the report needs."""
    known, single = _known_offices(offices)

    def lookup(office_id: str) -> _OfficeInfo:
        info = known.get(office_id)
        if info is not None:
            return info
        if single is None:
            raise UnknownTermError(
                f"no calendar given for office {office_id!r}; known: {', '.join(sorted(known))}"
            )
        info = known[office_id] = _OfficeInfo(office_id, office_id, office_id, None, single)
        return info

    return lookup


class _Period:
    """The period as ordinals and months (private)."""

    __slots__ = ("end", "months", "start")

    def __init__(self, start: _dt.date, end: _dt.date) -> None:
        self.start, self.end = start.toordinal(), end.toordinal()
        base = start.year * 12 + start.month - 1
        last = end.year * 12 + end.month - 1
        self.months = tuple(_dt.date(m // 12, m % 12 + 1, 1) for m in range(base, last + 1))


class _Acc:
    """One office during a pass: its calendar, the period's bounds and its running totals.

    Private, lives for one call.
    """

    __slots__ = (
        "bounds",
        "breach_cat",
        "breach_chan",
        "buckets",
        "cal",
        "chan",
        "goals",
        "info",
        "month_opened",
        "months",
        "open_now",
        "opened",
        "position",
        "resolution",
        "response",
        "t_in",
        "t_out",
        "today",
    )

    def __init__(self, info: _OfficeInfo, period: _Period, when: _dt.datetime) -> None:
        n_months = len(period.months)
        self.info = info
        # UTC instants of local midnight starting each month of the period, and the day
        # after it: one bisect tells whether an instant is in the period and its month
        self.bounds: list[_dt.datetime] = []
        if info.calendar is not None:
            self.cal: WorkingCalendar = info.calendar
            self.position = _position_on(info.calendar)
            zone = info.calendar.zone
            days = [_dt.date.fromordinal(period.start), *period.months[1:]]
            days.append(_dt.date.fromordinal(period.end + 1))
            self.bounds = [_dt.datetime.combine(d, _dt.time(), zone).astimezone(_UTC) for d in days]
            self.today = _dt.date.fromordinal(to_zone_fields(when, zone)[0])
        self.opened = 0
        self.open_now = 0
        self.buckets = [0] * len(BACKLOG_BUCKETS)  # open cases per age bucket
        self.goals: dict[str, _GoalTally] = {}
        self.months: list[dict[str, _GoalTally]] = [{} for _ in range(n_months)]
        self.month_opened = [0] * n_months
        self.response: list[int] = []
        self.resolution: list[int] = []
        self.breach_cat: dict[str, int] = {}
        self.breach_chan: dict[str, int] = {}
        self.chan: dict[str, _ChannelTally] = {}
        self.t_in = 0
        self.t_out = 0

    def month(self, instant: _dt.datetime) -> int:
        """The month index of ``instant`` in the period, or -1 outside it."""
        i = bisect_right(self.bounds, instant) - 1
        return i if 0 <= i < len(self.bounds) - 1 else -1

    def itself(self, instant: _dt.datetime) -> _Acc:
        """This office, whatever the instant (the holder of a case never transferred)."""
        return self

    def channel(self, code: str) -> _ChannelTally:
        tally = self.chan.get(code)
        if tally is None:
            tally = self.chan[code] = _ChannelTally()
        return tally

    def count_backlog(self, reading: _Reading, when: _dt.datetime) -> None:
        """A case this office holds, open at ``when``: its age and channel."""
        cal = self.cal
        opened_day = _dt.date.fromordinal(to_zone_fields(reading.case.opened_at, cal.zone)[0])
        age = cal.working_days_between(opened_day, self.today)
        self.open_now += 1
        self.buckets[_bucket(age)] += 1
        self.channel(reading.case.channel).open_now += 1

    def count_breach(self, case: Case, goal: str, chan: _ChannelTally) -> None:
        """A service goal breached in the period: by category and channel.

        ``chan`` is the case's channel at the office that opened it (where the
        first-response goal is counted per channel).
        """
        self.breach_cat[case.category] = self.breach_cat.get(case.category, 0) + 1
        self.breach_chan[case.channel] = self.breach_chan.get(case.channel, 0) + 1
        if goal == "first_response":
            chan.breached += 1

    def absorb(self, other: _Acc) -> None:
        """Add ``other``'s totals to these (for the all-offices row)."""
        self.opened += other.opened
        self.open_now += other.open_now
        self.t_in += other.t_in
        self.t_out += other.t_out
        self.response += other.response
        self.resolution += other.resolution
        self.buckets = _sums(self.buckets, other.buckets)
        self.month_opened = _sums(self.month_opened, other.month_opened)
        _absorb_goals(self.goals, other.goals)
        for mine, theirs in zip(self.months, other.months, strict=True):
            _absorb_goals(mine, theirs)
        _absorb_counts(self.breach_cat, other.breach_cat)
        _absorb_counts(self.breach_chan, other.breach_chan)
        for code, tally in other.chan.items():
            self.channel(code).absorb(tally)


def _sums(mine: list[int], theirs: list[int]) -> list[int]:
    """Two tallies of the same slots (buckets, months) added slot by slot."""
    return [a + b for a, b in zip(mine, theirs, strict=True)]


def _absorb_goals(mine: dict[str, _GoalTally], theirs: Mapping[str, _GoalTally]) -> None:
    for goal, tally in theirs.items():
        _tally(mine, goal).absorb(tally)


def _absorb_counts(mine: dict[str, int], theirs: Mapping[str, int]) -> None:
    for code, n in theirs.items():
        mine[code] = mine.get(code, 0) + n


# --------------------------------------------------------------------------- the one pass


class _Transfer(NamedTuple):
    at: _dt.datetime
    from_office: str
    to_office: str


#: A clock and its outcome: (the clock, met / breached / pending, the instant it was
#: decided — ``at`` while pending —, the office credited, whether its deadline rests on
#: unsettled holiday data).
_Outcome = tuple[SlaClock, _Kind, _dt.datetime, _Acc, bool]


class _Reading:
    """What one scan of a case's events up to ``at`` says (private).

    The one first-response rule: the first ``transition`` not done by the system
    (:func:`acted_by_system`). The case is open at ``at`` when its state then is not
    terminal.
    """

    __slots__ = (
        "case",
        "first_response",
        "holder",
        "known",
        "open",
        "opener",
        "plan",
        "resolved",
        "start_cal",
        "start_pos",
        "transfers",
    )

    def __init__(self, run: _Pass, case: Case, rules: _Rules) -> None:
        ends = rules.ends
        self.case = case
        self.plan = rules.plan
        self.known = rules.goals
        when = run.when
        events = case.events
        state = case.state
        first_response: _dt.datetime | None = None
        resolved: _dt.datetime | None = None
        transfers: list[_Transfer] = []
        for event in events:
            if event.at > when:
                state = events[event.seq - 1].dest
                break
            kind = event.kind
            if kind == "transition":
                if first_response is None and not acted_by_system(event.by, event.role):
                    first_response = event.at
                if resolved is None and event.dest in ends:
                    resolved = event.at
            elif kind == "transferred":
                data = event.data
                transfers.append(
                    _Transfer(event.at, str(data.get("from_office")), str(data.get("to_office")))
                )
        self.first_response = first_response
        self.resolved = resolved
        self.open = state not in ends
        self.transfers = transfers
        opener = transfers[0].from_office if transfers else case.office
        self.opener = run.accs.get(opener) or run.acc_of(opener)
        self.holder: Callable[[_dt.datetime], _Acc] = (
            partial(_holder_at, self.opener, transfers, run.acc_of)
            if transfers
            else self.opener.itself
        )
        self.start_cal: WorkingCalendar | None = None
        self.start_pos = 0

    def since_opening(self, instant: _dt.datetime) -> tuple[_Acc, int]:
        """The office holding the case at ``instant``, and the working µs to it.

        The one measure of first response and resolution: from the opening to
        ``instant`` on the calendar of the office holding the case then (the opening's
        position is kept per calendar).
        """
        who = self.holder(instant) if self.transfers else self.opener
        if who.cal is not self.start_cal:
            self.start_cal = who.cal
            self.start_pos = who.position(self.case.opened_at)
        return who, who.position(instant) - self.start_pos


def _holder_at(
    opener: _Acc,
    moves: list[_Transfer],
    acc_of: Callable[[str], _Acc],
    instant: _dt.datetime,
) -> _Acc:
    """The office holding a case at ``instant``, given its transfers."""
    office = opener
    for move in moves:
        if move.at > instant:
            break
        office = acc_of(move.to_office)
    return office


def _open_outcome(
    clock: SlaClock,
    plan: SlaPlan | None,
    when: _dt.datetime,
    holder: Callable[[_dt.datetime], _Acc],
) -> tuple[_Kind, _dt.datetime, _dt.datetime | None]:
    """The outcome of a clock not stopped by ``when`` (see :meth:`_Pass.outcomes`).

    Paused: breached if it recorded a breach (at its deadline as if it had resumed when
    it paused), else pending. Running: breached once its deadline passed.
    """
    due = clock.due_at
    paused = clock.paused_since
    if paused is not None and paused <= when:
        if "breach" in clock.recorded:
            return "breached", _deadline(plan, clock, holder(paused)), due
        return "pending", when, due
    if due is None:
        due = _deadline(plan, clock, holder(when))
    return ("breached", due, due) if when > due else ("pending", when, due)


def _unknown_goal(case: Case, clock: SlaClock) -> UnknownTermError:
    return UnknownTermError(
        f"case {case.id!r} has an SLA clock {clock.goal!r} that workflow "
        f"{case.workflow!r} v{case.workflow_version} does not define"
    )


def _deadline(plan: SlaPlan | None, clock: SlaClock, acc: _Acc) -> _dt.datetime:
    # the deadline as if the clock had resumed when it paused (its pauses so far)
    assert plan is not None  # the clock's goal is one of the plan's
    return deadline(plan.policy(clock.goal, clock.variant), clock, acc.cal, clock.pauses)


class _Rules:
    """What the pass needs of one workflow: its terminal states, SLA plan and goals."""

    __slots__ = ("ends", "goals", "plan")

    def __init__(self, workflow: Workflow) -> None:
        self.ends = frozenset(s.id for s in workflow.states if s.terminal)
        self.plan = workflow.spec.sla
        self.goals = frozenset(() if self.plan is None else self.plan.goals)


class _Pass:
    """The one reading of cases that both reports count from (private, one call).

    It checks each case against the workflows given, scans its events once
    (:class:`_Reading`) and decides each SLA clock's outcome (:meth:`outcomes`); the
    reports only choose what to count and for whom.
    """

    __slots__ = (
        "accs",
        "by_key",
        "lookup",
        "period",
        "rules",
        "unsettled",
        "unsettled_cal",
        "when",
    )

    def __init__(
        self,
        pool: list[Workflow],
        lookup: Callable[[str], _OfficeInfo],
        period: _Period,
        when: _dt.datetime,
    ) -> None:
        self.by_key: dict[tuple[str, int], Workflow] = {(w.name, w.version): w for w in pool}
        self.rules = {key: _Rules(w) for key, w in self.by_key.items()}
        self.lookup = lookup
        self.period = period
        self.when = when
        self.accs: dict[str, _Acc] = {}
        # the span of years of the deadlines that rest on unsettled data, and a calendar
        # to word it with
        self.unsettled: tuple[int, int] | None = None
        self.unsettled_cal: WorkingCalendar | None = None

    def acc_of(self, office_id: str) -> _Acc:
        acc = self.accs.get(office_id)
        if acc is None:
            acc = self.accs[office_id] = _Acc(self.lookup(office_id), self.period, self.when)
        return acc

    def admit(self, case: object) -> _Rules | None:
        """The rules of the case's workflow, or ``None`` for a case opened after ``at``.

        Raises:
            WrongTypeError: ``case`` is not a :class:`Case`.
            UnknownTermError: its workflow was not given.
        """
        if not isinstance(case, Case):
            raise WrongTypeError(f"cases must hold Case values, got {type(case).__name__}")
        rules = self.rules.get((case.workflow, case.workflow_version))
        if rules is None:
            raise UnknownTermError(
                f"case {case.id!r} runs on {case.workflow!r} v{case.workflow_version}, "
                f"which was not given; workflows: "
                f"{', '.join(f'{n}@{v}' for n, v in self.by_key) or '(none)'}"
            )
        return None if case.opened_at > self.when else rules

    def outcomes(self, reading: _Reading, clocks: Iterable[SlaClock]) -> Iterator[_Outcome]:
        """Each of ``clocks`` started by ``at``, with its outcome then.

        The one met/breached rule: met when the clock stopped on time; breached when its
        deadline passed (stopped late, still running late, or paused after a recorded
        breach); pending otherwise. A deadline is computed only for a clock paused or
        stopped without a cached one. The outcome counts for the office holding the
        case when it was decided (at ``at`` while pending).

        Raises:
            UnknownTermError: a clock's goal is not one of the workflow's.
        """
        # the hottest loop of the reports (once per clock): a stopped clock, the most
        # common, is decided here without a call
        when, plan, known, holder = self.when, reading.plan, reading.known, reading.holder
        opener = None if reading.transfers else reading.opener
        kind: _Kind
        for clock in clocks:
            if clock.started_at > when:
                continue
            if clock.goal not in known:
                raise _unknown_goal(reading.case, clock)
            stopped = clock.stopped_at
            if stopped is not None and stopped <= when:
                due = clock.due_at
                if due is None:  # stopped while paused: no cached deadline
                    due = _deadline(plan, clock, holder(stopped))
                kind, instant = ("met", stopped) if stopped <= due else ("breached", due)
            else:
                kind, instant, due = _open_outcome(clock, plan, when, holder)
            who = holder(instant) if opener is None else opener
            if clock.due_at is not None and not clock.provisional:  # most clocks
                yield clock, kind, instant, who, False
            else:
                yield clock, kind, instant, who, self._provisional(clock, plan, due, who)

    def _provisional(
        self, clock: SlaClock, plan: SlaPlan | None, due: _dt.datetime | None, who: _Acc
    ) -> bool:
        """Whether the clock's deadline rests on holiday data not settled yet.

        The cached flag, or (no cached deadline) the span from the start to the deadline,
        or to ``at`` while paused, against the calendar's unsettled years; elapsed time
        never rests on holidays.
        """
        last_year = (self.when if due is None else due).year
        if clock.due_at is not None:
            provisional = clock.provisional
        else:
            years = range(clock.started_at.year, last_year + 1)
            provisional = not who.cal.provisional_years.isdisjoint(years) and (
                plan is not None
                and SLA_UNITS[plan.policy(clock.goal, clock.variant).target.unit].on_calendar
            )
        if provisional:
            self._note_unsettled(clock.started_at.year, last_year, who.cal)
        return provisional

    def _note_unsettled(self, first: int, last: int, cal: WorkingCalendar) -> None:
        if self.unsettled is None:
            self.unsettled = (first, last)
            self.unsettled_cal = cal
        else:
            self.unsettled = (min(self.unsettled[0], first), max(self.unsettled[1], last))

    def provisional_reason(self) -> tuple[str, str]:
        """:attr:`PerformanceFigures.provisional_reason` of the clocks decided so far."""
        if self.unsettled is None or self.unsettled_cal is None:
            return ("", "")
        first, last = self.unsettled
        return (
            _unsettled_reason(self.unsettled_cal, first, last, "id"),
            _unsettled_reason(self.unsettled_cal, first, last, "en"),
        )


# --------------------------------------------------------------------------- the figures


class _Performance:
    """What :func:`performance_figures` counts of each reading, and for whom (private)."""

    __slots__ = ("outreach", "run", "service")

    def __init__(self, run: _Pass, service: frozenset[str]) -> None:
        self.run = run
        self.service = service
        self.outreach: dict[tuple[str, str], _OutreachTally] = {}

    def count(self, reading: _Reading) -> None:
        """Count one service case.

        Opened in the period: the opener's volume, and the first response and resolution
        times for the office holding the case then. Open at ``at``: the backlog. Then its
        SLA clocks and its transfers.
        """
        case = reading.case
        opener = reading.opener
        # the channel is listed for the opener whether the case was opened in the period
        chan = opener.chan.get(case.channel) or opener.channel(case.channel)
        month = bisect_right(opener.bounds, case.opened_at) - 1  # as _Acc.month
        if 0 <= month < len(opener.bounds) - 1:
            opener.opened += 1
            opener.month_opened[month] += 1
            chan.opened += 1
            if reading.first_response is not None:
                who, us = reading.since_opening(reading.first_response)
                who.response.append(us)
                chan.responded += 1
                chan.responses.append(us)
            else:
                chan.unanswered += 1
            if reading.resolved is not None:
                who, us = reading.since_opening(reading.resolved)
                who.resolution.append(us)
        if reading.open:
            reading.holder(self.run.when).count_backlog(reading, self.run.when)
        if case.clocks:
            self.count_clocks(reading, chan)
        for move in reading.transfers:
            self.count_transfer(move)

    def count_clocks(self, reading: _Reading, chan: _ChannelTally) -> None:
        """Each SLA clock's outcome, for the office credited.

        Pending, or met/breached in the period (by month); the service goals also by
        category and channel, and the first-response goal in ``chan``, the case's
        channel at the office that opened it.
        """
        # the hottest loop of the report (once per clock): the tallies are updated in
        # place here rather than through _GoalTally.add and _Acc.month
        case = reading.case
        service = self.service
        for clock, kind, instant, who, provisional in self.run.outcomes(reading, case.clocks):
            goal = clock.goal
            tally = who.goals.get(goal) or _tally(who.goals, goal)
            if kind == "pending":
                tally.pending += 1
                tally.provisional += provisional
                continue
            bounds = who.bounds
            month = bisect_right(bounds, instant) - 1
            if month < 0 or month >= len(bounds) - 1:
                continue
            if provisional:
                tally.provisional += 1
            by_month = who.months[month].get(goal) or _tally(who.months[month], goal)
            if kind == "met":
                tally.met += 1
                by_month.met += 1
                if goal == "first_response" and goal in service:
                    chan.met += 1
            else:
                tally.breached += 1
                by_month.breached += 1
                if goal in service:
                    who.count_breach(case, goal, chan)

    def count_transfer(self, move: _Transfer) -> None:
        source = self.run.acc_of(move.from_office)
        if source.month(move.at) >= 0:
            source.t_out += 1
            self.run.acc_of(move.to_office).t_in += 1

    def count_outreach(self, case: Case) -> None:
        """An outreach activity: planned, held or cancelled in the period."""
        acc = self.run.acc_of(case.office)
        attributes = case.attributes
        province = str(attributes.get("province") or acc.info.province or "-")
        key = (province, case.category)
        tally = self.outreach.get(key)
        if tally is None:
            tally = self.outreach[key] = _OutreachTally()
        if acc.month(case.opened_at) >= 0:
            tally.planned += 1
        for event in _moves_in_period(case, acc, self.run.when):
            if event.dest == "held":
                tally.held_one(event, attributes.get("village"))
            elif event.dest == "cancelled":
                tally.cancelled += 1

    def outreach_rows(self) -> tuple[OutreachRow, ...]:
        return tuple(tally.row(*key) for key, tally in sorted(self.outreach.items()))


def _moves_in_period(case: Case, acc: _Acc, when: _dt.datetime) -> Iterator[CaseEvent]:
    """The transitions of ``case`` to another state, by ``when`` and in ``acc``'s period."""
    for event in case.events:
        if event.at > when:
            return
        if event.kind == "transition" and event.source != event.dest and acc.month(event.at) >= 0:
            yield event


def _workflow_list(workflows: object) -> list[Workflow]:
    if isinstance(workflows, Workflow):
        return [workflows]
    if isinstance(workflows, Iterable) and not isinstance(workflows, str | bytes):
        pool = list(workflows)
        if all(isinstance(w, Workflow) for w in pool):
            return pool
    raise WrongTypeError(
        f"workflows must be a Workflow or an iterable of them, got {type(workflows).__name__}"
    )


def _check_period(period_start: object, period_end: object) -> tuple[_dt.date, _dt.date]:
    start, end = _day(period_start, "period_start"), _day(period_end, "period_end")
    if end < start:
        raise InvalidArgumentError(f"period ends ({end}) before it starts ({start})")
    return start, end


def _day(value: object, what: str) -> _dt.date:
    """``value`` if it is a day: a ``date``, not a ``datetime`` (whose day depends on a zone)."""
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise WrongTypeError(
            f"{what} must be a datetime.date (an office-local day), "
            f"got {type(value).__name__} {value!r}"
        )
    return value


def _check_options(outreach: object, service_goals: object) -> frozenset[str]:
    """The service goals as a set, once both options are checked."""
    if isinstance(service_goals, str) or not isinstance(service_goals, Iterable):
        raise WrongTypeError(
            f"service_goals must be an iterable of goal names, got {type(service_goals).__name__}"
        )
    service = frozenset(service_goals)
    if not isinstance(outreach, str):
        raise WrongTypeError(
            f"outreach must be a workflow name (str), got {type(outreach).__name__}"
        )
    return service


def _goal_sources(pool: list[Workflow]) -> tuple[GoalSource, ...]:
    seen: dict[tuple[str, str], GoalSource] = {}
    for wf in pool:
        plan = wf.spec.sla
        for p in () if plan is None else plan.policies:
            seen.setdefault((p.name, p.variant), _goal_source(p))
    return tuple(seen.values())


def _goal_source(policy: SlaPolicy) -> GoalSource:
    """What the report says of ``policy``'s target and where it comes from."""
    return GoalSource(
        policy.name,
        policy.variant,
        policy.target.describe(),
        policy.source,
        policy.confirmed,
        policy.description,
        policy.basis or "default",
    )


#: The goals an office answers for itself (the complainant's and the respondent's
#: deadlines — documents, clarity, unreachable, settlement — are not the office's).
SERVICE_GOALS: tuple[str, ...] = ("first_response", "verification", "resolution")


def performance_figures(
    cases: Iterable[Case],
    *,
    workflows: Workflow | Iterable[Workflow],
    offices: object,
    period_start: _dt.date,
    period_end: _dt.date,
    at: _dt.datetime,
    outreach: str = "outreach",
    service_goals: Iterable[str] = SERVICE_GOALS,
) -> PerformanceFigures:
    """Compute the office performance figures over ``cases`` in one pass.

    Each case is read once: its events (opening, officer actions, transfers, terminal
    states) and its SLA clocks as stored (their cached deadlines; a deadline is computed
    only for a clock paused or stopped without one). Nothing is replayed.

    What is counted where:

    * *opened*, *channels*: service cases opened in the period (office-local days), for
      the office that opened them.
    * *first response*, *resolution*: working time from opening to the first officer
      action / the first terminal state, for cases opened in the period, for the office
      holding the case at that moment, on its calendar.
    * *goals* met or breached: each SLA clock whose outcome falls in the period — met
      when it stopped on time, breached when its deadline passed — for the office holding
      the case at that moment; *pending*: clocks within their deadline at ``at``.
    * *breaches by category / channel* and the *ranking*: the ``service_goals`` only.
    * *backlog*: service cases not in a terminal state at ``at``, whenever opened, for
      the office holding them at ``at``, by age in working days since opening.
    * *transfers*: ``"transferred"`` events in the period (``data`` names
      ``from_office`` and ``to_office``).
    * *outreach*: cases of the ``outreach`` workflow, per province and category.

    :func:`office_report` is a view over the same pass: the same first response and
    the same met/breached rule, counted per cohort of cases opened in the period.

    Args:
        cases: Any iterable of cases, read once (a generator over a table is fine).
        workflows: The workflows the cases run on (terminal states, SLA policies).
        offices: The offices: an ``Offices`` registry (names, provinces, calendars), a
            mapping office id -> calendar, or one :class:`WorkingCalendar` for all.
        period_start: The first office-local day of the period.
        period_end: The last office-local day of the period (included).
        at: The instant the figures are taken at (aware); events after it are ignored.
        outreach: The name of the outreach workflow (its cases are activities, counted
            apart from complaints).
        service_goals: The goals an office answers for (breakdowns and ranking).

    Returns:
        The figures, offices sorted by id.

    Raises:
        WrongTypeError: a period bound is not a date, or ``offices`` is of another kind.
        InvalidArgumentError: the period ends before it starts.
        UnknownTermError: a case's workflow or office was not given.
    """
    start, end = _check_period(period_start, period_end)
    when = utc(at, "at")
    pool = _workflow_list(workflows)
    service = _check_options(outreach, service_goals)
    sources = _goal_sources(pool)
    run = _Pass(pool, _office_resolver(offices), _Period(start, end), when)
    figures = _Performance(run, service)
    n_read = 0
    admit, count = run.admit, figures.count
    for case in cases:
        n_read += 1
        rules = admit(case)
        if rules is None:
            continue
        if case.workflow == outreach:
            figures.count_outreach(case)
        else:
            count(_Reading(run, case, rules))
    return _figures(figures, sources, (start, end), n_read)


def _figures(
    figures: _Performance,
    sources: tuple[GoalSource, ...],
    days: tuple[_dt.date, _dt.date],
    cases_read: int,
) -> PerformanceFigures:
    """The figures once every case is counted: one row per office (by id), and all."""
    run, service = figures.run, figures.service
    accs = run.accs
    goal_order = tuple(dict.fromkeys(s.goal for s in sources))
    office_rows = tuple(_finish(accs[k], goal_order, run.period) for k in sorted(accs))
    return PerformanceFigures(
        period_start=days[0],
        period_end=days[1],
        at=run.when,
        workflows=tuple(f"{n}@{v}" for n, v in run.by_key),
        goal_sources=sources,
        service_goals=tuple(g for g in goal_order if g in service),
        offices=office_rows,
        total=_finish(_total(run), goal_order, run.period),
        ranking=_ranking(office_rows, service),
        outreach=figures.outreach_rows(),
        cases_read=cases_read,
        calendar_versions=tuple((k, accs[k].cal.version) for k in sorted(accs)),
        provisional_reason=run.provisional_reason(),
    )


def _total(run: _Pass) -> _Acc:
    """All offices together (office ``"*"``)."""
    total = _Acc(
        _OfficeInfo(ALL_OFFICES, "Semua kantor", "All offices", None, None), run.period, run.when
    )
    for k in sorted(run.accs):
        total.absorb(run.accs[k])
    return total


def _bucket(age: int) -> int:
    for i, (_, low, high) in enumerate(BACKLOG_BUCKETS):
        if high is None or age <= high:
            return i if age >= low else 0
    return len(BACKLOG_BUCKETS) - 1


def _finish(acc: _Acc, goal_order: tuple[str, ...], period: _Period) -> OfficePerformance:
    # the goals in policy order, then any a case's clock named that no policy does
    names = (*goal_order, *(g for g in acc.goals if g not in goal_order))
    response = spread(acc.response)
    info = acc.info
    return OfficePerformance(
        office=info.id,
        name_id=info.name_id,
        name_en=info.name_en,
        province=info.province,
        tz="" if info.calendar is None else info.calendar.tz,
        opened=acc.opened,
        open_now=acc.open_now,
        backlog=_backlog(acc),
        goals=_goal_counts(acc.goals, names),
        months=_month_rows(acc, names, period),
        first_response=response,
        resolution=spread(acc.resolution),
        breaches_by_category=_counts(acc.breach_cat),
        breaches_by_channel=_counts(acc.breach_chan),
        channels=_channel_rows(acc, response),
        transfers_in=acc.t_in,
        transfers_out=acc.t_out,
    )


def _goal_counts(
    tallies: Mapping[str, _GoalTally], names: tuple[str, ...]
) -> tuple[GoalCount, ...]:
    """The counts of each goal in ``names``, zero for a goal without a tally."""
    empty = _GoalTally()
    return tuple(tallies.get(g, empty).count(g) for g in names)


def _month_rows(acc: _Acc, names: tuple[str, ...], period: _Period) -> tuple[MonthRow, ...]:
    """One row per month of the period: cases opened and each goal's counts."""
    return tuple(
        MonthRow(month=first, opened=acc.month_opened[i], goals=_goal_counts(acc.months[i], names))
        for i, first in enumerate(period.months)
    )


def _backlog(acc: _Acc) -> tuple[BacklogBucket, ...]:
    """The open cases of ``acc`` by age, one entry per bucket of :data:`BACKLOG_BUCKETS`."""
    return tuple(
        BacklogBucket(label, low, high, acc.buckets[i])
        for i, (label, low, high) in enumerate(BACKLOG_BUCKETS)
    )


def _channel_rows(acc: _Acc, response: Spread) -> tuple[ChannelFigures, ...]:
    """The figures of each channel, the busiest first (then by code)."""
    return tuple(
        acc.chan[code].figures(code, response)
        for code in sorted(acc.chan, key=lambda c: (-acc.chan[c].opened, c))
    )


def _counts(table: Mapping[str, int]) -> tuple[Count, ...]:
    return tuple(Count(k, v) for k, v in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])))


def _rank_row(row: OfficePerformance, service: frozenset[str]) -> RankRow:
    """``row``'s place in the ranking, without its rank yet."""
    met = breached = 0
    for g in row.goals:
        if g.goal in service:
            met += g.met
            breached += g.breached
    decided = met + breached
    return RankRow(
        rank=None,
        office=row.office,
        opened=row.opened,
        met=met,
        breached=breached,
        compliance=_percent(met, decided),
        wilson_lower=wilson_lower(met, decided),
        breaches_per_100=_percent(breached, row.opened),
    )


def _percent(part: int, whole: int) -> float | None:
    """``part`` per hundred of ``whole``; ``None`` when there is no whole to share."""
    return None if not whole else 100.0 * part / whole


def _ranking(rows: tuple[OfficePerformance, ...], service: frozenset[str]) -> tuple[RankRow, ...]:
    scored = sorted(
        (_rank_row(r, service) for r in rows),
        key=lambda s: (s.wilson_lower is None, -(s.wilson_lower or 0.0), s.office),
    )
    return _numbered(scored)


def _numbered(scored: list[RankRow]) -> tuple[RankRow, ...]:
    """``scored`` (best first) with their ranks; an office with nothing decided has none."""
    return tuple(
        s if s.wilson_lower is None else attrs.evolve(s, rank=position)
        for position, s in enumerate(scored, 1)
    )
