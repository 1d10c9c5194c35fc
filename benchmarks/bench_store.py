"""The SQL case store on a real PostgreSQL (and SQLite), on the realistic workload.

Run: ``python benchmarks/bench_store.py [--quick]`` (needs the ``sql`` and ``bench``
extras and the PostgreSQL server binaries; the script starts a throwaway cluster with
fsync on, like production).

The histories are those of ``benchmarks/workload.py`` (complaints, repatriation and
outreach in WIB/WITA/WIT offices: waits that pause and resume clocks, transfers across
zones, notes, reopenings, warnings, breaches, escalations; median ~10 events, a long
tail of hundreds). Measured in the same run, on the same server, on the same events:

* save: one save per host action (the opening added first, untimed; then every fire,
  transfer and ``advance`` the generator made, round-robin over the cases): the store
  appends the action's events and compare-and-sets the case row in one transaction.
  Anchors: a raw psycopg ``INSERT`` of the same event rows + ``COMMIT`` per action, and
  ``eventsourcing`` 9.x saving an aggregate with the same number of new events per
  action. Both with ``synchronous_commit`` on and off (``PGOPTIONS`` for every client).
  Goals: >= 0.6x raw psycopg with sync commit off, >= 1.5x eventsourcing (on and off).
* load: every case read, its hash chain checked, replayed through its workflow with
  the SLA clocks (the default store verifies every load), beside ``eventsourcing``
  loading an aggregate of the same events and raw psycopg reading the same rows. The
  three are timed in alternating rounds; the ratio is the median of per-round ratios.
  Goal: >= 1.2x eventsourcing per case.
* one extra row, clearly labelled: the old escalation-only shape (an opening and 19
  escalations, events that move no clock), which flatters the store.
* the same store on a SQLite file (WAL, synchronous FULL), for comparison.

Wall time is what a host sees; CPU time is this (client) process's, which other
processes on a shared machine barely move. The server's CPU is in neither.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import psycopg
import sqlalchemy as sa
from _util import load_average, quick, table, timed, workload_cases
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from migrantcare import Actor, Case, WorkingCalendar, complaint_workflow
from migrantcare.sql import SqlCaseStore, case_tables, create_all
from migrantcare.sql.testing import TemporaryPostgres

QUICK = quick()
N_CASES = 150 if QUICK else 600
LOAD_ROUNDS = 3 if QUICK else 7
ESC_CASES, ESC_EVENTS = 100, 20


# ---------------------------------------------------------------- the histories


class Histories:
    """The workload's cases as saved action by action, and the rows the anchors store."""

    def __init__(self, versions: list[tuple[Case, ...]]) -> None:
        self.versions = versions
        # round-robin: every save hits another case, as an office's traffic does
        longest = max(len(v) for v in versions)
        self.order = [
            (i, k) for k in range(1, longest) for i, v in enumerate(versions) if k < len(v)
        ]
        self.n_events = sum(v[-1].version for v in versions)
        self.saved_events = sum(v[-1].version - v[0].version for v in versions)
        # the anchors store each event as the store does: its JSON body
        self.bodies = [
            [json.dumps(e.to_dict(), separators=(",", ":")) for e in v[-1].events] for v in versions
        ]

    def new_bodies(self, i: int, k: int) -> list[str]:
        """The bodies of the events that action ``k`` of case ``i`` added."""
        lo, hi = self.versions[i][k - 1].version, self.versions[i][k].version
        return self.bodies[i][lo:hi]


@contextmanager
def sync_commit(on: bool) -> Iterator[None]:
    """Every new client connection (libpq reads PGOPTIONS) with synchronous_commit on/off."""
    old = os.environ.get("PGOPTIONS")
    os.environ["PGOPTIONS"] = f"-c synchronous_commit={'on' if on else 'off'}"
    try:
        yield
    finally:
        if old is None:
            del os.environ["PGOPTIONS"]
        else:
            os.environ["PGOPTIONS"] = old


def conninfo(server: TemporaryPostgres) -> str:
    return f"host={server.socket_dir} port=5432 user=postgres dbname=postgres"


