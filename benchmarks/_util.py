"""Timing helpers shared by the benchmark scripts (not part of the library)."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

import businesstimedelta as btd


def per_call_us(fn: Callable[[], object], *, budget_s: float = 0.2, repeats: int = 7) -> float:
    """Median over ``repeats`` runs of the mean time per call, in microseconds."""
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
