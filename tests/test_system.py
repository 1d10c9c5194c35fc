"""The deployment as a whole, on a real PostgreSQL (issue #23).

The reference service (examples/service.py, ASGI in process through FastAPI's test
client), two ``migrantcare worker`` processes, a notice sender, four offices in three
zones (the call centre in Jakarta, WIB; BP3MI NTB, WITA; a P4MI post under it; BP3MI
Papua, WIT), transfers across the zones, concurrent clients on one shared case, an
erasure while others save, and a PostgreSQL restart in the middle of the load.

The first phase runs the service's clock 45 days behind the wall clock, so that by the
time the workers start (on the wall clock, as in production) every case opened then has
warnings and breaches due; the second phase runs on the wall clock.

What must hold: no 5xx, conflicts answered 409, no lost update, every transferred case
swept (by the workers, with no case failing), every notice in the zone of its office,
the erasure done under concurrent saves, and the workers alive after the restart.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re
import runpy
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from migrantcare import SYSTEM, Offices, complaint_workflow
from migrantcare.sql import SqlCaseStore, outbox_table
from migrantcare.sql.testing import find_postgres_bin

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.system

ROOT = pathlib.Path(__file__).parent.parent
OFFICES_TOML = """
[[office]]
id = "call-centre"
name_id = "Pusat Panggilan Nasional (fiktif)"
name_en = "National call centre (fictional)"
province = "DKI Jakarta"
head_title_id = "Kepala Pusat Panggilan"
head_title_en = "Head of the call centre"

[[office]]
id = "bp3mi-ntb"
name_id = "BP3MI Nusa Tenggara Barat (fiktif)"
name_en = "BP3MI West Nusa Tenggara (fictional)"
province = "Nusa Tenggara Barat"
head_title_id = "Kepala BP3MI NTB"
head_title_en = "Head of BP3MI NTB"

[[office]]
id = "p4mi-lombok-timur"
name_id = "P4MI Lombok Timur (fiktif)"
name_en = "P4MI East Lombok (fictional)"
province = "Nusa Tenggara Barat"
head_title_id = "Kepala P4MI Lombok Timur"
head_title_en = "Head of P4MI East Lombok"
parent = "bp3mi-ntb"

[[office]]
id = "bp3mi-papua"
name_id = "BP3MI Papua (fiktif)"
name_en = "BP3MI Papua (fictional)"
province = "Papua"
head_title_id = "Kepala BP3MI Papua"
head_title_en = "Head of BP3MI Papua"
"""
ZONES = {
    "call-centre": "Asia/Jakarta",
    "bp3mi-ntb": "Asia/Makassar",
    "p4mi-lombok-timur": "Asia/Makassar",
    "bp3mi-papua": "Asia/Jayapura",
}
LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
ZONE_LABEL = re.compile(r"\b(WIB|WITA|WIT)\b")
NAME = "Siti Aminah"


def who(actor_id: str, roles: str, office: str | None) -> dict[str, str]:
    headers = {"X-Actor-Id": actor_id, "X-Actor-Roles": roles}
    return headers if office is None else {**headers, "X-Actor-Office": office}


AGENT = who("cc-1", "call_centre", "call-centre")
HQ = who("hq-1", "ministry_hq", None)


def officer(office: str) -> dict[str, str]:
    return who(f"o-{office}", "officer", office)


def head(office: str) -> dict[str, str]:
    return who(f"h-{office}", "head_of_office", office)


class Clock:
    """The service's clock: the wall clock, shifted by ``offset``."""

    def __init__(self, offset: dt.timedelta) -> None:
        self.offset = offset

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.offset


class Tally:
    """Every response's status, counted across threads; the 5xx kept whole."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.server_errors: list[str] = []

    def record(self, response: Any) -> Any:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 400:
                self.errors[f"{response.status_code} {response.json().get('error')}"] += 1
            if response.status_code >= 500:
                self.server_errors.append(response.text[:500])
        return response


@pytest.fixture(scope="module")
def database(pg_url: str) -> Iterator[str]:
    """A database of its own on the session's PostgreSQL, dropped afterwards."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS mc_system WITH (FORCE)")
        conn.exec_driver_sql("CREATE DATABASE mc_system")
    yield pg_url.replace("/postgres?", "/mc_system?", 1)
    admin.dispose()  # its connection did not survive the test's restart of the server
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS mc_system WITH (FORCE)")
    admin.dispose()


