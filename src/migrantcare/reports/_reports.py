"""Per-office figures for the cases opened in a period, as plain rows for a dashboard.

:func:`office_report` is a view over the pass of :func:`performance_figures`: the same
reading of each case (first response, resolution, transfers, state at ``at``) and the
same met/breached rule, counted per cohort of cases opened in the period.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from migrantcare._validate import quote
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._replay import check_workflows
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError, WrongTypeError
from migrantcare.records._case import Case, utc
from migrantcare.reports._performance import (
    _Acc,
    _OfficeInfo,
    _Pass,
    _Period,
    _Reading,
    _tally,
)
from migrantcare.sla._sla import current_clocks


@attrs.frozen
class GoalFigures:
    """Outcomes of one SLA goal's clocks among an office's cases.

    Attributes:
        goal: The policy name.
        met: Clocks stopped on time.
        breached: Clocks past their deadline (stopped late, or still running late).
        running: Clocks still running (or paused) within their deadline.
        provisional: Of all three, the deadlines that rest on holiday data not settled
            yet (estimated dates, or cuti bersama not decreed: ``SlaStatus.provisional``).
    """

    goal: str
    met: int = 0
    breached: int = 0
    running: int = 0
    provisional: int = 0

    @property
    def compliance(self) -> float | None:
        """``met / (met + breached)`` as a percentage, or ``None`` with no outcome yet."""
        decided = self.met + self.breached
        return None if decided == 0 else 100.0 * self.met / decided


@attrs.frozen
class OfficeFigures:
    """One office's figures for cases opened in a period.

    Attributes:
        office: The office id.
        period_start: First day of the period (office-local date, included).
        period_end: Last day of the period (included).
        opened: Cases opened in the period.
        still_open: Of those, cases not in a terminal state at ``now``.
        goals: Per SLA goal, the outcomes of those cases' clocks at ``now``.
        responded: Cases with a first response by an officer.
        median_first_response: Median working time from opening to the first officer
            action, on the office's calendar.
    """

    office: str
    period_start: _dt.date
    period_end: _dt.date
    opened: int
    still_open: int
    goals: tuple[GoalFigures, ...]
    responded: int
    median_first_response: _dt.timedelta | None

    def as_row(self) -> dict[str, Any]:
        """A flat, JSON-compatible dict for a dashboard or a CSV writer."""
        row: dict[str, Any] = {
            "office": self.office,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "opened": self.opened,
            "still_open": self.still_open,
            "responded": self.responded,
            "median_first_response_hours": None
            if self.median_first_response is None
            else round(self.median_first_response / _dt.timedelta(hours=1), 2),
        }
        for g in self.goals:
            row[f"{g.goal}_met"] = g.met
            row[f"{g.goal}_breached"] = g.breached
            row[f"{g.goal}_running"] = g.running
            row[f"{g.goal}_provisional"] = g.provisional
            row[f"{g.goal}_compliance_pct"] = (
                None if g.compliance is None else round(g.compliance, 1)
            )
        return row


def _calendar_lookup(
    calendars: WorkingCalendar
    | Mapping[str, WorkingCalendar]
    | Callable[[str], WorkingCalendar]
    | None,
    pool: list[Workflow],
) -> Callable[[str], _OfficeInfo]:
    """Turn the ``calendars`` argument into a lookup office id -> calendar."""

    def lookup(office: str) -> _OfficeInfo:
        return _OfficeInfo(office, office, office, None, _calendar_for(calendars, pool, office))

    return lookup


def _calendar_for(
    calendars: WorkingCalendar
    | Mapping[str, WorkingCalendar]
    | Callable[[str], WorkingCalendar]
    | None,
    pool: list[Workflow],
    office: str,
) -> WorkingCalendar:
    if calendars is None:
        return _bound_calendar(pool, office)
    if isinstance(calendars, WorkingCalendar):
        return calendars
    if isinstance(calendars, Mapping):
        try:
            found = calendars[office]
        except KeyError:
            raise UnknownTermError(f"no calendar given for office {quote(office)}") from None
    elif callable(calendars):
        found = calendars(office)
    else:
        raise WrongTypeError(
            "calendars must be a WorkingCalendar, a mapping office -> calendar, or a function"
        )
    if not isinstance(found, WorkingCalendar):
        raise WrongTypeError(
            f"calendars gave a {type(found).__name__} for office {quote(office)}, "
            "not a WorkingCalendar"
        )
    return found


def _bound_calendar(pool: list[Workflow], office: str) -> WorkingCalendar:
    """``office``'s calendar in the registry of the first bound workflow of ``pool``."""
    for wf in pool:
        try:
            return wf.calendar_of(office)
        except InvalidArgumentError:  # not bound: the next one may be
            continue
    return pool[0].calendar_of(office)  # none is bound: say so


