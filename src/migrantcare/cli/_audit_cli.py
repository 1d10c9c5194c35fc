"""The ``migrantcare audit`` command: digests, their checks and proofs, and re-sealing.

The parser is built here without importing the SQL store; the commands import it when
they run (the ``sql`` extra, and ``audit`` for Ed25519 signatures).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as _dt
import json
import os
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, TextIO

from migrantcare.exceptions import InvalidArgumentError

#: The environment variable holding the digest-signing key (base64 of 32 bytes).
DIGEST_KEY_ENV: Final = "MIGRANTCARE_DIGEST_KEY"


def add_audit_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``audit digest|verify|prove|reseal`` to the ``migrantcare`` command."""
    audit = sub.add_parser(
        "audit",
        help="digests of every case head, their checks and proofs; re-sealing",
        description="'audit digest' writes a Merkle digest of every case head (signed "
        f"with Ed25519 when {DIGEST_KEY_ENV} or --signing-key is given); 'audit verify' "
        "checks that every case in a digest still holds that head (exit 1 naming each "
        "case changed, truncated or removed); 'audit prove' prints a case's inclusion "
        "proof; 'audit reseal' checks every case in full and seals it with the current "
        "key of MIGRANTCARE_SEAL_KEYS.",
    )
    actions = audit.add_subparsers(dest="action", required=True, parser_class=type(audit))

    def common(p: argparse.ArgumentParser, *, db_required: bool = True) -> None:
        p.add_argument("--db", required=db_required, metavar="URL", help="SQLAlchemy URL")
        p.add_argument("--prefix", default="", help="the tables' name prefix (case_tables)")
        p.add_argument("--schema", default=None, help="the tables' database schema")

    digest = actions.add_parser("digest", help="write a digest of every case head")
    common(digest)
    digest.add_argument("--out", required=True, metavar="FILE", help="the digest file")
    digest.add_argument(
        "--tree-head", metavar="FILE", help="also write the signed tree head to publish"
    )
    digest.add_argument(
        "--signing-key",
        metavar="FILE",
        help=f"a file holding the Ed25519 key (base64 of 32 bytes); else {DIGEST_KEY_ENV}",
    )
    verify = actions.add_parser("verify", help="check the store against a digest")
    common(verify)
    verify.add_argument("--digest", required=True, metavar="FILE", help="the digest file")
    verify.add_argument(
        "--public-key", metavar="B64", help="require a signature by this Ed25519 public key"
    )
    prove = actions.add_parser("prove", help="print a case's inclusion proof in a digest")
    prove.add_argument("case", help="the case id")
    common(prove, db_required=False)
    prove.add_argument("--digest", required=True, metavar="FILE", help="the digest file")
    reseal = actions.add_parser("reseal", help="check every case and seal it anew")
    common(reseal)
    reseal.add_argument(
        "--offices", required=True, metavar="FILE", help="the offices file (TOML or JSON)"
    )
    reseal.add_argument(
        "--allow-unsealed", action="store_true", help="also seal cases without a seal"
    )
    audit.set_defaults(func=cmd_audit)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path!r}: {exc.strerror}") from None


def _signing_key(path: str | None) -> bytes | None:
    text = _read(path).strip() if path is not None else os.environ.get(DIGEST_KEY_ENV, "")
    if not text.strip():
        return None
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        where = path if path is not None else DIGEST_KEY_ENV
        raise InvalidArgumentError(f"the signing key in {where} is not base64") from None


