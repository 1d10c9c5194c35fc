"""The one verified loader: stored records in, a checked and replayed case out.

Every way a case comes back goes through here: :func:`migrantcare.replay`,
:meth:`~migrantcare.Case.verify` with workflows (through ``Workflow.replay_case``), the
in-memory store and the SQL store (and through it the sweep and the outbox). A store
knows only how to read its rows: it hands each case over as a :class:`StoredCase`
(the case row's columns, its header document and persons, and one
:class:`StoredEvent` per event row: the columns and the event's document). The loader
decodes the documents, checks every column against its document, the chain, the head,
the header and the clocks, and replays the history through the workflows.

Replay has one reference path (:func:`_replay_event`, one event at a time through the
engine's public steps) and one fast path (:func:`_fast_replay`: transitions fired with
the actor and calendar kept, events that move no clock made in a row), chosen at one
site, :func:`replay_history`. The fast path gives up (``None``) on anything it does not
know; the reference then decides and names what is wrong. Property tests hold the two
equal, as they hold the quick reading of a stored row (:func:`quick_event`) equal to
the checked one (:func:`checked_event`).

This module imports no ``_workflow`` at run time (``_workflow`` asks it to replay, for
``Case.verify``): workflows are used by what they do.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from migrantcare._validate import quote
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.exceptions import (
    IntegrityError,
    InvalidArgumentError,
    MigrantCareError,
    SchemaError,
    WrongTypeError,
)
from migrantcare.offices._actors import Actor
from migrantcare.records._case import (
    HISTORY_FIELDS,
    Case,
    CaseEvent,
    Person,
    PlainFields,
    actor_text,
    case_from_document,
    event_from_fields,
    is_instant_text,
    make_event,
    plain_event_fields,
)
from migrantcare.records._sla_state import SlaClock
from migrantcare.sla._sla import next_due_at

if TYPE_CHECKING:
    from migrantcare.cases._workflow import Workflow

_UTC = _dt.timezone.utc
#: How many recorded actors a loader keeps built (see CaseLoader.actor).
_ACTORS_KEPT: Final = 4096
#: Event kinds a remembered case may be extended by; any other kind (a migration, a
#: transfer, an erasure) sends the load through the whole history.
_TAIL_KINDS: Final = frozenset({"transition", "sla"})
#: The errors a garbled record raises in the engine (JSON that lacks what the event's
#: kind records, data that is not JSON).
_GARBLED = (KeyError, TypeError, AttributeError, ValueError, RecursionError)


# ---------------------------------------------------------------- stored records


class StoredEvent(NamedTuple):
    """One stored event as a store reads it: its columns, then its document.

    The columns are what a store indexes (they must equal the document's fields); the
    document is :meth:`CaseEvent.to_dict`'s, parsed. ``at`` is an aware ``datetime``
    (a naive one is taken as UTC) or ISO 8601 text.
    """

    seq: Any
    at: Any
    kind: Any
    name: Any
    actor: Any
    prev_hash: Any
    hash: Any
    body: Any


@attrs.frozen
class StoredCase:
    """One stored case as a store reads it, handed to :class:`CaseLoader`.

    Attributes:
        id: The id the case was asked for.
        version: The case row's version (its number of events).
        head: The case row's head hash.
        state: The case row's state column.
        office: The case row's office column.
        due: The case row's ``next_due_at`` (aware, UTC) or ``None``.
        header: The header document (the case without events and persons).
        complainant: The complainant's document, or ``None``.
        worker: The worker's document, or ``None``.
        events: The event rows read, in seq order.
        persons_read: Whether the persons were read (reports read without them).
    """

    id: str
    version: Any
    head: Any
    state: Any
    office: Any
    due: Any
    header: Any
    complainant: Any
    worker: Any
    events: Sequence[StoredEvent]
    persons_read: bool = True


#: A store's own checks of a decoded case (columns the core does not know, a seal).
StoreCheck = Callable[[Case, Any], None]


def _utc(value: _dt.datetime | None) -> _dt.datetime | None:
    # SQLite hands instants back without a zone; stores write them in UTC.
    if value is None:
        return None
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _column_instant(at: object) -> _dt.datetime | None:
    """The instant of an event row's ``at`` column; ``None`` when it is none."""
    try:
        return _utc(_dt.datetime.fromisoformat(at) if type(at) is str else at)  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError, OverflowError):
        # unreadable, or outside what a datetime holds in UTC: no event's instant
        return None


