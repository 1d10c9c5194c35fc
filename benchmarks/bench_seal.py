"""Sealed cases on a real PostgreSQL, on the realistic workload; digests of 1,000,000 heads.

Run: ``python benchmarks/bench_seal.py [--quick]`` (needs the ``sql``, ``bench`` and
``audit`` extras and the PostgreSQL server binaries).

* save with a seal: the store with keys (``sealer=``) saving every host action of the
  workload, beside raw psycopg ``INSERT`` + ``COMMIT`` of the same event rows, with
  ``synchronous_commit`` off (as ``bench_store.py``). Goal: >= 0.6x raw psycopg.
  Beside them, the floor of a sealed save: the very statements the sealed saves sent
  (captured in a separate pass, JSON parameters pre-encoded), sent again by raw psycopg
  on fresh tables, so no client work at all; and, as a diagnostic, the same statements
  with every case header ``{}``: what the header's size costs the server.
* sealed load: every case read, its rows decoded, every event re-hashed against the
  chain and the seal checked, no replay; beside ``eventsourcing`` 9.x loading an
  aggregate of the same events and the store without keys (full replay), in
  alternating rounds (the ratio is the median of per-round ratios). Goal: >= 3x
  eventsourcing. Beside it, the same cases loaded by ``get_many`` (``MANY`` cases per
  statement): batched, so not held to the per-case goal (``eventsourcing`` has no such
  call).
* digests: 1,000,000 case heads bulk-inserted (COPY), then ``make_digest`` (read, sort,
  hash, sign), ``check_digest`` (every head unchanged, then every case grown since, so
  each is looked up in the events), and a proof out of the built tree. Goals: digest
  and verify <= 30 s each, a proof <= 1 ms. ``--quick``: 100,000 heads;
  ``--digests-only``: this part alone; ``--loads-only``: the saves and loads alone.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import datetime as dt
import hashlib
import json

import psycopg
import sqlalchemy as sa
from _util import load_average, quick, table, timed, workload_cases
from bench_store import (
    EsRun,
    Histories,
    RawRun,
    StoreRun,
    alternate,
    check_setting,
    conninfo,
    per_s,
    sync_commit,
    us,
)
from psycopg.types.json import Json, Jsonb

from migrantcare.sql import Sealer, SqlCaseStore, case_tables, create_all
from migrantcare.sql._digest import Digest, check_digest, make_digest, prove, tree_of
from migrantcare.sql.testing import TemporaryPostgres

QUICK = quick()
N_CASES = 150 if QUICK else 600
LOAD_ROUNDS = 3 if QUICK else 7
N_HEADS = 100_000 if QUICK else 1_000_000
#: Cases per get_many statement in the batched sealed row.
MANY = 50


class SealedRun(StoreRun):
    """The store with keys on ``url``: fresh tables, openings added (sealed)."""

    def __init__(self, url: str, work: Any, hist: Histories) -> None:
        self.engine = sa.create_engine(url)
        case_tables().metadata.drop_all(self.engine)
        create_all(self.engine)
        self.store = SqlCaseStore(
            self.engine, work.workflows, sealer=Sealer({"bench": os.urandom(32)})
        )
        self.hist = hist
        for v in hist.versions:
            self.store.add(v[0])
        self.save_failures: dict[str, int] = {}
        self.load_failures: dict[str, int] = {}
        self.failed_cases: set[int] = set()


def bulk_heads(server: TemporaryPostgres, n: int) -> None:
    """``n`` cases of two events each (rows as the store writes them), by COPY."""
    with psycopg.connect(conninfo(server)) as conn:
        tables = case_tables()
        engine = sa.create_engine(server.url)
        tables.metadata.drop_all(engine)
        create_all(engine)
        engine.dispose()
        t = "2026-03-02 01:00:00+00"
        with conn.cursor() as cur:
            with cur.copy(
                "COPY cases (id, workflow, workflow_version, version, state, office, "
                "calendar_version, next_due_at, opened_at, updated_at, head_hash, header) "
                "FROM STDIN"
            ) as copy:
                for i in range(n):
                    head = hashlib.sha256(b"1:%d" % i).hexdigest()
                    copy.write_row(
                        (f"C-{i:07d}", "complaint", 1, 2, "verification", "bp3mi-ntt",
                         None, None, t, t, head, "{}")
                    )  # fmt: skip
            with cur.copy(
                "COPY case_events (case_id, seq, at, kind, name, actor, prev_hash, hash, body) "
                "FROM STDIN"
            ) as copy:
                zero = "0" * 64
                for i in range(n):
                    first = hashlib.sha256(b"0:%d" % i).hexdigest()
                    head = hashlib.sha256(b"1:%d" % i).hexdigest()
                    copy.write_row((f"C-{i:07d}", 0, t, "opened", "open", "cc", zero, first, "{}"))
                    copy.write_row(
                        (f"C-{i:07d}", 1, t, "transition", "go", "cc", first, head, "{}")
                    )
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()


def digests(server: TemporaryPostgres) -> list[list[str]]:
    started = time.perf_counter()
    bulk_heads(server, N_HEADS)
    print(f"  {N_HEADS:,} heads inserted in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    engine = sa.create_engine(server.url)
    tables = case_tables()
    now = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)
    rows: list[list[str]] = []
    wall, cpu = timed(lambda: make_digest(engine, tables, now=now, signing_key=os.urandom(32)))
    digest = make_digest(engine, tables, now=now, signing_key=os.urandom(32))
    rows.append([f"audit digest: {N_HEADS:,} heads, read+sort+tree+sign", f"{wall:.1f} s",
                 f"{cpu:.1f} s", "<= 30 s"])  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.json"
        w0 = time.perf_counter()
        path.write_text(digest.to_json())
        read = Digest.from_json(path.read_text())
        rows.append(["digest file: write + read back (root recomputed)",
                     f"{time.perf_counter() - w0:.1f} s", "", ""])  # fmt: skip
    wall, cpu = timed(lambda: check_digest(engine, tables, read))
    assert check_digest(engine, tables, read).ok
    rows.append([f"audit verify: {N_HEADS:,} heads unchanged", f"{wall:.1f} s", f"{cpu:.1f} s",
                 "<= 30 s"])  # fmt: skip
    # the digest of an earlier day: every case has grown since, each is looked up
    earlier = Digest(
        tuple((i, 1, hashlib.sha256(b"0:%d" % int(i[2:])).hexdigest()) for i, _, _ in read.heads),
        read.time,
        tree_of(()).root.hex(),
    )
    wall, cpu = timed(lambda: check_digest(engine, tables, earlier))
    assert check_digest(engine, tables, earlier).ok
    rows.append([f"audit verify: {N_HEADS:,} heads, every case grown since", f"{wall:.1f} s",
                 f"{cpu:.1f} s", "<= 30 s"])  # fmt: skip
    w0 = time.perf_counter()
    tree = tree_of(read.heads)
    build = time.perf_counter() - w0
    ids = [read.heads[i][0] for i in range(0, N_HEADS, max(1, N_HEADS // 1000))]
    w0 = time.perf_counter()
    for case_id in ids:
        prove(read, case_id, tree)
    per = (time.perf_counter() - w0) / len(ids)
    rows.append([f"audit prove: one proof in the built tree (tree built once: {build:.1f} s)",
                 f"{per * 1e3:.3f} ms", "", "<= 1 ms"])  # fmt: skip
    engine.dispose()
    return rows


def captured_saves(url: str, work: Any, hist: Histories) -> list[tuple[str, dict[str, Any]]]:
    """Every statement the sealed saves send (fresh tables), its parameters pre-encoded.

    A separate pass, so the timed saves carry no capture. The JSON parameters keep the
    text they were encoded to, so replaying them costs the client no encoding.
    """
    run = SealedRun(url, work, hist)
    driver = run.store._writes._driver
    send = driver.run
    out: list[tuple[str, dict[str, Any]]] = []

    def capture(sql: str, params: Any, *, all_rows: bool) -> Any:
        out.append((sql, {k: _pre_encoded(v) for k, v in params.items()}))
        return send(sql, params, all_rows=all_rows)

    driver.run = capture  # type: ignore[method-assign]
    run.save_all()
    run.engine.dispose()
    assert not run.save_failures, run.save_failures
    return out


def _pre_encoded(value: Any) -> Any:
    if isinstance(value, Json | Jsonb):
        dumps = getattr(value, "dumps", None)
        text = dumps(value.obj) if dumps is not None else json.dumps(value.obj)
        return type(value)(None, dumps=lambda _obj, text=text: text)
    return value


def statement_floor(
    server: TemporaryPostgres,
    work: Any,
    hist: Histories,
    statements: list[tuple[str, dict[str, Any]]],
    *,
    tiny_header: bool,
) -> tuple[float, float]:
    """(wall, CPU) of ``statements`` sent again by raw psycopg on fresh tables.

    ``tiny_header`` sends ``{}`` for every case header: what the header's size costs
    the server (a diagnostic; such a row would not load).
    """
    SealedRun(server.url, work, hist).engine.dispose()  # fresh tables, openings added
    empty = Jsonb({})
    ready = [
        (sql, {**params, "header": empty} if tiny_header and "header" in params else params)
        for sql, params in statements
    ]
    with psycopg.connect(conninfo(server), autocommit=True) as conn:

        def send_all() -> None:
            for sql, params in ready:
                conn.execute(sql, params).fetchall()

        return timed(send_all)


def main() -> None:
    if "--digests-only" in sys.argv:
        with TemporaryPostgres(durable=True) as server:
            rows = digests(server)
        print(table(f"Digests on PostgreSQL ({load_average()})",
                    ["operation", "wall", "CPU (this process)", "goal"], rows))  # fmt: skip
        return
    work = workload_cases(N_CASES, N_CASES)
    hist = Histories([work.versions[c.id] for c in work.cases])
    n_saves, n_cases = len(hist.order), len(hist.versions)
    print(f"{n_cases} cases, {hist.n_events:,} events; {n_saves:,} saves", file=sys.stderr)
    failures: list[str] = []
    with TemporaryPostgres(durable=True) as server, sync_commit(False):
        check_setting(server, False)
        raw = RawRun(server, hist)
        es = EsRun(server, hist)
        raw_w, raw_c = timed(raw.save_all)
        # the anchor loads the same events: its aggregates get every action's events too
        # (EsRun stores the openings only; without this it loaded one event per case)
        es.save_all()
        plain = StoreRun(server.url, work, hist)  # the same store without keys
        pl_w, pl_c = timed(plain.save_all)
        plain.engine.dispose()
        sealed = SealedRun(server.url, work, hist)  # the tables again, sealed this time
        st_w, st_c = timed(sealed.save_all)
        # the same rows read without keys: the full replay (the seal is ignored)
        unsealed_view = SqlCaseStore(sealed.engine, work.workflows)
        seal_store = sealed.store

        def unsealed_load() -> None:
            for v in hist.versions:
                try:
                    unsealed_view.get(v[0].id)
                except Exception as exc:  # counted and reported, never hidden
                    failures.append(f"full load: {type(exc).__name__}: {exc}"[:200])

        def sealed_load() -> None:
            for v in hist.versions:
                try:
                    seal_store.get(v[0].id)
                except Exception as exc:  # counted and reported, never hidden
                    failures.append(f"sealed load: {type(exc).__name__}: {exc}"[:200])

        def sealed_many() -> None:
            ids = [v[0].id for v in hist.versions]
            for i in range(0, len(ids), MANY):
                for got in seal_store.get_many(ids[i : i + MANY]).values():
                    if isinstance(got, Exception):
                        failures.append(f"sealed get_many: {type(got).__name__}: {got}"[:200])

        load = alternate(
            {"raw": raw.load_all, "es": es.load_all, "full": unsealed_load, "sealed": sealed_load,
             "many": sealed_many},
            LOAD_ROUNDS,
        )  # fmt: skip
        raw.conn.close()
        es.app.close()
        sealed.engine.dispose()
        # the floor of a sealed save: the store's own statements, no client work
        statements = captured_saves(server.url, work, hist)
        fl_w, fl_c = statement_floor(server, work, hist, statements, tiny_header=False)
        tiny_w, tiny_c = statement_floor(server, work, hist, statements, tiny_header=True)
        digest_rows = [] if "--loads-only" in sys.argv else digests(server)

    def med(key: str, which: int) -> float:
        return statistics.median(r[which] for r in load[key])

    def ratio(a: str, b: str, which: int) -> float:
        return statistics.median(y[which] / x[which] for x, y in zip(load[a], load[b], strict=True))

    print(
        table(
            f"Sealed saves, sync commit off ({n_saves:,} saves of {hist.saved_events:,} events "
            f"over {n_cases} cases; one pass each; {load_average()})",
            ["operation", "saves/s wall", "CPU µs/save", "x raw (wall)", "goal"],
            [
                [
                    "raw psycopg INSERT+COMMIT (anchor)",
                    per_s(n_saves, raw_w),
                    us(raw_c, n_saves),
                    "1.00x",
                    "",
                ],
                [
                    "SqlCaseStore without keys on PostgreSQL",
                    per_s(n_saves, pl_w),
                    us(pl_c, n_saves),
                    f"{raw_w / pl_w:.2f}x",
                    "",
                ],
                [
                    "SqlCaseStore with a seal on PostgreSQL",
                    per_s(n_saves, st_w),
                    us(st_c, n_saves),
                    f"{raw_w / st_w:.2f}x",
                    ">= 0.6x raw",
                ],
                [
                    "floor: the sealed saves' own statements by raw psycopg",
                    per_s(n_saves, fl_w),
                    us(fl_c, n_saves),
                    f"{raw_w / fl_w:.2f}x",
                    "",
                ],
                [
                    "diagnostic: the same statements, every header {}",
                    per_s(n_saves, tiny_w),
                    us(tiny_c, n_saves),
                    f"{raw_w / tiny_w:.2f}x",
                    "",
                ],
            ],
        )
    )
    print()
    print(
        table(
            f"Sealed loads ({n_cases} cases, {hist.n_events:,} events; median of {LOAD_ROUNDS} "
            f"alternating rounds; ratios the median of per-round ratios; {load_average()})",
            ["operation", "cases/s wall", "CPU µs/case", "x es (wall)", "x es (CPU)", "goal"],
            [
                [
                    "raw psycopg: read the rows (floor)",
                    per_s(n_cases, med("raw", 0)),
                    us(med("raw", 1), n_cases),
                    "",
                    "",
                    "",
                ],
                [
                    "eventsourcing 9.x: load the aggregate (anchor)",
                    per_s(n_cases, med("es", 0)),
                    us(med("es", 1), n_cases),
                    "1.00x",
                    "1.00x",
                    "",
                ],
                [
                    "SqlCaseStore, no keys: load+verify+replay",
                    per_s(n_cases, med("full", 0)),
                    us(med("full", 1), n_cases),
                    f"{ratio('full', 'es', 0):.2f}x",
                    f"{ratio('full', 'es', 1):.2f}x",
                    "",
                ],
                [
                    "SqlCaseStore, sealed: decode+re-hash+seal, no replay",
                    per_s(n_cases, med("sealed", 0)),
                    us(med("sealed", 1), n_cases),
                    f"{ratio('sealed', 'es', 0):.2f}x",
                    f"{ratio('sealed', 'es', 1):.2f}x",
                    ">= 3x es",
                ],
                [
                    f"SqlCaseStore, sealed, get_many ({MANY} cases per statement)",
                    per_s(n_cases, med("many", 0)),
                    us(med("many", 1), n_cases),
                    f"{ratio('many', 'es', 0):.2f}x",
                    f"{ratio('many', 'es', 1):.2f}x",
                    "batched: es has no such call",
                ],
            ],
        )
    )
    if digest_rows:
        print()
        print(
            table(
                f"Digests on PostgreSQL ({load_average()})",
                ["operation", "wall", "CPU (this process)", "goal"],
                digest_rows,
            )
        )
    print("failures: " + ("; ".join(sorted(set(failures))[:5]) if failures else "none"))


if __name__ == "__main__":
    main()
