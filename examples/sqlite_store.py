"""Embed migrantcare in a service that keeps cases in SQLite, with ``migrantcare.sql``.

Run: ``python examples/sqlite_store.py`` (needs the ``sql`` extra)

* ``SqlCaseStore`` keeps one row per case, one row per event (append-only) and the
  persons apart from both; the same code runs on PostgreSQL with another URL;
* optimistic locking: a save only succeeds from the version it was based on;
* on load: every hash, the chain against the stored head, and a replay through the
  workflow (bound to the offices: calendars come from there); a tampered row is
  refused, an unknown id is ``CaseNotFoundError``;
* safe from a web framework's worker threads: the engine's pool gives each thread its
  own connection.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import pendulum
import sqlalchemy as sa

from migrantcare import Actor, Offices, Person, complaint_workflow
from migrantcare.exceptions import CaseNotFoundError, IntegrityError, StaleCaseError
from migrantcare.sql import SqlCaseStore, create_all


def main() -> None:
    offices = Offices.from_file(Path(__file__).with_name("offices.toml"))  # fictional
    workflow = complaint_workflow().bind(offices)
    path = Path(tempfile.mkdtemp()) / "cases.sqlite3"
    # worker threads queue for SQLite's single writer (up to 30 s) instead of failing
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
    create_all(engine)
    store = SqlCaseStore(engine, workflow)
    agent = Actor("callcenter-01", roles={"call_centre"})
    officer_a = Actor("officer-a", roles={"officer"}, office="bp3mi-ntt")
    officer_b = Actor("officer-b", roles={"officer"}, office="bp3mi-ntt")

    received = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
    case = workflow.open(
        "PGD-2026-000123",
        at=received,
        by=agent,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti Aminah", passport_number="C1234567"),
    )
    store.add(case)
    print(f"stored {case.id} v{case.version} in {path.name}")

    # Two officers open the same case at once.
    a = store.get(case.id)
    b = store.get(case.id)
    at = pendulum.datetime(2026, 3, 25, 8, 5, tz="Asia/Makassar")
    store.save(
        workflow.fire(a, "start_verification", at=at, by=officer_a),
        expected_version=a.version,
    )
    print(f"officer-a saved v{a.version + 1}")
    try:
        store.save(
            workflow.fire(b, "escalate", at=at, by=officer_b),
            expected_version=b.version,
        )
    except StaleCaseError as exc:
        print(f"officer-b's save refused: {exc}")
        fresh = store.get(case.id)  # reload and apply the change again: nothing is lost
        store.save(
            workflow.fire(fresh, "escalate", at=at, by=officer_b),
            expected_version=fresh.version,
        )
        print(f"officer-b saved v{fresh.version + 1} after reloading")

    # Worker threads of a web framework read the same store at once.
    loaded: list[str] = []
    threads = [
        threading.Thread(target=lambda: loaded.append(store.get(case.id).state)) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{len(loaded)} worker threads loaded it: {sorted(set(loaded))}")
    try:
        store.get("PGD-0000-000000")
    except CaseNotFoundError as exc:
        print(f"unknown id: {exc}")

    final = store.get(case.id)
    print("history:", ", ".join(f"{e.name} by {e.by}" for e in final.events))
    due = store.query(due_before=pendulum.datetime(2026, 3, 26, 12, tz="Asia/Makassar"))
    print("due for the scheduler on 26 Mar:", [s.id for s in due])

    # Someone edits the database by hand: the load refuses it.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE case_events SET body = json_set(body, '$.by', 'someone-else'), "
            "actor = 'someone-else' WHERE seq = 1"
        )
    try:
        store.get(case.id)
    except IntegrityError as exc:
        print(f"tampered row refused: {exc}")
    engine.dispose()


if __name__ == "__main__":
    main()
