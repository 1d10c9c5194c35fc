"""``migrantcare worker``: the SLA sweep loop, for hosts without a scheduler of their own.

It sweeps the cases due now, logs one line per batch, and sleeps until the earliest
``next_due_at`` (never longer than ``--max-sleep``: new cases arrive meanwhile). SIGTERM
and SIGINT stop it between batches: a batch in progress commits first. Run as many as
you like, on as many machines: the sweep's row locks keep them apart.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Final, TextIO

import sqlalchemy as sa

from migrantcare.exceptions import InvalidArgumentError, MigrantCareError
from migrantcare.sql._metrics import cmd_check, start_metrics
from migrantcare.sql._outbox import Outbox
from migrantcare.sql._store import SqlCaseStore
from migrantcare.sql._sweep import SweepResult, earliest_due, sweep

#: How long to wait when cases are due but held by other workers.
_BUSY_WAIT = 1.0
_log = logging.getLogger("migrantcare.sql.worker")


def run_worker(
    box: Outbox,
    *,
    clock: Callable[[], _dt.datetime],
    stop: threading.Event,
    log: Callable[[str], None],
    batch: int = 100,
    once: bool = False,
    max_sleep: float = 60.0,
    on_sweep: Callable[[SweepResult], None] | None = None,
) -> list[SweepResult]:
    """Sweep in a loop until ``stop`` is set (or, with ``once``, until nothing is due).

    Args:
        box: The outbox on the store (the notices are written with the cases).
        clock: Returns the current instant (aware); the loop's only clock.
        stop: Set it (e.g. from a SIGTERM handler) to stop after the current batch.
        log: Receives one line per batch.
        batch: Cases per sweep (one transaction).
        once: Sweep what is due now, then return.
        max_sleep: The longest sleep between sweeps, in seconds.
        on_sweep: Called with each sweep's result (the metrics count it).

    Returns:
        The results of the sweeps that claimed something.

    Each batch line also goes to the ``migrantcare.sql.worker`` logger (info, with
    ``extra`` counts); each case a sweep could not advance is logged once by
    ``migrantcare.sql.sweep`` (a warning), then skipped by this worker.
    """
    done: list[SweepResult] = []
    # Cases this worker could not advance stay due; skipping them keeps them from taking
    # every place in the batch (they are in the log; a restart tries them again).
    failed: set[str] = set()
    while not stop.is_set():
        now = clock()
        result = sweep(box, at=now, limit=batch, skip=failed)
        if on_sweep is not None:
            on_sweep(result)
        failed.update(result.failed)
        if result.claimed or once:
            line = result.log_line()
            log(line)
            _log.info(
                line,
                extra={
                    "claimed": result.claimed,
                    "advanced": result.advanced,
                    "failed": len(result.failed),
                },
            )
        if result.claimed:
            done.append(result)
        if result.claimed == batch and result.advanced:
            continue  # more may be due right now
        if once:
            break
        due = earliest_due(box)
        if due is None:
            wait = max_sleep
        elif due <= now:
            # due, but held by another worker, or one this worker skips: look again
            # shortly
            wait = _BUSY_WAIT
        else:
            wait = (due - clock()).total_seconds()
        stop.wait(min(max_sleep, max(0.0, wait)))
    return done


#: Query-string parameters of a database URL whose values are secrets (libpq's and
#: the drivers' spellings); matched on the lowercased key.
_SECRET_KEYS: Final = ("password", "passwd", "pwd", "sslpassword", "secret", "token")


def _secrets(url: str) -> list[str]:
    """The secret values a database URL carries (its password, secret query values)."""
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return []
    found = [] if parsed.password is None else [str(parsed.password)]
    for key, value in parsed.query.items():
        if any(word in key.lower() for word in _SECRET_KEYS):
            found.extend([value] if isinstance(value, str) else list(value))
    return [value for value in found if value]


def _safe_url(url: str) -> str:
    """``url`` fit for a log: the password and secret query values replaced by ``***``."""
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return "(unparsable URL)"
    hidden = {
        key: "***" if any(word in key.lower() for word in _SECRET_KEYS) else value
        for key, value in parsed.query.items()
    }
    shown = parsed.set(query=hidden).render_as_string(hide_password=True)
    return _masked(shown.replace("%2A%2A%2A", "***"), url)


def _masked(text: str, url: str) -> str:
    """``text`` with every secret of ``url`` replaced by ``***`` (drivers may echo them)."""
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return text


def _reason(exc: BaseException, url: str) -> str:
    """The first line of ``exc``'s message, at most 300 characters, secrets masked."""
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return _masked(reason[:300], url)


