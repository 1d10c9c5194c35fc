"""Overdue lists per office and the next breach: one indexed query each (issue #23)."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator

import pytest

from migrantcare import Workflow, WorkingCalendar, complaint_workflow
from migrantcare.exceptions import InvalidArgumentError
from migrantcare.sql import SqlCaseStore
from tests.actors import actor
from tests.store_support import T0, open_case, sql_store, sqlite_engine, truncate


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: pathlib.Path, wf: Workflow, cal_wita: WorkingCalendar
) -> Iterator[SqlCaseStore]:
    if request.param == "sqlite":
        engine = sqlite_engine(str(tmp_path / "cases.db"))
        yield sql_store(engine, wf, cal_wita)
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate(engine)
        yield sql_store(engine, wf, cal_wita)


def test_the_overdue_list_of_an_office_is_what_status_says_soonest_first(
    store: SqlCaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    opened = {}
    for i, (office, hours) in enumerate(
        [("bp3mi-ntt", 0), ("bp3mi-ntt", 30), ("bp3mi-ntt", 200), ("bp3mi-ntb", 0)]
    ):
        case = open_case(wf, cal_wita, f"PGD-{i}", office=office)
        case = case if not hours else wf.fire(
            case, "escalate", at=T0 + dt.timedelta(hours=hours), by=actor("officer-a"),
            calendar=cal_wita,
        )  # fmt: skip
        store.add(case)
        opened[case.id] = case
    # a case whose only running clocks were stopped in time is not overdue
    done = wf.fire(
        open_case(wf, cal_wita, "PGD-9"), "close", at=T0 + dt.timedelta(minutes=5),
        by=actor("officer-a"), data={"reason": "unreachable"}, calendar=cal_wita,
    )  # fmt: skip
    store.add(done)
    now = T0 + dt.timedelta(days=2)
    got = store.overdue(office="bp3mi-ntt", at=now)
    expected = sorted(
        (
            min(s.due_at for s in wf.status(c, at=now, calendar=cal_wita) if s.state == "breached"),
            c.id,
        )
        for c in opened.values()
        if c.office == "bp3mi-ntt"
        and any(s.state == "breached" for s in wf.status(c, at=now, calendar=cal_wita))
    )
    assert [s.id for s in got] == [case_id for _, case_id in expected]
    assert got
    assert all(s.office == "bp3mi-ntt" for s in got)
    assert [s.id for s in store.overdue(office="bp3mi-ntt", at=now, after=got[0].id)] == [
        s.id for s in got[1:] if s.id > got[0].id
    ]
    assert store.overdue(office="bp3mi-ntt", at=T0) == []
    nxt = store.next_deadline(after=T0, office="bp3mi-ntt")
    assert nxt == min(
        c.due_at for case in opened.values() if case.office == "bp3mi-ntt" for c in case.clocks
        if c.stopped_at is None and c.due_at is not None
    )  # fmt: skip
    assert store.next_deadline(after=dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)) is None


def test_the_deadline_column_follows_every_save(
    store: SqlCaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    now = T0 + dt.timedelta(days=10)
    assert [s.id for s in store.overdue(office="bp3mi-ntt", at=now)] == ["PGD-1"]
    closed = wf.fire(
        case, "close", at=T0 + dt.timedelta(minutes=5), by=actor("officer-a"),
        data={"reason": "unreachable"}, calendar=cal_wita,
    )  # fmt: skip
    store.save(closed, expected_version=case.version)
    assert store.overdue(office="bp3mi-ntt", at=now) == []
    with pytest.raises(InvalidArgumentError):
        store.overdue(office="bp3mi-ntt\x00", at=now)


def test_tables_before_schema_4_keep_working_and_the_upgrade_fills_the_deadlines(
    store: SqlCaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    from migrantcare.sql import SqlCaseStore as Store  # noqa: PLC0415
    from migrantcare.sql.migrations import upgrade  # noqa: PLC0415

    engine = store.engine
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    # the tables as schema version 3 left them: no deadline_at, no index
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX cases_office_deadline")
        conn.exec_driver_sql("ALTER TABLE cases DROP COLUMN deadline_at")
        conn.exec_driver_sql("UPDATE migrantcare_schema SET version = 3")
    old = Store(engine, wf, calendar=cal_wita)
    old.add(open_case(wf, cal_wita, "PGD-2"))
    later = wf.fire(case, "escalate", at=T0 + dt.timedelta(hours=1), by=actor("officer-a"),
                    calendar=cal_wita)  # fmt: skip
    old.save(later, expected_version=1)
    assert old.get("PGD-1") == later
    with pytest.raises(InvalidArgumentError, match="db upgrade"):
        old.overdue(office="bp3mi-ntt", at=T0 + dt.timedelta(days=10))
    assert upgrade(engine).schema_version == 4
    new = Store(engine, wf, calendar=cal_wita)
    got = new.overdue(office="bp3mi-ntt", at=T0 + dt.timedelta(days=10))
    assert sorted(s.id for s in got) == ["PGD-1", "PGD-2"]  # filled from the headers
