from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from migrantcare import WorkingCalendar

# Timing belongs in benchmarks/, not in tests: no per-example deadline, so a slow or
# busy CI machine cannot turn a correct property into a flaky failure.
settings.register_profile(
    "migrantcare", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("migrantcare")


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
