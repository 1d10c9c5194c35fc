"""The ``migrantcare demo``: one realistic complaint through its whole life.

Uses only the public API, the way a host service would: open, fire, advance at the
instants ``next_due_at`` gives, render the notices in both languages.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import TextIO

import attrs
import pendulum

from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._notices import Notice, notices
from migrantcare.cases._workflow import Workflow
from migrantcare.definitions._standard import complaint_workflow
from migrantcare.messages._messages import Messages
from migrantcare.offices._actors import Actor
from migrantcare.records._case import Case, CaseEvent, Person

_OFFICE = "BP3MI Nusa Tenggara Timur"
_RECIPIENT_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "complainant": "Asia/Hong_Kong",
        "officer": "Asia/Makassar",
        "office_head": "Asia/Makassar",
        "crisis_center": "Asia/Jakarta",
    }
)


class _Narrator:
    def __init__(self, out: TextIO, wf: Workflow, cal: WorkingCalendar, messages: Messages) -> None:
        self.out, self.wf, self.cal, self.messages = out, wf, cal, messages

    def when(self, instant: _dt.datetime) -> str:
        return f"{self.cal.local(instant):%a %d %b %H:%M} WITA"

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def show(self, before: Case, after: Case, *, both_languages: bool = True) -> None:
        languages = ("id", "en") if both_languages else ("id",)
        for event in after.events[before.version :]:
            self.line(f"  {self.when(event.at)}  {_what(event)}")
            for notice in notices(self.wf, after, event, office_name=_OFFICE):
                for lang in languages:
                    self.notice(notice, lang)

    def notice(self, notice: Notice, lang: str) -> None:
        """One notice rendered in ``lang``, in its recipient's zone, indented under its event."""
        tz = _RECIPIENT_ZONES.get(notice.recipient, self.cal.tz)
        # the complainant gets an SMS where the message has one, else e-mail
        sms = notice.recipient == "complainant" and (
            f"{notice.key}.sms" in self.messages.keys(lang)
        )
        text = notice.render(self.messages, lang, tz=tz, channel="sms" if sms else None)
        label = f"{notice.recipient} [{lang}{', SMS' if sms else ''}]"
        body = text.replace("\n", "\n          ")
        self.line(f"      > {label}: {body}")

    def status(self, case: Case, now: _dt.datetime) -> None:
        for s in self.wf.status(case, at=now, calendar=self.cal):
            due = f"{s.due_at:%a %d %b %H:%M}"
            self.line(
                f"      · {s.goal:<15} {s.target:<16} {s.state:<9} due {due}  "
                f"{s.percent_used:5.1f}% used{'  (provisional)' if s.provisional else ''}"
            )


def _what(event: CaseEvent) -> str:
    """What an event did, in one line of the timeline."""
    if event.kind == "sla":
        return f"SLA {event.name}: {event.data['goal']} ({event.data['mark']})"
    if event.kind == "opened":
        return f"opened in {event.dest!r} by {event.by}"
    moved = "" if event.source == event.dest else f" -> {event.dest}"
    return f"{event.name}{moved} by {event.by}"


def run_demo(out: TextIO) -> None:  # noqa: PLR0915 - a script, told in order
    """Print the demo timeline to ``out``."""
    cal = WorkingCalendar.for_province("Nusa Tenggara Timur")
    wf = complaint_workflow()
    messages = Messages.default()
    n = _Narrator(out, wf, cal, messages)

    n.line("migrantcare demo: a complaint from Hong Kong to the BP3MI office in Kupang (WITA)")
    n.line(f"calendar {cal.version}; cuti bersama decreed through {cal.decreed_through}")
    closed = [
        h for h in cal.holidays(2026) if _dt.date(2026, 3, 18) <= h.date <= _dt.date(2026, 3, 24)
    ]
    n.line(
        "offices closed 18-24 March 2026: " + "; ".join(f"{h.date:%d} {h.name_id}" for h in closed)
    )
    n.line()

    received = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
    n.line(
        "1. Thursday night, Nyepi: a worker in Hong Kong complains by WhatsApp about unpaid wages"
    )
    case = wf.open(
        "PGD-2026-000123",
        at=received,
        by=Actor("callcenter-01", roles={"call_centre"}),
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Ibu Siti Aminah", kind="pmi", passport_number="C1234567"),
        attributes={"destination": "HK", "placement": "procedural"},
        calendar=cal,
    )
    n.show(_empty(case), case)
    n.status(case, received)
    n.line(f"   repr never shows personal data: {case.complainant!r}")
    n.line()

    def wake(case: Case, until: _dt.datetime, title: str) -> Case:
        """Let the host's scheduler run until ``until``: advance at every next_due_at."""
        n.line(title)
        while (due := wf.next_due_at(case)) is not None and due <= until:
            before = case
            case = wf.advance(case, at=due, calendar=cal)
            n.show(before, case, both_languages=False)
        return case

    officer = Actor("officer-ntt-7", roles={"officer"}, office="bp3mi-ntt")

    def act(case: Case, trigger: str, local: str, **kw: object) -> Case:
        at = pendulum.parse(local, tz=cal.tz)
        assert isinstance(at, pendulum.DateTime)
        # the host's scheduler has been running all along: catch up to this moment
        while (due := wf.next_due_at(case)) is not None and due <= at:
            before = case
            case = wf.advance(case, at=due, calendar=cal)
            n.show(before, case, both_languages=False)
        before = case
        case = wf.fire(
            case,
            trigger,
            at=at,
            by=officer,
            calendar=cal,
            **kw,  # type: ignore[arg-type]
        )
        n.show(before, case)
        return case

    n.line("2. The office reopens on Wednesday 25 March")
    case = wake(
        case, pendulum.datetime(2026, 3, 25, 11, 45, tz=cal.tz), "   the scheduler wakes up:"
    )
    case = act(case, "start_verification", "2026-03-25 11:50")
    case = act(
        case,
        "request_documents",
        "2026-03-25 13:30",
        data={"documents": ["employment_contract", "pay_slips"]},
    )
    n.line("   verification pauses while we wait for the documents:")
    n.status(case, pendulum.datetime(2026, 3, 25, 13, 31, tz=cal.tz))
    n.line()

    n.line("3. The documents arrive after Easter (the scheduler keeps watching the 30-day rule)")
    case = act(case, "documents_received", "2026-04-07 10:00")
    n.status(case, pendulum.datetime(2026, 4, 7, 10, 1, tz=cal.tz))
    n.line()

    case = wake(
        case,
        pendulum.datetime(2026, 4, 13, 9, tz=cal.tz),
        "4. Nobody verifies it in time: warnings, a breach, escalation to the crisis center",
    )
    n.line()

    n.line("5. Verified, clarified with the placement agency, settled")
    case = act(case, "verify", "2026-04-13 09:30")
    case = act(case, "invite_clarification", "2026-04-14 10:00")
    case = act(
        case,
        "resolve",
        "2026-04-21 15:00",
        note="wages paid in full",
        data={"amount_idr": 18_500_000},
    )
    n.status(case, pendulum.datetime(2026, 4, 21, 15, 1, tz=cal.tz))
    n.line()

    case.verify(head_hash=case.head_hash)
    n.line(
        f"{case.version} events, hash chain verified; store case.to_dict() and replay it anytime."
    )


def _empty(case: Case) -> Case:
    # the case as it was before its first event, so show() prints the opening
    return attrs.evolve(case, events=())