def quick_fields(item: Sequence[Any], plain: set[str]) -> PlainFields | None:
    """The fields of a stored row's event when nothing in it needs a second look.

    ``item`` is a :class:`StoredEvent` (or its eight values). Accepts only rows whose
    document :func:`~migrantcare.records._case.plain_event_fields` reads and whose
    columns equal it: all :func:`checked_event` checks. ``None`` sends the row there, to
    be refused with the reason. ``plain`` holds this load's texts found plain already.
    """
    seq, at, kind, name, actor, prev_hash, hash_, doc = item
    if type(doc) is not dict:
        return None
    try:
        fields = plain_event_fields(doc, plain)
    except (MigrantCareError, ValueError, TypeError, AttributeError, OverflowError):
        return None
    if fields is None:
        return None
    if (
        fields[0] != seq
        or fields[1] != kind
        or fields[2] != name
        or fields[7] != actor
        or fields[12] != prev_hash
        or fields[13] != hash_
    ):
        return None
    # the column's instant: the document's own text (PostgreSQL in UTC), or read
    if at != fields[6] and _column_instant(at) != fields[5]:
        return None
    return fields


def event_of(fields: PlainFields) -> CaseEvent | None:
    """The event of :func:`quick_fields`' fields; ``None`` when a hash is not lowercase hex."""
    prev, hash_ = fields[-2], fields[-1]
    if prev != prev.lower() or hash_ != hash_.lower():
        return None  # not lowercase hex, as hex() writes it
    return event_from_fields(fields)


def quick_event(item: Sequence[Any], plain: set[str]) -> CaseEvent | None:
    """The event of one stored row when nothing in it needs a second look, else ``None``."""
    fields = quick_fields(item, plain)
    return None if fields is None else event_of(fields)


def checked_event(case_id: str, item: Sequence[Any]) -> CaseEvent:
    """The event of one stored row, its columns checked against its document.

    The reference reading: it accepts every row :func:`quick_event` accepts, builds the
    same event, and names what is wrong with any other.

    Raises:
        IntegrityError: the document is unreadable, or a column differs from it.
    """
    seq, at, kind, name, actor, prev_hash, hash_, body = item
    try:
        event = CaseEvent.from_dict(body)
    except (SchemaError, TypeError, AttributeError) as exc:
        raise IntegrityError(
            f"case {case_id!r}, event {seq}: stored document unreadable ({exc})"
        ) from None
    if (
        event.seq != seq
        or event.kind != kind
        or event.name != name
        or event.by != actor
        or event.hash != hash_
        or event.prev_hash != prev_hash
        or event.at != _column_instant(at)
    ):
        raise IntegrityError(
            f"case {case_id!r}, event {seq}: columns differ from the stored document (edited)"
        )
    return event


def decode_events(case_id: str, items: Iterable[Sequence[Any]]) -> list[CaseEvent]:
    """The events of stored rows, each checked: quickly when it can, else by the reference."""
    plain: set[str] = set()
    events = []
    for item in items:
        event = quick_event(item, plain)
        events.append(checked_event(case_id, item) if event is None else event)
    return events


# ---------------------------------------------------------------- replay


def recorded_actor(by: str, role: str | None, office: str | None) -> Actor:
    """The actor an event records as ``by``, ``role`` and ``office``, to replay it."""
    return Actor(by, roles=() if role is None else (role,), office=office)


class _Actors:
    """The actors a replay met, by the (id, role, office) their events record.

    A service's officers act on many cases, and an Actor checks its texts when built.
    Values, so sharing them between threads is safe; bounded by clearing.
    """

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[tuple[str, str | None, str | None], tuple[Actor, str]] = {}

    def get(self, by: str, role: str | None, office: str | None) -> tuple[Actor, str]:
        """The actor and its hashed text (see ``actor_text``)."""
        key = (by, role, office)
        known = self._known.get(key)
        if known is None:
            if len(self._known) >= _ACTORS_KEPT:
                self._known.clear()
            known = self._known[key] = (recorded_actor(by, role, office), actor_text(*key))
        return known


