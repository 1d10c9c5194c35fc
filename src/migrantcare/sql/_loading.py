"""How the SQL store loads: stored records to the core loader, its own checks, a cache.

The store reads rows (:mod:`._reading`); :class:`Loads` hands them to the core loader
(:class:`~migrantcare.cases._loader.CaseLoader`) with the checks only this store has
(its extra columns, the seal), skips the replay of a sealed case on the current
calendar, and remembers verified cases when the host opted in (``verified_cache``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any, TextIO

import sqlalchemy as sa

from migrantcare.cases._loader import CaseLoader, Loaded, StoreCheck, StoredCase, checked_event
from migrantcare.exceptions import CaseNotFoundError, IntegrityError
from migrantcare.offices._actors import Actor
from migrantcare.records._case import Case, CaseEvent
from migrantcare.sql._reading import Reads, RowColumns, stored_rows
from migrantcare.sql._rowcheck import check_columns
from migrantcare.sql._seal import SEAL_FIELD, Sealer
from migrantcare.sql._writing import header


class Loads:
    """The SQL store's loads.

    Args:
        loader: The core loader (the store's workflows and calendars).
        sealer: The host's seal keys, or ``None``.
        reads: The store's read statements.
        engine: The store's engine.
        cache_size: How many verified cases to remember (0: none).
    """

    def __init__(
        self,
        loader: CaseLoader,
        sealer: Sealer | None,
        reads: Reads,
        engine: sa.Engine,
        cache_size: int,
    ) -> None:
        self._loader, self._sealer, self._reads = loader, sealer, reads
        self._engine, self._cache_size = engine, cache_size
        # Per store, not per module: a bounded map from case id to its verified load,
        # shared by the threads using this store (hence the lock).
        self._known: dict[str, Loaded] = {}
        self._lock = threading.Lock()

    def without_seal(self) -> Loads:
        """These loads without the seal's check (the cache is not shared)."""
        return Loads(self._loader, None, self._reads, self._engine, 0)

    def check(self, columns: RowColumns, persons_read: bool) -> StoreCheck:
        """This store's own checks of a decoded case: its extra columns, and the seal."""
        sealer = self._sealer

        def check(case: Case, doc: Any) -> None:
            check_columns(case.id, case, columns)
            if sealer is not None:
                sealer.check(case, header(case), doc.get(SEAL_FIELD), persons=persons_read)

        return check

    def decode(self, stored: StoredCase, columns: RowColumns) -> Case:
        """Read a case and check that its rows agree with each other (no hashing)."""
        return self._loader.decode(stored, self.check(columns, stored.persons_read))

    def load(self, stored: StoredCase, columns: RowColumns, *, deep: bool = False) -> Case:
        """The load of a case read; the one place that chooses how it is checked.

        A sealed store loads a sealed case without replay unless ``deep`` (the seal,
        under one of the host's keys, vouches for what replay would check: a writer
        without the key could not have made it), except when its clocks rest on
        another calendar than the current one. Otherwise the core loader replays.
        """
        check = self.check(columns, stored.persons_read)
        if self._sealer is not None and not deep:
            case = self._loader.decode(stored, check)  # every row, column and the seal
            case.verify()  # every hash and link
            if self._loader.on_current_calendar(case):
                return case
            loaded = self._loader.verified(case)
        else:
            loaded = self._loader.load(stored, check)
        self._remember(loaded)
        return loaded.case

    def get_in(self, conn: sa.Connection, case_id: str) -> Case:
        """Load ``case_id`` on ``conn``: from a remembered case when it can."""
        if self._cache_size:
            with self._lock:
                known = self._known.get(case_id)
            if known is not None:
                tail = self._extend(conn, case_id, known)
                if tail is not None:
                    return tail
        return self.load(*self._reads.fetch(conn, case_id))

    def _extend(self, conn: sa.Connection, case_id: str, known: Loaded) -> Case | None:
        """Load a remembered case from the events appended since (see CaseLoader.extend)."""
        start = known.case.version
        rows = conn.execute(self._reads.tail, {"b_id": case_id, "b_from": start}).all()
        if not rows or rows[0].c_version < start:
            self._forget(case_id)
            return None
        stored, columns = stored_rows(case_id, rows)
        loaded = self._loader.extend(known, stored, self.check(columns, True))
        if loaded is None:
            self._forget(case_id)
            return None
        self._remember(loaded)
        return loaded.case

    def _remember(self, loaded: Loaded) -> None:
        if not self._cache_size:
            return
        with self._lock:
            self._known.pop(loaded.case.id, None)
            while len(self._known) >= self._cache_size:
                # dicts keep insertion order: drop the least recently loaded
                del self._known[next(iter(self._known))]
            self._known[loaded.case.id] = loaded

    def _forget(self, case_id: str) -> None:
        with self._lock:
            self._known.pop(case_id, None)

    # ------------------------------------------------------------ without replay

    def history(self, case_id: str, *, after: int, limit: int) -> list[CaseEvent]:
        """See :meth:`SqlCaseStore.history`."""
        e = self._reads.tables.events.c
        stmt = (
            sa.select(e.seq, e.at, e.kind, e.name, e.actor, e.prev_hash, e.hash, e.body)
            .where(e.case_id == case_id, e.seq > after)
            .order_by(e.seq)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
            # read after the events: a save commits its events and the row together, so
            # every event read is below the version read here unless it was inserted
            # outside the store
            head = conn.execute(self._reads.select_case, {"b_id": case_id}).first()
        if head is None:
            raise CaseNotFoundError(f"no stored case {case_id!r}")
        if rows and rows[-1].seq >= head.version:
            past = next(r.seq for r in rows if r.seq >= head.version)
            raise IntegrityError(
                f"case {case_id!r}: an event row with seq {past} lies past the head (the "
                f"case row records {head.version} events): inserted outside the store"
            )
        events = [checked_event(case_id, r) for r in rows]
        for event in events:
            if event.expected_digest() != event.digest:
                raise IntegrityError(
                    f"case {case_id!r}, event {event.seq}: content does not match its hash (edited)"
                )
        return events

    def _pages(self, office: str | None, batch: int, after: str | None) -> Iterator[list[str]]:
        """The ids of the stored cases (of ``office``), ``batch`` at a time, in id order."""
        c = self._reads.tables.cases.c
        last = after
        while True:
            stmt = sa.select(c.id).order_by(c.id).limit(batch)
            if office is not None:
                stmt = stmt.where(c.office == office)
            if last is not None:
                stmt = stmt.where(c.id > last)
            with self._engine.connect() as conn:
                ids = list(conn.execute(stmt).scalars().all())
            if not ids:
                return
            yield ids
            last = ids[-1]

    def export_jsonl(self, out: TextIO, *, by: Actor | None, office: str | None) -> int:
        """See :meth:`SqlCaseStore.export_jsonl`."""
        count = 0
        for ids in self._pages(office, 500, None):
            with self._engine.connect() as conn:
                for case_id in ids:
                    case = self.decode(*self._reads.fetch(conn, case_id))
                    case.verify()
                    doc = self._loader.workflow_of(case).export(case, by=by)
                    out.write(json.dumps(doc, ensure_ascii=False, sort_keys=True))
                    out.write("\n")
                    count += 1
        return count

    def iter_cases(self, *, office: str | None, batch: int, after: str | None) -> Iterator[Case]:
        """See :meth:`SqlCaseStore.iter_cases`."""
        for ids in self._pages(office, batch, after):
            grouped: dict[str, list[Any]] = {case_id: [] for case_id in ids}
            with self._engine.connect() as conn:
                for row in conn.execute(self._reads.many_without_persons, {"b_ids": ids}):
                    grouped[row.mc_case].append(row)
            for case_id, rows in grouped.items():
                case = self.decode(*stored_rows(case_id, rows, persons_read=False))
                case.verify()
                yield case
