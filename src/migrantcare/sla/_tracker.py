"""The SLA clocks of a workflow's cases: which policies run, and what events do to them.

An :class:`SlaTracker` is owned by a workflow (one per compiled definition, shared by
its bindings: nothing in it depends on the offices). It selects the policies of a case,
moves the clocks after every event, records the facts the clocks produce (warnings,
breaches, a recompute on a new calendar) and answers where a case stands.

It sits below the workflow engine: what it needs of the engine (the resolved calendar,
the actor recorded, the firing of an escalation) is passed in, so this module knows
nothing of workflows, offices or permissions.

What an event does to the clocks depends only on the case's (category, priority,
channel), which select the policies, and on the event's name, destination and the state
it enters; the tracker keeps that per selection as an :class:`Effect`, under one of two
keys: the dispatch step the event took (a step has one name, source and destination) or,
for the events that are not steps (an opening, a transfer, a migration), those three.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Protocol, TypeVar

import attrs

from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.exceptions import CalendarMismatchError
from migrantcare.records._case import (
    Case,
    CaseEvent,
    canonical_json,
    in_time_order,
    make_event,
    next_case,
)
from migrantcare.records._sla_state import SlaClock
from migrantcare.sla._sla import (
    Concern,
    SlaPlan,
    SlaPolicy,
    SlaStatus,
    _new_status,
    apply_event,
    clock_status,
    concerns,
    current_clocks,
    due_cases,
    entered_state,
    new_measure,
    next_due_at,
    pending_marks,
    rebase,
    record_mark,
    refresh,
)

#: The clocks of a case after an event, and the version and zone of their calendar.
Tracked = tuple[tuple[SlaClock, ...], str, str]


class Recorder(Protocol):
    """Who is recorded on the facts the tracker writes (an ``Actor``)."""

    @property
    def id(self) -> str:
        """The actor's id."""

    @property
    def role(self) -> str | None:
        """The role recorded."""

    @property
    def office(self) -> str | None:
        """The actor's office."""


A = TypeVar("A", bound=Recorder)

#: ``escalate(case, trigger, at, by, data, calendar)``: fire ``trigger`` (a breach's
#: ``escalate_with``) on the case if its state allows it, else return the case as is.
#: ``stopped_on(case, clock, holding)``: the calendar of the office that held ``case``
#: when ``clock`` stopped (``holding``: the calendar of the office holding it now).
StoppedOn = Callable[[Case, SlaClock, WorkingCalendar], WorkingCalendar]
Escalate = Callable[[Case, str, _dt.datetime, A, Mapping[str, Any], WorkingCalendar], Case]


@attrs.frozen
class Effect:
    """What one event does to the clocks of one selection of policies.

    Attributes:
        policies: The policies the case's category, priority and channel select.
        concerned: Each policy the event concerns, with whether it stops, pauses and
            starts its clock (see :func:`~migrantcare.sla._sla.concerns`).
        acting: Those of ``concerned`` that stop, pause or start a clock: a concern that
            does none of these only resumes a paused clock, so with no clock paused
            the event does only these (and nothing at all when there are none).
    """

    policies: tuple[SlaPolicy, ...]
    concerned: tuple[Concern, ...]
    acting: tuple[Concern, ...]


#: A warning or breach due on a clock, as :meth:`SlaTracker.advance` records it: when it
#: fell due, ``"breach"`` or the warning's name, the share of the budget used then, the
#: clock and its policy. A plain tuple: a sweep makes one or two for every case it meets.
Due = tuple[_dt.datetime, str, float, SlaClock, SlaPolicy]