def canonical_loads(text: str) -> dict[str, Any]:
    """Inverse of :func:`canonical_json`.

    Raises:
        IntegrityError: ``text`` is not the JSON text of an object (a record edited or
            written by something other than migrantcare).
    """
    if text == "{}":  # most events' data, and most cases' attributes
        return {}
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


def check_workflows(workflows: object, kind: type[Workflow]) -> list[Workflow]:
    """Return ``workflows`` (one or an iterable of ``kind``) as a list."""
    if isinstance(workflows, kind):
        return [workflows]
    if isinstance(workflows, str | bytes | Mapping) or not isinstance(workflows, Iterable):
        raise WrongTypeError(
            f"workflows must be a Workflow or an iterable of them, got {type(workflows).__name__}"
        )
    pool = list(workflows)
    for w in pool:
        if not isinstance(w, kind):
            raise WrongTypeError(f"workflows must be Workflow values, got {type(w).__name__}")
    return pool


def replay_checked(
    case: Case, workflows: object, calendar: WorkingCalendar | None, kind: type[Workflow]
) -> Case:
    """:func:`migrantcare.replay`: ``workflows`` checked to be ``kind`` values."""
    if not isinstance(case, Case):
        raise WrongTypeError(f"replay needs a Case, got {type(case).__name__}")
    pool = check_workflows(workflows, kind)
    # Replay reproduces what was recorded (each event's actor id, role and office); it
    # does not judge it again under today's permissions.
    return replay_unchecked(case, {(w.name, w.version): w._unchecked() for w in pool}, calendar)


def replay_unchecked(
    case: Case,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
    *,
    general: bool = False,
    actors: _Actors | None = None,
) -> Case:
    """:func:`migrantcare.replay` on workflows keyed by (name, version), without permissions.

    ``general=True`` takes the reference path only (see :func:`replay_history`).
    """
    if not case.events:
        raise IntegrityError(f"case {case.id!r}: history does not start with 'opened'")
    actors = _Actors() if actors is None else actors
    first = case.events[0]
    rebuilt, workflow = replay_opening(
        case.id,
        first,
        case.complainant,
        case.worker,
        by_key,
        calendar,
        by=None if first.kind != "opened" else actors.get(first.by, first.role, first.office)[0],
    )
    rebuilt, workflow = replay_history(
        case.id, rebuilt, case.events[1:], workflow, by_key, calendar, actors, general=general
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
) -> tuple[Case, Workflow]:
    """Replay the opening event ``first`` of case ``case_id``: the case it opens, and its workflow.

    Raises:
        IntegrityError: ``first`` is not an opening, or does not replay.
    """
    if first.kind != "opened":
        raise IntegrityError(f"case {case_id!r}: history does not start with 'opened'")
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
            by=recorded_actor(first.by, first.role, first.office) if by is None else by,
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


def replay_history(  # noqa: PLR0917 - internal, the replay's state
    case_id: str,
    rebuilt: Case,
    events: Sequence[CaseEvent],
    workflow: Workflow,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
    actors: _Actors,
    *,
    general: bool = False,
) -> tuple[Case, Workflow]:
    """Replay ``events`` on top of ``rebuilt``; return the case and the workflow it ends on.

    The one place that chooses the path: the fast one (:func:`_fast_replay`) unless
    ``general``, and the reference (:func:`_replay_events`) when the fast one gives up,
    which also names the first event that does not replay.

    Raises:
        IntegrityError: naming the case and the first event that does not replay.
    """
    if not general:
        entries = [_fields_of(event) for event in events]
        fast = _fast_replay(rebuilt, entries, workflow, by_key, calendar, actors, events)
        if fast is not None:
            return fast
    return _replay_events(case_id, rebuilt, events, workflow, by_key, calendar)


