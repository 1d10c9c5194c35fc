"""The office performance report over 100,000 cases of the realistic workload.

Run: ``python benchmarks/bench_report.py [--quick] [--genuine]`` (``--genuine`` generates
every case through the workflows; slower, about a millisecond per case; ``--quick``
reports on 10,000 cases)

Budget: figures and HTML together under 5 s for 100,000 cases.

The cases come from the realistic workload (``benchmarks/workload.py``): 10,000
complaints, repatriation requests and outreach activities at eight offices in WIB,
WITA and WIT over 2026, made by the workflows (open, fire, transfer, advance at every
``next_due_at``), then, by default, repeated ten times under new case ids (the copies
keep their events, so the figures do the same work per case; they would not pass
``verify`` under the new id).

``office_report`` (the dashboard rows, a view over the same pass) is timed beside it.

Anchor, measured in the same run: a plain pass over the same cases that only reads
each event's ``kind`` and ``at`` — the least any one-pass report over the audit trail
pays, before computing anything.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import attrs
from _util import load_average, quick, table, timed, workload_cases

from migrantcare import figures_to_csv, office_report, performance_figures, render_report_html

N = 10_000 if quick() else 100_000
BUDGET_S = 5.0


def best_of(fn, repeats: int = 3) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """(best wall seconds, best CPU seconds, the result) over ``repeats`` calls."""
    wall, cpu, result = float("inf"), float("inf"), None
    out: list[object] = []
    for _ in range(repeats):
        w, c = timed(lambda: out.append(fn()))
        wall, cpu, result = min(wall, w), min(cpu, c), out[-1]
    return wall, cpu, result


def plain_pass(cases) -> int:  # type: ignore[no-untyped-def]
    n = 0
    for case in cases:
        for event in case.events:
            if event.kind == "transition" and event.at is not None:
                n += 1
    return n


def main() -> None:
    genuine = "--genuine" in sys.argv
    t0 = time.perf_counter()
    if genuine:
        work = workload_cases(N, N)
        cases = list(work.cases)
    else:
        work = workload_cases(N // 10, N // 10)
        cases = [
            attrs.evolve(c, id=f"{c.id}-{k}") if k else c for k in range(10) for c in work.cases
        ]
    made = time.perf_counter() - t0
    events = sum(len(c.events) for c in cases)
    print(
        f"{len(cases):,} cases ({events:,} events, {'generated' if genuine else '10x repeated'}) "
        f"at {len(work.offices)} offices over 10 months, made in {made:.1f} s\n"
    )

    def figures():  # type: ignore[no-untyped-def]
        return performance_figures(
            cases,
            workflows=work.workflows,
            offices=work.offices,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 10, 31),
            at=work.at,
        )

    calendars = {o.id: o.calendar for o in work.offices}

    def dashboard_rows():  # type: ignore[no-untyped-def]
        return office_report(
            cases,
            at=work.at,
            workflows=work.workflows,
            calendars=calendars,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 10, 31),
        )

    anchor, anchor_cpu, _ = best_of(lambda: plain_pass(cases))
    t_fig, c_fig, figs = best_of(figures)
    t_rows, c_rows, _ = best_of(dashboard_rows)
    t_html, c_html, page = best_of(lambda: render_report_html(figs, lang="id"))  # type: ignore[arg-type]
    t_csv, c_csv, _ = best_of(lambda: figures_to_csv(figs))  # type: ignore[arg-type]
    rows = [
        ["anchor: plain pass reading every event", f"{anchor:.2f}", f"{anchor_cpu:.2f}", "1.0x"],
        [
            "performance_figures (one pass)",
            f"{t_fig:.2f}",
            f"{c_fig:.2f}",
            f"{c_fig / anchor_cpu:.1f}x",
        ],
        [
            "office_report (a view over the same pass)",
            f"{t_rows:.2f}",
            f"{c_rows:.2f}",
            f"{c_rows / anchor_cpu:.1f}x",
        ],
        [
            "render_report_html (id)",
            f"{t_html:.2f}",
            f"{c_html:.2f}",
            f"{c_html / anchor_cpu:.1f}x",
        ],
        ["figures_to_csv", f"{t_csv:.2f}", f"{c_csv:.2f}", f"{c_csv / anchor_cpu:.1f}x"],
        [
            "report = figures + HTML",
            f"{t_fig + t_html:.2f}",
            f"{c_fig + c_html:.2f}",
            f"{(c_fig + c_html) / anchor_cpu:.1f}x",
        ],
    ]
    print(table(f"office performance report, {len(cases):,} cases (best of 3; {load_average()})",
                ["step", "wall s", "CPU s", "vs anchor (CPU)"], rows))  # fmt: skip
    size = len(page.encode()) / 1e6  # type: ignore[attr-defined]
    total = c_fig + c_html
    verdict = "within" if total < BUDGET_S * N / 100_000 else "OVER"
    print(
        f"\nHTML {size:.2f} MB; {total:.2f} s CPU for the report: {verdict} the budget "
        f"({BUDGET_S:.0f} s per 100,000 cases)"
    )


if __name__ == "__main__":
    main()
