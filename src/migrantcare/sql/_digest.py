"""Digests of every case head, signed for outside auditors; their checks and proofs.

A digest is a Merkle tree (:mod:`migrantcare.records._merkle`, RFC 6962 style) over the head of
every stored case, sorted by case id: ``(case id, version, head hash)``. Its *tree head*
(size, root, time) is signed with Ed25519 when the ``cryptography`` package is installed
(the ``audit`` extra), so that the state audit body or the ombudsman can check it with
the public key alone. Publish the tree head outside the database (a gazette, a
transparency page, a letter); keep the whole digest file (it lists every leaf) to check
the store against later: histories only grow, so every case in a digest must still
hold that head in its chain.
"""

from __future__ import annotations

import base64
import bisect
import datetime as _dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa

from migrantcare.exceptions import IntegrityError, InvalidArgumentError, SchemaError
from migrantcare.records._merkle import MerkleTree, inclusion_root, leaf_bytes, leaf_hash
from migrantcare.sql._schema import CaseTables

#: The format id of a digest file and of the signed tree head.
DIGEST_FORMAT: Final = "migrantcare-digest/1"
#: The format id of an inclusion proof.
PROOF_FORMAT: Final = "migrantcare-proof/1"
#: Case ids looked up per statement by :func:`check_digest`.
_CHUNK: Final = 50_000
#: From how many grown cases :func:`check_digest` reads them all by a hash join
#: (PostgreSQL), and how many per statement then.
_HASH_JOIN_FROM: Final = 20_000
_HASH_CHUNK: Final = 1_000_000

Head = tuple[str, int, str]


def tree_head_bytes(size: int, root: str, time: str) -> bytes:
    """The bytes a digest's signature covers: format, tree size, root (hex) and time."""
    return f"{DIGEST_FORMAT}\n{size}\n{root}\n{time}\n".encode()


@attrs.frozen
class Digest:
    """A digest of every case head.

    Attributes:
        heads: ``(case id, version, head hash)`` of every case, sorted by id.
        time: When it was taken (the caller's ``now``), ISO 8601 in UTC.
        root: The Merkle root (hex).
        signature: ``{"alg": "Ed25519", "public_key": b64, "key_id": hex, "sig": b64}``,
            or ``None`` (unsigned).
    """

    heads: tuple[Head, ...]
    time: str
    root: str
    signature: Mapping[str, str] | None = None

    @property
    def size(self) -> int:
        """The number of cases (the tree size)."""
        return len(self.heads)

    def tree_head(self) -> dict[str, Any]:
        """The part to publish: format, size, root, time and signature (no leaves)."""
        return {
            "format": DIGEST_FORMAT,
            "tree_size": self.size,
            "root": self.root,
            "time": self.time,
            "signature": None if self.signature is None else dict(self.signature),
        }

    def to_json(self) -> str:
        """The digest file: the tree head and every leaf."""
        doc = self.tree_head()
        doc["heads"] = self.heads
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Digest:
        """Read a digest file; its root is recomputed from its leaves and must match.

        Raises:
            SchemaError: not a digest file.
            IntegrityError: the leaves do not give the root written (edited).
        """
        try:
            doc = json.loads(text)
            if doc.get("format") != DIGEST_FORMAT:
                raise SchemaError(f"not a {DIGEST_FORMAT} file")
            heads = tuple((str(i), int(v), str(h)) for i, v, h in doc["heads"])
            digest = cls(heads, str(doc["time"]), str(doc["root"]), doc.get("signature"))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SchemaError(f"not a {DIGEST_FORMAT} file ({type(exc).__name__})") from None
        if doc.get("tree_size") != len(heads) or list(heads) != sorted(heads):
            raise IntegrityError("the digest's leaves are not its tree size, or not sorted")
        if tree_of(heads).root.hex() != digest.root:
            raise IntegrityError("the digest's leaves do not give its root (edited)")
        return digest


def tree_of(heads: Sequence[Head]) -> MerkleTree:
    """The Merkle tree over ``heads`` (sorted by id)."""
    return MerkleTree([leaf_hash(leaf_bytes(*h)) for h in heads])