def server_started(url: str) -> dt.datetime:
    """When the server behind ``url`` started (a restart changes it)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            value: dt.datetime = conn.execute(
                sa.text("SELECT pg_postmaster_start_time()")
            ).scalar_one()
    finally:
        engine.dispose()
    return value


def restart_postgres(pg_url: str) -> float:
    """Restart the server behind ``pg_url`` (fast shutdown: sessions are cut); its seconds."""
    bin_dir = find_postgres_bin()
    assert bin_dir is not None
    root = urllib.parse.parse_qs(urllib.parse.urlsplit(pg_url).query)["host"][0]
    command = [
        str(bin_dir / "pg_ctl"),
        "-D",
        f"{root}/data",
        "-l",
        f"{root}/server.log",
        "-m",
        "fast",
        "-w",
        "restart",
    ]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
    return time.perf_counter() - started


def start_worker(url: str, offices: pathlib.Path, log: pathlib.Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:  # the child holds its own copy
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "migrantcare",
                "worker",
                "--db",
                url,
                "--offices",
                str(offices),
                "--batch",
                "10",
                "--max-sleep",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=ROOT,
        )


def run_threads(*targets: Callable[[], None]) -> None:
    failures: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # re-raised below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not [t for t in threads if t.is_alive()], "a client thread hung"
    if failures:
        raise failures[0]


def test_the_deployment_as_a_whole(  # one scenario, told in order
    database: str, pg_url: str, tmp_path: pathlib.Path
) -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415 - the service extra

    started = time.perf_counter()
    offices_file = tmp_path / "offices.toml"
    offices_file.write_text(OFFICES_TOML, encoding="utf-8")
    offices = Offices.from_file(offices_file)
    service = runpy.run_path(str(ROOT / "examples" / "service.py"))
    clock = Clock(-dt.timedelta(days=45))
    app = service["create_app"](database, offices=offices, clock=clock)
    tally = Tally()
    client: TestClient
    with TestClient(app) as client:

        def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
            return tally.record(client.post(path, json=body, headers=headers))

        def get(path: str, headers: dict[str, str]) -> Any:
            return tally.record(client.get(path, headers=headers))

        # ---------------------------------------------------------------- phase 1: the past
        homes = {
            "call-centre": [f"CC-{i}" for i in range(12)],
            "bp3mi-ntb": [f"NTB-{i}" for i in range(4)],
            "p4mi-lombok-timur": [f"P4-{i}" for i in range(4)],
            "bp3mi-papua": [f"PAP-{i}" for i in range(4)],
        }
        for office, ids in homes.items():
            for case_id in ids:
                opened = post(
                    "/complaints",
                    {
                        "case_id": case_id,
                        "office": office,
                        "category": "unpaid_wages",
                        "channel": "call_center",
                        "complainant_name": NAME,
                    },
                    AGENT,
                )
                assert opened.status_code == 201, opened.text
        # transfers across the zones, and one within a zone
        moves = [
            *((f"CC-{i}", "bp3mi-ntb", AGENT) for i in range(4)),  # WIB -> WITA
            *((f"CC-{i}", "bp3mi-papua", AGENT) for i in range(4, 8)),  # WIB -> WIT
            *((f"NTB-{i}", "bp3mi-papua", head("bp3mi-ntb")) for i in range(2)),  # WITA -> WIT
            *((f"PAP-{i}", "call-centre", head("bp3mi-papua")) for i in range(2)),  # WIT -> WIB
            ("P4-0", "bp3mi-ntb", head("bp3mi-ntb")),  # within WITA, from a post to its parent
            ("CC-8", "bp3mi-ntb", HQ),
        ]
        for case_id, to, by in moves:
            moved = post(f"/complaints/{case_id}/transfer", {"to": to}, by)
            assert moved.status_code == 200, moved.text
        # the receiving offices start working on some; a second hop for two of them
        for case_id in ("CC-0", "CC-4", "NTB-0"):
            office = get(f"/complaints/{case_id}", AGENT).json()["office"]
            fired = post(
                f"/complaints/{case_id}/events", {"trigger": "start_verification"}, officer(office)
            )
            assert fired.status_code == 200, fired.text
        for case_id, to in (("CC-1", "bp3mi-papua"), ("CC-5", "bp3mi-ntb")):
            office = get(f"/complaints/{case_id}", AGENT).json()["office"]
            assert (
                post(f"/complaints/{case_id}/transfer", {"to": to}, head(office)).status_code == 200
            )
        transferred = sorted({case_id for case_id, _, _ in moves})
        for case_id in ("SHARED", "ERASE"):
            opened = post(
                "/complaints",
                {
                    "case_id": case_id,
                    "office": "bp3mi-ntb",
                    "category": "unpaid_wages",
                    "channel": "call_center",
                    "complainant_name": NAME,
                },
                AGENT,
            )
            assert opened.status_code == 201, opened.text

        # ------------------------------------------------ phase 2: now, workers, load, restart
        first_start = server_started(database)
        clock.offset = dt.timedelta(0)
        workers = [
            start_worker(database, offices_file, tmp_path / f"worker-{n}.log") for n in (1, 2)
        ]
        outbox = app.state.outbox
        delivered: list[Any] = []
        stop_sending = threading.Event()

        def sender() -> None:
            # a sender process's loop; it outlives a database restart like the workers
            while not stop_sending.is_set():
                try:
                    sent = service["send_pending"](outbox, delivered.append, at=clock(), limit=50)
                except sa.exc.DBAPIError:
                    sent = 0
                if not sent:
                    stop_sending.wait(0.2)

        sending = threading.Thread(target=sender)
        sending.start()
        try:
            wins: list[str] = []  # the notes of the writes answered 200
            conflicts: list[str] = []
            restarted = threading.Event()
            progress = Counter[str]()

            def blind_writer(n: int) -> Callable[[], None]:
                # no expected_version: the service applies it to the case as it is now
                def run() -> None:
                    for i in range(12):
                        note = f"blind-{n}-{i}"
                        r = post(
                            "/complaints/SHARED/events",
                            {"trigger": "escalate", "note": note},
                            officer("bp3mi-ntb"),
                        )
                        if r.status_code == 200:
                            wins.append(note)
                        progress["writes"] += 1

                return run

            def careful_writer(n: int) -> Callable[[], None]:
                # read, then write on the version read: 409 when someone came first
                def run() -> None:
                    for i in range(12):
                        note = f"careful-{n}-{i}"
                        version = get("/complaints/SHARED", officer("bp3mi-ntb")).json()["version"]
                        r = post(
                            "/complaints/SHARED/events",
                            {"trigger": "escalate", "note": note, "expected_version": version},
                            officer("bp3mi-ntb"),
                        )
                        if r.status_code == 200:
                            wins.append(note)
                        elif r.status_code == 409:
                            assert r.json()["error"] == "StaleCaseError", r.text
                            conflicts.append(note)
                        progress["writes"] += 1

                return run

            def outsider() -> None:
                # another office's officer: every read refused, none of them a 5xx
                for _ in range(6):
                    assert get("/complaints/SHARED", officer("bp3mi-papua")).status_code == 403
                    assert get("/complaints/CC-4", officer("p4mi-lombok-timur")).status_code == 403

            erasure: list[Any] = []

            def eraser_target_writer(n: int) -> Callable[[], None]:
                def run() -> None:
                    for i in range(8):
                        r = post(
                            "/complaints/ERASE/events",
                            {"trigger": "escalate", "note": f"erase-side-{n}-{i}"},
                            officer("bp3mi-ntb"),
                        )
                        assert r.status_code == 200, r.text
                        progress["side"] += 1

                return run

            def eraser() -> None:
                while progress["side"] < 4:
                    time.sleep(0.005)
                erasure.append(post("/complaints/ERASE/erase", {}, head("bp3mi-ntb")))

            def restarter() -> None:
                while progress["writes"] < 30:
                    time.sleep(0.01)
                restarted_in = restart_postgres(pg_url)
                restarted.set()
                assert restarted_in < 30

            run_threads(
                *(blind_writer(n) for n in range(2)),
                *(careful_writer(n) for n in range(2)),
                outsider,
                *(eraser_target_writer(n) for n in range(2)),
                eraser,
                restarter,
            )
            assert restarted.is_set()
            assert server_started(database) > first_start  # the server did restart

            # every case due is swept by the workers (after the restart too)
            engine = sa.create_engine(database, pool_pre_ping=True)
            store = SqlCaseStore(engine, complaint_workflow().bind(offices))
            deadline = time.monotonic() + 40
            while store.query(due_before=clock(), limit=1000) and time.monotonic() < deadline:
                time.sleep(0.5)
            still_due = [s.id for s in store.query(due_before=clock(), limit=1000)]
            # the sender catches up
            table = outbox_table(store.tables)
            pending, deadline = -1, time.monotonic() + 20
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    pending = conn.execute(
                        sa.select(sa.func.count()).where(table.c.status == "pending")
                    ).scalar_one()
                if not pending:
                    break
                time.sleep(0.3)
            assert not pending, f"{pending} notices never sent"
        finally:
            stop_sending.set()
            sending.join(timeout=30)
            alive = [w.poll() is None for w in workers]
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(timeout=30)
        logs = [(tmp_path / f"worker-{n}.log").read_text(encoding="utf-8") for n in (1, 2)]

        # ------------------------------------------------------------------ what must hold
        assert tally.server_errors == [], tally.server_errors
        assert set(tally.statuses) <= {200, 201, 403, 409}, (tally.statuses, tally.errors)
        assert conflicts, "no careful writer ever met a conflict: the load did not overlap"
        assert {e for e in tally.errors if e.startswith("409")} == {"409 StaleCaseError"}
        shared = store.get("SHARED")
        notes = Counter(e.note for e in shared.events if e.name == "escalate" and e.note)
        assert sorted(notes) == sorted(wins), "a write answered 200 is missing (a lost update)"
        assert set(notes.values()) == {1}, "a write was recorded twice"
        assert not set(conflicts) & set(notes), "a write answered 409 was recorded"

        assert alive == [True, True], f"a worker died (the restart?): {logs}"
        failed = [int(n) for log in logs for n in re.findall(r"failed=(\d+)", log)]
        assert sum(failed) == 0, f"the workers failed cases: {logs}"
        assert still_due == [], f"cases still due after the sweeps: {still_due}; {logs}"
        for case_id in transferred:
            case = store.get(case_id)
            last_move = max(e.seq for e in case.events if e.kind == "transferred")
            swept = [e for e in case.events[last_move:] if e.kind == "sla" and e.by == SYSTEM.id]
            assert swept, f"{case_id} was never swept after its transfer to {case.office}"

        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(table.c.case_id, table.c.office, table.c.tz, table.c.body)
            ).all()
        assert rows
        for case_id, office, tz, body in rows:
            assert tz == ZONES[office], (case_id, office, tz)
            labels = set(ZONE_LABEL.findall(body))
            assert labels <= {LABELS[tz]}, (case_id, office, tz, body)
        assert delivered
        for notice in delivered:
            assert notice.tz == ZONES[notice.office]
            assert set(ZONE_LABEL.findall(notice.text)) <= {LABELS[notice.tz]}

        # the erasure, done while two clients saved the same case
        (erased,) = erasure
        assert erased.status_code == 200, erased.text
        case = store.get("ERASE")
        assert case.complainant is not None
        assert case.complainant.name == "<erased>"
        assert [e.kind for e in case.events].count("erased") == 1
        assert len([e for e in case.events if (e.note or "").startswith("erase-side")]) == 16
        erased_texts = [body for case_id, _, _, body in rows if case_id == "ERASE"]
        assert not [body for body in erased_texts if NAME in body]

        # reads in the office's zone; the overdue list of Papua holds its transferred cases
        papua = get("/offices/bp3mi-papua/overdue", officer("bp3mi-papua")).json()
        assert papua["at"].endswith("+09:00")
        late = {c["id"] for c in papua["cases"]}
        assert {"CC-1", "CC-4", "NTB-0"} <= late
        for item in papua["cases"]:
            assert item["next_due_at"] is None or item["next_due_at"].endswith("+09:00")
            assert all(s["due_at"].endswith("+09:00") for s in item["breached"])
            assert all(s["remaining_seconds"] < 0 for s in item["breached"])

    app.state.outbox.store.engine.dispose()
    # a restarted service (a new process: new pools) reads what the first one wrote
    again = service["create_app"](database, offices=offices, clock=clock)
    with TestClient(again) as fresh:
        for case_id in (*transferred, "SHARED", "ERASE"):
            r = fresh.get(f"/complaints/{case_id}", headers=HQ)
            assert r.status_code == 200, r.text
            assert r.json()["version"] == store.get(case_id).version
    again.state.outbox.store.engine.dispose()
    engine.dispose()
    assert time.perf_counter() - started < 90
