"""Finding a person's cases by NIK, passport or phone, without keeping the identifiers.

A *blind index*: for each identifier of each person the store keeps one keyed hash,
HMAC-SHA-256 under the host's key, of the identifier normalised (NIK: digits;
passport: upper case without spaces; phone: E.164, Indonesia's +62 by default). The
key is the host's: it is passed to the store and never written to the tables, so the
rows reveal nothing to someone who has the database alone, and a dictionary of all
NIKs is useless without it. The rows sit beside the person rows (a foreign key to
them) and an erasure deletes them: afterwards the person is not found, and nothing
derived from their identifiers is left.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import sqlalchemy as sa

from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.offices._actors import Actor, check_actor
from migrantcare.offices._permissions import READ_PERSONAL_DATA
from migrantcare.records._case import Person

if TYPE_CHECKING:
    from migrantcare.cases._workflow import Workflow
    from migrantcare.sql._schema import CaseTables

#: The shortest key accepted, in bytes (HMAC-SHA-256 is as strong as its key).
MIN_KEY_BYTES: Final = 16

_DIGITS: Final = frozenset("0123456789")
_PHONE_SEPARATORS: Final = str.maketrans("", "", " \t-.()/")
#: E.164: at most 15 digits after the "+"; fewer than 8 is no phone number.
_PHONE_DIGITS: Final = range(8, 16)
_MAX_INPUT: Final = 100


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise WrongTypeError(f"{field} must be a str, got {type(value).__name__}")
    if len(value) > _MAX_INPUT:
        raise InvalidArgumentError(
            f"{field} is {len(value)} characters long; at most {_MAX_INPUT} are accepted "
            "(value not shown)"
        )
    return value


def normalise_nik(value: str) -> str:
    """Return the NIK's digits; it must have 16 (separators are dropped).

    Raises:
        InvalidArgumentError: not 16 digits (the value is never shown).

    Examples:
        >>> normalise_nik("5301-0101-0101-0001")
        '5301010101010001'
    """
    digits = "".join(ch for ch in _text(value, "nik") if ch in _DIGITS)
    if len(digits) != 16:
        raise InvalidArgumentError(f"nik must have 16 digits; got {len(digits)} (value not shown)")
    return digits


def normalise_passport(value: str) -> str:
    """Return the passport number in upper case without spaces.

    Raises:
        InvalidArgumentError: empty, or not letters and digits (never shown).

    Examples:
        >>> normalise_passport(" c 123 4567 ")
        'C1234567'
    """
    text = "".join(_text(value, "passport").split()).upper()
    if not text or not text.isascii() or not text.isalnum():
        raise InvalidArgumentError(
            "passport must be letters and digits (spaces are dropped); value not shown"
        )
    return text


def normalise_phone(value: str, *, country: str = "62") -> str:
    """Return the phone number in E.164 form, Indonesia's ``+62`` unless another is given.

    Spaces, dashes, dots, slashes and brackets are dropped. ``+…`` and ``00…`` carry
    their country code; a leading ``0`` is the trunk prefix of a national number
    (``0812…`` is ``+62812…``); a number that starts with ``62`` is read as carrying the
    country code; any other is national. A ``0`` written after ``+62`` is dropped.

    Raises:
        InvalidArgumentError: not a phone number: other characters, or fewer than 8 or
            more than 15 digits (the value is never shown).

    Examples:
        >>> normalise_phone("0812-3456-789")
        '+628123456789'
        >>> normalise_phone("+62 (0)812 3456 789")
        '+628123456789'
        >>> normalise_phone("00852 9123 4567")
        '+85291234567'
    """
    text = _text(value, "phone").translate(_PHONE_SEPARATORS)
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = country + text[1:]
    elif text.startswith(country):
        digits = text
    else:
        digits = country + text
    if digits.startswith(country + "0"):
        digits = country + digits[len(country) + 1 :]
    if not digits or not _DIGITS.issuperset(digits) or len(digits) not in _PHONE_DIGITS:
        raise InvalidArgumentError(
            "phone must be a phone number of 8 to 15 digits, with an optional + or 00 and "
            "a country code (+62 when it starts with 0); value not shown"
        )
    return "+" + digits


_NORMALISERS: Final = {
    "nik": normalise_nik,
    "passport": normalise_passport,
    "phone": normalise_phone,
}
#: Which field of a Person each kind of identifier comes from.
_FIELDS: Final = {"nik": "nik", "passport": "passport_number", "phone": "phone"}


def check_key(key: object) -> bytes | None:
    """Return the host's key (or ``None``), checked: bytes, :data:`MIN_KEY_BYTES` or more."""
    if key is None:
        return None
    if not isinstance(key, bytes):
        raise WrongTypeError(f"person_key must be bytes, got {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise InvalidArgumentError(
            f"person_key must be at least {MIN_KEY_BYTES} bytes (random, kept secret); "
            f"got {len(key)} bytes"
        )
    return key


