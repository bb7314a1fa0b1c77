"""Report the worst time and memory seen on the hostile corpus (issue 13 asks for both figures)."""

from __future__ import annotations

from tests.hostile.corpus import WORST


def pytest_terminal_summary(terminalreporter):
    if WORST:
        seconds, slow = WORST.get("seconds", (0.0, "-"))
        megabytes, big = WORST.get("rss_mb", (0.0, "-"))
        terminalreporter.write_line(f"hostile corpus: worst time {seconds:.2f} s ({slow}); "
                                    f"worst peak memory {megabytes:.0f} MB ({big})")
