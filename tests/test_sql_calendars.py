"""One calendar truth: the SQL store, the sweep, the worker and the outbox take every
calendar from the offices the workflow is bound to (issue #23).

Cases move between offices whose calendars differ (WIB call centre, a WIB office with
its own closure, WITA BP3MI NTB, WIT BP3MI Papua); each must load, sweep, render and
report in the zone of the office that holds it, on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from migrantcare import (
    Actor,
    Case,
    Messages,
    Offices,
    Person,
    Workflow,
    complaint_workflow,
    notices,
    replay,
)
from migrantcare.exceptions import CalendarMismatchError, InvalidArgumentError
from migrantcare.sql import Outbox, SqlCaseStore, create_all, create_outbox, sweep
from tests.store_support import new_database

OFFICES = Offices.from_mapping(
    {
        "office": [
            {
                "id": "call-centre",
                "name_id": "Pusat Panggilan",
                "name_en": "Call centre",
                "province": "DKI Jakarta",
                "head_title_id": "Kepala",
                "head_title_en": "Head",
            },
            {
                "id": "bp3mi-jabar",
                "name_id": "BP3MI Jawa Barat",
                "name_en": "BP3MI West Java",
                "province": "Jawa Barat",
                "head_title_id": "Kepala",
                "head_title_en": "Head",
                # the same zone as the call centre, another calendar
                "closures": [{"dates": [dt.date(2026, 4, 8)], "name": "Banjir"}],
            },
            {
                "id": "bp3mi-ntb",
                "name_id": "BP3MI NTB",
                "name_en": "BP3MI West Nusa Tenggara",
                "province": "Nusa Tenggara Barat",
                "head_title_id": "Kepala",
                "head_title_en": "Head",
            },
            {
                "id": "bp3mi-papua",
                "name_id": "BP3MI Papua",
                "name_en": "BP3MI Papua",
                "province": "Papua",
                "head_title_id": "Kepala",
                "head_title_en": "Head",
                # closed on a day Mataram works
                "closures": [{"dates": [dt.date(2026, 4, 8)], "name": "Banjir"}],
            },
        ]
    }
)
WF = complaint_workflow().bind(OFFICES)
AGENT = Actor("cc-01", roles={"call_centre"}, office="call-centre")
T0 = dt.datetime(2026, 4, 6, 2, 0, tzinfo=dt.timezone.utc)  # Monday 09:00 WIB
LATER = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.timezone.utc)  # every clock long due


def head(office: str) -> Actor:
    return Actor(f"head-{office}", roles={"head_of_office"}, office=office)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[sa.Engine]:
    """An empty database of its own (on PostgreSQL: a new database on the test server)."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'cases.db'}")
        yield engine
        engine.dispose()
        return
    with new_database(request.getfixturevalue("pg_url"), "mc_cal") as url:
        engine = sa.create_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def box(engine: sa.Engine) -> Outbox:
    # built as the docs say: the bound workflow, no calendar argument
    store = SqlCaseStore(engine, WF)
    create_all(engine, store.tables)
    create_outbox(engine, store.tables)
    return Outbox(store)


def opened(case_id: str, office: str = "call-centre", at: dt.datetime = T0) -> Case:
    by = AGENT if office == "call-centre" else Actor("cc-x", roles={"call_centre"}, office=office)
    return WF.open(
        case_id,
        at=at,
        by=by,
        office=office,
        category="unpaid_wages",
        channel="call_center",
        complainant=Person("Siti Aminah", phone="+6281100000"),
    )


def moved(case: Case, *offices: str, hours: int = 2) -> Case:
    """``case`` handed on through ``offices``, one every ``hours`` hours."""
    at = case.events[-1].at
    for to in offices:
        at += dt.timedelta(hours=hours)
        case = WF.transfer(
            case, to=to, at=at, by=head(case.office) if case.office != "call-centre" else AGENT
        )
    return case


