from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from migrantcare import WorkingCalendar

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
