"""A worker you can watch: its OpenMetrics text, the HTTP endpoint and ``worker --check``."""

from __future__ import annotations

import datetime as dt
import pathlib
import re
import threading
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from migrantcare import Offices, complaint_workflow
from migrantcare.cli._cli import main
from migrantcare.sql import SCHEMA_VERSION, Outbox, SqlCaseStore, SweepResult
from migrantcare.sql._metrics import (
    CONTENT_TYPE,
    WorkerMetrics,
    health,
    prometheus_collector,
    serve_metrics,
)
from migrantcare.sql._worker import run_worker
from tests.test_worker_cli import MARCH, OFFICES, seeded

APRIL = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.timezone.utc)
LINE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$|^# (TYPE|HELP) ')


def outbox_of(url: str) -> Outbox:
    wf = complaint_workflow().bind(Offices.from_file(OFFICES))
    return Outbox(SqlCaseStore(sa.create_engine(url), wf))


def samples(text: str) -> dict[str, float]:
    """The sample lines of an exposition, checked line by line, by name and labels."""
    lines = text.splitlines()
    assert lines[-1] == "# EOF"
    assert text.endswith("# EOF\n")
    found = {}
    for line in lines[:-1]:
        assert LINE.match(line), line
        if not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            found[key] = float(value)
    return found


def test_the_metrics_count_sweeps_and_read_lag_and_outbox_from_the_database(
    tmp_path: pathlib.Path,
) -> None:
    url = seeded(tmp_path / "cases.db", n=3)  # three complaints long due in April
    box = outbox_of(url)
    clock = [APRIL]
    metrics = WorkerMetrics(box, clock=lambda: clock[0])
    before = samples(metrics.render())
    # the oldest due case has waited since its first SLA mark in March
    assert before["migrantcare_sweep_lag_seconds"] > 20 * 86400
    assert before["migrantcare_database_up"] == 1
    assert before["migrantcare_sweeps_total"] == 0
    run_worker(
        box,
        clock=lambda: APRIL,
        stop=threading.Event(),
        log=lambda _: None,
        batch=2,
        once=True,
        on_sweep=metrics.observe,
    )
    after = samples(metrics.render())
    assert after["migrantcare_sweeps_total"] == 2
    assert after["migrantcare_cases_claimed_total"] == 3
    assert after["migrantcare_cases_advanced_total"] == 3
    assert after["migrantcare_sweep_lag_seconds"] == 0  # nothing due is left
    assert after['migrantcare_sweep_duration_seconds_bucket{le="+Inf"}'] == 2
    assert after["migrantcare_sweep_duration_seconds_count"] == 2
    written = after["migrantcare_notices_written_total"]
    assert written > 0
    pending = sum(v for k, v in after.items() if k.startswith("migrantcare_outbox_notices{"))
    assert pending == written
    # a sender delivers them an hour later: the latency shows, the pending count drops
    clock[0] = APRIL + dt.timedelta(hours=1)
    with box.claim(1000, at=clock[0]) as batch:
        for notice in batch:
            batch.sent(notice)
    sent = samples(metrics.render())
    latency = {k: v for k, v in sent.items() if k.startswith("migrantcare_delivery_latency")}
    assert latency
    assert all(v == 3600 for k, v in latency.items() if "quantile" in k)
    assert sum(v for k, v in latency.items() if "_count{" in k) == written
    assert not any(v for k, v in sent.items() if k.startswith("migrantcare_outbox_notices{"))
    box.store.engine.dispose()


