"""Today's date, injectable so that dated checks (waiver expiry, review dates) are testable and reproducible.

`AGENTID_TODAY=YYYY-MM-DD` (or a command's `--today`) fixes the date; otherwise it is
today's date in UTC, the same everywhere a CI runner happens to be.
"""

from __future__ import annotations

import datetime as dt
import os

ENV_VAR = "AGENTID_TODAY"


def today(override: str | dt.date | None = None) -> dt.date:
    """`override` (a date or ISO text), else $AGENTID_TODAY, else the UTC date; ValueError names a bad value."""
    if isinstance(override, dt.date):
        return override
    text = override or os.environ.get(ENV_VAR)
    if not text:
        return dt.datetime.now(dt.timezone.utc).date()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        source = "--today" if override else ENV_VAR
        raise ValueError(f"{source}: {text!r} is not a date (YYYY-MM-DD)") from None