ROUTES = [
    ("bp3mi-ntb",),  # WIB -> WITA
    ("bp3mi-papua",),  # WIB -> WIT
    ("bp3mi-ntb", "bp3mi-papua"),  # WIB -> WITA -> WIT
    ("bp3mi-jabar",),  # within WIB, another calendar
]


@pytest.mark.parametrize("route", ROUTES, ids=["wita", "wit", "wita-wit", "wib-closure"])
def test_a_transferred_case_loads_from_a_store_built_without_calendars(
    box: Outbox, route: tuple[str, ...]
) -> None:
    case = moved(opened("PGD-1"), *route)
    box.add(case)
    assert box.get("PGD-1") == case
    # and after more events were saved in the new office
    later = WF.advance(case, at=LATER)
    box.save(later, expected_version=case.version)
    assert box.get("PGD-1") == later
    assert later.calendar_zone == OFFICES.calendar(route[-1]).tz


@pytest.mark.parametrize("route", ROUTES, ids=["wita", "wit", "wita-wit", "wib-closure"])
def test_the_sweep_advances_a_transferred_case(
    box: Outbox, route: tuple[str, ...], caplog: pytest.LogCaptureFixture
) -> None:
    case = moved(opened("PGD-1"), *route)
    box.add(case)
    with caplog.at_level(logging.WARNING, logger="migrantcare"):
        result = sweep(box, at=LATER)
    assert (result.claimed, result.advanced, result.failed) == (1, 1, ())
    assert not caplog.records
    swept = box.get("PGD-1")
    assert swept == WF.advance(case, at=LATER)
    assert swept.version > case.version
    # the deadlines are the holding office's: shown in its zone
    zone = OFFICES.calendar(route[-1]).tz
    assert {str(s.due_at.tzinfo) for s in WF.status(swept, at=LATER)} == {zone}


def test_the_outbox_renders_a_papua_acknowledgement_in_wit(box: Outbox) -> None:
    box.add(opened("PGD-P", office="bp3mi-papua"))
    with box.store.engine.connect() as conn:
        zones = conn.exec_driver_sql("SELECT DISTINCT tz FROM notice_outbox").scalars().all()
    assert zones == ["Asia/Jayapura"]


def test_notices_of_a_transfer_and_the_sweep_are_in_the_receiving_offices_zone(
    box: Outbox,
) -> None:
    case = opened("PGD-1")
    box.add(case)
    new = moved(case, "bp3mi-papua")
    box.save(new, expected_version=case.version)
    sweep(box, at=LATER)
    with box.store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT event_seq, tz, office FROM notice_outbox ORDER BY event_seq"
        ).all()
    assert {(tz, office) for seq, tz, office in rows if seq == 0} == {
        ("Asia/Jakarta", "call-centre")
    }
    later = {(tz, office) for seq, tz, office in rows if seq >= 1}
    assert later == {("Asia/Jayapura", "bp3mi-papua")}


def test_the_store_derives_calendar_for_from_the_offices(engine: sa.Engine) -> None:
    store = SqlCaseStore(engine, WF)
    for office in OFFICES:
        assert store.calendar_for(office.id) is OFFICES.calendar(office.id)


def test_the_calendar_argument_is_deprecated_and_must_agree_with_the_offices(
    engine: sa.Engine,
) -> None:
    agreeing = {o.id: OFFICES.calendar(o.id) for o in OFFICES}
    with pytest.warns(DeprecationWarning, match="calendar="):
        store = SqlCaseStore(engine, WF, calendar=agreeing)
    create_all(engine, store.tables)
    case = moved(opened("PGD-1"), "bp3mi-ntb", "bp3mi-papua")
    store.add(case)
    assert store.get("PGD-1") == case
    wrong = {**agreeing, "bp3mi-ntb": OFFICES.calendar("bp3mi-papua")}
    with (
        pytest.warns(DeprecationWarning, match="calendar="),
        pytest.raises(CalendarMismatchError, match="bp3mi-ntb"),
    ):
        SqlCaseStore(engine, WF, calendar=wrong)
    with pytest.warns(DeprecationWarning, match="calendar="), pytest.raises(CalendarMismatchError):
        SqlCaseStore(engine, WF, calendar=OFFICES.calendar("bp3mi-papua"))


