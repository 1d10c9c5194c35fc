"""A worker you can watch: OpenMetrics text, and a health check for orchestrators.

:class:`WorkerMetrics` counts what the sweeps did (cases advanced, cases failed by error
class, batch durations) as each sweep ends, at the cost of a few additions, and reads
the rest from the database when it is scraped: the sweep lag (how long the oldest due
case has waited), the outbox by channel and status, and the senders' delivery latency.
:func:`serve_metrics` answers ``GET /metrics`` on 127.0.0.1 by default.
:func:`health` is ``migrantcare worker --check``.

Names and label values are ids, channels and error class names: never personal data.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import http.server
import importlib
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs
import sqlalchemy as sa

from migrantcare.exceptions import InvalidArgumentError
from migrantcare.records._case import utc
from migrantcare.sql._migrations import Names, recorded_version
from migrantcare.sql._outbox import Outbox
from migrantcare.sql._outbox_table import aware
from migrantcare.sql._schema import SCHEMA_VERSION
from migrantcare.sql._sweep import SweepResult

#: The buckets of the batch duration histogram, in seconds.
BATCH_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: The window over which the senders' delivery latency is read, in seconds.
LATENCY_WINDOW: Final = 900.0

#: The most sent notices a scrape reads for the latency figures.
_LATENCY_ROWS: Final = 10_000

CONTENT_TYPE: Final = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def _error_class(error: str) -> str:
    # SweepResult.errors: "IntegrityError: case 'PGD-1', ..." -> "IntegrityError"
    head = error.split(":", 1)[0].strip()
    return head if head.isidentifier() else "Error"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class WorkerMetrics:
    """The counters of one worker process, and the figures read from its database.

    Call :meth:`observe` with each :class:`SweepResult` (the worker does); call
    :meth:`render` for the OpenMetrics text. Thread-safe: the HTTP server renders while
    the worker observes.

    Args:
        box: The outbox (and through it the store) the worker sweeps.
        clock: Returns the current instant (aware); read when a scrape computes the lag.
    """

    def __init__(self, box: Outbox, *, clock: Callable[[], _dt.datetime]) -> None:
        self._box = box
        self._clock = clock
        self._lock = threading.Lock()
        self._sweeps = 0
        self._claimed = 0
        self._advanced = 0
        self._events = 0
        self._notices = 0
        self._failed: dict[str, int] = {}
        self._buckets = [0] * (len(BATCH_BUCKETS) + 1)
        self._duration_sum = 0.0

    def observe(self, result: SweepResult) -> None:
        """Count one sweep (a few additions; no I/O)."""
        slot = bisect.bisect_left(BATCH_BUCKETS, result.seconds)
        with self._lock:
            self._sweeps += 1
            self._claimed += result.claimed
            self._advanced += result.advanced
            self._events += result.events
            self._notices += result.notices
            for error in result.errors or ("Error",) * len(result.failed):
                name = _error_class(error)
                self._failed[name] = self._failed.get(name, 0) + 1
            self._buckets[slot] += 1
            self._duration_sum += result.seconds

    # ------------------------------------------------------------------ database figures

    def lag_seconds(self, now: _dt.datetime) -> float:
        """How long the oldest due case not yet advanced has been due (0: none is due)."""
        oldest = oldest_due(self._box, now)
        return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())

    def _outbox(self, conn: sa.Connection) -> dict[tuple[str, str], int]:
        t = self._box.table
        # pending (never tried), failed (tried, will be retried), given up (status failed)
        state = sa.case(
            (t.c.status == "failed", sa.literal_column("'given_up'")),
            (t.c.attempts > sa.literal_column("0"), sa.literal_column("'failed'")),
            else_=sa.literal_column("'pending'"),
        )
        stmt = (
            sa.select(t.c.channel, state.label("state"), sa.func.count())
            .where(t.c.status != "sent")
            .group_by(t.c.channel, state)
        )
        return {(row[0], row[1]): int(row[2]) for row in conn.execute(stmt)}

    def _latencies(self, conn: sa.Connection, now: _dt.datetime) -> dict[str, list[float]]:
        t = self._box.table
        since = now - _dt.timedelta(seconds=LATENCY_WINDOW)
        stmt = (
            sa.select(t.c.channel, t.c.created_at, t.c.sent_at)
            .where(t.c.status == "sent", t.c.sent_at >= since)
            .limit(_LATENCY_ROWS)
        )
        found: dict[str, list[float]] = {}
        for channel, created, sent in conn.execute(stmt):
            created_at, sent_at = aware(created), aware(sent)
            if created_at is not None and sent_at is not None:
                found.setdefault(channel, []).append((sent_at - created_at).total_seconds())
        return found

    # ------------------------------------------------------------------ exposition

    def render(self) -> str:
        """The OpenMetrics text of every metric (counters, then the database's figures).

        A database that does not answer is reported as ``migrantcare_database_up 0``
        with the counters; the scrape itself does not fail.
        """
        now = utc(self._clock(), "clock()")
        with self._lock:
            counts = (self._sweeps, self._claimed, self._advanced, self._events, self._notices)
            failed = dict(self._failed)
            buckets = list(self._buckets)
            duration_sum = self._duration_sum
        out: list[str] = []

        def counter(name: str, text: str, samples: Mapping[str, int | float]) -> None:
            out.append(f"# TYPE {name} counter")
            out.append(f"# HELP {name} {text}")
            for labels, value in samples.items():
                out.append(f"{name}_total{labels} {value}")

        counter("migrantcare_sweeps", "Sweeps run by this worker.", {"": counts[0]})
        counter("migrantcare_cases_claimed", "Due cases claimed by sweeps.", {"": counts[1]})
        counter("migrantcare_cases_advanced", "Cases advanced and saved.", {"": counts[2]})
        counter("migrantcare_events_appended", "Events appended by sweeps.", {"": counts[3]})
        counter("migrantcare_notices_written", "Outbox rows written.", {"": counts[4]})
        counter(
            "migrantcare_cases_failed",
            "Claimed cases that could not be advanced, by error class.",
            {f'{{error="{_label(k)}"}}': v for k, v in sorted(failed.items())},
        )
        out.append("# TYPE migrantcare_sweep_duration_seconds histogram")
        out.append("# HELP migrantcare_sweep_duration_seconds Wall time of one sweep (a batch).")
        running = 0
        for bound, n in zip((*BATCH_BUCKETS, float("inf")), buckets, strict=True):
            running += n
            le = "+Inf" if bound == float("inf") else repr(bound)
            out.append(f'migrantcare_sweep_duration_seconds_bucket{{le="{le}"}} {running}')
        out.append(f"migrantcare_sweep_duration_seconds_count {running}")
        out.append(f"migrantcare_sweep_duration_seconds_sum {duration_sum:.6f}")
        out.extend(self._database_lines(now))
        out.append("# EOF")
        return "\n".join(out) + "\n"

    def _database_lines(self, now: _dt.datetime) -> list[str]:
        try:
            lag = self.lag_seconds(now)
            with self._box.store.engine.connect() as conn:
                outbox = self._outbox(conn)
                latencies = self._latencies(conn, now)
        except sa.exc.SQLAlchemyError:
            return [
                "# TYPE migrantcare_database_up gauge",
                "# HELP migrantcare_database_up Whether the last scrape could read the database.",
                "migrantcare_database_up 0",
            ]
        lines = [
            "# TYPE migrantcare_database_up gauge",
            "# HELP migrantcare_database_up Whether the last scrape could read the database.",
            "migrantcare_database_up 1",
            "# TYPE migrantcare_sweep_lag_seconds gauge",
            "# HELP migrantcare_sweep_lag_seconds How long the oldest due case not yet "
            "advanced has been due (0 when none is).",
            f"migrantcare_sweep_lag_seconds {lag:.3f}",
            "# TYPE migrantcare_outbox_notices gauge",
            "# HELP migrantcare_outbox_notices Notices not sent, by channel and state "
            "(pending: not tried; failed: to be retried; given_up: will not be sent).",
        ]
        channels = sorted({c for c, _ in outbox})
        for channel in channels:
            for state in ("pending", "failed", "given_up"):
                n = outbox.get((channel, state), 0)
                lines.append(
                    f'migrantcare_outbox_notices{{channel="{_label(channel)}",state="{state}"}} {n}'
                )
        lines += [
            "# TYPE migrantcare_delivery_latency_seconds summary",
            "# HELP migrantcare_delivery_latency_seconds From a notice's writing to its "
            f"sending, over the notices sent in the last {LATENCY_WINDOW:g} s, by channel.",
        ]
        for channel, values in sorted(latencies.items()):
            values.sort()
            tag = f'channel="{_label(channel)}"'
            for q in (0.5, 0.9, 0.99):
                value = values[min(len(values) - 1, int(q * len(values)))]
                lines.append(
                    f'migrantcare_delivery_latency_seconds{{{tag},quantile="{q}"}} {value:.3f}'
                )
            lines.append(f"migrantcare_delivery_latency_seconds_count{{{tag}}} {len(values)}")
            lines.append(f"migrantcare_delivery_latency_seconds_sum{{{tag}}} {sum(values):.3f}")
        return lines


def oldest_due(box: Outbox, now: _dt.datetime) -> _dt.datetime | None:
    """The earliest ``next_due_at`` at or before ``now`` (a case waiting), or ``None``."""
    c = box.store.tables.cases.c
    stmt = sa.select(sa.func.min(c.next_due_at)).where(c.next_due_at <= utc(now, "now"))
    with box.store.engine.connect() as conn:
        return aware(conn.execute(stmt).scalar_one_or_none())


# --------------------------------------------------------------------------- HTTP


class _Handler(http.server.BaseHTTPRequestHandler):
    metrics: WorkerMetrics

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/metrics":
            self.send_error(404, "only /metrics is here")
            return
        body = self.metrics.render().encode()
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # scrapes every few seconds would flood the worker's log
        return


def serve_metrics(
    metrics: WorkerMetrics, *, port: int, host: str = "127.0.0.1"
) -> http.server.ThreadingHTTPServer:
    """Serve ``GET /metrics`` in a daemon thread; call ``shutdown()`` on the result to stop.

    Raises:
        InvalidArgumentError: the port is out of range or cannot be bound.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise InvalidArgumentError(f"--metrics-port must be from 0 to 65535, got {port!r}")
    handler = type("MetricsHandler", (_Handler,), {"metrics": metrics})
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise InvalidArgumentError(
            f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}"
        ) from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="migrantcare-metrics", daemon=True).start()
    return server


