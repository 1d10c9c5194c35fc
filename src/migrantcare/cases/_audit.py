"""The audit view: who did what to which case, as which role, from which office.

Every event of a case's hash-chained history records the actor's id, the role that
authorised it and the actor's office. :func:`audit_trail` lays those out as flat rows an
auditor can filter, sort and export, over one case or many. It carries no notes, no
event data and no personal data: only ids, roles, offices, states and times.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from migrantcare._validate import quote
from migrantcare.exceptions import IntegrityError, WrongTypeError
from migrantcare.offices._actors import Actor
from migrantcare.records._case import Case, CaseEvent, utc


@attrs.frozen
class AuditEntry:
    """One event of one case, as an auditor reads it.

    Attributes:
        case_id: The case.
        seq: The event's position in the case's history.
        at: When (aware, UTC).
        kind: ``"opened"``, ``"transition"``, ``"transferred"``, ``"migrated"``,
            ``"sla"``, …
        action: The trigger or operation (``"verify"``, ``"transfer"``, ``"breach"``).
        by: The actor's id.
        role: The role that authorised it (``None`` on a definition without
            permissions that recorded none).
        by_office: The actor's office (``None`` for national roles and the system).
        case_office: The office holding the case when it happened (for a transfer,
            the office handing it over).
        source: The state before (``None`` for the opening).
        dest: The state after.
    """

    case_id: str
    seq: int
    at: _dt.datetime
    kind: str
    action: str
    by: str
    role: str | None
    by_office: str | None
    case_office: str
    source: str | None
    dest: str

    @property
    def cross_office(self) -> bool:
        """Whether the actor acted on a case of another office than its own."""
        return self.by_office != self.case_office

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible dict (for CSV or JSON-lines export)."""
        record = attrs.asdict(self)
        record["at"] = self.at.isoformat()
        return record


def _office_in(case: Case, event: CaseEvent, key: str) -> str:
    """The office an opening or transfer event records under ``key``."""
    try:
        office = event.data.get(key, case.office)
    except (ValueError, RecursionError):  # a CaseEvent built by hand with garbled data
        raise IntegrityError(
            f"case {case.id!r}: event {event.seq}'s data is not JSON; it was not written by "
            "migrantcare"
        ) from None
    return str(office)


def _entries(case: Case) -> Iterator[AuditEntry]:
    holder = case.office
    for event in case.events:
        if event.kind == "opened":
            holder = _office_in(case, event, "office")
        yield AuditEntry(
            case.id,
            event.seq,
            event.at,
            event.kind,
            event.name,
            event.by,
            event.role,
            event.office,
            holder,
            event.source,
            event.dest,
        )
        if event.kind == "transferred":
            holder = _office_in(case, event, "to_office")


def audit_trail(
    cases: Case | Iterable[Case],
    *,
    by: str | Actor | None = None,
    role: str | None = None,
    office: str | None = None,
    since: _dt.datetime | None = None,
    until: _dt.datetime | None = None,
) -> tuple[AuditEntry, ...]:
    """List who did what, as which role, from which office, oldest first.

    Args:
        cases: One case or many (any iterable, e.g. a store query).
        by: Only this actor: an :class:`~migrantcare.Actor` (as every other ``by=``
            takes) or its id.
        role: Only events authorised by this role.
        office: Only events by actors of this office, or on cases held by it.
        since: Only events at or after this instant (aware).
        until: Only events before this instant (aware).

    Raises:
        WrongTypeError: something in ``cases`` is not a :class:`~migrantcare.Case`, or a
            filter is of the wrong type (``role=["officer"]``, ``office=5``): a filter
            that can match nothing is refused rather than answering with nothing.
        NaiveDatetimeError: ``since`` or ``until`` has no time zone.

    Examples:
        >>> import datetime as dt
        >>> from migrantcare import Actor, complaint_workflow
        >>> wf = complaint_workflow(sla=False)
        >>> officer = Actor("u-1042", roles={"officer"}, office="bp3mi-ntb")
        >>> at = dt.datetime(2026, 3, 2, 2, tzinfo=dt.timezone.utc)
        >>> case = wf.open(
        ...     "PGD-1", at=at, by=Actor("cc-7", roles={"call_centre"}), office="bp3mi-ntb",
        ...     category="unpaid_wages", channel="whatsapp",
        ... )
        >>> case = wf.fire(case, "start_verification", at=at, by=officer)
        >>> [e.action for e in audit_trail(case, by=officer)]
        ['start_verification']
    """
    by_id = by.id if isinstance(by, Actor) else by
    _check_filters(by=by_id, role=role, office=office)
    start = None if since is None else utc(since, "since")
    end = None if until is None else utc(until, "until")
    tests = _entry_tests(by_id, role, office, start, end)
    selected = [
        entry
        for case in _cases_of(cases)
        for entry in _entries(case)
        if all(test(entry) for test in tests)
    ]
    selected.sort(key=lambda e: (e.at, e.case_id, e.seq))
    return tuple(selected)


def _check_filters(**filters: object) -> None:
    """Refuse a filter that could match nothing for its type (``role=["officer"]``)."""
    for name, value in filters.items():
        if value is not None and type(value) is not str:
            wanted = "an Actor, an actor id (str) or None" if name == "by" else "a str or None"
            raise WrongTypeError(
                f"audit_trail: {name} must be {wanted}, got {type(value).__name__} {quote(value)}"
            )


def _entry_tests(
    by_id: str | None,
    role: str | None,
    office: str | None,
    start: _dt.datetime | None,
    end: _dt.datetime | None,
) -> list[Callable[[AuditEntry], bool]]:
    """One test an entry must pass for each filter given."""
    tests: list[Callable[[AuditEntry], bool]] = []
    if by_id is not None:
        tests.append(lambda e: e.by == by_id)
    if role is not None:
        tests.append(lambda e: e.role == role)
    if office is not None:
        tests.append(lambda e: office in (e.by_office, e.case_office))
    if start is not None:
        tests.append(lambda e: e.at >= start)
    if end is not None:
        tests.append(lambda e: e.at < end)
    return tests


def _cases_of(cases: object) -> Iterator[Case]:
    """The cases of ``cases`` (one case, or an iterable of them), each checked in turn."""
    if not isinstance(cases, Case | Iterable) or isinstance(cases, str | bytes):
        raise WrongTypeError(
            f"audit_trail needs a Case or an iterable of Case values, got {type(cases).__name__}"
        )
    return _checked((cases,) if isinstance(cases, Case) else cases)


def _checked(cases: Iterable[object]) -> Iterator[Case]:
    for case in cases:
        if not isinstance(case, Case):
            raise WrongTypeError(f"audit_trail needs Case values, got {type(case).__name__}")
        yield case
