"""The store's Alembic migrations: schema 1 with real data upgraded, models and scripts agree."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
import textwrap
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from migrantcare import Actor, Case, Offices, Person, Workflow, complaint_workflow
from migrantcare.cli._cli import main
from migrantcare.exceptions import InvalidArgumentError
from migrantcare.sql import (
    SCHEMA_VERSION,
    Outbox,
    SqlCaseStore,
    case_tables,
    create_all,
    create_outbox,
    outbox_table,
    sweep,
)
from migrantcare.sql.migrations import (
    HEAD,
    OUTBOX_REVISION,
    REVISIONS,
    VERSION_TABLE,
    VERSIONS_DIR,
    Names,
    status,
    target_metadata,
    upgrade,
)
from tests.store_support import new_database

ROOT = pathlib.Path(__file__).parent.parent
OFFICES = Offices.from_file(ROOT / "examples" / "offices.toml")
MARCH = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
LATER = dt.datetime(2026, 4, 30, 3, 0, tzinfo=dt.timezone.utc)
AGENT = Actor("cc-01", roles={"call_centre"}, office="bp3mi-ntb")
OFFICER = Actor("officer-1", roles={"officer"}, office="bp3mi-ntb")


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow().bind(OFFICES)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
    """An empty database of its own: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    with new_database(request.getfixturevalue("pg_url"), "migrate") as url:
        yield url


def store_on(engine: sa.Engine, wf: Workflow) -> SqlCaseStore:
    # a workflow bound to offices takes each case's calendar from its office
    return SqlCaseStore(engine, wf)


def real_cases(wf: Workflow, n: int) -> list[Case]:
    """``n`` complaints opened in March 2026, with persons, some taken further."""
    cases = []
    for i in range(n):
        case = wf.open(
            f"PGD-{i:03d}",
            at=MARCH + dt.timedelta(minutes=i),
            by=AGENT,
            office="bp3mi-ntb",
            category="unpaid_wages",
            channel="whatsapp",
            complainant=Person("Siti Aminah", passport_number=f"C{i:07d}", phone="0812-3456-789"),
            worker=Person("Dewi Lestari", nik=f"5301{i:012d}"),
        )
        if i % 3 == 0:
            # an officer's step, and the SLA marks due by then
            case = wf.advance(case, at=MARCH + dt.timedelta(days=2))
        cases.append(case)
    return cases


def body_type(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        column = next(c for c in sa.inspect(conn).get_columns("case_events") if c["name"] == "body")
    return type(column["type"]).__name__


def differences(engine: sa.Engine, names: Names | None = None) -> list[object]:
    names = Names() if names is None else names
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "version_table": names(VERSION_TABLE),
                "version_table_schema": names.schema,
                "compare_type": True,
            },
        )
        return list(compare_metadata(context, target_metadata(names)))


# ---------------------------------------------------------------- models and scripts agree


def test_the_models_and_the_newest_migration_agree(url: str) -> None:
    # CI runs this: a change to case_tables() without a migration (or the reverse) fails
    result = upgrade(url)
    assert (result.revision, result.schema_version) == (HEAD, SCHEMA_VERSION)
    # the outbox is among the models compared: its table and indexes come from mc0005
    assert outbox_table(case_tables()).name in target_metadata().tables
    engine = sa.create_engine(url)
    try:
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_the_models_and_migrations_agree_with_a_prefix(url: str) -> None:
    names = Names("mc_")
    upgrade(url, names=names)
    engine = sa.create_engine(url)
    try:
        assert differences(engine, names) == []
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert (
            set(case_tables(prefix="mc_").metadata.tables)
            | {
                "mc_notice_outbox",
                "mc_" + VERSION_TABLE,
            }
            == tables
        )
    finally:
        engine.dispose()


