"""Every test runs with a pinned `today`, so no test depends on the date it runs on.

`AGENTID_TODAY` is set for the whole session (session fixtures, the CLI, the
stack program and the policy packs the tests start all read it). The pinned
date can be moved: `pytest --shift-today DAYS` (or `AGENTID_TEST_SHIFT_DAYS`)
runs the suite as if it were DAYS later, which is how the suite proves that the
example stack and the tests hold for years (tests/test_time_travel.py).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, settings

from agentid.today import ENV_VAR

PINNED_TODAY = dt.date(2026, 11, 28)  # the date the suite was written against; any date works
SHIFT_ENV = "AGENTID_TEST_SHIFT_DAYS"

# Hypothesis times every example on the wall clock: its default 200 ms deadline and its "too slow" health check
# fail a property test on a loaded shared machine for the load, not the code (a re-run that is fast then makes
# it report the test as Flaky). Speed is bench/'s; the property tests check properties.
settings.register_profile("agentid", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("agentid")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shift-today", type=int, default=int(os.environ.get(SHIFT_ENV) or 0), metavar="DAYS",
        help=f"run the suite with today = {PINNED_TODAY} + DAYS (default ${SHIFT_ENV} or 0)",
    )


def pinned_today(config: pytest.Config) -> dt.date:
    return PINNED_TODAY + dt.timedelta(days=config.getoption("--shift-today"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ[ENV_VAR] = pinned_today(config).isoformat()


@pytest.fixture(autouse=True)
def today(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """The pinned date, set again for every test (a test may move or clear it; monkeypatch restores it)."""
    day = pinned_today(request.config)
    monkeypatch.setenv(ENV_VAR, day.isoformat())
    return day
