"""The SQL case store on a real PostgreSQL (and SQLite), beside its anchors.

Run: ``python benchmarks/bench_store.py`` (needs the ``sql`` and ``bench`` extras and the
PostgreSQL server binaries; the script starts a throwaway cluster with fsync and
synchronous commit on, like production).

Measured in the same run, on the same server:

* save: append one event and compare-and-set the case row, one transaction per save
  (events fired beforehand; only the save is timed), beside a raw psycopg single-row
  ``INSERT`` + ``COMMIT`` loop and ``eventsourcing`` saving one event per transaction.
  Goals: >= 0.6x raw psycopg, >= 1.5x eventsourcing.
* load a 20-event complaint (read, check the chain against the stored head, replay
  through the workflow with its SLA clocks), beside ``eventsourcing``'s load of a
  20-event aggregate and a raw psycopg read of 20 rows. Goal: >= 1.2x eventsourcing.
  The three loads are timed in alternating batches (every case loaded once per batch,
  no cache: a default store verifies every load), and the ratio is the median of the
  per-round ratios, so that a busy machine slows all of them alike.
* the same store on a SQLite file (WAL, synchronous FULL), for comparison.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import psycopg
import sqlalchemy as sa
from _util import table
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from migrantcare import Actor, Case, Person, WorkingCalendar, complaint_workflow
from migrantcare.sql import SqlCaseStore, case_tables, create_all
from migrantcare.sql.testing import TemporaryPostgres

WF = complaint_workflow()
CAL = WorkingCalendar.for_province("Nusa Tenggara Timur")
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
CASES, EVENTS = 100, 20  # saves timed: CASES * (EVENTS - 1)
REPEATS = 3
LOAD_ROUNDS = 9  # alternating batches of loads (each: every case, PASSES times)
PASSES = 2
AGENT = Actor("cc-01", roles={"call_centre"}, office="bp3mi-ntt")
OFFICER = Actor("officer-a", roles={"officer"}, office="bp3mi-ntt")


def rate(n: int, fn: Callable[[], None]) -> float:
    """Operations per second of ``fn`` doing ``n`` operations (best of one run)."""
    t0 = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t0)


def best(runs: list[float]) -> float:
    return statistics.median(runs)


def histories() -> list[list[Case]]:
    """Per case, its EVENTS versions (open + escalations), fired before any timing."""
    out = []
    for i in range(CASES):
        case = WF.open(
            f"PGD-{i:04d}",
            at=T0,
            by=AGENT,
            office="bp3mi-ntt",
            category="unpaid_wages",
            channel="whatsapp",
            complainant=Person("Siti Aminah", passport_number="C1234567"),
            calendar=CAL,
        )
        versions = [case]
        for k in range(1, EVENTS):
            case = WF.fire(
                case, "escalate", at=T0 + dt.timedelta(minutes=k), by=OFFICER, calendar=CAL
            )
            versions.append(case)
        out.append(versions)
    return out


def store_figures(engine: sa.Engine, label: str) -> tuple[float, float, Callable[[], None]]:
    """(saves/s, loads/s, a batch of loads) of the store on ``engine``, fresh tables each repeat."""
    saves, loads = [], []
    batches: list[Callable[[], None]] = []
    for _ in range(REPEATS):
        # the store's tables only: the anchors' tables live on the same server
        case_tables().metadata.drop_all(engine)
        create_all(engine)
        store = SqlCaseStore(engine, WF, calendar=CAL)
        cases = histories()
        for versions in cases:
            store.add(versions[0])

        def save_all(store: SqlCaseStore = store, cases: list[list[Case]] = cases) -> None:
            for k in range(1, EVENTS):  # round-robin: every save hits another case
                for versions in cases:
                    store.save(versions[k], expected_version=k)

        saves.append(rate(CASES * (EVENTS - 1), save_all))
        ids = [v[0].id for v in cases]

        def load_all(store: SqlCaseStore = store, ids: list[str] = ids) -> None:
            for _ in range(PASSES):
                for case_id in ids:
                    store.get(case_id)

        loads.append(rate(CASES * PASSES, load_all))
        batches.append(load_all)
        print(f"  {label}: save {saves[-1]:,.0f}/s, load {loads[-1]:,.0f}/s", file=sys.stderr)
    return best(saves), best(loads), batches[-1]


def raw_psycopg(conn: psycopg.Connection[Any]) -> tuple[float, Callable[[], None]]:
    """Single-row INSERT + COMMIT loop; and a batch of reads of 20 rows by key."""
    n = CASES * (EVENTS - 1)
    inserts = []
    body = '{"seq": 1, "kind": "transition", "name": "escalate", "by": "officer-a"}'
    conn.execute("DROP TABLE IF EXISTS raw_events")
    conn.execute(
        "CREATE TABLE raw_events (case_id text, seq int, body jsonb, PRIMARY KEY (case_id, seq))"
    )
    conn.commit()
    for r in range(REPEATS):

        def insert_all(r: int = r) -> None:
            for i in range(n):
                conn.execute(
                    "INSERT INTO raw_events VALUES (%s, %s, %s)",
                    (f"raw-{r}-{i % CASES}", i // CASES, body),
                )
                conn.commit()

        inserts.append(rate(n, insert_all))

    def read_all() -> None:
        for _ in range(PASSES):
            for i in range(CASES):
                conn.execute(
                    "SELECT seq, body FROM raw_events WHERE case_id = %s ORDER BY seq",
                    (f"raw-0-{i}",),
                ).fetchall()
                conn.commit()

    return best(inserts), read_all


class Complaint(Aggregate):
    """The eventsourcing anchor: an aggregate with one event per officer action."""

    @event("Opened")
    def __init__(self, office: str) -> None:
        self.office = office
        self.actions: list[str] = []

    @event("Escalated")
    def escalate(self, by: str) -> None:
        self.actions.append(by)


def eventsourcing_figures(
    server: TemporaryPostgres, apps: list[Application]
) -> tuple[float, Callable[[], None]]:
    """Saves/s (one event per transaction), and a batch of loads of 20-event aggregates.

    The applications are appended to ``apps`` (the caller closes them).
    """
    saves = []
    batches: list[Callable[[], None]] = []
    for _ in range(REPEATS):
        schema = f"es_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(conninfo(server), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        app = Application(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": "postgres",
                "POSTGRES_HOST": str(server.socket_dir),
                "POSTGRES_PORT": "5432",
                "POSTGRES_USER": "postgres",
                "POSTGRES_PASSWORD": "",
                "POSTGRES_SCHEMA": schema,
                "CREATE_TABLE": "y",
            }
        )
        apps.append(app)
        aggregates = [Complaint(office="bp3mi-ntt") for _ in range(CASES)]
        for agg in aggregates:
            app.save(agg)

        def save_all(app: Application = app, aggregates: list[Complaint] = aggregates) -> None:
            for _ in range(1, EVENTS):
                for agg in aggregates:
                    agg.escalate(by="officer-a")
                    app.save(agg)

        saves.append(rate(CASES * (EVENTS - 1), save_all))
        ids = [a.id for a in aggregates]

        def load_all(app: Application = app, ids: list[Any] = ids) -> None:
            for _ in range(PASSES):
                for agg_id in ids:
                    app.repository.get(agg_id)

        batches.append(load_all)
    return best(saves), batches[-1]


def conninfo(server: TemporaryPostgres) -> str:
    return f"host={server.socket_dir} port=5432 user=postgres dbname=postgres"


def main() -> None:
    print("bench_store: starting a throwaway PostgreSQL (fsync on) ...", file=sys.stderr)
    apps: list[Application] = []
    with TemporaryPostgres(durable=True) as server, psycopg.connect(conninfo(server)) as raw:
        raw_save, raw_loads = raw_psycopg(raw)
        es_save, es_loads = eventsourcing_figures(server, apps)
        engine = sa.create_engine(server.url)
        pg_save, _, pg_loads = store_figures(engine, "postgresql")
        # the loads, in alternating batches on the same server
        rounds: dict[str, list[float]] = {"raw": [], "es": [], "pg": []}
        for _ in range(LOAD_ROUNDS):
            for key, batch in (("raw", raw_loads), ("es", es_loads), ("pg", pg_loads)):
                rounds[key].append(rate(CASES * PASSES, batch))
        print(
            "  loads per round (raw, es, store): "
            + "; ".join(
                f"{a:,.0f} {b:,.0f} {c:,.0f}"
                for a, b, c in zip(rounds["raw"], rounds["es"], rounds["pg"], strict=True)
            ),
            file=sys.stderr,
        )
        for app in apps:
            app.close()
        engine.dispose()
    raw_load, es_load, pg_load = (statistics.median(rounds[k]) for k in ("raw", "es", "pg"))
    pg_vs_es = statistics.median(p / e for p, e in zip(rounds["pg"], rounds["es"], strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{tmp}/cases.db")
        lite_save, lite_load, _ = store_figures(engine, "sqlite")
        engine.dispose()

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x"

    rows = [
        ["save: raw psycopg INSERT+COMMIT (anchor)", f"{raw_save:,.0f}", "1.00x", ""],
        ["save: eventsourcing, 1 event/txn (anchor)", f"{es_save:,.0f}", "", ""],
        [
            "save: SqlCaseStore on PostgreSQL",
            f"{pg_save:,.0f}",
            f"{ratio(pg_save, raw_save)} raw, {ratio(pg_save, es_save)} es",
            ">=0.6x raw, >=1.5x es",
        ],
        ["save: SqlCaseStore on SQLite file", f"{lite_save:,.0f}", "", ""],
        ["load 20 rows: raw psycopg (floor)", f"{raw_load:,.0f}", "", ""],
        ["load 20 events: eventsourcing (anchor)", f"{es_load:,.0f}", "1.00x", ""],
        [
            "load+verify+replay 20: PostgreSQL",
            f"{pg_load:,.0f}",
            f"{pg_vs_es:.2f}x",
            ">=1.2x es",
        ],
        ["load+verify+replay 20: SQLite file", f"{lite_load:,.0f}", "", ""],
    ]
    print(
        table(
            f"SQL case store, per second (saves: median of {REPEATS}; loads: median of "
            f"{LOAD_ROUNDS} alternating rounds, ratio the median of per-round ratios; "
            f"{CASES} cases x {EVENTS} events)",
            ["operation", "per s", "ratio", "goal"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
