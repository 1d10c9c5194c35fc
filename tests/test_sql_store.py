"""The SQL store beyond the shared contract: tampering, erasure, history, export, schema."""

from __future__ import annotations

import io
import itertools
import json
import pathlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from migrantcare import Actor, Case, Workflow, WorkingCalendar, complaint_workflow, replay
from migrantcare.exceptions import (
    CaseExistsError,
    CaseNotFoundError,
    IntegrityError,
    InvalidArgumentError,
    PermissionDeniedError,
    StaleCaseError,
    WrongTypeError,
)
from migrantcare.sql import SCHEMA_VERSION, SqlCaseStore, case_tables, create_all
from tests.actors import actor
from tests.store_support import (
    at,
    execute,
    fires,
    open_case,
    rows,
    sql_store,
    sqlite_engine,
    truncate,
)

PII = ("Siti Aminah", "C1234567", "+62811000", "Dewi Lestari", "5301010101010001")


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        engine = sqlite_engine(str(tmp_path / "cases.db"))
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate(engine)
        yield engine


@pytest.fixture
def store(engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar) -> SqlCaseStore:
    return sql_store(engine, wf, cal_wita)


def saved(
    store: SqlCaseStore, wf: Workflow, cal_wita: WorkingCalendar, case_id: str, count: int
) -> Case:
    """Open ``case_id``, store it, fire ``count`` events saving each; the newest case."""
    case = open_case(wf, cal_wita, case_id)
    store.add(case)
    for new in fires(wf, cal_wita, case, count):
        store.save(new, expected_version=new.version - 1)
        case = new
    return case


@pytest.fixture
def stored(store: SqlCaseStore, wf: Workflow, cal_wita: WorkingCalendar) -> str:
    """A case with 4 events, stored."""
    return saved(store, wf, cal_wita, "PGD-7", 3).id


def body_of(engine: sa.Engine, seq: int) -> dict[str, object]:
    (raw,) = rows(engine, "SELECT body FROM case_events WHERE seq = :s", s=seq)[0]
    return raw if isinstance(raw, dict) else json.loads(str(raw))


def set_body(engine: sa.Engine, seq: int, body: dict[str, object]) -> None:
    cast = "CAST(:b AS JSONB)" if engine.dialect.name == "postgresql" else ":b"
    execute(
        engine, f"UPDATE case_events SET body = {cast} WHERE seq = :s", b=json.dumps(body), s=seq
    )


# ---------------------------------------------------------------- tampering


