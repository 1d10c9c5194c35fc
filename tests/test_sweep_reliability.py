"""Many workers, one truth: the sweep and the outbox against a real PostgreSQL.

20,000 due cases swept by 4 processes, a worker killed holding a batch, 3 senders
delivering every notice, a sender killed mid-batch, retries with backoff, and ordinary
saves never waiting for either.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from migrantcare import Case, Person, Workflow, complaint_workflow
from migrantcare.sql import (
    Backoff,
    Outbox,
    SqlCaseStore,
    create_all,
    create_outbox,
    sweep,
)
from migrantcare.sql._writing import event_row
from tests import sweep_workers
from tests.sweep_workers import CC, OFFICER, T0, calendar, sink_table

CASES = 20_000
LATE = 2_000  # opened a week earlier: their verification breach escalates them
AT = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.timezone.utc)  # Tuesday 10:00 WITA


@pytest.fixture(scope="module")
def url(pg_url: str) -> Iterator[str]:
    """A database of its own in the session's PostgreSQL cluster."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS mc_sweep")
        conn.exec_driver_sql("CREATE DATABASE mc_sweep")
    yield pg_url.replace("/postgres?", "/mc_sweep?")
    admin.dispose()


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture
def box(url: str, wf: Workflow) -> Iterator[Outbox]:
    engine = sa.create_engine(url)
    store = SqlCaseStore(engine, wf, calendar=calendar())
    create_all(engine, store.tables)
    create_outbox(engine, store.tables)
    sink_table().metadata.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE notice_outbox, case_events, case_persons, cases, sink")
    yield Outbox(store)
    engine.dispose()


def rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def open_cases(wf: Workflow, n: int, *, late: int = 0, prefix: str = "PGD") -> list[Case]:
    cal = calendar()
    out = []
    for i in range(n):
        opened = T0 - dt.timedelta(days=7) if i < late else T0 + dt.timedelta(seconds=i % 1200)
        out.append(
            wf.open(
                f"{prefix}-{i:05d}",
                at=opened,
                by=CC,
                office="bp3mi-ntt",
                category="unpaid_wages",
                channel="whatsapp",
                calendar=cal,
            )
        )
    return out


def bulk_add(store: SqlCaseStore, cases: list[Case]) -> None:
    """Insert cases with multi-row inserts (what add() writes, thousands at a time)."""
    t = store.tables
    for start in range(0, len(cases), 2_000):
        chunk = cases[start : start + 2_000]
        with store.transaction() as conn:
            conn.execute(
                t.cases.insert(),
                [
                    {"id": c.id, "opened_at": c.opened_at, **store._writes.case_values(c)}
                    for c in chunk
                ],
            )
            conn.execute(t.events.insert(), [event_row(c.id, e) for c in chunk for e in c.events])


def spawn(target: Any, *args: Any) -> multiprocessing.process.BaseProcess:
    proc = multiprocessing.get_context("spawn").Process(target=target, args=args)
    proc.start()
    return proc