def check_setting(server: TemporaryPostgres, on: bool) -> None:
    with psycopg.connect(conninfo(server)) as conn:
        row = conn.execute("SHOW synchronous_commit").fetchone()
    assert row is not None
    assert row[0] == ("on" if on else "off"), row


# ---------------------------------------------------------------- the store


class StoreRun:
    """The store on ``url``: fresh tables, openings added, the actions saved in order."""

    def __init__(self, url: str, work: Any, hist: Histories) -> None:
        self.engine = sa.create_engine(url)
        case_tables().metadata.drop_all(self.engine)
        create_all(self.engine)
        self.store = SqlCaseStore(self.engine, work.workflows)
        self.hist = hist
        for v in hist.versions:
            self.store.add(v[0])
        self.save_failures: dict[str, int] = {}
        self.load_failures: dict[str, int] = {}
        self.failed_cases: set[int] = set()

    def save_all(self) -> None:
        versions, failed = self.hist.versions, self.failed_cases
        for i, k in self.hist.order:
            if i in failed:
                continue
            try:
                self.store.save(versions[i][k], expected_version=versions[i][k - 1].version)
            except Exception as exc:  # counted and reported: the case's later saves skipped
                failed.add(i)
                name = type(exc).__name__
                self.save_failures[name] = self.save_failures.get(name, 0) + 1

    def load_all(self) -> None:
        get = self.store.get
        for v in self.hist.versions:
            try:
                get(v[0].id)
            except Exception as exc:  # counted and reported, never hidden
                name = type(exc).__name__
                self.load_failures[name] = self.load_failures.get(name, 0) + 1


# ---------------------------------------------------------------- raw psycopg


class RawRun:
    """The same event rows by raw psycopg: INSERT + COMMIT per action; reads by key."""

    def __init__(self, server: TemporaryPostgres, hist: Histories) -> None:
        self.conn = psycopg.connect(conninfo(server))
        self.hist = hist
        self.conn.execute("DROP TABLE IF EXISTS raw_events")
        self.conn.execute(
            "CREATE TABLE raw_events "
            "(case_id text, seq int, body jsonb, PRIMARY KEY (case_id, seq))"
        )
        self.ids = [v[0].id for v in hist.versions]
        for i in range(len(hist.versions)):
            self.conn.execute(
                "INSERT INTO raw_events VALUES (%s, %s, %s)", (self.ids[i], 1, hist.bodies[i][0])
            )
        self.conn.commit()
        # the statements and parameters are built before the clock starts
        self.saves: list[tuple[str, tuple[Any, ...]]] = []
        for i, k in hist.order:
            lo = hist.versions[i][k - 1].version
            bodies = hist.new_bodies(i, k)
            sql = "INSERT INTO raw_events VALUES " + ", ".join(["(%s, %s, %s)"] * len(bodies))
            params: list[Any] = []
            for n, body in enumerate(bodies):
                params += [self.ids[i], lo + n + 1, body]
            self.saves.append((sql, tuple(params)))

    def save_all(self) -> None:
        conn = self.conn
        for sql, params in self.saves:
            conn.execute(sql, params)
            conn.commit()

    def load_all(self) -> None:
        conn = self.conn
        for case_id in self.ids:
            conn.execute(
                "SELECT seq, body FROM raw_events WHERE case_id = %s ORDER BY seq", (case_id,)
            ).fetchall()
            conn.commit()


# ---------------------------------------------------------------- eventsourcing


class Recorded(Aggregate):
    """The eventsourcing anchor: one aggregate per case, one domain event per case event."""

    @event("Opened")
    def __init__(self, body: str) -> None:
        self.count = 1

    @event("Recorded")
    def record(self, body: str) -> None:
        self.count += 1


class EsRun:
    """The same events through ``eventsourcing`` (PostgreSQL), saved action by action."""

    def __init__(self, server: TemporaryPostgres, hist: Histories) -> None:
        schema = f"es_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(conninfo(server), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        self.app = Application(
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
        self.hist = hist
        self.aggregates = [Recorded(body=b[0]) for b in hist.bodies]
        for agg in self.aggregates:
            self.app.save(agg)

    def save_all(self) -> None:
        app, aggs, hist = self.app, self.aggregates, self.hist
        for i, k in hist.order:
            agg = aggs[i]
            for body in hist.new_bodies(i, k):
                agg.record(body=body)
            app.save(agg)

    def load_all(self) -> None:
        get = self.app.repository.get
        for agg in self.aggregates:
            get(agg.id)


