"""Shared pieces of the store tests: backends, a case maker, a fixed clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import itertools
import pathlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from migrantcare import Case, CaseStore, InMemoryCaseStore, Person, Workflow, WorkingCalendar
from migrantcare.sql import SqlCaseStore, case_tables, create_all
from tests.actors import actor

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)  # Monday 09:00 WITA


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def open_case(
    wf: Workflow, cal: WorkingCalendar, case_id: str, *, office: str = "bp3mi-ntt"
) -> Case:
    return wf.open(
        case_id,
        at=T0,
        by=actor("callcenter-01"),
        office=office,
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti Aminah", passport_number="C1234567", phone="+62811000"),
        worker=Person("Dewi Lestari", kind="pmi", nik="5301010101010001"),
        calendar=cal,
    )


def sqlite_engine(path: str) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    create_all(engine)
    return engine


def truncate(engine: sa.Engine) -> None:
    tables = case_tables()
    with engine.begin() as conn:
        names = ", ".join(t.name for t in (tables.events, tables.persons, tables.cases))
        conn.exec_driver_sql(f"TRUNCATE {names}")


def sql_store(engine: sa.Engine, wf: Workflow, cal: WorkingCalendar) -> SqlCaseStore:
    return SqlCaseStore(engine, wf, calendar=cal)


_DATABASES = itertools.count()


@contextlib.contextmanager
def new_database(pg_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards; its URL."""
    server = sa.make_url(pg_url)
    name = f"{prefix}_{next(_DATABASES)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


def each_store(
    request: pytest.FixtureRequest, tmp_path: pathlib.Path, wf: Workflow, cal: WorkingCalendar
) -> Iterator[CaseStore]:
    """The body of a ``store`` fixture parametrized over "memory", "sqlite", "postgresql"."""
    if request.param == "memory":
        yield InMemoryCaseStore(wf, calendar=cal)  # every get replays, as the SQL stores do
    elif request.param == "sqlite":
        engine = sqlite_engine(str(tmp_path / "cases.db"))
        yield sql_store(engine, wf, cal)
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate(engine)
        yield sql_store(engine, wf, cal)


def rows(engine: sa.Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def execute(engine: sa.Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def fires(wf: Workflow, cal: WorkingCalendar, case: Case, n: int) -> Iterator[Case]:
    for i in range(n):
        case = wf.fire(case, "escalate", at=at(i + 1), by=actor("officer-a"), calendar=cal)
        yield case


def bench_workload(n: int) -> Any:
    """The benchmarks' realistic workload (``benchmarks/workload.py``) of ``n`` cases."""
    name = "mc_bench_workload"
    module = sys.modules.get(name)
    if module is None:
        path = pathlib.Path(__file__).parent.parent / "benchmarks" / "workload.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return module.realistic_cases(n, 2026)