def run_workers(target: Any, url: str, *, workers: int, batch: int) -> list[Any]:
    """Run ``workers`` spawned ``target(url, index, AT, batch, out)`` to the end; their results."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(url, w, AT, batch, out)) for w in range(workers)]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def kill(proc: multiprocessing.process.BaseProcess) -> None:
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=60)
    assert proc.exitcode == -signal.SIGKILL


def check_marks_exactly_once(engine: sa.Engine, cases: int, late: int) -> None:
    doubled = rows(
        engine,
        "SELECT case_id, body->'data'->>'goal', body->'data'->>'cycle', "
        "body->'data'->>'threshold_percent', count(*) FROM case_events "
        "WHERE kind = 'sla' GROUP BY 1, 2, 3, 4 HAVING count(*) > 1",
    )
    assert doubled == []
    # every case: two first-response warnings and its breach; the early ones also their
    # verification warnings, breach and one escalation
    per_case = dict(
        rows(
            engine,
            "SELECT c.id, count(e.seq) FROM cases c JOIN case_events e ON e.case_id = c.id "
            "GROUP BY c.id",
        )
    )
    assert len(per_case) == cases
    counts = sorted(set(per_case.values()))
    assert counts == ([4, 8] if late else [4]), counts
    escalations = rows(
        engine,
        "SELECT count(*), count(DISTINCT case_id) FROM case_events WHERE name = 'escalate'",
    )
    assert escalations == [(late, late)]
    assert rows(engine, "SELECT count(*) FROM cases WHERE next_due_at <= '2026-03-03 02:00Z'") == [
        (0,)
    ]
    # the outbox holds each event's notices once: no key twice, one row per notice
    assert rows(engine, "SELECT count(*) = count(DISTINCT idempotency_key) FROM notice_outbox") == [
        (True,)
    ]


@pytest.mark.system
def test_four_workers_sweep_twenty_thousand_cases_and_every_mark_lands_once(
    box: Outbox, url: str, wf: Workflow
) -> None:
    bulk_add(box.store, open_cases(wf, CASES, late=LATE))
    results = run_workers(sweep_workers.sweep_until_done, url, workers=4, batch=200)
    claimed = {w: c for w, c, _, _ in results}
    assert sum(claimed.values()) == CASES  # each case claimed by exactly one worker
    assert sum(1 for c in claimed.values() if c > 0) >= 2  # they really shared the work
    engine = box.store.engine
    check_marks_exactly_once(engine, CASES, LATE)
    assert (
        sum(e for _, _, e, _ in results)
        == rows(engine, "SELECT count(*) FROM case_events WHERE seq > 0")[0][0]
    )
    assert (
        sum(n for _, _, _, n in results) == rows(engine, "SELECT count(*) FROM notice_outbox")[0][0]
    )
    # every case verifies and replays (the store checks the chain, the head and the
    # columns on load); a sample is loaded whole, every chain is checked in SQL
    for case_id in [f"PGD-{i:05d}" for i in range(0, CASES, 97)]:
        case = box.get(case_id)
        case.verify()
        assert wf.next_due_at(case) is None or wf.next_due_at(case) > AT
    broken = rows(
        engine,
        "SELECT e.case_id, e.seq FROM case_events e LEFT JOIN case_events p "
        "ON p.case_id = e.case_id AND p.seq = e.seq - 1 "
        "WHERE e.seq > 0 AND (p.hash IS NULL OR p.hash <> e.prev_hash) LIMIT 5",
    )
    assert broken == []
    heads = rows(
        engine,
        "SELECT count(*) FROM cases c JOIN case_events e ON e.case_id = c.id "
        "AND e.seq = c.version - 1 AND e.hash = c.head_hash",
    )
    assert heads == [(CASES,)]


@pytest.mark.system
def test_a_worker_killed_holding_a_batch_loses_and_doubles_nothing(
    box: Outbox, url: str, wf: Workflow
) -> None:
    n = 600
    bulk_add(box.store, open_cases(wf, n, late=60))
    ready = multiprocessing.get_context("spawn").Event()
    doomed = spawn(sweep_workers.sweep_and_hang, url, AT, 250, ready)
    try:
        assert ready.wait(timeout=300), "the worker never reached its commit"
        # while it holds its batch, another worker sweeps the rest, skipping the locked
        first = sweep(box, at=AT, limit=n)
        assert first.claimed == n - 250
    finally:
        kill(doomed)
    # the server rolled the dead worker's transaction back: its cases are due again
    second = sweep(box, at=AT, limit=n)
    assert second.claimed == 250
    assert sweep(box, at=AT, limit=n).claimed == 0
    check_marks_exactly_once(box.store.engine, n, 60)


def fill_outbox(box: Outbox, wf: Workflow, n: int) -> int:
    bulk_add(box.store, open_cases(wf, n, late=n // 10, prefix="OBX"))
    result = sweep(box, at=AT, limit=n)
    assert result.claimed == n
    return result.notices


@pytest.mark.system
def test_three_senders_deliver_every_notice_exactly_once(
    box: Outbox, url: str, wf: Workflow
) -> None:
    total = fill_outbox(box, wf, 1_000)
    results = run_workers(sweep_workers.send_until_done, url, workers=3, batch=50)
    engine = box.store.engine
    assert sum(sent for _, sent in results) == total
    assert sum(1 for _, sent in results if sent) >= 2
    # the sink saw each notice once: no duplicate, none missing
    assert rows(engine, "SELECT count(*), count(DISTINCT key) FROM sink") == [(total, total)]
    assert rows(
        engine, "SELECT count(*) FROM notice_outbox o JOIN sink s ON s.key = o.idempotency_key"
    ) == [(total,)]
    counts = box.counts()
    assert (counts.pending, counts.sent, counts.failed) == (0, total, 0)


@pytest.mark.system
def test_a_sender_dying_mid_batch_loses_nothing(box: Outbox, url: str, wf: Workflow) -> None:
    total = fill_outbox(box, wf, 200)
    ready = multiprocessing.get_context("spawn").Event()
    doomed = spawn(sweep_workers.send_and_die, url, AT, 40, ready)
    try:
        assert ready.wait(timeout=300)
    finally:
        kill(doomed)
    engine = box.store.engine
    delivered_by_dead = rows(engine, "SELECT count(*) FROM sink")[0][0]
    assert delivered_by_dead == 20
    # its batch is pending again: nothing was marked
    assert box.counts().pending == total
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=sweep_workers.send_until_done, args=(url, 1, AT, 50, out))
    proc.start()
    _, sent = out.get(timeout=600)
    proc.join(timeout=60)
    assert sent == total
    # at-least-once: the 20 the dead sender had handed over come twice, with the same
    # key, so the gateway can drop them; every notice arrived
    assert rows(engine, "SELECT count(DISTINCT key), count(*) FROM sink") == [(total, total + 20)]
    assert box.counts().sent == total


def test_failed_deliveries_are_retried_with_backoff_and_counted(box: Outbox, wf: Workflow) -> None:
    fill_outbox(box, wf, 20)
    box = Outbox(box.store, backoff=Backoff(first=dt.timedelta(minutes=1), max_attempts=3))
    with box.claim(5, at=AT) as batch:
        victims = list(batch)
        for notice in victims:
            batch.failed(notice, "gateway 503")
    ids = sorted(n.id for n in victims)
    state = rows(
        box.store.engine,
        "SELECT id, status, attempts, next_attempt_at, last_error FROM notice_outbox "
        f"WHERE id IN ({','.join(map(str, ids))}) ORDER BY id",
    )
    assert [(s, a, e) for _, s, a, _, e in state] == [("pending", 1, "gateway 503")] * 5
    assert {r[3] for r in state} == {AT + dt.timedelta(minutes=1)}
    # not due again before the backoff has passed
    with box.claim(1_000, at=AT) as batch:
        assert not {n.id for n in batch} & set(ids)
    retry_at = AT + dt.timedelta(minutes=1)
    for attempt in (2, 3):
        with box.claim(1_000, at=retry_at) as batch:
            again = [n for n in batch if n.id in ids]
            assert [n.attempts for n in again] == [attempt - 1] * 5
            for notice in again:
                batch.failed(notice, "gateway 503")
        retry_at += dt.timedelta(minutes=2 ** (attempt - 1))
    final = rows(
        box.store.engine,
        f"SELECT status, attempts FROM notice_outbox WHERE id IN ({','.join(map(str, ids))})",
    )
    assert final == [("failed", 3)] * 5  # given up after max_attempts, and counted
    assert box.counts().failed == 5


def test_sweep_and_senders_never_block_a_fire_on_an_unrelated_case(
    box: Outbox, url: str, wf: Workflow
) -> None:
    bulk_add(box.store, open_cases(wf, 50))
    other = wf.open(
        "PGD-OTHER",
        at=AT - dt.timedelta(minutes=1),  # not due: the sweep does not claim it
        by=CC,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti Aminah", phone="+6281100000"),
        calendar=calendar(),
    )
    box.add(other)  # and its acknowledgement, which a sender will hold
    # a sweep that holds its claim (paused at its commit) and a sender holding a batch
    release = threading.Event()
    holding = threading.Event()
    engine = sa.create_engine(url)
    blocked = Outbox(SqlCaseStore(engine, wf, calendar=calendar()))

    def pause(conn: sa.Connection) -> None:
        holding.set()
        release.wait(60)

    sa.event.listen(engine, "commit", pause)
    sweeper = threading.Thread(target=sweep, args=(blocked,), kwargs={"at": AT, "limit": 100})
    sweeper.start()
    try:
        assert holding.wait(60)
        with box.claim(100, at=AT) as batch:
            assert len(batch) > 0
            # a wait for any lock fails the save: the sweep and the sender hold theirs
            # until the end of this block
            fast = sa.create_engine(url, connect_args={"options": "-c lock_timeout=10000"})
            service = Outbox(SqlCaseStore(fast, wf, calendar=calendar()))
            started = time.perf_counter()
            case = service.get("PGD-OTHER")
            fired = wf.fire(case, "escalate", at=AT, by=OFFICER, calendar=calendar())
            service.save(fired, expected_version=case.version)
            assert time.perf_counter() - started < 10
            fast.dispose()
    finally:
        release.set()
        sweeper.join(60)
        engine.dispose()
    assert box.get("PGD-OTHER").state == fired.state
