"""The SLA sweep and the notice outbox: behaviour on SQLite and PostgreSQL.

The concurrency guarantees (many workers, killed workers, many senders) are in
test_sweep_reliability.py against a real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from migrantcare import SYSTEM, Actor, Case, Person, Workflow, WorkingCalendar, complaint_workflow
from migrantcare.exceptions import (
    CaseExistsError,
    InvalidArgumentError,
    StaleCaseError,
    WrongTypeError,
)
from migrantcare.sql import (
    Backoff,
    Outbox,
    Route,
    SqlCaseStore,
    case_tables,
    create_all,
    create_outbox,
    default_router,
    earliest_due,
    idempotency_key,
    outbox_table,
    sweep,
)
from migrantcare.sql._worker import run_worker

CC = Actor("cc-01", roles={"call_centre"}, office="bp3mi-ntt")
OFFICER = Actor("officer-1", roles={"officer"}, office="bp3mi-ntt")
HEAD = Actor("head-1", roles={"head_of_office"}, office="bp3mi-ntt")

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)  # Monday 09:00 WITA
AT = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.timezone.utc)  # Tuesday 10:00 WITA


@pytest.fixture(scope="module")
def wita() -> WorkingCalendar:
    return WorkingCalendar.indonesia().in_zone("Asia/Makassar")


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'sweep.db'}")
    else:
        url = request.getfixturevalue("pg_url")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for name in ("notice_outbox", "case_events", "case_persons", "cases"):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name} CASCADE")
    yield engine
    engine.dispose()


@pytest.fixture
def box(engine: sa.Engine, wf: Workflow, wita: WorkingCalendar) -> Outbox:
    store = SqlCaseStore(engine, wf, calendar=wita)
    create_all(engine, store.tables)
    create_outbox(engine, store.tables)
    return Outbox(store)


def open_case(wf: Workflow, cal: WorkingCalendar, case_id: str, **kw: object) -> Case:
    return wf.open(
        case_id,
        at=kw.pop("at", T0),  # type: ignore[arg-type]
        by=CC,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti Aminah", phone="+6281100000"),
        calendar=cal,
    )


def outbox_rows(box: Outbox, where: str = "1 = 1") -> list[tuple[object, ...]]:
    with box.store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT case_id, event_seq, message_key, recipient, channel, status, attempts "
                f"FROM notice_outbox WHERE {where} ORDER BY case_id, event_seq, message_key"
            )
        ]


# ---------------------------------------------------------------- sweep


def test_sweep_advances_due_cases_saves_them_and_writes_their_notices(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    for i in range(3):
        box.add(open_case(wf, wita, f"PGD-{i}"))
    box.add(open_case(wf, wita, "PGD-LATER", at=AT - dt.timedelta(minutes=5)))
    result = sweep(box, at=AT, limit=10)
    assert (result.claimed, result.advanced, result.events) == (3, 3, 9)
    assert result.failed == ()
    for i in range(3):
        case = box.get(f"PGD-{i}")
        assert [(e.name, e.by) for e in case.events[1:]] == [
            ("warning", SYSTEM.id),
            ("warning", SYSTEM.id),
            ("breach", SYSTEM.id),
        ]
        assert case == wf.advance(box.get(f"PGD-{i}"), at=AT, calendar=wita)  # nothing left
    assert box.get("PGD-LATER").version == 1  # not due: not claimed
    # every new event's notices, in the same transaction: officer warnings, the breach
    # to the officer and the head of office
    written = outbox_rows(box, "case_id = 'PGD-0' AND event_seq > 0")
    assert [(seq, key, who) for _, seq, key, who, *_ in written] == [
        (1, "sla.warning", "officer"),
        (2, "sla.warning", "officer"),
        (3, "sla.breach", "officer"),
        (3, "sla.breach.head", "office_head"),
    ]
    assert result.notices == 12
    # idempotent: nothing is due any more at that instant
    again = sweep(box, at=AT, limit=10)
    assert (again.claimed, again.advanced, again.notices) == (0, 0, 0)
    assert earliest_due(box) is not None
    assert earliest_due(box) > AT


def test_sweep_claims_at_most_limit_cases_soonest_first(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    for i in range(5):
        box.add(open_case(wf, wita, f"PGD-{i}", at=T0 + dt.timedelta(minutes=10 * (5 - i))))
    first = sweep(box, at=AT, limit=2)
    assert first.claimed == 2
    assert {c.id for c in box.query(due_before=AT, limit=10)} == {"PGD-0", "PGD-1", "PGD-2"}
    assert sweep(box, at=AT, limit=2).claimed == 2
    assert sweep(box, at=AT, limit=2).claimed == 1
    assert sweep(box, at=AT, limit=2).claimed == 0


def test_a_case_that_cannot_be_advanced_is_reported_and_the_others_are_swept(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    box.add(open_case(wf, wita, "PGD-OK"))
    box.add(open_case(wf, wita, "PGD-BAD"))
    with box.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE case_events SET actor = 'mallory' WHERE case_id = 'PGD-BAD'")
    result = sweep(box, at=AT, limit=10)
    assert result.failed == ("PGD-BAD",)
    assert result.advanced == 1
    assert "failed=1 " in result.log_line()
    assert "PGD-BAD" in result.log_line()
    assert "Siti" not in result.log_line()
    assert box.get("PGD-OK").version == 4
    # still due, but a worker that skips it claims nothing
    assert sweep(box, at=AT, limit=10).failed == ("PGD-BAD",)
    assert sweep(box, at=AT, limit=10, skip={"PGD-BAD"}).claimed == 0


def test_sweep_without_an_outbox_writes_no_notices(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    box.store.add(open_case(wf, wita, "PGD-1"))
    result = sweep(box.store, at=AT)
    assert (result.advanced, result.notices) == (1, 0)
    assert outbox_rows(box) == []


def test_sweep_refuses_bad_arguments(box: Outbox) -> None:
    with pytest.raises(InvalidArgumentError, match="limit must be an int from 1 to 10000"):
        sweep(box, at=AT, limit=0)
    with pytest.raises(WrongTypeError, match="SqlCaseStore or an Outbox"):
        sweep(object(), at=AT)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        sweep(box, at=dt.datetime(2026, 3, 3))


# ---------------------------------------------------------------- outbox writes


def test_every_save_through_the_outbox_writes_its_notices_with_its_events(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    case = open_case(wf, wita, "PGD-1")
    box.add(case)
    assert outbox_rows(box) == [
        ("PGD-1", 0, "complaint.registered.ack", "complainant", "sms", "pending", 0)
    ]
    fired = wf.fire(case, "escalate", at=T0 + dt.timedelta(hours=1), by=OFFICER, calendar=wita)
    box.save(fired, expected_version=case.version)
    assert len(outbox_rows(box, "event_seq = 1")) >= 1
    # a stale save writes neither the events nor their notices
    before = outbox_rows(box)
    stale = wf.fire(case, "escalate", at=T0 + dt.timedelta(hours=2), by=OFFICER, calendar=wita)
    with pytest.raises(StaleCaseError):
        box.save(stale, expected_version=case.version)
    assert outbox_rows(box) == before
    with pytest.raises(CaseExistsError, match="already stored"):
        box.add(case)


def test_notices_render_in_the_recipients_language_and_zone(
    engine: sa.Engine, wf: Workflow, wita: WorkingCalendar
) -> None:
    def router(case: Case, notice: object) -> list[Route]:
        # the worker abroad reads English in Riyadh time by SMS; her family Indonesian
        return [Route("sms", "en", "Asia/Riyadh"), Route("whatsapp", "id")]

    store = SqlCaseStore(engine, wf, calendar=wita)
    create_all(engine, store.tables)
    create_outbox(engine, store.tables)
    box = Outbox(store, router=router)
    box.add(open_case(wf, wita, "PGD-1"))
    with box.claim(10, at=T0) as batch:
        by_channel = {n.channel: n for n in batch}
    sms, wa = by_channel["sms"], by_channel["whatsapp"]
    assert (sms.locale, sms.tz) == ("en", "Asia/Riyadh")
    # due Thursday 16:00 WITA (UTC+8) is 11:00 in Riyadh (UTC+3)
    assert "received" in sms.text
    assert "5 March 2026, 11:00" in sms.text
    assert (wa.locale, wa.tz) == ("id", "Asia/Makassar")  # the office's zone by default
    assert "09.00 WITA" in wa.text
    assert "kami terima" in wa.text
    assert sms.idempotency_key != wa.idempotency_key
    assert "Siti" not in repr(sms)  # the text is personal data: not in repr


def test_idempotency_key_is_stable_and_distinguishes_recipient_and_channel() -> None:
    h = "ab" * 32
    key = idempotency_key(h, "sla.breach", "officer", "sms")
    assert key == idempotency_key(h, "sla.breach", "officer", "sms")
    others = {
        idempotency_key(h, "sla.breach", "office_head", "sms"),
        idempotency_key(h, "sla.breach", "officer", "email"),
        idempotency_key(h, "sla.breach.head", "officer", "sms"),
        idempotency_key("cd" * 32, "sla.breach", "officer", "sms"),
    }
    assert key not in others
    assert len(others) == 4


def test_default_router_uses_the_sms_variant_when_there_is_one(
    wf: Workflow, wita: WorkingCalendar
) -> None:
    from migrantcare import notices  # noqa: PLC0415

    case = open_case(wf, wita, "PGD-1")
    (ack,) = notices(wf, case)
    assert default_router(case, ack) == (Route("sms"),)
    advanced = wf.advance(case, at=AT, calendar=wita)
    (warning,) = notices(wf, advanced, advanced.events[1], calendar=wita)
    assert default_router(advanced, warning) == (Route("message"),)


def test_route_and_backoff_refuse_bad_values() -> None:
    with pytest.raises(InvalidArgumentError, match="route channel"):
        Route("")
    with pytest.raises(WrongTypeError, match="route tz"):
        Route("sms", tz=7)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="0 < first <= cap"):
        Backoff(first=dt.timedelta(0))
    with pytest.raises(InvalidArgumentError, match="factor"):
        Backoff(factor=0.5)
    with pytest.raises(InvalidArgumentError, match="max_attempts"):
        Backoff(max_attempts=0)
    b = Backoff(first=dt.timedelta(minutes=1), factor=3, cap=dt.timedelta(minutes=10))
    assert [b.delay(n) for n in (1, 2, 3, 4)] == [
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=3),
        dt.timedelta(minutes=9),
        dt.timedelta(minutes=10),
    ]


def test_outbox_table_follows_the_store_tables_prefix_and_schema() -> None:
    tables = case_tables(prefix="mc_", schema="pengaduan")
    table = outbox_table(tables)
    assert table.fullname == "pengaduan.mc_notice_outbox"
    assert outbox_table(tables) is table


# ---------------------------------------------------------------- claiming


def test_claim_marks_sent_and_failed_and_leaves_the_rest_pending(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    for i in range(4):
        box.add(open_case(wf, wita, f"PGD-{i}"))
    with box.claim(3, at=T0) as batch:
        assert len(batch) == 3
        first, second, _third = batch
        batch.sent(first)
        batch.failed(second, "gateway 503")
        with pytest.raises(InvalidArgumentError, match="already marked"):
            batch.sent(first)
    counts = box.counts()
    assert (counts.pending, counts.sent, counts.failed, counts.retrying) == (3, 1, 0, 1)
    # the failed one waits for its backoff (30 s by default); the others are due
    with box.claim(10, at=T0) as batch:
        assert {n.case_id for n in batch} == {"PGD-2", "PGD-3"}
    assert box.next_attempt_at() == T0
    with box.claim(10, at=T0 + dt.timedelta(seconds=30)) as batch:
        retried = [n for n in batch if n.attempts]
        assert [(n.case_id, n.attempts) for n in retried] == [(second.case_id, 1)]


def test_a_failed_delivery_is_logged_without_its_text(
    box: Outbox, wf: Workflow, wita: WorkingCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    box.add(open_case(wf, wita, "PGD-1"))
    with (
        caplog.at_level(logging.WARNING, logger="migrantcare.sql.outbox"),
        box.claim(10, at=T0) as batch,
    ):
        (notice,) = batch
        batch.failed(notice, "gateway 503")
    (record,) = caplog.records
    assert record.name == "migrantcare.sql.outbox"
    assert (record.case_id, record.attempts, record.given_up) == ("PGD-1", 1, False)  # type: ignore[attr-defined]
    assert "retried later" in record.getMessage()
    assert notice.text not in caplog.text
    assert "+6281100000" not in caplog.text


def test_a_sender_raising_mid_batch_marks_nothing(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    box.add(open_case(wf, wita, "PGD-1"))

    def send_then_fail() -> None:
        with box.claim(10, at=T0) as batch:
            for notice in batch:
                batch.sent(notice)
            raise RuntimeError("gateway down")

    with pytest.raises(RuntimeError, match="gateway down"):
        send_then_fail()
    assert box.counts().pending == 1
    with pytest.raises(InvalidArgumentError, match="limit must be an int"), box.claim(0, at=T0):
        pass  # pragma: no cover


def test_erasing_a_person_blanks_the_notice_texts_and_gives_up_pending_ones(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    box.add(open_case(wf, wita, "PGD-1"))
    box.add(open_case(wf, wita, "PGD-2"))
    erased = box.erase_person("PGD-1", at=T0 + dt.timedelta(hours=1), by=HEAD)
    assert erased.complainant is not None
    assert erased.events[-1].kind == "erased"
    with box.store.engine.connect() as conn:
        got = sorted(
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT case_id, status, last_error, body = '' FROM notice_outbox"
            )
        )
    assert got == [("PGD-1", "failed", "erased", True), ("PGD-2", "pending", None, False)]


def test_purge_sent_deletes_old_sent_notices_only(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    box.add(open_case(wf, wita, "PGD-1"))
    box.add(open_case(wf, wita, "PGD-2"))
    with box.claim(1, at=T0) as batch:
        for notice in batch:
            batch.sent(notice)
    assert box.purge_sent(before=T0) == 0
    assert box.purge_sent(before=T0 + dt.timedelta(seconds=1)) == 1
    assert box.counts().pending == 1


# ---------------------------------------------------------------- the worker loop


def test_worker_loop_sweeps_then_sleeps_until_the_next_due_instant(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    for i in range(5):
        box.add(open_case(wf, wita, f"PGD-{i}"))
    now = [AT]
    waits: list[float] = []
    lines: list[str] = []

    class Stop(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            assert timeout is not None
            waits.append(timeout)
            now[0] += dt.timedelta(seconds=timeout)
            if len(waits) == 2:
                self.set()
            return self.is_set()

    next_due = box.store.query(due_before=AT + dt.timedelta(days=30), limit=1)[0].next_due_at
    assert next_due is not None
    results = run_worker(
        box,
        clock=lambda: now[0],
        stop=Stop(),
        log=lines.append,
        batch=2,
        max_sleep=dt.timedelta(days=7).total_seconds(),
    )
    # full batches follow each other at once; then it sleeps until the next mark is due
    assert [r.claimed for r in results] == [2, 2, 1, 2, 2, 1]
    assert len(lines) == 6
    assert all(line.startswith("sweep at=") for line in lines)
    first_wait = waits[0]
    assert dt.timedelta(seconds=first_wait) > dt.timedelta(0)
    assert results[3].at == now_after(AT, first_wait)


def now_after(start: dt.datetime, seconds: float) -> dt.datetime:
    return start + dt.timedelta(seconds=seconds)


def test_worker_skips_the_cases_it_could_not_advance(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    for i in range(3):
        box.add(open_case(wf, wita, f"PGD-{i}"))
    with box.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE case_events SET actor = 'x' WHERE case_id <> 'PGD-2'")
    waits: list[float] = []

    class Stop(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            assert timeout is not None
            waits.append(timeout)
            if len(waits) == 2:
                self.set()
            return self.is_set()

    results = run_worker(box, clock=lambda: AT, stop=Stop(), log=lambda _: None, batch=2)
    # the two broken cases fill the first batch; then the good one is reached
    assert [(r.claimed, r.failed) for r in results] == [(2, ("PGD-0", "PGD-1")), (1, ())]
    assert box.get("PGD-2").version == 4
    assert waits == [1.0, 1.0]  # still due (the broken ones): it looks again shortly


def test_worker_sleep_is_bounded_by_max_sleep(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    box.add(open_case(wf, wita, "PGD-1"))
    waits: list[float] = []

    class Stop(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            assert timeout is not None
            waits.append(timeout)
            self.set()
            return True

    run_worker(box, clock=lambda: AT, stop=Stop(), log=lambda _: None, max_sleep=5.0)
    assert waits == [5.0]


def test_worker_once_sweeps_what_is_due_and_returns(
    box: Outbox, wf: Workflow, wita: WorkingCalendar
) -> None:
    for i in range(3):
        box.add(open_case(wf, wita, f"PGD-{i}"))
    lines: list[str] = []
    results = run_worker(
        box, clock=lambda: AT, stop=threading.Event(), log=lines.append, batch=2, once=True
    )
    assert [r.claimed for r in results] == [2, 1]
    assert len(lines) == 2