def _fields_of(event: CaseEvent) -> PlainFields:
    """A built event as :func:`quick_fields` gives a stored row's (no instant text)."""
    return (
        event.seq,
        event.kind,
        event.name,
        event.source,
        event.dest,
        event.at,
        None,  # the instant's text is not known
        event.by,
        event.role,
        event.office,
        event.note,
        event.data_json,
        event.prev_digest.hex(),
        event.digest.hex(),
    )


def _replay_events(  # noqa: PLR0917 - internal, the replay's state
    case_id: str,
    rebuilt: Case,
    events: Iterable[CaseEvent],
    workflow: Workflow,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
) -> tuple[Case, Workflow]:
    """The reference replay: every event through :func:`_replay_event`, errors named."""
    for event in events:
        try:
            rebuilt = _replay_event(rebuilt, event, workflow, by_key, calendar)
        except MigrantCareError as exc:
            raise IntegrityError(
                f"case {case_id!r}: event {event.seq} ({event.name!r}) does not replay: {exc}"
            ) from exc
        except _GARBLED as exc:
            # ValueError: data that is not JSON (CaseEvent.data); the others: JSON that
            # lacks what the event's kind records
            raise IntegrityError(
                f"case {case_id!r}: event {event.seq} lacks or garbles {type(exc).__name__} "
                f"{quote(str(exc), 120)}; it was not written by migrantcare"
            ) from None
        if event.kind == "migrated":
            workflow = by_key[rebuilt.workflow, rebuilt.workflow_version]
    return rebuilt, workflow


class _Run:
    """The fast replay's state: the case so far, and the quiet events not yet applied.

    Events that only move the state (``Workflow._quiet``) are made in a row and the case
    built once for them: what firing them one by one gives.
    """

    __slots__ = ("cal", "case", "last", "quiet", "run", "state", "workflow")

    def __init__(self, case: Case, workflow: Workflow, cal: WorkingCalendar | None) -> None:
        self.case, self.workflow, self.cal = case, workflow, cal
        self.state, self.last = case.state, case.events[-1]
        self.run: list[CaseEvent] = []
        self.quiet: dict[Any, bool] = {}  # per step, for the case as ``case`` holds it

    def flush(self) -> Case:
        if self.run:
            self.case = self.case.evolved_by(self.state, self.run)
            self.run = []
        return self.case


def _fast_replay(  # noqa: PLR0917 - internal, mirrors replay_history
    rebuilt: Case,
    entries: Sequence[PlainFields],
    workflow: Workflow,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
    actors: _Actors,
    events: Sequence[CaseEvent] | None = None,
) -> tuple[Case, Workflow] | None:
    """The fast replay of ``entries`` on ``rebuilt``, or ``None`` to leave it to the reference.

    ``entries`` are the events' fields (:func:`quick_fields` of stored rows, or
    :func:`_fields_of` built ``events``). Each must be the event replay makes of it,
    digest for digest (the digest covers every field and the link): so a stored row
    that passes is the replayed event, and need not be built apart. Transitions take
    the workflow's step with the actor and calendar kept; every other kind goes
    through :func:`_replay_event` like the reference.
    """
    state = _Run(rebuilt, workflow, workflow._calendar(rebuilt.office, calendar))
    previous = state.last.digest.hex()
    try:
        for position, fields in enumerate(entries):
            if fields[0] != state.last.seq + 1 or fields[12] != previous:
                return None
            step = (
                state.workflow._steps.get((state.state, fields[2]))
                if fields[1] == "transition"
                else None
            )
            if step is None or fields[3] != state.state:
                event = event_of(fields) if events is None else events[position]
                if event is None:
                    return None
                _other_event(state, event, by_key, calendar, actors)
                if state.last != event:  # the fields replay did not take from it
                    return None
            elif fields[4] != step.dest:
                return None  # the one field a transition's replay does not take from it
            else:
                _transition(state, fields, step, actors)
            previous = state.last.digest.hex()
            if previous != fields[13]:
                return None
    except (MigrantCareError, *_GARBLED):
        return None
    return state.flush(), state.workflow


