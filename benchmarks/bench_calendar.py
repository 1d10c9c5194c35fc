"""Calendar arithmetic: migrantcare beside numpy, holidays and businesstimedelta.

Run: ``pip install -e ".[bench]" && python benchmarks/bench_calendar.py``

Every anchor uses the same holidays (national + cuti bersama) and, for working time, the
same civil-service schedule, and is measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import businesstimedelta as btd
import holidays
import numpy as np
import pendulum
from _util import office_hours_rules, per_call_us, table

from migrantcare import WorkingCalendar

cal = WorkingCalendar.indonesia()
closed = sorted({h.date for h in cal.holiday_list})
np_holidays = np.array(closed, dtype="datetime64[D]")
np_cal = np.busdaycalendar(weekmask="1111100", holidays=np_holidays)
hol = holidays.Indonesia(years=range(1990, 2041), categories=("public", "government"))
closed_set = frozenset(closed)


def naive_add(day: dt.date, n: int) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in closed_set:
            n -= 1
    return day


def naive_between(a: dt.date, b: dt.date) -> int:
    return sum(
        (a + dt.timedelta(days=k)).weekday() < 5 and (a + dt.timedelta(days=k)) not in closed_set
        for k in range((b - a).days)
    )


def working_days() -> None:
    start = dt.date(2026, 3, 17)
    np_start = np.datetime64(start)
    rows = []
    for distance in (1, 10, 100, 1000, 3650):
        n = max(1, round(distance * 5 / 7 * 0.95))  # ~distance calendar days of working days
        end = start + dt.timedelta(days=distance)
        np_end = np.datetime64(end)
        mc_add = per_call_us(lambda n=n: cal.add_working_days(start, n))
        mc_between = per_call_us(lambda end=end: cal.working_days_between(start, end))
        np_add = per_call_us(
            lambda n=n: np.busday_offset(np_start, n, roll="forward", busdaycal=np_cal)
        )
        np_between = per_call_us(
            lambda np_end=np_end: np.busday_count(np_start, np_end, busdaycal=np_cal)
        )
        hol_add = per_call_us(lambda n=n: hol.get_nth_working_day(start, n))
        loop_add = per_call_us(lambda n=n: naive_add(start, n))
        loop_between = per_call_us(lambda end=end: naive_between(start, end))
        rows.append(
            [
                f"{distance} d",
                f"{mc_add:.3f}",
                f"{np_add:.3f}",
                f"{hol_add:.2f}",
                f"{loop_add:.2f}",
                f"{mc_between:.3f}",
                f"{np_between:.3f}",
                f"{loop_between:.2f}",
                f"{np_add / mc_add:.1f}x",
                f"{loop_add / mc_add:.0f}x",
            ]
        )
    print(
        table(
            "Working days (median µs per call; budget for migrantcare: 0.5 µs)",
            [
                "distance",
                "mc add",
                "numpy offset",
                "holidays nth",
                "day loop",
                "mc between",
                "numpy count",
                "loop count",
                "numpy/mc",
                "loop/mc",
            ],
            rows,
        )
    )


def working_time() -> None:
    rules = office_hours_rules(closed)
    start = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
    start_local = dt.datetime(2026, 3, 19, 21, 15)  # businesstimedelta wants naive local time
    rows = []
    for hours in (1, 8, 37.5, 375, 1950):  # up to one year of working time (52 x 37.5 h)
        delta = dt.timedelta(hours=hours)
        mc = per_call_us(lambda delta=delta: cal.add_working_time(start, delta))
        bdelta = btd.BusinessTimeDelta(rules, hours=hours)
        bt = per_call_us(lambda bdelta=bdelta: start_local + bdelta, budget_s=0.5, repeats=3)
        a = cal.add_working_time(start, delta).naive()
        b = (start_local + bdelta).replace(tzinfo=None)  # it tags its result with UTC
        rows.append([f"{hours:g} h", f"{mc:.2f}", f"{bt:.1f}", f"{bt / mc:.0f}x", str(a == b)])
    print(
        table(
            "Working time (median µs per call; budget for migrantcare: 10 µs)",
            ["delta", "migrantcare", "businesstimedelta", "ratio", "same result"],
            rows,
        )
    )


def cold_start() -> None:
    code_import = (
        "import time; t=time.perf_counter(); import migrantcare; "
        "print((time.perf_counter()-t)*1000)"
    )
    # the dependencies migrantcare imports at import time (holidays is loaded lazily)
    code_deps = (
        "import time; t=time.perf_counter(); import attrs, pendulum, transitions, "
        "babel.dates, babel.numbers, babel.lists, babel.messages.pofile; "
        "print((time.perf_counter()-t)*1000)"
    )
    code_build = (
        "import time; import migrantcare; "
        "t=time.perf_counter(); c=migrantcare.WorkingCalendar.indonesia(); "
        "print((time.perf_counter()-t)*1000)"
    )
    # Memory of the calendar itself: the holidays package is imported (and warmed) first,
    # so its module code (~12 MB, paid once per process) is not counted.
    code_memory = (
        "import gc, tracemalloc, holidays, migrantcare; holidays.Indonesia(years=2020); "
        "gc.collect(); tracemalloc.start(); c=migrantcare.WorkingCalendar.indonesia(); "
        "gc.collect(); cur,peak=tracemalloc.get_traced_memory(); print(cur/2**20, peak/2**20)"
    )
    code_holidays = (
        "import time; t=time.perf_counter(); import holidays; "
        "holidays.Indonesia(years=range(1990,2041), categories=('public','government')); "
        "print((time.perf_counter()-t)*1000)"
    )

    def run(code: str) -> list[float]:
        samples = []
        for _ in range(5):
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            samples.append([float(x) for x in out.stdout.split()])
        samples.sort()
        return samples[len(samples) // 2]

    imp, deps = run(code_import)[0], run(code_deps)[0]
    build_ms = run(code_build)[0]
    retained, peak = run(code_memory)
    hol_ms = run(code_holidays)[0]
    print(
        table(
            "Cold start (fresh process, median of 5)",
            ["what", "migrantcare", "anchor", "budget"],
            [
                [
                    "import migrantcare",
                    f"{imp:.0f} ms",
                    f"its dependencies {deps:.0f} ms",
                    "250 ms",
                ],
                [
                    "build indonesia() 1990-2040",
                    f"{build_ms:.0f} ms",
                    f"holidays alone {hol_ms:.0f} ms",
                    "100 ms",
                ],
                ["calendar memory retained / peak", f"{retained:.1f} / {peak:.1f} MB", "", "5 MB"],
            ],
        )
    )


if __name__ == "__main__":
    working_days()
    print()
    working_time()
    print()
    cold_start()
