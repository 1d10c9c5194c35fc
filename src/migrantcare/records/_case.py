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
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from migrantcare._time import as_utc, parse_utc, read_utc, require_aware, shift_to_utc
from migrantcare._validate import (
    MAX_TEXT,
    check_hex_digest,
    check_int,
    check_json,
    check_list,
    check_mapping,
    check_optional_text,
    check_text,
    plain_text,
    quote,
    type_name,
)
from migrantcare._vocab import CODE_PATTERN
from migrantcare.exceptions import (
    IntegrityError,
    InvalidArgumentError,
    MigrantCareError,
    SchemaError,
    WrongTypeError,
)
from migrantcare.records._sla_state import SlaClock, clock_from_dict

#: The schema id written by :meth:`Case.to_dict`; bump on incompatible changes.
CASE_SCHEMA: Final = "migrantcare.case/2"
#: The "previous hash" of the first event of every history.
GENESIS_HASH: Final = "0" * 64
#: The digest before the first event's (its ``prev_hash`` as bytes).
GENESIS_DIGEST: Final = bytes(32)
_UTC = _dt.timezone.utc
#: How far before a case's newest event a new event may be dated and still be taken:
#: it is recorded at the newest event's instant. Two servers whose clocks differ by up
#: to this much (NTP keeps them within milliseconds) write to the same case without
#: refusals; an event dated further back is refused (events are in time order).
CLOCK_SKEW: Final = _dt.timedelta(seconds=5)
_new = object.__new__
_sha256 = hashlib.sha256
_DateTime = _dt.datetime
_ZoneInfo = zoneinfo.ZoneInfo
# datetime's own C methods, called on an instance of any subclass (pendulum's): they
# answer without the subclass's Python overrides and without per-field attribute lookups
_date_of = _DateTime.date
_timetz_of = _DateTime.timetz
_combine = _DateTime.combine
#: "00" to "99", for an event instant's ISO text (see make_event)
_TWO_DIGITS: Final = tuple(f"{n:02d}" for n in range(100))
_REDACTED = "<redacted>"
#: The longest case id, office id or actor id accepted.
_ID_LIMIT: Final = 200
#: The longest name, passport number, NIK or phone number accepted.
_PERSON_TEXT: Final = 1_000
_PERSON_FIELDS: Final = frozenset({"name", "kind", "passport_number", "nik", "phone"})


#: The header fields that replaying the history reproduces whatever the calendar.
HISTORY_FIELDS: Final = (
    "id",
    "workflow",
    "workflow_version",
    "state",
    "office",
    "category",
    "channel",
    "priority",
    "opened_at",
    "attributes_json",
)
#: The header fields ``Case.verify(workflows=...)`` compares with the replayed history.
_HEADER_FIELDS: Final = (*HISTORY_FIELDS, "clocks", "calendar_version")


def _shown(value: object) -> str:
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    return quote(value)


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
        # Personal data: no message below may quote a field's value, not even the kind.
        check_text(self.name, "a person's name", limit=_PERSON_TEXT, private=True)
        if type(self.kind) is not str:
            raise WrongTypeError(f"a person's kind must be a str, got {type_name(self.kind)}")
        if not CODE_PATTERN.fullmatch(self.kind):
            raise InvalidArgumentError(
                "a person's kind must be a complainant type code such as 'pmi' or 'family' "
                "(lower-case snake_case; value not shown)"
            )
        for field in ("passport_number", "nik", "phone"):
            check_optional_text(getattr(self, field), field, private=True)
            value = getattr(self, field)
            if value is not None and len(value) > _PERSON_TEXT:
                raise InvalidArgumentError(
                    f"{field} is {len(value)} characters long; at most {_PERSON_TEXT} are "
                    "accepted (value not shown)"
                )
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
        if not isinstance(data, Mapping):
            raise SchemaError(f"a person record must be a mapping, got {type_name(data)}")
        # the keys of a malformed record may themselves be personal data: count them only
        unexpected = sum(1 for key in data if key not in _PERSON_FIELDS)
        if unexpected:
            raise SchemaError(
                f"person record has {unexpected} unexpected field(s) (not shown); the "
                f"fields are {', '.join(sorted(_PERSON_FIELDS))}"
            )
        if "name" not in data:
            raise SchemaError("person record lacks field 'name'")
        try:
            return cls(**data)
        except MigrantCareError as exc:
            # messages of Person never carry a value; the chain is cut all the same
            raise SchemaError(f"person record is malformed: {exc}") from None


