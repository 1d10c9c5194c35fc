"""Run every benchmark and print every table.

Run: ``python benchmarks/run_all.py [--quick]`` (needs the ``sql`` and ``bench`` extras
and the PostgreSQL server binaries). ``--quick`` (or ``MIGRANTCARE_BENCH_QUICK=1``) runs
the short version of each, all together in a few minutes; figures are noisier, but
every anchor is still measured in the same run on the same histories.

Each script runs in its own process, one after the other (never two at once: they would
measure each other). The machine's load average is printed before each one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
SCRIPTS = (
    "bench_workflow.py",
    "bench_sla.py",
    "bench_notices.py",
    "bench_messages.py",
    "bench_store.py",
    "bench_sweep.py",
    "bench_report.py",
    "bench_calendar.py",
    "bench_permissions.py",
)


def main() -> int:
    args = [a for a in sys.argv[1:] if a == "--quick"]
    failed = []
    started = time.perf_counter()
    for script in SCRIPTS:
        one, five, fifteen = os.getloadavg()
        print(f"\n=== {script} {' '.join(args)} (load average {one:.2f} {five:.2f} {fifteen:.2f})")
        sys.stdout.flush()
        t0 = time.perf_counter()
        # progress lines go to stderr; the tables to stdout
        code = subprocess.call([sys.executable, str(HERE / script), *args])
        print(f"=== {script}: {time.perf_counter() - t0:.0f} s, exit {code}")
        sys.stdout.flush()
        if code:
            failed.append(script)
    print(f"\nall benchmarks: {time.perf_counter() - started:.0f} s; failed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
