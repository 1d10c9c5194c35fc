"""One realistic, seeded workload of cases behind every benchmark that times cases.

Run ``python benchmarks/workload.py [n] [seed]`` to print the realised mix.

Why a workload at all: a benchmark of cases whose history is an opening and nineteen
escalations (events that move no clock) measures the workload, not the code. The cases
here are made the way a host service makes them, through the public API only: the
standard workflows (``complaint_workflow()`` with its SLA plan, ``repatriation_workflow()``,
``outreach_workflow()``) bound to an office registry; officers fire events in working
time; the host's scheduler calls ``advance`` at every ``next_due_at`` before anything
else happens (so warnings, breaches and the escalations a breach fires are recorded at
the instants a real sweep records them). Every case verifies and replays.

The mix and its reasons (``shared/reference/complaint-handling.md`` for the stages):

* Offices in all three zones: the national call centre in Jakarta (WIB), BP3MI offices
  in Jawa Timur and Jawa Barat (WIB), NTB, NTT and Sulawesi Selatan (WITA), Maluku and
  Papua (WIT). Each calendar is the civil-service calendar of its province.
* 80 % complaints, 12 % repatriation requests, 8 % outreach activities: complaints are
  the offices' daily work; repatriation is the largest complaint category in the
  ministry's statistics but runs as its own, shorter workflow; outreach is planned.
* Complaints: about 70 % registered at a BP3MI desk or WhatsApp; about 30 % registered
  by the national call centre (WIB) and transferred within working hours to the BP3MI
  of the worker's home province in WITA or WIT (the clocks are rebased onto the other
  zone's calendar); a few of those are transferred on once more.
* Most complaints (about 90 %) are taken up and verified; 3 % are withdrawn at once.
* About a quarter wait for documents (the verification clock pauses while the
  documents clock runs on, then resumes); a third of those wait twice.
* About a third of the verified complaints wait on the complainant for clarity
  (the resolution clock pauses; the clarity and unreachable clocks run); a quarter of
  those wait twice; some never answer and are closed (unreachable, no_clarity).
* A third go to clarification meetings (a third of those to a second one) and
  mediation; some are referred to another agency; the rest are resolved (compensation
  recorded in the data) or closed with a Pasal 30 reason.
* Officers write notes on about a third of their actions; urgent cases and slow
  offices get manual escalations to the crisis centre; 5 % of finished complaints are
  reopened (with a note) and handled again.
* Slow offices (and the random officer delays) let clocks pass 50 %/75 % and breach:
  warnings, breaches and the escalations a breach fires come from ``advance``.
* The long tail: about 2 % of complaints are the hard ones (trafficking, lost contact,
  a worker detained abroad): months of asking the family for news and hearing back,
  with escalations, giving hundreds of events.
* Cases open over the first nine months of 2026; the simulation stops at the end of
  October, so some are still running (their clocks are due later).
* Repatriation: verify with the mission, arrange travel (or the remains), arrive,
  hand over, close; 5 % cancelled by the head; some escalated.
* Outreach: coordinate, hold, report, evaluate; some cancelled.

The same ``(n, seed)`` gives equal cases. A case that cannot be generated (a bug in the
library) is counted in ``Workload.failures``, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrantcare import (
    Actor,
    Case,
    Office,
    Offices,
    Person,
    Workflow,
    WorkingCalendar,
    complaint_workflow,
    outreach_workflow,
    repatriation_workflow,
)
from migrantcare.exceptions import MigrantCareError

UTC = dt.timezone.utc
START = dt.datetime(2026, 1, 5, tzinfo=UTC)
OPEN_DAYS = 270  # cases open over the first nine months
HORIZON = dt.datetime(2026, 10, 31, 17, 0, tzinfo=UTC)  # the simulation stops here

# (office id, province, slowness): the call centre first
_OFFICE_TABLE = (
    ("call-centre", "DKI Jakarta", 1.0),
    ("bp3mi-jatim", "Jawa Timur", 1.0),
    ("bp3mi-jabar", "Jawa Barat", 0.9),
    ("bp3mi-ntb", "Nusa Tenggara Barat", 1.4),
    ("bp3mi-ntt", "Nusa Tenggara Timur", 1.6),
    ("bp3mi-sulsel", "Sulawesi Selatan", 1.5),
    ("bp3mi-maluku", "Maluku", 2.2),
    ("bp3mi-papua", "Papua", 2.0),
)
_BP3MI = tuple(row[0] for row in _OFFICE_TABLE[1:])
_EAST = ("bp3mi-ntb", "bp3mi-ntt", "bp3mi-sulsel", "bp3mi-maluku", "bp3mi-papua")
_OFFICE_WEIGHTS = (22, 18, 16, 16, 10, 9, 9)
_CHANNELS = (("whatsapp", 40), ("web_form", 12), ("email", 10), ("walk_in", 10),
             ("lapor", 5), ("embassy", 3), ("social_media", 2))  # fmt: skip
_CATEGORIES = (("unpaid_wages", 22), ("repatriation_request", 10), ("job_not_as_contracted", 12),
               ("failed_departure", 9), ("job_fraud", 8), ("lost_contact", 7), ("illness", 6),
               ("abuse", 5), ("social_security_claim", 5), ("detained", 3), ("trafficking", 3),
               ("death_abroad", 2), ("other", 4))  # fmt: skip
_HARD = ("trafficking", "lost_contact", "detained", "abuse")
_ABROAD = ("Asia/Hong_Kong", "Asia/Taipei", "Asia/Kuala_Lumpur", "Asia/Singapore", "Asia/Riyadh")
_NOTES = ("called the employer", "spoke to the agency (P3MI)", "asked the mission abroad",
          "family came in", "contract copy received", "followed up by phone")  # fmt: skip
_DOCS = ("passport", "employment_contract", "pay_slips", "placement_agreement", "visa")
_OUTREACH = (("safe_migration", 45), ("desa_migran_emas", 30), ("anti_trafficking", 15),
             ("job_fair", 10))  # fmt: skip

#: The features counted per case (a case may have several).
FEATURES = (
    "complaint",
    "repatriation",
    "outreach",
    "transferred",
    "transferred WIB->WITA/WIT",
    "documents wait",
    "documents wait twice",
    "complainant wait",
    "complainant wait twice",
    "note",
    "reopened",
    "sla warning",
    "sla breach",
    "escalated",
    "resolved",
    "closed",
    "still running",
    "long tail (>=100 events)",
)


@dataclass(frozen=True)
class Workload:
    """The generated cases and what they run on.

    Attributes:
        cases: Every case, in order of opening.
        offices: The office registry (WIB, WITA and WIT offices).
        complaint: The complaint workflow (SLA plan on), bound to ``offices``.
        repatriation: The repatriation workflow, bound to ``offices``.
        outreach: The outreach workflow, bound to ``offices``.
        at: The instant the simulation stopped.
        due: Per complaint that ever had a mark due: the case as it stood just before
            its last ``advance`` that recorded something, and that instant (what a sweep
            meets: a case with its history so far, due now).
        versions: Per case id, the case after each host action (the opening, each
            fire, transfer and ``advance`` that recorded something): what a host saves,
            one save per action.
        failures: ``(case id, error)`` of the cases the library refused to generate.
    """

    cases: tuple[Case, ...]
    offices: Offices
    complaint: Workflow
    repatriation: Workflow
    outreach: Workflow
    at: dt.datetime
    due: tuple[tuple[Case, dt.datetime], ...]
    versions: dict[str, tuple[Case, ...]] = field(default_factory=dict)
    failures: tuple[tuple[str, str], ...] = field(default=())

    @property
    def workflows(self) -> tuple[Workflow, ...]:
        """The three workflows, for a store or a report."""
        return (self.complaint, self.repatriation, self.outreach)

    def workflow_of(self, case: Case) -> Workflow:
        """The workflow ``case`` runs on."""
        return {w.name: w for w in self.workflows}[case.workflow]

    def calendar_of(self, case: Case) -> WorkingCalendar:
        """The working calendar of the office that holds ``case``."""
        return self.offices.calendar(case.office)

    @property
    def complaints(self) -> tuple[Case, ...]:
        """The complaint cases only."""
        return tuple(c for c in self.cases if c.workflow == "complaint")


def offices() -> Offices:
    """The workload's offices: the call centre (WIB) and seven BP3MI in WIB, WITA, WIT."""
    out = []
    for office_id, province, _ in _OFFICE_TABLE:
        cal = WorkingCalendar.for_province(province, first_year=2025, last_year=2027)
        name = "Pusat Panggilan Nasional" if office_id == "call-centre" else f"BP3MI {province}"
        out.append(Office(office_id, name, name, province, cal, f"Kepala {name}", f"Head, {name}"))
    return Offices(out)


