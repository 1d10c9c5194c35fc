"""Sealed cases: a MAC the host's key puts on every save, checked on every load.

A hash chain shows a careless edit, but anyone who can write the database can rebuild a
whole history with the public API and overwrite the rows: every hash then agrees. A
seal is an HMAC-SHA-256 under a key the host keeps *outside* the database (an
environment variable, its secret store); a writer without the key cannot make one, so
a rebuilt or edited case no longer loads.

The seal rides in the case row's header document (``header["seal"]``): no column, no
migration. It covers two things, each with its own MAC, so that reads without personal
data (reports) can still check the case:

* ``case``: the case's id, version, head hash and its whole header (workflow and
  version, state, office, category, channel, priority, opened_at, attributes, SLA
  clocks, calendar version and zone), from which every indexed column derives;
* ``persons``: the id, version, head hash and the complainant's and worker's records.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any, Final

import attrs

from migrantcare.exceptions import IntegrityError, InvalidArgumentError, WrongTypeError
from migrantcare.records._case import Case

__all__ = ["SEAL_ENV", "Sealer"]

#: The environment variable :meth:`Sealer.from_env` reads by default.
SEAL_ENV: Final = "MIGRANTCARE_SEAL_KEYS"
#: The header key the seal is stored under.
SEAL_FIELD: Final = "seal"
#: Domain separation of the two MACs (and of any later encoding).
_CASE_TAG: Final = b"migrantcare-seal-v1:case\x00"
_PERSONS_TAG: Final = b"migrantcare-seal-v1:persons\x00"
#: The shortest key accepted (bytes): HMAC-SHA-256 wants at least 32.
_MIN_KEY: Final = 32
_KEY_ID_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
)


#: The canonical JSON of the payloads, one encoder for every call (``json.dumps`` builds
#: one per call).
_ENCODE: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _canonical(value: Any) -> bytes:
    return _ENCODE(value).encode()


def canonical_text(value: Any) -> str:
    """The canonical JSON text of ``value`` (sorted keys, no spaces), as the seal encodes it."""
    return _ENCODE(value)


def _stored_seal(header: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """The key id and the two MACs of a stored header's seal, when it has that shape."""
    stored = header.get(SEAL_FIELD)
    if type(stored) is not dict:
        return None
    key_id, mac, pmac = stored.get("key"), stored.get("case"), stored.get("persons")
    if type(key_id) is not str or type(mac) is not str or type(pmac) is not str:
        return None
    return key_id, mac, pmac


def case_payload(case: Case, header: Mapping[str, Any]) -> bytes:
    """The bytes the case MAC covers: identity, version, head hash and the header."""
    return case_payload_text(case, _ENCODE(header))


def case_payload_text(case: Case, header_text: str) -> bytes:
    """:func:`case_payload` of the header's canonical JSON text (``_ENCODE(header)``).

    The canonical JSON of a list is its items' canonical JSON between ``[``, ``,`` and
    ``]``: a writer that encodes the header once (for the stored document too) gives
    the MAC the same bytes.
    """
    head = _ENCODE([case.id, case.version, case.head_hash])
    return _CASE_TAG + f"{head[:-1]},{header_text}]".encode()


def persons_payload(case: Case) -> bytes:
    """The bytes the persons MAC covers: identity, version, head hash and the persons."""
    people = [None if p is None else p.to_dict() for p in (case.complainant, case.worker)]
    return _PERSONS_TAG + _canonical([case.id, case.version, case.head_hash, people])


def _check_key_id(key_id: object) -> str:
    if not isinstance(key_id, str):
        raise WrongTypeError(f"a seal key id must be a str, got {type(key_id).__name__}")
    if not 1 <= len(key_id) <= 40 or not _KEY_ID_CHARS.issuperset(key_id):
        raise InvalidArgumentError(
            f"a seal key id must be 1 to 40 letters, digits, '-', '_' or '.', got {key_id!r}"
        )
    return key_id


