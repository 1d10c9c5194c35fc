"""Timing helpers shared by the benchmark scripts (not part of the library)."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import businesstimedelta as btd


def per_call_us(fn: Callable[[], object], *, budget_s: float = 0.2, repeats: int = 7) -> float:
    """Median over ``repeats`` runs of the mean time per call, in microseconds."""
    if quick():  # shorter batches, fewer of them
        budget_s, repeats = budget_s / 4, min(repeats, 3)
    n = 1
    while True:  # grow the batch until one run takes ~budget/repeats
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed > budget_s / repeats or n > 1_000_000:
            break
        n *= 2
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t0) / n)
    return statistics.median(runs) * 1e6


#: How the load-robust helpers measure, for the scripts' output.
CPU_NOTE = (
    "CPU time of this process (time.process_time), best of several batches: other "
    "processes on a shared machine cannot inflate it much"
)


def cpu_us(fn: Callable[[], object], *, budget_s: float = 0.2, batches: int = 7) -> float:
    """Best over ``batches`` batches of the mean CPU time per call, in microseconds.

    CPU time of this process, not wall time: on a loaded machine the wall clock counts
    the time other processes run, the process clock (mostly) does not; the best batch
    is the one least disturbed by cache and scheduler noise.
    """
    n = 1
    while True:  # grow the batch until one run takes ~budget/batches
        t0 = time.process_time()
        for _ in range(n):
            fn()
        elapsed = time.process_time() - t0
        if elapsed > budget_s / batches or n > 1_000_000:
            break
        n *= 2
    best = float("inf")
    for _ in range(batches):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - t0) / n)
    return best * 1e6


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """Format a plain-text table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += ["  ".join(str(c).rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def office_hours_rules(closed: Iterable[dt.date]) -> Any:
    """The standard office hours as ``businesstimedelta`` rules, the anchor of the calendar.

    Monday to Thursday 07:30-16:00 with lunch 12:00-13:00, Friday 07:30-16:30 with lunch
    11:30-13:00 (as ``WorkingCalendar`` keeps them), closed on the ``closed`` dates.
    """
    return btd.Rules(
        [
            btd.WorkDayRule(dt.time(7, 30), dt.time(16, 0), working_days=[0, 1, 2, 3]),
            btd.WorkDayRule(dt.time(7, 30), dt.time(16, 30), working_days=[4]),
            btd.LunchTimeRule(dt.time(12, 0), dt.time(13, 0), working_days=[0, 1, 2, 3]),
            btd.LunchTimeRule(dt.time(11, 30), dt.time(13, 0), working_days=[4]),
            btd.HolidayRule(list(closed)),
        ]
    )


def quick() -> bool:
    """Whether to run the short version (``--quick`` or ``MIGRANTCARE_BENCH_QUICK=1``).

    The short version measures fewer cases and repeats so that every benchmark together
    runs in a few minutes; the figures are noisier, the anchors are still measured in the
    same run on the same histories.
    """
    return "--quick" in sys.argv or os.environ.get("MIGRANTCARE_BENCH_QUICK") == "1"


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes) and its core count, for the output."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call of ``fn``."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def timed_ms(calls: Iterable[Any], fn: Callable[[Any], object]) -> list[float]:
    """Wall milliseconds of ``fn(arg)`` for each argument, one call at a time."""
    out = []
    for arg in calls:
        t0 = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def latency_row(name: str, ms: list[float]) -> list[str]:
    """A table row: the name, then median, p99 (nearest rank) and mean milliseconds."""
    ms = sorted(ms)
    return [
        name,
        f"{statistics.median(ms):.3f}",
        f"{ms[int(len(ms) * 0.99) - 1]:.3f}",
        f"{statistics.mean(ms):.3f}",
    ]


def workload_cases(n_full: int, n_quick: int, seed: int = 2026) -> Any:
    """The realistic workload (``benchmarks/workload.py``) at the run's size, its mix printed."""
    from workload import describe, realistic_cases  # noqa: PLC0415 - beside this file

    work = realistic_cases(n_quick if quick() else n_full, seed)
    print(describe(work))
    return work