def test_failed_cases_are_counted_by_error_class(tmp_path: pathlib.Path) -> None:
    box = outbox_of(seeded(tmp_path / "cases.db", n=0))
    metrics = WorkerMetrics(box, clock=lambda: APRIL)
    metrics.observe(
        SweepResult(
            APRIL,
            3,
            1,
            2,
            0,
            ("PGD-1", "PGD-2"),
            0.02,
            ("IntegrityError: case 'PGD-1', event 0: ...", "SchemaError: case 'PGD-2': ..."),
        )
    )
    metrics.observe(SweepResult(APRIL, 1, 0, 0, 0, ("PGD-1",), 0.3, ("IntegrityError: again",)))
    found = samples(metrics.render())
    assert found['migrantcare_cases_failed_total{error="IntegrityError"}'] == 2
    assert found['migrantcare_cases_failed_total{error="SchemaError"}'] == 1
    assert found['migrantcare_sweep_duration_seconds_bucket{le="0.025"}'] == 1
    assert found['migrantcare_sweep_duration_seconds_bucket{le="0.25"}'] == 1
    assert found['migrantcare_sweep_duration_seconds_bucket{le="0.5"}'] == 2
    assert found["migrantcare_sweep_duration_seconds_sum"] == pytest.approx(0.32)
    box.store.engine.dispose()


def test_a_database_that_does_not_answer_is_a_gauge_not_a_failed_scrape(
    tmp_path: pathlib.Path,
) -> None:
    box = outbox_of(seeded(tmp_path / "cases.db", n=1))
    metrics = WorkerMetrics(box, clock=lambda: APRIL)
    with box.store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE cases RENAME TO cases_gone")
    found = samples(metrics.render())
    assert found["migrantcare_database_up"] == 0
    assert "migrantcare_sweep_lag_seconds" not in found
    box.store.engine.dispose()


def test_the_endpoint_serves_openmetrics_on_loopback(tmp_path: pathlib.Path) -> None:
    box = outbox_of(seeded(tmp_path / "cases.db", n=1))
    server = serve_metrics(WorkerMetrics(box, clock=lambda: APRIL), port=0)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
            assert reply.headers["Content-Type"] == CONTENT_TYPE
            assert samples(reply.read().decode())["migrantcare_database_up"] == 1
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
        box.store.engine.dispose()


