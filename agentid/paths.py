"""Command-line file arguments: a directory stands for the matching files under it.

`agentid validate stacks/agents` and `agentid lint policies/` walk the
directory (sorted, hidden directories and virtualenvs skipped); a file named
explicitly is always taken, whatever its extension.
"""

from __future__ import annotations

import os
from fnmatch import fnmatch
from collections.abc import Iterable
from pathlib import Path

_SKIPPED_DIRS = {"node_modules", "__pycache__", "site-packages"}


def expand(arguments: Iterable[Path], suffixes: tuple[str, ...], ignore: tuple[str, ...] = ()) -> list[Path]:
    """Files named, plus every file ending in one of `suffixes` under each directory named (sorted, deduplicated).

    `ignore`: file-name patterns (fnmatch) a directory walk skips, e.g. Pulumi's own YAML files.
    """
    found: list[Path] = []
    for argument in arguments:
        if not argument.is_dir():
            found.append(argument)
            continue
        matches = []
        for root, dirs, files in os.walk(argument):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS]
            matches += [Path(root) / name for name in files
                        if name.lower().endswith(suffixes) and not any(fnmatch(name, p) for p in ignore)]
        found += sorted(matches)
    seen: set[Path] = set()
    return [path for path in found if not (path in seen or seen.add(path))]
