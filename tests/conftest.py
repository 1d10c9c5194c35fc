from __future__ import annotations

import pytest

from migrantcare import WorkingCalendar


@pytest.fixture(scope="session")
def cal() -> WorkingCalendar:
    """The default civil-service calendar (Asia/Jakarta), built once per test session."""
    return WorkingCalendar.indonesia()


@pytest.fixture(scope="session")
def cal_wita(cal: WorkingCalendar) -> WorkingCalendar:
    return cal.in_zone("Asia/Makassar")
