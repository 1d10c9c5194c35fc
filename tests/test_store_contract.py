"""One contract, every store: memory, a SQLite file and a real PostgreSQL server.

The contract is shipped in the package (:class:`migrantcare.sql.testing.CaseStoreContract`)
so that a store of another database runs the same tests; here each store of this library
runs it.
"""

from __future__ import annotations

import pathlib

import attrs
import pytest
import sqlalchemy as sa

from migrantcare import (
    CaseStore,
    InMemoryCaseStore,
    Workflow,
    WorkingCalendar,
    complaint_workflow,
)
from migrantcare.exceptions import IntegrityError, WrongTypeError
from migrantcare.sql import SqlCaseStore, TransactionalStore
from migrantcare.sql.testing import CaseStoreContract
from tests.actors import actor
from tests.store_support import at, open_case, sql_store, sqlite_engine, truncate


class TestInMemoryCaseStore(CaseStoreContract):
    """The in-memory store, its gets replaying every case."""

    def make_store(self, workflow: Workflow, calendar: WorkingCalendar) -> CaseStore:
        return InMemoryCaseStore(workflow, calendar=calendar)


class TestInMemoryCaseStoreWithoutWorkflows(CaseStoreContract):
    """The in-memory store as most examples build it: its gets check the hash chain."""

    def make_store(self, workflow: Workflow, calendar: WorkingCalendar) -> CaseStore:
        return InMemoryCaseStore()


class TestSqliteCaseStore(CaseStoreContract):
    """The SQL store on a SQLite file (a new file per store)."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: pathlib.Path) -> None:
        self.directory, self.engines = tmp_path, 0

    def make_store(self, workflow: Workflow, calendar: WorkingCalendar) -> CaseStore:
        self.engines += 1
        return sql_store(
            sqlite_engine(str(self.directory / f"cases{self.engines}.db")), workflow, calendar
        )


class TestPostgresCaseStore(CaseStoreContract):
    """The SQL store on the test PostgreSQL server (emptied for each store)."""

    @pytest.fixture(autouse=True)
    def _server(self, pg_engine: sa.Engine) -> None:
        self.engine = pg_engine

    def make_store(self, workflow: Workflow, calendar: WorkingCalendar) -> CaseStore:
        truncate(self.engine)
        return sql_store(self.engine, workflow, calendar)


def test_the_contract_alone_is_not_a_store() -> None:
    with pytest.raises(NotImplementedError, match="make_store"):
        CaseStoreContract().store()


def test_the_in_memory_store_checks_what_it_returns(
    wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    # a case changed behind the store's back (its dict edited) is refused on get, as a
    # SQL row edited behind the store's is
    case = wf.fire(
        open_case(wf, cal_wita, "PGD-1"), "escalate", at=at(5), by=actor("o-1"), calendar=cal_wita
    )
    for store in (InMemoryCaseStore(wf, calendar=cal_wita), InMemoryCaseStore()):
        store.add(case)
        forged = attrs.evolve(case, events=(case.events[0], attrs.evolve(case.events[1], note="x")))
        store._cases["PGD-1"] = forged
        with pytest.raises(IntegrityError, match="PGD-1"):
            store.get("PGD-1")
    replayed = InMemoryCaseStore(wf, calendar=cal_wita)
    replayed.add(case)
    replayed._cases["PGD-1"] = attrs.evolve(case, priority="high")  # the header edited
    with pytest.raises(IntegrityError, match="priority"):
        replayed.get("PGD-1")


def test_the_sql_store_is_what_the_sweep_and_the_outbox_need(
    wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store = sql_store(sa.create_engine("sqlite://"), wf, cal_wita)
    assert isinstance(store, TransactionalStore)
    assert isinstance(store, CaseStore)
    assert not isinstance(InMemoryCaseStore(), TransactionalStore)


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.mark.parametrize("calendar", ["cal-1", 3, {"bp3mi-ntt": 3}, {3: "x"}], ids=repr)
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_store_refuses_a_calendar_that_is_not_one_when_it_is_built(
    kind: str, calendar: object
) -> None:
    def build() -> object:
        if kind == "memory":
            return InMemoryCaseStore(complaint_workflow(), calendar=calendar)  # type: ignore[arg-type]
        engine = sa.create_engine("sqlite://")
        return SqlCaseStore(engine, complaint_workflow(), calendar=calendar)  # type: ignore[arg-type]

    with pytest.raises(WrongTypeError, match="calendar"):
        build()