class _Cohort:
    """What :func:`office_report` counts of each reading, and for whom (private).

    Only the cases opened in the period count. The opener is credited with the opening
    and the first response, the office holding the case at ``at`` with it being open,
    and each goal's outcome goes where the pass credits it (the holder when it was
    decided; the holder at ``at`` while pending).
    """

    __slots__ = ("rows", "run")

    def __init__(self, run: _Pass) -> None:
        self.run = run
        self.rows: dict[str, _Acc] = {}

    def count(self, case: object) -> None:
        run = self.run
        rules = run.admit(case)
        if rules is None:
            return
        assert isinstance(case, Case)  # admitted
        reading = _Reading(run, case, rules)
        opener = reading.opener
        if opener.month(case.opened_at) < 0:
            return
        opener.opened += 1
        self._touch(opener)
        now = self._touch(reading.holder(run.when))
        if reading.open:
            now.open_now += 1
        self._count_goals(reading)
        if reading.first_response is not None:
            opener.response.append(reading.since_opening(reading.first_response)[1])

    def _count_goals(self, reading: _Reading) -> None:
        # the newest cycle of each goal: where the goal stands now
        for clock, kind, _, who, provisional in self.run.outcomes(
            reading, current_clocks(reading.case.clocks)
        ):
            _tally(self._touch(who).goals, clock.goal).add(kind, provisional)

    def _touch(self, acc: _Acc) -> _Acc:
        self.rows.setdefault(acc.info.id, acc)
        return acc

    def figures(self, period_start: _dt.date, period_end: _dt.date) -> list[OfficeFigures]:
        return [
            _office_figures(self.rows[office], period_start, period_end)
            for office in sorted(self.rows)
        ]


def _office_figures(acc: _Acc, period_start: _dt.date, period_end: _dt.date) -> OfficeFigures:
    responses = sorted(_dt.timedelta(microseconds=us) for us in acc.response)
    return OfficeFigures(
        office=acc.info.id,
        period_start=period_start,
        period_end=period_end,
        opened=acc.opened,
        still_open=acc.open_now,
        goals=tuple(
            GoalFigures(goal, t.met, t.breached, t.pending, t.provisional)
            for goal, t in acc.goals.items()
        ),
        responded=len(responses),
        median_first_response=_median(responses),
    )


def _median(ordered: list[_dt.timedelta]) -> _dt.timedelta | None:
    """The median (of the two middle values, the mean) of ``ordered``."""
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _check_dates(period_start: object, period_end: object) -> None:
    for what, day in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(day, _dt.date) or isinstance(day, _dt.datetime):
            raise WrongTypeError(f"{what} must be a datetime.date, got {type(day).__name__}")
    assert isinstance(period_start, _dt.date)
    assert isinstance(period_end, _dt.date)
    if period_end < period_start:
        raise InvalidArgumentError(f"period ends ({period_end}) before it starts ({period_start})")


def office_report(
    cases: Iterable[Case],
    *,
    at: _dt.datetime,
    workflows: Workflow | Iterable[Workflow],
    period_start: _dt.date,
    period_end: _dt.date,
    calendars: WorkingCalendar
    | Mapping[str, WorkingCalendar]
    | Callable[[str], WorkingCalendar]
    | None = None,
) -> list[OfficeFigures]:
    """Compute per-office figures for the cases opened in ``period_start..period_end``.

    A case counts as opened by the office that registered it (in the period of that
    office's local days) and as still open for the office holding it at ``at``. Each
    SLA goal's outcome counts for the office that held the case when it was decided:
    when the clock stopped (met, or breached late), or when its deadline passed
    (breached while running); a running clock counts for the current office. Transfers
    therefore move a case's later outcomes, never its earlier ones. Events after ``at``
    are not counted.

    A view over the pass of :func:`performance_figures`: the first response (the first
    action not done by the system, measured in working time on the calendar of the
    office then holding the case) and the met/breached rule are the same, so the two
    reports agree.

    Args:
        cases: Any iterable of cases (a query result, a generator over a table).
        at: The instant the figures are taken at (aware).
        workflows: The workflows the cases run on (for terminal states and SLA plans);
            bound workflows resolve each office's calendar.
        period_start: First office-local date of the period.
        period_end: Last office-local date of the period (included).
        calendars: For unbound workflows, the office calendars: one for all, a
            mapping, or a function.

    Returns:
        One :class:`OfficeFigures` per office with cases in the period, sorted by office.

    Raises:
        InvalidArgumentError: the period ends before it starts.
    """
    _check_dates(period_start, period_end)
    when = utc(at, "at")
    pool = check_workflows(workflows)
    if isinstance(cases, str | bytes | Mapping) or not isinstance(cases, Iterable):
        raise WrongTypeError(f"cases must be an iterable of Case, got {type(cases).__name__}")
    cohort = _Cohort(
        _Pass(pool, _calendar_lookup(calendars, pool), _Period(period_start, period_end), when)
    )
    for case in cases:
        cohort.count(case)
    return cohort.figures(period_start, period_end)
