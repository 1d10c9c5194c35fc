"""Which notices an event produces, for whom, with which values.

:func:`notices` maps an event of a standard workflow to :class:`Notice` values; the
host renders each one with :meth:`Messages.render` in the recipient's language and
zone, and sends it. Nothing here formats text or knows a language.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs

from migrantcare._case import Case, CaseEvent
from migrantcare._messages import MessageRef, Messages, Money, Plural
from migrantcare._vocab import CLOSURE_REASONS, DOCUMENT_TYPES, OUTREACH_CATEGORIES
from migrantcare._workflow import Workflow
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError

#: Who a notice goes to.
Recipient = Literal[
    "complainant", "family", "officer", "office_head", "crisis_center", "participants"
]

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
    """

    key: str
    recipient: Recipient
    values: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    case_id: str
    event_seq: int

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


def _due(case: Case, goal: str) -> _dt.datetime | None:
    for clock in reversed(case.clocks):
        if clock.goal == goal:
            return clock.due_at
    return None


def notices(
    workflow: Workflow,
    case: Case,
    event: CaseEvent | None = None,
    *,
    office_name: str | None = None,
    contact: str = DEFAULT_CONTACT,
) -> tuple[Notice, ...]:
    """Return the notices that ``event`` (default: the case's newest) produces.

    Covers the standard complaint, repatriation and outreach workflows and workflows
    derived from them; an event that concerns nobody produces none. Deadlines come
    from the case's SLA clocks; names from the case's persons (so a notice carries
    personal data: send it, do not log it).

    Args:
        workflow: The workflow the case runs on (for state labels).
        case: The case after the event.
        event: One of the case's events; the newest when omitted.
        office_name: How the office signs (e.g. ``"BP3MI Nusa Tenggara Timur"``);
            the office id when omitted.
        contact: The contact line in acknowledgements.
    """
    if not isinstance(case, Case):
        raise WrongTypeError(f"notices needs a Case, got {type(case).__name__}")
    if event is None:
        event = case.events[-1]
    if not isinstance(event, CaseEvent):
        raise WrongTypeError(f"event must be a CaseEvent or None, got {type(event).__name__}")
    if event.seq >= len(case.events) or case.events[event.seq] != event:
        raise InvalidArgumentError(f"event {event.seq} does not belong to case {case.id!r}")
    office = office_name or case.office
    base = {"case_number": case.id, "office": office}
    name = case.complainant.name if case.complainant is not None else None
    out: list[Notice] = []

    def add(key: str, recipient: Recipient, **values: Any) -> None:
        out.append(Notice(key, recipient, {**base, **values}, case.id, event.seq))

    data = event.data
    if event.kind == "sla":
        if event.name in ("warning", "breach"):
            goal = MessageRef(f"sla.goal.{data['goal']}")
            due = _dt.datetime.fromisoformat(data["due_at"])
            if event.name == "warning":
                add("sla.warning", "officer", goal=goal, percent=data["threshold_percent"], due=due)
            else:
                add("sla.breach", "officer", goal=goal, due=due)
                add("sla.breach.head", "office_head", goal=goal, due=due)
        return tuple(out)

    if case.workflow.startswith("complaint"):
        _complaint(workflow, case, event, data, name, contact, add)
    elif case.workflow.startswith("repatriation"):
        _repatriation(workflow, case, event, data, name, add)
    elif case.workflow.startswith("outreach"):
        _outreach(case, event, data, add)
    return tuple(out)


def _complaint(  # noqa: PLR0917 - private dispatcher
    workflow: Workflow,
    case: Case,
    event: CaseEvent,
    data: Mapping[str, Any],
    name: str | None,
    contact: str,
    add: Any,
) -> None:
    trigger = event.name
    if trigger == "escalate":
        add(
            "complaint.escalated",
            "crisis_center",
            category=workflow.spec.categories.term(case.category),
        )
        return
    if name is None:
        return
    if event.kind == "opened":
        add(
            "complaint.registered.ack",
            "complainant",
            name=name,
            received_at=event.at,
            verify_by=_due(case, "verification") or event.at,
            contact=contact,
        )
    elif trigger == "request_documents":
        # document codes from DOCUMENT_TYPES render in the reader's language
        docs = [
            DOCUMENT_TYPES.term(d) if isinstance(d, str) and d in DOCUMENT_TYPES else d
            for d in data.get("documents") or ()
        ] or [MessageRef("doc.supporting")]
        add(
            "complaint.documents.request",
            "complainant",
            name=name,
            documents=docs,
            answer_by=_due(case, "documents") or event.at,
        )
    elif trigger == "request_clarification":
        days = 15
        plan = workflow.spec.sla
        if plan is not None:
            for p in plan.select(case):
                if p.name == "clarity" and p.target.unit == "working_days":
                    days = p.target.days
        add(
            "complaint.clarification.request",
            "complainant",
            name=name,
            period=Plural("unit.working_days", days),
            answer_by=_due(case, "clarity") or event.at,
        )
    elif trigger == "resolve":
        add("complaint.resolved", "complainant", name=name)
        if isinstance(data.get("amount_idr"), int | float):
            add(
                "complaint.compensation.paid",
                "complainant",
                name=name,
                amount=Money(data["amount_idr"]),
                paid_on=event.at.date(),
            )
    elif trigger == "close":
        add(
            "complaint.closed",
            "complainant",
            name=name,
            reason=CLOSURE_REASONS.term(data["reason"]),
        )
    elif trigger == "reopen":
        add("complaint.reopened", "complainant")
    elif event.kind in ("transition", "migrated") and event.dest != event.source:
        add("complaint.status.changed", "complainant", status=workflow.state(event.dest))


def _repatriation(  # noqa: PLR0917 - private dispatcher
    workflow: Workflow,
    case: Case,
    event: CaseEvent,
    data: Mapping[str, Any],
    name: str | None,
    add: Any,
) -> None:
    if name is None or event.kind != "transition" or event.dest == event.source:
        return
    if event.name == "arrive":
        worker = case.worker.name if case.worker is not None else name
        arrival = data.get("arrival_at")
        when = _dt.datetime.fromisoformat(arrival) if isinstance(arrival, str) else event.at
        key = (
            "repatriation.remains.arrival"
            if case.category == "deceased"
            else "repatriation.arrival"
        )
        add(key, "family", name=name, worker=worker, place=data.get("place", "-"), arrival=when)
    else:
        add("repatriation.status.changed", "family", status=workflow.state(event.dest))


def _outreach(case: Case, event: CaseEvent, data: Mapping[str, Any], add: Any) -> None:
    if event.name != "coordinate":
        return
    held = data.get("held_at")
    if not isinstance(held, str):
        return
    topic = (
        OUTREACH_CATEGORIES.term(case.category)
        if case.category in OUTREACH_CATEGORIES
        else case.category
    )
    add(
        "outreach.invitation",
        "participants",
        village=case.attributes.get("village", "-"),
        topic=topic,
        held_at=_dt.datetime.fromisoformat(held),
        venue=data.get("venue", "-"),
    )
