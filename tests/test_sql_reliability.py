"""Reliability of the SQL store: concurrent processes, a killed writer, threads on SQLite."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pathlib
import signal
import threading

import pytest
import sqlalchemy as sa

from migrantcare import Workflow, complaint_workflow
from migrantcare.exceptions import CaseNotFoundError, StaleCaseError
from migrantcare.sql import SqlCaseStore
from tests import sql_workers
from tests.actors import actor
from tests.store_support import T0, rows, sqlite_engine, truncate

CASES = 50


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow(sla=False)


def seed(store: SqlCaseStore, wf: Workflow, n: int) -> list[str]:
    ids = [f"PGD-{i:03d}" for i in range(n)]
    for case_id in ids:
        store.add(
            wf.open(
                case_id,
                at=T0,
                by=actor("cc-01"),
                office="bp3mi-ntt",
                category="unpaid_wages",
                channel="call_center",
            )
        )
    return ids


def check_every_fire_landed_once(
    store: SqlCaseStore, ids: list[str], workers: int, fires: int
) -> None:
    seen: list[tuple[int, int]] = []
    for case_id in ids:
        case = store.get(case_id)  # verifies the chain against the head and replays
        assert [e.seq for e in case.events] == list(range(case.version))  # gapless
        seen += [(e.data["w"], e.data["i"]) for e in case.events[1:]]
    assert sorted(seen) == [(w, i) for w in range(workers) for i in range(fires)]


@pytest.mark.system
def test_four_processes_fire_on_shared_cases_and_every_event_lands_once(
    pg_engine: sa.Engine, pg_url: str, wf: Workflow
) -> None:
    truncate(pg_engine)
    store = SqlCaseStore(pg_engine, wf)
    ids = seed(store, wf, CASES)
    workers, fires = 4, 2000
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=sql_workers.fire_many_entry, args=(pg_url, w, ids, fires, out))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=600) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sorted(results) == list(range(workers))
    assert sum(results.values()) > 0  # they really did collide
    check_every_fire_landed_once(store, ids, workers, fires)
    total = rows(pg_engine, "SELECT count(*), sum(version) FROM cases")[0]
    assert total == (CASES, CASES + workers * fires)
    assert rows(pg_engine, "SELECT count(*) FROM case_events") == [(CASES + workers * fires,)]


@pytest.mark.system
def test_a_writer_killed_mid_transaction_leaves_nothing_behind(
    pg_engine: sa.Engine, pg_url: str, wf: Workflow
) -> None:
    truncate(pg_engine)
    store = SqlCaseStore(pg_engine, wf)
    (case_id,) = seed(store, wf, 1)
    before = store.get(case_id)
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=sql_workers.hang_in_transaction, args=(pg_url, case_id, ready))
    proc.start()
    try:
        assert ready.wait(timeout=120), "the writer never reached the middle of its transaction"
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.join(timeout=60)
    assert proc.exitcode == -signal.SIGKILL
    # the server notices the dead client and rolls back; the row lock is released
    after = store.get(case_id)
    assert after == before
    with pytest.raises(CaseNotFoundError):
        store.get("PGD-ORPHAN")
    assert rows(pg_engine, "SELECT count(*) FROM case_events") == [(1,)]
    assert rows(pg_engine, "SELECT count(*) FROM case_persons") == [(0,)]
    # and the next writer gets on with it
    change = wf.fire(after, "escalate", at=T0 + dt.timedelta(hours=1), by=actor("officer-a"))
    store.save(change, expected_version=after.version)
    assert store.get(case_id).version == 2


def test_sqlite_from_eight_threads(tmp_path: pathlib.Path, wf: Workflow) -> None:
    engine = sqlite_engine(str(tmp_path / "threads.db"))
    store = SqlCaseStore(engine, wf)
    ids = seed(store, wf, 10)
    threads, fires = 8, 60
    stale = [0] * threads
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(fires):
                case_id = ids[(worker + i) % len(ids)]
                while True:
                    case = store.get(case_id)
                    when = case.events[-1].at + dt.timedelta(seconds=1)
                    new = wf.fire(
                        case,
                        "escalate",
                        at=when,
                        by=actor(f"t{worker}"),
                        data={"w": worker, "i": i},
                    )
                    try:
                        store.save(new, expected_version=case.version)
                        break
                    except StaleCaseError:
                        stale[worker] += 1
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    assert sum(stale) > 0
    check_every_fire_landed_once(store, ids, threads, fires)
    engine.dispose()