def digest(key: bytes, kind: str, normalised: str) -> bytes:
    """The keyed hash of one normalised identifier (the kind is part of the message)."""
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).digest()


def person_digests(key: bytes, person: Person) -> dict[str, bytes]:
    """The keyed hashes of a person's identifiers, by kind.

    An identifier that does not normalise (a phone written as words) is left out: it
    cannot be looked up, and a save must not fail for it.
    """
    found = {}
    for kind, field in _FIELDS.items():
        value = getattr(person, field)
        if value is None:
            continue
        try:
            found[kind] = digest(key, kind, _NORMALISERS[kind](value))
        except InvalidArgumentError:
            continue
    return found


def key_rows(
    key: bytes, case_id: str, persons: Iterable[tuple[str, Person]]
) -> list[dict[str, Any]]:
    """The index rows of a case's persons (``(role, person)`` pairs)."""
    return [
        {"case_id": case_id, "role": role, "kind": kind, "digest": value}
        for role, person in persons
        for kind, value in person_digests(key, person).items()
    ]


def query_digests(
    key: bytes, *, nik: str | None, passport: str | None, phone: str | None
) -> list[bytes]:
    """The keyed hashes to look up; at least one identifier is needed.

    Raises:
        InvalidArgumentError: no identifier, or one that does not normalise.
    """
    given = {"nik": nik, "passport": passport, "phone": phone}
    if all(v is None for v in given.values()):
        raise InvalidArgumentError("give at least one of nik=, passport=, phone=")
    return [digest(key, k, _NORMALISERS[k](v)) for k, v in given.items() if v is not None]


def lookup_statement(tables: CaseTables) -> sa.Select[Any]:
    """Cases one of whose persons has one of the digests ``b_digests``, oldest first.

    A plain join (an index scan on the digest, then the case by its key): a case found
    twice (two identifiers, two persons) is left to :func:`visible` to name once.
    """
    c = tables.cases.c
    k = tables.person_keys.c
    return (
        sa.select(c.id, c.workflow, c.workflow_version, c.office)
        .join_from(tables.person_keys, tables.cases, k.case_id == c.id)
        .where(k.digest.in_(sa.bindparam("b_digests", expanding=True)))
        .order_by(c.opened_at, c.id)
    )


def may_read(workflow: Workflow | None, actor: Actor, office: str) -> bool:
    """Whether ``actor`` may read the personal data of a case of ``office``.

    The workflow's ``read_personal_data`` rule, as :meth:`Workflow.personal_data`
    applies it; a case whose workflow the store does not know is not shown.
    """
    if workflow is None:
        return False
    try:
        # the rule is case-wide: the case's office is all it reads of the case
        return workflow.may(_Where(office), READ_PERSONAL_DATA, by=actor)  # type: ignore[arg-type]
    except InvalidArgumentError:
        return False


class _Where(NamedTuple):
    """The part of a case a case-wide permission reads: its office."""

    office: str


def visible(
    rows: Sequence[Any], workflows: Mapping[tuple[str, int], Workflow], by: object
) -> tuple[str, ...]:
    """The ids of the rows ``by`` may read the personal data of, in their order, once."""
    actor = check_actor(by)
    found = {
        row.id: None
        for row in rows
        if may_read(workflows.get((row.workflow, row.workflow_version)), actor, row.office)
    }
    return tuple(found)


def index_all(
    tables: CaseTables,
    transaction: Callable[[], AbstractContextManager[sa.Connection]],
    key: bytes,
    batch: int,
) -> int:
    """Re-index every person not erased, ``batch`` persons per ``transaction``."""
    p = tables.persons.c
    k = tables.person_keys
    page = (
        sa.select(p.case_id, p.role, p.data)
        .where(p.erased_at.is_(None))
        .order_by(p.case_id, p.role)
        .limit(batch)
    )
    done = 0
    after: tuple[str, str] | None = None
    while True:
        query = page if after is None else page.where(sa.tuple_(p.case_id, p.role) > after)
        with transaction() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return done
            pairs = [(row.case_id, row.role) for row in rows]
            conn.execute(k.delete().where(sa.tuple_(k.c.case_id, k.c.role).in_(pairs)))
            keys = [
                item
                for row in rows
                for item in key_rows(key, row.case_id, [(row.role, Person.from_dict(row.data))])
            ]
            if keys:
                conn.execute(k.insert(), keys)
        done += len(rows)
        after = pairs[-1]


def erase_keys(conn: sa.Connection, tables: CaseTables, case_id: str, role: str) -> None:
    """Delete the index rows of one person (in the erasure's transaction), any key's.

    Tables not yet at schema version 3 have no blind index: nothing to delete there.
    """
    k = tables.person_keys
    if not sa.inspect(conn).has_table(k.name, schema=k.schema):
        return
    conn.execute(k.delete().where(k.c.case_id == case_id, k.c.role == role))
