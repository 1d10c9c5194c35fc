"""The SQL store's queries: summaries by indexed columns, deadlines, the newest event.

None of them loads a case: they read the case rows' columns (one indexed query each).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import sqlalchemy as sa

from migrantcare.cases._store import CaseSummary, check_lookups, check_query
from migrantcare.exceptions import InvalidArgumentError
from migrantcare.sql._reading import utc as _utc
from migrantcare.sql._schema import CaseTables
from migrantcare.sql._writing import Writes


class Queries:
    """What :class:`~migrantcare.sql.SqlCaseStore` answers from its case rows alone.

    Args:
        engine: The store's engine.
        tables: The store's tables.
        writes: The store's writes (they know whether the tables have ``deadline_at``).
    """

    def __init__(self, engine: sa.Engine, tables: CaseTables, writes: Writes) -> None:
        self._engine, self.tables, self._writes = engine, tables, writes

    def query(
        self,
        *,
        office: str | None = None,
        state: str | None = None,
        due_before: _dt.datetime | None = None,
        calendar_version_not: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[CaseSummary]:
        """Return up to ``limit`` summaries matching every filter given (one indexed query).

        See :class:`migrantcare.CaseStore` for the filters. ``due_before`` lists the
        cases whose ``next_due_at`` is at or before that instant, soonest first;
        otherwise summaries come in id order, for paging with ``after``.
        """
        when, limit = check_query(due_before, limit)
        check_lookups(
            office=office, state=state, after=after, calendar_version_not=calendar_version_not
        )
        c = self.tables.cases.c
        stmt = self._summary_select()
        if office is not None:
            stmt = stmt.where(c.office == office)
        if state is not None:
            stmt = stmt.where(c.state == state)
        if calendar_version_not is not None:
            stmt = stmt.where(c.calendar_version != calendar_version_not)
        if when is not None:
            stmt = stmt.where(c.next_due_at <= when).order_by(c.next_due_at, c.id)
        else:
            if after is not None:
                stmt = stmt.where(c.id > after)
            stmt = stmt.order_by(c.id)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt.limit(limit)).all()
        return [self._summary(r) for r in rows]

    def overdue(
        self, *, office: str, at: _dt.datetime, after: str | None = None, limit: int = 100
    ) -> list[CaseSummary]:
        """The cases of ``office`` with a running clock past its deadline at ``at``.

        One indexed query (``cases_office_deadline``): the cases whose earliest running
        deadline (``deadline_at``, breached or not yet marked) is at or before ``at``,
        the longest overdue first, ties by id. Page with ``after`` (the id of the last
        case of the previous page) only among cases overdue since the same instant;
        for deep lists, page with ``at`` moving back instead.

        Args:
            office: The office holding the cases.
            at: The current instant (aware).
            after: Only cases whose id sorts after this one.
            limit: The most summaries.

        Raises:
            InvalidArgumentError: a bad limit, or a text no case holds.
            NaiveDatetimeError: ``at`` has no zone.
        """
        when, limit = check_query(at, limit)
        check_lookups(office=office, after=after)
        c = self.tables.cases.c
        stmt = (
            self._summary_select()
            .where(c.office == office, c.deadline_at <= when)
            .order_by(c.deadline_at, c.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(c.id > after)
        with self._engine.connect() as conn:
            self._need_deadlines(conn)
            return [self._summary(r) for r in conn.execute(stmt)]

    def next_deadline(
        self, *, after: _dt.datetime, office: str | None = None
    ) -> _dt.datetime | None:
        """The next deadline of any running clock (of ``office``'s cases) after ``after``.

        When the next breach falls if nothing is done: a scheduler or a dashboard
        reads it in one indexed query. ``None``: no running clock has a later deadline.
        """
        when, _ = check_query(after, 1)
        check_lookups(office=office)
        c = self.tables.cases.c
        stmt = sa.select(sa.func.min(c.deadline_at)).where(c.deadline_at > when)
        if office is not None:
            stmt = stmt.where(c.office == office)
        with self._engine.connect() as conn:
            self._need_deadlines(conn)
            return _utc(conn.execute(stmt).scalar_one_or_none())

    def _need_deadlines(self, conn: sa.Connection) -> None:
        if not self._writes.deadlines(conn):
            raise InvalidArgumentError(
                "the case tables are older than schema version 4 (no deadline_at column): "
                "run `migrantcare db upgrade`, then restart the services that write cases"
            )

    def _summary_select(self) -> sa.Select[Any]:
        c = self.tables.cases.c
        return sa.select(
            c.id,
            c.workflow,
            c.workflow_version,
            c.version,
            c.state,
            c.office,
            c.calendar_version,
            c.next_due_at,
            c.head_hash,
        )

    @staticmethod
    def _summary(r: Any) -> CaseSummary:
        return CaseSummary(
            r.id,
            r.workflow,
            r.workflow_version,
            r.version,
            r.state,
            r.office,
            r.calendar_version,
            _utc(r.next_due_at),
            r.head_hash,
        )

    def newest_event_at(self) -> _dt.datetime | None:
        """The instant of the newest event of any stored case (``None``: no case).

        What a report takes as "now" when none is given: the library never reads a
        clock.
        """
        c = self.tables.cases.c
        with self._engine.connect() as conn:
            return _utc(conn.execute(sa.select(sa.func.max(c.updated_at))).scalar_one_or_none())
