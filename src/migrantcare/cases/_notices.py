"""Which notices an event produces, for whom, with which values.

A workflow declares its notices (:class:`~migrantcare.NoticeSpec` values on its
:class:`~migrantcare.WorkflowSpec`); :func:`notices` looks up the ones declared on an
event's point and resolves their values. It knows no workflow by name: a derived or
renamed workflow produces what its definition declares. The host renders each
:class:`Notice` with :meth:`Messages.render` in the recipient's language and zone, and
sends it. Nothing here formats text or knows a language.

Reproducible: the values of an event's notices are taken from the case *as it was at
that event*. For the newest event that is the case itself; for an older one the case is
rebuilt up to that event (its clocks by replaying the history on the calendar version in
force then, its office and workflow from the later transfers and migrations), so
re-rendering the notice of an old event gives the text that was sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from migrantcare._vocab import Term
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._notice_spec import NoticeContext, NoticeSpec
from migrantcare.cases._replay import replay
from migrantcare.cases._workflow import Workflow, office_at
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.messages._jsonable import notice_value
from migrantcare.messages._messages import Messages
from migrantcare.offices._offices import Offices
from migrantcare.records._case import Case, CaseEvent

#: Who a notice goes to: a role named by the notice's declaration (``"complainant"``,
#: ``"family"``, ``"officer"``, ``"office_head"``, ``"crisis_center"``, ``"participants"``…).
Recipient = str

#: KemenP2MI's crisis-center hotline (0800-1000 in Indonesia, +62 21 2924 4800 from
#: abroad, WhatsApp too); source: KemenP2MI releases 2023-2025.
DEFAULT_CONTACT: Final = "0800-1000 / +62 21 2924 4800"


@attrs.frozen
class Notice:
    """A message to send: which template, to whom, with which values.

    Attributes:
        key: The message key, e.g. ``"complaint.registered.ack"``.
        recipient: Who it is for.
        values: The placeholder values (language-neutral: dates, terms, counts…).
        case_id: The case it is about.
        event_seq: The event that produced it.
        channels: The channel variants the catalog has for it (e.g. ``("sms",)``).
    """

    key: str
    recipient: Recipient
    values: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    case_id: str
    event_seq: int
    channels: tuple[str, ...] = ()

    def render(
        self,
        messages: Messages,
        locale: str,
        *,
        tz: str | None = None,
        channel: str | None = None,
    ) -> str:
        """Render this notice with ``messages`` in ``locale`` and the recipient's ``tz``."""
        return messages.render(self.key, locale, tz=tz, channel=channel, **self.values)

    def to_dict(self, *, tz: str | None = None) -> dict[str, Any]:
        """Return this notice as plain JSON data (schema ``json_schema("notice")``).

        The values keep their meaning, not a rendering: instants are ISO 8601 texts with
        their offset (in ``tz`` when given, e.g. the office's zone), dates
        ``YYYY-MM-DD``, terms and states ``{"code", "label_id", "label_en"}``, holidays
        ``{"date", "name_id", "name_en"}``, message references ``{"message"}`` (plurals
        with ``"count"``), money ``{"amount", "currency"}``. A notice carries what its
        recipient is told, a name included: hand it only to whoever sends it.

        Args:
            tz: An IANA zone to show the instants in.

        Raises:
            WrongTypeError: a value has no JSON form (a host's own type).
        """
        return {
            "key": self.key,
            "recipient": self.recipient,
            "case_id": self.case_id,
            "event_seq": self.event_seq,
            "channels": list(self.channels),
            "values": {name: notice_value(v, tz) for name, v in self.values.items()},
        }


def _point(event: CaseEvent) -> str:
    kind = event.kind
    if kind == "opened":
        return "open"
    if kind == "sla":
        return f"sla.{event.name}"
    return event.name


def declared(workflow: Workflow, event: CaseEvent) -> tuple[NoticeSpec, ...]:
    """Return the notices ``workflow`` declares for ``event`` (before any condition)."""
    spec = workflow.spec
    found = spec.notices_on(_point(event))
    if event.kind == "transition" and "sla_goal" in event.data_json:
        # an event fired by a breach (escalate_with): its own notices and the escalation's
        extra = spec.notices_on("sla.escalation")
        if extra and "sla_goal" in event.data:
            found = (*found, *extra)
    if not found and event.dest != event.source and event.kind in ("transition", "migrated"):
        return spec.notices_on("*")
    return found