def canonical_json(
    data: Mapping[str, Any] | None, what: str = "data", *, checked: bool = True
) -> str:
    """Return the canonical JSON text of ``data`` (sorted keys, no spaces).

    ``data`` must be strict, bounded JSON data (see ``check_json``): NaN, infinity,
    lone surrogates, non-str keys, deep nesting and oversized values are refused.
    ``checked=False`` skips that for data the library built itself.
    """
    if data is None:
        return "{}"
    if not isinstance(data, Mapping):
        raise WrongTypeError(f"{what} must be a mapping or None, got {type_name(data)}")
    if not data:
        return "{}"
    if checked:
        if type(data) is not dict:
            data = dict(data)
        check_json(data, what)
    try:
        return json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"{what} must be JSON-compatible (str, int, float, bool, None, lists, dicts "
            f"with str keys): {exc}"
        ) from None


def hash_head(kind: str, name: str, source: str | None, dest: str) -> str:
    """The hashed text of an event's kind, name, source and destination (see ``event_hash``).

    It depends on the workflow's definition only, so a workflow computes it once per
    (state, event) instead of once per event.
    """
    src = "-" if source is None else f"{len(source)}:{source}"
    return f"{len(kind)}:{kind}{len(name)}:{name}{src}{len(dest)}:{dest}"


def actor_text(by: str, role: str | None, office: str | None) -> str:
    """The hashed text of an event's actor id, role and office (see ``event_hash``)."""
    rl = "-" if role is None else f"{len(role)}:{role}"
    of = "-" if office is None else f"{len(office)}:{office}"
    return f"{len(by)}:{by}{rl}{of}"


def hashed_text(  # noqa: PLR0917 - the hashed fields, in order
    seq: int, head: str, at: str, who: str, note: str | None, data_json: str
) -> str:
    """The text an event's digest covers after the previous digest.

    Every field is length-prefixed, ``None`` as ``-``. ``head`` is :func:`hash_head`'s
    text, ``who`` :func:`actor_text`'s and ``at`` the instant in ISO 8601.
    """
    nt = "-" if note is None else f"{len(note)}:{note}"
    return f"{seq}|{head}{len(at)}:{at}{who}{nt}{len(data_json)}:{data_json}"


def event_hash(  # noqa: PLR0917 - hot path, positional on purpose
    seq: int,
    kind: str,
    name: str,
    source: str | None,
    dest: str,
    at: str,
    by: str,
    role: str | None,
    office: str | None,
    note: str | None,
    data_json: str,
    prev_digest: bytes,
    head: str | None = None,
) -> bytes:
    """Return the SHA-256 digest chaining one event to the previous one.

    Fields are length-prefixed (``None`` as ``-``), so no choice of note or data can make
    two different events hash alike. ``head`` is ``hash_head(kind, name, source, dest)``
    when the caller has it precomputed (a workflow does, per state and event).
    """
    if head is None:
        head = hash_head(kind, name, source, dest)
    text = hashed_text(seq, head, at, actor_text(by, role, office), note, data_json)
    try:
        encoded = text.encode()
    except UnicodeEncodeError:
        # free on the happy path; names the field only when something is wrong
        bad = [
            label
            for label, value in (
                ("kind", kind),
                ("name", name),
                ("source", source),
                ("dest", dest),
                ("by", by),
                ("role", role),
                ("office", office),
                ("note", note),
                ("data", data_json),
            )
            if value is not None and _not_utf8(value)
        ]
        raise InvalidArgumentError(
            f"event {seq}: {', '.join(bad) or 'a field'} contains a lone surrogate (text that "
            "is not valid Unicode); pass valid UTF-8 text"
        ) from None
    if type(prev_digest) is not bytes:  # whatever hashlib makes of it, as before
        digest = hashlib.sha256(prev_digest)
        digest.update(encoded)
        return digest.digest()
    # one hash call over both parts: the same digest as sha256(prev) then update(text)
    return hashlib.sha256(prev_digest + encoded).digest()


def _not_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


class _EventSlots:
    # The storage of CaseEvent. Filling a bare instance of this plain slotted class
    # and giving it its frozen class costs a quarter of attrs' frozen __init__ (one
    # object.__setattr__ call per field): make_event runs once per event.
    __slots__ = (
        "__weakref__",
        "at",
        "by",
        "data_json",
        "dest",
        "digest",
        "kind",
        "name",
        "note",
        "office",
        "prev_digest",
        "role",
        "seq",
        "source",
    )