class SlaTracker:
    """The SLA clocks of one workflow's cases, under its plan.

    Args:
        plan: The plan as the engine runs it (waiting states among each policy's
            pauses); ``None``: the workflow tracks no clocks.
    """

    __slots__ = ("_by_event", "_by_step", "_selected", "plan")

    def __init__(self, plan: SlaPlan | None) -> None:
        self.plan = plan
        # (category, priority, channel) -> the policies they select
        self._selected: dict[tuple[str, str, str], tuple[SlaPolicy, ...]] = {}
        # (step, category, priority, channel) -> what the step does to the clocks
        self._by_step: dict[tuple[Hashable, str, str, str], Effect] = {}
        # (category, priority, channel, event name, destination, state entered) -> the same,
        # for an event that is not a step
        self._by_event: dict[tuple[str, str, str, str, str, str | None], Effect] = {}

    def policies(self, case: Case) -> tuple[SlaPolicy, ...]:
        """The policies whose clocks run on ``case`` (none without a plan)."""
        plan = self.plan
        if plan is None:
            return ()
        key = (case.category, case.priority, case.channel)
        chosen = self._selected.get(key)
        if chosen is None:
            # the choice depends on these three codes only: one small table per workflow
            chosen = self._selected[key] = plan.select(case)
        return chosen

    def _effect(self, case: Case, event: CaseEvent) -> Effect:
        policies = self.policies(case)
        concerned = concerns(policies, event.name, event.dest, entered_state(event))
        return Effect(policies, concerned, tuple(c for c in concerned if c[1] or c[2] or c[3]))

    def quiet(self, case: Case, step: Hashable, calendar: WorkingCalendar | None) -> bool:
        """Whether ``step`` (a step with no guard or callback) moves none of the case's clocks.

        Only known once the step has been taken from the case's selection: until then,
        ``False`` (the caller fires it, which works it out).
        """
        if self.plan is None or calendar is None:
            return True  # no clocks to move
        if case.calendar_version != calendar.version or any(c.paused for c in case.clocks):
            return False
        known = self._by_step.get((step, case.category, case.priority, case.channel))
        return known is not None and not known.acting

    def clocks_after(
        self,
        case: Case,
        event: CaseEvent,
        calendar: WorkingCalendar | None,
        step: Hashable | None = None,
    ) -> Tracked | None:
        """The case's SLA clocks after ``event``, and their calendar; None: unchanged.

        ``step`` is the dispatch step ``event`` took, when it is a transition: it stands
        for the event's name, source and destination in the cache key.
        """
        if self.plan is None or calendar is None:
            return None
        if step is None:
            key = (
                case.category,
                case.priority,
                case.channel,
                event.name,
                event.dest,
                entered_state(event),
            )
            known = self._by_event.get(key)
            if known is None:
                known = self._by_event[key] = self._effect(case, event)
        else:
            at_step = (step, case.category, case.priority, case.channel)
            known = self._by_step.get(at_step)
            if known is None:
                known = self._by_step[at_step] = self._effect(case, event)
        before = case.clocks
        for c in before:
            if c.paused_since is not None and c.stopped_at is None:
                # a paused clock's policy is concerned by every event (it may resume):
                # apply_event works out what concerns it
                after, stale = apply_event(before, known.policies, event, calendar, known.concerned)
                break
        else:
            if not known.acting:  # the event does nothing to any clock
                if case.calendar_version == calendar.version:
                    return None
                return before, calendar.version, calendar.tz
            after, stale = apply_event(
                before, known.policies, event, calendar, known.acting, none_paused=True
            )
        if stale:
            after = self._refreshed(after, stale, calendar)
        elif after is before and case.calendar_version == calendar.version:
            return None
        return after, calendar.version, calendar.tz

    def _refreshed(
        self, clocks: tuple[SlaClock, ...], stale: frozenset[int], calendar: WorkingCalendar
    ) -> tuple[SlaClock, ...]:
        """``clocks`` with those at the positions ``stale`` computed again on ``calendar``."""
        plan = self.plan
        assert plan is not None
        shared = new_measure(calendar)
        return tuple(
            refresh(c, plan.policy(c.goal, c.variant), calendar, shared) if i in stale else c
            for i, c in enumerate(clocks)
        )

    def track(self, case: Case, event: CaseEvent, calendar: WorkingCalendar | None) -> Case:
        """Apply ``event`` (the case's newest) to its clocks; refresh the ones it changed."""
        tracked = self.clocks_after(case, event, calendar)
        if tracked is None:
            return case
        return case.tracked(*tracked)

    def rebased(
        self,
        clocks: tuple[SlaClock, ...],
        old: WorkingCalendar | None,
        new: WorkingCalendar | None,
        at: _dt.datetime,
    ) -> tuple[SlaClock, ...]:
        """``clocks`` moved at ``at`` from calendar ``old`` to ``new`` (a transfer)."""
        plan = self.plan
        if plan is None or old is None or new is None:
            return clocks
        return tuple(rebase(c, plan.policy(c.goal, c.variant), old, new, at) for c in clocks)

    def append_fact(  # noqa: PLR0917 - internal, mirrors make_event
        self,
        case: Case,
        kind: str,
        name: str,
        at: _dt.datetime,
        by: Recorder,
        data: Mapping[str, Any],
        note: str | None = None,
    ) -> Case:
        """Record a fact that does not move the state (an SLA warning, breach, recompute)."""
        event = make_event(
            case.events[-1],
            kind,
            name,
            case.state,
            case.state,
            at,
            by.id,
            by.role,
            by.office,
            note,
            canonical_json(data),
        )
        clocks = case.clocks
        if kind == "sla" and name in ("warning", "breach"):
            clocks = record_mark(clocks, data["goal"], data["cycle"], data["mark"])
        # next_case is attrs.evolve of these fields without its per-field walk (a sweep
        # records a mark or two on every case it advances)
        return next_case(
            case,
            case.state,
            (*case.events, event),
            clocks,
            case.calendar_version,
            case.calendar_zone,
        )

    def recompute_on(
        self,
        case: Case,
        calendar: WorkingCalendar,
        when: _dt.datetime,
        by: Recorder,
        data: Mapping[str, Any] | None = None,
    ) -> Case:
        """Record one ``recomputed`` event and move every unfinished clock to ``calendar``."""
        plan = self.plan
        assert plan is not None
        if data is None:
            data = {"from": case.calendar_version, "to": calendar.version}
        case = self.append_fact(case, "sla", "recomputed", when, by, data)
        clocks = tuple(
            c if c.stopped_at is not None else refresh(c, plan.policy(c.goal, c.variant), calendar)
            for c in case.clocks
        )
        return case.tracked(clocks, calendar.version, calendar.tz)

    def sync(
        self, case: Case, calendar: WorkingCalendar | None, when: _dt.datetime, by: Recorder
    ) -> Case:
        """Refuse a calendar of another zone; recompute every clock on a new version."""
        if calendar is None or self.plan is None:
            return case
        zone = case.calendar_zone
        if zone is not None and zone != calendar.tz:
            raise CalendarMismatchError(
                f"case {case.id!r}: its clocks run on a calendar in {zone} "
                f"({case.calendar_version}); calendar {calendar.version} is in {calendar.tz}. "
                "A case changes zone only by a transfer to an office in that zone"
            )
        if case.calendar_version is not None and case.calendar_version != calendar.version:
            return self.recompute_on(case, calendar, when, by)
        return case

    def status(
        self,
        case: Case,
        when: _dt.datetime,
        calendar: WorkingCalendar,
        stopped_on: StoppedOn | None = None,
    ) -> tuple[SlaStatus, ...]:
        """Where each SLA goal of ``case`` stands at ``when`` (UTC), on the office's calendar.

        A clock that stopped on another calendar (before a transfer) is measured on
        ``stopped_on(case, clock, calendar)``, the calendar of the office where it
        stopped, so that its figures stay what they were there. Needs a plan (the
        workflow answers ``()`` without one).
        """
        plan = self.plan
        assert plan is not None
        zone = case.calendar_zone
        if zone is not None and zone != calendar.tz:
            raise _zone_error(case, calendar, "")
        shared = new_measure(calendar)
        # the plan's own table: the clocks' goal/variant were checked when they were
        # stored (plan.policy checks its arguments again on every call)
        by_key = plan._by_key
        version = calendar.version
        statuses = []
        for c in current_clocks(case.clocks):
            policy = by_key.get((c.goal, c.variant)) or plan.policy(c.goal, c.variant)
            if (
                stopped_on is not None
                and c.stopped_at is not None
                and c.calendar_version != version
            ):
                # a clock stopped before a transfer: measured where it stopped
                there = clock_status(c, policy, stopped_on(case, c, calendar), when)
                statuses.append(_in_zone(there, calendar))
            else:
                statuses.append(clock_status(c, policy, calendar, when, shared))
        return tuple(statuses)

    # They read only what the cases carry: the functions themselves, without a call
    # more (a sweep asks them of every case).
    #: The earliest instant at which :meth:`advance` will record a warning or breach.
    next_due_at = staticmethod(next_due_at)
    #: The cases whose :meth:`next_due_at` is at or before ``at`` (one pass).
    due_cases = staticmethod(due_cases)

    def advance(
        self,
        case: Case,
        when: _dt.datetime,
        by: A,
        calendar: WorkingCalendar | None,
        escalate: Escalate[A],
    ) -> Case:
        """Record the warnings and breaches due at ``when``, then fire their escalations.

        ``when`` is UTC and not before the case's newest event; a new calendar version
        is recomputed on first (see :meth:`sync`).
        """
        if self.plan is None or not case.clocks:
            return case
        assert calendar is not None
        case = self.sync(case, calendar, when, by)
        escalations: list[tuple[SlaClock, str]] = []
        for instant, mark, fraction, clock, policy in self._due(case, when):
            assert clock.due_at is not None
            data = {
                "goal": clock.goal,
                "variant": clock.variant,
                "cycle": clock.cycle,
                "mark": mark,
                "threshold_percent": round(fraction * 100),
                "crossed_at": instant.isoformat(),
                "due_at": clock.due_at.isoformat(),
                "calendar_version": clock.calendar_version,
            }
            name = "breach" if mark == "breach" else "warning"
            case = self.append_fact(case, "sla", name, when, by, data)
            trigger = policy.escalate_with
            if name == "breach" and clock.stopped_at is None and trigger:
                escalations.append((clock, trigger))
        for clock, trigger in escalations:
            data = {"sla_goal": clock.goal, "sla_cycle": clock.cycle}
            case = escalate(case, trigger, when, by, data, calendar)
        return case

    def _due(self, case: Case, when: _dt.datetime) -> list[Due]:
        """The marks due by ``when`` on the case's clocks, oldest first."""
        plan = self.plan
        assert plan is not None
        due: list[Due] = []
        for clock in case.clocks:
            policy = plan.policy(clock.goal, clock.variant)
            for instant, mark, fraction in pending_marks(clock, policy):
                if instant <= when:
                    due.append((instant, mark, fraction, clock, policy))
        due.sort(key=lambda item: item[0])
        return due

    def recompute(
        self, case: Case, when: _dt.datetime, by: Recorder, calendar: WorkingCalendar | None
    ) -> Case:
        """Recompute the case's unfinished clocks on ``calendar`` if its version is new."""
        if self.plan is None or calendar is None or case.calendar_version == calendar.version:
            return case
        when = in_time_order(case, when)
        zone = case.calendar_zone
        if zone is not None and zone != calendar.tz:
            raise _zone_error(case, calendar, " (a zone changes only by a transfer)")
        return self.recompute_on(case, calendar, when, by)


def _zone_error(case: Case, calendar: WorkingCalendar, why: str) -> CalendarMismatchError:
    """The refusal of a calendar in another zone than the one the case's clocks run in."""
    return CalendarMismatchError(
        f"case {case.id!r}: its clocks run on a calendar in {case.calendar_zone}; calendar "
        f"{calendar.version} is in {calendar.tz}{why}"
    )


def _in_zone(status: SlaStatus, calendar: WorkingCalendar) -> SlaStatus:
    """``status`` with its instants shown in ``calendar``'s zone (the holding office's)."""
    zone = calendar.zone
    alert = status.next_alert_at
    return _new_status(
        status.goal,
        status.variant,
        status.cycle,
        status.state,
        status.started_at.astimezone(zone),
        status.due_at.astimezone(zone),
        status.elapsed,
        status.remaining,
        status.percent_used,
        status.provisional,
        status.recorded,
        None if alert is None else alert.astimezone(zone),
        status.target,
        status.source,
        status.confirmed,
        status.provisional_reason,
    )
