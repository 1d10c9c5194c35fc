"""What the worker's metrics cost a sweep: the same sweeps with and without them.

Run: ``python benchmarks/bench_worker_metrics.py [--quick]`` (needs the ``sql`` and
``bench`` extras).

Set-up (not timed): a SQLite store with 400 complaints (``--quick``: 200), all due, and
their outbox; copied afresh for every run. Timed, in one process, alternating (ABBA): the
worker loop (``run_worker(once=True)``, batches of 50) without metrics, and with a
:class:`WorkerMetrics` counting every sweep (``on_sweep=metrics.observe``) and one
scrape (``render()``) after each run, as a scraper would every 15 s; 5 runs each
(``--quick``: 3), the paired runs compared. Also: the CPU time of one ``observe`` beside the
mean time of one sweep, which is the overhead itself (the with/without difference of
whole runs is mostly the machine's noise).

Goal: the metrics add < 1% to a sweep's time.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
import statistics
import sys
import tempfile
import threading
import time

import sqlalchemy as sa
from _util import cpu_us, load_average, quick, table

from migrantcare import Actor, Offices, complaint_workflow
from migrantcare.sql import Outbox, SqlCaseStore, SweepResult, create_all, create_outbox
from migrantcare.sql._metrics import WorkerMetrics
from migrantcare.sql._worker import run_worker

ROOT = pathlib.Path(__file__).parent.parent
OFFICES = Offices.from_file(ROOT / "examples" / "offices.toml")
MARCH = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
APRIL = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.timezone.utc)
GOAL = 0.01


def seed(path: pathlib.Path, n: int) -> None:
    wf = complaint_workflow().bind(OFFICES)
    engine = sa.create_engine(f"sqlite:///{path}")
    store = SqlCaseStore(engine, wf)
    create_all(engine, store.tables)
    create_outbox(engine, store.tables)
    box = Outbox(store)
    agent = Actor("cc-01", roles={"call_centre"}, office="bp3mi-ntb")
    for i in range(n):
        box.add(
            wf.open(
                f"PGD-{i}",
                at=MARCH + dt.timedelta(minutes=i),
                by=agent,
                office="bp3mi-ntb",
                category="unpaid_wages",
                channel="whatsapp",
            )
        )
    engine.dispose()


def one_run(seed_path: pathlib.Path, work: pathlib.Path, with_metrics: bool) -> tuple[float, int]:
    shutil.copyfile(seed_path, work)
    wf = complaint_workflow().bind(OFFICES)
    engine = sa.create_engine(f"sqlite:///{work}")
    box = Outbox(SqlCaseStore(engine, wf))
    metrics = WorkerMetrics(box, clock=lambda: APRIL) if with_metrics else None
    t0 = time.perf_counter()
    results = run_worker(
        box,
        clock=lambda: APRIL,
        stop=threading.Event(),
        log=lambda _: None,
        batch=50,
        once=True,
        on_sweep=None if metrics is None else metrics.observe,
    )
    if metrics is not None:
        metrics.render()
    elapsed = time.perf_counter() - t0
    engine.dispose()
    assert sum(r.advanced for r in results) > 0
    return elapsed, len(results)


def main() -> int:
    n, runs = (200, 4) if quick() else (400, 8)
    folder = pathlib.Path(tempfile.mkdtemp())
    seed_path, work = folder / "seed.db", folder / "work.db"
    print(f"bench_worker_metrics: seeding {n} due complaints ...", file=sys.stderr)
    seed(seed_path, n)
    without, with_ = [], []
    sweeps = 0
    for i in range(runs):
        # ABBA: neither kind always runs first
        for metered in (False, True) if i % 2 == 0 else (True, False):
            seconds, sweeps = one_run(seed_path, work, metered)
            (with_ if metered else without).append(seconds)
    ratios = [m / b for m, b in zip(with_, without, strict=True)]
    # the overhead itself: one observe, beside one sweep
    wf = complaint_workflow().bind(OFFICES)
    engine = sa.create_engine(f"sqlite:///{work}")
    metrics = WorkerMetrics(Outbox(SqlCaseStore(engine, wf)), clock=lambda: APRIL)
    sample = SweepResult(APRIL, 50, 50, 150, 200, (), 0.2, ())
    observe_us = cpu_us(lambda: metrics.observe(sample))
    render_ms = cpu_us(metrics.render, budget_s=0.5) / 1000
    engine.dispose()
    shutil.rmtree(folder)
    base, metered = statistics.median(without), statistics.median(with_)
    per_sweep_ms = base / sweeps * 1000
    share = observe_us / 1000 / per_sweep_ms
    print(
        table(
            f"Worker loop over {n} due cases, batches of 50 ({sweeps} sweeps), median of {runs}",
            ["run", "seconds", "ms per sweep"],
            [
                ["without metrics", f"{base:.3f}", f"{per_sweep_ms:.1f}"],
                ["with metrics (+ one scrape)", f"{metered:.3f}", f"{metered / sweeps * 1000:.1f}"],
            ],
        )
    )
    print(
        f"with/without: median of the paired runs {statistics.median(ratios) - 1:+.2%}, "
        f"spread {min(ratios) - 1:+.2%} .. {max(ratios) - 1:+.2%} (the machine's noise)"
    )
    print(f"one observe: {observe_us:.2f} us CPU = {share:.4%} of a sweep ({per_sweep_ms:.1f} ms)")
    print(f"one scrape (render, 3 queries): {render_ms:.2f} ms CPU, in the server's thread")
    print(load_average())
    ok = share < GOAL
    print(f"goal: metrics add < 1% to a sweep: {'met' if ok else 'MISSED'} ({share:.4%})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
