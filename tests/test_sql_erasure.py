"""One erasure path: SqlCaseStore.erase_person scrubs the outbox's notice texts too (#23)."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from migrantcare import Workflow, WorkingCalendar, complaint_workflow
from migrantcare.sql import Outbox, SqlCaseStore, create_all, create_outbox
from tests.actors import actor
from tests.store_support import at, new_database, open_case


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[sa.Engine]:
    """An empty database of its own (on PostgreSQL: a new database on the test server)."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'cases.db'}")
        yield engine
        engine.dispose()
        return
    with new_database(request.getfixturevalue("pg_url"), "mc_erase") as url:
        engine = sa.create_engine(url)
        yield engine
        engine.dispose()


def bodies(engine: sa.Engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        return [
            (r.body, r.status, r.last_error)
            for r in conn.exec_driver_sql(
                "SELECT body, status, last_error FROM notice_outbox ORDER BY id"
            )
        ]


@pytest.mark.parametrize("via", ["the same tables", "a store of its own"])
def test_the_stores_erasure_scrubs_the_notice_texts_as_the_outboxs_does(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, via: str
) -> None:
    store = SqlCaseStore(engine, wf, calendar=cal_wita)
    create_all(engine, store.tables)
    create_outbox(engine, store.tables)
    box = Outbox(store)
    box.add(open_case(wf, cal_wita, "PGD-1"))
    box.add(open_case(wf, cal_wita, "PGD-2"))
    assert all(body for body, _, _ in bodies(engine))  # texts that may carry names
    # a service that erases through a plain store of its own (its own MetaData)
    eraser = store if via == "the same tables" else SqlCaseStore(engine, wf, calendar=cal_wita)
    eraser.erase_person("PGD-1", at=at(60), by=actor("dpo-1"))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT case_id, body, status, last_error FROM notice_outbox ORDER BY id"
        ).all()
    erased = [r for r in rows if r.case_id == "PGD-1"]
    assert erased
    assert all(r.body == "" and (r.status, r.last_error) == ("failed", "erased") for r in erased)
    # the other case's notices are untouched
    assert all(r.body and r.status == "pending" for r in rows if r.case_id == "PGD-2")


def test_the_stores_erasure_without_an_outbox_table(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store = SqlCaseStore(engine, wf, calendar=cal_wita)
    create_all(engine, store.tables)
    store.add(open_case(wf, cal_wita, "PGD-1"))
    erased = store.erase_person("PGD-1", at=at(60), by=actor("dpo-1"))
    assert store.get("PGD-1") == erased