@pytest.mark.parametrize("advanced", [True, False], ids=["breach-recorded", "not-yet-swept"])
def test_a_clock_breached_before_a_move_across_zones_still_shows_the_breach(
    box: Outbox, advanced: bool
) -> None:
    # verification is due Thu 9 Apr 16:00 WITA in Mataram; the case moves to Papua (WIT,
    # closed on Wed 8 Apr, a day Mataram worked) half an hour after the deadline
    case = moved(opened("PGD-1"), "bp3mi-ntb")
    late = dt.datetime(2026, 4, 9, 8, 30, tzinfo=dt.timezone.utc)
    if advanced:
        case = WF.advance(case, at=late)
    case = WF.transfer(case, to="bp3mi-papua", at=late, by=head("bp3mi-ntb"))
    box.add(case)
    stored = box.get("PGD-1")
    for now in (late, late + dt.timedelta(minutes=30), late + dt.timedelta(days=1)):
        status = {s.goal: s for s in WF.status(stored, at=now)}["verification"]
        assert status.state == "breached"
        assert status.remaining <= dt.timedelta(0), (now, status.remaining)
        assert status.percent_used >= 100.0
        assert str(status.due_at.tzinfo) == "Asia/Jayapura"
    next_day = {s.goal: s for s in WF.status(stored, at=late + dt.timedelta(days=1))}
    assert next_day["verification"].remaining < dt.timedelta(0)


def test_a_stopped_clock_keeps_its_outcome_and_deadline_after_a_move(box: Outbox) -> None:
    case = moved(opened("PGD-1"), "bp3mi-ntb")
    officer = Actor("o-ntb", roles={"officer"}, office="bp3mi-ntb")
    late = dt.datetime(2026, 4, 10, 2, 0, tzinfo=dt.timezone.utc)  # Fri 10:00 WITA: late
    case = WF.fire(case, "start_verification", at=late, by=officer)
    before = {s.goal: s for s in WF.status(case, at=late)}
    case = WF.transfer(
        case, to="bp3mi-papua", at=late + dt.timedelta(hours=1), by=head("bp3mi-ntb")
    )
    box.add(case)
    stored = box.get("PGD-1")
    after = {s.goal: s for s in WF.status(stored, at=late + dt.timedelta(hours=1))}
    for goal in ("first_response", "verification"):
        assert (after[goal].state, after[goal].due_at) == (before[goal].state, before[goal].due_at)
        assert after[goal].remaining <= dt.timedelta(0) < after[goal].elapsed
        assert after[goal].percent_used >= 100.0
    # a clock that stopped in Mataram keeps Mataram's figures: measured on Papua's calendar
    # (closed on Wed 8 Apr, a day Mataram worked) it would show another elapsed time
    stopped = [c for c in stored.clocks if c.stopped_at is not None]
    assert stopped
    for clock in stopped:
        goal = clock.goal
        figures = (after[goal].elapsed, after[goal].remaining, after[goal].percent_used)
        assert figures == (before[goal].elapsed, before[goal].remaining, before[goal].percent_used)
        assert clock.calendar_version == OFFICES.calendar("bp3mi-ntb").version


def sent_acknowledgement(box: Outbox) -> str:
    """The SMS acknowledgement of event 0 as the outbox rendered it when it was sent."""
    with box.store.engine.connect() as conn:
        (sent,) = conn.exec_driver_sql(
            "SELECT body FROM notice_outbox WHERE event_seq = 0 AND channel = 'sms'"
        ).scalars()
    return str(sent)


