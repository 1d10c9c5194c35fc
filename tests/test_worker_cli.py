"""``migrantcare worker``: one pass, a clean stop on SIGTERM, one line on a bad URL."""

from __future__ import annotations

import datetime as dt
import logging
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from migrantcare import Actor, Offices, complaint_workflow
from migrantcare.cli._cli import main
from migrantcare.sql import Outbox, SqlCaseStore, create_all, create_outbox

ROOT = pathlib.Path(__file__).parent.parent
OFFICES = ROOT / "examples" / "offices.toml"
MARCH = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)


def seeded(path: pathlib.Path, n: int = 3) -> str:
    """A SQLite store with ``n`` complaints opened in March 2026 (all long due now)."""
    url = f"sqlite:///{path}"
    offices = Offices.from_file(OFFICES)
    wf = complaint_workflow().bind(offices)
    engine = sa.create_engine(url)
    store = SqlCaseStore(engine, wf)
    create_all(engine, store.tables)
    create_outbox(engine, store.tables)
    box = Outbox(store)
    agent = Actor("cc-01", roles={"call_centre"}, office="bp3mi-ntb")
    for i in range(n):
        box.add(
            wf.open(
                f"PGD-{i}",
                at=MARCH,
                by=agent,
                office="bp3mi-ntb",
                category="unpaid_wages",
                channel="whatsapp",
            )
        )
    engine.dispose()
    return url


def test_worker_once_sweeps_what_is_due_and_exits(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = seeded(tmp_path / "cases.db")
    status = main(["worker", "--db", url, "--offices", str(OFFICES), "--once", "--batch", "2"])
    out, err = capsys.readouterr()
    assert status == 0
    assert out == "worker: stopped\n"
    lines = err.splitlines()
    assert lines[0].startswith(f"worker: sweeping sqlite:///{tmp_path}")
    assert [line.split(" claimed=")[1].split()[0] for line in lines[1:]] == ["2", "1"]
    with sa.create_engine(url).connect() as conn:
        due = conn.exec_driver_sql("SELECT count(*) FROM cases WHERE next_due_at <= '2026-04-01'")
        assert due.scalar() == 0


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("not a url", "Could not parse"),
        ("nosuchdb+driver://u:s3cret@host/db", "NoSuchModuleError"),
        ("postgresql+psycopg://u:s3cret@/db?host=/nonexistent-mc-dir", "OperationalError"),
        ("sqlite:////nonexistent-mc-dir/x.db", "OperationalError"),
        # a password in the query string is masked like one in the user part
        ("postgresql+psycopg://u@/db?host=/nonexistent-mc-dir&password=s3cret", "Operational"),
        ("postgresql+psycopg://u@/db?password=s3cret&host=/nonexistent-mc-dir", "password=***"),
        # a port that is not a number: a clean error, not "unexpected ValueError"
        ("postgresql+psycopg://u:s3cret@localhost:54x2/db", "port"),
    ],
)
def test_worker_with_a_bad_url_prints_one_line_and_exits_2(
    url: str, what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["worker", "--db", url, "--offices", str(OFFICES), "--once"])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("migrantcare worker: error: cannot use the database")
    assert what in err
    assert "s3cret" not in err
    assert "unexpected" not in err


def test_worker_once_sweeps_a_case_transferred_across_zones(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = seeded(tmp_path / "cases.db", n=0)
    offices = Offices.from_file(OFFICES)
    wf = complaint_workflow().bind(offices)
    agent = Actor("cc-01", roles={"call_centre"}, office="call-centre")
    case = wf.open(
        "PGD-1", at=MARCH, by=agent, office="call-centre", category="unpaid_wages", channel="sms"
    )
    case = wf.transfer(case, to="bp3mi-ntb", at=MARCH + dt.timedelta(hours=2), by=agent)
    engine = sa.create_engine(url)
    SqlCaseStore(engine, wf).add(case)
    engine.dispose()
    status = main(["worker", "--db", url, "--offices", str(OFFICES), "--once"])
    _, err = capsys.readouterr()
    assert status == 0, err
    assert "claimed=1 advanced=1 events=" in err
    assert "failed=0" in err


def test_worker_once_logs_each_failed_case_and_exits_1(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = seeded(tmp_path / "cases.db", n=3)
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # an edited row: the case does not verify
        conn.exec_driver_sql(
            "UPDATE case_events SET actor = 'someone' WHERE case_id = 'PGD-1' AND seq = 0"
        )
    engine.dispose()
    status = main(["worker", "--db", url, "--offices", str(OFFICES), "--once"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out == "worker: stopped\n"
    failed = [line for line in err.splitlines() if "PGD-1" in line and "IntegrityError" in line]
    assert len(failed) == 1, err
    assert failed[0].startswith(
        "migrantcare.sql.sweep: case 'PGD-1' not advanced: IntegrityError: "
    )
    assert "claimed=3 advanced=2" in err
    assert err.splitlines()[-1] == (
        "worker: 1 case could not be advanced (PGD-1); it stays due: see the errors above"
    )


def test_a_failed_case_is_logged_with_structured_fields(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    from migrantcare.sql import sweep  # noqa: PLC0415
    from migrantcare.sql._worker import open_outbox  # noqa: PLC0415

    url = seeded(tmp_path / "cases.db", n=2)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE cases SET state = 'closed' WHERE id = 'PGD-0'")
    engine.dispose()
    box = open_outbox(url, str(OFFICES))
    with caplog.at_level(logging.INFO, logger="migrantcare"):
        result = sweep(box, at=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    box.store.engine.dispose()
    assert result.failed == ("PGD-0",)
    assert result.errors[0].startswith("IntegrityError: case 'PGD-0'")
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.name == "migrantcare.sql.sweep"
    assert (record.case_id, record.error) == ("PGD-0", "IntegrityError")  # type: ignore[attr-defined]
    # personal data never: the seeded cases have none, the names below are the docs'
    assert "Siti" not in caplog.text


def test_worker_stops_cleanly_on_sigterm(tmp_path: pathlib.Path) -> None:
    url = seeded(tmp_path / "cases.db", n=1)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrantcare", "worker", "--db", url, "--offices", str(OFFICES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        started = proc.stderr.readline()
        assert started.startswith("worker: sweeping"), started
        first = proc.stderr.readline()  # the batch of the one due case
        assert "claimed=1 advanced=1" in first, first
        time.sleep(0.2)  # now asleep until the next mark is due
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover - only when the test fails
            proc.kill()
    assert proc.returncode == 0
    assert out == "worker: stopped\n"
    assert "SIGTERM, stopping after this batch" in err