@attrs.frozen(repr=False, weakref_slot=False)
class CaseEvent(_EventSlots):
    """One entry of a case's audit trail.

    Attributes:
        seq: Position in the history, from 0 (the opening).
        kind: ``"opened"``, ``"transition"``, ``"migrated"``, ``"transferred"`` or
            ``"sla"`` (warnings, breaches, recomputes).
        name: The trigger (``"verify"``), or ``"open"`` / ``"migrate"`` / ``"transfer"``.
        source: The state before, ``None`` for the opening.
        dest: The state after.
        at: When it happened, as an aware ``datetime`` in UTC (the instant is what is
            stored; show it in the office's zone).
        by: Who did it: the :class:`~migrantcare.Actor` id (not personal data).
        role: The role that authorised it, or ``None``.
        office: The acting actor's office, or ``None`` (national roles, the system).
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
    role: str | None
    office: str | None
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
        """The structured details as a new dict (changing it changes nothing).

        Raises:
            IntegrityError: the recorded details are not a JSON object (an event built by
                hand, or a garbled row).
        """
        try:
            value = json.loads(self.data_json)
        except (TypeError, ValueError, RecursionError):  # not JSON, or nested too deep
            value = None
        if type(value) is not dict:
            raise IntegrityError(
                f"event {self.seq}: its recorded data is not a JSON object; "
                "the event was built by hand or its row was garbled"
            )
        return value

    def __repr__(self) -> str:
        return (
            f"CaseEvent(seq={self.seq}, kind={self.kind!r}, name={self.name!r}, "
            f"source={self.source!r}, dest={self.dest!r}, at={self.at.isoformat()!r}, "
            f"by={self.by!r}, role={self.role!r}, office={self.office!r})"
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
            self.role,
            self.office,
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
            "role": self.role,
            "by_office": self.office,
            "note": self.note,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseEvent:
        """Rebuild an event from :meth:`to_dict` output (the hash is kept, not recomputed).

        Nothing is coerced: every field must have the type :meth:`to_dict` writes.

        Raises:
            SchemaError: a field is missing, of the wrong type or impossible.
        """
        if type(data) is dict:
            # Loads parse every stored event: the common record (short ASCII texts, a
            # dict of data) is accepted here at a glance; anything else goes the checked
            # way below, which accepts a superset and names what is wrong.
            event = _plain_event(cls, data)
            if event is not None:
                return event
        data = check_mapping(data, "an event record")
        try:
            raw = data["data"]
            check_mapping(raw, "event data")
            return cls(
                seq=check_int(data["seq"], "event seq", minimum=0, error=SchemaError),
                kind=_stored_text(data["kind"], "event kind"),
                name=_stored_text(data["name"], "event name"),
                source=None if data["source"] is None else _stored_text(data["source"], "source"),
                dest=_stored_text(data["dest"], "event dest"),
                at=parse_utc(data["at"], "event time"),
                by=_stored_text(data["by"], "event by"),
                role=None if data["role"] is None else _stored_text(data["role"], "event role"),
                office=None
                if data["by_office"] is None
                else _stored_text(data["by_office"], "event by_office"),
                note=check_optional_text(data["note"], "event note", error=SchemaError),
                data_json=stored_json(raw, "event data"),
                prev_digest=check_hex_digest(data["prev_hash"], "prev_hash"),
                digest=check_hex_digest(data["hash"], "hash"),
            )
        except KeyError as exc:
            raise SchemaError(f"event record lacks field {quote(exc.args[0])}") from None


#: What :func:`plain_event_fields` reads from an event's document: the fields as
#: :func:`new_event` takes them, the instant's own text after the instant (``None``:
#: not known), and the two hashes as their (not yet decoded) hex text.
PlainFields = tuple[
    int,
    str,
    str,
    "str | None",
    str,
    _dt.datetime,
    "str | None",
    str,
    "str | None",
    "str | None",
    "str | None",
    str,
    str,
    str,
]


def _plain_texts(texts: tuple[object, ...], plain: set[str]) -> bool:
    """Whether every text is ``None`` or plain (see ``plain_text``); ``plain`` caches them.

    A history repeats its states, actors and triggers: after a few events every text
    is in ``plain`` already.
    """
    try:
        if plain.issuperset(texts):
            return True
    except TypeError:  # a list or a dict: not a text
        return False
    for text in texts:
        if text is None or (type(text) is str and text in plain):
            continue
        if not plain_text(text):
            return False
        plain.add(text)  # type: ignore[arg-type] # plain_text: a str
    return True


def _plain_shape(data: dict[str, Any]) -> tuple[Any, ...] | None:
    """The fields of an event document whose types need no second look, else ``None``."""
    try:
        seq, raw, note = data["seq"], data["data"], data["note"]
        prev_hash, hash_ = data["prev_hash"], data["hash"]
        texts = (data["kind"], data["name"], data["by"], data["dest"])
        optional = (data["source"], data["role"], data["by_office"])
        at = data["at"]
    except KeyError:
        return None
    if not (
        type(seq) is int
        and seq >= 0
        and type(raw) is dict
        and type(prev_hash) is str
        and len(prev_hash) == 64
        and type(hash_) is str
        and len(hash_) == 64
        and (note is None or (type(note) is str and len(note) <= MAX_TEXT and note.isascii()))
        and None not in texts
    ):
        return None
    return seq, raw, note, prev_hash, hash_, texts, optional, at


def plain_event_fields(data: dict[str, Any], plain: set[str]) -> PlainFields | None:
    """The fields of a stored event document when none needs a second look, else ``None``.

    The one quick reading of an event document: :meth:`CaseEvent.from_dict` takes it
    first, and so does the core loader for every stored row. It accepts only documents
    the checked reading accepts too, and gives the same fields; ``None`` sends the
    document to the checked reading, which names what is wrong. ``plain`` holds the
    texts found plain already (see :func:`_plain_texts`).

    Raises:
        SchemaError: the instant or the data is unreadable, as the checked reading says.
    """
    shape = _plain_shape(data)
    if shape is None:
        return None
    seq, raw, note, prev_hash, hash_, texts, optional, at = shape
    if not _plain_texts((*texts, *optional), plain):
        return None
    when = read_utc(at)
    if when is None:
        when = parse_utc(at, "event time")  # the general reading, or why not
    kind, name, by, dest = texts
    source, role, office = optional
    data_json = "{}" if not raw else stored_json(raw, "event data")
    return (
        seq,
        kind,
        name,
        source,
        dest,
        when,
        at,
        by,
        role,
        office,
        note,
        data_json,
        prev_hash,
        hash_,
    )


def _plain_event(cls: type[CaseEvent], data: dict[str, Any]) -> CaseEvent | None:
    """The event of a stored document whose fields need no second look, else ``None``.

    Accepts only records :meth:`CaseEvent.from_dict`'s checked path accepts too, and
    builds the same event (a ``cls`` other than :class:`CaseEvent` takes that path).
    """
    if cls is not CaseEvent:
        return None
    fields = plain_event_fields(data, set())
    return None if fields is None else event_from_fields(fields)


def event_from_fields(fields: PlainFields) -> CaseEvent | None:
    """The event of :func:`plain_event_fields`' fields; ``None`` when a hash is not hex."""
    seq, kind, name, source, dest, when, _, by, role, office, note, data_json, prev, hash_ = fields
    try:
        prev_digest, digest = bytes.fromhex(prev), bytes.fromhex(hash_)
    except ValueError:
        return None
    return new_event(
        seq, kind, name, source, dest, when, by, role, office, note, data_json, prev_digest, digest
    )


