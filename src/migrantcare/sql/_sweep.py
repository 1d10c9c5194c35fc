"""The SLA sweep: claim due cases with row locks, advance them, save them and their notices.

Any number of workers, on any number of machines, may sweep the same database at once.
On PostgreSQL each sweep claims its cases with ``SELECT … FOR NO KEY UPDATE SKIP
LOCKED``: a case is advanced by exactly one worker, no worker waits for another, and the
claim of a worker that dies is released when its transaction is rolled back (the server
notices the closed connection). On SQLite the sweep is one write transaction (the
database has a single writer), which gives the same result one worker at a time.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from collections.abc import Collection
from typing import Any

import attrs
import sqlalchemy as sa

from migrantcare.exceptions import (
    InvalidArgumentError,
    MigrantCareError,
    WrongTypeError,
)
from migrantcare.offices._actors import SYSTEM, Actor
from migrantcare.records._case import Case, utc
from migrantcare.sql._capability import TransactionalStore
from migrantcare.sql._outbox import Outbox
from migrantcare.sql._outbox_table import aware

_UTC = _dt.timezone.utc
_MAX_BATCH = 10_000
#: One warning per case a sweep could not advance (ids and error classes, never
#: personal data); a debug line per sweep that claimed something.
_log = logging.getLogger("migrantcare.sql.sweep")


@attrs.frozen
class SweepResult:
    """What one sweep did.

    Attributes:
        at: The instant swept.
        claimed: Cases claimed (due, and not locked by another worker).
        advanced: Cases that changed (warnings, breaches, escalations recorded).
        events: Events appended.
        notices: Outbox rows written.
        failed: Ids of claimed cases that could not be advanced (a stored row that does
            not verify, a workflow the worker does not know); they stay due. Pass them
            in ``skip`` to later sweeps (the worker does) so that they do not take the
            places of cases that can be advanced. Each is also logged (a warning of the
            ``migrantcare.sql.sweep`` logger, with ``extra`` fields ``case_id`` and
            ``error``).
        seconds: Wall time of the sweep.
        errors: Why each failed case failed, in the order of ``failed``: the error's
            class and message (``"IntegrityError: case 'PGD-1', event 0: ..."``;
            messages never carry personal data).
    """

    at: _dt.datetime
    claimed: int
    advanced: int
    events: int
    notices: int
    failed: tuple[str, ...] = ()
    seconds: float = 0.0
    errors: tuple[str, ...] = ()

    def log_line(self) -> str:
        """One line for the worker's log (ids only: never personal data)."""
        line = (
            f"sweep at={self.at.isoformat()} claimed={self.claimed} advanced={self.advanced} "
            f"events={self.events} notices={self.notices} failed={len(self.failed)} "
            f"ms={self.seconds * 1000:.0f}"
        )
        if self.failed:
            line += " failed_ids=" + ",".join(self.failed[:10])
        return line


def _check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= _MAX_BATCH:
        raise InvalidArgumentError(f"limit must be an int from 1 to {_MAX_BATCH}, got {limit!r}")
    return limit


