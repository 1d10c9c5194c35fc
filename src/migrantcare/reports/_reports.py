"""Office performance figures over many cases, as plain rows for a dashboard."""

from __future__ import annotations

import datetime as _dt
import statistics
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from migrantcare._validate import quote
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._replay import check_workflows
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError, WrongTypeError
from migrantcare.offices._actors import acted_by_system
from migrantcare.records._case import Case, utc
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


def _calendar_for(
    calendars: WorkingCalendar
    | Mapping[str, WorkingCalendar]
    | Callable[[str], WorkingCalendar]
    | None,
    workflow: Workflow,
    office: str,
) -> WorkingCalendar:
    if calendars is None:
        return workflow.calendar_of(office)
    if isinstance(calendars, WorkingCalendar):
        return calendars
    if isinstance(calendars, Mapping):
        try:
            return calendars[office]
        except KeyError:
            raise UnknownTermError(f"no calendar given for office {quote(office)}") from None
    if callable(calendars):
        return calendars(office)
    raise WrongTypeError(
        "calendars must be a WorkingCalendar, a mapping office -> calendar, or a function"
    )


def _holders(case: Case) -> list[tuple[_dt.datetime, str]]:
    """(from when, office) for each office that held the case, oldest first."""
    out = [(case.opened_at, str(case.events[0].data.get("office", case.office)))]
    for event in case.events:
        if event.kind == "transferred":
            out.append((event.at, str(event.data["to_office"])))
    return out


def _holder_at(holders: list[tuple[_dt.datetime, str]], instant: _dt.datetime | None) -> str:
    if instant is None:
        return holders[-1][1]
    office = holders[0][1]
    for since, who in holders:
        if since <= instant:
            office = who
    return office


def _new_row() -> dict[str, Any]:
    return {"opened": 0, "open": 0, "goals": {}, "responses": []}


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

    A case counts as opened by the office that registered it and as still open for the
    office holding it now. Each SLA goal's outcome counts for the office that held the
    case when it was decided: when the clock stopped (met, or breached late), or when
    its deadline passed (breached while running); a running clock counts for the
    current office. Transfers therefore move a case's later outcomes, never its
    earlier ones.

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
    for what, day in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(day, _dt.date) or isinstance(day, _dt.datetime):
            raise WrongTypeError(f"{what} must be a datetime.date, got {type(day).__name__}")
    if period_end < period_start:
        raise InvalidArgumentError(f"period ends ({period_end}) before it starts ({period_start})")
    when = utc(at, "at")
    pool = check_workflows(workflows)
    by_key = {(w.name, w.version): w for w in pool}
    if isinstance(cases, str | bytes | Mapping) or not isinstance(cases, Iterable):
        raise WrongTypeError(f"cases must be an iterable of Case, got {type(cases).__name__}")
    acc: dict[str, dict[str, Any]] = {}
    for case in cases:
        if not isinstance(case, Case):
            raise WrongTypeError(f"cases must be Case values, got {type(case).__name__}")
        wf = by_key.get((case.workflow, case.workflow_version))
        if wf is None:
            raise UnknownTermError(
                f"case {case.id!r} runs on {case.workflow!r} v{case.workflow_version}, "
                "which was not given"
            )
        cal = _calendar_for(calendars, wf, case.office)
        opened_day = cal.local(case.opened_at).date()
        if not period_start <= opened_day <= period_end:
            continue
        holders = _holders(case)
        opener = acc.setdefault(holders[0][1], _new_row())
        opener["opened"] += 1
        current = acc.setdefault(case.office, _new_row())
        if not wf.state(case.state).terminal:
            current["open"] += 1
        if wf.spec.sla is not None:
            clocks = current_clocks(case.clocks)
            for clock, status in zip(clocks, wf.status(case, at=when, calendar=cal), strict=True):
                if status.state == "met":
                    decided: _dt.datetime | None = clock.stopped_at
                elif status.state == "breached":
                    decided = status.due_at
                    if clock.stopped_at is not None and clock.stopped_at < decided:
                        decided = clock.stopped_at
                else:
                    decided = None
                row = acc.setdefault(_holder_at(holders, decided), _new_row())
                counts = row["goals"].setdefault(status.goal, [0, 0, 0, 0])
                index = {"met": 0, "breached": 1}.get(status.state, 2)
                counts[index] += 1
                counts[3] += status.provisional
        for event in case.events[1:]:
            if event.kind == "transition" and not acted_by_system(event.by, event.role):
                opener["responses"].append(cal.working_time_between(case.opened_at, event.at))
                break
    rows = []
    for office_id in sorted(acc):
        data = acc[office_id]
        responses = data["responses"]
        rows.append(
            OfficeFigures(
                office=office_id,
                period_start=period_start,
                period_end=period_end,
                opened=data["opened"],
                still_open=data["open"],
                goals=tuple(GoalFigures(goal, *counts) for goal, counts in data["goals"].items()),
                responded=len(responses),
                median_first_response=statistics.median(responses) if responses else None,
            )
        )
    return rows
