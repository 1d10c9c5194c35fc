"""The audit view: who did what to which case, as which role, from which office.

Every event of a case's hash-chained history records the actor's id, the role that
authorised it and the actor's office. :func:`audit_trail` lays those out as flat rows an
auditor can filter, sort and export, over one case or many. It carries no notes, no
event data and no personal data: only ids, roles, offices, states and times.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from migrantcare._case import Case, utc
from migrantcare.exceptions import WrongTypeError


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


def _entries(case: Case) -> Iterator[AuditEntry]:
    holder = case.office
    for event in case.events:
        if event.kind == "opened":
            holder = str(event.data.get("office", case.office))
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
            holder = str(event.data["to_office"])


def audit_trail(
    cases: Case | Iterable[Case],
    *,
    by: str | None = None,
    role: str | None = None,
    office: str | None = None,
    since: _dt.datetime | None = None,
    until: _dt.datetime | None = None,
) -> tuple[AuditEntry, ...]:
    """List who did what, as which role, from which office, oldest first.

    Args:
        cases: One case or many (any iterable, e.g. a store query).
        by: Only this actor id.
        role: Only events authorised by this role.
        office: Only events by actors of this office, or on cases held by it.
        since: Only events at or after this instant (aware).
        until: Only events before this instant (aware).

    Raises:
        WrongTypeError: something in ``cases`` is not a :class:`~migrantcare.Case`.
        NaiveDatetimeError: ``since`` or ``until`` has no time zone.
    """
    start = None if since is None else utc(since, "since")
    end = None if until is None else utc(until, "until")
    selected: list[AuditEntry] = []
    for case in (cases,) if isinstance(cases, Case) else cases:
        if not isinstance(case, Case):
            raise WrongTypeError(f"audit_trail needs Case values, got {type(case).__name__}")
        for entry in _entries(case):
            if by is not None and entry.by != by:
                continue
            if role is not None and entry.role != role:
                continue
            if office is not None and office not in (entry.by_office, entry.case_office):
                continue
            if start is not None and entry.at < start:
                continue
            if end is not None and entry.at >= end:
                continue
            selected.append(entry)
    selected.sort(key=lambda e: (e.at, e.case_id, e.seq))
    return tuple(selected)
