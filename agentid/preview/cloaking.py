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
sandbox has none; `pulumi up` has), or code outside the project's tree.
Environment probes (red19 r19-6): a line that makes one of the cheap probes of `cloaking_probes.yaml` (data with
sources: /proc and the parent process, W_OK and statvfs, the Pulumi CLI's home and PATH, resource limits, network
interfaces, host name and user, the CI job's context variables, interpreter introspection, the mock account, dates
read from files) is reported too, advisory: the gate shows the checkout and home writable and a CLI home as a deploy
runner does (sandbox.writable), but what these probes read it cannot make the runner's.
Clock and chance (issue 11.3): a line that reads the wall clock (time.time/time_ns/localtime/gmtime/ctime/asctime/
strftime/clock_gettime, datetime/date now/utcnow/today, or imports those names) or draws randomness (random,
secrets, uuid1/uuid4, os.urandom/getrandom) is reported too; the gate then seeds the program's randomness alike in
every run and runs it again with the wall clock moved ahead (CLOCK_SHIFTS), judging what only a shifted run
registers and refusing a verdict when one resource's inputs differ (`with_clock_run`).
"""

from __future__ import annotations

import functools
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
# Reads of the wall clock or of chance that can steer what the program registers (issue 11.3, red13 r13-21: a
# policy that turns to `Action: "*"` once `time.time()` passes a cut-off a week after review). Calls, and imports
# of the clock's functions under another name; `random`, `secrets`, uuid1/uuid4 and os.urandom by name.
_CLOCK = re.compile(r"\.time\s*\(|\b(?:time_ns|localtime|gmtime|ctime|asctime|clock_gettime(?:_ns)?)\s*\("
                    r"|(?<![\w.])(?:time\.)?strftime\s*\(|\btime\.strftime\s*\(|\.(?:now|utcnow|today)\s*\("
                    r"|\bfrom\s+time\s+import\b.*\b(?:time|time_ns|localtime|gmtime|ctime|asctime|strftime)\b"
                    r"|\bfrom\s+datetime\s+import\b.*\b(?:datetime|date)\b"
                    # another name for the module (`import time as t; t.time()`), or all of it, or computed
                    r"|^\s*import\b.*\b(?:time|datetime)\s+as\b|\bfrom\s+(?:time|datetime)\s+import\s+\*"
                    r"|\b(?:__import__|import_module)\s*\(\s*[\"'](?:time|datetime)[\"']")
_CHANCE = re.compile(r"^\s*(?:from|import)\b.*\b(?:random|secrets)\b|\b(?:random|secrets)\.\w"
                     r"|\b(?:uuid1|uuid4|urandom|getrandom|SystemRandom)\b"
                     r"|\b(?:__import__|import_module)\s*\(\s*[\"'](?:random|secrets|uuid)[\"']")  # not "secrets" in prose
_CLOCK_WHY = "reads the wall clock (time/datetime): what it registers may change with the date it runs"
_CHANCE_WHY = "draws randomness (random/secrets/uuid/os.urandom): what it registers may change from run to run"
_DRY_RUN_WHY = tuple(_WHY[name] for name in ("is_dry_run", "dry_run", "PULUMI_DRY_RUN"))
_SKIPPED_DIRS = frozenset({".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages",
                           ".tox", ".nox", ".mypy_cache", ".pytest_cache", "build", "dist"})
PROBES = Path(__file__).with_name("cloaking_probes.yaml")  # probes of what the gate cannot show as a runner does
_PROBE_ADVICE = ": what it reads may differ at `pulumi up`, and what the program registers with it; review the branch " \
                "(the update's policy check judges it)"
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
            for why, pattern in probes():
                if pattern.search(line):
                    findings.append(f"{relative}:{number}: {why}{_PROBE_ADVICE}")
            for name in dict.fromkeys(_SPELLINGS.findall(line)):
                findings.append(f"{relative}:{number}: {_WHY[name]}: resources registered at `pulumi up` may differ "
                                "from what the gate judged; review the branch (the update's policy check judges it)")
            for why, pattern in ((_CLOCK_WHY, _CLOCK), (_CHANCE_WHY, _CHANCE)):
                if pattern.search(line):
                    findings.append(f"{relative}:{number}: {why}: the gate also ran the program with the clock moved "
                                    "ahead and randomness seeded alike; review the branch")
    return findings


@functools.cache
def probes() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(why, compiled pattern) of each probe in cloaking_probes.yaml."""
    from agentid_components import data_yaml

    return tuple((str(entry["why"]), re.compile(str(entry["pattern"]))) for entry in data_yaml.load(PROBES)["probes"])


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


def reads_clock_or_chance(findings: list[str]) -> bool:
    """Does a finding of `scan` say the program reads the wall clock or draws randomness?"""
    return any(why in finding for finding in findings for why in (_CLOCK_WHY, _CHANCE_WHY))


# How far ahead the clock-shifted runs move the wall clock: past any "a week (or a quarter) after review" cut-off,
# and past one years away. Positive only: the SDK's gRPC deadlines (time.time() + timeout) only get later.
CLOCK_SHIFTS = (("+400 days", 400 * 86400.0), ("+10 years", 3653 * 86400.0))
SEED = 20240611  # randomness of every run of a program that reads the clock or draws chance: the same draws


def with_clock_run(base: Any, shifted: Any, label: str) -> tuple[Any, str]:
    """The first run's outcome plus the resources only the clock-shifted run registered, and a report line.

    A resource both runs register (same URN) with other inputs is program.ProgramError naming the resource and
    the inputs that differ: the gate cannot say which one a later `pulumi up` creates, so no verdict.
    """
    from agentid.preview.program import ProgramError

    seen = {resource.urn: resource for resource in base.resources}
    changed = []
    for resource in shifted.resources:
        before = seen.get(resource.urn)
        if before is not None and resource.inputs != before.inputs:
            keys = sorted(k for k in {*resource.inputs, *before.inputs}
                          if resource.inputs.get(k, _MISSING) != before.inputs.get(k, _MISSING))
            changed.append(f"{resource.name} ({resource.type}) input(s) {', '.join(keys[:10])}")
    if changed:
        raise ProgramError(f"the program registers {len(changed)} resource(s) with other inputs when the wall clock "
                           f"reads {label} from now (as at a later `pulumi up`) than today: {'; '.join(changed[:10])}; "
                           "the gate cannot judge what a later update creates: no verdict")
    added = [r for r in shifted.resources if r.urn not in seen]
    shown = ", ".join(f"{r.name} ({r.type})" for r in added[:10]) + (" ..." if len(added) > 10 else "")
    note = (f"the program also ran with the wall clock {label} ahead: "
            + (f"{len(added)} resource(s) registered only there were judged too: {shown}" if added
               else "it registered the same resources"))
    return _merged(base, added, shifted), note


_MISSING = object()


def _merged(base: Any, added: list, other: Any) -> Any:
    return replace(base, resources=sorted([*base.resources, *added], key=lambda r: r.urn),
                   invokes=[*base.invokes, *(t for t in other.invokes if t not in base.invokes)],
                   reads=[*base.reads, *(r for r in other.reads if r not in base.reads)],
                   out_of_band=[*base.out_of_band, *other.out_of_band],
                   out_of_band_dropped=base.out_of_band_dropped + other.out_of_band_dropped)


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
    return _merged(preview, added, update), note
