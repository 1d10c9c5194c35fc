"""How the SQL store loads: stored records to the core loader, its own checks, a cache.

The store reads rows (:mod:`._reading`); :class:`Loads` hands them to the core loader
(:class:`~migrantcare.cases._loader.CaseLoader`) with the checks only this store has
(its extra columns, the seal), skips the replay of a sealed case on the current
calendar, and remembers verified cases when the host opted in (``verified_cache``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, TextIO

import sqlalchemy as sa

from migrantcare._time import read_utc
from migrantcare._validate import MAX_TEXT, plain_text
from migrantcare.cases._loader import CaseLoader, Loaded, StoreCheck, StoredCase, checked_event
from migrantcare.exceptions import CaseNotFoundError, IntegrityError, MigrantCareError
from migrantcare.offices._actors import Actor
from migrantcare.records._case import (
    GENESIS_DIGEST,
    GENESIS_HASH,
    Case,
    CaseEvent,
    actor_text,
    hash_head,
    hashed_text,
    is_instant_text,
    new_event,
)
from migrantcare.sql._reading import OneRow, Reads, RowColumns, stored_one, stored_rows, utc
from migrantcare.sql._rowcheck import check_columns
from migrantcare.sql._seal import SEAL_FIELD, Sealer
from migrantcare.sql._writing import header

#: The canonical JSON of event data (``canonical_json`` without its checks), one encoder.
_CANONICAL: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
#: What a row of another shape, or a text that is not one, raises in the quick reading.
_ODD_ROW: Final = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    UnicodeEncodeError,
)


def _agrees(position: int, item: Sequence[Any], doc: dict[str, Any], prev_hash: str) -> bool:
    """Whether a stored row's columns equal its document, at ``position`` of the chain."""
    seq, _, kind, name, actor, prev, hash_, _ = item
    note = doc["note"]
    return (
        type(doc["seq"]) is int
        and doc["seq"] == position == seq
        and prev == prev_hash == doc["prev_hash"]
        and doc["hash"] == hash_
        and doc["kind"] == kind
        and doc["name"] == name
        and doc["by"] == actor
        and type(doc["data"]) is dict
        and None not in (kind, name, actor, doc["dest"])
        and (note is None or (type(note) is str and len(note) <= MAX_TEXT and note.isascii()))
    )


def _instant(at: Any, text: Any) -> _dt.datetime | None:
    """The instant of the document's ``text``, or ``None``.

    ``None`` unless ``text`` is the writer's own text of its instant (the digest is
    computed from it) and the ``at`` column gives the same instant.
    """
    when = read_utc(text)
    if when is None or not is_instant_text(text, when):
        return None
    if at != text and utc(_dt.datetime.fromisoformat(at) if type(at) is str else at) != when:
        return None
    return when


class _Chain:
    """One pass over a sealed case's stored rows: each read once, every digest chained.

    What :meth:`CaseLoader.decode` then ``Case.verify()`` give (the same events), for
    rows the quick reading of the core loader would accept: the columns against the
    document, the texts plain, then the digest computed from the texts as stored (the
    instant's own text, which must be the one the writer writes) and compared *as text*
    with the stored hash, and the link with the previous stored hash: no hex is read,
    no event hashed twice. The data's canonical JSON is written without
    ``check_json``'s walk: the event is accepted only when the hash of that very text
    chains on, to a head the caller then checks against the seal.
    """

    __slots__ = ("dest", "digest", "hash", "heads", "plain", "whos")

    def __init__(self) -> None:
        self.plain: set[Any] = {None}  # texts found plain in this load (None: optional)
        self.heads: dict[tuple[Any, ...], str] = {}
        self.whos: dict[tuple[Any, ...], str] = {}
        self.digest, self.hash, self.dest = GENESIS_DIGEST, GENESIS_HASH, None

    def _all_plain(self, texts: tuple[Any, ...]) -> bool:
        plain = self.plain
        if plain.issuperset(texts):
            return True
        for text in texts:
            if text not in plain:
                if not plain_text(text):
                    return False
                plain.add(text)
        return True

    def _follows(self, position: int, kind: Any, source: Any) -> bool:
        """Whether the event starts where the previous one left the case."""
        return bool(source == self.dest if position else kind == "opened")

    def _who(self, actor: str, role: str | None, office: str | None) -> str:
        by = (actor, role, office)
        who = self.whos.get(by)
        if who is None:
            who = self.whos[by] = actor_text(actor, role, office)
        return who

    def _head(self, kind: str, name: str, source: str | None, dest: str) -> str:
        step = (kind, name, source, dest)
        head = self.heads.get(step)
        if head is None:
            head = self.heads[step] = hash_head(kind, name, source, dest)
        return head

    def event(self, position: int, item: Sequence[Any]) -> CaseEvent | None:
        """The event of the row at ``position``, chained on; ``None`` when it cannot vouch."""
        seq, at, kind, name, actor, _, hash_, doc = item
        if type(doc) is not dict or not _agrees(position, item, doc, self.hash):
            return None
        source, dest, role, office = doc["source"], doc["dest"], doc["role"], doc["by_office"]
        if not self._follows(position, kind, source):
            return None
        if not self._all_plain((kind, name, actor, dest, source, role, office)):
            return None
        when = _instant(at, doc["at"])
        if when is None:
            return None
        raw, note = doc["data"], doc["note"]
        data = _CANONICAL(raw) if raw else "{}"
        who = self._who(actor, role, office)
        text = hashed_text(seq, self._head(kind, name, source, dest), doc["at"], who, note, data)
        digest = hashlib.sha256(self.digest + text.encode()).digest()
        if digest.hex() != hash_:
            return None
        event = new_event(
            seq, kind, name, source, dest, when, actor, role, office, note, data,
            self.digest, digest,
        )  # fmt: skip
        self.digest, self.hash, self.dest = digest, hash_, dest
        return event