def _namer(
    workflow: Workflow, office_name: str | Mapping[str, str] | None, current: str
) -> Callable[[str], Any]:
    """How a notice names an office: as the caller says, else from the bound offices."""
    if isinstance(office_name, str):
        # one name given: it is the current office's; others keep their id
        return lambda office: office_name if office == current else office
    if office_name is not None:
        if not isinstance(office_name, Mapping):
            raise WrongTypeError(
                "office_name must be a str, a mapping of office id to name, or None; got "
                f"{type(office_name).__name__}"
            )
        return lambda office: office_name.get(office, office)
    offices = getattr(workflow, "offices", None)
    if offices is None:
        return lambda office: office

    def named(office: str) -> Any:
        entry = offices.get(office)
        if entry is None:
            return office
        # a Term renders in the reader's language, like every bilingual label
        return Term("office", entry.name_id, entry.name_en)

    return named


def notices(
    workflow: Workflow,
    case: Case,
    event: CaseEvent | None = None,
    *,
    office_name: str | Mapping[str, str] | None = None,
    contact: str = DEFAULT_CONTACT,
    calendar: WorkingCalendar | Mapping[str, WorkingCalendar] | None = None,
    history: Iterable[Workflow] = (),
) -> tuple[Notice, ...]:
    """Return the notices that ``event`` (default: the case's newest) produces.

    The notices are the ones ``workflow`` declares on the event's point (its trigger,
    ``"open"``, ``"sla.breach"``…; see :class:`NoticeSpec`), for the recipients the case
    has; an event that concerns nobody produces none. Values come from the case as it
    was at that event: deadlines from its SLA clocks then, names from its persons (so a
    notice carries personal data: send it, do not log it).

    Args:
        workflow: The workflow the case runs on.
        case: The case (after the event, or later).
        event: One of the case's events; the newest when omitted.
        office_name: How the case's office signs (e.g. ``"BP3MI Nusa Tenggara Timur"``),
            or a mapping office id -> name (for cases that moved between offices). When
            omitted, a workflow bound to an ``Offices`` registry names offices from it
            (in the reader's language); otherwise the office id is shown.
        contact: The contact line in acknowledgements.
        calendar: Needed only to re-render an *older* event whose notices show SLA
            deadlines: the office's calendar in the version the deadlines were computed
            on (the clocks are rebuilt by replaying the history up to that event). For
            a workflow bound to offices, only when an office's calendar has changed
            since: the calendar of then of the office that held the case at the event,
            or a mapping office id -> calendar of then (the registry is used with those
            calendars in place of today's).
        history: Earlier workflow versions the case ran on, when it was migrated after
            the event.

    Raises:
        InvalidArgumentError: the event is not one of the case's, or an older event's
            deadlines cannot be rebuilt (no calendar, or another calendar version).
    """
    if not isinstance(workflow, Workflow):
        raise WrongTypeError(f"notices needs a Workflow, got {type(workflow).__name__}")
    if not isinstance(case, Case):
        raise WrongTypeError(f"notices needs a Case, got {type(case).__name__}")
    if event is None:
        event = case.events[-1]
    elif type(event) is not CaseEvent or case.events[event.seq : event.seq + 1] != (event,):
        # the common case (one of the case's own event objects) passes without a call
        event = _checked_event(case, event)
    seq = event.seq
    if seq != len(case.events) - 1:
        workflow, case = _as_of(workflow, case, event, calendar, tuple(history))
    found = declared(workflow, event)
    if not found:
        return ()
    names = _namer(workflow, office_name, case.office)
    ctx = NoticeContext(workflow.spec, case, event, names, contact)
    out = []
    for n in found:
        values = n.resolve(ctx) if n.applies(case) else None
        if values is not None:
            out.append(Notice(n.key, n.recipient, values, case.id, seq, n.channels))
    return tuple(out)


def _checked_event(case: Case, event: object) -> CaseEvent:
    """``event`` if it is one of the case's events."""
    if not isinstance(event, CaseEvent):
        raise WrongTypeError(f"event must be a CaseEvent or None, got {type(event).__name__}")
    seq = event.seq
    if not (0 <= seq < len(case.events)) or (
        case.events[seq] is not event and case.events[seq] != event
    ):
        raise InvalidArgumentError(f"event {seq} does not belong to case {case.id!r}")
    return event