def _stored_text(value: object, what: str) -> str:
    return check_text(value, what, error=SchemaError)


def stored_json(value: object, what: str) -> str:
    """The canonical JSON text of a stored mapping ``value``.

    Raises:
        SchemaError: ``value`` is not strict, bounded JSON data.
    """
    try:
        return canonical_json(value, what)  # type: ignore[arg-type]
    except MigrantCareError as exc:
        raise SchemaError(f"stored {what} is not strict JSON: {exc}") from None


def make_event(  # noqa: PLR0917 - hot path, positional on purpose
    prev: CaseEvent | None,
    kind: str,
    name: str,
    source: str | None,
    dest: str,
    at: _dt.datetime,
    by: str,
    role: str | None,
    office: str | None,
    note: str | None,
    data_json: str,
    head: str | None = None,
    who: str | None = None,
    instant: str | None = None,
) -> CaseEvent:
    """Build the next event of a history, hash included. ``at`` must already be UTC.

    ``head`` is ``hash_head(kind, name, source, dest)``, ``who`` is
    ``actor_text(by, role, office)`` and ``instant`` the ISO text of ``at`` written
    here (see :func:`is_instant_text`), when the caller has them at hand.
    """
    if note is not None and (type(note) is not str or len(note) > MAX_TEXT or "\x00" in note):
        check_text(note, "note", empty=True)  # raises, naming what is wrong
    seq = 0 if prev is None else prev.seq + 1
    prev_digest = GENESIS_DIGEST if prev is None else prev.digest
    if head is None:
        head = hash_head(kind, name, source, dest)
    if who is None:
        who = actor_text(by, role, office)
    if instant is None:
        if at.tzinfo is _UTC and at.year > 999:
            # at.isoformat(), written here: datetime formats through printf, at twice the cost
            digits = _TWO_DIGITS
            instant = (
                f"{at.year}-{digits[at.month]}-{digits[at.day]}T{digits[at.hour]}:"
                f"{digits[at.minute]}:{digits[at.second]}"
            )
            micro = at.microsecond
            instant = f"{instant}.{micro:06d}+00:00" if micro else f"{instant}+00:00"
        else:
            instant = at.isoformat()
    try:
        # event_hash's digest (a test holds the two equal), with the parts at hand
        text = hashed_text(seq, head, instant, who, note, data_json)
        digest = _sha256(prev_digest + text.encode()).digest()
    except UnicodeEncodeError:
        # event_hash names the field that is not valid Unicode
        event_hash(
            seq, kind, name, source, dest, instant, by, role, office, note, data_json, prev_digest
        )
        raise  # pragma: no cover - event_hash raised above
    return new_event(
        seq, kind, name, source, dest, at, by, role, office, note, data_json, prev_digest, digest
    )


