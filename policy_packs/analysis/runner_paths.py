"""Which file paths in provider settings are the deploy runner's own (analysis/runner_paths.yaml, an allow-list).

Any path not listed for its kind may resolve into the change (`/proc/self/cwd/kc.yaml`, the CI checkout's absolute
path, a relative path, `..`): the gate cannot read it, so a rule reading it says "cannot check"."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml

DATA = Path(__file__).resolve().parent / "runner_paths.yaml"


@lru_cache(maxsize=1)
def kinds() -> dict[str, frozenset[str]]:
    return {kind: frozenset(paths) for kind, paths in data_yaml.load(DATA)["kinds"].items()}


def is_runner_path(kind: str, path: str) -> bool:
    """Whether `path` is one of the runner's documented default locations for `kind` (exact, spaces trimmed)."""
    return path.strip() in kinds()[kind]


def path_problem(kind: str, setting: str, path: str) -> str | None:
    """None for a runner location, else why `setting`'s path cannot be checked."""
    if is_runner_path(kind, path):
        return None
    return (f"{setting} names {path.strip()[:200]!r}, not one of the runner's own locations "
            f"({', '.join(sorted(kinds()[kind]))}): it may be the change's own file (a relative path, /proc/self/cwd, "
            "the CI checkout) and the gate cannot read it (cannot check)")