# ---------------------------------------------------------------- the old shape


def escalation_only() -> Histories:
    """The old benchmark's histories: an opening and 19 escalations (no clock moves)."""
    from migrantcare import Person  # noqa: PLC0415

    wf = complaint_workflow()
    cal = WorkingCalendar.for_province("Nusa Tenggara Timur")
    t0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
    agent = Actor("cc-01", roles={"call_centre"}, office="bp3mi-ntt")
    officer = Actor("officer-a", roles={"officer"}, office="bp3mi-ntt")
    out = []
    for i in range(ESC_CASES):
        case = wf.open(
            f"ESC-{i:04d}", at=t0, by=agent, office="bp3mi-ntt", category="unpaid_wages",
            channel="whatsapp", complainant=Person("Siti Aminah"), calendar=cal,
        )  # fmt: skip
        versions = [case]
        for k in range(1, ESC_EVENTS):
            case = wf.fire(
                case, "escalate", at=t0 + dt.timedelta(minutes=k), by=officer, calendar=cal
            )
            versions.append(case)
        out.append(tuple(versions))
    return Histories(out)


# ---------------------------------------------------------------- main


def alternate(
    batches: dict[str, Callable[[], None]], rounds: int
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) of each batch per round, the batches in alternation."""
    out: dict[str, list[tuple[float, float]]] = {k: [] for k in batches}
    for _ in range(rounds):
        for key, batch in batches.items():
            out[key].append(timed(batch))
    return out


def per_s(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}"


def us(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:,.0f}"


def main() -> None:
    work = workload_cases(N_CASES, N_CASES)
    hist = Histories([work.versions[c.id] for c in work.cases])
    n_saves, n_cases = len(hist.order), len(hist.versions)
    print(
        f"{n_cases} cases, {hist.n_events:,} events; {n_saves:,} saves (one per host action) "
        f"of {hist.saved_events:,} events after the openings",
        file=sys.stderr,
    )
    save_rows: list[list[str]] = []
    figures: dict[str, tuple[float, float]] = {}
    failures: list[str] = []
    load: dict[str, list[tuple[float, float]]] = {}
    esc: dict[str, list[tuple[float, float]]] = {}
    print("bench_store: starting a throwaway PostgreSQL (fsync on) ...", file=sys.stderr)
    with TemporaryPostgres(durable=True) as server:
        for on in (True, False):
            mode = "on" if on else "off"
            with sync_commit(on):
                check_setting(server, on)
                raw = RawRun(server, hist)
                es = EsRun(server, hist)
                store = StoreRun(server.url, work, hist)
                figures[f"raw {mode}"] = timed(raw.save_all)
                figures[f"es {mode}"] = timed(es.save_all)
                figures[f"store {mode}"] = timed(store.save_all)
                print(f"  saves, sync commit {mode}: done", file=sys.stderr)
                if store.save_failures:
                    failures.append(
                        f"save (sync {mode}): {len(store.failed_cases)} cases failed "
                        f"{store.save_failures}"
                    )
                if not on:
                    # the loads, in alternating rounds, on the histories just saved
                    load = alternate(
                        {"raw": raw.load_all, "es": es.load_all, "store": store.load_all},
                        LOAD_ROUNDS,
                    )
                    if store.load_failures:
                        per_round = {k: v // LOAD_ROUNDS for k, v in store.load_failures.items()}
                        failures.append(f"load: per round {per_round} of {n_cases} cases")
                    old = escalation_only()
                    old_es = EsRun(server, old)
                    old_store = StoreRun(server.url, work, old)
                    old_es.save_all()
                    old_store.save_all()
                    esc = alternate(
                        {"es": old_es.load_all, "store": old_store.load_all}, LOAD_ROUNDS
                    )
                    old_es.app.close()
                    old_store.engine.dispose()
                raw.conn.close()
                es.app.close()
                store.engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        lite = StoreRun(f"sqlite:///{tmp}/cases.db", work, hist)
        figures["sqlite save"] = timed(lite.save_all)
        figures["sqlite load"] = timed(lite.load_all)
        lite.engine.dispose()

    for mode in ("on", "off"):
        raw_w, raw_c = figures[f"raw {mode}"]
        es_w, es_c = figures[f"es {mode}"]
        st_w, st_c = figures[f"store {mode}"]
        goal = ">=0.6x raw, >=1.5x es" if mode == "off" else ">=1.5x es"
        save_rows += [
            [f"save, sync commit {mode}: raw psycopg INSERT+COMMIT (anchor)",
             per_s(n_saves, raw_w), us(raw_c, n_saves), "1.00x", "", ""],
            [f"save, sync commit {mode}: eventsourcing 9.x (anchor)",
             per_s(n_saves, es_w), us(es_c, n_saves), f"{raw_w / es_w:.2f}x", "", ""],
            [f"save, sync commit {mode}: SqlCaseStore on PostgreSQL",
             per_s(n_saves, st_w), us(st_c, n_saves), f"{raw_w / st_w:.2f}x",
             f"{es_w / st_w:.2f}x", goal],
        ]  # fmt: skip
    lw, lc = figures["sqlite save"]
    save_rows.append(["save: SqlCaseStore on a SQLite file", per_s(n_saves, lw), us(lc, n_saves),
                      "", "", ""])  # fmt: skip

    def med(key: str, which: int, data: dict[str, list[tuple[float, float]]]) -> float:
        return statistics.median(r[which] for r in data[key])

    def ratio(a: str, b: str, which: int, data: dict[str, list[tuple[float, float]]]) -> float:
        # the median of per-round ratios: a busy round slows both alike
        return statistics.median(y[which] / x[which] for x, y in zip(data[a], data[b], strict=True))

    load_rows = [
        ["raw psycopg: read the rows (floor)", per_s(n_cases, med("raw", 0, load)),
         us(med("raw", 1, load), n_cases), "", "", ""],
        ["eventsourcing 9.x: load the aggregate (anchor)", per_s(n_cases, med("es", 0, load)),
         us(med("es", 1, load), n_cases), "1.00x", "1.00x", ""],
        ["SqlCaseStore on PostgreSQL: load+verify+replay", per_s(n_cases, med("store", 0, load)),
         us(med("store", 1, load), n_cases), f"{ratio('store', 'es', 0, load):.2f}x",
         f"{ratio('store', 'es', 1, load):.2f}x", ">=1.2x es"],
        ["SqlCaseStore on a SQLite file: load+verify+replay",
         per_s(n_cases, figures["sqlite load"][0]), us(figures["sqlite load"][1], n_cases),
         "", "", ""],
        [f"OLD SHAPE ({ESC_EVENTS} events: open + escalations): eventsourcing",
         per_s(ESC_CASES, med("es", 0, esc)), us(med("es", 1, esc), ESC_CASES), "1.00x", "1.00x",
         ""],
        [f"OLD SHAPE ({ESC_EVENTS} events: open + escalations): SqlCaseStore",
         per_s(ESC_CASES, med("store", 0, esc)), us(med("store", 1, esc), ESC_CASES),
         f"{ratio('store', 'es', 0, esc):.2f}x", f"{ratio('store', 'es', 1, esc):.2f}x",
         "not a goal"],
    ]  # fmt: skip
    print(
        table(
            f"SQL case store, saves on the realistic workload ({n_saves:,} saves of "
            f"{hist.saved_events:,} events over {n_cases} cases; one pass each; {load_average()})",
            ["operation", "saves/s wall", "CPU µs/save", "x raw (wall)", "x es (wall)", "goal"],
            save_rows,
        )
    )
    print()
    print(
        table(
            f"SQL case store, loads on the realistic workload ({n_cases} cases, "
            f"{hist.n_events:,} events; median of {LOAD_ROUNDS} alternating rounds; ratios the "
            f"median of per-round ratios; {load_average()})",
            ["operation", "cases/s wall", "CPU µs/case", "x es (wall)", "x es (CPU)", "goal"],
            load_rows,
        )
    )
    print(
        "failures: " + ("; ".join(failures) if failures else f"none (0 of {n_cases} cases)"),
    )


if __name__ == "__main__":
    main()