def acknowledgement_again(workflow: Workflow, case: Case, calendar: object = None) -> str:
    """The complainant's SMS acknowledgement of event 0, rendered again now."""
    (notice,) = [
        n
        for n in notices(workflow, case, case.events[0], calendar=calendar)  # type: ignore[arg-type]
        if n.recipient == "complainant"
    ]
    return notice.render(Messages.default(), "id", tz="Asia/Makassar", channel="sms")


def test_an_old_notice_re_renders_as_sent_after_a_calendar_change_given_the_calendar_of_then(
    box: Outbox,
) -> None:
    # opened in Mataram; its acknowledgement gives the verification deadline
    case = opened("PGD-1", office="bp3mi-ntb", at=T0 + dt.timedelta(hours=1))
    box.add(case)
    sent = sent_acknowledgement(box)
    # then a decree closes Mataram's office on the deadline's day: a new calendar version
    ntb_then = OFFICES.calendar("bp3mi-ntb")
    now_offices = OFFICES.with_closures("bp3mi-ntb", [dt.date(2026, 4, 9)], name="Banjir")
    wf_now = complaint_workflow().bind(now_offices)
    later = wf_now.recompute(case, at=T0 + dt.timedelta(hours=3), by=head("bp3mi-ntb"))
    later = wf_now.transfer(
        later, to="bp3mi-papua", at=T0 + dt.timedelta(hours=4), by=head("bp3mi-ntb")
    )

    def render(calendar: object = None) -> str:
        return acknowledgement_again(wf_now, later, calendar)

    # without the calendar of then the deadlines cannot be rebuilt: said, not guessed
    with pytest.raises(InvalidArgumentError, match="calendar"):
        render()
    # the calendar of then, for the office that held the case then (or a mapping)
    assert render(ntb_then) == sent
    assert render({"bp3mi-ntb": ntb_then}) == sent


def test_an_old_notice_after_a_transfer_and_a_later_calendar_change_is_never_silently_new(
    box: Outbox,
) -> None:
    # opened in Mataram, handed to Papua; only afterwards a decree closes Mataram's
    # office on the deadline's day (a new calendar version the case never ran on)
    case = opened("PGD-1", office="bp3mi-ntb", at=T0 + dt.timedelta(hours=1))
    box.add(case)
    sent = sent_acknowledgement(box)
    ntb_then = OFFICES.calendar("bp3mi-ntb")
    later = WF.transfer(case, to="bp3mi-papua", at=T0 + dt.timedelta(hours=4), by=head("bp3mi-ntb"))
    # the transfer names the calendar the case left
    assert later.events[-1].data["from_calendar"] == ntb_then.version
    now_offices = OFFICES.with_closures("bp3mi-ntb", [dt.date(2026, 4, 9)], name="Banjir")
    assert now_offices.calendar("bp3mi-ntb").version != ntb_then.version
    wf_now = complaint_workflow().bind(now_offices)

    def render(calendar: object = None) -> str:
        return acknowledgement_again(wf_now, later, calendar)

    # Mataram's calendar of today would give another deadline: refused with the version
    # needed, never rendered as if it had been sent
    with pytest.raises(InvalidArgumentError, match=ntb_then.version):
        render()
    assert render({"bp3mi-ntb": ntb_then}) == sent
    # the store still loads the case, its transfer included
    box.store.save(later, expected_version=case.version)
    assert box.get("PGD-1") == later


def test_a_transfer_recorded_before_transfers_named_their_calendar_still_loads(
    box: Outbox,
) -> None:

    case = opened("PGD-1", office="bp3mi-ntb", at=T0 + dt.timedelta(hours=1))
    # what a transfer wrote before it named the calendar it left: no from_calendar
    legacy = WF._transfer(
        case, "bp3mi-papua", T0 + dt.timedelta(hours=4), head("bp3mi-ntb"), None, None,
        record_calendar=False,
    )  # fmt: skip
    assert "from_calendar" not in legacy.events[-1].data
    assert replay(legacy, WF) == legacy
    box.add(legacy)
    assert box.get("PGD-1") == legacy