def is_instant_text(text: str, at: _dt.datetime) -> bool:
    """Whether ``text`` is the ISO text :func:`make_event` writes for ``at``.

    ``at`` must be what ``datetime.fromisoformat(text)`` gave, in UTC: the parse then
    vouches for the digits, and this for the layout the writer uses (a ``T``, seconds,
    six digits of a fraction only when it is not zero, and ``+00:00``). A replay hashes
    a stored event's own text when this holds, instead of writing it again.
    """
    size = len(text)
    if size == 25:
        if at.microsecond:
            return False
        tail = 19
    elif size == 32 and at.microsecond and text[19] == ".":
        tail = 26
    else:
        return False
    return (
        text[10] == "T"
        and text[4] == "-"
        and text[7] == "-"
        and text[13] == ":"
        and text[16] == ":"
        and text[tail:] == "+00:00"
    )


def new_event(  # noqa: PLR0917 - internal fast path, mirrors CaseEvent's fields
    seq: int,
    kind: str,
    name: str,
    source: str | None,
    dest: str,
    at: _dt.datetime,
    by: str,
    role: str | None,
    office: str | None,
    note: str | None,
    data_json: str,
    prev_digest: bytes,
    digest: bytes,
) -> CaseEvent:
    """``CaseEvent(...)`` with every field given and checked by the caller.

    Built without attrs' per-field setattr (a quarter of its frozen ``__init__``):
    ``make_event`` and the SQL store's reader build every event this way.
    """
    event: Any = _new(_EventSlots)
    event.seq = seq
    event.kind = kind
    event.name = name
    event.source = source
    event.dest = dest
    event.at = at
    event.by = by
    event.role = role
    event.office = office
    event.note = note
    event.data_json = data_json
    event.prev_digest = prev_digest
    event.digest = digest
    event.__class__ = CaseEvent
    return event  # type: ignore[no-any-return]


def utc(value: object, what: str) -> _dt.datetime:
    """Return the aware datetime ``value`` as a plain ``datetime`` in UTC (see ``as_utc``)."""
    if type(value) is _dt.datetime and value.tzinfo is _UTC:
        return value
    if isinstance(value, _DateTime):
        tz = value.tzinfo
        if isinstance(tz, _ZoneInfo):
            # The common case: a pendulum or stdlib instant in an IANA zone. The same
            # wall time, fold and zone as a plain datetime converts in C: zoneinfo reads
            # a subclass's fields by method calls, and pendulum converts in Python.
            day = _date_of(value)
            if 1 < day.year < 9999:
                return _combine(day, _timetz_of(value)).astimezone(_UTC)
        offset = value.utcoffset()
        if offset is not None:
            return shift_to_utc(value, offset)
    return as_utc(require_aware(value, what))


