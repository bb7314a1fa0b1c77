"""agentid.today: the injectable date every dated check uses."""

from __future__ import annotations

import datetime as dt

import pytest

from agentid.today import today


def test_the_override_wins_then_the_environment_then_the_utc_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTID_TODAY", "2030-02-03")
    assert today("2031-01-01") == dt.date(2031, 1, 1)
    assert today() == dt.date(2030, 2, 3)
    monkeypatch.delenv("AGENTID_TODAY")
    before = dt.datetime.now(dt.timezone.utc).date()
    read = today()
    assert read in (before, dt.datetime.now(dt.timezone.utc).date())  # UTC midnight may pass between the readings


@pytest.mark.parametrize("value", ["tomorrow", "2030-13-01", "03/02/2030"])
def test_a_value_that_is_not_a_date_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AGENTID_TODAY", value)
    with pytest.raises(ValueError, match=f"AGENTID_TODAY: '{value}' is not a date"):
        today()
