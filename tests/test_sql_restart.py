"""The driver fast paths recover after a PostgreSQL restart as SQLAlchemy's own path does.

A real server, restarted under the store (``TemporaryPostgres.restart``): every pooled
connection is then dead. At most the one call in flight fails, with SQLAlchemy's
``OperationalError`` (``connection_invalidated``: retry it), as a call through
SQLAlchemy fails; the pool is invalidated and the next calls reconnect. With
``pool_pre_ping=True`` (the worker's engine) not even that call fails.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from migrantcare import Workflow, WorkingCalendar, complaint_workflow
from migrantcare.sql import SqlCaseStore, create_all
from migrantcare.sql.testing import TemporaryPostgres, find_postgres_bin
from tests.actors import actor
from tests.store_support import at, open_case


@pytest.fixture(scope="module")
def server() -> Iterator[TemporaryPostgres]:
    bin_dir = find_postgres_bin()
    if bin_dir is None:  # pragma: no cover - CI has the binaries (see conftest.pg_url)
        pytest.fail("PostgreSQL server binaries not found")
    with TemporaryPostgres(bin_dir, durable=False) as pg:
        yield pg


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


def fill_the_pool(store: SqlCaseStore, case_id: str, n: int) -> None:
    """Open ``n`` pooled connections at once (n threads reading), then return them."""
    barrier = threading.Barrier(n)

    def read() -> None:
        with store.engine.connect() as conn:
            barrier.wait(timeout=30)
            conn.exec_driver_sql("SELECT 1")
        store.get(case_id)

    threads = [threading.Thread(target=read) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert store.engine.pool.checkedin() >= n  # type: ignore[attr-defined]


@pytest.mark.parametrize("pre_ping", [False, True], ids=["plain", "pre-ping"])
def test_gets_and_saves_recover_after_a_restart(
    server: TemporaryPostgres, wf: Workflow, cal_wita: WorkingCalendar, pre_ping: bool
) -> None:
    engine = sa.create_engine(server.url, pool_size=5, pool_pre_ping=pre_ping)
    try:
        create_all(engine)
        store = SqlCaseStore(engine, wf, calendar=cal_wita)
        case_id = f"PGD-R-{pre_ping}"
        case = open_case(wf, cal_wita, case_id)
        store.add(case)
        fill_the_pool(store, case_id, 5)
        server.restart()
        failures: list[BaseException] = []
        for i in range(12):
            try:
                case = store.get(case_id)
                new = wf.fire(
                    case, "escalate", at=at(i + 1), by=actor("officer-a"), calendar=cal_wita
                )
                store.save(new, expected_version=case.version)
            except sa.exc.OperationalError as exc:
                failures.append(exc)
        assert len(failures) <= (0 if pre_ping else 1), failures
        # the one failure is the retryable one SQLAlchemy's own path raises
        assert all(exc.connection_invalidated for exc in failures)
        assert store.get(case_id).version == 1 + 12 - len(failures)
    finally:
        engine.dispose()
