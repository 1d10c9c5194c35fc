"""The office performance report over 100,000 cases, 12 months, 10 offices.

Run: ``python benchmarks/bench_report.py`` (``--genuine`` to generate every case
through the workflows; slower, about a millisecond per case)

Budget: figures and HTML together under 5 s for 100,000 cases.

The cases come from the demo generator: 10,000 complaints at the ten demo offices
over 2026, made by the workflows (open, fire, advance at every ``next_due_at``), then,
by default, repeated ten times under new case ids (the copies keep their events, so the
figures do the same work per case; they would not pass ``verify`` under the new id).

Anchor, measured in the same run: a plain pass over the same cases that only reads
each event's ``kind`` and ``at`` — the least any one-pass report over the audit trail
pays, before computing anything.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import attrs
from _util import table

from migrantcare import demo_cases, figures_to_csv, performance_figures, render_report_html

N = 100_000
BUDGET_S = 5.0


def best_of(fn, repeats: int = 3) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


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
        data = demo_cases(seed=1, offices=10, complaints=N, outreach_per_office=24)
        cases = list(data.cases)
    else:
        data = demo_cases(seed=1, offices=10, complaints=N // 10, outreach_per_office=24)
        cases = [
            attrs.evolve(c, id=f"{c.id}-{k}") if k else c for k in range(10) for c in data.cases
        ]
    made = time.perf_counter() - t0
    events = sum(len(c.events) for c in cases)
    print(
        f"{len(cases):,} cases ({events:,} events, {'generated' if genuine else '10x repeated'}) "
        f"at 10 offices over 12 months, made in {made:.1f} s\n"
    )

    def figures():  # type: ignore[no-untyped-def]
        return performance_figures(
            cases,
            workflows=data.workflows,
            offices=data.offices,
            period_start=data.period_start,
            period_end=data.period_end,
            at=data.at,
        )

    anchor, _ = best_of(lambda: plain_pass(cases))
    t_fig, figs = best_of(figures)
    t_html, page = best_of(lambda: render_report_html(figs, lang="id"))  # type: ignore[arg-type]
    t_csv, _ = best_of(lambda: figures_to_csv(figs))  # type: ignore[arg-type]
    rows = [
        ["anchor: plain pass reading every event", f"{anchor:.2f}", "1.0x"],
        ["performance_figures (one pass)", f"{t_fig:.2f}", f"{t_fig / anchor:.1f}x"],
        ["render_report_html (id)", f"{t_html:.2f}", f"{t_html / anchor:.1f}x"],
        ["figures_to_csv", f"{t_csv:.2f}", f"{t_csv / anchor:.1f}x"],
        ["report = figures + HTML", f"{t_fig + t_html:.2f}", f"{(t_fig + t_html) / anchor:.1f}x"],
    ]
    print(table(f"office performance report, {len(cases):,} cases (best of 3)",
                ["step", "seconds", "vs anchor"], rows))  # fmt: skip
    size = len(page.encode()) / 1e6  # type: ignore[attr-defined]
    total = t_fig + t_html
    verdict = "within" if total < BUDGET_S else "OVER"
    print(
        f"\nHTML {size:.2f} MB; {total:.2f} s for the report: {verdict} the {BUDGET_S:.0f} s budget"
    )


if __name__ == "__main__":
    main()
