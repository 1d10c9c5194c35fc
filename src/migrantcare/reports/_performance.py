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
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

import attrs

from migrantcare._time import to_zone_fields
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError, WrongTypeError
from migrantcare.offices._actors import acted_by_system
from migrantcare.records._case import Case
from migrantcare.records._sla_state import SlaClock
from migrantcare.sla._sla import SlaPlan, deadline

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
        raise UnknownTermError(
            f"no figures for office {office_id!r}; offices: "
            f"{', '.join(o.office for o in self.offices) or '(none)'}"
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


@attrs.frozen
class _OfficeInfo:
    id: str
    name_id: str
    name_en: str
    province: str | None
    calendar: WorkingCalendar | None  # None for the all-offices row


def _office_resolver(offices: object) -> Callable[[str], _OfficeInfo]:
    """Turn the ``offices`` argument into a lookup office id -> what the report needs."""
    known: dict[str, _OfficeInfo] = {}
    single: WorkingCalendar | None = None
    if isinstance(offices, WorkingCalendar):
        single = offices
    elif isinstance(offices, Mapping):
        for key, cal in offices.items():
            if not isinstance(cal, WorkingCalendar):
                raise WrongTypeError(
                    f"offices maps office ids to WorkingCalendar; {key!r} maps to "
                    f"{type(cal).__name__}"
                )
            known[key] = _OfficeInfo(key, key, key, None, cal)
    elif isinstance(offices, Iterable) and not isinstance(offices, str):
        # an office registry, or office records: anything with id, names, province, calendar
        for office in offices:
            cal = getattr(office, "calendar", None)
            office_id = getattr(office, "id", None)
            if not isinstance(cal, WorkingCalendar) or not isinstance(office_id, str):
                raise WrongTypeError(
                    "offices must be a WorkingCalendar, a mapping office id -> calendar, or "
                    f"office records with id and calendar; got an item {type(office).__name__}"
                )
            known[office_id] = _OfficeInfo(
                office_id,
                str(getattr(office, "name_id", office_id)),
                str(getattr(office, "name_en", office_id)),
                getattr(office, "province", None),
                cal,
            )
    else:
        raise WrongTypeError(
            "offices must be a WorkingCalendar, a mapping office id -> calendar, or office "
            f"records (an Offices registry); got {type(offices).__name__}"
        )

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


class _Acc:
    """Running totals of one office during the pass (private, lives for one call)."""

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
            zone = info.calendar.zone
            days = [_dt.date.fromordinal(period.start), *period.months[1:]]
            days.append(_dt.date.fromordinal(period.end + 1))
            self.bounds = [_dt.datetime.combine(d, _dt.time(), zone).astimezone(_UTC) for d in days]
            self.today = _dt.date.fromordinal(to_zone_fields(when, zone)[0])
        self.opened = 0
        self.open_now = 0
        self.buckets = [0] * len(BACKLOG_BUCKETS)
        # goal -> [met, breached, pending, provisional]
        self.goals: dict[str, list[int]] = {}
        self.months: list[dict[str, list[int]]] = [{} for _ in range(n_months)]
        self.month_opened = [0] * n_months
        self.response: list[int] = []
        self.resolution: list[int] = []
        self.breach_cat: dict[str, int] = {}
        self.breach_chan: dict[str, int] = {}
        # channel -> [opened, responded, open_now, met, breached, unanswered], responses
        self.chan: dict[str, tuple[list[int], list[int]]] = {}
        self.t_in = 0
        self.t_out = 0

    def month(self, instant: _dt.datetime) -> int:
        """The month index of ``instant`` in the period, or -1 outside it."""
        i = bisect_right(self.bounds, instant) - 1
        return i if 0 <= i < len(self.bounds) - 1 else -1

    def itself(self, instant: _dt.datetime) -> _Acc:
        """This office, whatever the instant (the holder of a case never transferred)."""
        return self

    def channel(self, code: str) -> tuple[list[int], list[int]]:
        entry = self.chan.get(code)
        if entry is None:
            entry = self.chan[code] = ([0, 0, 0, 0, 0, 0], [])
        return entry

    def goal(self, goal: str) -> list[int]:
        counts = self.goals.get(goal)
        if counts is None:
            counts = self.goals[goal] = [0, 0, 0, 0]
        return counts

    def absorb(self, other: _Acc) -> None:
        """Add ``other``'s totals to these (for the all-offices row)."""
        self.opened += other.opened
        self.open_now += other.open_now
        self.t_in += other.t_in
        self.t_out += other.t_out
        self.response += other.response
        self.resolution += other.resolution
        for i, n in enumerate(other.buckets):
            self.buckets[i] += n
        for i, n in enumerate(other.month_opened):
            self.month_opened[i] += n
        for goal, counts in other.goals.items():
            mine = self.goal(goal)
            for i, n in enumerate(counts):
                mine[i] += n
        for i, table in enumerate(other.months):
            for goal, counts in table.items():
                row = self.months[i].setdefault(goal, [0, 0])
                row[0] += counts[0]
                row[1] += counts[1]
        for mine_t, theirs in ((self.breach_cat, other.breach_cat),
                               (self.breach_chan, other.breach_chan)):  # fmt: skip
            for code, n in theirs.items():
                mine_t[code] = mine_t.get(code, 0) + n
        for code, (counts, responses) in other.chan.items():
            mine_c, mine_r = self.channel(code)
            for i, n in enumerate(counts):
                mine_c[i] += n
            mine_r += responses


class _Period:
    """The period as ordinals and months (private)."""

    __slots__ = ("end", "months", "start")

    def __init__(self, start: _dt.date, end: _dt.date) -> None:
        self.start, self.end = start.toordinal(), end.toordinal()
        base = start.year * 12 + start.month - 1
        last = end.year * 12 + end.month - 1
        self.months = tuple(_dt.date(m // 12, m % 12 + 1, 1) for m in range(base, last + 1))


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
    for what, value in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
            raise WrongTypeError(
                f"{what} must be a datetime.date (an office-local day), "
                f"got {type(value).__name__} {value!r}"
            )
    assert isinstance(period_start, _dt.date)
    assert isinstance(period_end, _dt.date)
    if period_end < period_start:
        raise InvalidArgumentError(f"period ends ({period_end}) before it starts ({period_start})")
    return period_start, period_end


def _goal_sources(pool: list[Workflow]) -> tuple[GoalSource, ...]:
    seen: dict[tuple[str, str], GoalSource] = {}
    for wf in pool:
        plan = wf.spec.sla
        if plan is None:
            continue
        for p in plan.policies:
            seen.setdefault(
                (p.name, p.variant),
                GoalSource(
                    p.name,
                    p.variant,
                    p.target.describe(),
                    p.source,
                    p.confirmed,
                    p.description,
                    p.basis or "default",
                ),
            )
    return tuple(seen.values())


#: The goals an office answers for itself (the complainant's and the respondent's
#: deadlines — documents, clarity, unreachable, settlement — are not the office's).
SERVICE_GOALS: tuple[str, ...] = ("first_response", "verification", "resolution")


def performance_figures(  # noqa: PLR0915 - one pass over the cases, on purpose
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
    when = _as_utc(at)
    pool = _workflow_list(workflows)
    by_key: dict[tuple[str, int], Workflow] = {(w.name, w.version): w for w in pool}
    terminal = {key: frozenset(s.id for s in w.states if s.terminal) for key, w in by_key.items()}
    policies = {key: w.spec.sla for key, w in by_key.items()}
    goal_names = {
        key: frozenset() if plan is None else frozenset(plan.goals)
        for key, plan in policies.items()
    }
    if isinstance(service_goals, str) or not isinstance(service_goals, Iterable):
        raise WrongTypeError(
            f"service_goals must be an iterable of goal names, got {type(service_goals).__name__}"
        )
    service = frozenset(service_goals)
    if not isinstance(outreach, str):
        raise WrongTypeError(
            f"outreach must be a workflow name (str), got {type(outreach).__name__}"
        )
    sources = _goal_sources(pool)
    goal_order = tuple(dict.fromkeys(s.goal for s in sources))
    lookup = _office_resolver(offices)
    period = _Period(start, end)
    accs: dict[str, _Acc] = {}
    outreach_acc: dict[tuple[str, str], list[Any]] = {}

    def acc_of(office_id: str) -> _Acc:
        acc = accs.get(office_id)
        if acc is None:
            acc = accs[office_id] = _Acc(lookup(office_id), period, when)
        return acc

    # the span of years of the deadlines that rest on unsettled data, and a calendar to
    # word it with: [first year, last year]
    unsettled: list[int] = []
    unsettled_cal: WorkingCalendar | None = None
    n_read = 0
    for case in cases:
        n_read += 1
        if not isinstance(case, Case):
            raise WrongTypeError(f"cases must hold Case values, got {type(case).__name__}")
        key = (case.workflow, case.workflow_version)
        ends = terminal.get(key)
        if ends is None:
            raise UnknownTermError(
                f"case {case.id!r} runs on {case.workflow!r} v{case.workflow_version}, "
                f"which was not given; workflows: "
                f"{', '.join(f'{n}@{v}' for n, v in by_key) or '(none)'}"
            )
        opened_at = case.opened_at
        if opened_at > when:
            continue
        if case.workflow == outreach:
            _count_outreach(case, acc_of(case.office), when, outreach_acc)
            continue
        # ---- one scan of the events
        transfers: list[tuple[_dt.datetime, str, str]] = []
        first_response: _dt.datetime | None = None
        resolved: _dt.datetime | None = None
        state = case.state
        for event in case.events:
            if event.at > when:
                state = case.events[event.seq - 1].dest
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
                    (event.at, str(data.get("from_office")), str(data.get("to_office")))
                )
        opener = acc_of(transfers[0][1] if transfers else case.office)
        holder: Callable[[_dt.datetime], _Acc] = (
            partial(_holder_at, opener, transfers, acc_of) if transfers else opener.itself
        )

        # ---- opened in the period, responsiveness
        chan = opener.channel(case.channel)
        month = opener.month(opened_at)
        if month >= 0:
            opener.opened += 1
            opener.month_opened[month] += 1
            chan[0][0] += 1
            # the opening's working position, once per calendar (usually one)
            start_cal: WorkingCalendar | None = None
            start_pos = 0
            if first_response is not None:
                who = holder(first_response)
                start_cal = who.cal
                start_pos = start_cal._working_position(opened_at)
                us = start_cal._working_position(first_response) - start_pos
                who.response.append(us)
                chan[0][1] += 1
                chan[1].append(us)
            else:
                chan[0][5] += 1
            if resolved is not None:
                who = holder(resolved)
                cal = who.cal
                if cal is not start_cal:
                    start_pos = cal._working_position(opened_at)
                who.resolution.append(cal._working_position(resolved) - start_pos)
        # ---- backlog at ``at``
        if state not in ends:
            now_acc = holder(when)
            cal = now_acc.cal
            opened_day = _dt.date.fromordinal(to_zone_fields(opened_at, cal.zone)[0])
            age = cal.working_days_between(opened_day, now_acc.today)
            now_acc.open_now += 1
            now_acc.buckets[_bucket(age)] += 1
            now_acc.channel(case.channel)[0][2] += 1
        # ---- SLA outcomes
        if case.clocks:
            known = goal_names[key]
            for clock in case.clocks:
                if clock.started_at > when:
                    continue
                goal = clock.goal
                if goal not in known:
                    raise UnknownTermError(
                        f"case {case.id!r} has an SLA clock {goal!r} that workflow "
                        f"{case.workflow!r} v{case.workflow_version} does not define"
                    )
                stopped = clock.stopped_at
                due = clock.due_at
                outcome = 2  # pending
                instant = when
                if stopped is not None and stopped <= when:
                    if due is None:  # stopped while paused: no cached deadline
                        due = _deadline(policies[key], clock, holder(stopped))
                    outcome, instant = (0, stopped) if stopped <= due else (1, due)
                elif clock.paused_since is not None and clock.paused_since <= when:
                    if "breach" in clock.recorded:
                        outcome = 1
                        instant = _deadline(policies[key], clock, holder(clock.paused_since))
                else:
                    if due is None:
                        due = _deadline(policies[key], clock, holder(when))
                    if when > due:
                        outcome, instant = 1, due
                who = holder(instant) if transfers else opener
                counts = who.goals.get(goal)
                if counts is None:
                    counts = who.goals[goal] = [0, 0, 0, 0]
                # Provisional: the cached flag, or (no cached deadline) the span from the
                # start to the deadline, or to ``at`` while paused, against the
                # calendar's unsettled years; elapsed time never rests on holidays.
                last_year = (when if due is None else due).year
                years = who.cal.provisional_years
                provisional = (
                    clock.provisional
                    if clock.due_at is not None
                    else (
                        not years.isdisjoint(range(clock.started_at.year, last_year + 1))
                        and _counts_working_time(policies[key], clock)
                    )
                )
                if provisional:
                    first_year = clock.started_at.year
                    if not unsettled:
                        unsettled[:] = [first_year, last_year]
                        unsettled_cal = who.cal
                    else:
                        unsettled[0] = min(unsettled[0], first_year)
                        unsettled[1] = max(unsettled[1], last_year)
                if outcome == 2:
                    counts[2] += 1
                    counts[3] += provisional
                    continue
                bounds = who.bounds
                month = bisect_right(bounds, instant) - 1
                if month < 0 or month >= len(bounds) - 1:
                    continue
                counts[outcome] += 1
                counts[3] += provisional
                table = who.months[month]
                by_month = table.get(goal)
                if by_month is None:
                    by_month = table[goal] = [0, 0]
                by_month[outcome] += 1
                if goal in service:
                    if outcome == 1:
                        who.breach_cat[case.category] = who.breach_cat.get(case.category, 0) + 1
                        who.breach_chan[case.channel] = who.breach_chan.get(case.channel, 0) + 1
                    if goal == "first_response":
                        chan[0][3 + outcome] += 1
        # ---- transfers in the period
        for t, frm, to in transfers:
            if t > when:
                break
            source = acc_of(frm)
            if source.month(t) >= 0:
                source.t_out += 1
                acc_of(to).t_in += 1

    total = _Acc(_OfficeInfo(ALL_OFFICES, "Semua kantor", "All offices", None, None), period, when)
    for k in sorted(accs):
        total.absorb(accs[k])
    office_rows = tuple(_finish(accs[k], goal_order, period, service) for k in sorted(accs))
    total_row = _finish(total, goal_order, period, service)
    return PerformanceFigures(
        period_start=start,
        period_end=end,
        at=when,
        workflows=tuple(f"{n}@{v}" for n, v in by_key),
        goal_sources=sources,
        service_goals=tuple(g for g in goal_order if g in service),
        offices=office_rows,
        total=total_row,
        ranking=_ranking(office_rows, service),
        outreach=tuple(
            OutreachRow(prov, cat, v[0], v[1], v[2], v[3], len(v[4]))
            for (prov, cat), v in sorted(outreach_acc.items())
        ),
        cases_read=n_read,
        calendar_versions=tuple((k, accs[k].cal.version) for k in sorted(accs)),
        provisional_reason=(
            ("", "")
            if unsettled_cal is None
            else (
                unsettled_cal._reason(unsettled[0], unsettled[1], "id"),
                unsettled_cal._reason(unsettled[0], unsettled[1], "en"),
            )
        ),
    )


def _as_utc(at: object) -> _dt.datetime:
    from migrantcare.records._case import utc  # noqa: PLC0415 - keep the import graph one-way

    return utc(at, "at")


def _counts_working_time(plan: SlaPlan | None, clock: SlaClock) -> bool:
    # an elapsed-time target runs through holidays: no holiday data can move it
    assert plan is not None  # the case has clocks of a goal of this plan
    return plan.policy(clock.goal, clock.variant).target.unit != "elapsed"


def _deadline(plan: SlaPlan | None, clock: SlaClock, acc: _Acc) -> _dt.datetime:
    # the deadline as if the clock had resumed when it paused (its pauses so far)
    assert plan is not None  # the case has clocks of a goal of this plan
    return deadline(plan.policy(clock.goal, clock.variant), clock, acc.cal, clock.pauses)


def _holder_at(
    opener: _Acc,
    moves: list[tuple[_dt.datetime, str, str]],
    acc_of: Callable[[str], _Acc],
    instant: _dt.datetime,
) -> _Acc:
    """The office holding a case at ``instant``, given its transfers."""
    office = opener
    for t, _, to in moves:
        if t > instant:
            break
        office = acc_of(to)
    return office


def _bucket(age: int) -> int:
    for i, (_, low, high) in enumerate(BACKLOG_BUCKETS):
        if high is None or age <= high:
            return i if age >= low else 0
    return len(BACKLOG_BUCKETS) - 1


def _count_outreach(
    case: Case, acc: _Acc, when: _dt.datetime, table: dict[tuple[str, str], list[Any]]
) -> None:
    attributes = case.attributes
    province = str(attributes.get("province") or acc.info.province or "-")
    row = table.get((province, case.category))
    if row is None:
        row = table[(province, case.category)] = [0, 0, 0, 0, set()]
    if acc.month(case.opened_at) >= 0:
        row[0] += 1
    for event in case.events:
        if event.at > when:
            break
        if event.kind != "transition" or event.source == event.dest:
            continue
        if acc.month(event.at) < 0:
            continue
        if event.dest == "held":
            row[1] += 1
            people = event.data.get("participants")
            if isinstance(people, int) and not isinstance(people, bool) and people > 0:
                row[3] += people
            village = attributes.get("village")
            if village:
                row[4].add(str(village))
        elif event.dest == "cancelled":
            row[2] += 1


def _finish(
    acc: _Acc, goal_order: tuple[str, ...], period: _Period, service: frozenset[str]
) -> OfficePerformance:
    goals = tuple(
        GoalCount(g, *acc.goals.get(g, (0, 0, 0, 0)))
        for g in (*goal_order, *(g for g in acc.goals if g not in goal_order))
    )
    names = [g.goal for g in goals]
    months = tuple(
        MonthRow(
            month=first,
            opened=acc.month_opened[i],
            goals=tuple(GoalCount(g, *acc.months[i].get(g, (0, 0))) for g in names),
        )
        for i, first in enumerate(period.months)
    )
    response = spread(acc.response)
    channels = []
    for code in sorted(acc.chan, key=lambda c: (-acc.chan[c][0][0], c)):
        counts, responses = acc.chan[code]
        own = spread(responses)
        opened, responded, open_now, met, breached, unanswered = counts
        slow = (
            own.median is not None
            and response.median is not None
            and own.count >= 5
            and own.median >= max(2 * response.median, _dt.timedelta(hours=1))
        )
        silent = opened >= 5 and unanswered * 4 >= opened
        channels.append(
            ChannelFigures(
                code, opened, responded, unanswered, open_now, own, met, breached, slow or silent
            )
        )
    info = acc.info
    return OfficePerformance(
        office=info.id,
        name_id=info.name_id,
        name_en=info.name_en,
        province=info.province,
        tz="" if info.calendar is None else info.calendar.tz,
        opened=acc.opened,
        open_now=acc.open_now,
        backlog=tuple(
            BacklogBucket(label, low, high, acc.buckets[i])
            for i, (label, low, high) in enumerate(BACKLOG_BUCKETS)
        ),
        goals=goals,
        months=months,
        first_response=response,
        resolution=spread(acc.resolution),
        breaches_by_category=_counts(acc.breach_cat),
        breaches_by_channel=_counts(acc.breach_chan),
        channels=tuple(channels),
        transfers_in=acc.t_in,
        transfers_out=acc.t_out,
    )


def _counts(table: Mapping[str, int]) -> tuple[Count, ...]:
    return tuple(Count(k, v) for k, v in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])))


def _ranking(rows: tuple[OfficePerformance, ...], service: frozenset[str]) -> tuple[RankRow, ...]:
    scored = []
    for r in rows:
        met = sum(g.met for g in r.goals if g.goal in service)
        breached = sum(g.breached for g in r.goals if g.goal in service)
        decided = met + breached
        scored.append(
            (
                wilson_lower(met, decided),
                r.office,
                r.opened,
                met,
                breached,
                None if not decided else 100.0 * met / decided,
                None if not r.opened else 100.0 * breached / r.opened,
            )
        )
    scored.sort(key=lambda s: (s[0] is None, -(s[0] or 0.0), s[1]))
    out = []
    for position, (lower, office, opened, met, breached, comp, per100) in enumerate(scored, 1):
        out.append(
            RankRow(
                None if lower is None else position,
                office,
                opened,
                met,
                breached,
                comp,
                lower,
                per100,
            )
        )
    return tuple(out)
