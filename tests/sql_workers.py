"""Code the reliability tests run in child processes (importable by ``spawn``)."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

import sqlalchemy as sa

from migrantcare import complaint_workflow
from migrantcare.exceptions import StaleCaseError
from migrantcare.sql import SqlCaseStore
from tests.actors import actor


def fire_many(url: str, worker: int, case_ids: list[str], fires: int) -> int:
    """Fire ``fires`` escalations on random shared cases, retrying when stale.

    Returns the number of stale saves retried.
    """
    wf = complaint_workflow(sla=False)
    engine = sa.create_engine(url, pool_size=1)
    # This test is about concurrent writers; the opt-in remembered prefix keeps each
    # reload to the new events (its own tests are in test_sql_store.py).
    store = SqlCaseStore(engine, wf, verified_cache=64)
    rng = random.Random(worker)
    retries = 0
    for i in range(fires):
        case_id = rng.choice(case_ids)
        while True:
            case = store.get(case_id)
            when = case.events[-1].at + dt.timedelta(seconds=1)
            new = wf.fire(
                case, "escalate", at=when, by=actor(f"worker-{worker}"), data={"w": worker, "i": i}
            )
            try:
                store.save(new, expected_version=case.version)
                break
            except StaleCaseError:
                retries += 1
    engine.dispose()
    return retries


def fire_many_entry(url: str, worker: int, case_ids: list[str], fires: int, out: Any) -> None:
    out.put((worker, fire_many(url, worker, case_ids, fires)))


def hang_in_transaction(url: str, case_id: str, ready: Any) -> None:
    """Write a change and a new case in one transaction, signal, and never commit."""
    wf = complaint_workflow(sla=False)
    engine = sa.create_engine(url, pool_size=1)
    store = SqlCaseStore(engine, wf)
    with store.transaction() as conn:
        case = store.get_in(conn, case_id, lock=True)
        when = case.events[-1].at + dt.timedelta(seconds=1)
        changed = wf.fire(case, "escalate", at=when, by=actor("doomed"))
        store.save_in(conn, changed, expected_version=case.version)
        opened = wf.open(
            "PGD-ORPHAN",
            at=when,
            by=actor("doomed"),
            office="bp3mi-ntt",
            category="unpaid_wages",
            channel="call_center",
        )
        store.add_in(conn, opened)
        conn.exec_driver_sql("SELECT 1")  # everything has reached the server
        ready.set()
        time.sleep(120)  # killed here, mid-transaction
