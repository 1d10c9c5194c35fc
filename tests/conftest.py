from __future__ import annotations

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