def _calendar_version_at(case: Case, seq: int) -> str | None:
    """The calendar version the case's deadlines rested on right after event ``seq``."""
    for e in reversed(case.events[: seq + 1]):
        if e.kind == "transferred":
            break  # the new office's calendar holds until the next change
        if _is_recompute(e):
            version: str | None = e.data["to"]
            return version
    return _version_left_at_next_change(case, seq)


def _version_left_at_next_change(case: Case, seq: int) -> str | None:
    """The calendar version the first change after event ``seq`` moved the clocks from.

    A transfer coming first names the calendar it left (``from_calendar``; ``None`` for
    a transfer recorded before transfers named it: then not checked); the case's own
    version when nothing changed it since.
    """
    for e in case.events[seq + 1 :]:
        if e.kind == "transferred":
            left: str | None = e.data.get("from_calendar")
            return left
        if _is_recompute(e):
            earlier: str | None = e.data["from"]
            return earlier
    return case.calendar_version


def _is_recompute(event: CaseEvent) -> bool:
    """Whether ``event`` moved the case's clocks to another calendar version."""
    return event.kind == "sla" and event.name == "recomputed"


def _rebound(
    then: Workflow,
    pool: dict[tuple[str, int], Workflow],
    calendar: WorkingCalendar | Mapping[str, WorkingCalendar],
    office: str,
) -> tuple[Workflow, dict[tuple[str, int], Workflow], WorkingCalendar | None]:
    """``then`` and ``pool`` bound to their registry with the calendars of then.

    ``calendar`` is the calendar of ``office`` (the office holding the case at the
    event) in the version used then, or a mapping office id -> calendar for each office
    whose calendar has changed since. Returns the workflows rebound, and the calendar of
    ``office`` that the replay must reach (for the version check).
    """
    given = _calendars_given(calendar, office)
    assert then.offices is not None  # bound
    offices = _with_calendars(then.offices, given)
    rebound = {
        key: w.bind(offices) if getattr(w, "offices", None) is not None else w
        for key, w in pool.items()
    }
    return rebound[then.name, then.version], rebound, given.get(office)


def _calendars_given(
    calendar: WorkingCalendar | Mapping[str, WorkingCalendar], office: str
) -> Mapping[str, WorkingCalendar]:
    """``calendar`` as a mapping office id -> calendar (one calendar is ``office``'s)."""
    given = {office: calendar} if isinstance(calendar, WorkingCalendar) else calendar
    if not isinstance(given, Mapping):
        raise WrongTypeError(
            "calendar must be a WorkingCalendar or a mapping of office id to calendar, "
            f"got {type(calendar).__name__}"
        )
    return given


def _with_calendars(offices: Offices, given: Mapping[str, WorkingCalendar]) -> Offices:
    """The registry ``offices`` with each given office on its given calendar."""
    for office_id, cal in given.items():
        if not isinstance(cal, WorkingCalendar):
            raise WrongTypeError(
                f"calendar for office {office_id!r} must be a WorkingCalendar, "
                f"got {type(cal).__name__}"
            )
        offices = offices.with_office(attrs.evolve(offices[office_id], calendar=cal))
    return offices


def _as_of(
    workflow: Workflow,
    case: Case,
    event: CaseEvent,
    calendar: WorkingCalendar | Mapping[str, WorkingCalendar] | None,
    history: tuple[Workflow, ...],
) -> tuple[Workflow, Case]:
    """Return the workflow and the case as they were right after ``event``."""
    seq = event.seq
    later = case.events[seq + 1 :]
    pool = {(w.name, w.version): w for w in (workflow, *history)}
    then = _workflow_then(workflow, pool, later, case, seq)
    prefix = attrs.evolve(
        case,
        events=case.events[: seq + 1],
        state=_state_after(event),
        office=office_at(case, seq),
        workflow=then.name,
        workflow_version=then.version,
    )
    if not _shows_deadlines(then, event) or then.spec.sla is None:
        return then, prefix
    return _with_clocks_then(then, pool, prefix, calendar, case)


