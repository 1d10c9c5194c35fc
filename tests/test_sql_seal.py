"""Sealed cases and what loads check against whoever can write the database (#24)."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrantcare import Case, Person, Workflow, WorkingCalendar, complaint_workflow
from migrantcare.exceptions import (
    CaseNotFoundError,
    IntegrityError,
    InvalidArgumentError,
    WrongTypeError,
)
from migrantcare.sql import CaseTables, Sealer, SqlCaseStore, case_tables, create_all, reseal
from tests.actors import actor
from tests.store_support import T0, at, bench_workload, fires, open_case
from tests.strategies import satisfying_data

PII = ("Siti Aminah", "C1234567", "+62811000", "Dewi Lestari", "5301010101010001")
K1 = b"1" * 32
K2 = b"2" * 32
PREFIX = "sl_"


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'cases.db'}")
        yield engine
        engine.dispose()
    else:
        engine = sa.create_engine(request.getfixturevalue("pg_url"))
        case_tables(prefix=PREFIX).metadata.drop_all(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def tables(engine: sa.Engine) -> CaseTables:
    # tables of their own: other tests share the database
    return create_all(engine, case_tables(prefix=PREFIX))


def make_store(
    engine: sa.Engine,
    wf: Workflow,
    cal: WorkingCalendar,
    tables: CaseTables,
    sealer: Sealer | None = None,
) -> SqlCaseStore:
    return SqlCaseStore(engine, wf, calendar=cal, tables=tables, sealer=sealer)


def saved(store: SqlCaseStore, wf: Workflow, cal: WorkingCalendar, case_id: str, n: int) -> Case:
    case = open_case(wf, cal, case_id)
    store.add(case)
    for new in fires(wf, cal, case, n):
        store.save(new, expected_version=new.version - 1)
        case = new
    return case


def header_of(engine: sa.Engine, tables: CaseTables, case_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        raw = conn.execute(
            sa.select(tables.cases.c.header).where(tables.cases.c.id == case_id)
        ).scalar_one()
    return raw if isinstance(raw, dict) else json.loads(str(raw))


def set_header(
    engine: sa.Engine, tables: CaseTables, case_id: str, header: dict[str, object]
) -> None:
    with engine.begin() as conn:
        conn.execute(
            tables.cases.update().where(tables.cases.c.id == case_id).values(header=header)
        )


def overwrite(engine: sa.Engine, tables: CaseTables, forger: SqlCaseStore, forged: Case) -> None:
    """What a database writer does: drop the case's rows and write the forged ones."""
    with engine.begin() as conn:
        for table in (tables.events, tables.persons):
            conn.execute(table.delete().where(table.c.case_id == forged.id))
        conn.execute(tables.cases.delete().where(tables.cases.c.id == forged.id))
    forger.add(forged)


def refused(store: SqlCaseStore, case_id: str, *phrases: str) -> str:
    with pytest.raises(IntegrityError) as info:
        store.get(case_id)
    message = str(info.value)
    assert repr(case_id) in message
    for phrase in phrases:
        assert phrase in message
    assert not any(p in message for p in PII)
    return message


# ------------------------------------------------------------------ sealing