# --------------------------------------------------------------------------- health


@attrs.frozen
class Health:
    """The result of ``migrantcare worker --check``.

    Attributes:
        reachable: The database answered.
        schema_version: The recorded schema version (``None``: no tables, or unreachable).
        lag_seconds: The sweep lag (``None`` when unreachable).
        max_lag: The bound the lag was held to, in seconds.
        problem: Why the database could not be read, if it could not.
    """

    reachable: bool
    schema_version: int | None
    lag_seconds: float | None
    max_lag: float
    problem: str = ""

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return (
            self.reachable
            and self.schema_version == SCHEMA_VERSION
            and self.lag_seconds is not None
            and self.lag_seconds <= self.max_lag
        )

    def lines(self) -> list[str]:
        """One line per check, ``ok`` or ``FAIL``."""
        if not self.reachable:
            return [f"database: FAIL ({self.problem})"]
        schema_ok = self.schema_version == SCHEMA_VERSION
        lag = self.lag_seconds or 0.0
        return [
            "database: ok",
            f"schema: {'ok' if schema_ok else 'FAIL'} (version {self.schema_version}, "
            f"this library needs {SCHEMA_VERSION})",
            f"lag: {'ok' if lag <= self.max_lag else 'FAIL'} ({lag:.0f} s, bound "
            f"{self.max_lag:g} s)",
        ]


