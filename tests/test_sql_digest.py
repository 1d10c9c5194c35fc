"""Digests of every case head, their checks and inclusion proofs (#24).

Roots and proofs are checked by a small verifier written here from RFC 6962 (recursive,
splitting at the largest power of two), not by the library's bottom-up code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import pathlib
import shutil
from collections.abc import Iterator, Sequence

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import Workflow, WorkingCalendar, complaint_workflow
from migrantcare.cli._cli import main
from migrantcare.exceptions import IntegrityError
from migrantcare.records._merkle import MerkleTree, inclusion_root, leaf_hash
from migrantcare.sql import CaseTables, SqlCaseStore, case_tables, create_all
from migrantcare.sql._digest import Digest, check_digest, check_proof, make_digest, prove
from tests.actors import actor
from tests.store_support import at, fires, open_case

PREFIX = "dg_"
SEED = bytes(range(32))
NOW = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.timezone.utc)


# ------------------------------------------------------------------ the independent verifier


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(case_id: str, version: int, head: str) -> bytes:
    raw = case_id.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw + version.to_bytes(8, "big") + bytes.fromhex(head)


def mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 section 2.1, as written there."""
    n = len(leaves)
    if n == 0:
        return h(b"")
    if n == 1:
        return h(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 section 2.1.1: PATH(m, D[n])."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def root_from(m: int, n: int, leaf_h: bytes, proof: Sequence[bytes]) -> bytes:
    """Recompute the root from an audit path by the same recursion, top down."""
    if n == 1:
        assert not proof
        return leaf_h
    k = 1
    while k * 2 < n:
        k *= 2
    *rest, last = proof
    if m < k:
        return h(b"\x01" + root_from(m, k, leaf_h, rest) + last)
    return h(b"\x01" + last + root_from(m - k, n - k, leaf_h, rest))


# ------------------------------------------------------------------ the tree alone


@given(st.integers(0, 70))
def test_the_root_is_rfc_6962s_and_every_proof_leads_to_it(n: int) -> None:
    leaves = [f"leaf-{i}".encode() for i in range(n)]
    tree = MerkleTree([h(b"\x00" + x) for x in leaves])
    assert tree.root == mth(leaves)
    for m in range(n):
        proof = tree.proof(m)
        assert proof == path(m, leaves)
        assert root_from(m, n, h(b"\x00" + leaves[m]), proof) == mth(leaves)
        assert inclusion_root(h(b"\x00" + leaves[m]), m, n, proof) == tree.root


def test_a_proof_for_another_leaf_index_or_size_fails() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(11)]
    tree = MerkleTree(leaves)
    proof = tree.proof(5)
    assert inclusion_root(leaves[5], 5, 11, proof) == tree.root
    assert inclusion_root(leaves[5], 4, 11, proof) != tree.root
    with pytest.raises(IntegrityError):
        inclusion_root(leaves[5], 5, 11, proof[:-1])
    with pytest.raises(IntegrityError):
        inclusion_root(leaves[5], 5, 11, [*proof, proof[0]])


# ------------------------------------------------------------------ against a store


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    else:
        engine = sa.create_engine(request.getfixturevalue("pg_url"))
        case_tables(prefix=PREFIX).metadata.drop_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def tables(engine: sa.Engine) -> CaseTables:
    return create_all(engine, case_tables(prefix=PREFIX))


def fill(
    engine: sa.Engine, wf: Workflow, cal: WorkingCalendar, tables: CaseTables, n: int
) -> SqlCaseStore:
    store = SqlCaseStore(engine, wf, calendar=cal, tables=tables)
    for i in range(n):
        case = open_case(wf, cal, f"PGD-{i:03d}")
        store.add(case)
        for new in fires(wf, cal, case, i % 3):
            store.save(new, expected_version=new.version - 1)
    return store


def test_a_signed_digest_checks_with_the_public_key_and_an_independent_tree(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    fill(engine, wf, cal_wita, tables, 13)
    digest = make_digest(engine, tables, now=NOW, signing_key=SEED)
    with engine.connect() as conn:
        rows = sorted(
            conn.execute(
                sa.select(tables.cases.c.id, tables.cases.c.version, tables.cases.c.head_hash)
            ).all()
        )
    assert [tuple(r) for r in rows] == list(digest.heads)
    assert digest.root == mth([leaf(*r) for r in rows]).hex()
    head = digest.tree_head()
    message = f"migrantcare-digest/1\n{head['tree_size']}\n{head['root']}\n{head['time']}\n"
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(head["signature"]["public_key"]))
    public.verify(base64.b64decode(head["signature"]["sig"]), message.encode())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw != SEED
    # a proof of each case, checked by the verifier here and by check_proof
    for m, (case_id, version, head_hash) in enumerate(digest.heads):
        proof = prove(digest, case_id)
        assert proof["leaf_index"] == m
        leaf_h = h(b"\x00" + leaf(case_id, version, head_hash))
        path_ = [bytes.fromhex(p) for p in proof["path"]]
        assert root_from(m, digest.size, leaf_h, path_).hex() == head["root"]
        check_proof(proof, head)
    forged = {**prove(digest, "PGD-004"), "version": 9}
    with pytest.raises(IntegrityError, match="PGD-004"):
        check_proof(forged, head)
    assert Digest.from_json(digest.to_json()) == digest
    assert check_digest(engine, tables, digest).ok


