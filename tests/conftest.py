from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from migrantcare import WorkingCalendar

if TYPE_CHECKING:
    import sqlalchemy as sa

# Timing belongs in benchmarks/, not in tests: no per-example deadline, so a slow or
# busy CI machine cannot turn a correct property into a flaky failure.
settings.register_profile(
    "migrantcare", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# CI (CI=true) runs a bounded number of examples per property, so the whole suite,
# hostile suites included, stays fast on a shared machine; locally the default applies.
settings.register_profile(
    "ci",
    parent=settings.get_profile("migrantcare"),
    max_examples=40,
    print_blob=True,
)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "migrantcare")

_HOSTILE = pytest.StashKey[list[int]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_HOSTILE] = [0]


@pytest.fixture(scope="session")
def hostile_tally(request: pytest.FixtureRequest) -> list[int]:
    """A one-cell tally the hostile suites add the inputs they try to."""
    return request.config.stash[_HOSTILE]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tried = terminalreporter.config.stash.get(_HOSTILE, [0])[0]
    if tried:
        terminalreporter.write_line(f"hostile inputs tried: {tried}")


@pytest.fixture(scope="session")
def cal() -> WorkingCalendar:
    """The default civil-service calendar (Asia/Jakarta), built once per test session."""
    return WorkingCalendar.indonesia()


@pytest.fixture(scope="session")
def cal_wita(cal: WorkingCalendar) -> WorkingCalendar:
    return cal.in_zone("Asia/Makassar")


# ---------------------------------------------------------------- SQL store: a real PostgreSQL


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session; its SQLAlchemy URL.

    In CI (CI=true) a missing server is a failure; elsewhere the PostgreSQL tests skip.
    """
    from migrantcare.sql.testing import TemporaryPostgres, find_postgres_bin  # noqa: PLC0415

    bin_dir = find_postgres_bin()
    if bin_dir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must run every PostgreSQL test)")
        pytest.skip(reason)
    with TemporaryPostgres(bin_dir, durable=False) as server:
        yield server.url


@pytest.fixture(scope="module")
def pg_engine(pg_url: str) -> Iterator[sa.Engine]:
    """An engine on the session's PostgreSQL with the store's tables, per test module."""
    import sqlalchemy as sa  # noqa: PLC0415 - only the PostgreSQL tests need it

    from migrantcare.sql import create_all  # noqa: PLC0415

    engine = sa.create_engine(pg_url)
    create_all(engine)
    yield engine
    engine.dispose()
