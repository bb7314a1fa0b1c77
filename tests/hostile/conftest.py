"""Report the worst time and memory seen on the hostile corpus (issue 13 asks for both figures)."""

from __future__ import annotations

from tests.hostile.corpus import WORST


def pytest_terminal_summary(terminalreporter):
    for command, worst in sorted(WORST.items()):
        seconds, slow = worst["seconds"]
        cpu, busy = worst["cpu_seconds"]
        megabytes, big = worst["rss_mb"]
        terminalreporter.write_line(f"hostile corpus, agentid {command}: worst time {seconds:.2f} s ({slow}); "
                                    f"worst CPU time {cpu:.2f} s ({busy}); worst peak memory {megabytes:.0f} MB ({big})")