def _state_after(event: CaseEvent) -> str:
    """The state a case is in right after ``event`` (its source, for one that stays)."""
    state: str = event.dest if event.dest is not None else event.source
    return state


def _workflow_then(
    workflow: Workflow,
    pool: Mapping[tuple[str, int], Workflow],
    later: Sequence[CaseEvent],
    case: Case,
    seq: int,
) -> Workflow:
    """The workflow the case ran on at event ``seq`` (before a later migration)."""
    migration = next((e for e in later if e.kind == "migrated"), None)
    if migration is None:
        return workflow
    key = (migration.data["from_workflow"], migration.data["from_version"])
    if key not in pool:
        raise InvalidArgumentError(
            f"event {seq} of case {case.id!r} happened on workflow {key[0]!r} v{key[1]}: "
            "pass it in history= to re-render its notices"
        )
    return pool[key]


def _shows_deadlines(workflow: Workflow, event: CaseEvent) -> bool:
    """Whether a notice ``workflow`` declares on ``event`` shows an SLA deadline."""
    return any(n._shows_deadline for n in declared(workflow, event))


def _with_clocks_then(
    then: Workflow,
    pool: dict[tuple[str, int], Workflow],
    prefix: Case,
    calendar: WorkingCalendar | Mapping[str, WorkingCalendar] | None,
    case: Case,
) -> tuple[Workflow, Case]:
    """``then`` and the case ``prefix`` with its SLA clocks rebuilt by replaying it.

    ``case`` is the whole case (its later events tell which calendar version the
    clocks rested on).
    """
    seq = prefix.events[-1].seq
    version = _calendar_version_at(case, seq)
    bound = getattr(then, "offices", None) is not None
    if bound and calendar is not None:
        # the calendars of then, for the offices given: the registry as it was
        then, pool, calendar = _rebound(then, pool, calendar, prefix.office)
    plain = _calendar_then(calendar, version, bound=bound, case=case, seq=seq)
    rebuilt = replay(prefix, list(pool.values()), calendar=plain)
    _check_rebuilt_on(version, rebuilt, case, seq)
    return then, rebuilt


def _check_rebuilt_on(version: str | None, rebuilt: Case, case: Case, seq: int) -> None:
    """Refuse clocks ``rebuilt`` on another calendar version than the deadlines' of then."""
    if version is not None and rebuilt.calendar_version != version:
        # the registry's calendar has changed since (a new decree): the clocks of then
        # cannot be rebuilt from it
        raise InvalidArgumentError(
            f"the deadlines of case {case.id!r} at event {seq} were computed on calendar "
            f"version {version!r}, but the offices now give {rebuilt.calendar_version!r}; "
            "pass the calendar of then as calendar= to reproduce the notice that was sent"
        )


def _calendar_then(
    calendar: WorkingCalendar | Mapping[str, WorkingCalendar] | None,
    version: str | None,
    *,
    bound: bool,
    case: Case,
    seq: int,
) -> WorkingCalendar | None:
    """The calendar to replay the case on (``None`` for a bound workflow), once checked.

    ``calendar`` is what was given (for a bound workflow, the office's calendar of then
    once rebound); ``version`` the calendar version the deadlines rested on.
    """
    if isinstance(calendar, Mapping):
        raise WrongTypeError("calendar= as a mapping of office to calendar needs a bound workflow")
    if calendar is None:
        if not bound:
            raise InvalidArgumentError(
                f"event {seq} of case {case.id!r} is not its newest: its notices show "
                "deadlines, which are rebuilt by replaying the history up to it; pass "
                "calendar= (the office's calendar in the version used then) or use a workflow "
                "bound to offices"
            )
        return None
    _check_calendar_version(calendar, version, case, seq)
    return None if bound else calendar


def _check_calendar_version(calendar: object, version: str | None, case: Case, seq: int) -> None:
    """Refuse ``calendar`` unless a calendar in ``version`` (the deadlines' of then)."""
    if not isinstance(calendar, WorkingCalendar):
        raise WrongTypeError(f"calendar must be a WorkingCalendar, got {type(calendar).__name__}")
    if version is not None and calendar.version != version:
        raise InvalidArgumentError(
            f"the deadlines of case {case.id!r} at event {seq} were computed on calendar "
            f"version {version!r}; pass that calendar (given: {calendar.version!r}) to "
            "reproduce the notice that was sent"
        )