def sweep(
    store: TransactionalStore | Outbox,
    *,
    at: _dt.datetime,
    limit: int = 100,
    by: Actor = SYSTEM,
    skip: Collection[str] = (),
) -> SweepResult:
    """Advance up to ``limit`` cases due at ``at`` (soonest first), in one transaction.

    Claims the cases whose ``next_due_at`` is at or before ``at`` (soonest first) that no
    other worker holds, advances each (recording warnings and breaches, firing
    escalations; see :meth:`Workflow.advance`), saves them and — given an
    :class:`Outbox` — writes their notices, then commits. A case is never advanced by
    two workers, and the sweep never waits for another worker or for a service saving
    an unrelated case.

    Args:
        store: The case store, or an :class:`Outbox` on it to write the notices too.
        at: The current instant (aware).
        limit: The most cases to claim (1 to 10,000).
        by: The actor recorded on the events (the system).
        skip: Ids of cases not to claim (those an earlier sweep reported as failed).

    Returns:
        What was done; call again while ``claimed == limit``.

    Examples:
        >>> import datetime as dt, sqlalchemy as sa
        >>> from migrantcare import complaint_workflow
        >>> from migrantcare.sql import SqlCaseStore, create_all
        >>> engine = sa.create_engine("sqlite://")
        >>> store = SqlCaseStore(engine, complaint_workflow(sla=False))
        >>> _ = create_all(engine)
        >>> now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
        >>> sweep(store, at=now).claimed
        0
    """
    started = time.perf_counter()
    outbox = store if isinstance(store, Outbox) else None
    cases_store = store.store if isinstance(store, Outbox) else store
    if not isinstance(cases_store, TransactionalStore):
        raise WrongTypeError(
            "store must be a SqlCaseStore or an Outbox (or another TransactionalStore), got "
            f"{type(store).__name__}"
        )
    when = utc(at, "at")
    limit = _check_limit(limit)
    c = cases_store.tables.cases.c
    # FOR NO KEY UPDATE: it excludes other sweeps and writers of the same case, but not
    # inserts that only reference the case row (its events' foreign key).
    claim = sa.select(c.id).where(c.next_due_at <= when)
    if skip:
        claim = claim.where(c.id.not_in(list(skip)))
    claim = (
        claim.order_by(c.next_due_at, c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )
    advanced = events = written = 0
    failed: list[str] = []
    errors: list[str] = []
    changes: list[tuple[Case, int]] = []
    notice_rows: list[dict[str, Any]] = []
    with cases_store.transaction() as conn:
        ids = conn.execute(claim).scalars().all()
        # every claimed case in one read (the rows are locked by the claim); the store's
        # own checks run on each
        for case_id, loaded in cases_store.load_many_in(conn, ids).items():
            try:
                if isinstance(loaded, MigrantCareError):
                    raise loaded
                workflow = cases_store.workflow_for(loaded)
                # a bound workflow takes the calendar of the office holding the case
                calendar = (
                    None
                    if workflow.offices is not None
                    else cases_store.calendar_for(loaded.office)
                )
                new = workflow.advance(loaded, at=when, by=by, calendar=calendar)
                if new.version == loaded.version:
                    continue
                if outbox is not None:
                    notice_rows.extend(outbox.rows_for(new, new.events[loaded.version :]))
            except MigrantCareError as exc:
                # reported, and left due: one bad case must not stop the others
                failed.append(case_id)
                errors.append(f"{type(exc).__name__}: {exc}")
                _log.warning(
                    "case %r not advanced: %s: %s",
                    case_id,
                    type(exc).__name__,
                    exc,
                    extra={"case_id": case_id, "error": type(exc).__name__, "at": when},
                )
                continue
            changes.append((new, loaded.version))
        # The rows are ours (locked above): the compare-and-set cannot miss, but the
        # store checks it all the same.
        for new_events in cases_store.save_many_in(conn, changes):
            advanced += 1
            events += len(new_events)
        if outbox is not None:
            outbox.insert_in(conn, notice_rows)
            written = len(notice_rows)
    result = SweepResult(
        when,
        len(ids),
        advanced,
        events,
        written,
        tuple(failed),
        time.perf_counter() - started,
        tuple(errors),
    )
    if result.claimed:
        _log.debug(
            result.log_line(),
            extra={
                "claimed": result.claimed,
                "advanced": result.advanced,
                "events": result.events,
                "notices": result.notices,
                "failed": len(result.failed),
            },
        )
    return result


def earliest_due(store: TransactionalStore | Outbox) -> _dt.datetime | None:
    """The earliest ``next_due_at`` of any stored case, or ``None`` (nothing is due ever).

    A worker sleeps until then (bounded, since new cases arrive meanwhile).
    """
    cases_store = store.store if isinstance(store, Outbox) else store
    c = cases_store.tables.cases.c
    with cases_store.engine.connect() as conn:
        value = conn.execute(sa.select(sa.func.min(c.next_due_at))).scalar_one_or_none()
    return aware(value)
