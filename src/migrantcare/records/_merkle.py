"""A Merkle tree of case heads in the style of RFC 6962 (Certificate Transparency).

Leaves are the heads of every case, sorted by case id; a leaf hash is
``SHA-256(0x00 || leaf)`` and a node hash ``SHA-256(0x01 || left || right)``, so a leaf
can never pass for a node. The tree over ``n`` leaves splits at the largest power of two
below ``n`` (RFC 6962, section 2.1); an inclusion proof is the audit path of section
2.1.1, checked by the algorithm of RFC 9162, section 2.1.3.2.

Written here rather than taken from a library: the tree is rebuilt from sorted leaves
each time (no incremental log to keep), the whole of it is about a hundred lines of
``hashlib``, and 1,000,000 heads hash in a few seconds; it keeps the core free of a
dependency. The leaf encoding is fixed and simple, so that an auditor can write an
independent verifier in a few lines (the tests do).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

from migrantcare.exceptions import IntegrityError, InvalidArgumentError

__all__ = [
    "EMPTY_ROOT",
    "MerkleTree",
    "inclusion_root",
    "leaf_bytes",
    "leaf_hash",
    "node_hash",
]

_sha256 = hashlib.sha256
#: The root of a tree without leaves: SHA-256 of nothing (RFC 6962).
EMPTY_ROOT: Final = _sha256(b"").digest()


def leaf_bytes(case_id: str, version: int, head_hash: str) -> bytes:
    """The leaf of one case head: its id (UTF-8, with its length), version and head.

    ``len(id) as 2 bytes || id || version as 8 bytes || head (32 bytes)``, big-endian.

    Raises:
        InvalidArgumentError: an id over 65,535 bytes, a version below 1, or a head
            that is not 64 hex digits.
    """
    raw = case_id.encode()
    if len(raw) > 0xFFFF or version < 1 or version >= 1 << 63 or len(head_hash) != 64:
        raise InvalidArgumentError(
            f"case {case_id[:200]!r}: not a case head (version {version}, head of "
            f"{len(head_hash)} characters)"
        )
    try:
        head = bytes.fromhex(head_hash)
    except ValueError:
        raise InvalidArgumentError(f"case {case_id[:200]!r}: the head is not hex") from None
    return len(raw).to_bytes(2, "big") + raw + version.to_bytes(8, "big") + head


def leaf_hash(leaf: bytes) -> bytes:
    """``SHA-256(0x00 || leaf)``."""
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


class MerkleTree:
    """The tree over given leaf hashes: its root, and inclusion proofs.

    Every level is kept (about twice the leaves' 32 bytes each), so a proof is a walk
    of ``log2(n)`` lists.

    Args:
        leaves: The leaf hashes, in tree order.

    Examples:
        >>> tree = MerkleTree([leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")])
        >>> proof = tree.proof(2)
        >>> inclusion_root(leaf_hash(b"c"), 2, 3, proof) == tree.root
        True
    """

    __slots__ = ("_levels",)

    def __init__(self, leaves: Sequence[bytes]) -> None:
        levels = [list(leaves)]
        level = levels[0]
        node = _sha256
        while len(level) > 1:
            pairs = len(level) - 1
            # bottom-up, an odd node rises unchanged: the same tree as RFC 6962's split
            up = [node(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, pairs, 2)]
            if len(level) % 2:
                up.append(level[-1])
            levels.append(up)
            level = up
        self._levels = levels

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """The root hash (``EMPTY_ROOT`` for no leaves)."""
        top = self._levels[-1]
        return top[0] if top else EMPTY_ROOT

    def proof(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index``: the sibling hashes, from the leaf up.

        Raises:
            InvalidArgumentError: no leaf has that index.
        """
        if not 0 <= index < self.size:
            raise InvalidArgumentError(f"leaf {index} is not in a tree of {self.size}")
        path = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path


def inclusion_root(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root that ``path`` proves leaf hash ``leaf`` at ``index`` of ``size`` under.

    RFC 9162, section 2.1.3.2: compare the result with the published root.

    Raises:
        IntegrityError: the path has the wrong length for that index and size.
    """
    if not 0 <= index < size:
        raise IntegrityError(f"leaf {index} cannot be in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise IntegrityError("the proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise IntegrityError("the proof is shorter than the tree is high")
    return r
