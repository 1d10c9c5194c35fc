"""A worker you can watch: OpenMetrics text of the sweeps and the outbox, and a health check.

``migrantcare worker --metrics-port N`` and ``--check`` use these; a host running its own
sweep loop calls :meth:`WorkerMetrics.observe` with each :class:`~migrantcare.sql.SweepResult`
and serves :meth:`WorkerMetrics.render` (or :func:`serve_metrics`).
"""

from migrantcare.sql._metrics import (
    BATCH_BUCKETS,
    CONTENT_TYPE,
    LATENCY_WINDOW,
    Health,
    WorkerMetrics,
    health,
    oldest_due,
    prometheus_collector,
    serve_metrics,
)

__all__ = [
    "BATCH_BUCKETS",
    "CONTENT_TYPE",
    "LATENCY_WINDOW",
    "Health",
    "WorkerMetrics",
    "health",
    "oldest_due",
    "prometheus_collector",
    "serve_metrics",
]