def _check_keys(keys: Mapping[str, bytes]) -> Mapping[str, bytes]:
    if not isinstance(keys, Mapping) or not keys:
        raise InvalidArgumentError("a Sealer needs at least one key: {key_id: key bytes}")
    checked: dict[str, bytes] = {}
    for key_id, key in keys.items():
        _check_key_id(key_id)
        if not isinstance(key, bytes):
            raise WrongTypeError(f"seal key {key_id!r} must be bytes, got {type(key).__name__}")
        if len(key) < _MIN_KEY:
            # the length only: never the key
            raise InvalidArgumentError(
                f"seal key {key_id!r} has {len(key)} bytes; at least {_MIN_KEY} are needed"
            )
        checked[key_id] = key
    return checked


@attrs.frozen(repr=False)
class Sealer:
    """The host's seal keys: every save seals with the current one, loads accept any.

    Keep the keys outside the database (:meth:`from_env` reads them from an environment
    variable). To rotate, add a new key and make it current: new saves seal with it,
    cases sealed with the older keys still load, and :func:`~migrantcare.sql.reseal`
    moves every case to the current key (after checking it in full); then drop the old
    key.

    Attributes:
        keys: Key id to key (at least 32 random bytes each).
        current: The id of the key new seals use; the first key when omitted.

    Examples:
        >>> sealer = Sealer({"k2026": b"k" * 32})
        >>> sealer
        Sealer(current='k2026', key_ids=['k2026'])
    """

    keys: Mapping[str, bytes] = attrs.field(converter=_check_keys)
    current: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        if self.current == "":
            object.__setattr__(self, "current", next(iter(self.keys)))
        _check_key_id(self.current)
        if self.current not in self.keys:
            raise InvalidArgumentError(
                f"the current seal key {self.current!r} is not among the keys {sorted(self.keys)}"
            )

    def __repr__(self) -> str:
        # key ids only, never a key
        return f"Sealer(current={self.current!r}, key_ids={sorted(self.keys)})"

    @classmethod
    def from_env(
        cls, name: str = SEAL_ENV, *, environ: Mapping[str, str] | None = None
    ) -> Sealer | None:
        """The keys in environment variable ``name``, or ``None`` when it is unset or empty.

        The value lists ``key_id=key`` pairs separated by commas, the current key
        first; each key is base64 (standard or URL-safe) of at least 32 bytes, e.g.
        ``MIGRANTCARE_SEAL_KEYS="k2027=<base64>,k2026=<base64>"``.

        Args:
            name: The variable's name.
            environ: Where to read it (``os.environ`` by default).

        Raises:
            InvalidArgumentError: the value is not a list of such pairs.

        Examples:
            >>> import base64
            >>> key = base64.b64encode(b"s" * 32).decode()
            >>> Sealer.from_env(environ={"MIGRANTCARE_SEAL_KEYS": f"new={key},old={key}"})
            Sealer(current='new', key_ids=['new', 'old'])
            >>> Sealer.from_env(environ={}) is None
            True
        """
        env = os.environ if environ is None else environ
        value = env.get(name, "").strip()
        if not value:
            return None
        keys: dict[str, bytes] = {}
        for position, pair in enumerate(value.split(","), 1):
            key_id, sep, text = pair.strip().partition("=")
            if not sep:
                raise InvalidArgumentError(
                    f"{name}: entry {position} is not key_id=base64 (no '=' after the id)"
                )
            key_id = _check_key_id(key_id.strip())
            try:
                text = text.strip()
                key = base64.b64decode(
                    text + "=" * (-len(text) % 4),
                    altchars=b"-_" if "-" in text or "_" in text else None,
                    validate=True,
                )
            except (binascii.Error, ValueError):
                raise InvalidArgumentError(f"{name}: the key of {key_id!r} is not base64") from None
            if key_id in keys:
                raise InvalidArgumentError(f"{name}: key id {key_id!r} is given twice")
            keys[key_id] = key
        return cls(keys)

    def _mac(self, key_id: str, payload: bytes) -> str:
        return hmac.digest(self.keys[key_id], payload, "sha256").hex()

    def matches_stored(
        self,
        case_id: str,
        version: int,
        head_hash: str,
        header: Mapping[str, Any],
        persons: tuple[Any, Any],
    ) -> bool:
        """Whether the documents *as stored* carry their seal: no case is rebuilt.

        ``header`` is the stored header document (its seal included), ``persons`` the
        stored complainant and worker documents (``None`` for none). The payloads are
        those :meth:`seal` MACs, made of the stored documents instead of the case they
        give: the same bytes whenever the store wrote them (the canonical JSON of equal
        documents is equal), so a load need not rebuild the header of the case it read.

        ``False`` says only that this quick check cannot vouch for the case (no seal, an
        unknown key, a MAC over documents that differ from the stored ones as JSON): the
        caller then runs :meth:`check` on the case it builds, which accepts or refuses
        it and names why. ``True`` vouches for identity, version, head, header and
        persons, as :meth:`check` does.
        """
        seal = _stored_seal(header)
        if seal is None or seal[0] not in self.keys:
            return False
        key_id, mac, pmac = seal
        doc = dict(header)
        del doc[SEAL_FIELD]
        case_bytes = _CASE_TAG + _canonical([case_id, version, head_hash, doc])
        people = [persons[0], persons[1]]
        person_bytes = _PERSONS_TAG + _canonical([case_id, version, head_hash, people])
        return hmac.compare_digest(mac, self._mac(key_id, case_bytes)) and hmac.compare_digest(
            pmac, self._mac(key_id, person_bytes)
        )

    def seal(self, case: Case, header: Mapping[str, Any]) -> dict[str, str]:
        """The seal of ``case`` (whose header document, without a seal, is ``header``)."""
        return self.seal_text(case, _ENCODE(header))

    def seal_text(self, case: Case, header_text: str) -> dict[str, str]:
        """:meth:`seal`, given the header's canonical JSON text instead of the document.

        ``header_text`` must be the canonical JSON (sorted keys, no spaces, see
        :func:`case_payload_text`) of the header document without a seal; the seal is
        then the one :meth:`seal` gives for that document.
        """
        kid = self.current
        return {
            "key": kid,
            "case": self._mac(kid, case_payload_text(case, header_text)),
            "persons": self._mac(kid, persons_payload(case)),
        }

    def check(
        self,
        case: Case,
        header: Mapping[str, Any],
        stored: object,
        *,
        persons: bool = True,
    ) -> None:
        """Refuse ``case`` unless ``stored`` is its seal under one of the keys.

        Args:
            case: The case as loaded.
            header: Its header document without the seal.
            stored: What the row holds under ``header["seal"]``.
            persons: Whether the persons were read (reports read without them: their
                MAC is then not checked).

        Raises:
            IntegrityError: naming the case: no seal, an unknown key, or a MAC that
                does not match.
        """
        where = f"case {case.id!r}"
        if stored is None:
            raise IntegrityError(
                f"{where}: not sealed, and this store requires seals (written without "
                "the key, or the seal was removed); check it and seal it with "
                "`migrantcare audit reseal`"
            )
        if not isinstance(stored, Mapping):
            raise IntegrityError(f"{where}: the stored seal is not a seal (edited)")
        key_id = stored.get("key")
        if not isinstance(key_id, str) or key_id not in self.keys:
            shown = key_id if isinstance(key_id, str) and len(key_id) <= 40 else "?"
            raise IntegrityError(
                f"{where}: sealed with key {shown!r}, which this store does not hold; "
                f"known: {sorted(self.keys)}"
            )
        mac = stored.get("case")
        if not isinstance(mac, str) or not hmac.compare_digest(
            mac, self._mac(key_id, case_payload(case, header))
        ):
            raise IntegrityError(
                f"{where}: the seal does not match the stored case (its history, header "
                "or clocks were written without the key)"
            )
        if persons:
            pmac = stored.get("persons")
            if not isinstance(pmac, str) or not hmac.compare_digest(
                pmac, self._mac(key_id, persons_payload(case))
            ):
                raise IntegrityError(
                    f"{where}: the seal does not match the stored persons (a person's "
                    "record was written without the key)"
                )


def check_sealer(value: object) -> Sealer | None:
    """``value`` when it is a :class:`Sealer` or ``None``; else refuse it.

    Raises:
        WrongTypeError: anything else (never shown: it may hold a key).
    """
    if value is not None and not isinstance(value, Sealer):
        raise WrongTypeError(f"sealer must be a Sealer or None, got {type(value).__name__}")
    return value