def test_a_sealed_store_seals_every_save_and_loads_its_cases(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    store = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    case = saved(store, wf, cal_wita, "PGD-1", 3)
    assert store.get("PGD-1") == case == store.verify_case("PGD-1")
    seal = header_of(engine, tables, "PGD-1")["seal"]
    assert isinstance(seal, dict)
    assert seal["key"] == "k1"
    # the key itself is nowhere in the tables
    with engine.connect() as conn:
        dump = "".join(
            str(tuple(row))
            for t in (tables.cases, tables.events, tables.persons)
            for row in conn.execute(sa.select(t))
        )
    assert K1.decode() not in dump
    assert base64.b64encode(K1).decode() not in dump


def test_a_history_forged_with_the_public_api_loads_without_a_key_and_is_refused_with_one(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    sealed = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    saved(sealed, wf, cal_wita, "PGD-1", 3)
    # the forger rebuilds the case with past instants: opened, then resolved at once
    forged = open_case(wf, cal_wita, "PGD-1")
    forged = wf.fire(forged, "start_verification", at=at(1), by=actor("o-1"), calendar=cal_wita)
    forger = make_store(engine, wf, cal_wita, tables)  # no key: the public API only
    overwrite(engine, tables, forger, forged)
    # without the key the forgery verifies: the chain, the columns, the replay agree
    assert forger.get("PGD-1") == forged
    refused(sealed, "PGD-1", "not sealed")
    # copying the genuine case's seal over does not help
    genuine = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    other = saved(genuine, wf, cal_wita, "PGD-2", 1)
    header = header_of(engine, tables, "PGD-1")
    header["seal"] = header_of(engine, tables, other.id)["seal"]
    set_header(engine, tables, "PGD-1", header)
    refused(sealed, "PGD-1", "seal does not match")


def _move_clock(header: dict[str, object]) -> None:
    clocks = header["clocks"]
    assert isinstance(clocks, list)
    assert clocks
    due = dt.datetime.fromisoformat(clocks[0]["due_at"]) + dt.timedelta(days=60)
    clocks[0]["due_at"] = due.isoformat()


def _edit_calendar(header: dict[str, object]) -> None:
    header["calendar_version"] = "cal-forged-v9"


def _edit_attributes(header: dict[str, object]) -> None:
    header["attributes"] = {"country": "XX"}


@pytest.mark.parametrize("edit", [_move_clock, _edit_calendar, _edit_attributes])
def test_an_edited_header_is_refused_by_a_sealed_store(
    engine: sa.Engine,
    wf: Workflow,
    cal_wita: WorkingCalendar,
    tables: CaseTables,
    edit: object,
) -> None:
    store = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    saved(store, wf, cal_wita, "PGD-1", 2)
    header = header_of(engine, tables, "PGD-1")
    edit(header)  # type: ignore[operator]
    set_header(engine, tables, "PGD-1", header)
    refused(store, "PGD-1")
    with pytest.raises(IntegrityError, match="PGD-1"):
        store.verify_case("PGD-1")


def test_an_edited_person_is_refused_by_a_sealed_store_and_reports_still_read(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    store = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    case = saved(store, wf, cal_wita, "PGD-1", 2)
    p = tables.persons
    with engine.begin() as conn:
        conn.execute(
            p.update()
            .where(p.c.case_id == "PGD-1", p.c.role == "complainant")
            .values(data=Person("Someone Else", passport_number="X999").to_dict())
        )
    refused(store, "PGD-1", "persons")
    # reports read without the persons: the case's own seal still holds
    assert [c.id for c in store.iter_cases()] == [case.id]


def test_an_erasure_is_sealed_with_the_persons_it_leaves(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    store = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    saved(store, wf, cal_wita, "PGD-1", 1)
    erased = store.erase_person("PGD-1", at=at(60), by=actor("hq", "ministry_hq", office=None))
    assert store.get("PGD-1") == erased


def test_keys_rotate_old_seals_verify_new_saves_use_the_current_key_and_reseal_moves_all(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    old = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    a = saved(old, wf, cal_wita, "PGD-A", 1)
    b = saved(old, wf, cal_wita, "PGD-B", 1)
    both = make_store(engine, wf, cal_wita, tables, Sealer({"k2": K2, "k1": K1}, current="k2"))
    assert both.get("PGD-A") == a  # sealed with the old key, still verifies
    b2 = wf.fire(b, "escalate", at=at(30), by=actor("o-1"), calendar=cal_wita)
    both.save(b2, expected_version=b.version)
    assert header_of(engine, tables, "PGD-B")["seal"]["key"] == "k2"  # type: ignore[index]
    new_only = make_store(engine, wf, cal_wita, tables, Sealer({"k2": K2}))
    assert new_only.get("PGD-B") == b2
    message = refused(new_only, "PGD-A", "'k1'")
    assert "k2" in message
    result = reseal(both)
    assert (result.resealed, result.refused) == (2, ())
    assert new_only.get("PGD-A") == a
    assert {header_of(engine, tables, i)["seal"]["key"] for i in ("PGD-A", "PGD-B")} == {"k2"}  # type: ignore[index]


def test_reseal_checks_first_refuses_unsealed_cases_unless_asked_and_never_launders(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    plain = make_store(engine, wf, cal_wita, tables)
    a = saved(plain, wf, cal_wita, "PGD-A", 2)
    saved(plain, wf, cal_wita, "PGD-B", 2)
    header = header_of(engine, tables, "PGD-B")
    _move_clock(header)
    set_header(engine, tables, "PGD-B", header)
    sealed = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    first = reseal(sealed)
    assert first.resealed == 0
    assert [i for i, _ in first.refused] == ["PGD-A", "PGD-B"]
    assert "not sealed" in first.refused[0][1]
    second = reseal(sealed, allow_unsealed=True)
    assert second.resealed == 1
    assert [i for i, _ in second.refused] == ["PGD-B"]
    assert sealed.get("PGD-A") == a
    refused(sealed, "PGD-B", "not sealed")
    with pytest.raises(InvalidArgumentError, match="keys"):
        reseal(plain)


def test_sealer_values_are_checked_and_never_show_a_key() -> None:
    with pytest.raises(InvalidArgumentError, match="32"):
        Sealer({"k1": b"short"})
    with pytest.raises(InvalidArgumentError, match="current"):
        Sealer({"k1": K1}, current="k9")
    with pytest.raises(InvalidArgumentError, match="key id"):
        Sealer({"bad id!": K1})
    with pytest.raises(InvalidArgumentError):
        Sealer({})
    with pytest.raises(WrongTypeError):
        Sealer({"k1": "not bytes"})  # type: ignore[dict-item]
    with pytest.raises(WrongTypeError):
        SqlCaseStore(sa.create_engine("sqlite://"), complaint_workflow(), sealer="k")  # type: ignore[arg-type]
    text = base64.urlsafe_b64encode(K1).decode().rstrip("=")
    sealer = Sealer.from_env(environ={"MIGRANTCARE_SEAL_KEYS": f"k2={text}, k1={text}"})
    assert sealer is not None
    assert sealer.current == "k2"
    assert sealer.keys["k1"] == K1
    assert text not in repr(sealer)
    assert "1111" not in repr(sealer)
    with pytest.raises(InvalidArgumentError, match="base64"):
        Sealer.from_env(environ={"MIGRANTCARE_SEAL_KEYS": "k1=@@@"})
    with pytest.raises(InvalidArgumentError, match="twice"):
        Sealer.from_env(environ={"MIGRANTCARE_SEAL_KEYS": f"k1={text},k1={text}"})
    assert Sealer.from_env(environ={"MIGRANTCARE_SEAL_KEYS": " "}) is None


# ------------------------------------------------------------------ no blind spots


def test_an_edited_calendar_version_no_longer_switches_the_clock_check_off(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    store = make_store(engine, wf, cal_wita, tables)  # no key: the replay decides
    case = saved(store, wf, cal_wita, "PGD-1", 0)
    case = wf.fire(case, "start_verification", at=at(5), by=actor("o-1"), calendar=cal_wita)
    store.save(case, expected_version=1)
    header = header_of(engine, tables, "PGD-1")
    assert len(header["clocks"]) >= 2  # type: ignore[arg-type]
    clocks = header["clocks"]
    assert isinstance(clocks, list)
    started = dt.datetime.fromisoformat(clocks[0]["started_at"]) - dt.timedelta(days=60)
    clocks[0]["started_at"] = started.isoformat()
    del clocks[-1]
    header["calendar_version"] = "cal-forged-v9"
    c = tables.cases.c
    with engine.begin() as conn:
        conn.execute(
            tables.cases.update()
            .where(c.id == "PGD-1")
            .values(header=header, calendar_version="cal-forged-v9")
        )
    refused(store, "PGD-1", "clocks")
    with store.transaction() as conn:
        with pytest.raises(IntegrityError, match="PGD-1"):
            store.get_in(conn, "PGD-1")
        assert isinstance(store.load_many_in(conn, ["PGD-1"])["PGD-1"], IntegrityError)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("calendar_version", "cal-other"),
        ("workflow_version", 7),
        ("opened_at", T0 - dt.timedelta(days=3)),
        ("updated_at", T0 + dt.timedelta(days=90)),
    ],
)
def test_every_column_queries_read_is_checked_by_loads(
    engine: sa.Engine,
    wf: Workflow,
    cal_wita: WorkingCalendar,
    tables: CaseTables,
    column: str,
    value: object,
) -> None:
    store = make_store(engine, wf, cal_wita, tables)
    saved(store, wf, cal_wita, "PGD-1", 2)
    with engine.begin() as conn:
        conn.execute(
            tables.cases.update().where(tables.cases.c.id == "PGD-1").values({column: value})
        )
    refused(store, "PGD-1", repr(column))


def test_a_row_past_the_head_is_refused_on_load_and_a_save_over_it_names_the_case(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    store = make_store(engine, wf, cal_wita, tables)
    case = saved(store, wf, cal_wita, "PGD-1", 2)
    later = wf.fire(case, "escalate", at=at(50), by=actor("o-1"), calendar=cal_wita)
    row = {"case_id": "PGD-1", **later.events[-1].to_dict()}
    event = later.events[-1]
    with engine.begin() as conn:
        conn.execute(
            tables.events.insert().values(
                case_id="PGD-1",
                seq=event.seq,
                at=event.at,
                kind=event.kind,
                name=event.name,
                actor=event.by,
                prev_hash=event.prev_hash,
                hash=event.hash,
                body=event.to_dict(),
            )
        )
    assert row["seq"] == case.version
    refused(store, "PGD-1", "past the head", f"seq {case.version}")
    with pytest.raises(IntegrityError, match="past the head"):
        store.history("PGD-1")
    assert [e.seq for e in store.history("PGD-1", limit=case.version)] == list(range(case.version))
    for attempt in (
        lambda: store.save(later, expected_version=case.version),
        lambda: _save_in(store, later, case.version),
    ):
        with pytest.raises(IntegrityError, match="PGD-1") as info:
            attempt()
        assert "past the head" in str(info.value)
    # nothing of the refused saves is kept
    with engine.connect() as conn:
        version = conn.execute(
            sa.select(tables.cases.c.version).where(tables.cases.c.id == "PGD-1")
        ).scalar_one()
    assert version == case.version


def _save_in(store: SqlCaseStore, case: Case, expected: int) -> None:
    with store.transaction() as conn:
        store.save_in(conn, case, expected_version=expected)


# ------------------------------------------------------------------ sealed fast loads


def test_a_sealed_case_loads_without_replay_but_not_one_on_another_calendar(
    wf: Workflow, cal_wita: WorkingCalendar, tmp_path: pathlib.Path
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    tables = create_all(engine, case_tables())
    store = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    case = saved(store, wf, cal_wita, "PGD-1", 3)
    with engine.connect() as conn:
        stored = store.fetch_in(conn, "PGD-1")
    # the seal vouches: the loader is not asked to replay
    assert store._loader.on_current_calendar(case)
    assert store.load_stored(*stored) == case
    other = cal_wita.with_holidays({dt.date(2026, 11, 30): ("Libur Contoh", "Example")})
    assert other.version != cal_wita.version
    moved = make_store(engine, wf, other, tables, Sealer({"k1": K1}))
    assert not moved._loader.on_current_calendar(case)  # the full replay decides


STEPS = st.lists(st.integers(0, 50), min_size=0, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(picks=STEPS, gaps=st.lists(st.integers(1, 6000), min_size=12, max_size=12))
def test_a_sealed_fast_load_gives_what_the_full_replay_gives(
    picks: list[int], gaps: list[int]
) -> None:
    wf = complaint_workflow()
    cal = WorkingCalendar.for_province("Nusa Tenggara Timur")
    engine = sa.create_engine("sqlite://")
    tables = create_all(engine, case_tables())
    store = SqlCaseStore(engine, wf, calendar=cal, tables=tables, sealer=Sealer({"k1": K1}))
    case = open_case(wf, cal, "PGD-W")
    store.add(case)
    when = T0
    officer = actor("o-1")
    for pick, gap in zip(picks, gaps, strict=False):
        allowed = wf.allowed_events(case, by=officer)
        if not allowed:
            break
        trigger = allowed[pick % len(allowed)]
        when += dt.timedelta(minutes=gap)
        new = wf.fire(
            case,
            trigger,
            at=when,
            by=officer,
            note="n",
            data=satisfying_data(trigger),
            calendar=cal,
        )
        store.save(new, expected_version=case.version)
        case = new
    fast = store.get("PGD-W")
    assert fast == store.verify_case("PGD-W") == case


# ------------------------------------------------------------------ the sealed quick load


def _careful_only(store: SqlCaseStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """``store`` loading sealed cases the careful way only (as before the quick path)."""
    monkeypatch.setattr(store._loads, "sealed_quick", lambda stored, columns: None)


def _quick(store: SqlCaseStore, case_id: str) -> Case | None:
    with store.engine.connect() as conn:
        stored, columns = store.fetch_in(conn, case_id)
    return store._loads.sealed_quick(stored, columns)


def test_the_quick_path_takes_every_genuine_workload_case_and_gives_the_careful_load(
    engine: sa.Engine, tables: CaseTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = bench_workload(40)
    store = SqlCaseStore(engine, work.workflows, tables=tables, sealer=Sealer({"k1": K1}))
    for versions in work.versions.values():
        store.add(versions[0])
        for before, after in itertools.pairwise(versions):
            store.save(after, expected_version=before.version)
    quick = {case_id: _quick(store, case_id) for case_id in work.versions}
    assert all(case is not None for case in quick.values())
    assert quick == {case_id: versions[-1] for case_id, versions in work.versions.items()}
    # get() takes it: the careful reading is never asked
    decoded: list[str] = []
    decode = store._loads._loader.decode
    monkeypatch.setattr(
        store._loads._loader,
        "decode",
        lambda stored, check=None: decoded.append(stored.id) or decode(stored, check),
    )
    assert {case_id: store.get(case_id) for case_id in work.versions} == quick
    assert store.get_many(list(work.versions)) == quick
    assert decoded == []
    # and it gives what the careful path and the full replay give
    monkeypatch.undo()
    _careful_only(store, monkeypatch)
    assert {case_id: store.get(case_id) for case_id in work.versions} == quick
    assert {case_id: store.verify_case(case_id) for case_id in work.versions} == quick


def _edit_header(engine: sa.Engine, tables: CaseTables) -> None:
    header = header_of(engine, tables, "PGD-1")
    header["priority"] = "urgent" if header["priority"] != "urgent" else "normal"
    set_header(engine, tables, "PGD-1", header)


def _edit_seal(engine: sa.Engine, tables: CaseTables) -> None:
    header = header_of(engine, tables, "PGD-1")
    seal = header["seal"]
    assert isinstance(seal, dict)
    seal["case"] = "0" * 64
    set_header(engine, tables, "PGD-1", header)


def _edit_event(engine: sa.Engine, tables: CaseTables) -> None:
    e = tables.events.c
    with engine.begin() as conn:
        body = conn.execute(sa.select(e.body).where(e.case_id == "PGD-1", e.seq == 1)).scalar_one()
        body = dict(body if isinstance(body, dict) else json.loads(str(body)))
        body["note"] = "edited"
        conn.execute(
            tables.events.update().where(e.case_id == "PGD-1", e.seq == 1).values(body=body)
        )


def _edit_event_column(engine: sa.Engine, tables: CaseTables) -> None:
    e = tables.events.c
    with engine.begin() as conn:
        conn.execute(
            tables.events.update().where(e.case_id == "PGD-1", e.seq == 2).values(actor="o-9")
        )


def _edit_case_column(engine: sa.Engine, tables: CaseTables) -> None:
    with engine.begin() as conn:
        conn.execute(
            tables.cases.update()
            .where(tables.cases.c.id == "PGD-1")
            .values(calendar_version="cal-other")
        )


def _edit_person(engine: sa.Engine, tables: CaseTables) -> None:
    p = tables.persons.c
    with engine.begin() as conn:
        data = conn.execute(
            sa.select(p.data).where(p.case_id == "PGD-1", p.role == "complainant")
        ).scalar_one()
        data = dict(data if isinstance(data, dict) else json.loads(str(data)))
        data["phone"] = "+62811999"
        conn.execute(
            tables.persons.update()
            .where(p.case_id == "PGD-1", p.role == "complainant")
            .values(data=data)
        )


@pytest.mark.parametrize(
    "edit",
    [_edit_header, _edit_seal, _edit_event, _edit_event_column, _edit_case_column, _edit_person],
)
def test_a_tampered_case_falls_back_to_the_careful_path_and_is_refused_as_before(
    engine: sa.Engine,
    wf: Workflow,
    cal_wita: WorkingCalendar,
    tables: CaseTables,
    monkeypatch: pytest.MonkeyPatch,
    edit: Any,
) -> None:
    store = make_store(engine, wf, cal_wita, tables, Sealer({"k1": K1}))
    saved(store, wf, cal_wita, "PGD-1", 3)
    assert _quick(store, "PGD-1") is not None
    edit(engine, tables)
    assert _quick(store, "PGD-1") is None  # the quick path cannot vouch for it
    now = refused(store, "PGD-1")
    many = store.get_many(["PGD-1"])["PGD-1"]
    assert isinstance(many, IntegrityError)
    assert str(many) == now
    _careful_only(store, monkeypatch)
    assert refused(store, "PGD-1") == now  # the same error as the careful path alone


def test_get_many_returns_what_get_returns_and_names_a_missing_id(
    engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, tables: CaseTables
) -> None:
    for sealer in (Sealer({"k1": K1}), None):
        store = make_store(engine, wf, cal_wita, tables, sealer)
        prefix = "S" if sealer is not None else "U"
        for i in range(3):
            saved(store, wf, cal_wita, f"{prefix}-{i}", i + 1)
        ids = [f"{prefix}-2", "NOPE", f"{prefix}-0", f"{prefix}-2", f"{prefix}-1"]
        got = store.get_many(ids)
        assert list(got) == [f"{prefix}-2", "NOPE", f"{prefix}-0", f"{prefix}-1"]
        missing = got.pop("NOPE")
        assert isinstance(missing, CaseNotFoundError)
        assert "'NOPE'" in str(missing)
        assert got == {case_id: store.get(case_id) for case_id in got}
        with store.transaction() as conn:
            in_conn = store.load_many_in(conn, ids, lock=True)
        assert isinstance(in_conn.pop("NOPE"), CaseNotFoundError)
        assert in_conn == got
    assert store.get_many([]) == {}
    with pytest.raises(InvalidArgumentError, match="get_many takes at most 10,000"):
        store.get_many([f"C-{i}" for i in range(10_001)])
