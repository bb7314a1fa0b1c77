"""The suite holds with today moved two years ahead: no test, and not the example stack, is a time bomb.

The pinned date (tests/conftest.py) moves with `--shift-today DAYS`. This runs a representative subset
(validate, inventory, the dev stack's program, preview with the real pack, revoke and audit against moto)
in a child pytest two years (730 days) later. The whole suite runs that way with
`python -m pytest --shift-today 730` (or AGENTID_TEST_SHIFT_DAYS=730).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBSET = [
    "tests/spec/test_cli.py",
    "tests/test_dev_stack.py",
    "tests/runtime/test_overdue_fleet.py",
    "tests/runtime/test_revoke.py",
    "tests/preview/test_agent_guard_gate.py::test_the_example_dev_stack_passes",
]


def test_a_representative_subset_passes_two_years_from_now():
    missing = [path for path in SUBSET if not (ROOT / path.split("::")[0]).is_file()]
    assert missing == []
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                          "--shift-today", "730", *SUBSET], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_shift_today_moves_the_date_every_command_sees(today):
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                          "--shift-today", "730", "tests/test_time_travel.py::test_pinned_today_is_visible"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "EXPECTED_TODAY": str(today.toordinal() + 730)})
    assert run.returncode == 0, run.stdout[-2000:]


def test_pinned_today_is_visible(today):
    import datetime as dt
    import os

    from agentid.today import today as current

    expected = os.environ.get("EXPECTED_TODAY")
    if expected:
        assert current() == today == dt.date.fromordinal(int(expected))
    else:
        assert current() == today