class _CaseSlots:
    # The storage of Case (see _EventSlots): every event builds a new Case.
    __slots__ = (
        "__weakref__",
        "attributes_json",
        "calendar_version",
        "calendar_zone",
        "category",
        "channel",
        "clocks",
        "complainant",
        "events",
        "id",
        "office",
        "opened_at",
        "priority",
        "state",
        "worker",
        "workflow",
        "workflow_version",
    )


def new_case(  # noqa: PLR0917 - internal fast path, mirrors Case's fields
    id: str,
    workflow: str,
    workflow_version: int,
    state: str,
    office: str,
    category: str,
    channel: str,
    priority: str,
    opened_at: _dt.datetime,
    complainant: Person | None,
    worker: Person | None,
    attributes_json: str,
    events: tuple[CaseEvent, ...],
    clocks: tuple[SlaClock, ...] = (),
    calendar_version: str | None = None,
    calendar_zone: str | None = None,
) -> Case:
    """``Case(...)`` with every field given, built without attrs' per-field setattr."""
    new: Any = _new(_CaseSlots)
    new.id = id
    new.workflow = workflow
    new.workflow_version = workflow_version
    new.state = state
    new.office = office
    new.category = category
    new.channel = channel
    new.priority = priority
    new.opened_at = opened_at
    new.complainant = complainant
    new.worker = worker
    new.attributes_json = attributes_json
    new.events = events
    new.clocks = clocks
    new.calendar_version = calendar_version
    new.calendar_zone = calendar_zone
    new.__class__ = Case
    return new  # type: ignore[no-any-return]


def next_case(  # noqa: PLR0917 - internal fast path
    case: Case,
    state: str,
    events: tuple[CaseEvent, ...],
    clocks: tuple[SlaClock, ...],
    calendar_version: str | None,
    calendar_zone: str | None,
) -> Case:
    """``case`` with a new state, history and SLA state; the rest carried over."""
    # new_case's body, inline: this runs once per event, and a call with sixteen
    # arguments costs about a twentieth of the event (cachegrind)
    new: Any = _new(_CaseSlots)
    new.id = case.id
    new.workflow = case.workflow
    new.workflow_version = case.workflow_version
    new.state = state
    new.office = case.office
    new.category = case.category
    new.channel = case.channel
    new.priority = case.priority
    new.opened_at = case.opened_at
    new.complainant = case.complainant
    new.worker = case.worker
    new.attributes_json = case.attributes_json
    new.events = events
    new.clocks = clocks
    new.calendar_version = calendar_version
    new.calendar_zone = calendar_zone
    new.__class__ = Case
    return new  # type: ignore[no-any-return]


