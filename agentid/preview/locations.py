"""Where in the repository a violation should point a reviewer.

A resource that belongs to an agent points at that agent's declaration in the
stack's agent file (the line of its list item). Anything else, a hand-written
resource or a stack-level violation, points at the code that declared it: the
source position the Pulumi SDK reports for the resource when that file is in the
project, else the program's line where the resource's class is called with its
name (or where the name first appears as a string literal), else line 1.
"""

from __future__ import annotations

import re
from pathlib import Path

from agentid.preview.runner import PreviewResult


def location_of(result: PreviewResult, urn: str) -> tuple[str, int]:
    """(path relative to the project root, 1-based line) for a resource URN ("" for the stack)."""
    project = result.project
    agent = result.agent_of.get(urn) if urn else None
    if agent and result.inventory is not None and result.agents_file:
        names = {a.name for a in result.inventory.inventory.agents}
        if agent in names:
            return result.agents_file, result.inventory.agent_line(agent)
    program = project.program_file if project else Path("stacks/__main__.py")
    resource = result.resource(urn) if urn else None
    if resource and project and resource.source_file and _inside(Path(resource.source_file), project.root):
        return project.relative(resource.source_file), resource.source_line or 1
    line = _declaration_line(str(program), resource.type, resource.name) if resource else 1
    return (project.relative(program) if project else program.as_posix()), line


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve()) and path.is_file()


def _declaration_line(path: str, type_token: str, name: str) -> int:
    """The line of `Kind("name"` (the resource's class called with its name), else of the first "name" literal."""
    from agentid_components import input_limits

    try:  # the program is the pull request's: a FIFO or a device in its place must not hang the report
        text = input_limits.read_bytes(path, input_limits.AGENT_FILE.max_bytes, "program").decode("utf-8", errors="replace")
    except input_limits.InputRefused:
        return 1
    kind = type_token.rsplit(":", 1)[-1]
    literal = r"""(["'])""" + re.escape(name) + r"\1"
    match = re.search(r"\b" + re.escape(kind) + r"\(\s*" + literal, text) or re.search(literal, text)
    return text.count("\n", 0, match.start()) + 1 if match else 1
