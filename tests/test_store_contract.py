"""One contract, every store: memory, a SQLite file and a real PostgreSQL server.

The contract is shipped in the package (:class:`migrantcare.sql.testing.CaseStoreContract`)
so that a store of another database runs the same tests; here each store of this library
runs it.
"""

from __future__ import annotations

import pathlib

import pytest
import sqlalchemy as sa

from migrantcare import CaseStore, InMemoryCaseStore, Workflow, WorkingCalendar
from migrantcare.sql.testing import CaseStoreContract
from tests.store_support import sql_store, sqlite_engine, truncate


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