def health(
    engine: sa.Engine, *, now: _dt.datetime, max_lag: float, names: Names | None = None
) -> Health:
    """Check that the database answers, its tables are current, and the sweep keeps up."""
    names = Names() if names is None else names
    when = utc(now, "now")
    try:
        with engine.connect() as conn:
            version = recorded_version(conn, names)
            if version is None:
                return Health(True, None, None, max_lag)
            c = sa.table(
                names("cases"),
                sa.column("next_due_at", sa.DateTime(timezone=True)),
                schema=names.schema,
            ).c
            oldest = aware(
                conn.execute(
                    sa.select(sa.func.min(c.next_due_at)).where(c.next_due_at <= when)
                ).scalar_one_or_none()
            )
    except sa.exc.SQLAlchemyError as exc:
        text = str(exc).strip()
        reason = (text.splitlines()[0] if text else type(exc).__name__)[:200]
        return Health(False, None, None, max_lag, f"{type(exc).__name__}: {reason}")
    lag = 0.0 if oldest is None else max(0.0, (when - oldest).total_seconds())
    return Health(True, version, lag, max_lag)


# --------------------------------------------------------------------------- the command


def cmd_check(args: Any, out: Any, *, now: _dt.datetime, safe: Callable[[str], str]) -> int:
    """``migrantcare worker --check``: print one line per check; 0 healthy, 1 not.

    ``safe`` masks the URL's secrets in a message (the worker's own masking).
    """
    if not args.max_lag > 0:
        raise InvalidArgumentError(
            f"--max-lag must be a positive number of seconds, got {args.max_lag}"
        )
    try:
        engine = sa.create_engine(args.db, poolclass=sa.NullPool)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        raise InvalidArgumentError(
            f"cannot use the database {safe(args.db)}: {type(exc).__name__}"
        ) from None
    try:
        result = health(engine, now=now, max_lag=args.max_lag)
    finally:
        engine.dispose()
    for line in result.lines():
        out.write(safe(line) + "\n")
    out.write(f"worker check: {'healthy' if result.ok else 'UNHEALTHY'}\n")
    return 0 if result.ok else 1


