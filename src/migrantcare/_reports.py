"""Office performance figures over many cases, as plain rows for a dashboard."""

from __future__ import annotations

import datetime as _dt
import statistics
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from migrantcare._calendar import WorkingCalendar
from migrantcare._case import Case, utc
from migrantcare._validate import quote
from migrantcare._workflow import Workflow, check_workflows
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError, WrongTypeError


@attrs.frozen
class GoalFigures:
    """Outcomes of one SLA goal's clocks among an office's cases.

    Attributes:
        goal: The policy name.
        met: Clocks stopped on time.
        breached: Clocks past their deadline (stopped late, or still running late).
        running: Clocks still running (or paused) within their deadline.
    """

    goal: str
    met: int = 0
    breached: int = 0
    running: int = 0

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
            row[f"{g.goal}_compliance_pct"] = (
                None if g.compliance is None else round(g.compliance, 1)
            )
        return row


def _calendar_for(
    calendars: WorkingCalendar | Mapping[str, WorkingCalendar] | Callable[[str], WorkingCalendar],
    office: str,
) -> WorkingCalendar:
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


def office_report(
    cases: Iterable[Case],
    *,
    now: _dt.datetime,
    workflows: Workflow | Iterable[Workflow],
    calendars: WorkingCalendar | Mapping[str, WorkingCalendar] | Callable[[str], WorkingCalendar],
    period_start: _dt.date,
    period_end: _dt.date,
) -> list[OfficeFigures]:
    """Compute per-office figures for the cases opened in ``period_start..period_end``.

    Args:
        cases: Any iterable of cases (a query result, a generator over a table).
        now: The instant the figures are taken at (aware).
        workflows: The workflows the cases run on (for terminal states and SLA plans).
        calendars: The office calendars: one for all, a mapping, or a function.
        period_start: First office-local date of the period.
        period_end: Last office-local date of the period (included).

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
    when = utc(now, "now")
    pool = check_workflows(workflows)
    by_key = {(w.name, w.version): w for w in pool}
    if isinstance(cases, str | bytes | Mapping) or not isinstance(cases, Iterable):
        raise WrongTypeError(f"cases must be an iterable of Case, got {type(cases).__name__}")
    acc: dict[str, dict[str, Any]] = {}
    for case in cases:
        if not isinstance(case, Case):
            raise WrongTypeError(f"cases must be Case values, got {type(case).__name__}")
        cal = _calendar_for(calendars, case.office)
        opened_day = cal.local(case.opened_at).date()
        if not period_start <= opened_day <= period_end:
            continue
        wf = by_key.get((case.workflow, case.workflow_version))
        if wf is None:
            raise UnknownTermError(
                f"case {case.id!r} runs on {case.workflow!r} v{case.workflow_version}, "
                "which was not given"
            )
        office = acc.setdefault(case.office, {"opened": 0, "open": 0, "goals": {}, "responses": []})
        office["opened"] += 1
        if not wf.state(case.state).terminal:
            office["open"] += 1
        plan = wf.spec.sla
        if plan is not None:
            for status in wf.status(case, when, cal):
                counts = office["goals"].setdefault(status.goal, [0, 0, 0])
                index = {"met": 0, "breached": 1}.get(status.state, 2)
                counts[index] += 1
        for event in case.events[1:]:
            if event.kind == "transition" and not event.by.startswith("system:"):
                office["responses"].append(cal.working_time_between(case.opened_at, event.at))
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
