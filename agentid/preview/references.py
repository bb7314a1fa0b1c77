"""Answers to a program's `pulumi.StackReference` reads, offline: the referenced stack's own preview outputs.

With the Pulumi engine, `StackReference("org/project/stack")` reads the outputs
of that stack's last deployment. The gate has no deployment to read, so it
previews the referenced stack too: it runs that stack's program under the same
mock engine (`program.run_isolated`) and answers with the outputs it exports, as
`pulumi stack output --json` would show them after a deployment (values computed
at deployment are the mocks' placeholders, or unknown). A deployed stack's real
outputs can be given instead (`--stack-outputs NAME=FILE`, the JSON of
`pulumi stack output --json --show-secrets`).

Which project a name means (Pulumi's `org/project/stack`, `project/stack` or
`stack`): the project being previewed when the project part is missing or is
its own name, else a project directory given with `--reference-project DIR`
whose Pulumi.yaml has that name. The referenced stack is not judged here (its
own `agentid preview --stack` does that); a reference that cannot be answered,
a program that fails, or a cycle of references fails the preview: a program
never runs with made-up inputs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentid.preview.stack_config import ConfigError, Project, find_project, load_stack_config
from agentid_components import input_limits

_NAME_PART = re.compile(r"^(?!\.+$)[A-Za-z0-9_.-]{1,100}$")  # Pulumi's organization, project and stack names
MAX_DEPTH = 4  # a platform stack referencing a network stack is two; more is a loop in disguise
OUTPUTS_FILE = input_limits.Limits(max_bytes=4 * input_limits.MiB)


class UnresolvedReference(Exception):
    """A stack reference the gate cannot answer; the message names the reference and what would work."""


@dataclass(frozen=True)
class ReferencedStack:
    """What a StackReference read returns: the stack's outputs and which of them are secrets."""

    name: str
    outputs: dict[str, Any]
    secret_output_names: tuple[str, ...] = ()
    source: str = ""  # how it was answered: "preview of PROJECT/STACK" or the outputs file


@dataclass
class StackReferences:
    """Resolves StackReference names for one program run (thread-safe; each stack is previewed at most once)."""

    project: Project
    timeout: float = 300.0
    reference_projects: Sequence[Path] = ()  # other projects' directories (Pulumi.yaml in them or above)
    outputs_files: Mapping[str, Path] = field(default_factory=dict)  # reference name -> JSON file of outputs
    chain: tuple[str, ...] = ()  # the stacks whose programs are waiting on this one (cycle detection)
    answered: dict[str, ReferencedStack] = field(default_factory=dict)  # name -> answer, for the report
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, name: str) -> ReferencedStack:
        with self._lock:
            if name not in self.answered:
                self.answered[name] = self._resolve(name)
            return self.answered[name]

    def _resolve(self, name: str) -> ReferencedStack:
        if name in self.outputs_files:
            return _from_file(name, self.outputs_files[name])
        project, stack = self._locate(name)
        key = f"{project.name}/{stack}"
        if key in self.chain:
            raise UnresolvedReference(f"stack reference cycle: {' -> '.join((*self.chain, key))}")
        if len(self.chain) >= MAX_DEPTH:
            raise UnresolvedReference(f"stack reference {name!r}: more than {MAX_DEPTH} stacks deep "
                                  f"({' -> '.join((*self.chain, key))})")
        from agentid.preview.program import ProgramError, run_isolated

        try:
            from agentid.preview import startup_code

            startup_code.check(project)  # its program runs too: a committed virtualenv's start-up code (r21-7)
            config = load_stack_config(project, stack)
        except ConfigError as error:
            raise UnresolvedReference(f"stack reference {name!r}: {error}") from None
        nested = StackReferences(project, self.timeout, self.reference_projects, self.outputs_files,
                                 (*self.chain, key))
        try:
            outcome = run_isolated(project, stack, config.values, timeout=self.timeout, stack_references=nested)
        except (ProgramError, ConfigError) as error:
            reason = error.reason if isinstance(error, ProgramError) else str(error)
            problems = "".join(f"\n  {problem}" for problem in getattr(error, "spec_problems", [])[:20])
            raise UnresolvedReference(f"stack reference {name!r}: the preview of {key} failed: {reason}{problems}") from None
        return ReferencedStack(name, outcome.stack_output_values, outcome.secret_output_names,
                               f"preview of {key} ({project.relative(project.program_file)})")

    def _locate(self, name: str) -> tuple[Project, str]:
        parts = name.split("/")
        if not 1 <= len(parts) <= 3 or not all(_NAME_PART.match(part) for part in parts):
            raise UnresolvedReference(f"stack reference {name!r} is not a stack name: expected ORG/PROJECT/STACK, "
                                  "PROJECT/STACK or STACK")
        stack = parts[-1]
        wanted = parts[-2] if len(parts) >= 2 else self.project.name
        if wanted == self.project.name:
            return self.project, stack
        known = []
        for directory in self.reference_projects:
            try:
                candidate = find_project(directory)
            except ConfigError as error:
                raise UnresolvedReference(f"--reference-project {directory}: {error}") from None
            if candidate.name == wanted:
                return candidate, stack
            known.append(candidate.name)
        given = f"given: {', '.join(known)}" if known else "none given"
        raise UnresolvedReference(f"stack reference {name!r} names project {wanted!r}, which is not this project "
                              f"({self.project.name}): pass its directory with --reference-project DIR ({given}), "
                              f"or its deployed outputs with --stack-outputs {name}=FILE")


def _from_file(name: str, file: Path) -> ReferencedStack:
    """`pulumi stack output --json --show-secrets` of a deployed stack: a JSON object of output name -> value."""
    try:
        outputs = input_limits.json_document(input_limits.read_text(file, OUTPUTS_FILE.max_bytes, "stack outputs"),
                                             str(file), OUTPUTS_FILE)
    except (input_limits.InputRefused, ValueError) as refused:
        raise UnresolvedReference(f"--stack-outputs {name}={file}: {refused}") from None
    if not isinstance(outputs, dict):
        raise UnresolvedReference(f"--stack-outputs {name}={file}: expected a JSON object of output name -> value "
                              "(pulumi stack output --json --show-secrets)")
    return ReferencedStack(name, outputs, (), f"outputs file {file}")


def parse_outputs_options(values: Sequence[str]) -> dict[str, Path]:
    """`NAME=FILE` pairs of --stack-outputs; ConfigError for anything else."""
    pairs: dict[str, Path] = {}
    for value in values:
        name, sep, file = value.partition("=")
        if not sep or not name or not file:
            raise ConfigError(f"--stack-outputs {value!r}: expected NAME=FILE, e.g. acme/platform/prod=platform.json")
        pairs[name] = Path(file)
    return pairs