def start_metrics(
    args: Any, box: Outbox, clock: Callable[[], _dt.datetime], log: Callable[[str], object]
) -> tuple[Callable[[SweepResult], None] | None, Callable[[], None]]:
    """Start the metrics server of ``--metrics-port`` (if given): (observe, stop)."""
    if getattr(args, "metrics_port", None) is None:
        return None, lambda: None
    metrics = WorkerMetrics(box, clock=clock)
    server = serve_metrics(metrics, port=args.metrics_port, host=args.metrics_host)
    port = server.server_address[1]
    log(f"worker: metrics on http://{args.metrics_host}:{port}/metrics")

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return metrics.observe, stop


def prometheus_collector(metrics: WorkerMetrics) -> Any:
    """A ``prometheus_client`` collector of ``metrics`` (the optional ``metrics`` extra).

    For a host that already serves a ``prometheus_client`` registry (its web service's
    ``/metrics``): ``REGISTRY.register(prometheus_collector(metrics))`` adds the worker's
    figures to it, read at each scrape exactly as :meth:`WorkerMetrics.render` reads them.

    Raises:
        InvalidArgumentError: ``prometheus_client`` is not installed.
    """
    try:
        # by name: the extra is optional, and its parser is untyped
        parser: Any = importlib.import_module("prometheus_client.openmetrics.parser")
    except ImportError:
        raise InvalidArgumentError(
            'prometheus_collector needs prometheus-client: pip install "migrantcare[metrics]"'
        ) from None

    class _Collector:
        def collect(self) -> Any:
            return parser.text_string_to_metric_families(metrics.render())

    return _Collector()
