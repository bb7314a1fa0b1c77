"""Print the README's quick-start commands, one a line: what .ci/run executes, exactly as written.

The commands are the non-comment lines of the first ```bash block under "## Quick start" in
README.md: the first installs the project without extras and runs the offline gate, the second
installs the test tools and runs the tests. Exit 2 when the README does not hold exactly two.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def quick_start_commands(readme: str) -> list[str]:
    """The command lines of the first bash block after the "## Quick start" heading (empty if none)."""
    _, found, section = readme.partition("\n## Quick start")
    block = re.search(r"^```bash\n(.*?)^```", section, re.S | re.M) if found else None
    if block is None:
        return []
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


if __name__ == "__main__":
    commands = quick_start_commands(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md").read_text(encoding="utf-8"))
    if len(commands) != 2:
        print(f"README.md quick start: expected 2 commands, found {len(commands)}: {commands}", file=sys.stderr)
        sys.exit(2)
    print("\n".join(commands))