def test_worker_once_with_metrics_says_where_they_are(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = seeded(tmp_path / "cases.db", n=2)
    argv = ["worker", "--db", url, "--offices", str(OFFICES), "--once", "--metrics-port", "0"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert re.search(r"worker: metrics on http://127\.0\.0\.1:[0-9]+/metrics", err), err
    assert main([*argv[:-1], "70000"]) == 2
    assert "--metrics-port must be from 0 to 65535, got 70000" in capsys.readouterr().err


# ---------------------------------------------------------------- worker --check


def test_check_is_healthy_when_the_sweep_keeps_up_and_says_why_not_otherwise(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = seeded(tmp_path / "cases.db", n=2)  # due since March: the lag is weeks
    check = ["worker", "--db", url, "--offices", str(OFFICES), "--check"]
    assert main(check) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "database: ok"
    assert out[1] == f"schema: ok (version {SCHEMA_VERSION}, this library needs {SCHEMA_VERSION})"
    assert out[2].startswith("lag: FAIL (")
    assert out[-1] == "worker check: UNHEALTHY"
    assert main([*check, "--max-lag", "1e10"]) == 0
    assert capsys.readouterr().out.endswith("worker check: healthy\n")
    assert main(["worker", "--db", url, "--offices", str(OFFICES), "--once"]) == 0
    capsys.readouterr()
    assert main(check) == 0  # swept: nothing waits
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("UPDATE migrantcare_schema SET version = 1")
    assert main(check) == 1
    assert (
        f"schema: FAIL (version 1, this library needs {SCHEMA_VERSION})" in capsys.readouterr().out
    )


def test_check_needs_no_offices_but_a_sweep_does(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a health check reads the database only: an orchestrator's probe names no offices file
    url = seeded(tmp_path / "cases.db", n=1)
    assert main(["worker", "--db", url, "--check", "--max-lag", "1e10"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "database: ok",
        f"schema: ok (version {SCHEMA_VERSION}, this library needs {SCHEMA_VERSION})",
    ]
    assert out[-1] == "worker check: healthy"
    assert main(["worker", "--db", url, "--check"]) == 1  # due since March: lagging
    assert capsys.readouterr().out.endswith("worker check: UNHEALTHY\n")
    # sweeping needs the offices (each case's calendar comes from them): one clean line
    for argv in (["--once"], []):
        assert main(["worker", "--db", url, *argv]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err == (
            "migrantcare worker: error: --offices FILE is required to sweep (the offices "
            "give each case its calendar); only --check runs without it\n"
        )
    with sa.create_engine(url).connect() as conn:
        assert conn.exec_driver_sql("SELECT version FROM cases").scalar_one() == 1  # not swept


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://u:s3cret@/db?host=/nonexistent-mc-dir",
        "sqlite:////nonexistent-mc-dir/x.db",
    ],
)
def test_check_of_a_database_that_does_not_answer_exits_1_without_secrets(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["worker", "--db", url, "--offices", str(OFFICES), "--check"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("database: FAIL (OperationalError: ")
    assert out.endswith("worker check: UNHEALTHY\n")
    assert "s3cret" not in out + err


def test_check_refuses_a_bad_bound_and_reports_missing_tables(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    base = ["worker", "--db", url, "--offices", str(OFFICES), "--check"]
    assert main([*base, "--max-lag", "0"]) == 2
    assert "--max-lag must be a positive number of seconds" in capsys.readouterr().err
    assert main(base) == 1
    assert "schema: FAIL (version None" in capsys.readouterr().out
    engine = sa.create_engine(url)
    assert not health(engine, now=MARCH, max_lag=60).ok
    engine.dispose()


# ---------------------------------------------------------------- prometheus_client


def test_prometheus_clients_own_parser_reads_every_family(tmp_path: pathlib.Path) -> None:
    from prometheus_client import CollectorRegistry, generate_latest  # noqa: PLC0415
    from prometheus_client.openmetrics.parser import (  # noqa: PLC0415
        text_string_to_metric_families,
    )

    url = seeded(tmp_path / "cases.db", n=3)
    box = outbox_of(url)
    clock = [APRIL]
    metrics = WorkerMetrics(box, clock=lambda: clock[0])
    run_worker(
        box,
        clock=lambda: APRIL,
        stop=threading.Event(),
        log=lambda _: None,
        once=True,
        on_sweep=metrics.observe,
    )
    metrics.observe(SweepResult(APRIL, 1, 0, 0, 0, ("PGD-9",), 0.1, ("SchemaError: x",)))
    clock[0] = APRIL + dt.timedelta(minutes=5)
    with box.claim(2, at=clock[0]) as batch:
        for notice in batch:
            batch.sent(notice)
    families = {f.name: f for f in text_string_to_metric_families(metrics.render())}
    assert {name: f.type for name, f in families.items()} == {
        "migrantcare_sweeps": "counter",
        "migrantcare_cases_claimed": "counter",
        "migrantcare_cases_advanced": "counter",
        "migrantcare_events_appended": "counter",
        "migrantcare_notices_written": "counter",
        "migrantcare_cases_failed": "counter",
        "migrantcare_sweep_duration_seconds": "histogram",
        "migrantcare_database_up": "gauge",
        "migrantcare_sweep_lag_seconds": "gauge",
        "migrantcare_outbox_notices": "gauge",
        "migrantcare_delivery_latency_seconds": "summary",
    }
    latency = families["migrantcare_delivery_latency_seconds"].samples
    assert {s.labels["quantile"] for s in latency if "quantile" in s.labels} == {
        "0.5",
        "0.9",
        "0.99",
    }
    assert all(s.value == 300 for s in latency if "quantile" in s.labels)
    # the optional collector: the same families through a prometheus_client registry
    registry = CollectorRegistry()
    registry.register(prometheus_collector(metrics))
    exposed = generate_latest(registry).decode()
    assert 'migrantcare_cases_failed_total{error="SchemaError"} 1.0' in exposed
    assert "migrantcare_cases_advanced_total 3.0" in exposed
    box.store.engine.dispose()
