"""Case records: the person, the event history (audit trail) and serialisation.

A :class:`Case` is a frozen value. Every change appends a :class:`CaseEvent`; each event
carries the SHA-256 of its content and of the previous event (a hash chain), so an
auditor can tell that no entry was edited, removed or reordered.

Personal data (names, passport numbers, NIK, phone numbers) lives only in
:class:`Person` values on the case record, never in events: events are hashed and kept
forever, while a person's data may have to be corrected or erased.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

import attrs

from migrantcare._sla_state import SlaClock, clock_from_dict
from migrantcare._time import as_utc, parse_utc, require_aware
from migrantcare._vocab import check_code
from migrantcare.exceptions import IntegrityError, InvalidArgumentError, SchemaError, WrongTypeError

#: The schema id written by :meth:`Case.to_dict`; bump on incompatible changes.
CASE_SCHEMA: Final = "migrantcare.case/1"
#: The "previous hash" of the first event of every history.
GENESIS_HASH: Final = "0" * 64
_GENESIS_DIGEST: Final = bytes(32)
_UTC = _dt.timezone.utc
_REDACTED = "<redacted>"


def _redact(value: str | None) -> str:
    return "None" if value is None else _REDACTED


@attrs.frozen(repr=False)
class Person:
    """A complainant or worker. Its personal data never appears in ``repr`` or errors.

    Attributes:
        name: Full name.
        kind: Complainant type code (``"pmi"``, ``"family"``, …; see ``COMPLAINANT_TYPES``).
        passport_number: Passport number, if known.
        nik: Indonesian national identity number (16 digits), if known.
        phone: Phone or WhatsApp number, if known.

    Examples:
        >>> Person("Siti Aminah", kind="pmi", passport_number="C1234567")
        Person(kind='pmi', name=<redacted>, passport_number=<redacted>, nik=None, phone=None)
    """

    name: str
    kind: str = "pmi"
    passport_number: str | None = None
    nik: str | None = None
    phone: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidArgumentError("a person needs a non-empty name (value not shown)")
        check_code(self.kind, "person kind")
        for field in ("passport_number", "nik", "phone"):
            value = getattr(self, field)
            if value is not None and not isinstance(value, str):
                raise WrongTypeError(f"{field} must be a str or None, got {type(value).__name__}")
        if self.nik is not None and not (len(self.nik) == 16 and self.nik.isdigit()):
            # never echo the value: it is personal data
            raise InvalidArgumentError(
                f"nik must be 16 digits; got {len(self.nik)} characters (value not shown)"
            )

    def __repr__(self) -> str:
        return (
            f"Person(kind={self.kind!r}, name={_REDACTED}, "
            f"passport_number={_redact(self.passport_number)}, nik={_redact(self.nik)}, "
            f"phone={_redact(self.phone)})"
        )

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython and Hypothesis would otherwise print the fields, personal data included.
        printer.text(repr(self))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible dict (it contains the personal data: store it safely)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "passport_number": self.passport_number,
            "nik": self.nik,
            "phone": self.phone,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Person:
        """Rebuild a person from :meth:`to_dict` output."""
        try:
            return cls(**data)
        except TypeError as exc:
            raise SchemaError(f"person record has unexpected fields: {sorted(data)}") from exc


def canonical_json(data: Mapping[str, Any] | None, what: str = "data") -> str:
    """Return the canonical JSON text of ``data`` (sorted keys, no spaces)."""
    if not data:
        return "{}"
    if not isinstance(data, Mapping):
        raise WrongTypeError(f"{what} must be a mapping, got {type(data).__name__}")
    try:
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"{what} must be JSON-compatible (str, int, float, bool, None, lists, dicts "
            f"with str keys): {exc}"
        ) from None


def event_hash(  # noqa: PLR0917 - hot path, positional on purpose
    seq: int,
    kind: str,
    name: str,
    source: str | None,
    dest: str,
    at: str,
    by: str,
    note: str | None,
    data_json: str,
    prev_digest: bytes,
) -> bytes:
    """Return the SHA-256 digest chaining one event to the previous one.

    Fields are length-prefixed (``None`` as ``-``), so no choice of note or data can make
    two different events hash alike.
    """
    src = "-" if source is None else f"{len(source)}:{source}"
    nt = "-" if note is None else f"{len(note)}:{note}"
    text = (
        f"{seq}|{len(kind)}:{kind}{len(name)}:{name}{src}{len(dest)}:{dest}"
        f"{len(at)}:{at}{len(by)}:{by}{nt}{len(data_json)}:{data_json}"
    )
    digest = hashlib.sha256(prev_digest)
    digest.update(text.encode())
    return digest.digest()


@attrs.frozen(repr=False)
class CaseEvent:
    """One entry of a case's audit trail.

    Attributes:
        seq: Position in the history, from 0 (the opening).
        kind: ``"opened"``, ``"transition"``, ``"migrated"``, or a kind added by a later
            part of the library (``"sla"``).
        name: The trigger (``"verify"``), or ``"open"`` / ``"migrate"``.
        source: The state before, ``None`` for the opening.
        dest: The state after.
        at: When it happened, as an aware ``datetime`` in UTC (the instant is what is
            stored; show it in the office's zone).
        by: Who did it: an officer or system id (not personal data).
        note: Free text for the file; never shown in ``repr``.
        data_json: Structured details as canonical JSON (see :attr:`data`).
        prev_digest: The previous event's SHA-256 digest (zeros for the first).
        digest: SHA-256 over the previous digest and this event's fields; see
            :attr:`hash` for its hex form.
    """

    seq: int
    kind: str
    name: str
    source: str | None
    dest: str
    at: _dt.datetime
    by: str
    note: str | None
    data_json: str
    prev_digest: bytes
    digest: bytes

    @property
    def hash(self) -> str:
        """This event's SHA-256, in hex."""
        return self.digest.hex()

    @property
    def prev_hash(self) -> str:
        """The previous event's SHA-256, in hex (zeros for the first event)."""
        return self.prev_digest.hex()

    @property
    def data(self) -> dict[str, Any]:
        """The structured details as a new dict (changing it changes nothing)."""
        value: dict[str, Any] = json.loads(self.data_json)
        return value

    def __repr__(self) -> str:
        return (
            f"CaseEvent(seq={self.seq}, kind={self.kind!r}, name={self.name!r}, "
            f"source={self.source!r}, dest={self.dest!r}, at={self.at.isoformat()!r}, "
            f"by={self.by!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def expected_digest(self) -> bytes:
        """Recompute the digest from the fields (equal to :attr:`digest` unless tampered)."""
        return event_hash(
            self.seq,
            self.kind,
            self.name,
            self.source,
            self.dest,
            self.at.isoformat(),
            self.by,
            self.note,
            self.data_json,
            self.prev_digest,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible dict."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "name": self.name,
            "source": self.source,
            "dest": self.dest,
            "at": self.at.isoformat(),
            "by": self.by,
            "note": self.note,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseEvent:
        """Rebuild an event from :meth:`to_dict` output (the hash is kept, not recomputed)."""
        try:
            return cls(
                seq=int(data["seq"]),
                kind=str(data["kind"]),
                name=str(data["name"]),
                source=data["source"],
                dest=str(data["dest"]),
                at=parse_utc(data["at"]),
                by=str(data["by"]),
                note=data["note"],
                data_json=canonical_json(data["data"]),
                prev_digest=bytes.fromhex(data["prev_hash"]),
                digest=bytes.fromhex(data["hash"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemaError(f"event record is malformed: missing or bad field {exc}") from None


def make_event(  # noqa: PLR0917 - hot path, positional on purpose
    prev: CaseEvent | None,
    kind: str,
    name: str,
    source: str | None,
    dest: str,
    at: _dt.datetime,
    by: str,
    note: str | None,
    data_json: str,
) -> CaseEvent:
    """Build the next event of a history, hash included. ``at`` must already be UTC."""
    seq = 0 if prev is None else prev.seq + 1
    prev_digest = _GENESIS_DIGEST if prev is None else prev.digest
    digest = event_hash(
        seq, kind, name, source, dest, at.isoformat(), by, note, data_json, prev_digest
    )
    return CaseEvent(seq, kind, name, source, dest, at, by, note, data_json, prev_digest, digest)


def utc(value: object, what: str) -> _dt.datetime:
    """Return the aware datetime ``value`` as a plain ``datetime`` in UTC (see ``as_utc``)."""
    if type(value) is _dt.datetime and value.tzinfo is _UTC:
        return value
    return as_utc(require_aware(value, what))


def check_actor(by: object) -> str:
    """Return ``by`` if it is a non-empty actor id."""
    if not isinstance(by, str) or not by.strip():
        raise InvalidArgumentError(
            f"by must be a non-empty actor id (an officer or system id), got {by!r}"
        )
    return by


@attrs.frozen(repr=False)
class Case:
    """A migrant-protection case: a frozen record and its audit trail.

    Build one with ``Workflow.open`` and change it with ``Workflow.fire``; both return
    new values. Store it with :meth:`to_dict`, load it with :meth:`from_dict`.

    Attributes:
        id: The host's case number, e.g. ``"PGD-2026-000123"``.
        workflow: The workflow's name, e.g. ``"complaint"``.
        workflow_version: The workflow definition's version.
        state: The current state id.
        office: The handling office's id, e.g. ``"bp3mi-ntt"``.
        category: Category code from the workflow's vocabulary.
        channel: Channel code.
        priority: Priority code.
        opened_at: When the case was opened (aware ``datetime`` in UTC).
        complainant: Who complained (personal data, redacted in ``repr``).
        worker: The worker concerned, when not the complainant.
        attributes_json: Integrator attributes as canonical JSON (see :attr:`attributes`).
        events: The audit trail, oldest first.
        clocks: SLA clock state, maintained by the SLA part of the library.
        calendar_version: The working-calendar version the case's deadlines use.
    """

    id: str
    workflow: str
    workflow_version: int
    state: str
    office: str
    category: str
    channel: str
    priority: str
    opened_at: _dt.datetime
    complainant: Person | None
    worker: Person | None
    attributes_json: str
    events: tuple[CaseEvent, ...]
    clocks: tuple[SlaClock, ...] = ()
    calendar_version: str | None = None

    @property
    def version(self) -> int:
        """The number of events: grows by one per change (use it for optimistic locking)."""
        return len(self.events)

    @property
    def head_hash(self) -> str:
        """The hash of the newest event; keep it elsewhere to detect a truncated history."""
        return self.events[-1].digest.hex() if self.events else GENESIS_HASH

    @property
    def attributes(self) -> dict[str, Any]:
        """Integrator attributes (destination country, placement status, …) as a new dict."""
        value: dict[str, Any] = json.loads(self.attributes_json)
        return value

    def __repr__(self) -> str:
        return (
            f"Case(id={self.id!r}, workflow='{self.workflow}@{self.workflow_version}', "
            f"state={self.state!r}, version={self.version}, office={self.office!r}, "
            f"category={self.category!r})"
        )

    def evolved(self, state: str, event: CaseEvent, **changes: Any) -> Case:
        """Return this case in ``state`` with ``event`` appended (internal fast path)."""
        if changes:
            return attrs.evolve(self, state=state, events=(*self.events, event), **changes)
        # A direct constructor call is several times cheaper than attrs.evolve's
        # field-by-field introspection, and this runs once per event.
        return Case(
            self.id,
            self.workflow,
            self.workflow_version,
            state,
            self.office,
            self.category,
            self.channel,
            self.priority,
            self.opened_at,
            self.complainant,
            self.worker,
            self.attributes_json,
            (*self.events, event),
            self.clocks,
            self.calendar_version,
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    # ---------------------------------------------------------------- integrity

    def verify(self, *, head_hash: str | None = None) -> None:
        """Check the audit trail: every hash, the chain, and the states it leads through.

        Args:
            head_hash: The newest hash as recorded elsewhere; when given, a history cut
                short (newest events removed) is detected too.

        Raises:
            IntegrityError: naming the first event that fails and why.
        """
        prev_digest, prev_dest = _GENESIS_DIGEST, None
        if not self.events:
            raise IntegrityError(f"case {self.id!r} has no events; every case starts opened")
        for position, event in enumerate(self.events):
            where = f"case {self.id!r}, event {position}"
            if event.seq != position:
                raise IntegrityError(f"{where}: sequence number {event.seq}, expected {position}")
            if event.prev_digest != prev_digest:
                raise IntegrityError(f"{where}: previous-hash link broken (removed or reordered)")
            if event.expected_digest() != event.digest:
                raise IntegrityError(f"{where}: content does not match its hash (edited)")
            if position == 0 and event.kind != "opened":
                raise IntegrityError(
                    f"{where}: the first event must be 'opened', got {event.kind!r}"
                )
            if position and event.source != prev_dest:
                raise IntegrityError(
                    f"{where}: starts from {event.source!r} but the case was in {prev_dest!r}"
                )
            prev_digest, prev_dest = event.digest, event.dest
        if prev_dest != self.state:
            raise IntegrityError(
                f"case {self.id!r}: state {self.state!r} differs from the history's {prev_dest!r}"
            )
        if head_hash is not None and head_hash != prev_digest.hex():
            raise IntegrityError(
                f"case {self.id!r}: newest hash differs from the recorded head "
                "(events removed from the end, or a different case)"
            )

    # ---------------------------------------------------------------- persistence

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible dict with an explicit schema id.

        ``Case.from_dict(case.to_dict()) == case`` for every case.
        """
        return {
            "schema": CASE_SCHEMA,
            "id": self.id,
            "workflow": self.workflow,
            "workflow_version": self.workflow_version,
            "state": self.state,
            "office": self.office,
            "category": self.category,
            "channel": self.channel,
            "priority": self.priority,
            "opened_at": self.opened_at.isoformat(),
            "complainant": None if self.complainant is None else self.complainant.to_dict(),
            "worker": None if self.worker is None else self.worker.to_dict(),
            "attributes": self.attributes,
            "events": [e.to_dict() for e in self.events],
            "clocks": [c.to_dict() for c in self.clocks],
            "calendar_version": self.calendar_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Case:
        """Rebuild a case from :meth:`to_dict` output.

        Raises:
            SchemaError: the schema id is missing or unknown, or a field is malformed.
        """
        if not isinstance(data, Mapping):
            raise SchemaError(f"a case record must be a mapping, got {type(data).__name__}")
        schema = data.get("schema")
        if schema != CASE_SCHEMA:
            raise SchemaError(f"unknown case schema {schema!r}; this version reads {CASE_SCHEMA!r}")
        try:
            return cls(
                id=str(data["id"]),
                workflow=str(data["workflow"]),
                workflow_version=int(data["workflow_version"]),
                state=str(data["state"]),
                office=str(data["office"]),
                category=str(data["category"]),
                channel=str(data["channel"]),
                priority=str(data["priority"]),
                opened_at=parse_utc(data["opened_at"]),
                complainant=None
                if data["complainant"] is None
                else Person.from_dict(data["complainant"]),
                worker=None if data["worker"] is None else Person.from_dict(data["worker"]),
                attributes_json=canonical_json(data["attributes"], "attributes"),
                events=tuple(CaseEvent.from_dict(e) for e in data["events"]),
                clocks=tuple(clock_from_dict(c) for c in data.get("clocks", ())),
                calendar_version=data.get("calendar_version"),
            )
        except KeyError as exc:
            raise SchemaError(f"case record lacks field {exc}") from None