def _transition(state: _Run, fields: PlainFields, step: Any, actors: _Actors) -> None:
    """Replay a transition the workflow has from the state reached (see :func:`_fast_replay`)."""
    _, _, name, _, _, when, text, by, role, office, note, data, _, _ = fields
    workflow = state.workflow
    actor, who = actors.get(by, role, office)
    # the stored instant's own text, when it is what make_event writes
    instant = text if text is not None and is_instant_text(text, when) else None
    is_quiet = state.quiet.get(step)
    if is_quiet is None:
        is_quiet = state.quiet[step] = workflow._quiet(state.case, step, state.cal)
    if is_quiet and data == "{}":
        # what _fire makes of it (other data _fire checks and writes canonically)
        state.last = make_event(
            state.last,
            "transition",
            name,
            state.state,
            step.dest,
            when,
            actor.id,
            actor.role,
            actor.office,
            note,
            data,
            step.head,
            who,
            instant,
        )
        state.run.append(state.last)
    else:
        rebuilt = state.flush()
        state.quiet.clear()  # the event may move a clock
        # canonical_loads("{}") fires with {}: the same event as with None
        state.case = workflow._fire(
            rebuilt,
            name,
            when,
            actor,
            note,
            None if data == "{}" else canonical_loads(data),
            state.cal,
            step,
            instant,
        )
        state.last = state.case.events[-1]
    state.state = step.dest


def _other_event(
    state: _Run,
    event: CaseEvent,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
    actors: _Actors,
) -> None:
    """Replay any other event as the reference does; it may move the case or its workflow."""
    actor = actors.get(event.by, event.role, event.office)[0]
    rebuilt = _replay_event(state.flush(), event, state.workflow, by_key, calendar, actor)
    if event.kind == "migrated":
        state.workflow = by_key[rebuilt.workflow, rebuilt.workflow_version]
    state.case, state.state, state.last = rebuilt, rebuilt.state, rebuilt.events[-1]
    state.quiet.clear()
    state.cal = state.workflow._calendar(rebuilt.office, calendar)


def _recorded_data(case_id: str, event: CaseEvent) -> Any:
    """``event.data``, or an IntegrityError when its recorded text is not JSON."""
    try:
        return event.data
    except (ValueError, RecursionError) as exc:
        raise IntegrityError(
            f"case {case_id!r}: event {event.seq}'s data is not JSON ({quote(str(exc), 120)}); "
            "it was not written by migrantcare"
        ) from None


def _replay_event(  # noqa: PLR0917 - internal, the replay's state
    case: Case,
    event: CaseEvent,
    workflow: Workflow,
    by_key: Mapping[tuple[str, int], Workflow],
    calendar: WorkingCalendar | None,
    actor: Actor | None = None,
) -> Case:
    """The reference replay of one event: what the engine's steps make of it.

    ``actor``: the actor the event records, when the caller keeps it built.
    """
    if actor is None:
        actor = recorded_actor(event.by, event.role, event.office)
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
        # a transfer recorded before transfers named the calendar they left replays as such
        return workflow._transfer(
            case,
            event.data["to_office"],
            event.at,
            actor,
            event.note,
            None,
            record_calendar="from_calendar" in event.data,
        )
    return _replay_fact(case, event, workflow, actor, calendar)


def _replay_fact(
    case: Case,
    event: CaseEvent,
    workflow: Workflow,
    actor: Actor,
    calendar: WorkingCalendar | None,
) -> Case:
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


# ---------------------------------------------------------------- the loader


def _skeleton(clock: SlaClock) -> tuple[Any, ...]:
    # What a clock takes from the history alone, whatever the calendar: its deadline,
    # warning times and budget are the calendar's.
    return (
        clock.goal,
        clock.variant,
        clock.cycle,
        clock.started_at,
        clock.pauses,
        clock.paused_since,
        clock.stopped_at,
        clock.recorded,
        clock.rebased_at,
    )


