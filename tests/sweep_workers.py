"""Code the sweep and outbox reliability tests run in child processes (importable by ``spawn``)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import sqlalchemy as sa

from migrantcare import Actor, WorkingCalendar, complaint_workflow
from migrantcare.sql import Outbox, SqlCaseStore, earliest_due, sweep

CC = Actor("cc-01", roles={"call_centre"}, office="bp3mi-ntt")
OFFICER = Actor("officer-1", roles={"officer"}, office="bp3mi-ntt")

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)  # Monday 09:00 WITA


def calendar() -> WorkingCalendar:
    return WorkingCalendar.indonesia().in_zone("Asia/Makassar")


def outbox(url: str) -> Outbox:
    engine = sa.create_engine(url, pool_size=1)
    return Outbox(SqlCaseStore(engine, complaint_workflow(), calendar=calendar()))


def sink_table() -> sa.Table:
    """The recording sink: every delivery a gateway accepted, duplicates included."""
    md = sa.MetaData()
    return sa.Table(
        "sink",
        md,
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("sender", sa.Integer, nullable=False),
    )


def sweep_until_done(url: str, worker: int, at: dt.datetime, batch: int, out: Any) -> None:
    """Sweep until nothing is due; report (worker, claimed, events, notices)."""
    box = outbox(url)
    claimed = events = notices = 0
    while True:
        result = sweep(box, at=at, limit=batch)
        claimed += result.claimed
        events += result.events
        notices += result.notices
        assert not result.failed, result.failed
        if result.claimed == 0:
            # none free: done, unless cases are still due under another worker's lock
            due = earliest_due(box)
            if due is None or due > at:
                break
            time.sleep(0.05)
    box.store.engine.dispose()
    out.put((worker, claimed, events, notices))


def sweep_and_hang(url: str, at: dt.datetime, batch: int, ready: Any) -> None:
    """Claim and advance a batch, then stop right before the commit (to be killed)."""
    box = outbox(url)

    def stall(conn: sa.Connection) -> None:
        ready.set()
        time.sleep(600)

    sa.event.listen(box.store.engine, "commit", stall)
    sweep(box, at=at, limit=batch)


class Gateway:
    """A recording sink: one row per message accepted, repeats included."""

    def __init__(self, url: str, sender: int) -> None:
        # autocommit: the gateway is outside the outbox's transaction, as a real one is
        self.engine = sa.create_engine(url, pool_size=1, isolation_level="AUTOCOMMIT")
        self.table = sink_table()
        self.sender = sender

    def send(self, key: str) -> None:
        with self.engine.connect() as conn:
            conn.execute(self.table.insert().values(key=key, sender=self.sender))


def send_until_done(url: str, sender: int, at: dt.datetime, batch: int, out: Any) -> None:
    """Deliver every notice due at ``at`` to the sink; report (sender, sent)."""
    box = outbox(url)
    gateway = Gateway(url, sender)
    sent = 0
    while True:
        with box.claim(batch, at=at) as claimed:
            for notice in claimed:
                gateway.send(notice.idempotency_key)
                claimed.sent(notice)
            sent += len(claimed)
        if not len(claimed):
            # none left unclaimed (SKIP LOCKED returns every row nobody holds)
            break
    out.put((sender, sent))


def send_and_die(url: str, at: dt.datetime, batch: int, ready: Any) -> None:
    """Deliver half a batch to the sink, then hang before marking it (to be killed)."""
    box = outbox(url)
    gateway = Gateway(url, 99)
    with box.claim(batch, at=at) as claimed:
        for notice in claimed.notices[: len(claimed) // 2]:
            gateway.send(notice.idempotency_key)
            claimed.sent(notice)
        ready.set()
        time.sleep(600)
