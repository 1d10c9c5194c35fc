"""Replaying a stored history: the opening, then every event, through the bound workflow.

Stores and :meth:`~migrantcare.Case.verify` hand a decoded history here; what comes back
is the case the engine would have made, or an :class:`~migrantcare.exceptions.IntegrityError`
naming the first event that does not replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from migrantcare._validate import (
    quote,
)
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import (
    IntegrityError,
    MigrantCareError,
    WrongTypeError,
)
from migrantcare.offices._actors import Actor
from migrantcare.records._case import (
    Case,
    CaseEvent,
    Person,
)


def _event_actor(event: CaseEvent) -> Actor:
    """The actor of a recorded event, as far as the event tells (id, role, office)."""
    return recorded_actor(event.by, event.role, event.office)


def recorded_actor(by: str, role: str | None, office: str | None) -> Actor:
    """The actor an event records as ``by``, ``role`` and ``office``, to replay it."""
    return Actor(by, roles=() if role is None else (role,), office=office)


def replay(
    case: Case,
    workflows: Workflow | Iterable[Workflow],
    *,
    calendar: WorkingCalendar | None = None,
) -> Case:
    """Rebuild ``case`` from its events by firing them again through the workflows.

    The result equals ``case`` when the history is genuine and the definitions are the
    ones it ran on; hashes are recomputed, so an edited event fails here too.

    Args:
        case: The case to rebuild (its personal data is carried over: it is not in the
            history).
        workflows: The workflow the case runs on, or every version it ran on (needed
            when the history contains migrations). Bound workflows resolve calendars
            from the offices (needed for transferred cases with SLA clocks).
        calendar: Unbound workflows with an SLA plan: the office's calendar.

    Raises:
        IntegrityError: an event cannot be replayed (unknown workflow, refused event).
    """
    if not isinstance(case, Case):
        raise WrongTypeError(f"replay needs a Case, got {type(case).__name__}")
    pool = check_workflows(workflows)
    # Replay reproduces what was recorded (each event's actor id, role and office); it
    # does not judge it again under today's permissions.
    return replay_unchecked(case, {(w.name, w.version): w._unchecked() for w in pool}, calendar)


def replay_unchecked(
    case: Case,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
    *,
    general: bool = False,
) -> Case:
    """:func:`replay` on workflows already keyed by (name, version) and without permissions.

    For callers that replay many cases on the same workflows (a store's loads).
    ``general=True`` sends every event through :func:`_replay_event` (the reference
    the fast path of :func:`replay_events` is tested against).
    """
    if not case.events:
        raise IntegrityError(f"case {case.id!r}: history does not start with 'opened'")
    rebuilt, workflow = replay_opening(
        case.id, case.events[0], case.complainant, case.worker, by_key, calendar
    )
    rebuilt, workflow = replay_events(
        case.id, rebuilt, case.events[1:], workflow, by_key, calendar, general=general
    )
    if rebuilt.head_hash != case.head_hash:
        raise IntegrityError(
            f"case {case.id!r}: replay does not reproduce the recorded history (hash differs)"
        )
    if workflow.spec.sla is None:
        # SLA state from a workflow version without a plan is carried as recorded
        return attrs.evolve(
            rebuilt,
            clocks=case.clocks,
            calendar_version=case.calendar_version,
            calendar_zone=case.calendar_zone,
        )
    return rebuilt


def replay_opening(  # noqa: PLR0917 - internal, the parts of a case an opening needs
    case_id: str,
    first: CaseEvent,
    complainant: Person | None,
    worker: Person | None,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
    *,
    by: Actor | None = None,
    info: Mapping[str, Any] | None = None,
) -> tuple[Case, Workflow]:
    """Replay the opening event ``first`` of case ``case_id``: the case it opens, and its workflow.

    ``by`` is the actor ``first`` records and ``info`` its data, when the caller has
    them at hand (a store reads the data from the row, and keeps the actors it met).

    Raises:
        IntegrityError: ``first`` is not an opening, or does not replay.
    """
    if first.kind != "opened":
        raise IntegrityError(f"case {case_id!r}: history does not start with 'opened'")
    if info is None:
        info = _recorded_data(case_id, first)
    if not isinstance(info, Mapping):
        raise IntegrityError(f"case {case_id!r}: the opening event's data is not a mapping")
    key = (info.get("workflow"), info.get("workflow_version"))
    workflow = by_key.get(key) if all(type(k) in (str, int) for k in key) else None  # type: ignore[arg-type]
    if workflow is None:
        raise IntegrityError(f"case {case_id!r}: no workflow {key} given to replay it")
    try:
        rebuilt = workflow.open(
            info["case_id"],
            at=first.at,
            by=_event_actor(first) if by is None else by,
            office=info["office"],
            category=info["category"],
            channel=info["channel"],
            priority=info["priority"],
            complainant=complainant,
            worker=worker,
            attributes=canonical_loads(info["attributes"]),
            note=first.note,
            calendar=calendar,
        )
    except (KeyError, TypeError) as exc:
        raise IntegrityError(
            f"case {case_id!r}: the opening event lacks or garbles {exc}; it was not written "
            "by migrantcare"
        ) from None
    except MigrantCareError as exc:
        raise IntegrityError(f"case {case_id!r}: the opening event does not replay: {exc}") from exc
    return rebuilt, workflow


def replay_events(  # noqa: PLR0917 - internal, mirrors _replay_event
    case_id: str,
    rebuilt: Case,
    events: Iterable[CaseEvent],
    workflow: Workflow,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
    *,
    general: bool = False,
) -> tuple[Case, Workflow]:
    """Replay ``events`` on top of ``rebuilt``; return the case and the workflow it ends on.

    Transitions, nearly every event of a history, take a fast path: the same
    ``_fire`` call as :func:`_replay_event` makes, with the actor built once per
    (id, role, office), the calendar resolved once per (workflow, office), and no JSON
    round trip for empty data. Every other kind (migrations, transfers, SLA facts,
    recomputes, erasures) and every transition the workflow does not have goes through
    :func:`_replay_event`, which also names what is wrong.

    Raises:
        IntegrityError: naming the case and the first event that does not replay.
    """
    actors: dict[tuple[str, str | None, str | None], Actor] = {}
    # the calendar the fast path fires with, for (cal_workflow, cal_office)
    cal_workflow: Workflow | None = None
    cal_office: str | None = None
    cal: WorkingCalendar | None = None
    for event in events:
        try:
            step = (
                None
                if general or event.kind != "transition"
                else workflow._steps.get((rebuilt.state, event.name))
            )
            if step is not None:
                actor_key = (event.by, event.role, event.office)
                actor = actors.get(actor_key)
                if actor is None:
                    actor = actors[actor_key] = _event_actor(event)
                if workflow is not cal_workflow or rebuilt.office != cal_office:
                    cal = workflow._calendar(rebuilt.office, calendar)
                    cal_workflow, cal_office = workflow, rebuilt.office
                data_json = event.data_json
                # canonical_loads("{}") fires with {}: the same event as with None
                rebuilt = workflow._fire(
                    rebuilt,
                    event.name,
                    event.at,
                    actor,
                    event.note,
                    None if data_json == "{}" else canonical_loads(data_json),
                    cal,
                    step,
                )
            else:
                rebuilt = _replay_event(rebuilt, event, workflow, by_key, calendar)
        except MigrantCareError as exc:
            raise IntegrityError(
                f"case {case_id!r}: event {event.seq} ({event.name!r}) does not replay: {exc}"
            ) from exc
        except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
            # ValueError: data that is not JSON (CaseEvent.data); the others: JSON that
            # lacks what the event's kind records
            raise IntegrityError(
                f"case {case_id!r}: event {event.seq} lacks or garbles {type(exc).__name__} "
                f"{quote(str(exc), 120)}; it was not written by migrantcare"
            ) from None
        if event.kind == "migrated":
            workflow = by_key[rebuilt.workflow, rebuilt.workflow_version]
    return rebuilt, workflow


def _recorded_data(case_id: str, event: CaseEvent) -> Any:
    """``event.data``, or an IntegrityError when its recorded text is not JSON."""
    try:
        return event.data
    except (ValueError, RecursionError) as exc:
        raise IntegrityError(
            f"case {case_id!r}: event {event.seq}'s data is not JSON ({quote(str(exc), 120)}); "
            "it was not written by migrantcare"
        ) from None


def check_workflows(workflows: object) -> list[Workflow]:
    """Return ``workflows`` (one or an iterable of :class:`Workflow`) as a list."""
    if isinstance(workflows, Workflow):
        return [workflows]
    if isinstance(workflows, str | bytes | Mapping) or not isinstance(workflows, Iterable):
        raise WrongTypeError(
            f"workflows must be a Workflow or an iterable of them, got {type(workflows).__name__}"
        )
    pool = list(workflows)
    for w in pool:
        if not isinstance(w, Workflow):
            raise WrongTypeError(f"workflows must be Workflow values, got {type(w).__name__}")
    return pool


def canonical_loads(text: str) -> dict[str, Any]:
    """Inverse of :func:`canonical_json`.

    Raises:
        IntegrityError: ``text`` is not the JSON text of an object (a record edited or
            written by something other than migrantcare).
    """
    if text == "{}":  # most events' data, and most cases' attributes
        return {}
    import json  # noqa: PLC0415 - only replay needs it

    if type(text) is not str:
        raise IntegrityError(
            f"recorded data must be JSON text, got {type(text).__name__}; it was not written "
            "by migrantcare"
        )
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise IntegrityError(
            f"recorded data is not JSON ({quote(str(exc), 120)}); it was not written by migrantcare"
        ) from None
    if type(value) is not dict:
        raise IntegrityError(
            f"recorded data must be a JSON object, got {type(value).__name__}; it was not "
            "written by migrantcare"
        )
    return value


def _replay_event(
    case: Case,
    event: CaseEvent,
    workflow: Workflow,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
) -> Case:
    actor = _event_actor(event)
    if event.kind == "transition":
        return workflow._fire(
            case,
            event.name,
            event.at,
            actor,
            event.note,
            canonical_loads(event.data_json),
            workflow._calendar(case.office, calendar),
        )
    if event.kind == "migrated":
        data = event.data
        target = by_key.get((data["workflow"], data["workflow_version"]))
        if target is None:
            raise IntegrityError(
                f"no workflow ({data['workflow']!r}, {data['workflow_version']}) given"
            )
        return target.migrate(
            case,
            state_map=data["state_map"],
            at=event.at,
            by=actor,
            note=event.note,
            calendar=calendar if target.spec.sla is not None else None,
        )
    if event.kind == "transferred":
        return workflow.transfer(
            case, to=event.data["to_office"], at=event.at, by=actor, note=event.note
        )
    # Facts recorded by the SLA part (warnings, breaches, recomputes) do not move the
    # state; their hash is recomputed like every other.
    if event.source != case.state or event.dest != case.state:
        raise IntegrityError(f"a {event.kind!r} event must not change the state")
    # "erased" (personal data erased, see _erasure) is replayed as the fact it is: the
    # tombstones are carried over from the case like every person.
    if event.kind not in ("sla", "erased"):
        raise IntegrityError(f"unknown event kind {event.kind!r}")
    if event.name == "recomputed" and workflow._plan is not None:
        target_cal = workflow._calendar(case.office, calendar)
        if target_cal is not None:
            return workflow._recompute(case, target_cal, event.at, actor, event.data)
    return workflow._append_fact(
        case, event.kind, event.name, event.at, actor, event.data, event.note
    )
