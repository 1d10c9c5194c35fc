"""What the sweep and the outbox need of a case store: the contract, and SQL transactions.

:class:`TransactionalStore` is the :class:`~migrantcare.CaseStore` contract plus the few
things a worker needs of a SQL database: a write transaction, loads and saves inside
it, the tables (to claim rows with ``FOR UPDATE SKIP LOCKED``), and which workflow and
calendar a case runs on. :class:`~migrantcare.sql.SqlCaseStore` is one; so is any store
that keeps cases in these tables and offers the same methods. The sweep and the outbox
use nothing else of a store.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

import sqlalchemy as sa

from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._store import CaseStore
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import MigrantCareError
from migrantcare.offices._actors import Actor
from migrantcare.records._case import Case, CaseEvent
from migrantcare.sql._schema import CaseTables


@runtime_checkable
class TransactionalStore(CaseStore, Protocol):
    """A :class:`~migrantcare.CaseStore` on SQL tables, with transactions a worker joins.

    Attributes:
        tables: The case tables (the sweep claims due cases on them; the outbox table
            is named after them).
    """

    tables: CaseTables

    @property
    def engine(self) -> sa.Engine:
        """The engine the store runs on."""

    @property
    def workflows(self) -> tuple[Workflow, ...]:
        """The workflows the store was given (every version its cases run on)."""

    def transaction(self) -> AbstractContextManager[sa.Connection]:
        """A write transaction: commit when the block ends, roll back on error."""

    def add_in(self, conn: sa.Connection, case: Case) -> None:
        """Store a new case in the caller's transaction."""

    def save_in(
        self, conn: sa.Connection, case: Case, *, expected_version: int
    ) -> tuple[CaseEvent, ...]:
        """Save a changed case in the caller's transaction; return the events appended."""

    def load_many_in(
        self, conn: sa.Connection, case_ids: Sequence[str], *, lock: bool = False
    ) -> dict[str, Case | MigrantCareError]:
        """Load (and check) many cases in the caller's transaction; errors per case."""

    def save_many_in(
        self, conn: sa.Connection, changes: Iterable[tuple[Case, int]]
    ) -> list[tuple[CaseEvent, ...]]:
        """Save many changed cases (with their base versions) in the caller's transaction."""

    def workflow_for(self, case: Case) -> Workflow:
        """The workflow (of those the store was given) ``case`` runs on."""

    def calendar_for(self, office: str) -> WorkingCalendar | None:
        """The working calendar of ``office``'s cases."""

    def erase_in(
        self,
        conn: sa.Connection,
        case_id: str,
        *,
        at: _dt.datetime,
        by: Actor,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Erase a case's personal data in the caller's transaction."""
