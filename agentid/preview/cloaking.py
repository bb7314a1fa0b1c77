"""Where the judged program's source asks whether it runs at preview: the plain spellings of cloaking.

A program that branches on "is this a preview?" can register clean resources under every preview (the
gate's and the real `pulumi preview --policy-pack` alike: `is_dry_run()` is true in both) and different
ones at `pulumi up`. No preview-time gate can see what such a branch registers at the update; the same pack
judges it there (`pulumi up --policy-pack`, docs/preview.md). What the gate can do is say so: it reads the
project's Python files (never runs them) and lists each line that
  - calls or names `is_dry_run` (`pulumi.runtime.is_dry_run()`, `pulumi.runtime.settings.is_dry_run`,
    `from pulumi.runtime import is_dry_run`, `getattr(runtime, "is_dry_run")`) or the settings' `dry_run`;
  - names an environment variable the engine sets only at a real run or a deployment:
    PULUMI_DRY_RUN (the language host's flag), PULUMI_ACCESS_TOKEN and PULUMI_BACKEND_URL (the CLI's login,
    absent in the gate's environment and present at `pulumi up`).
The findings are advisory (a report section, JSON `cloaking`, SARIF notifications): many programs use
`is_dry_run()` honestly (skip a slow lookup, log), and a verdict the program's wording could flip would let
the judged input steer the judge the other way. But when the program asks about the dry run itself
(is_dry_run, dry_run, PULUMI_DRY_RUN), the gate also runs it as `pulumi up` does (`is_dry_run()` false,
same mocks) and judges what only that run registers (`with_update_run`); a resource both runs register with
different inputs is no verdict. Not caught (documented): computed spellings
(`getattr(pulumi.runtime, "is_" + "dry_run")`, `os.environ` scanned in a loop), probing the network (the
sandbox has none; `pulumi up` has), the clock, the mock ids, or code outside the project's tree.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

_SPELLINGS = re.compile(r"\b(is_dry_run|dry_run|PULUMI_DRY_RUN|PULUMI_ACCESS_TOKEN|PULUMI_BACKEND_URL)\b")
_WHY = {
    "is_dry_run": "asks whether this is a preview (pulumi.runtime.is_dry_run)",
    "dry_run": "reads the runtime's dry_run setting",
    "PULUMI_DRY_RUN": "reads PULUMI_DRY_RUN (set only by the engine: preview or update)",
    "PULUMI_ACCESS_TOKEN": "reads PULUMI_ACCESS_TOKEN (the CLI's login: present at `pulumi up`, not in the gate)",
    "PULUMI_BACKEND_URL": "reads PULUMI_BACKEND_URL (the CLI's backend: present at `pulumi up`, not in the gate)",
}
_DRY_RUN_WHY = tuple(_WHY[name] for name in ("is_dry_run", "dry_run", "PULUMI_DRY_RUN"))
_SKIPPED_DIRS = frozenset({".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages",
                           ".tox", ".nox", ".mypy_cache", ".pytest_cache", "build", "dist"})
MAX_FILES = 5000  # a project's own Python files; beyond this the scan says it stopped
MAX_FILE_BYTES = 2 * 1024 * 1024  # a larger file is generated code or data, not read


def scan(root: Path, exclude: tuple[Path, ...] = ()) -> list[str]:
    """One advisory line per finding, `FILE:LINE: <what> : <why it matters>`, FILE relative to `root`.

    `exclude`: directories not to read (the kit's own installed packages when the project is the kit itself).
    Bounded: at most MAX_FILES files of at most MAX_FILE_BYTES each; unreadable files are skipped.
    """
    excluded = {path.resolve() for path in exclude}
    findings: list[str] = []
    for count, file in enumerate(_python_files(root.resolve(), excluded)):
        if count >= MAX_FILES:
            findings.append(f"{MAX_FILES} Python files read; the rest of the project was not searched for cloaking")
            break
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                continue
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        relative = file.relative_to(root.resolve()).as_posix()
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            for name in dict.fromkeys(_SPELLINGS.findall(line)):
                findings.append(f"{relative}:{number}: {_WHY[name]}: resources registered at `pulumi up` may differ "
                                "from what the gate judged; review the branch (the update's policy check judges it)")
    return findings


def _python_files(root: Path, excluded: set[Path]):
    for directory, subdirectories, files in os.walk(root):
        here = Path(directory)
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIPPED_DIRS and (here / d) not in excluded
                                   and not (here / d / "pyvenv.cfg").exists() and not (here / d).is_symlink())
        for name in sorted(files):
            if name.endswith(".py"):
                yield here / name


def asks_dry_run(findings: list[str]) -> bool:
    """Does a finding of `scan` say the program asks the SDK (or the engine's variable) whether it is a dry run?"""
    return any(why in finding for finding in findings for why in _DRY_RUN_WHY)


def with_update_run(preview: Any, update: Any) -> tuple[Any, str]:
    """The preview run's outcome plus the resources only the `pulumi up`-like run registered, and a report line.

    `preview`, `update`: program.ProgramOutcome of the same program with is_dry_run() true and false. A resource
    both register (same URN) with other inputs is program.ProgramError: the gate cannot say which one the
    update creates, so no verdict.
    """
    from agentid.preview.program import ProgramError

    seen = {resource.urn: resource for resource in preview.resources}
    changed = sorted(r.name for r in update.resources if r.urn in seen and r.inputs != seen[r.urn].inputs)
    if changed:
        raise ProgramError(f"the program registers {len(changed)} resource(s) with other inputs when is_dry_run() is "
                           f"false (as at `pulumi up`) than at preview: {', '.join(changed[:10])}; the gate cannot "
                           "judge what the update creates: no verdict")
    added = [r for r in update.resources if r.urn not in seen]
    shown = ", ".join(f"{r.name} ({r.type})" for r in added[:10]) + (" ..." if len(added) > 10 else "")
    note = ("the program also ran as at `pulumi up` (is_dry_run() false): "
            + (f"{len(added)} resource(s) registered only there were judged too: {shown}" if added
               else "it registered the same resources"))
    return replace(preview, resources=sorted([*preview.resources, *added], key=lambda r: r.urn),
                   invokes=[*preview.invokes, *(t for t in update.invokes if t not in preview.invokes)],
                   out_of_band=[*preview.out_of_band, *update.out_of_band],
                   out_of_band_dropped=preview.out_of_band_dropped + update.out_of_band_dropped), note
