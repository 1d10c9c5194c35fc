"""A seeded, reproducible year of cases at several BP3MI offices, for docs, tests, benchmarks.

The cases are made the way a host service makes them: the standard workflows open them,
officers fire events, the host's scheduler calls ``advance`` at every ``next_due_at``.
So every generated case verifies, replays, and carries real SLA clocks. What varies is
drawn from one ``random.Random(seed)``: the same arguments give the same cases.

The year has what a real one has: intake that does not stop for Lebaran or cuti bersama
(the backlog swells, then drains), a flood that closes one office for three days, one
office whose e-mail inbox clogs, officers of different speed, complaints transferred to
the worker's home province, and outreach (sosialisasi, Desa Migran Emas) per province.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from migrantcare._time import zone
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._workflow import Workflow
from migrantcare.definitions._standard import complaint_workflow, outreach_workflow
from migrantcare.exceptions import InvalidArgumentError
from migrantcare.offices._actors import Actor
from migrantcare.offices._offices import Office, Offices
from migrantcare.records._case import Case

# (office id, Indonesian name, English name, province, slowness, clogged channel)
_OFFICE_TABLE: tuple[tuple[str, str, str, str, float, str | None], ...] = (
    ("bp3mi-jatim", "BP3MI Jawa Timur", "BP3MI East Java", "Jawa Timur", 1.0, None),
    ("bp3mi-ntt", "BP3MI Nusa Tenggara Timur", "BP3MI East Nusa Tenggara", "Nusa Tenggara Timur",
     1.6, "email"),
    ("bp3mi-maluku", "BP3MI Maluku", "BP3MI Maluku", "Maluku", 2.2, None),
    ("bp3mi-jateng", "BP3MI Jawa Tengah", "BP3MI Central Java", "Jawa Tengah", 1.2, None),
    ("bp3mi-ntb", "BP3MI Nusa Tenggara Barat", "BP3MI West Nusa Tenggara", "Nusa Tenggara Barat",
     1.4, None),
    ("bp3mi-jabar", "BP3MI Jawa Barat", "BP3MI West Java", "Jawa Barat", 0.9, None),
    ("bp3mi-kalbar", "BP3MI Kalimantan Barat", "BP3MI West Kalimantan", "Kalimantan Barat",
     1.8, "web_form"),
    ("bp3mi-bali", "BP3MI Bali", "BP3MI Bali", "Bali", 1.1, None),
    ("bp3mi-sulsel", "BP3MI Sulawesi Selatan", "BP3MI South Sulawesi", "Sulawesi Selatan",
     1.5, None),
    ("bp3mi-lampung", "BP3MI Lampung", "BP3MI Lampung", "Lampung", 1.3, None),
)  # fmt: skip
_FLOODED = "bp3mi-jateng"  # Semarang floods in February
_WEIGHTS = (0.2, 0.12, 0.05, 0.12, 0.1, 0.15, 0.06, 0.08, 0.07, 0.05)
_CHANNELS = (("whatsapp", 38), ("call_center", 22), ("web_form", 12), ("email", 10),
             ("walk_in", 8), ("lapor", 5), ("embassy", 3), ("social_media", 2))  # fmt: skip
_CATEGORIES = (("unpaid_wages", 22), ("repatriation_request", 14), ("job_not_as_contracted", 12),
               ("failed_departure", 9), ("job_fraud", 8), ("lost_contact", 7), ("illness", 6),
               ("abuse", 5), ("social_security_claim", 5), ("detained", 3), ("trafficking", 3),
               ("death_abroad", 2), ("other", 4))  # fmt: skip
_ABROAD = ("Asia/Hong_Kong", "Asia/Taipei", "Asia/Kuala_Lumpur", "Asia/Singapore", "Asia/Riyadh")
_CLOSE_REASONS = ("unreachable", "no_clarity", "withdrawn", "cannot_be_resolved")
_OUTREACH = (("safe_migration", 45), ("desa_migran_emas", 30), ("anti_trafficking", 15),
             ("job_fair", 10))  # fmt: skip
_HOUR = _dt.timedelta(hours=1)


@attrs.frozen
class DemoData:
    """What :func:`demo_cases` generates.

    Attributes:
        cases: The cases, complaints and outreach activities, in order of opening.
        offices: The offices (a registry the workflows are bound to).
        workflows: The workflows the cases run on (complaint with SLA, outreach).
        period_start: The first day of the simulated year.
        period_end: The last day of the simulated year.
        at: The instant the simulation stopped (the year's end, WIB); take figures here.
    """

    cases: tuple[Case, ...]
    offices: Offices
    workflows: tuple[Workflow, ...] = attrs.field(eq=False)
    period_start: _dt.date = attrs.field()
    period_end: _dt.date = attrs.field()
    at: _dt.datetime = attrs.field()

    @property
    def calendars(self) -> Mapping[str, WorkingCalendar]:
        """Office id -> working calendar."""
        return MappingProxyType({o.id: o.calendar for o in self.offices})


def _pick(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


#: One step of a complaint: (trigger, mean delay, keywords); see ``_Simulation._steps``.
_Step = tuple[str, float, dict[str, Any]]


class _Office:
    """Simulation state of one office (lives only during one call)."""

    def __init__(self, row: tuple[str, str, str, str, float, str | None], cal: WorkingCalendar):
        self.id, self.name_id, self.name_en, self.province, self.slowness, self.clogged = row
        self.calendar = cal
        short = self.id.removeprefix("bp3mi-")
        self.officers = tuple(
            Actor(f"officer-{short}-{n}", roles={"officer"}, office=self.id) for n in range(1, 6)
        )
        self.head = Actor(f"head-{short}", roles={"head_of_office"}, office=self.id)


_CALL_CENTRE = Actor("callcenter-01", roles={"call_centre"})
_INTAKE = Actor("intake-01", roles={"call_centre"})


class _Simulation:
    def __init__(
        self, rng: random.Random, offices: list[_Office], registry: Offices, until: _dt.datetime
    ) -> None:
        self.rng, self.offices, self.until = rng, offices, until
        # bound to the offices: every case's calendar comes from its office
        self.complaint = complaint_workflow().bind(registry)
        self.outreach = outreach_workflow().bind(registry)

    # -------------------------------------------------------------- host-side helpers

    def _catch_up(self, case: Case, until: _dt.datetime) -> Case:
        # the host's scheduler has been running: advance at every due instant up to ``until``
        while (due := self.complaint.next_due_at(case)) is not None and due <= until:
            case = self.complaint.advance(case, at=due)
        return case

    def _later(self, office: _Office, start: _dt.datetime, mean_hours: float) -> _dt.datetime:
        """An officer acts after some working time (exponential), in working hours."""
        hours = self.rng.expovariate(1 / max(mean_hours, 0.05))
        due = office.calendar.add_working_time(start, _dt.timedelta(hours=hours))
        return _dt.datetime.fromtimestamp(due.timestamp(), _dt.timezone.utc)

    def _days_later(self, start: _dt.datetime, mean_days: float) -> _dt.datetime:
        """The complainant acts after some calendar time."""
        return start + _dt.timedelta(hours=self.rng.expovariate(1 / mean_days) * 24 + 1)

    def _steps(self, priority: str, slow: float) -> list[_Step]:
        """What officers and the complainant will do: (trigger, mean delay, keywords).

        A positive delay is a mean in the office's working hours; a negative one, minus a
        mean in calendar days (the complainant's side).
        """
        steps: list[_Step] = [
            ("start_verification", 2.0 if priority == "urgent" else 5.0 * slow, {})
        ]
        roll = self.rng.random()
        if roll < 0.03:
            steps.append(("close", 3.0 * slow, {"data": {"reason": "withdrawn"}}))
        else:
            steps += self._handling(roll, slow)
        return steps

    def _handling(self, roll: float, slow: float) -> list[_Step]:
        """The steps of a complaint that is not withdrawn at once, to its resolution."""
        rng = self.rng
        steps: list[_Step] = []
        if roll < 0.2:
            steps.append(("request_documents", 4.0 * slow, {}))
            steps.append(("documents_received", -6.0, {}))
        steps.append(("verify", 10.0 * slow, {}))
        if len(self.offices) > 1 and rng.random() < 0.05:
            # handed to the office of the worker's home province
            steps.append(("transfer", 6.0 * slow, {}))
        steps += self._clarification(slow)
        steps += self._mediation(slow)
        steps.append(("resolve", 40.0 * slow, {"note": "settled"}))
        return steps

    def _clarification(self, slow: float) -> list[_Step]:
        """A request for clarification (some complainants then give up), or none."""
        rng = self.rng
        if rng.random() >= 0.18:
            return []
        if rng.random() < 0.25:
            reason = rng.choice(_CLOSE_REASONS)
            return [
                ("request_clarification", 20.0 * slow, {}),
                ("close", -25.0, {"data": {"reason": reason}}),
            ]
        return [("request_clarification", 20.0 * slow, {}), ("complainant_replied", -5.0, {})]

    def _mediation(self, slow: float) -> list[_Step]:
        """Clarification meetings and mediation, a referral, or neither."""
        rng = self.rng
        if rng.random() < 0.3:
            steps: list[_Step] = [("invite_clarification", 16.0 * slow, {})]
            if rng.random() < 0.3:
                steps.append(("second_clarification", 24.0 * slow, {}))
            steps.append(("mediate", 24.0 * slow, {}))
            return steps
        if rng.random() < 0.08:
            return [("refer", 24.0 * slow, {})]
        return []

    # -------------------------------------------------------------- one complaint

    def complaint_case(self, number: int, office: _Office, received: _dt.datetime) -> Case:
        case = self._open_complaint(number, office, received)
        slow = office.slowness * (4.0 if case.channel == office.clogged else 1.0)
        officer = self.rng.choice(office.officers)
        t = received
        for trigger, mean, kw in self._steps(case.priority, slow):
            if case.state == "closed":
                break
            t = self._next_time(t, mean, office, case)
            if t > self.until:
                break  # still in the pipeline when the year ends
            case = self._catch_up(case, t)
            case, office, officer = self._complaint_step(case, trigger, kw, t, (office, officer))
        return self._catch_up(case, self.until)

    def _open_complaint(self, number: int, office: _Office, received: _dt.datetime) -> Case:
        """A complaint as it arrives: its channel, category and priority drawn."""
        rng = self.rng
        channel = _pick(rng, _CHANNELS)
        category = _pick(rng, _CATEGORIES)
        return self.complaint.open(
            f"PGD-{received.year}-{number:06d}",
            at=received,
            by=_CALL_CENTRE if channel == "call_center" else _INTAKE,
            office=office.id,
            category=category,
            channel=channel,
            priority=self._priority(category),
            attributes={"destination": rng.choice(("HK", "TW", "MY", "SG", "SA"))},
        )

    def _priority(self, category: str) -> str:
        """Urgent for the gravest categories; a few others are high."""
        if category in {"trafficking", "abuse", "detained"}:
            return "urgent"
        return "high" if self.rng.random() < 0.1 else "normal"

    def _complaint_step(
        self,
        case: Case,
        trigger: str,
        kw: dict[str, Any],
        t: _dt.datetime,
        handler: tuple[_Office, Actor],
    ) -> tuple[Case, _Office, Actor]:
        """One step at ``t``: the case, and the office and officer handling it after it."""
        office, officer = handler
        if trigger == "transfer":
            return self._transfer(case, office, t)
        # the officer acts, the head where the definition reserves it (who may act)
        by = officer if self.complaint.may(case, trigger, by=officer) else office.head
        return self.complaint.fire(case, trigger, at=t, by=by, **kw), office, officer

    def _next_time(self, t: _dt.datetime, mean: float, office: _Office, case: Case) -> _dt.datetime:
        """When the next step happens (see :meth:`_steps` for the sign of ``mean``)."""
        if mean < 0:  # the complainant's side, in calendar days
            return self._days_later(t, -mean)
        return self._later(office, max(t, case.events[-1].at), mean)

    def _transfer(
        self, case: Case, office: _Office, t: _dt.datetime
    ) -> tuple[Case, _Office, Actor]:
        """Hand the case to another office: the case, that office and its officer."""
        rng = self.rng
        to = rng.choice([o for o in self.offices if o is not office])
        case = self.complaint.transfer(case, to=to.id, at=t, by=office.head, note="home province")
        return case, to, rng.choice(to.officers)

    # -------------------------------------------------------------- one outreach activity

    def outreach_case(self, number: int, office: _Office, planned: _dt.datetime) -> Case:
        rng, wf = self.rng, self.outreach
        category = _pick(rng, _OUTREACH)
        case = wf.open(
            f"SOS-{planned.year}-{number:05d}",
            at=planned,
            by=office.officers[0],
            office=office.id,
            category=category,
            channel="in_person",
            attributes=self._outreach_attributes(office, category),
        )
        t = planned
        steps = ("coordinate", "hold", "report", "evaluate")
        for trigger in steps:
            t = t + _dt.timedelta(days=rng.randrange(2, 15), hours=rng.randrange(0, 6))
            if t > self.until:
                break
            if trigger == "hold" and rng.random() < 0.08:
                # cancelling and evaluating are the head's (see docs/permissions.md)
                return wf.fire(case, "cancel", at=t, by=office.head, note="weather")
            case = self._outreach_step(case, trigger, t, office)
        return case

    def _outreach_attributes(self, office: _Office, category: str) -> dict[str, Any]:
        """Where an activity takes place: the province, and a Desa Migran Emas its village."""
        attributes: dict[str, Any] = {"province": office.province}
        if category == "desa_migran_emas":
            attributes["village"] = f"{office.province} village {self.rng.randrange(1, 13)}"
        return attributes

    def _outreach_step(self, case: Case, trigger: str, t: _dt.datetime, office: _Office) -> Case:
        """One step of an activity that goes ahead: a held one counts its participants."""
        data = {"participants": self.rng.randrange(25, 220)} if trigger == "hold" else None
        by = office.head if trigger == "evaluate" else office.officers[0]
        return self.outreach.fire(case, trigger, at=t, by=by, data=data)


def demo_offices(offices: int | Sequence[str] = 4, *, year: int = 2026) -> Offices:
    """The demo offices (invented), with their calendars (the flood closure included).

    Args:
        offices: How many of the ten demo offices (WIB, WITA and WIT are among the first
            three), or their ids.
        year: The simulated year (calendars cover it and its neighbours).

    Raises:
        InvalidArgumentError: an unknown office id or a count outside 1..10.
    """
    return Offices([_demo_office(row, year) for row in _demo_rows(offices)])


def _demo_rows(offices: int | Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows of the demo offices chosen: the first ``offices``, or those ids."""
    if isinstance(offices, int):
        return _first_rows(offices)
    return _rows_by_id(offices)


def _rows_by_id(offices: Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows of the demo offices ``offices`` (ids), in that order."""
    by_id = {row[0]: row for row in _OFFICE_TABLE}
    unknown = [o for o in offices if o not in by_id]
    if unknown or not offices:
        raise InvalidArgumentError(f"unknown demo office(s) {unknown}; allowed: {', '.join(by_id)}")
    return [by_id[o] for o in offices]


def _first_rows(count: int) -> list[tuple[Any, ...]]:
    """The rows of the first ``count`` demo offices."""
    if not 1 <= count <= len(_OFFICE_TABLE):
        raise InvalidArgumentError(
            f"offices must be between 1 and {len(_OFFICE_TABLE)}, got {count}"
        )
    return list(_OFFICE_TABLE[:count])


def _demo_office(row: tuple[Any, ...], year: int) -> Office:
    """One demo office, its calendar covering ``year`` and its neighbours (and the flood)."""
    cal = WorkingCalendar.for_province(row[3], first_year=year - 1, last_year=year + 1)
    if row[0] == _FLOODED:
        flood = [_dt.date(year, 2, 9) + _dt.timedelta(days=d) for d in range(3)]
        cal = cal.with_closures(flood, name="Banjir", name_en="Flood")
    short = row[0].removeprefix("bp3mi-").upper()
    return Office(row[0], row[1], row[2], row[3], cal, f"Kepala BP3MI {short}",
                  f"Head of BP3MI {short}")  # fmt: skip


def demo_cases(
    *,
    seed: int = 2026,
    offices: int | Sequence[str] = 4,
    year: int = 2026,
    complaints: int = 1200,
    outreach_per_office: int = 24,
) -> DemoData:
    """Generate a realistic, reproducible year of cases at several BP3MI offices.

    Complaints arrive at any hour from workers abroad (more in the weeks after Lebaran);
    officers act in working time only, at a speed that differs per office; one office's
    e-mail channel clogs; the Jawa Tengah office is closed three days by a flood in
    February. Outreach activities (sosialisasi, Desa Migran Emas villages, job fairs)
    run in every office's province.

    Args:
        seed: The random seed: the same arguments give equal cases.
        offices: How many demo offices (1-10), or their ids (see :func:`demo_offices`).
        year: The simulated year.
        complaints: How many complaints over the year, all offices together.
        outreach_per_office: Outreach activities per office over the year.

    Returns:
        The cases, offices and workflows; take figures at ``DemoData.at``.

    Raises:
        InvalidArgumentError: a negative count, or as :func:`demo_offices`.

    Examples:
        >>> data = demo_cases(seed=1, offices=3, complaints=30, outreach_per_office=2)
        >>> len(data.cases), sorted({o.calendar.tz for o in data.offices})
        (36, ['Asia/Jakarta', 'Asia/Jayapura', 'Asia/Makassar'])
        >>> data == demo_cases(seed=1, offices=3, complaints=30, outreach_per_office=2)
        True
    """
    _check_count("complaints", complaints)
    _check_count("outreach_per_office", outreach_per_office)
    chosen = demo_offices(offices, year=year)
    rng = random.Random(f"migrantcare-demo/{seed}/{year}")
    state = [_Office(_row(o.id), o.calendar) for o in chosen]
    wib = zone("Asia/Jakarta")
    start = _dt.datetime(year, 1, 1, tzinfo=wib)
    until = _dt.datetime(year + 1, 1, 1, tzinfo=wib).astimezone(_dt.timezone.utc)
    sim = _Simulation(rng, state, chosen, until)
    cases: list[tuple[_dt.datetime, Case]] = []
    arrivals = _arrivals(rng, chosen, state, complaints, (start, until))
    for number, (at, index) in enumerate(arrivals, start=1):
        received = at.astimezone(zone(rng.choice(_ABROAD)))
        cases.append((at, sim.complaint_case(number, state[index], received)))
    cases += _outreach(sim, outreach_per_office, start)
    cases.sort(key=lambda item: (item[0], item[1].id))
    return DemoData(
        cases=tuple(c for _, c in cases),
        offices=chosen,
        workflows=(sim.complaint, sim.outreach),
        period_start=_dt.date(year, 1, 1),
        period_end=_dt.date(year, 12, 31),
        at=until,
    )


def _check_count(what: str, value: object) -> None:
    """Refuse a count of cases that is not a non-negative int."""
    if not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"{what} must be a non-negative int, got {value!r}")


def _row(office_id: str) -> tuple[Any, ...]:
    """The demo table's row of the office ``office_id``."""
    return next(r for r in _OFFICE_TABLE if r[0] == office_id)


def _arrivals(
    rng: random.Random,
    chosen: Offices,
    state: list[_Office],
    complaints: int,
    period: tuple[_dt.datetime, _dt.datetime],
) -> list[tuple[_dt.datetime, int]]:
    """When each complaint arrives (in WIB) and at which office (its index), in order.

    ``period`` is the simulated year: its start in WIB, its end in UTC.
    """
    weights = [_WEIGHTS[_OFFICE_TABLE.index(_row(o.id))] for o in chosen]
    start, until = period
    seconds = int((until - start.astimezone(_dt.timezone.utc)).total_seconds())
    lebaran = _lebaran(state[0].calendar, start.year)
    arrivals: list[tuple[_dt.datetime, int]] = []
    for _ in range(complaints):
        at = _arrival_time(rng, start, seconds, lebaran)
        arrivals.append((at, rng.choices(range(len(state)), weights=weights)[0]))
    arrivals.sort(key=lambda item: item[0])
    return arrivals


def _lebaran(calendar: WorkingCalendar, year: int) -> list[_dt.date]:
    """The Idul Fitri holidays of ``year``."""
    return [
        h.date for h in calendar.holidays(year) if h.kind == "national"
        and "Idul Fitri" in h.name_id
    ]  # fmt: skip


def _arrival_time(
    rng: random.Random, start: _dt.datetime, seconds: int, lebaran: list[_dt.date]
) -> _dt.datetime:
    """When one complaint arrives, ``seconds`` at most after ``start`` (in WIB)."""
    at = start + _dt.timedelta(seconds=rng.randrange(seconds))
    # Intake is a little higher in the weeks after Lebaran (workers return, contracts end).
    if lebaran and rng.random() < 0.12:
        at = _dt.datetime.combine(lebaran[0], _dt.time(), start.tzinfo) + _dt.timedelta(
            seconds=rng.randrange(21 * 86_400)
        )
    return at


def _outreach(
    sim: _Simulation, per_office: int, start: _dt.datetime
) -> list[tuple[_dt.datetime, Case]]:
    """``per_office`` outreach activities of each office, planned over the year."""
    rng = sim.rng
    out = []
    number = 0
    for office in sim.offices:
        for _ in range(per_office):
            number += 1
            day = start + _dt.timedelta(days=rng.randrange(0, 350), hours=rng.randrange(8, 15))
            planned = day.astimezone(office.calendar.zone)
            out.append((planned, sim.outreach_case(number, office, planned)))
    return out