def _pick(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


class _Sim:
    """The state of one generation run (a host's service and its scheduler)."""

    def __init__(self, rng: random.Random, registry: Offices) -> None:
        self.rng = rng
        self.offices = registry
        self.complaint = complaint_workflow().bind(registry)
        self.repatriation = repatriation_workflow().bind(registry)
        self.outreach = outreach_workflow().bind(registry)
        self.slowness = {row[0]: row[2] for row in _OFFICE_TABLE}
        self.cc = Actor("cc-01", roles={"call_centre"}, office="call-centre")
        self.due: list[tuple[Case, dt.datetime]] = []
        self.trail: list[Case] = []
        self._last_due: tuple[Case, dt.datetime] | None = None

    # ---------------------------------------------------------------- people and time

    def officer(self, office: str) -> Actor:
        return Actor(
            f"officer-{office}-{self.rng.randrange(1, 6)}", roles={"officer"}, office=office
        )

    def head(self, office: str) -> Actor:
        return Actor(f"head-{office}", roles={"head_of_office"}, office=office)

    def later(self, case: Case, mean_hours: float) -> dt.datetime:
        """An officer acts after some working time (exponential) on the office's calendar."""
        cal = self.offices.calendar(case.office)
        hours = self.rng.expovariate(1 / max(mean_hours, 0.05))
        due = cal.add_working_time(case.events[-1].at, dt.timedelta(hours=hours))
        return dt.datetime.fromtimestamp(due.timestamp(), UTC)

    def days_later(self, case: Case, mean_days: float) -> dt.datetime:
        """The complainant (or the mission abroad) answers after some calendar time."""
        hours = self.rng.expovariate(1 / mean_days) * 24 + 1
        return case.events[-1].at + dt.timedelta(hours=hours)

    def catch_up(self, wf: Workflow, case: Case, until: dt.datetime) -> Case:
        # the host's scheduler has been running: advance at every due instant up to ``until``
        while (due := wf.next_due_at(case)) is not None and due <= until:
            new = wf.advance(case, at=due)
            if new.version != case.version:
                self._last_due = (case, due)
                self.trail.append(new)
            case = new
        return case

    def act(
        self,
        wf: Workflow,
        case: Case,
        trigger: str,
        at: dt.datetime,
        by: Actor | None = None,
        **kw: Any,
    ) -> Case:
        case = self.catch_up(wf, case, at)
        if by is None:
            officer = self.officer(case.office)
            by = officer if wf.may(case, trigger, by=officer) else self.head(case.office)
        if "note" not in kw and self.rng.random() < 0.33:
            kw["note"] = self.rng.choice(_NOTES)
        case = wf.fire(case, trigger, at=at, by=by, **kw)
        self.trail.append(case)
        return case

    # ---------------------------------------------------------------- complaints

    def complaint_case(self, number: int, opened: dt.datetime) -> Case:
        rng, wf = self.rng, self.complaint
        self._last_due = None
        category = _pick(rng, _CATEGORIES)
        hard = category in _HARD
        priority = "urgent" if hard else ("high" if rng.random() < 0.1 else "normal")
        via_cc = rng.random() < 0.3
        home = rng.choice(_EAST) if via_cc else rng.choices(_BP3MI, weights=_OFFICE_WEIGHTS)[0]
        received = opened.astimezone(dt.timezone.utc)
        case = wf.open(
            f"PGD-2026-{number:06d}",
            at=received,
            by=self.cc if via_cc else Actor("intake-01", roles={"call_centre"}),
            office="call-centre" if via_cc else home,
            category=category,
            channel="call_center" if via_cc else _pick(rng, _CHANNELS),
            priority=priority,
            complainant=Person(f"Complainant {number}", kind="pmi", phone="+628110000000"),
            attributes={"destination": rng.choice(("HK", "TW", "MY", "SG", "SA"))},
        )
        self.trail.append(case)
        try:
            return self._complaint_life(wf, case, home, hard, via_cc)
        except _Horizon as stop:
            return self.catch_up(wf, stop.case, HORIZON)
        finally:
            if self._last_due is not None:
                self.due.append(self._last_due)

    def _at(self, case: Case, at: dt.datetime) -> dt.datetime:
        if at > HORIZON:
            raise _Horizon(case)
        return at

    def _complaint_life(
        self, wf: Workflow, case: Case, home: str, hard: bool, via_cc: bool
    ) -> Case:
        rng = self.rng
        slow = self.slowness[home] * (1.0 if rng.random() < 0.8 else 3.0)

        def step(trigger: str, mean: float, **kw: Any) -> Case:
            # mean > 0: working hours of the office; mean < 0: calendar days (the other side)
            at = self.later(case, mean * slow) if mean > 0 else self.days_later(case, -mean)
            return self.act(wf, case, trigger, self._at(case, at), **kw)

        if via_cc:
            # the call centre hands it to the home province's BP3MI within working hours
            at = self._at(case, self.later(case, 2.0))
            case = self.catch_up(wf, case, at)
            case = wf.transfer(case, to=home, at=at, by=self.cc, note="home province")
            self.trail.append(case)
        case = step("start_verification", 1.5 if hard else 3.0)
        if rng.random() < 0.03:
            return step("close", 3.0, data={"reason": "withdrawn"})
        if rng.random() < 0.25:
            for _ in range(2 if rng.random() < 0.33 else 1):
                docs = rng.sample(_DOCS, rng.randrange(1, 3))
                case = step("request_documents", 4.0, data={"documents": docs})
                if rng.random() < 0.12:  # never sent: Pasal 30(1)a
                    case = self.catch_up(wf, case, self._at(case, self.days_later(case, 35)))
                    return step("close", 2.0, data={"reason": "documents_incomplete"})
                case = step("documents_received", -6.0)
        if rng.random() < 0.08:
            case = step("close", 6.0, data={"reason": "cannot_be_resolved"})
            return self._maybe_reopen(wf, case, slow)
        case = step("verify", 10.0)
        if via_cc and rng.random() < 0.08:
            # handed on once more (the worker's family lives in another province)
            to = rng.choice([o for o in _EAST if o != case.office])
            at = self._at(case, self.later(case, 6.0 * slow))
            case = self.catch_up(wf, case, at)
            case = wf.transfer(case, to=to, at=at, by=self.head(case.office), note="family")
            self.trail.append(case)
        if hard and rng.random() < 0.6:
            case = step("escalate", 1.0, note="crisis centre informed")
        rounds = 0
        if hard and rng.random() < 0.1:
            rounds = rng.randrange(40, 160)  # the long tail: months of news from abroad
        elif rng.random() < 0.33:
            rounds = 2 if rng.random() < 0.25 else 1
        for k in range(rounds):
            case = step("request_clarification", 12.0 if rounds < 3 else 3.0)
            if rounds < 3 and rng.random() < 0.15:
                reason = rng.choice(("unreachable", "no_clarity"))
                case = self.catch_up(wf, case, self._at(case, self.days_later(case, 40)))
                case = step("close", 2.0, data={"reason": reason})
                return self._maybe_reopen(wf, case, slow)
            case = step("complainant_replied", -5.0 if rounds < 3 else -1.5)
            if rounds >= 3 and k % 7 == 3:
                case = step("escalate", 2.0, note="still no news")
        if rng.random() < 0.33:
            case = step("invite_clarification", 16.0)
            if rng.random() < 0.33:
                case = step("second_clarification", 24.0)
            if rng.random() < 0.85:
                case = step("mediate", 24.0)
        elif rng.random() < 0.08:
            case = step("refer", 24.0, data={"reason": "referred"})
        if rng.random() < 0.1:
            case = step("close", 30.0, data={"reason": "cannot_be_resolved"})
        else:
            amount = {"amount_idr": rng.randrange(1, 60) * 500_000} if rng.random() < 0.4 else None
            case = step("resolve", 40.0, note="settled", data=amount)
        return self._maybe_reopen(wf, case, slow)

    def _maybe_reopen(self, wf: Workflow, case: Case, slow: float) -> Case:
        if self.rng.random() >= 0.05:
            return case
        at = self._at(case, self.days_later(case, 10))
        case = self.act(wf, case, "reopen", at, note="the employer did not pay after all")
        at = self._at(case, self.later(case, 40.0 * slow))
        return self.act(wf, case, "resolve", at, note="paid")

    # ---------------------------------------------------------------- repatriation, outreach

    def repatriation_case(self, number: int, opened: dt.datetime) -> Case:
        rng, wf = self.rng, self.repatriation
        office = rng.choices(_BP3MI, weights=_OFFICE_WEIGHTS)[0]
        category = rng.choices(
            ("end_of_contract", "problem", "sick", "deceased", "deported"), (30, 30, 15, 10, 15)
        )[0]
        case = wf.open(
            f"PLG-2026-{number:06d}",
            at=opened,
            by=Actor("intake-01", roles={"call_centre"}),
            office=office,
            category=category,
            channel="embassy",
            complainant=Person(f"Family {number}", kind="family"),
            worker=Person(f"Worker {number}"),
        )
        self.trail.append(case)
        try:
            case = self.act(wf, case, "start_verification", self._at(case, self.later(case, 4)))
            if rng.random() < 0.05:
                return self.act(
                    wf, case, "cancel", self._at(case, self.later(case, 8)), by=self.head(office),
                    note="worker stays abroad",
                )  # fmt: skip
            if rng.random() < 0.1:
                case = self.act(wf, case, "escalate", self._at(case, self.later(case, 2)))
            deceased = category == "deceased"
            trigger = "confirm_deceased" if deceased else "arrange_travel"
            case = self.act(wf, case, trigger, self._at(case, self.days_later(case, 5)))
            arrival = self._at(case, self.days_later(case, 7))
            case = self.act(
                wf, case, "arrive", arrival,
                data={"place": "Bandara Soekarno-Hatta", "arrival_at": arrival.isoformat()},
            )  # fmt: skip
            case = self.act(wf, case, "hand_over", self._at(case, self.later(case, 6)))
            return self.act(wf, case, "close", self._at(case, self.later(case, 16)))
        except _Horizon as stop:
            return stop.case

    def outreach_case(self, number: int, planned: dt.datetime) -> Case:
        rng, wf = self.rng, self.outreach
        office = rng.choice(_BP3MI)
        category = _pick(rng, _OUTREACH)
        attributes: dict[str, Any] = {"province": self.offices[office].province}
        if category == "desa_migran_emas":
            attributes["village"] = f"village {rng.randrange(1, 13)}"
        case = wf.open(
            f"SOS-2026-{number:05d}",
            at=planned,
            by=self.officer(office),
            office=office,
            category=category,
            channel="in_person",
            attributes=attributes,
        )
        self.trail.append(case)
        try:
            for trigger in ("coordinate", "hold", "report", "evaluate"):
                at = self._at(case, self.days_later(case, 6))
                if trigger == "hold" and rng.random() < 0.08:
                    return self.act(wf, case, "cancel", at, by=self.head(office), note="weather")
                data: dict[str, Any] | None = None
                if trigger == "coordinate":
                    held = at + dt.timedelta(days=14)
                    data = {"held_at": held.isoformat(), "venue": "balai desa"}
                elif trigger == "hold":
                    data = {"participants": rng.randrange(25, 220)}
                by = self.head(office) if trigger == "evaluate" else None
                case = self.act(wf, case, trigger, at, by=by, data=data)
        except _Horizon as stop:
            return stop.case
        return case


class _Horizon(Exception):  # noqa: N818 - control flow, not an error
    """The simulation's end came before the next action: the case stays as it is."""

    def __init__(self, case: Case) -> None:
        super().__init__()
        self.case = case


def realistic_cases(n: int = 2_000, seed: int = 2026) -> Workload:
    """Generate ``n`` cases of the realistic workload (see the module docstring).

    Args:
        n: How many cases (complaints, repatriation requests and outreach activities).
        seed: The random seed: the same ``(n, seed)`` gives equal cases.
    """
    rng = random.Random(f"migrantcare-workload/{seed}/{n}")
    registry = offices()
    sim = _Sim(rng, registry)
    made: list[tuple[dt.datetime, Case]] = []
    failures: list[tuple[str, str]] = []
    versions: dict[str, tuple[Case, ...]] = {}
    kinds: list[tuple[str, Callable[[int, dt.datetime], Case]]] = [
        ("complaint", sim.complaint_case),
        ("repatriation", sim.repatriation_case),
        ("outreach", sim.outreach_case),
    ]
    for number in range(1, n + 1):
        kind, make = rng.choices(kinds, weights=(80, 12, 8))[0]
        opened = START + dt.timedelta(seconds=rng.randrange(OPEN_DAYS * 86_400))
        if kind == "outreach":
            opened = opened.replace(hour=rng.randrange(1, 7))  # office hours in every zone
        else:
            opened = opened.astimezone(_zone(rng.choice(_ABROAD)))
        try:
            sim.trail = []
            case = make(number, opened)
            made.append((opened, case))
            versions[case.id] = tuple(sim.trail)
        except MigrantCareError as exc:  # counted and reported, never hidden
            failures.append((f"{kind}-{number}", f"{type(exc).__name__}: {exc}"))
    made.sort(key=lambda item: (item[0], item[1].id))
    return Workload(
        cases=tuple(c for _, c in made),
        offices=registry,
        complaint=sim.complaint,
        repatriation=sim.repatriation,
        outreach=sim.outreach,
        at=HORIZON,
        due=tuple(sim.due),
        versions=versions,
        failures=tuple(failures),
    )


def _zone(name: str) -> dt.tzinfo:
    import zoneinfo  # noqa: PLC0415

    return zoneinfo.ZoneInfo(name)


def features(case: Case, offices: Offices) -> set[str]:
    """The features of :data:`FEATURES` that ``case`` shows."""
    out = {case.workflow}
    names = [e.name for e in case.events]
    kinds = Counter(names)
    for e in case.events:
        if e.kind == "transferred":
            out.add("transferred")
            zones = (
                offices.calendar(e.data["from_office"]).tz,
                offices.calendar(e.data["to_office"]).tz,
            )
            if zones[0] == "Asia/Jakarta" and zones[1] != "Asia/Jakarta":
                out.add("transferred WIB->WITA/WIT")
        if e.note:
            out.add("note")
        if e.kind == "sla" and e.name == "warning":
            out.add("sla warning")
        if e.kind == "sla" and e.name == "breach":
            out.add("sla breach")
    if kinds["request_documents"]:
        out.add("documents wait")
    if kinds["request_documents"] >= 2:
        out.add("documents wait twice")
    if kinds["request_clarification"]:
        out.add("complainant wait")
    if kinds["request_clarification"] >= 2:
        out.add("complainant wait twice")
    if kinds["reopen"]:
        out.add("reopened")
    if kinds["escalate"]:
        out.add("escalated")
    if case.state == "resolved":
        out.add("resolved")
    if case.state in ("closed", "cancelled", "evaluated"):
        out.add("closed")
    if case.state not in ("resolved", "closed", "cancelled", "evaluated"):
        out.add("still running")
    if len(case.events) >= 100:
        out.add("long tail (>=100 events)")
    return out


def describe(work: Workload) -> str:
    """The realised mix: event-count percentiles, share of each feature, event kinds."""
    counts = sorted(len(c.events) for c in work.cases)
    q = statistics.quantiles(counts, n=100, method="inclusive")
    lines = [
        f"workload: {len(work.cases):,} cases, {sum(counts):,} events, "
        f"{len(work.offices)} offices in {len({o.calendar.tz for o in work.offices})} zones, "
        f"failures {len(work.failures)}",
        f"events per case: min {counts[0]}, p25 {q[24]:.0f}, "
        f"median {statistics.median(counts):.0f}, "
        f"p75 {q[74]:.0f}, p90 {q[89]:.0f}, p99 {q[98]:.0f}, max {counts[-1]}, "
        f"mean {statistics.mean(counts):.1f}",
    ]
    feats = Counter(f for c in work.cases for f in features(c, work.offices))
    lines.append(
        "share of cases: "
        + ", ".join(f"{name} {feats[name] / len(work.cases):.0%}" for name in FEATURES)
    )
    kinds = Counter(
        f"{e.kind}:{e.name}" if e.kind in ("sla", "transferred") else e.kind
        for c in work.cases for e in c.events
    )  # fmt: skip
    total = sum(kinds.values())
    lines.append(
        "events by kind: " + ", ".join(f"{k} {v / total:.1%}" for k, v in kinds.most_common())
    )
    lines.append(f"sweep inputs (a case just before a due mark): {len(work.due):,}")
    for case_id, error in work.failures[:5]:
        lines.append(f"  FAILED {case_id}: {error[:200]}")
    return "\n".join(lines)


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 2026
    print(describe(realistic_cases(size, seed)))


def actions(work: Workload, case: Case) -> list[tuple[str, dict[str, Any]]]:
    """The host actions that made ``case`` after its opening, to run them again.

    Each is ``(method, keywords)`` for ``fire``, ``transfer`` or ``advance`` of the case's
    workflow (an ``advance`` records every mark due at its instant and the escalations a
    breach fires, so the events it made are one action).
    """
    versions = work.versions[case.id]
    out: list[tuple[str, dict[str, Any]]] = []
    for before, after in itertools.pairwise(versions):
        first = after.events[before.version]
        by = Actor(first.by, roles=() if first.role is None else (first.role,), office=first.office)
        if first.kind == "sla":
            out.append(("advance", {"at": first.at}))
        elif first.kind == "transferred":
            out.append(("transfer", {"to": first.data["to_office"], "at": first.at, "by": by,
                                     "note": first.note}))  # fmt: skip
        else:
            # a fire may be preceded by a "recomputed" event; the transition is the last
            e = after.events[-1]
            by = Actor(e.by, roles=() if e.role is None else (e.role,), office=e.office)
            out.append(("fire", {"trigger": e.name, "at": e.at, "by": by, "note": e.note,
                                 "data": e.data or None}))  # fmt: skip
    return out


def run_actions(wf: Workflow, case: Case, script: list[tuple[str, dict[str, Any]]]) -> Case:
    """Run ``script`` (from :func:`actions`) on the opened ``case`` through ``wf``."""
    for method, kw in script:
        if method == "fire":
            case = wf.fire(case, kw["trigger"], at=kw["at"], by=kw["by"], note=kw["note"],
                           data=kw["data"])  # fmt: skip
        elif method == "advance":
            case = wf.advance(case, at=kw["at"])
        else:
            case = wf.transfer(case, to=kw["to"], at=kw["at"], by=kw["by"], note=kw["note"])
    return case