def check_recalendared(case: Case, replayed: Case) -> None:
    """Check the clocks of a case resting on another calendar than the one replayed on.

    A store holds only the current calendar, so the deadlines of a case still on an
    older calendar version cannot be recomputed; but which clocks run, and when each
    started, paused, stopped and was marked come from the history alone, and must be
    what replay gives. (A sealed store also covers the deadlines: the seal does.)

    Raises:
        IntegrityError: naming the case.
    """
    if len(case.clocks) != len(replayed.clocks) or any(
        _skeleton(mine) != _skeleton(theirs)
        for mine, theirs in zip(case.clocks, replayed.clocks, strict=True)
    ):
        raise IntegrityError(
            f"case {case.id!r}: stored SLA clocks differ from what its history gives "
            f"(clocks added, removed or moved; the header names calendar "
            f"{case.calendar_version!r}, replayed on {replayed.calendar_version!r})"
        )


@attrs.frozen
class Loaded:
    """A case a loader checked: as stored, and as its history gives it (``replayed``).

    ``replayed`` is what a later load of the same case extends (see
    :meth:`CaseLoader.extend`).
    """

    case: Case
    replayed: Case


def _given_calendar(
    calendar: object,
) -> WorkingCalendar | Mapping[str, WorkingCalendar] | None:
    """A store's ``calendar=``, checked when the store is built rather than at a load."""
    if calendar is None or isinstance(calendar, WorkingCalendar):
        return calendar
    if isinstance(calendar, Mapping):
        for office_id, cal in calendar.items():
            if not isinstance(office_id, str) or not isinstance(cal, WorkingCalendar):
                raise WrongTypeError(
                    "calendar= as a mapping takes office ids to WorkingCalendars, got "
                    f"{type(office_id).__name__} -> {type(cal).__name__}"
                )
        return calendar
    raise WrongTypeError(
        "calendar= must be a WorkingCalendar or a mapping of office id to calendar, got "
        f"{type(calendar).__name__}"
    )


