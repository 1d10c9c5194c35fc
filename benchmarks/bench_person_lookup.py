"""A person's cases by NIK, passport or phone among 1,000,000 persons (the blind index).

Run: ``python benchmarks/bench_person_lookup.py [--quick]`` (needs the ``sql`` and
``bench`` extras and the PostgreSQL server binaries; starts a throwaway server).

Set-up (not timed): 1,000,000 case rows (server-side ``generate_series``), and for each
one a person with a NIK, a passport number and a phone, indexed by their keyed hashes
(3,000,000 rows of ``case_person_keys``, bulk-loaded with ``COPY``, as
``SqlCaseStore.index_persons`` would write them), then the digest index, ``pg_prewarm``
of the indexes (a server that has run a while has them in memory) and ``ANALYZE``.
``--quick`` uses 100,000 persons.

Timed, wall time per lookup (a round trip to the server each), over 2,000 random
persons:

- ``store.cases_of_person(nik=…, by=…)``: normalise, HMAC, one indexed ``SELECT`` through
  SQLAlchemy, the permission check of each case found;
- the same with a phone written as an officer types it (``0812-…``);
- anchor: a plain indexed ``SELECT`` by raw psycopg of the same persons' NIKs in a
  plaintext table ``plain_nik (nik text primary key, case_id text)`` — what an
  integrator's plain index would cost (and what the erasure promise forbids).

Goal: median lookup <= 2 ms.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import statistics
import sys
import time

import psycopg
import sqlalchemy as sa
from _util import latency_row, load_average, quick, table, timed_ms

from migrantcare import Actor, complaint_workflow
from migrantcare.sql import SqlCaseStore, create_all
from migrantcare.sql.testing import TemporaryPostgres

KEY = b"bench-person-key-0123456789abcdef"
GOAL_MS = 2.0
LOOKUPS = 2000


def nik(i: int) -> str:
    return f"{5301000000000000 + i:016d}"


def passport(i: int) -> str:
    return f"C{i:08d}"


def phone(i: int) -> str:
    return f"+62812{i:08d}"


def digest(kind: str, value: str) -> bytes:
    return hmac.new(KEY, f"{kind}:{value}".encode(), hashlib.sha256).digest()


def load(server: TemporaryPostgres, n: int) -> None:
    conninfo = f"host={server.socket_dir} port=5432 user=postgres dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP INDEX IF EXISTS case_person_keys_digest")
        conn.execute(
            "INSERT INTO cases (id, workflow, workflow_version, version, state, office, "
            "calendar_version, next_due_at, opened_at, updated_at, head_hash, header) "
            "SELECT 'PGD-' || i, 'complaint', 1, 1, 'received', "
            "(ARRAY['bp3mi-ntb','bp3mi-ntt','call-centre'])[1 + i %% 3], NULL, NULL, "
            "timestamptz '2026-01-01' + i * interval '1 minute', "
            "timestamptz '2026-01-01' + i * interval '1 minute', repeat('0', 64), '{}' "
            "FROM generate_series(0, %s) AS i",
            (n - 1,),
        )
        with conn.cursor().copy(
            "COPY case_person_keys (case_id, role, kind, digest) FROM STDIN"
        ) as copy:
            for i in range(n):
                case_id = f"PGD-{i}"
                copy.write_row((case_id, "complainant", "nik", digest("nik", nik(i))))
                copy.write_row(
                    (case_id, "complainant", "passport", digest("passport", passport(i)))
                )
                copy.write_row((case_id, "complainant", "phone", digest("phone", phone(i))))
        conn.execute("CREATE TABLE plain_nik (nik text PRIMARY KEY, case_id text NOT NULL)")
        with conn.cursor().copy("COPY plain_nik (nik, case_id) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row((nik(i), f"PGD-{i}"))
        conn.execute("CREATE INDEX case_person_keys_digest ON case_person_keys (digest)")
        # the indexes in memory, as on a server that has run for a while (the same for
        # the anchor)
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for relation in ("case_person_keys_digest", "cases_pkey", "cases", "plain_nik_pkey"):
            conn.execute("SELECT pg_prewarm(%s)", (relation,))
        conn.execute("VACUUM ANALYZE cases")
        conn.execute("VACUUM ANALYZE case_person_keys")
        conn.execute("VACUUM ANALYZE plain_nik")
        rows = conn.execute("SELECT count(*) FROM case_person_keys").fetchone()
        assert rows is not None
        assert rows[0] == 3 * n


def main() -> int:
    n = 100_000 if quick() else 1_000_000
    rng = random.Random(26)
    picks = [rng.randrange(n) for _ in range(LOOKUPS)]
    agent = Actor("cc-01", roles={"call_centre"}, office="call-centre")
    print(
        f"bench_person_lookup: {n:,} persons; starting a throwaway PostgreSQL ...", file=sys.stderr
    )
    with TemporaryPostgres(durable=False) as server:
        engine = sa.create_engine(server.url)
        create_all(engine)
        t0 = time.perf_counter()
        load(server, n)
        print(f"  loaded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        store = SqlCaseStore(engine, complaint_workflow(), person_key=KEY)
        # every pick is found, and only its own case (checked before timing)
        for i in picks[:50]:
            assert store.cases_of_person(nik=nik(i), by=agent) == (f"PGD-{i}",)
        conninfo = f"host={server.socket_dir} port=5432 user=postgres dbname=postgres"
        raw = psycopg.connect(conninfo, autocommit=True)
        raw.execute("SELECT case_id FROM plain_nik WHERE nik = %s", (nik(0),)).fetchall()

        def plain(i: int) -> None:
            found = raw.execute(
                "SELECT case_id FROM plain_nik WHERE nik = %s", (nik(i),)
            ).fetchall()
            assert found == [(f"PGD-{i}",)]

        def by_nik(i: int) -> None:
            assert store.cases_of_person(nik=nik(i), by=agent) == (f"PGD-{i}",)

        def by_phone(i: int) -> None:
            local = "0" + phone(i)[3:]  # as an officer types it: 0812...
            assert store.cases_of_person(phone=local, by=agent) == (f"PGD-{i}",)

        for fn in (plain, by_nik, by_phone):  # warm the caches and the pool
            timed_ms(picks[:200], fn)
        results = {
            "plain indexed SELECT by raw psycopg (anchor)": timed_ms(picks, plain),
            "store.cases_of_person(nik=...)": timed_ms(picks, by_nik),
            "store.cases_of_person(phone='0812...')": timed_ms(picks, by_phone),
        }
        raw.close()
        engine.dispose()
    print(
        table(
            f"Person lookup among {n:,} persons ({3 * n:,} index rows), {LOOKUPS:,} lookups, "
            "wall ms per lookup",
            ["lookup", "median", "p99", "mean"],
            [latency_row(name, ms) for name, ms in results.items()],
        )
    )
    print(load_average())
    worst = max(statistics.median(v) for k, v in results.items() if k.startswith("store"))
    ok = worst <= GOAL_MS
    print(f"goal: median <= {GOAL_MS} ms: {'met' if ok else 'MISSED'} ({worst:.3f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
