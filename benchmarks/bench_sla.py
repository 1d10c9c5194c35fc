"""SLA clocks: status of one case, and a scheduler sweep over many cases.

Run: ``python benchmarks/bench_sla.py``

* ``status`` of one complaint with three running policies (budget: 20 µs), beside the
  same three deadlines computed by hand with ``businesstimedelta`` (the anchor).
* ``next_due_at`` over 10k / 100k / 1M cases (budget: 1M under 10 s, linear), beside
  a plain ``min()`` over the same cached instants (the floor any implementation pays).

The first table runs on the realistic workload (``benchmarks/workload.py``): ``status``
of every case at the simulation's end and at a mid-year instant, ``next_due_at`` of
every case, and ``advance`` of every case that a sweep meets (its history so far, at the
instant its next mark is due). Anchor, in the same run on the same cases: a plain pass
reading each clock's cached deadline (the floor of any status). ``--quick``: fewer cases.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import businesstimedelta as btd
import pendulum
from _util import (
    CPU_NOTE,
    cpu_us,
    load_average,
    office_hours_rules,
    quick,
    table,
    timed,
    workload_cases,
)

from migrantcare import Actor, Office, Offices, WorkingCalendar, complaint_workflow

CAL = WorkingCalendar.for_province("Nusa Tenggara Timur")
OFFICES = Offices(
    [Office("bp3mi-ntt", "BP3MI NTT", "BP3MI NTT", "Nusa Tenggara Timur", CAL, "Kepala", "Head")]
)
# bound to the offices, as a host runs it: the calendar comes from case.office
WF = complaint_workflow().bind(OFFICES)
CC = Actor("cc", roles={"call_centre"})
T0 = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")


def one_case():  # type: ignore[no-untyped-def]
    # first_response, verification, documents: three running clocks
    return WF.open(
        "PGD-1",
        at=T0,
        by=CC,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
    )


def status_bench() -> None:
    case = one_case()
    now = pendulum.datetime(2026, 3, 26, 10, tz="Asia/Makassar")
    assert len(WF.status(case, at=now)) == 3
    mc = cpu_us(lambda: WF.status(case, at=now))
    closed = sorted({h.date for h in CAL.holiday_list})
    rules = office_hours_rules(closed)
    start = dt.datetime(2026, 3, 19, 22, 15)
    local_now = dt.datetime(2026, 3, 26, 10)
    eight = btd.BusinessTimeDelta(rules, hours=8)
    verification = btd.BusinessTimeDelta(rules, hours=22.5)

    def anchor() -> object:
        # the same three deadlines plus elapsed working time, by hand
        due1 = start + eight
        due2 = start + verification
        due3 = start + dt.timedelta(days=30)
        used = rules.difference(start, local_now)
        return due1, due2, due3, used

    anchor_us = cpu_us(anchor, budget_s=0.5, batches=5)
    print(
        table(
            "status() of one case with 3 running policies (µs per call; budget 20 µs)\n"
            f"({CPU_NOTE})",
            ["what", "µs", "ratio"],
            [
                ["migrantcare WF.status(case, at=now) (bound)", f"{mc:.1f}", "1.0x"],
                [
                    "businesstimedelta, same 3 deadlines + elapsed",
                    f"{anchor_us:.1f}",
                    f"{anchor_us / mc:.1f}x",
                ],
            ],
        )
    )


def sweep_bench() -> None:
    base = one_case()
    rows = []
    cases = []
    for n in (10_000, 100_000) if quick() else (10_000, 100_000, 1_000_000):
        # distinct case values with distinct deadlines (shifted opening times)
        while len(cases) < n:
            k = len(cases)
            cases.append(
                WF.open(
                    f"PGD-{k}",
                    at=T0.add(minutes=k % 20_000),
                    by=CC,
                    office="bp3mi-ntt",
                    category="unpaid_wages",
                    channel="whatsapp",
                )
                if k < 20_000
                else cases[k % 20_000]
            )
        subset = cases[:n]
        t0 = time.process_time()
        earliest = min((d for c in subset if (d := WF.next_due_at(c)) is not None), default=None)
        mc = time.process_time() - t0
        t0 = time.process_time()
        floor = min((w for c in subset for k in c.clocks for w in k.warn_times[:1]), default=None)
        anchor = time.process_time() - t0
        assert earliest is not None
        assert floor is not None
        rows.append(
            [
                f"{n:,}",
                f"{mc:.3f} s",
                f"{mc / n * 1e6:.2f} µs",
                f"{anchor:.3f} s",
                f"{mc / anchor:.1f}x",
            ]
        )
    del base
    print(
        table(
            "WF.next_due_at() sweep (budget: 1,000,000 cases under 10 s, linear; CPU time)",
            ["cases", "migrantcare", "per case", "plain min() floor", "ratio"],
            rows,
        )
    )


def workload_bench() -> None:
    work = workload_cases(2_000, 500)
    cases = work.cases
    mid = dt.datetime(2026, 6, 15, 3, 0, tzinfo=dt.timezone.utc)
    bound = [(work.workflow_of(c), c) for c in cases]
    due = [(work.workflow_of(c), c, at) for c, at in work.due]

    def status_all(at: dt.datetime) -> None:
        for wf, case in bound:
            if case.events[0].at <= at:
                wf.status(case, at=at)

    def next_all() -> None:
        for wf, case in bound:
            wf.next_due_at(case)

    def advance_all() -> None:
        for wf, case, at in due:
            wf.advance(case, at=at)

    def floor() -> None:
        for _, case in bound:
            for clock in case.clocks:
                _ = clock.due_at

    n, n_due = len(cases), len(due)
    rows = []
    anchor = cpu_us(floor, budget_s=0.3, batches=3)
    for label, fn, count in (
        ("status(case, at=end of simulation), every case", lambda: status_all(work.at), n),
        ("status(case, at=mid-June), every case opened by then", lambda: status_all(mid), n),
        ("next_due_at(case), every case", next_all, n),
        ("advance(case, at=due) of a case a sweep meets", advance_all, n_due),
    ):
        wall, _ = timed(fn)
        best = cpu_us(fn, budget_s=0.5 if quick() else 2.0, batches=3)
        rows.append([label, f"{count:,}", f"{best / count:.1f}", f"{wall / count * 1e6:.1f}",
                     f"{best / anchor:.1f}x"])  # fmt: skip
    rows.append(["anchor: read every clock's cached deadline", f"{n:,}", f"{anchor / n:.2f}",
                 "", "1.0x"])  # fmt: skip
    print(
        table(
            f"SLA on the realistic workload, per case ({CPU_NOTE}; wall: one pass; "
            f"{load_average()})",
            ["what", "cases", "CPU µs/case", "wall µs/case", "x anchor"],
            rows,
        )
    )


if __name__ == "__main__":
    workload_bench()
    print()
    status_bench()
    print()
    sweep_bench()
