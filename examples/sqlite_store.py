"""Embed migrantcare in a service that keeps cases in SQLite (stdlib ``sqlite3``).

Run: ``python examples/sqlite_store.py``

* one row per case: the JSON body, plus columns the service queries (version, office,
  state, next wake-up, calendar version, head hash);
* optimistic locking: ``UPDATE ... WHERE version = ?`` saves only if nobody saved first;
* safe from a web framework's worker threads: one connection shared under a lock
  (``check_same_thread=False``), each statement in its own transaction;
* on load: parse, verify the hash chain against the stored head, replay through the
  (office-bound) workflow; a tampered row is refused, an unknown id is
  ``CaseNotFoundError``.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
from pathlib import Path

import pendulum

from migrantcare import Actor, Case, Offices, Person, Workflow, complaint_workflow, replay
from migrantcare.exceptions import CaseNotFoundError, IntegrityError, StaleCaseError

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    id          TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    office      TEXT NOT NULL,
    state       TEXT NOT NULL,
    next_due_at TEXT,              -- UTC ISO 8601, for the scheduler's query
    calendar_version TEXT,         -- sweep cases whose office calendar changed
    head_hash   TEXT NOT NULL,     -- kept apart from the body: detects cut histories
    body        TEXT NOT NULL      -- Case.to_dict() as JSON
)
"""


class SqliteCaseStore:
    """Cases in a SQLite file, saved with compare-and-set on the version.

    Safe to share between threads: sqlite3 connections are not, so every use of the
    one connection is serialised by a lock (a busy service would use a pool, or the
    ``migrantcare.sql`` store).
    """

    def __init__(self, path: Path, workflow: Workflow) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.lock = threading.Lock()
        with self.lock, self.db:
            self.db.execute(SCHEMA)
        self.workflow = workflow  # bound to the offices: calendars come from there

    def _columns(self, case: Case) -> tuple[object, ...]:
        due = self.workflow.next_due_at(case)
        return (
            case.version,
            case.office,
            case.state,
            None if due is None else due.isoformat(),
            case.calendar_version,
            case.head_hash,
            json.dumps(case.to_dict(), allow_nan=False),
        )

    def add(self, case: Case) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT INTO cases (version, office, state, next_due_at, calendar_version, "
                "head_hash, body, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*self._columns(case), case.id),
            )

    def save(self, case: Case, *, expected_version: int) -> None:
        with self.lock, self.db:
            cursor = self.db.execute(
                "UPDATE cases SET version = ?, office = ?, state = ?, next_due_at = ?, "
                "calendar_version = ?, head_hash = ?, body = ? WHERE id = ? AND version = ?",
                (*self._columns(case), case.id, expected_version),
            )
            row = self.db.execute("SELECT version FROM cases WHERE id = ?", (case.id,)).fetchone()
        if cursor.rowcount != 1:
            if row is None:
                raise CaseNotFoundError(f"no case {case.id!r} in the store; add it first")
            (actual,) = row
            raise StaleCaseError(
                f"case {case.id!r} is at version {actual}, not {expected_version}",
                expected=expected_version,
                actual=actual,
            )

    def get(self, case_id: str) -> Case:
        with self.lock:
            row = self.db.execute(
                "SELECT head_hash, body FROM cases WHERE id = ?", (case_id,)
            ).fetchone()
        if row is None:
            raise CaseNotFoundError(f"no case {case_id!r:.80} in the store")
        head, body = row
        case = Case.from_dict(json.loads(body))
        case.verify(head_hash=head)  # every hash, the chain, and the recorded head
        return replay(case, self.workflow)  # the definition agrees

    def due(self, now: pendulum.DateTime) -> list[str]:
        with self.lock:
            rows = self.db.execute(
                "SELECT id FROM cases WHERE next_due_at IS NOT NULL AND next_due_at <= ? "
                "ORDER BY next_due_at",
                (now.in_timezone("UTC").isoformat(),),
            ).fetchall()
        return [r[0] for r in rows]

    def stale_calendars(self, offices: Offices) -> list[str]:
        """Ids of cases computed on an older calendar than their office's (cheap: a column)."""
        out: list[str] = []
        with self.lock:
            for office in offices:
                rows = self.db.execute(
                    "SELECT id FROM cases WHERE office = ? AND calendar_version IS NOT NULL "
                    "AND calendar_version != ?",
                    (office.id, office.calendar.version),
                ).fetchall()
                out.extend(r[0] for r in rows)
        return out


def main() -> None:
    offices = Offices.from_file(Path(__file__).with_name("offices.toml"))  # fictional
    workflow = complaint_workflow().bind(offices)
    path = Path(tempfile.mkdtemp()) / "cases.sqlite3"
    store = SqliteCaseStore(path, workflow)
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
    print(
        "due for the scheduler on 26 Mar:",
        store.due(pendulum.datetime(2026, 3, 26, 12, tz="Asia/Makassar")),
    )

    # Someone edits the database by hand: the load refuses it.
    with store.lock:
        body = json.loads(store.db.execute("SELECT body FROM cases").fetchone()[0])
    body["events"][1]["by"] = "someone-else"
    with store.lock, store.db:
        store.db.execute("UPDATE cases SET body = ?", (json.dumps(body),))
    try:
        store.get(case.id)
    except IntegrityError as exc:
        print(f"tampered row refused: {exc}")


if __name__ == "__main__":
    main()