class CaseLoader:
    """The one verified load of a stored case, for every store.

    Args:
        workflows: Every workflow version the cases run on.
        calendar: Unbound workflows only: the calendar replays use (one, or one per
            office id). Bound workflows take each office's calendar from their offices.
    """

    def __init__(
        self,
        workflows: Sequence[Workflow],
        calendar: WorkingCalendar | Mapping[str, WorkingCalendar] | None = None,
    ) -> None:
        self.workflows = tuple(workflows)
        self._calendar = _given_calendar(calendar)
        # Replay reproduces what was recorded; it does not judge it under today's
        # permissions (as migrantcare.replay does).
        self._by_key = {(w.name, w.version): w._unchecked() for w in self.workflows}
        # Exports and erasures are judged by the rules of the case's workflow.
        self._checked = {(w.name, w.version): w for w in self.workflows}
        self._bound = all(w.offices is not None for w in self.workflows)
        self._actors = _Actors()

    def workflow_of(self, case: Case) -> Workflow:
        """The workflow (of those given) ``case`` runs on.

        Raises:
            IntegrityError: it was not given.
        """
        workflow = self._checked.get((case.workflow, case.workflow_version))
        if workflow is None:
            raise IntegrityError(
                f"case {case.id!r}: runs on workflow {case.workflow!r} "
                f"v{case.workflow_version}, which this store was not given; known: "
                f"{sorted(self._checked)}"
            )
        return workflow

    def replay_calendar(self, office: str) -> WorkingCalendar | None:
        """The calendar replays and advances of ``office``'s cases are given.

        ``None`` for bound workflows, which resolve the calendar of the office holding
        the case at each event themselves.

        Raises:
            InvalidArgumentError: calendars per office, and none for ``office``.
        """
        cal = self._calendar
        if cal is None or isinstance(cal, WorkingCalendar):
            return cal
        try:
            return cal[office]
        except KeyError:
            raise InvalidArgumentError(
                f"no calendar for office {office!r}; known: {sorted(cal)}"
            ) from None

    # ------------------------------------------------------------ decoding

    def decode(self, stored: StoredCase, check: StoreCheck | None = None) -> Case:
        """The case ``stored`` holds, each row checked and the rows against each other.

        No hash is recomputed and nothing replayed: every column against its document,
        every position, the head, the header's columns, and ``check`` (the store's own).

        Raises:
            IntegrityError: naming the case and what differs.
        """
        events = decode_events(stored.id, stored.events)
        for position, event in enumerate(events):
            if event.seq != position:
                break
        else:
            position = len(events)
        if position != stored.version:
            raise IntegrityError(
                f"case {stored.id!r}, event {position}: missing ({len(events)} stored "
                f"events, the case row records {stored.version})"
            )
        return self.assemble(stored, tuple(events), check)

    def assemble(
        self,
        stored: StoredCase,
        events: tuple[CaseEvent, ...],
        check: StoreCheck | None,
        persons: tuple[Person | None, Person | None] | None = None,
    ) -> Case:
        """The case of ``stored``'s header and persons with ``events``, checked against the row."""
        case_id, header = stored.id, stored.header
        if isinstance(header, dict):
            doc = {**header, "complainant": stored.complainant, "worker": stored.worker}
        else:
            doc = header  # refused below, saying what it is
        try:
            case = case_from_document(doc, events, persons)
        except (SchemaError, TypeError, ValueError) as exc:
            raise IntegrityError(f"case {case_id!r}: stored header unreadable ({exc})") from None
        if case.id != case_id:
            raise IntegrityError(f"case {case_id!r}: stored header names case {case.id!r}")
        if events[-1].hash != stored.head:
            raise IntegrityError(
                f"case {case_id!r}: newest hash differs from the recorded head "
                "(events removed from the end, or a different case)"
            )
        if (
            stored.state != case.state
            or stored.office != case.office
            or stored.due != next_due_at(case)
        ):
            raise IntegrityError(
                f"case {case_id!r}: the case row's columns differ from its header (edited)"
            )
        if check is not None:
            check(case, header)
        return case

    # ------------------------------------------------------------ loading

    def load(
        self, stored: StoredCase, check: StoreCheck | None = None, *, general: bool = False
    ) -> Loaded:
        """Decode ``stored``, replay its history and check every field against it.

        ``general=True`` replays by the reference path only.

        Raises:
            IntegrityError: anything stored disagrees, naming the case.
        """
        if not general:
            fast = self._fast_load(stored, check)
            if fast is not None:
                return fast
        return self.verified(self.decode(stored, check), general=general)

    def _fast_load(self, stored: StoredCase, check: StoreCheck | None) -> Loaded | None:
        """The load of a case whose every row reads quickly, replayed from the rows.

        Each row is read (:func:`quick_fields`) and replayed in one pass: a row whose
        event replay reproduces digest for digest is that event, so the stored events
        are not built apart and compared. Then the header must give the replayed case
        in every field. ``None`` on anything else: :meth:`load` then decodes and checks
        each part, and names what is wrong (it accepts all this accepts, and builds the
        same case: a property test holds the two equal).
        """
        items = stored.events
        if not items or len(items) != stored.version:
            return None
        plain: set[str] = set()
        entries = []
        for item in items:
            fields = quick_fields(item, plain)
            if fields is None:
                return None
            entries.append(fields)
        first = event_of(entries[0])
        if first is None or first.seq != 0:
            return None
        try:
            persons: tuple[Person | None, Person | None] = (
                None if stored.complainant is None else Person.from_dict(stored.complainant),
                None if stored.worker is None else Person.from_dict(stored.worker),
            )
            calendar = self.replay_calendar(stored.office)
            opener = self._actors.get(first.by, first.role, first.office)[0]
            by_key = self._by_key
            rebuilt, workflow = replay_opening(
                stored.id, first, *persons, by_key, calendar, by=opener
            )
            if rebuilt.events[0] != first:
                return None
            fast = _fast_replay(rebuilt, entries[1:], workflow, by_key, calendar, self._actors)
            if fast is None:
                return None
            replayed = fast[0]
            case = self.assemble(stored, replayed.events, check, persons)
        except (MigrantCareError, *_GARBLED):
            return None
        return Loaded(case, replayed) if case == replayed else None

    def verified(self, case: Case, *, general: bool = False) -> Loaded:
        """Replay a case just read and check it against its history.

        Raises:
            IntegrityError: naming the first event or field that disagrees.
        """
        try:
            calendar = self.replay_calendar(case.office)
            replayed = replay_unchecked(
                case, self._by_key, calendar, general=general, actors=self._actors
            )
        except MigrantCareError as exc:
            # Name the first event that fails the hash chain, if one does; otherwise the
            # history is intact and the definitions refuse it.
            case.verify()
            if isinstance(exc, IntegrityError):
                raise
            raise IntegrityError(f"case {case.id!r}: history does not replay: {exc}") from exc
        self.check_replayed(case, replayed, calendar, 0)
        return Loaded(case, replayed)

    def extend(
        self, known: Loaded, tail: StoredCase, check: StoreCheck | None = None
    ) -> Loaded | None:
        """Load a remembered case from the events appended since (``tail.events``).

        ``None`` when anything is out of the ordinary (fewer events than remembered, a
        kind other than a transition or an SLA fact, another office, anything that
        does not check): the full load then decides, and names what is wrong.
        """
        start = known.case.version
        try:
            events = tuple(decode_events(tail.id, tail.events))
            if (
                [e.seq for e in events] != list(range(start, tail.version))
                or any(e.kind not in _TAIL_KINDS for e in events)
                or (events[-1].hash if events else known.case.head_hash) != tail.head
            ):
                return None
            case = self.assemble(tail, known.case.events + events, check)
            if case.office != known.case.office:
                return None
            calendar = self.replay_calendar(case.office)
            workflow = self._by_key[known.replayed.workflow, known.replayed.workflow_version]
            rebuilt, _ = replay_history(
                tail.id, known.replayed, events, workflow, self._by_key, calendar, self._actors
            )
            if workflow.spec.sla is None:
                # as replay does: SLA state without a plan is carried as recorded
                rebuilt = attrs.evolve(
                    rebuilt,
                    clocks=case.clocks,
                    calendar_version=case.calendar_version,
                    calendar_zone=case.calendar_zone,
                )
            self.check_replayed(case, rebuilt, calendar, start)
        except (MigrantCareError, *_GARBLED):
            return None
        return Loaded(case, rebuilt)

    def on_current_calendar(self, case: Case) -> bool:
        """Whether ``case``'s clocks rest on the calendar its office has now.

        ``False`` also for a workflow this loader was not given, or an office without
        a calendar: a sealed load then replays instead.
        """
        workflow = self._checked.get((case.workflow, case.workflow_version))
        if workflow is None:
            return False
        if workflow.spec.sla is None:
            return True
        try:
            cal = (
                workflow.calendar_of(case.office)
                if workflow.offices is not None
                else self.replay_calendar(case.office)
            )
        except MigrantCareError:
            return False
        return cal is None or cal.version == case.calendar_version

    def check_replayed(
        self, case: Case, replayed: Case, calendar: WorkingCalendar | None, start: int
    ) -> None:
        """Check ``case`` (as stored) against ``replayed`` (as its history gives it).

        Events before ``start`` were checked by an earlier load.
        """
        case_id = case.id
        # Replaying rebuilt every event, its hash included, from what the stored one
        # records and from the chain: each stored event must be that one, every field
        # (this is verify() without hashing twice; comparing the hashes alone would let
        # through a stored source or destination edited apart from its hash).
        if replayed.events[start:] != case.events[start:]:
            case.verify()  # names the first event that does not match its hash
            for mine, stored in zip(replayed.events[start:], case.events[start:], strict=False):
                if mine != stored:
                    raise IntegrityError(
                        f"case {case_id!r}, event {stored.seq}: differs from what its "
                        "history gives (edited)"
                    )
            raise IntegrityError(  # pragma: no cover - replay makes one event per event
                f"case {case_id!r}: its history replays to {replayed.version} events, "
                f"not {case.version}"
            )
        for field in HISTORY_FIELDS:
            if getattr(replayed, field) != getattr(case, field):
                raise IntegrityError(
                    f"case {case_id!r}: stored {field!r} differs from what its history "
                    "records (header edited)"
                )
        if calendar is None and not self._bound:
            return
        if replayed.calendar_version != case.calendar_version:
            # another calendar than the current one: not trusted, re-verified by replay
            # as far as the history alone decides (the seal covers the rest)
            check_recalendared(case, replayed)
        elif replayed.clocks != case.clocks:
            raise IntegrityError(
                f"case {case_id!r}: stored SLA clocks differ from what its history "
                "gives (header edited)"
            )