def test_an_edited_event_is_refused_naming_case_and_event(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    body = body_of(engine, 2)
    body["note"] = "nothing happened"
    set_body(engine, 2, body)
    with pytest.raises(IntegrityError, match=r"case 'PGD-7', event 2: content does not match"):
        store.get(stored)


@pytest.mark.parametrize(("field", "value"), [("dest", "closed"), ("source", "received")])
def test_a_field_edited_in_a_document_apart_from_its_hash_is_refused(
    engine: sa.Engine, store: SqlCaseStore, stored: str, field: str, value: str
) -> None:
    # replay derives the source and destination from the workflow: the stored event's
    # own fields must still be those its hash covers
    body = body_of(engine, 2)
    assert body[field] != value
    body[field] = value
    set_body(engine, 2, body)
    with pytest.raises(IntegrityError, match=r"case 'PGD-7', event 2: content does not match"):
        store.get(stored)


def test_an_event_column_edited_apart_from_its_document_is_refused(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    execute(engine, "UPDATE case_events SET actor = 'someone-else' WHERE seq = 1")
    with pytest.raises(IntegrityError, match=r"case 'PGD-7', event 1: columns differ"):
        store.get(stored)


def test_an_edited_and_rehashed_event_breaks_the_chain(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    # a forger who recomputes the edited event's own hash still breaks the next link
    from migrantcare import CaseEvent  # noqa: PLC0415

    body = body_of(engine, 1)
    body["by"] = "forger"
    forged = CaseEvent.from_dict(body)
    body["hash"] = forged.expected_digest().hex()
    set_body(engine, 1, body)
    execute(
        engine, "UPDATE case_events SET actor = 'forger', hash = :h WHERE seq = 1", h=body["hash"]
    )
    with pytest.raises(IntegrityError, match=r"case 'PGD-7', event 2: previous-hash link broken"):
        store.get(stored)


def test_a_removed_event_is_refused(engine: sa.Engine, store: SqlCaseStore, stored: str) -> None:
    execute(engine, "DELETE FROM case_events WHERE seq = 2")
    with pytest.raises(IntegrityError, match=r"case 'PGD-7', event 2: missing"):
        store.get(stored)


def test_a_history_cut_short_is_refused(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    # removing the newest event and winding the row back: only the head hash tells
    execute(engine, "DELETE FROM case_events WHERE seq = 3")
    execute(engine, "UPDATE cases SET version = 3")
    with pytest.raises(IntegrityError, match=r"case 'PGD-7': newest hash differs"):
        store.get(stored)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("category", "fraud", r"stored 'category' differs from what its history records"),
        ("office", "bp3mi-ntb", r"case 'PGD-7': .*differ"),
        ("clocks", "flip-provisional", r"stored SLA clocks differ"),
    ],
)
def test_an_edited_header_is_refused(
    engine: sa.Engine,
    store: SqlCaseStore,
    stored: str,
    field: str,
    value: object,
    match: str,
) -> None:
    (raw,) = rows(engine, "SELECT header FROM cases")[0]
    header = raw if isinstance(raw, dict) else json.loads(str(raw))
    if value == "flip-provisional":  # a change the row's columns do not show
        header["clocks"][0]["provisional"] = not header["clocks"][0]["provisional"]
    else:
        header[field] = value
    cast = "CAST(:h AS JSONB)" if engine.dialect.name == "postgresql" else ":h"
    execute(engine, f"UPDATE cases SET header = {cast}", h=json.dumps(header))
    with pytest.raises(IntegrityError, match=match):
        store.get(stored)


def test_an_edited_case_column_is_refused(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    execute(engine, "UPDATE cases SET state = 'resolved'")
    with pytest.raises(IntegrityError, match=r"case row's columns differ"):
        store.get(stored)


def test_an_untampered_case_loads_and_equals_its_replay(
    store: SqlCaseStore, stored: str, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = store.get(stored)
    assert case.version == 4
    assert replay(case, wf, calendar=cal_wita) == case


# ---------------------------------------------------------------- remembered prefix


@pytest.fixture
def cached(engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar) -> SqlCaseStore:
    """A store that opted in to remembering the cases it loaded."""
    return SqlCaseStore(engine, wf, calendar=cal_wita, verified_cache=64)


def test_by_default_an_old_event_edited_after_a_load_is_refused(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    store.get(stored)
    body = body_of(engine, 1)
    body["note"] = "nothing happened"
    set_body(engine, 1, body)
    with pytest.raises(IntegrityError, match=r"case 'PGD-7', event 1"):
        store.get(stored)


def test_a_remembered_case_loads_only_its_new_events_and_equals_a_full_load(
    engine: sa.Engine, cached: SqlCaseStore, stored: str, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    first = cached.get(stored)
    other = SqlCaseStore(engine, wf, calendar=cal_wita, verified_cache=0)
    case = wf.fire(first, "escalate", at=at(30), by=actor("officer-b"), calendar=cal_wita)
    other.save(case, expected_version=first.version)
    tails: list[object] = []

    def record(
        conn: object,
        clauseelement: object,
        multiparams: object,
        params: object,
        execution_options: object,
    ) -> None:
        if isinstance(params, dict) and "b_from" in params:
            tails.append(params["b_from"])

    sa.event.listen(engine, "before_execute", record)
    try:
        loaded = cached.get(stored)
        again = cached.get(stored)  # nothing new: only the row and no event is read
    finally:
        sa.event.remove(engine, "before_execute", record)
    assert tails == [4, 5]
    assert loaded == again == other.get(stored) == case


def test_an_event_appended_and_edited_after_a_load_is_refused(
    engine: sa.Engine, cached: SqlCaseStore, stored: str, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    first = cached.get(stored)
    case = wf.fire(first, "escalate", at=at(30), by=actor("officer-b"), calendar=cal_wita)
    cached.save(case, expected_version=first.version)
    body = body_of(engine, 4)
    body["note"] = "nothing happened"
    set_body(engine, 4, body)
    with pytest.raises(IntegrityError, match=r"case 'PGD-7', event 4: content does not match"):
        cached.get(stored)


def test_a_header_or_head_edited_after_a_load_is_refused(
    engine: sa.Engine, cached: SqlCaseStore, stored: str
) -> None:
    cached.get(stored)
    execute(engine, "UPDATE cases SET state = 'resolved'")
    with pytest.raises(IntegrityError, match=r"case row's columns differ"):
        cached.get(stored)
    execute(engine, "DELETE FROM case_events WHERE seq = 3")
    execute(engine, "UPDATE cases SET version = 3")
    with pytest.raises(IntegrityError, match=r"case 'PGD-7': newest hash differs"):
        cached.get(stored)


def test_verified_cache_must_be_a_count(engine: sa.Engine, wf: Workflow) -> None:
    with pytest.raises(InvalidArgumentError, match=r"verified_cache must be an int >= 0, got -1"):
        SqlCaseStore(engine, wf, verified_cache=-1)


# ---------------------------------------------------------------- erasure


def test_erase_person_leaves_no_personal_data_in_any_table(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    before = json.dumps([list(map(str, r)) for r in rows(engine, "SELECT * FROM case_persons")])
    assert "Siti Aminah" in before
    erased = store.erase_person(stored, at=at(60), by=actor("dpo-1"))
    assert erased.events[-1].kind == "erased"
    assert erased.events[-1].data == {"roles": ["complainant", "worker"]}
    for table in ("cases", "case_events", "case_persons"):
        dump = json.dumps([list(map(str, r)) for r in rows(engine, f"SELECT * FROM {table}")])
        assert not [p for p in PII if p in dump], table
    loaded = store.get(stored)
    assert loaded == erased
    assert loaded.complainant is not None
    assert loaded.complainant.kind == "pmi"
    erased_at = rows(engine, "SELECT erased_at FROM case_persons WHERE role = 'worker'")[0][0]
    assert erased_at is not None


def test_erasing_twice_changes_nothing(store: SqlCaseStore, stored: str) -> None:
    once = store.erase_person(stored, at=at(60), by=actor("dpo-1"))
    assert store.erase_person(stored, at=at(61), by=actor("dpo-1")) == once
    assert store.get(stored).version == once.version


def test_an_erasure_refused_changes_nothing(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    tables = ("cases", "case_events", "case_persons")
    before = {t: rows(engine, f"SELECT * FROM {t}") for t in tables}
    for by in (
        Actor("cc-2", roles={"call_centre"}),
        actor("head-ntb", "head_of_office", office="bp3mi-ntb"),
    ):
        with pytest.raises(PermissionDeniedError) as refused:
            store.erase_person(stored, at=at(60), by=by)
        assert not [p for p in PII if p in str(refused.value)]
    assert {t: rows(engine, f"SELECT * FROM {t}") for t in tables} == before
    # the ministry may erase (and the event says as which role), without reading it
    erased = store.erase_person(stored, at=at(60), by=Actor("hq-1", roles={"ministry_hq"}))
    assert erased.events[-1].role == "ministry_hq"


def test_erase_person_of_an_unknown_case(store: SqlCaseStore) -> None:
    with pytest.raises(CaseNotFoundError):
        store.erase_person("nope", at=at(1), by=actor("dpo-1"))


# ---------------------------------------------------------------- history and export


def test_history_pages_without_loading_the_case(store: SqlCaseStore, stored: str) -> None:
    first = store.history(stored, limit=3)
    rest = store.history(stored, after=first[-1].seq, limit=3)
    assert [e.seq for e in first] == [0, 1, 2]
    assert [e.seq for e in rest] == [3]
    assert store.history(stored, after=3) == []
    assert first + rest == list(store.get(stored).events)


def test_history_of_an_unknown_case(store: SqlCaseStore) -> None:
    with pytest.raises(CaseNotFoundError):
        store.history("nope")


def test_history_refuses_an_edited_event(
    engine: sa.Engine, store: SqlCaseStore, stored: str
) -> None:
    body = body_of(engine, 1)
    body["note"] = "edited"
    set_body(engine, 1, body)
    with pytest.raises(IntegrityError, match=r"case 'PGD-7', event 1: content does not match"):
        store.history(stored)


def test_export_writes_one_case_document_per_line(
    store: SqlCaseStore, stored: str, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    for i in range(3):
        store.add(open_case(wf, cal_wita, f"PGD-{i}", office="bp3mi-ntb"))
    # nobody named, the ministry (no personal-data role) and an officer of another
    # office: the documents without personal data
    for by in (
        None,
        Actor("hq-1", roles={"ministry_hq"}),
        actor("o-ntb", "officer", office="bp3mi-ntb"),
    ):
        out = io.StringIO()
        assert store.export_jsonl(out, by=by, office="bp3mi-ntt") == 1
        assert not [p for p in PII if p in out.getvalue()], by
        (doc,) = [json.loads(line) for line in out.getvalue().splitlines()]
        assert doc["personal_data"] == "withheld"
        assert doc["complainant"] is None
        assert doc["worker"] is None
    out = io.StringIO()
    assert store.export_jsonl(out) == 4
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [d["id"] for d in docs] == ["PGD-0", "PGD-1", "PGD-2", "PGD-7"]
    assert not [p for p in PII if p in out.getvalue()]
    # summaries never carry personal data, whoever asks
    assert not [p for p in PII if p in repr(store.query())]
    with_persons = io.StringIO()
    assert store.export_jsonl(with_persons, office="bp3mi-ntt", by=actor("dpo-1")) == 1
    (doc,) = [json.loads(line) for line in with_persons.getvalue().splitlines()]
    assert doc["complainant"]["name"] == "Siti Aminah"
    assert doc == {**store.get(stored).to_dict()}


def test_export_refuses_what_is_not_an_actor(store: SqlCaseStore, stored: str) -> None:
    with pytest.raises(WrongTypeError, match="Actor"):
        store.export_jsonl(io.StringIO(), by="dpo-1")  # type: ignore[arg-type]


# ---------------------------------------------------------------- transactions


def test_a_failed_transaction_leaves_nothing(
    store: SqlCaseStore, stored: str, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = store.get(stored)
    changed = wf.fire(case, "escalate", at=at(30), by=actor("o"), calendar=cal_wita)
    new_case = open_case(wf, cal_wita, "PGD-NEW")

    def host_work() -> None:
        with store.transaction() as conn:
            store.save_in(conn, changed, expected_version=case.version)
            store.add_in(conn, new_case)
            raise RuntimeError("host failed after writing")

    with pytest.raises(RuntimeError, match="host failed"):
        host_work()
    assert store.get(stored) == case
    with pytest.raises(CaseNotFoundError):
        store.get("PGD-NEW")


def test_save_in_returns_the_appended_events(
    store: SqlCaseStore, stored: str, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    with store.transaction() as conn:
        case = store.get_in(conn, stored, lock=True)
        changed = wf.fire(case, "escalate", at=at(30), by=actor("o"), calendar=cal_wita)
        changed = wf.fire(changed, "escalate", at=at(31), by=actor("o"), calendar=cal_wita)
        new = store.save_in(conn, changed, expected_version=case.version)
    assert [e.seq for e in new] == [4, 5]


def test_a_concurrent_add_of_the_same_id_is_stale(
    store: SqlCaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-X")
    store.add(case)
    with pytest.raises(CaseExistsError, match="already stored"):
        store.add(case)
    # the same in a transaction of the caller's: the driver's error is not what escapes
    with pytest.raises(CaseExistsError, match="already stored"), store.transaction() as conn:
        store.add_in(conn, case)


def test_the_store_refuses_what_is_not_an_engine(wf: Workflow) -> None:
    with pytest.raises(WrongTypeError, match="sqlalchemy Engine"):
        SqlCaseStore("sqlite://", wf)  # type: ignore[arg-type]


# ---------------------------------------------------------------- schema


def test_schema_version_and_indexes(engine: sa.Engine) -> None:
    assert rows(engine, "SELECT version FROM migrantcare_schema") == [(SCHEMA_VERSION,)]
    inspector = sa.inspect(engine)
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("cases")}
    assert indexes["cases_office_state"] == ["office", "state", "id"]
    assert indexes["cases_next_due_at"] == ["next_due_at"]
    assert indexes["cases_calendar_version"] == ["calendar_version", "id"]
    assert inspector.get_pk_constraint("case_events")["constrained_columns"] == ["case_id", "seq"]


def test_create_all_twice_records_the_version_once(engine: sa.Engine) -> None:
    create_all(engine)
    assert rows(engine, "SELECT count(*) FROM migrantcare_schema") == [(1,)]


def test_the_sweep_claim_uses_the_due_index_on_postgresql(pg_engine: sa.Engine) -> None:
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in conn.exec_driver_sql(
                "EXPLAIN SELECT id FROM cases WHERE next_due_at <= now() "
                "ORDER BY next_due_at LIMIT 10 FOR UPDATE SKIP LOCKED"
            )
        )
    assert "cases_next_due_at" in plan


def test_tables_with_a_prefix(
    tmp_path: pathlib.Path, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    tables = create_all(engine, case_tables(prefix="mc_"))
    store = SqlCaseStore(engine, wf, calendar={"bp3mi-ntt": cal_wita}, tables=tables)
    store.add(open_case(wf, cal_wita, "PGD-1"))
    assert store.get("PGD-1").id == "PGD-1"
    assert sorted(sa.inspect(engine).get_table_names()) == [
        "mc_case_events",
        "mc_case_person_keys",
        "mc_case_persons",
        "mc_cases",
        "mc_migrantcare_schema",
    ]
    engine.dispose()


# ---------------------------------------------------------------- batches


def test_load_many_in_loads_each_case_or_says_why_not(
    engine: sa.Engine, store: SqlCaseStore, stored: str, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store.add(open_case(wf, cal_wita, "PGD-8"))
    execute(engine, "UPDATE case_events SET actor = 'someone-else' WHERE case_id = 'PGD-8'")
    with store.transaction() as conn:
        loaded = store.load_many_in(conn, ["PGD-8", stored, "nope"], lock=True)
    assert list(loaded) == ["PGD-8", stored, "nope"]
    assert isinstance(loaded["PGD-8"], IntegrityError)
    assert "case 'PGD-8', event 0: columns differ" in str(loaded["PGD-8"])
    assert isinstance(loaded["nope"], CaseNotFoundError)
    assert loaded[stored] == store.get(stored)


def test_save_many_in_saves_all_or_nothing(
    store: SqlCaseStore, stored: str, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store.add(open_case(wf, cal_wita, "PGD-8"))
    a, b = store.get(stored), store.get("PGD-8")
    a2 = wf.fire(a, "escalate", at=at(30), by=actor("officer-b"), calendar=cal_wita)
    b2 = wf.fire(b, "escalate", at=at(30), by=actor("officer-b"), calendar=cal_wita)
    with store.transaction() as conn:
        appended = store.save_many_in(conn, [(a2, a.version), (b2, b.version)])
    assert [len(e) for e in appended] == [1, 1]
    assert store.get(stored) == a2
    assert store.get("PGD-8") == b2
    # one of them stale: the whole batch is refused and rolled back
    a3 = wf.fire(a2, "escalate", at=at(40), by=actor("officer-b"), calendar=cal_wita)
    b3 = wf.fire(b2, "escalate", at=at(40), by=actor("officer-b"), calendar=cal_wita)
    with pytest.raises(StaleCaseError), store.transaction() as conn:
        store.save_many_in(conn, [(a3, a2.version), (b3, b.version)])
    assert store.get(stored) == a2
    with pytest.raises(InvalidArgumentError, match="given twice"), store.transaction() as conn:
        store.save_many_in(conn, [(a3, a2.version), (a3, a2.version)])
    assert store.workflow_for(a2) is wf
    assert store.calendar_for("bp3mi-ntt") == cal_wita


# ---------------------------------------------------------------- get() on the driver's cursor


@pytest.fixture
def watched(pg_engine: sa.Engine) -> Iterator[list[str]]:
    """The statements SQLAlchemy runs on the PostgreSQL engine while the test runs."""
    seen: list[str] = []

    def watch(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(pg_engine, "before_cursor_execute", watch)
    yield seen
    sa.event.remove(pg_engine, "before_cursor_execute", watch)


def test_get_loads_the_same_case_on_the_drivers_cursor_and_through_sqlalchemy(
    pg_engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    truncate(pg_engine)
    store = sql_store(pg_engine, wf, cal_wita)
    assert store._reads.one_sql is not None  # psycopg: get() runs on the driver's cursor
    case = saved(store, wf, cal_wita, "PGD-8", 5)
    executed: list[object] = []

    def record(conn: object, clauseelement: object, *args: object) -> None:
        executed.append(clauseelement)

    # a listener that does not watch the cursor: get() still runs on the driver's
    sa.event.listen(pg_engine, "before_execute", record)
    try:
        direct = store.get("PGD-8")
        assert executed == []
        with store.transaction() as conn:
            through = store.get_in(conn, "PGD-8")
        assert len(executed) == 1
    finally:
        sa.event.remove(pg_engine, "before_execute", record)
    assert direct == through == case
    with pytest.raises(CaseNotFoundError, match="PGD-404"):
        store.get("PGD-404")


def test_a_host_watching_statements_sees_the_load_and_it_still_checks(
    pg_engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar, watched: list[str]
) -> None:
    truncate(pg_engine)
    store = sql_store(pg_engine, wf, cal_wita)
    case = saved(store, wf, cal_wita, "PGD-9", 3)
    watched.clear()
    assert store.get("PGD-9") == case
    assert any("json_agg" in statement for statement in watched)
    body = body_of(pg_engine, 2)
    body["note"] = "nothing happened"
    set_body(pg_engine, 2, body)
    with pytest.raises(IntegrityError, match=r"case 'PGD-9', event 2: content does not match"):
        store.get("PGD-9")


def test_a_host_watching_connections_sees_the_load(
    pg_engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    truncate(pg_engine)
    store = sql_store(pg_engine, wf, cal_wita)
    case = open_case(wf, cal_wita, "PGD-9")
    store.add(case)
    connected: list[object] = []

    def watch(conn: object) -> None:
        connected.append(conn)

    sa.event.listen(pg_engine, "engine_connect", watch)
    try:
        assert store.get("PGD-9") == case
    finally:
        sa.event.remove(pg_engine, "engine_connect", watch)
    assert len(connected) == 1


def test_a_load_whose_connection_died_raises_sqlalchemys_error_and_the_next_gets_another(
    pg_url: str, pg_engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    import psycopg  # noqa: PLC0415 - the driver of these tests

    truncate(pg_engine)
    engine = sa.create_engine(pg_url)
    try:
        store = sql_store(engine, wf, cal_wita)
        case = open_case(wf, cal_wita, "PGD-9")
        store.add(case)
        assert store.get("PGD-9") == case
        # end the backend of the connection the store's pool holds
        (pid,) = rows(engine, "SELECT pg_backend_pid()")[0]
        execute(pg_engine, "SELECT pg_terminate_backend(:p)", p=pid)
        # what a statement run through SQLAlchemy raises: retryable, the driver's inside
        with pytest.raises(sa.exc.OperationalError) as info:
            store.get("PGD-9")
        assert info.value.connection_invalidated
        assert isinstance(info.value.orig, psycopg.OperationalError)
        assert store.get("PGD-9") == case  # the dead connection was not pooled again
    finally:
        engine.dispose()


# ---------------------------------------------------------------- schema 2: event documents as json


def test_event_documents_are_json_on_postgresql_and_other_documents_jsonb(
    pg_engine: sa.Engine,
) -> None:
    found = rows(
        pg_engine,
        "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND (table_name, column_name) IN "
        "(('case_events', 'body'), ('cases', 'header'), ('case_persons', 'data'))",
    )
    assert dict(found) == {  # type: ignore[arg-type]
        "case_events.body": "json",
        "cases.header": "jsonb",
        "case_persons.data": "jsonb",
    }
    assert SCHEMA_VERSION >= 2


def test_schema_1_tables_load_and_save_before_and_after_the_migration(
    pg_engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    # schema 1 kept event documents as jsonb: the store reads and writes such tables
    # alike, and the migration (docs: "Store cases in PostgreSQL") changes no case
    tables = create_all(pg_engine, case_tables(prefix="v1_"))
    try:
        execute(pg_engine, "ALTER TABLE v1_case_events ALTER COLUMN body TYPE jsonb")
        store = SqlCaseStore(pg_engine, wf, calendar=cal_wita, tables=tables)
        new = saved(store, wf, cal_wita, "PGD-1", 3)
        assert store.get("PGD-1") == new
        execute(
            pg_engine, "ALTER TABLE v1_case_events ALTER COLUMN body TYPE json USING body::json"
        )
        execute(pg_engine, "UPDATE v1_migrantcare_schema SET version = 2")
        assert store.get("PGD-1") == new
        latest = wf.fire(new, "escalate", at=at(30), by=actor("officer-b"), calendar=cal_wita)
        store.save(latest, expected_version=new.version)
        assert store.get("PGD-1") == latest
        execute(
            pg_engine,
            "UPDATE v1_case_events SET body = CAST(:b AS JSON) WHERE seq = 2",
            b=json.dumps({**new.events[2].to_dict(), "note": "nothing happened"}),
        )
        with pytest.raises(IntegrityError, match=r"case 'PGD-1', event 2: content does not match"):
            store.get("PGD-1")
    finally:
        tables.metadata.drop_all(pg_engine)


def test_the_events_of_the_one_row_load_in_seq_order_whatever_order_they_come_in(
    pg_engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    # the server aggregates the event rows in the order its plan reads them
    from migrantcare.sql._reading import OneRow, stored_one  # noqa: PLC0415

    truncate(pg_engine)
    store = sql_store(pg_engine, wf, cal_wita)
    new = saved(store, wf, cal_wita, "PGD-8", 4)
    with pg_engine.connect() as conn:
        row = conn.execute(store._reads.one, {"b_id": "PGD-8"}).one()
    header, persons, items = json.loads(row.c_doc)
    shuffled = OneRow(*row[:-1], json.dumps([header, persons, items[::-1]]))
    assert (
        store.load_stored(*stored_one("PGD-8", shuffled))
        == store.load_stored(*stored_one("PGD-8", row))
        == new
    )


def _stored_rows(engine: sa.Engine) -> tuple[object, ...]:
    with engine.connect() as conn:
        cases = conn.execute(sa.text("SELECT * FROM cases ORDER BY id")).all()
        events = conn.execute(sa.text("SELECT * FROM case_events ORDER BY case_id, seq")).all()
    return tuple(cases), tuple(events)


def test_save_writes_the_same_rows_on_the_drivers_cursor_as_through_sqlalchemy(
    pg_engine: sa.Engine, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-8")
    history = list(fires(wf, cal_wita, case, 5))
    executed: list[object] = []

    def record(conn: object, clauseelement: object, *args: object) -> None:
        executed.append(clauseelement)

    written = []
    for through_sqlalchemy in (False, True):
        truncate(pg_engine)
        store = sql_store(pg_engine, wf, cal_wita)
        store.add(case)
        # before_execute does not watch the cursor: save() runs on the driver's; a
        # cursor listener sends it through SQLAlchemy
        sa.event.listen(pg_engine, "before_execute", record)
        if through_sqlalchemy:
            sa.event.listen(pg_engine, "before_cursor_execute", record)
        try:
            executed.clear()
            for new in history:
                store.save(new, expected_version=new.version - 1)
            saved_by_driver = not executed
            # a stale save is refused and writes nothing, either way
            with pytest.raises(StaleCaseError):
                store.save(history[-1], expected_version=history[0].version)
        finally:
            sa.event.remove(pg_engine, "before_execute", record)
            if through_sqlalchemy:
                sa.event.remove(pg_engine, "before_cursor_execute", record)
        assert saved_by_driver is not through_sqlalchemy
        assert store.get("PGD-8") == history[-1]
        written.append(_stored_rows(pg_engine))
    assert written[0] == written[1]
    assert len(written[0][1]) == history[-1].version


def test_iter_cases_pages_by_keyset_after_an_id(
    store: SqlCaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    for i in range(7):
        store.add(open_case(wf, cal_wita, f"PGD-{i}"))
    first = [c.id for c in itertools.islice(store.iter_cases(batch=2), 3)]
    assert first == ["PGD-0", "PGD-1", "PGD-2"]
    rest = [c.id for c in store.iter_cases(batch=2, after=first[-1])]
    assert rest == ["PGD-3", "PGD-4", "PGD-5", "PGD-6"]
    assert list(store.iter_cases(after="PGD-6")) == []
    with pytest.raises(InvalidArgumentError, match="after"):
        list(store.iter_cases(after="PGD\x00"))