def open_outbox(url: str, offices_path: str) -> Outbox:
    """Build the store and outbox the worker sweeps: the standard workflows, bound.

    Raises:
        InvalidArgumentError: the URL is not usable (bad form, no driver, no server,
            no tables), in one line without the password.
    """
    from migrantcare.definitions._standard import (  # noqa: PLC0415
        complaint_workflow,
        outreach_workflow,
        repatriation_workflow,
    )
    from migrantcare.offices._offices import Offices  # noqa: PLC0415 - only the worker needs it

    offices = Offices.from_file(offices_path)
    workflows = [
        w().bind(offices) for w in (complaint_workflow, repatriation_workflow, outreach_workflow)
    ]
    try:
        parsed = sa.engine.make_url(url)
        parsed.port  # noqa: B018 - read now: a port that is not a number raises here
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise InvalidArgumentError(
            f"cannot use the database {_safe_url(url)}: the URL does not parse "
            f"({type(exc).__name__}: {_reason(exc, url)}); the form is "
            "dialect+driver://user:password@host:port/database, the port a number"
        ) from None
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
        # no calendar=: the bound offices are the one source of every case's calendar
        store = SqlCaseStore(engine, workflows)
        box = Outbox(store)
        with engine.connect() as conn:
            # the tables exist and answer
            conn.execute(sa.select(sa.func.count()).select_from(box.table).limit(1))
            conn.execute(sa.select(store.tables.cases.c.id).limit(1))
    except (sa.exc.SQLAlchemyError, ImportError, ValueError) as exc:
        raise InvalidArgumentError(
            f"cannot use the database {_safe_url(url)}: {type(exc).__name__}: {_reason(exc, url)}"
        ) from None
    return box


def cmd_worker(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The ``migrantcare worker`` command (see :func:`run_worker`)."""
    _check_worker_args(args)
    if getattr(args, "check", False):
        # for orchestrators: database, schema, lag; no sweep (see the metrics module)
        now = _dt.datetime.now(_dt.timezone.utc)
        return cmd_check(args, out, now=now, safe=lambda text: _masked(text, args.db))
    if getattr(args, "offices", None) is None:
        raise InvalidArgumentError(
            "--offices FILE is required to sweep (the offices give each case its calendar); "
            "only --check runs without it"
        )
    box = open_outbox(args.db, args.offices)
    observe, stop_metrics = start_metrics(
        args, box, lambda: _dt.datetime.now(_dt.timezone.utc), lambda line: err.write(line + "\n")
    )
    stop = threading.Event()

    def log(line: str) -> None:
        err.write(line + "\n")
        err.flush()

    with contextlib.ExitStack() as cleanup:
        # undone in reverse: the log handler, the signals, the metrics, the engine
        cleanup.callback(box.store.engine.dispose)
        cleanup.callback(stop_metrics)
        cleanup.enter_context(_stopping_on_signals(stop, err))
        cleanup.enter_context(_library_warnings_to(err))
        log(
            f"worker: sweeping {_safe_url(args.db)} in batches of {args.batch}"
            f"{', once' if args.once else f', sleeping at most {args.max_sleep:g} s'}"
        )
        results = _sweeping(box, args, stop, log, observe)
    failed = sorted({case_id for result in results for case_id in result.failed})
    if failed and args.once:
        err.write(_failed_line(failed))
    out.write("worker: stopped\n")
    # --once is a check a scheduler runs: a case it could not advance fails the run
    return 1 if failed and args.once else 0


def _check_worker_args(args: argparse.Namespace) -> None:
    if args.batch < 1 or args.batch > 10_000:
        raise InvalidArgumentError(f"--batch must be from 1 to 10000, got {args.batch}")
    if not args.max_sleep > 0:
        raise InvalidArgumentError(f"--max-sleep must be positive, got {args.max_sleep}")


@contextlib.contextmanager
def _stopping_on_signals(stop: threading.Event, err: TextIO) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (the batch under way finishes); restored after."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        err.write(f"worker: {signal.Signals(signum).name}, stopping after this batch\n")
        err.flush()
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, was in previous.items():
            signal.signal(sig, was)


@contextlib.contextmanager
def _library_warnings_to(err: TextIO) -> Iterator[None]:
    """The library's warnings (one per failed case) on ``err`` beside the batch lines.

    The command line is the host here, so it, not the library, attaches the handler.
    """
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    library = logging.getLogger("migrantcare")
    library.addHandler(handler)
    try:
        yield
    finally:
        library.removeHandler(handler)


def _sweeping(
    box: Outbox,
    args: argparse.Namespace,
    stop: threading.Event,
    log: Callable[[str], None],
    observe: Callable[[SweepResult], None] | None,
) -> list[SweepResult]:
    """Run the worker loop; a database error becomes a migrantcare error with its reason."""
    try:
        return run_worker(
            box,
            # The command line is the host here: the one place that reads the clock.
            clock=lambda: _dt.datetime.now(_dt.timezone.utc),
            stop=stop,
            log=log,
            batch=args.batch,
            once=args.once,
            max_sleep=args.max_sleep,
            on_sweep=observe,
        )
    except MigrantCareError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        raise InvalidArgumentError(
            f"database error: {type(exc).__name__}: {_reason(exc, args.db)}"
        ) from None


def _failed_line(failed: list[str]) -> str:
    """What ``--once`` says of the cases it could not advance."""
    shown = ", ".join(failed[:10]) + (", ..." if len(failed) > 10 else "")
    many = len(failed) > 1
    return (
        f"worker: {len(failed)} case{'s' if many else ''} could not be "
        f"advanced ({shown}); {'they stay' if many else 'it stays'} due: "
        "see the errors above\n"
    )