def test_verify_names_each_case_changed_truncated_or_removed(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    store = fill(engine, wf, cal_wita, tables, 6)
    digest = make_digest(engine, tables, now=NOW)
    # grown since: fine
    grown = store.get("PGD-001")
    grown2 = wf.fire(grown, "escalate", at=at(90), by=actor("o-1"), calendar=cal_wita)
    store.save(grown2, expected_version=grown.version)
    # rebuilt with the public API and written over the rows: changed
    forged = open_case(wf, cal_wita, "PGD-002")
    for i in range(4):  # longer than the genuine one, so it looks grown
        forged = wf.fire(forged, "escalate", at=at(3 + i), by=actor("o-9"), calendar=cal_wita)
    ev, ps, cs = tables.events, tables.persons, tables.cases
    with engine.begin() as conn:
        for case_id in ("PGD-002", "PGD-005"):
            conn.execute(ev.delete().where(ev.c.case_id == case_id))
            conn.execute(ps.delete().where(ps.c.case_id == case_id))
            conn.execute(cs.delete().where(cs.c.id == case_id))
    store.add(forged)
    # an older state restored (a backup): truncated
    older = open_case(wf, cal_wita, "PGD-004")
    with engine.begin() as conn:
        conn.execute(ev.delete().where(ev.c.case_id == "PGD-004", ev.c.seq >= 1))
        conn.execute(
            cs.update()
            .where(cs.c.id == "PGD-004")
            .values(version=1, head_hash=older.head_hash, state=older.state)
        )
    for hash_join_from in (20_000, 0):  # index probes, and (PostgreSQL) one hash join
        result = check_digest(engine, tables, digest, hash_join_from=hash_join_from)
        assert (result.changed, result.truncated, result.removed) == (
            ("PGD-002",),
            ("PGD-004",),
            ("PGD-005",),
        )
        assert not result.ok


def test_the_audit_commands_digest_verify_and_prove(
    wf: Workflow,
    cal_wita: WorkingCalendar,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "cases.db"
    url = f"sqlite:///{db}"
    engine = sa.create_engine(url)
    tables = create_all(engine, case_tables())
    store = fill(engine, wf, cal_wita, tables, 5)
    engine.dispose()
    backup = tmp_path / "backup.db"
    shutil.copy(db, backup)  # a backup, taken now
    case = store.get("PGD-003")
    store.save(
        wf.fire(case, "escalate", at=at(99), by=actor("o-1"), calendar=cal_wita),
        expected_version=case.version,
    )
    store.engine.dispose()
    monkeypatch.setenv("MIGRANTCARE_DIGEST_KEY", base64.b64encode(SEED).decode())
    out = io.StringIO()
    digest_file, head_file = tmp_path / "d.json", tmp_path / "head.json"
    status = main(
        ["audit", "digest", "--db", url, "--out", str(digest_file), "--tree-head", str(head_file)],
        out,
    )
    assert status == 0
    assert "5 cases" in out.getvalue()
    assert "signed" in out.getvalue()
    out = io.StringIO()
    assert main(["audit", "verify", "--db", url, "--digest", str(digest_file)], out) == 0
    assert out.getvalue().startswith("ok: all 5 cases")
    out = io.StringIO()
    assert main(["audit", "prove", "PGD-003", "--digest", str(digest_file)], out) == 0
    proof = json.loads(out.getvalue())
    head = json.loads(head_file.read_text())
    leaf_h = h(b"\x00" + leaf(proof["case_id"], proof["version"], proof["head_hash"]))
    path_ = [bytes.fromhex(p) for p in proof["path"]]
    assert root_from(proof["leaf_index"], head["tree_size"], leaf_h, path_).hex() == head["root"]
    # the older backup restored over the store: verify names the case
    shutil.copy(backup, db)
    for suffix in ("-wal", "-shm"):
        pathlib.Path(f"{db}{suffix}").unlink(missing_ok=True)
    out = io.StringIO()
    assert main(["audit", "verify", "--db", url, "--digest", str(digest_file)], out) == 1
    assert "truncated: PGD-003" in out.getvalue()
    assert "FAILED: 1 of 5 cases" in out.getvalue()
    # a digest file whose leaves were edited is refused
    doc = json.loads(digest_file.read_text())
    doc["heads"][0][1] += 1
    digest_file.write_text(json.dumps(doc))
    assert main(["audit", "verify", "--db", url, "--digest", str(digest_file)], out) == 2
    assert "edited" in capsys.readouterr().err


def test_audit_reseal_seals_every_case_with_the_current_key_from_the_environment(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migrantcare import Actor, Offices  # noqa: PLC0415
    from migrantcare.sql import Sealer  # noqa: PLC0415

    offices_file = pathlib.Path(__file__).parent.parent / "examples" / "offices.toml"
    wf = complaint_workflow().bind(Offices.from_file(offices_file))
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    engine = sa.create_engine(url)
    store = SqlCaseStore(engine, wf)
    create_all(engine, store.tables)
    agent = Actor("cc-01", roles={"call_centre"}, office="bp3mi-ntb")
    for i in range(3):
        store.add(
            wf.open(f"PGD-{i}", at=NOW, by=agent, office="bp3mi-ntb",
                    category="unpaid_wages", channel="whatsapp")
        )  # fmt: skip
    engine.dispose()
    key = base64.b64encode(SEED).decode()
    monkeypatch.setenv("MIGRANTCARE_SEAL_KEYS", f"k1={key}")
    args = ["audit", "reseal", "--db", url, "--offices", str(offices_file)]
    out = io.StringIO()
    assert main(args, out) == 1  # unsealed cases are refused unless asked
    assert out.getvalue().count("refused: PGD-") == 3
    out = io.StringIO()
    assert main([*args, "--allow-unsealed"], out) == 0
    assert out.getvalue() == "resealed 3 cases with key 'k1'\n"
    sealed = SqlCaseStore(sa.create_engine(url), wf, sealer=Sealer({"k1": SEED}))
    assert [sealed.get(f"PGD-{i}").id for i in range(3)] == ["PGD-0", "PGD-1", "PGD-2"]
    sealed.engine.dispose()
