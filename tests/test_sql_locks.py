"""Locks that lock: a locked read and an erasure beside concurrent saves (issue #23).

Real threads on a real PostgreSQL: a locked read takes the case row's lock before it
reads the history, so it never sees a row newer than the events it read; an erasure
waits for a concurrent save (or raises the retryable StaleCaseError), never
IntegrityError for an intact case.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from migrantcare import Case, Workflow, WorkingCalendar, complaint_workflow
from migrantcare.exceptions import MigrantCareError, StaleCaseError
from migrantcare.sql import Outbox, SqlCaseStore, create_outbox
from tests.actors import actor
from tests.store_support import T0, open_case, truncate


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture
def box(pg_engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar) -> Outbox:
    truncate(pg_engine)
    store = SqlCaseStore(pg_engine, wf, calendar=cal_wita)
    create_outbox(pg_engine, store.tables)
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE notice_outbox")
    return Outbox(store)


def saving(
    store: SqlCaseStore, wf: Workflow, cal: WorkingCalendar, case_id: str, stop: threading.Event
) -> Callable[[], None]:
    """A loop that fires and saves ``case_id`` until ``stop`` (retrying stale saves)."""

    def run() -> None:
        while not stop.is_set():
            case = store.get(case_id)
            at = max(case.events[-1].at, T0) + dt.timedelta(seconds=1)
            new = wf.fire(case, "escalate", at=at, by=actor("officer-a"), calendar=cal)
            try:
                store.save(new, expected_version=case.version)
            except StaleCaseError:
                continue

    return run


def concurrently(work: Callable[[], None], *loops: Callable[[], None]) -> None:
    threads = [threading.Thread(target=loop) for loop in loops]
    for thread in threads:
        thread.start()
    try:
        work()
    finally:
        for thread in threads:
            thread.join(timeout=60)


def test_a_locked_read_beside_concurrent_saves_never_reports_tampering(
    box: Outbox, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store = box.store
    store.add(open_case(wf, cal_wita, "ER-1"))
    stop = threading.Event()
    errors: list[MigrantCareError] = []
    versions: list[int] = []

    def read_locked() -> None:
        try:
            for _ in range(60):
                with store.transaction() as conn:
                    try:
                        case = store.get_in(conn, "ER-1", lock=True)
                    except MigrantCareError as exc:
                        errors.append(exc)
                        continue
                    versions.append(case.version)
                    # the lock holds: nobody saves until this transaction ends
                    row = conn.exec_driver_sql(
                        "SELECT version FROM cases WHERE id = 'ER-1'"
                    ).scalar_one()
                    assert row == case.version
        finally:
            stop.set()

    concurrently(read_locked, saving(store, wf, cal_wita, "ER-1", stop))
    assert errors == []
    assert len(versions) == 60
    assert versions == sorted(versions)
    assert versions[-1] > 1  # the saves ran beside the reads
    store.get("ER-1").verify()


@pytest.mark.parametrize("path", ["store", "outbox"])
def test_an_erasure_beside_concurrent_saves_waits_and_never_reports_tampering(
    box: Outbox, wf: Workflow, cal_wita: WorkingCalendar, path: str
) -> None:
    store = box.store
    eraser = store if path == "store" else box
    erased: list[Case] = []
    errors: list[Exception] = []
    for i in range(12):
        case_id = f"ER-{i}"
        store.add(open_case(wf, cal_wita, case_id))
        stop = threading.Event()

        def erase(case_id: str = case_id, stop: threading.Event = stop) -> None:
            try:
                for attempt in range(5):
                    try:
                        erased.append(
                            eraser.erase_person(
                                case_id,
                                at=T0 + dt.timedelta(hours=1 + attempt),
                                by=actor("dpo-1"),
                            )
                        )
                        return
                    except StaleCaseError:
                        continue  # retryable by contract
                    except MigrantCareError as exc:
                        errors.append(exc)
                        return
            finally:
                stop.set()

        concurrently(erase, saving(store, wf, cal_wita, case_id, stop))
    assert errors == []
    assert len(erased) == 12
    for case in erased:
        stored = store.get(case.id)
        stored.verify()
        assert stored.complainant is not None
        assert "Siti Aminah" not in stored.complainant.name
        assert any(e.kind == "erased" for e in stored.events)
