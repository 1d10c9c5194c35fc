"""Office performance: SLA compliance and response times per office, as dashboard rows.

Run: ``python examples/office_report.py``

Simulates a month of complaints at three BP3MI offices (WIB, WITA, WIT) with officers
of varying speed, then computes the figures the ministry judges offices on.
"""

from __future__ import annotations

import csv
import io
import random

import pendulum

from migrantcare import (
    Actor,
    Case,
    Office,
    Offices,
    Workflow,
    WorkingCalendar,
    complaint_workflow,
    office_report,
)

OFFICES = {
    "bp3mi-jatim": ("Jawa Timur", 1.0),  # (province, how slow its officers are)
    "bp3mi-ntt": ("Nusa Tenggara Timur", 2.5),
    "bp3mi-papua": ("Papua", 4.0),
}
ZONES = ["Asia/Hong_Kong", "Asia/Taipei", "Asia/Kuala_Lumpur", "Asia/Riyadh", "Europe/Berlin"]


def directory() -> Offices:
    """Fictional offices built in code (a host may load them from TOML/JSON instead)."""
    base = WorkingCalendar.indonesia(first_year=2025, last_year=2027)
    return Offices(
        Office(
            office_id,
            f"{office_id.upper()} (fiktif)",
            f"{office_id.upper()} (fictional)",
            province,
            base.in_zone(WorkingCalendar.for_province(province).tz),
            f"Kepala {office_id.upper()}",
            f"Head of {office_id.upper()}",
        )
        for office_id, (province, _) in OFFICES.items()
    )


def simulate(rng: random.Random, workflow: Workflow) -> list[Case]:
    agent = Actor("callcenter", roles={"call_centre"})
    cases = []
    for n in range(240):
        office = rng.choice(list(OFFICES))
        slowness = OFFICES[office][1]
        officers = [Actor(f"officer-{k}", roles={"officer"}, office=office) for k in range(5)]
        received = pendulum.datetime(2026, 4, 1, tz=rng.choice(ZONES)).add(
            minutes=rng.randrange(30 * 24 * 60)
        )
        case = workflow.open(
            f"PGD-2026-{n:06d}",
            at=received,
            by=agent,
            office=office,
            category=rng.choice(["unpaid_wages", "repatriation_request", "job_fraud", "illness"]),
            channel=rng.choice(["whatsapp", "call_center", "web_form"]),
            priority=rng.choice(["normal"] * 9 + ["urgent"]),
        )
        t = received
        for trigger in ("start_verification", "verify", "resolve"):
            t = t.add(hours=int(rng.expovariate(1 / (20 * slowness))) + 1)
            if t > pendulum.datetime(2026, 5, 10, tz="Asia/Jakarta"):
                break  # still in the pipeline at reporting time
            case = workflow.fire(case, trigger, at=t, by=rng.choice(officers))
        cases.append(case)
    return cases


def main() -> None:
    workflow = complaint_workflow().bind(directory())
    cases = simulate(random.Random(7), workflow)
    now = pendulum.datetime(2026, 5, 10, 12, tz="Asia/Jakarta")
    rows = office_report(
        cases,
        at=now,
        workflows=workflow,  # bound: each office's calendar comes from the directory
        period_start=pendulum.date(2026, 4, 1),
        period_end=pendulum.date(2026, 4, 30),
    )
    header = ("office", "opened", "open", "1st resp (h)", "verified in time", "resolved in time")
    print("{:<12} {:>6} {:>5} {:>12} {:>17} {:>17}".format(*header))
    for r in rows:
        goals = {g.goal: g.compliance for g in r.goals}
        hours = r.median_first_response.total_seconds() / 3600 if r.median_first_response else 0.0
        verified, resolved = (
            "-" if goals.get(goal) is None else f"{goals[goal]:5.1f} %"
            for goal in ("verification", "resolution")
        )
        print(
            f"{r.office:<12} {r.opened:>6} {r.still_open:>5} {hours:>12.1f} "
            f"{verified:>17} {resolved:>17}"
        )

    # the same rows as CSV, ready for a dashboard
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].as_row()))
    writer.writeheader()
    writer.writerows(r.as_row() for r in rows)
    columns = list(rows[0].as_row())
    lines = len(buffer.getvalue().splitlines())
    print(f"\nCSV: {lines} lines, columns: {', '.join(columns[:8])}, ...")


if __name__ == "__main__":
    main()