def read_heads(engine: sa.Engine, tables: CaseTables) -> list[Head]:
    """``(id, version, head hash)`` of every stored case, sorted by id (code points)."""
    c = tables.cases.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(c.id, c.version, c.head_hash)).all()
    heads = [tuple(r) for r in rows]
    heads.sort()
    return heads


def _private_key(seed: bytes) -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
            Ed25519PrivateKey,
        )
    except ImportError:
        raise InvalidArgumentError(
            'signing a digest needs the audit extra: pip install "migrantcare[audit]"'
        ) from None
    if len(seed) != 32:
        raise InvalidArgumentError(f"an Ed25519 key is 32 bytes, got {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_of(seed: bytes) -> str:
    """The public key (base64 of its 32 raw bytes) of the Ed25519 private key ``seed``."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    raw = (
        _private_key(seed)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def make_digest(
    engine: sa.Engine,
    tables: CaseTables,
    *,
    now: _dt.datetime,
    signing_key: bytes | None = None,
) -> Digest:
    """Take a digest of every case head.

    Args:
        engine: The store's engine.
        tables: The store's tables.
        now: The time to record (aware; the caller's clock).
        signing_key: The 32-byte Ed25519 private key that signs the tree head, or
            ``None`` for an unsigned digest.

    Raises:
        InvalidArgumentError: a naive ``now``, or a key but no ``cryptography``.
    """
    if not isinstance(now, _dt.datetime) or now.utcoffset() is None:
        raise InvalidArgumentError("now must be an aware datetime")
    heads = tuple(read_heads(engine, tables))
    time = now.astimezone(_dt.timezone.utc).isoformat()
    root = tree_of(heads).root.hex()
    signature = None
    if signing_key is not None:
        public = public_key_of(signing_key)
        sig = _private_key(signing_key).sign(tree_head_bytes(len(heads), root, time))
        signature = {
            "alg": "Ed25519",
            "public_key": public,
            "key_id": hashlib.sha256(base64.b64decode(public)).hexdigest()[:16],
            "sig": base64.b64encode(sig).decode(),
        }
    return Digest(heads, time, root, signature)


def check_signature(digest: Digest, public_key: str | None = None) -> None:
    """Check the tree head's Ed25519 signature (under ``public_key`` when given).

    Raises:
        IntegrityError: unsigned, signed by another key, or the signature fails.
        InvalidArgumentError: ``cryptography`` is not installed.
    """
    sig = digest.signature
    if sig is None:
        raise IntegrityError("the digest is not signed")
    if public_key is not None and sig.get("public_key") != public_key:
        raise IntegrityError("the digest is signed by another key than the one given")
    try:
        from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
            Ed25519PublicKey,
        )
    except ImportError:
        raise InvalidArgumentError(
            'checking a signature needs the audit extra: pip install "migrantcare[audit]"'
        ) from None
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(sig["public_key"]))
        key.verify(
            base64.b64decode(sig["sig"]),
            tree_head_bytes(digest.size, digest.root, digest.time),
        )
    except (InvalidSignature, ValueError, KeyError, TypeError):
        raise IntegrityError("the digest's signature does not verify") from None


@attrs.frozen
class DigestCheck:
    """What :func:`check_digest` found.

    Attributes:
        checked: Cases of the digest checked.
        changed: Cases whose chain no longer holds the digest's head at its version.
        truncated: Cases with fewer events now than in the digest.
        removed: Cases of the digest no longer stored.
    """

    checked: int
    changed: tuple[str, ...]
    truncated: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether every case still holds its head: histories only grew."""
        return not (self.changed or self.truncated or self.removed)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_digest(
    engine: sa.Engine,
    tables: CaseTables,
    digest: Digest,
    *,
    hash_join_from: int = _HASH_JOIN_FROM,
) -> DigestCheck:
    """Check that every case in ``digest`` still holds that head in its chain.

    A case at the digest's version must have that head; a case with more events must
    have that hash at that position of its chain (the event rows are each checked by
    loads: this checks the chain was not rebuilt or cut since).

    Args:
        engine: The store's engine.
        tables: The store's tables.
        digest: The digest.
        hash_join_from: On PostgreSQL, from how many cases grown since the digest their
            heads are read by one hash join over the events rather than by index probes.
    """
    c, e = tables.cases.c, tables.events.c
    changed: list[str] = []
    truncated: list[str] = []
    removed: list[str] = []
    with engine.connect() as conn:
        now = {
            r.id: (r.version, r.head_hash)
            for r in conn.execute(sa.select(c.id, c.version, c.head_hash))
        }
        grown: list[Head] = []
        for case_id, version, head in digest.heads:
            current = now.get(case_id)
            if current is None:
                removed.append(case_id)
            elif current[0] < version:
                truncated.append(case_id)
            elif current[0] == version:
                if current[1] != head:
                    changed.append(case_id)
            else:
                grown.append((case_id, version, head))
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            # two arrays, unnested and joined on the primary key: one bind each however
            # many cases (a row-value IN list is planned as a filter over every row)
            want = sa.func.unnest(
                sa.bindparam("w_ids", type_=sa.ARRAY(sa.String())),
                sa.bindparam("w_seqs", type_=sa.ARRAY(sa.Integer())),
            ).table_valued(sa.column("w_id", sa.String()), sa.column("w_seq", sa.Integer()))
            want = want.render_derived(name="mc_want")
            by_arrays = sa.select(e.case_id, e.hash).join_from(
                tables.events, want, sa.and_(e.case_id == want.c.w_id, e.seq == want.c.w_seq)
            )
        chunk = _CHUNK
        if postgres and len(grown) > hash_join_from:
            # many cases: one hash join over one scan of the events beats as many index
            # probes (1,000,000 grown cases: 9 s instead of 24 s); the settings end with
            # this read's transaction
            conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            chunk = _HASH_CHUNK
        for part in _chunks(grown, chunk):
            if postgres:
                stmt: Any = by_arrays
                params: Any = {
                    "w_ids": [i for i, _, _ in part],
                    "w_seqs": [v - 1 for _, v, _ in part],
                }
            else:
                wanted = [(i, v - 1) for i, v, _ in part]
                stmt = sa.select(e.case_id, e.hash).where(sa.tuple_(e.case_id, e.seq).in_(wanted))
                params = {}
            found = {r.case_id: r.hash for r in conn.execute(stmt, params)}
            changed.extend(i for i, _, h in part if found.get(i) != h)
    return DigestCheck(len(digest.heads), tuple(sorted(changed)), tuple(truncated), tuple(removed))


def prove(digest: Digest, case_id: str, tree: MerkleTree | None = None) -> dict[str, Any]:
    """The inclusion proof of ``case_id``'s head in ``digest``, checkable offline.

    Args:
        digest: The digest.
        case_id: The case.
        tree: The digest's tree, when built already (many proofs of one digest).

    Raises:
        InvalidArgumentError: the digest holds no such case.
    """
    heads = digest.heads
    index = bisect.bisect_left(heads, (case_id,))
    if index == len(heads) or heads[index][0] != case_id:
        raise InvalidArgumentError(f"case {case_id!r} is not in the digest of {digest.time}")
    tree = tree_of(heads) if tree is None else tree
    _, version, head = heads[index]
    return {
        "format": PROOF_FORMAT,
        "case_id": case_id,
        "version": version,
        "head_hash": head,
        "leaf_index": index,
        "tree_size": len(heads),
        "root": digest.root,
        "time": digest.time,
        "path": [p.hex() for p in tree.proof(index)],
    }


def check_proof(proof: Mapping[str, Any], tree_head: Mapping[str, Any]) -> None:
    """Check an inclusion proof against a published tree head (size, root, time).

    Raises:
        IntegrityError: the proof does not lead to that root.
    """
    try:
        same = (proof["tree_size"], proof["root"], proof["time"]) == (
            tree_head["tree_size"],
            tree_head["root"],
            tree_head["time"],
        )
        leaf = leaf_hash(leaf_bytes(proof["case_id"], proof["version"], proof["head_hash"]))
        path = [bytes.fromhex(p) for p in proof["path"]]
        index, size = proof["leaf_index"], proof["tree_size"]
    except (KeyError, TypeError, ValueError) as exc:
        raise IntegrityError(f"not a proof ({type(exc).__name__})") from None
    if not same:
        raise IntegrityError("the proof is for another tree head")
    root = inclusion_root(leaf, index, size, path)
    if root.hex() != tree_head["root"]:
        raise IntegrityError(f"case {proof['case_id']!r}: the proof does not lead to the root")