@attrs.frozen(repr=False, weakref_slot=False)
class Case(_CaseSlots):
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
        calendar_zone: The IANA zone of that calendar (a calendar of another zone is
            refused, except by a transfer).
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
    calendar_zone: str | None = None

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

    def evolved_by(self, state: str, events: Sequence[CaseEvent]) -> Case:
        """Return this case in ``state`` with ``events`` appended, its clocks unchanged."""
        return next_case(
            self,
            state,
            (*self.events, *events),
            self.clocks,
            self.calendar_version,
            self.calendar_zone,
        )

    def evolved(self, state: str, event: CaseEvent, **changes: Any) -> Case:
        """Return this case in ``state`` with ``event`` appended (internal fast path)."""
        if changes:
            return attrs.evolve(self, state=state, events=(*self.events, event), **changes)
        return next_case(
            self,
            state,
            (*self.events, event),
            self.clocks,
            self.calendar_version,
            self.calendar_zone,
        )

    def tracked(
        self, clocks: tuple[SlaClock, ...], calendar_version: str, calendar_zone: str
    ) -> Case:
        """Return this case with new SLA clocks on a calendar (internal fast path)."""
        return next_case(self, self.state, self.events, clocks, calendar_version, calendar_zone)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    # ---------------------------------------------------------------- integrity

    def verify(
        self,
        *,
        head_hash: str | None = None,
        workflows: Any = None,
        calendar: Any = None,
    ) -> None:
        """Check the audit trail and, given the workflows, the whole record.

        Without ``workflows`` it checks every hash, the chain, and the states it leads
        through. With them it also replays the events and compares every header field
        (state, office, category, channel, priority, attributes, opened_at, workflow
        and version, SLA clocks and calendar version) with what the history gives, so
        an edit of the stored header is caught as well as an edit of an event.

        Args:
            head_hash: The newest hash as recorded elsewhere; when given, a history cut
                short (newest events removed) is detected too.
            workflows: The workflow the case runs on, or every version it ran on
                (needed when the history contains migrations).
            calendar: The office's working calendar the clocks were computed on;
                required with ``workflows`` that have an SLA plan.

        Raises:
            IntegrityError: naming the first event or header field that fails and why.
        """
        self._verify_chain(head_hash)
        if workflows is None:
            return
        rebuilt = _replayed_by(self, workflows, calendar)
        for field in _HEADER_FIELDS:
            stored, derived = getattr(self, field), getattr(rebuilt, field)
            if stored != derived:
                if field == "clocks":
                    raise IntegrityError(
                        f"case {quote(self.id)}: the stored SLA clocks differ from what its "
                        "history gives (edited, or computed on another calendar)"
                    )
                raise IntegrityError(
                    f"case {quote(self.id)}: stored {field} {_shown(stored)} differs from "
                    f"its history's {_shown(derived)} (the record was edited)"
                )

    def _verify_chain(self, head_hash: str | None) -> None:
        if head_hash is not None and type(head_hash) is not str:
            raise WrongTypeError(f"head_hash must be a hex str, got {type_name(head_hash)}")
        prev_digest, prev_dest = GENESIS_DIGEST, None
        if type(self.events) is not tuple or not self.events:
            raise IntegrityError(f"case {quote(self.id)} has no events; every case starts opened")
        for position, event in enumerate(self.events):
            where = f"case {quote(self.id)}, event {position}"
            if not isinstance(event, CaseEvent):
                raise IntegrityError(f"{where}: not a CaseEvent but {type_name(event)}")
            if event.seq != position:
                raise IntegrityError(
                    f"{where}: sequence number {quote(event.seq)}, expected {position}"
                )
            if event.prev_digest != prev_digest:
                raise IntegrityError(f"{where}: previous-hash link broken (removed or reordered)")
            try:
                expected = event.expected_digest()
            except MigrantCareError as exc:
                raise IntegrityError(f"{where}: cannot be hashed: {exc}") from None
            except (TypeError, AttributeError, ValueError):
                raise IntegrityError(f"{where}: a field has the wrong type (edited)") from None
            if expected != event.digest:
                raise IntegrityError(f"{where}: content does not match its hash (edited)")
            if position == 0 and event.kind != "opened":
                raise IntegrityError(
                    f"{where}: the first event must be 'opened', got {quote(event.kind)}"
                )
            if position and event.source != prev_dest:
                raise IntegrityError(
                    f"{where}: starts from {quote(event.source)} but the case was in "
                    f"{quote(prev_dest)}"
                )
            prev_digest, prev_dest = event.digest, event.dest
        if prev_dest != self.state:
            raise IntegrityError(
                f"case {quote(self.id)}: state {quote(self.state)} differs from the history's "
                f"{quote(prev_dest)}"
            )
        if head_hash is not None and head_hash != prev_digest.hex():
            raise IntegrityError(
                f"case {quote(self.id)}: newest hash differs from the recorded head "
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
            "calendar_zone": self.calendar_zone,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Case:
        """Rebuild a case from :meth:`to_dict` output.

        Nothing is coerced (``None`` never becomes ``"None"``, ``""`` never an empty
        list): every field must have the type :meth:`to_dict` writes. Fields this
        version does not know are ignored.

        Raises:
            SchemaError: the schema id is missing or unknown, or a field is missing, of
                the wrong type or impossible.
        """
        return case_from_document(data, None)


def case_from_document(
    data: Mapping[str, Any],
    events: tuple[CaseEvent, ...] | None,
    persons: tuple[Person | None, Person | None] | None = None,
) -> Case:
    """:meth:`Case.from_dict`; with ``events``, those (parsed already) instead of ``data``'s.

    A store keeps the events apart from the header: the loader decodes each once. So
    with ``persons``: the complainant and worker read already from ``data``'s records.

    Raises:
        SchemaError: as :meth:`Case.from_dict`.
    """
    if not isinstance(data, Mapping):
        raise SchemaError(f"a case record must be a mapping, got {type_name(data)}")
    schema = data.get("schema")
    if schema != CASE_SCHEMA:
        raise SchemaError(
            f"unknown case schema {quote(schema)}; this version reads {CASE_SCHEMA!r}"
        )
    try:
        complainant, worker = data["complainant"], data["worker"]
        stored_events = () if events is not None else check_list(data["events"], "events")
        clocks = check_list(data.get("clocks", ()), "clocks")
        calendar_version = data.get("calendar_version")
        if calendar_version is not None:
            _stored_text(calendar_version, "calendar_version")
        attributes = data["attributes"]
        check_mapping(attributes, "attributes")
        if persons is None:
            persons = (
                None if complainant is None else Person.from_dict(complainant),
                None if worker is None else Person.from_dict(worker),
            )
        return Case(
            id=_stored_text(data["id"], "case id"),
            workflow=_stored_text(data["workflow"], "workflow"),
            workflow_version=check_int(
                data["workflow_version"], "workflow_version", minimum=1, error=SchemaError
            ),
            state=_stored_text(data["state"], "state"),
            office=_stored_text(data["office"], "office"),
            category=_stored_text(data["category"], "category"),
            channel=_stored_text(data["channel"], "channel"),
            priority=_stored_text(data["priority"], "priority"),
            opened_at=parse_utc(data["opened_at"], "opened_at"),
            complainant=persons[0],
            worker=persons[1],
            attributes_json=stored_json(attributes, "attributes"),
            events=events
            if events is not None
            else tuple(CaseEvent.from_dict(e) for e in stored_events),
            clocks=tuple(clock_from_dict(c) for c in clocks),
            calendar_version=calendar_version,
            calendar_zone=None
            if data["calendar_zone"] is None
            else _stored_text(data["calendar_zone"], "calendar_zone"),
        )
    except KeyError as exc:
        raise SchemaError(f"case record lacks field {quote(exc.args[0])}") from None


#: The method of a workflow that replays a history (``Workflow.replay_case``): records
#: are a lower layer than the engine, so a case asks the workflows it is given.
_REPLAY_METHOD: Final = "replay_case"


def _replayer(value: object) -> bool:
    return callable(getattr(type(value), _REPLAY_METHOD, None))


def _replayed_by(case: Case, workflows: object, calendar: object) -> Case:
    """``case`` rebuilt from its history by the workflows given to :meth:`Case.verify`.

    Asks the first of them to replay it through all of them (see
    ``Workflow.replay_case``), which checks what they are.

    Raises:
        WrongTypeError: ``workflows`` is not a workflow or an iterable of them.
        IntegrityError: the history does not replay (none given, or refused).
    """
    if _replayer(workflows):
        pool: tuple[Any, ...] = (workflows,)
    elif isinstance(workflows, str | bytes | Mapping) or not isinstance(workflows, Iterable):
        raise WrongTypeError(
            f"workflows must be a Workflow or an iterable of them, got {type(workflows).__name__}"
        )
    else:
        pool = tuple(workflows)
    for workflow in pool:
        if _replayer(workflow):
            rebuilt: Case = getattr(workflow, _REPLAY_METHOD)(case, pool, calendar)
            return rebuilt
    if pool:
        raise WrongTypeError(f"workflows must be Workflow values, got {type(pool[0]).__name__}")
    try:
        info = case.events[0].data
        key = (info.get("workflow"), info.get("workflow_version"))
    except IntegrityError:
        key = (None, None)
    raise IntegrityError(f"case {case.id!r}: no workflow {key} given to replay it")


def in_time_order(case: Case, when: _dt.datetime) -> _dt.datetime:
    """The instant to record an event of ``case`` dated ``when`` (UTC) at.

    ``when`` itself when it is not before the newest event; the newest event's instant
    when it is at most :data:`CLOCK_SKEW` before it (clock skew between servers).

    Raises:
        InvalidArgumentError: ``when`` is further before the newest event.
    """
    last = case.events[-1].at
    if when >= last:
        return when
    if last - when <= CLOCK_SKEW:
        return last
    raise InvalidArgumentError(
        f"case {case.id!r}: {when.isoformat()} is before its last event "
        f"({last.isoformat()}) by more than {CLOCK_SKEW.total_seconds():g} seconds "
        "(the clock skew absorbed); events are recorded in time order"
    )