def cmd_audit(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``migrantcare audit``."""
    try:
        import sqlalchemy as sa  # noqa: PLC0415 - the sql extra

        from migrantcare.sql import case_tables  # noqa: PLC0415
    except ImportError:
        raise InvalidArgumentError(
            'audit needs the sql extra: pip install "migrantcare[sql]" and a driver'
        ) from None
    tables = case_tables(schema=args.schema, prefix=args.prefix)
    engine = None if args.db is None else sa.create_engine(args.db)
    try:
        action = _ACTIONS.get(args.action)
        if action is None:
            raise InvalidArgumentError(f"unknown audit action {args.action!r}")
        return action(args, engine, tables, out)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise InvalidArgumentError(
            f"database error: {type(exc).__name__}: {reason[:300]}"
        ) from None
    finally:
        if engine is not None:
            engine.dispose()


def _digest(args: argparse.Namespace, engine: Any, tables: Any, out: TextIO) -> int:
    """``audit digest``: write a digest of every case head (and its tree head)."""
    from migrantcare.sql import make_digest  # noqa: PLC0415

    assert engine is not None
    started = time.perf_counter()
    # the command line is the host: the one place that reads the clock
    now = _dt.datetime.now(_dt.timezone.utc)
    digest = make_digest(engine, tables, now=now, signing_key=_signing_key(args.signing_key))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(digest.to_json())
    if args.tree_head:
        with open(args.tree_head, "w", encoding="utf-8") as f:
            json.dump(digest.tree_head(), f, indent=1)
    signed = "signed" if digest.signature else "unsigned"
    out.write(
        f"digest: {digest.size} cases, root {digest.root}, {signed}, at "
        f"{digest.time} ({time.perf_counter() - started:.1f} s)\n"
    )
    return 0


def _prove(args: argparse.Namespace, engine: Any, tables: Any, out: TextIO) -> int:
    """``audit prove``: print a case's inclusion proof (checked against the store if given)."""
    from migrantcare.sql import Digest, check_digest, prove  # noqa: PLC0415

    digest = Digest.from_json(_read(args.digest))
    proof = prove(digest, args.case)
    if engine is not None:
        found = check_digest(engine, tables, _only(digest, args.case))
        if not found.ok:
            raise InvalidArgumentError(f"case {args.case!r} no longer holds the head of the digest")
    out.write(json.dumps(proof, indent=1) + "\n")
    return 0


def _verify(args: argparse.Namespace, engine: Any, tables: Any, out: TextIO) -> int:
    """``audit verify``: check the store against a digest; 1 names each case that fails."""
    from migrantcare.sql import Digest, check_digest, check_signature  # noqa: PLC0415

    digest = Digest.from_json(_read(args.digest))
    assert engine is not None
    if digest.signature is not None or args.public_key is not None:
        check_signature(digest, args.public_key)
    result = check_digest(engine, tables, digest)
    for kind in ("changed", "truncated", "removed"):
        for case_id in getattr(result, kind):
            out.write(f"{kind}: {case_id}\n")
    if result.ok:
        out.write(
            f"ok: all {result.checked} cases of the digest of {digest.time} still "
            "hold their heads\n"
        )
        return 0
    bad = len(result.changed) + len(result.truncated) + len(result.removed)
    out.write(f"FAILED: {bad} of {result.checked} cases\n")
    return 1


def _only(digest: Any, case_id: str) -> Any:
    """The digest cut to one case (to check that case alone against the store)."""
    import attrs  # noqa: PLC0415

    return attrs.evolve(digest, heads=tuple(h for h in digest.heads if h[0] == case_id))


def _reseal(args: argparse.Namespace, engine: Any, tables: Any, out: TextIO) -> int:
    from migrantcare.definitions._standard import (  # noqa: PLC0415
        complaint_workflow,
        outreach_workflow,
        repatriation_workflow,
    )
    from migrantcare.offices._offices import Offices  # noqa: PLC0415
    from migrantcare.sql import Sealer, SqlCaseStore, reseal  # noqa: PLC0415

    sealer = Sealer.from_env()
    if sealer is None:
        raise InvalidArgumentError("reseal needs the keys in MIGRANTCARE_SEAL_KEYS")
    offices = Offices.from_file(args.offices)
    workflows = [
        w().bind(offices) for w in (complaint_workflow, repatriation_workflow, outreach_workflow)
    ]
    store = SqlCaseStore(engine, workflows, tables=tables, sealer=sealer)
    result = reseal(store, allow_unsealed=args.allow_unsealed)
    for case_id, reason in result.refused:
        out.write(f"refused: {case_id}: {reason}\n")
    out.write(f"resealed {result.resealed} cases with key {sealer.current!r}\n")
    return 1 if result.refused else 0


#: What each ``audit`` action runs: ``(args, engine, tables, out) -> exit status``.
_ACTIONS: Final[Mapping[str, Callable[[argparse.Namespace, Any, Any, TextIO], int]]] = (
    MappingProxyType({"digest": _digest, "prove": _prove, "verify": _verify, "reseal": _reseal})
)