def _quick_shape(stored: StoredCase) -> bool:
    """Whether ``stored`` is whole (persons read, one row per event) with a header document."""
    return (
        type(stored.header) is dict and stored.persons_read and len(stored.events) == stored.version
    )


def sealed_events(items: Sequence[Any]) -> tuple[CaseEvent, ...] | None:
    """The events of a case's stored rows, every hash recomputed and chained (see _Chain).

    ``None`` on anything the quick reading cannot vouch for: the careful path then
    refuses it, naming the row, or accepts it.
    """
    chain = _Chain()
    events = []
    try:
        for position, item in enumerate(items):
            event = chain.event(position, item)
            if event is None:
                return None
            events.append(event)
    except _ODD_ROW:
        return None
    return tuple(events) if events else None


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
            # the quick way first; whatever it cannot vouch for is read the careful way,
            # which accepts the same cases and names what is wrong
            case = self.sealed_quick(stored, columns)
            if case is None:
                case = self._loader.decode(stored, check)  # every row, column and the seal
                case.verify()  # every hash and link
            if self._loader.on_current_calendar(case):
                return case
            loaded = self._loader.verified(case)
        else:
            loaded = self._loader.load(stored, check)
        self._remember(loaded)
        return loaded.case

    def sealed_quick(self, stored: StoredCase, columns: RowColumns) -> Case | None:
        """The sealed case ``stored`` holds when nothing in it needs a second look.

        One pass over the rows (:func:`sealed_events`: each row against its document,
        every digest recomputed from the stored texts and chained), the newest hash
        against the row's head, the seal checked over the documents *as stored*
        (:meth:`Sealer.matches_stored`: no header is rebuilt for it), then the case
        built from them and its columns checked as the careful path checks them.
        ``None`` on anything else: :meth:`load` then reads it the careful way.
        """
        sealer, header = self._sealer, stored.header
        if sealer is None or not _quick_shape(stored):
            return None
        events = sealed_events(stored.events)
        if events is None or events[-1].hash != stored.head:
            return None
        persons = (stored.complainant, stored.worker)
        if not sealer.matches_stored(stored.id, len(events), stored.head, header, persons):
            return None

        def check(case: Case, _doc: Any) -> None:
            check_columns(case.id, case, columns)

        try:
            case = self._loader.assemble(stored, events, check)
        except MigrantCareError:
            return None
        return case if events[-1].dest == case.state else None

    def load_many_in(
        self, conn: sa.Connection, ids: Sequence[str], *, lock: bool
    ) -> dict[str, Case | MigrantCareError]:
        """See :meth:`SqlCaseStore.load_many_in` (``ids`` checked, without repeats)."""
        if not ids:
            return {}
        if lock:
            self._reads.lock(conn, ids)
        if self._reads.many_one is not None:
            # PostgreSQL: one row per case, its events aggregated (see Reads)
            return self.load_one_rows(ids, conn.execute(self._reads.many_one, {"b_ids": ids}))
        grouped: dict[str, list[Any]] = {case_id: [] for case_id in ids}
        for row in conn.execute(self._reads.many, {"b_ids": ids}):
            grouped[row.mc_case].append(row)
        return self._each(ids, lambda case_id: stored_rows(case_id, grouped[case_id]))

    def load_one_rows(
        self, ids: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> dict[str, Case | MigrantCareError]:
        """The loads of ``ids`` from ``Reads.many_one``'s rows (the id, then a ``OneRow``)."""
        found = {row[0]: row for row in rows}

        def stored(case_id: str) -> tuple[StoredCase, RowColumns]:
            row = found.get(case_id)
            return stored_one(case_id, None if row is None else OneRow._make(row[1:]))

        return self._each(ids, stored)

    def _each(
        self, ids: Sequence[str], read: Callable[[str], tuple[StoredCase, RowColumns]]
    ) -> dict[str, Case | MigrantCareError]:
        """The load of each id, in order; a case that does not load maps to its error."""
        loaded: dict[str, Case | MigrantCareError] = {}
        for case_id in ids:
            try:
                loaded[case_id] = self.load(*read(case_id))
            except MigrantCareError as exc:
                loaded[case_id] = exc
        return loaded

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
