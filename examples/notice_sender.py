"""A notice sender on the outbox: claim, deliver (here: print), mark sent or failed.

Run: ``python examples/notice_sender.py`` — a demo on a temporary SQLite file: it stores
two complaints, sweeps the SLA marks due a day later, and sends every notice.

Against your database, as one of several senders (Ctrl-C or SIGTERM stops it)::

    python examples/notice_sender.py --db postgresql+psycopg://sender@db/pengaduan

Replace ``deliver`` with your gateway call, and pass it ``notice.idempotency_key`` so a
notice delivered twice (a sender died before marking it) reaches the person once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import tempfile
import threading
from pathlib import Path

import sqlalchemy as sa

from migrantcare import Actor, Person, WorkingCalendar, complaint_workflow
from migrantcare.sql import Outbox, OutboxNotice, SqlCaseStore, create_all, create_outbox, sweep

KUPANG = WorkingCalendar.for_province("Nusa Tenggara Timur")


def deliver(notice: OutboxNotice) -> bool:
    """The gateway: here, standard output. Return False when the gateway refuses."""
    print(f"--- to {notice.recipient} by {notice.channel} ({notice.locale}, {notice.tz})")
    print(f"    key {notice.idempotency_key[:16]}…  case {notice.case_id}")
    for line in notice.text.splitlines():
        print(f"    {line}")
    return True


def send_once(outbox: Outbox, now: dt.datetime, batch: int = 50) -> int:
    """Deliver what is due now, batch by batch; return how many were sent."""
    total = 0
    while True:
        with outbox.claim(batch, at=now) as claimed:
            for notice in claimed:
                if deliver(notice):
                    claimed.sent(notice)
                    total += 1
                else:
                    claimed.failed(notice, "gateway refused")
            if len(claimed) < batch:
                return total


def demo() -> None:
    engine = sa.create_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'cases.db'}")
    workflow = complaint_workflow()
    store = SqlCaseStore(engine, workflow, calendar={"bp3mi-ntt": KUPANG})
    create_all(engine, store.tables)
    create_outbox(engine, store.tables)
    outbox = Outbox(store)
    monday = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
    agent = Actor("cc-07", roles={"call_centre"}, office="bp3mi-ntt")
    for number, name in (("PGD-2026-000201", "Siti Aminah"), ("PGD-2026-000202", "Dewi")):
        outbox.add(
            workflow.open(
                number,
                at=monday,
                by=agent,
                office="bp3mi-ntt",
                category="unpaid_wages",
                channel="whatsapp",
                complainant=Person(name, phone="+6281234567890"),
                calendar=KUPANG,
            )
        )
    tuesday = monday + dt.timedelta(days=1, hours=1)
    print(sweep(outbox, at=tuesday).log_line())
    sent = send_once(outbox, tuesday)
    counts = outbox.counts()
    print(f"sent {sent} notices; pending {counts.pending}, failed {counts.failed}")


def serve(url: str, poll: float) -> None:
    engine = sa.create_engine(url)
    store = SqlCaseStore(engine, complaint_workflow(), calendar={"bp3mi-ntt": KUPANG})
    outbox = Outbox(store)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        # the host's clock: this script is the host
        sent = send_once(outbox, dt.datetime.now(dt.timezone.utc))
        if sent:
            print(f"sender: sent {sent}", file=sys.stderr)
        stop.wait(poll)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database URL; without it, a demo on SQLite")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between rounds")
    # known options only: under a test runner, argv holds the runner's own
    args, _ = parser.parse_known_args()
    if args.db:
        serve(args.db, args.poll)
    else:
        demo()


if __name__ == "__main__":
    main()
