"""An office's overdue list among 100,000 cases, and the next breach (the deadline index).

Run: ``python benchmarks/bench_overdue.py [--quick]`` (needs the ``sql`` and ``bench``
extras and the PostgreSQL server binaries; starts a throwaway server).

Set-up (not timed): 100,000 case rows (server-side ``generate_series``) over four
offices, each with a ``deadline_at`` spread over 60 days (a tenth with no running clock),
``VACUUM ANALYZE``. ``--quick`` uses the same 100,000 rows and fewer calls.

Timed, wall time per call (a round trip to the server each), 200 calls at random
instants:

- ``store.overdue(office=…, at=…, limit=100)``: one indexed ``SELECT`` through
  SQLAlchemy (``cases_office_deadline``), its rows as ``CaseSummary`` values;
- ``store.next_deadline(after=…, office=…)``: when the office's next breach falls;
- anchor: the same ``SELECT`` of the ids only, by raw psycopg on a kept connection: what
  the index costs by itself.

Goal: the overdue list of one office < 50 ms (median).
"""

from __future__ import annotations

import datetime as dt
import random
import sys

import psycopg
import sqlalchemy as sa
from _util import latency_row, load_average, quick, table, timed_ms

from migrantcare import complaint_workflow
from migrantcare.sql import SqlCaseStore, create_all
from migrantcare.sql.testing import TemporaryPostgres

GOAL_MS = 50.0
N = 100_000
OFFICES = ("bp3mi-ntb", "bp3mi-ntt", "bp3mi-papua", "call-centre")
START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def load(server: TemporaryPostgres) -> None:
    conninfo = f"host={server.socket_dir} port=5432 user=postgres dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO cases (id, workflow, workflow_version, version, state, office, "
            "calendar_version, next_due_at, deadline_at, opened_at, updated_at, head_hash, "
            "header) "
            "SELECT 'PGD-' || i, 'complaint', 1, 1, 'received', "
            "(ARRAY['bp3mi-ntb','bp3mi-ntt','bp3mi-papua','call-centre'])[1 + i %% 4], "
            "NULL, NULL, "
            "CASE WHEN i %% 10 = 0 THEN NULL "
            "ELSE timestamptz '2026-01-01' + ((i * 7919) %% 86400) * interval '1 minute' END, "
            "timestamptz '2026-01-01', timestamptz '2026-01-01', repeat('0', 64), '{}' "
            "FROM generate_series(0, %s) AS i",
            (N - 1,),
        )
        conn.execute("VACUUM ANALYZE cases")


def main() -> int:
    calls = 50 if quick() else 200
    rng = random.Random(23)
    instants = [START + dt.timedelta(days=rng.uniform(1, 59)) for _ in range(calls)]
    office = "bp3mi-ntb"
    print(f"bench_overdue: {N:,} cases; starting a throwaway PostgreSQL ...", file=sys.stderr)
    with TemporaryPostgres(durable=False) as server:
        engine = sa.create_engine(server.url)
        create_all(engine)
        load(server)
        store = SqlCaseStore(engine, complaint_workflow())
        conninfo = f"host={server.socket_dir} port=5432 user=postgres dbname=postgres"
        raw = psycopg.connect(conninfo, autocommit=True)
        anchor_sql = (
            "SELECT id FROM cases WHERE office = %s AND deadline_at <= %s "
            "ORDER BY deadline_at, id LIMIT 100"
        )
        # the same cases both ways (checked before timing)
        probe = instants[0]
        got = [s.id for s in store.overdue(office=office, at=probe)]
        want = [r[0] for r in raw.execute(anchor_sql, (office, probe)).fetchall()]
        assert got == want
        assert len(got) == 100
        for at in instants[:10]:  # warm both
            store.overdue(office=office, at=at)
            raw.execute(anchor_sql, (office, at)).fetchall()
        rows = [
            latency_row(
                "store.overdue(office, at) [100 summaries]",
                timed_ms(instants, lambda at: store.overdue(office=office, at=at)),
            ),
            latency_row(
                "store.next_deadline(after, office)",
                timed_ms(instants, lambda at: store.next_deadline(after=at, office=office)),
            ),
            latency_row(
                "anchor: raw psycopg indexed SELECT of the ids",
                timed_ms(instants, lambda at: raw.execute(anchor_sql, (office, at)).fetchall()),
            ),
        ]
        plan = raw.execute("EXPLAIN " + anchor_sql, (office, probe)).fetchall()
        raw.close()
        engine.dispose()
    print(
        table(
            f"Overdue list of one office among {N:,} cases (wall ms per call, {calls} calls; "
            f"{load_average()})",
            ["call", "median", "p99", "mean"],
            rows,
        )
    )
    print("plan:", " / ".join(str(r[0]).strip() for r in plan[:2]))
    median = float(rows[0][1])
    print(f"goal: overdue list < {GOAL_MS:.0f} ms: {'met' if median < GOAL_MS else 'MISSED'}")
    return 0 if median < GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