def test_a_model_change_without_a_migration_is_found(url: str) -> None:
    # the check above is not vacuous: one column more in the models is a difference
    upgrade(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            metadata = target_metadata()
            metadata.tables["cases"].append_column(sa.Column("extra", sa.Integer))
            diff = compare_metadata(context, metadata)
        assert [d[0] for d in diff] == ["add_column"]
    finally:
        engine.dispose()


def test_an_outbox_model_change_without_a_migration_is_found(url: str) -> None:
    # the outbox is compared too: a column more in outbox_table() is a difference
    upgrade(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            metadata = target_metadata()
            metadata.tables["notice_outbox"].append_column(sa.Column("extra", sa.Integer))
            diff = compare_metadata(context, metadata)
        assert [(d[0], d[3].name) for d in diff] == [("add_column", "extra")]
    finally:
        engine.dispose()


# ---------------------------------------------------------------- schema 1 with real data


def test_schema_1_with_real_data_upgrades_and_every_case_loads_verifies_and_sweeps(
    url: str, wf: Workflow
) -> None:
    assert upgrade(url, revision=REVISIONS[1]).schema_version == 1
    engine = sa.create_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            assert body_type(engine) == "JSONB"  # schema 1's event documents
        store = store_on(engine, wf)
        create_outbox(engine, store.tables)
        box = Outbox(store)
        cases = real_cases(wf, 12)
        for case in cases:
            box.add(case)
        events = sum(len(c.events) for c in cases)
        assert events > 14  # several batches of 7 below
        # the CLI, with a small batch so that the copy walks the key in several steps
        assert upgrade(url, batch=7).schema_version == SCHEMA_VERSION
        if engine.dialect.name == "postgresql":
            assert body_type(engine) == "JSON"
            with engine.connect() as conn:
                leftovers = conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relname = 'case_events' AND NOT t.tgisinternal"
                ).scalar_one()
                columns = [c["name"] for c in sa.inspect(conn).get_columns("case_events")]
            assert leftovers == 0
            assert columns == [c.name for c in case_tables().events.columns]
        store = store_on(engine, wf)  # a fresh store: nothing remembered
        for case in cases:
            loaded = store.get(case.id)
            assert loaded == case
            loaded.verify()
        result = sweep(Outbox(store), at=LATER, limit=100)
        assert result.failed == ()
        assert result.claimed == result.advanced == len(cases)
        for case in cases:
            swept = store.get(case.id)
            swept.verify()
            assert swept.version > case.version
            assert swept.events[: case.version] == case.events
    finally:
        engine.dispose()


def test_tables_made_by_create_all_join_the_migrations_without_a_stamp(
    url: str, wf: Workflow
) -> None:
    engine = sa.create_engine(url)
    try:
        store = store_on(engine, wf)
        create_all(engine, store.tables)
        case = real_cases(wf, 1)[0]
        store.add(case)
        assert status(url).revision is None
        assert status(url).schema_version == SCHEMA_VERSION
        out = io.StringIO()
        assert main(["db", "upgrade", "--db", url], out=out) == 0
        assert f"schema version {SCHEMA_VERSION} (newest)" in out.getvalue()
        assert status(url).revision == HEAD
        assert store_on(engine, wf).get(case.id) == case
        # create_all made no outbox: the upgrade did
        with engine.connect() as conn:
            assert sa.inspect(conn).has_table("notice_outbox")
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the notice outbox


def test_an_outbox_made_by_create_outbox_on_schema_1_upgrades_and_keeps_sending(
    url: str, wf: Workflow
) -> None:
    # a service from before the outbox's migration: schema 1, its outbox made by
    # create_outbox, some notices sent, one retrying, the rest pending
    upgrade(url, revision=REVISIONS[1])
    engine = sa.create_engine(url)
    try:
        store = store_on(engine, wf)
        create_outbox(engine, store.tables)
        box = Outbox(store)
        cases = real_cases(wf, 6)
        for case in cases:
            box.add(case)
        with box.claim(3, at=LATER) as batch:
            first, second, third = batch
            batch.sent(first)
            batch.sent(second)
            batch.failed(third, "gateway 503")
        before = box.counts()
        assert (before.sent, before.retrying) == (2, 1)
        assert before.pending > 1
        with engine.connect() as conn:
            ids = conn.exec_driver_sql("SELECT id, status FROM notice_outbox ORDER BY id").all()

        done = upgrade(url, batch=7)
        assert (done.revision, done.schema_version) == (HEAD, SCHEMA_VERSION)
        with engine.connect() as conn:
            # the step left the table alone: every row, its id and status, is still there
            assert (
                conn.exec_driver_sql("SELECT id, status FROM notice_outbox ORDER BY id").all()
                == ids
            )
        assert differences(engine) == []

        fresh = Outbox(store_on(engine, wf))  # nothing remembered
        assert fresh.counts() == before
        delivered = []
        # an hour later: the retrying notice is due again too
        with fresh.claim(100, at=LATER + dt.timedelta(hours=1)) as batch:
            for notice in batch:
                delivered.append(notice.idempotency_key)
                batch.sent(notice)
        assert len(delivered) == len(set(delivered)) == before.pending
        after = fresh.counts()
        assert (after.pending, after.retrying, after.failed) == (0, 0, 0)
        assert after.sent == before.sent + before.pending
        # and it takes new notices after the upgrade: the sweep writes them with the cases
        assert sweep(fresh, at=LATER, limit=100).advanced == len(cases)
        assert fresh.counts().pending > 0
    finally:
        engine.dispose()


def test_db_upgrade_of_an_empty_database_gives_tables_the_store_and_the_outbox_work_on(
    url: str, wf: Workflow, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out.endswith(f"revision {HEAD}\n")
    assert OUTBOX_REVISION == HEAD
    engine = sa.create_engine(url)
    try:
        store = store_on(engine, wf)
        box = Outbox(store)
        cases = real_cases(wf, 3)
        for case in cases:
            box.add(case)
        assert [store.get(c.id) for c in cases] == cases
        assert sweep(box, at=LATER, limit=100).advanced == len(cases)
        pending = box.counts().pending
        assert pending >= len(cases)  # an acknowledgement each, and the sweep's notices
        with box.claim(100, at=LATER) as batch:
            for notice in batch:
                batch.sent(notice)
        assert box.counts().sent == pending
        assert box.counts().pending == 0
        # erasure reaches the outbox the migration made
        head = Actor("kepala-1", roles={"head_of_office"}, office="bp3mi-ntb")
        box.erase_person(cases[0].id, at=LATER, by=head)
        with engine.connect() as conn:
            bodies = conn.execute(
                sa.text("SELECT body FROM notice_outbox WHERE case_id = :c"), {"c": cases[0].id}
            )
            assert {row.body for row in bodies} == {""}
    finally:
        engine.dispose()


def test_the_outbox_step_follows_the_tables_prefix_and_skips_an_outbox_already_there(
    url: str, wf: Workflow
) -> None:
    names = Names("mc_")
    upgrade(url, names=names, revision=REVISIONS[SCHEMA_VERSION])
    engine = sa.create_engine(url)
    try:
        store = SqlCaseStore(engine, wf, tables=case_tables(prefix="mc_"))
        create_outbox(engine, store.tables)  # the quick start, before the outbox's step
        box = Outbox(store)
        case = real_cases(wf, 1)[0]
        box.add(case)
        before = box.counts()
        assert upgrade(url, names=names).revision == HEAD
        assert differences(engine, names) == []
        assert Outbox(SqlCaseStore(engine, wf, tables=case_tables(prefix="mc_"))).counts() == (
            before
        )
        with engine.connect() as conn:
            assert "notice_outbox" not in sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_a_downgrade_to_schema_1_and_back_keeps_every_case(url: str, wf: Workflow) -> None:
    upgrade(url)
    engine = sa.create_engine(url)
    try:
        cases = real_cases(wf, 4)
        store = store_on(engine, wf)
        for case in cases:
            store.add(case)
        with engine.connect() as conn:
            command.downgrade(_config(conn), REVISIONS[1])
            conn.commit()
        assert status(url).schema_version == 1
        upgrade(url, batch=3)
        fresh = store_on(engine, wf)
        assert [fresh.get(c.id) for c in cases] == cases
    finally:
        engine.dispose()


def _config(conn: sa.Connection) -> Config:
    from migrantcare.sql._migrations import alembic_config  # noqa: PLC0415

    return alembic_config(conn)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the host's own Alembic


def test_a_hosts_alembic_environment_runs_the_scripts_from_version_locations(
    url: str, tmp_path: pathlib.Path, wf: Workflow
) -> None:
    # what the docs tell a host: list VERSIONS_DIR in version_locations, upgrade heads
    env = tmp_path / "host_migrations"
    (env / "versions").mkdir(parents=True)
    (env / "env.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from alembic import context

            from migrantcare.sql import case_tables

            engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
            with engine.connect() as connection:
                context.configure(
                    connection=connection, target_metadata=case_tables().metadata
                )
                with context.begin_transaction():
                    context.run_migrations()
            engine.dispose()
            """
        )
    )
    config = Config()
    config.set_main_option("script_location", str(env))
    config.set_main_option("version_locations", f"{env / 'versions'} {VERSIONS_DIR}")
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "migrantcare@head")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            recorded = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        assert recorded == [(HEAD,)]
        store = store_on(engine, wf)
        case = real_cases(wf, 1)[0]
        store.add(case)
        assert store_on(engine, wf).get(case.id) == case
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the command line


def test_db_current_says_where_the_tables_stand_and_exits_1_until_they_are_newest(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "current", "--db", url]) == 1
    assert capsys.readouterr().out == "no migrantcare tables (run: migrantcare db upgrade)\n"
    assert main(["db", "upgrade", "--db", url, "--to", REVISIONS[1]]) == 0
    capsys.readouterr()
    assert main(["db", "current", "--db", url]) == 1
    assert capsys.readouterr().out.startswith(
        f"schema version 1 (newest is {SCHEMA_VERSION}); revision {REVISIONS[1]}"
    )
    # at the newest schema version, but the outbox's step is left: not current
    assert main(["db", "upgrade", "--db", url, "--to", REVISIONS[SCHEMA_VERSION]]) == 0
    capsys.readouterr()
    assert main(["db", "current", "--db", url]) == 1
    assert capsys.readouterr().out == (
        f"schema version {SCHEMA_VERSION} (newest); revision {REVISIONS[SCHEMA_VERSION]} "
        f"(newest is {HEAD})\n"
    )
    assert main(["db", "upgrade", "--db", url]) == 0
    capsys.readouterr()
    assert main(["db", "current", "--db", url]) == 0
    assert capsys.readouterr().out == f"schema version {SCHEMA_VERSION} (newest); revision {HEAD}\n"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["db", "upgrade", "--db", "nosuchdriver://x"], "cannot use the database"),
        (["db", "current", "--db", "not a url"], "cannot use the database"),
        (
            ["db", "current", "--db", "postgresql+psycopg://u:s3cret@127.0.0.1:1/x"],
            "cannot read the database postgresql+psycopg://u:***@127.0.0.1:1/x",
        ),
        (["db", "upgrade", "--db", "sqlite://", "--to", "mc9999"], "cannot upgrade to 'mc9999'"),
        (["db", "upgrade", "--db", "sqlite://", "--to", "x; drop"], "revision must be 'head'"),
        (["db", "upgrade", "--db", "sqlite://", "--prefix", "a-b"], "the tables' prefix must be"),
        (["db", "upgrade", "--db", "sqlite://", "--schema", "1x"], "the tables' schema must be"),
    ],
)
def test_db_errors_are_one_clean_line_without_the_password(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"migrantcare db: error: {expected}"), err
    assert "unexpected" not in err
    assert "s3cret" not in err
    assert len(err.splitlines()) == 1


def test_upgrade_refuses_a_bad_batch() -> None:
    with pytest.raises(InvalidArgumentError, match="batch must be an int from 1 to 100000"):
        upgrade("sqlite://", batch=0)


# ---------------------------------------------------------------- online on PostgreSQL


def relfilenode(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                f"SELECT relfilenode FROM pg_class WHERE relname = '{table}'"
            ).scalar_one()
        )


def test_the_events_table_is_not_rewritten_and_takes_writes_while_it_migrates(
    pg_url: str, wf: Workflow
) -> None:
    # a rewrite (ALTER ... TYPE) gives the table a new file; the online step does not.
    # A service keeps adding cases while the step runs, and every case loads after it.
    with new_database(pg_url, "online") as url:
        engine = sa.create_engine(url)
        try:
            upgrade(url, revision=REVISIONS[1])
            store = store_on(engine, wf)
            for case in real_cases(wf, 30):
                store.add(case)
            before = relfilenode(engine, "case_events")
            added: list[Case] = []
            failures: list[BaseException] = []
            done = threading.Event()

            def service() -> None:
                writer = store_on(engine, wf)
                i = 0
                while not done.is_set():
                    case = wf.open(
                        f"NEW-{i:04d}",
                        at=MARCH,
                        by=AGENT,
                        office="bp3mi-ntb",
                        category="unpaid_wages",
                        channel="sms",
                        complainant=Person("Siti Aminah", phone="0812-3456-789"),
                    )
                    try:
                        writer.add(case)
                    except Exception as exc:  # collected: the test fails on any
                        failures.append(exc)
                        return
                    added.append(case)
                    i += 1

            thread = threading.Thread(target=service)
            thread.start()
            try:
                upgrade(url, batch=5)
            finally:
                done.set()
                thread.join(timeout=60)
            assert failures == []
            assert added  # the service wrote while the step ran
            assert relfilenode(engine, "case_events") == before
            assert body_type(engine) == "JSON"
            fresh = store_on(engine, wf)
            for case in added:
                assert fresh.get(case.id) == case
            # the control: the plain ALTER (the downgrade) does rewrite the table
            with engine.connect() as conn:
                command.downgrade(_config(conn), REVISIONS[1])
                conn.commit()
            assert relfilenode(engine, "case_events") != before
        finally:
            engine.dispose()
