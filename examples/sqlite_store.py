"""Embed migrantcare in a service that keeps cases in SQLite (stdlib ``sqlite3``).

Run: ``python examples/sqlite_store.py``

* one row per case: the JSON body, plus columns the service queries (version, office,
  state, next wake-up, head hash);
* optimistic locking: ``UPDATE ... WHERE version = ?`` saves only if nobody saved first;
* on load: parse, verify the hash chain against the stored head, replay through the
  workflow; a tampered row is refused.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

import pendulum

from migrantcare import (
    Case,
    Person,
    Workflow,
    WorkingCalendar,
    complaint_workflow,
    next_due_at,
    replay,
)
from migrantcare.exceptions import IntegrityError, StaleCaseError

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    id          TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    office      TEXT NOT NULL,
    state       TEXT NOT NULL,
    next_due_at TEXT,              -- UTC ISO 8601, for the scheduler's query
    head_hash   TEXT NOT NULL,     -- kept apart from the body: detects cut histories
    body        TEXT NOT NULL      -- Case.to_dict() as JSON
)
"""


class SqliteCaseStore:
    """Cases in a SQLite file, saved with compare-and-set on the version."""

    def __init__(self, path: Path, workflow: Workflow, calendar: WorkingCalendar) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(SCHEMA)
        self.workflow = workflow
        self.calendar = calendar

    def _columns(self, case: Case) -> tuple[object, ...]:
        due = wf.next_due_at(case)
        return (
            case.version,
            case.office,
            case.state,
            None if due is None else due.isoformat(),
            case.head_hash,
            json.dumps(case.to_dict()),
        )

    def add(self, case: Case) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO cases (version, office, state, next_due_at, head_hash, body, id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*self._columns(case), case.id),
            )

    def save(self, case: Case, *, expected_version: int) -> None:
        with self.db:
            cursor = self.db.execute(
                "UPDATE cases SET version = ?, office = ?, state = ?, next_due_at = ?, "
                "head_hash = ?, body = ? WHERE id = ? AND version = ?",
                (*self._columns(case), case.id, expected_version),
            )
        if cursor.rowcount != 1:
            (actual,) = self.db.execute(
                "SELECT version FROM cases WHERE id = ?", (case.id,)
            ).fetchone()
            raise StaleCaseError(
                f"case {case.id!r} is at version {actual}, not {expected_version}",
                expected=expected_version,
                actual=actual,
            )

    def load(self, case_id: str) -> Case:
        head, body = self.db.execute(
            "SELECT head_hash, body FROM cases WHERE id = ?", (case_id,)
        ).fetchone()
        case = Case.from_dict(json.loads(body))
        case.verify(head_hash=head)  # every hash, the chain, and the recorded head
        return replay(case, self.workflow, calendar=self.calendar)  # the definition agrees

    def due(self, now: pendulum.DateTime) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM cases WHERE next_due_at IS NOT NULL AND next_due_at <= ? "
            "ORDER BY next_due_at",
            (now.in_timezone("UTC").isoformat(),),
        )
        return [r[0] for r in rows]


def main() -> None:
    workflow = complaint_workflow()
    kupang = WorkingCalendar.for_province("Nusa Tenggara Timur")
    path = Path(tempfile.mkdtemp()) / "cases.sqlite3"
    store = SqliteCaseStore(path, workflow, kupang)

    received = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
    case = workflow.open(
        "PGD-2026-000123",
        at=received,
        by="callcenter-01",
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti Aminah", passport_number="C1234567"),
        calendar=kupang,
    )
    store.add(case)
    print(f"stored {case.id} v{case.version} in {path.name}")

    # Two officers open the same case at once.
    a = store.load(case.id)
    b = store.load(case.id)
    at = pendulum.datetime(2026, 3, 25, 8, 5, tz="Asia/Makassar")
    store.save(
        workflow.fire(a, "start_verification", at=at, by="officer-a", calendar=kupang),
        expected_version=a.version,
    )
    print(f"officer-a saved v{a.version + 1}")
    try:
        store.save(
            workflow.fire(b, "escalate", at=at, by="officer-b", calendar=kupang),
            expected_version=b.version,
        )
    except StaleCaseError as exc:
        print(f"officer-b's save refused: {exc}")
        fresh = store.load(case.id)  # reload and apply the change again: nothing is lost
        store.save(
            workflow.fire(fresh, "escalate", at=at, by="officer-b", calendar=kupang),
            expected_version=fresh.version,
        )
        print(f"officer-b saved v{fresh.version + 1} after reloading")

    final = store.load(case.id)
    print("history:", ", ".join(f"{e.name} by {e.by}" for e in final.events))
    print(
        "due for the scheduler on 26 Mar:",
        store.due(pendulum.datetime(2026, 3, 26, 12, tz="Asia/Makassar")),
    )

    # Someone edits the database by hand: the load refuses it.
    body = json.loads(store.db.execute("SELECT body FROM cases").fetchone()[0])
    body["events"][1]["by"] = "someone-else"
    with store.db:
        store.db.execute("UPDATE cases SET body = ?", (json.dumps(body),))
    try:
        store.load(case.id)
    except IntegrityError as exc:
        print(f"tampered row refused: {exc}")


if __name__ == "__main__":
    main()
