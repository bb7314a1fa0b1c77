"""`--name-suffix`: the stack's name suffix, for commands that name an agent's live cloud objects.

Components end physical names in the stack's suffix (`agentid_components.naming`), so a command that looks a
role up by name (revoke, audit) must know it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer



def _suffix_option(default: str) -> Any:
    return Annotated[str | None, typer.Option(
        "--name-suffix", metavar="SUFFIX", show_default=False,
        help="The stack's name suffix in its physical names (config nameSuffix; by default the stack name, e.g. dev). "
             f"'' for roles named without one. Default: the name_suffix a JSON inventory (`agentid inventory --stack "
             f"NAME --format json`) records, else {default}.")]


NameSuffixOption = _suffix_option("''")
# For a command that names the agent's role from --inventory alone (`agentid credential`): no silent '' default.
RoleSuffixOption = _suffix_option("the suffix of the stack whose agent file --inventory is (as `agentid inventory` "
                                  "finds it)")


def checked_suffix(value: str, error: type[Exception]) -> str:
    """`value` if it is a valid suffix, else `error` with a one-line message naming --name-suffix."""
    from agentid_components import naming

    try:
        return naming.check_suffix(value)
    except naming.NameSuffixError as problem:
        raise error(str(problem).replace("nameSuffix", "--name-suffix")) from None


def suffix_in_force(value: str | None, inventory: Path, error: type[Exception]) -> str:
    """`value` checked; if not given, the `name_suffix` the JSON inventory `inventory` records (`agentid inventory`
    writes the stack's), else '' (an agent file says nothing about the stack)."""
    if value is None:
        value = _recorded_suffix(inventory)
    return checked_suffix(value, error)


def role_suffix(value: str | None, inventory: Path, error: type[Exception]) -> str:
    """The suffix that names an agent's live objects for a command given only `--inventory` (`agentid credential`):
    `value` checked; else what the JSON inventory records; else, as `agentid inventory` does, the suffix of the one
    stack (of the Pulumi project holding the file) whose agent file it is; else `error` asking for --name-suffix
    (a guess would name another role: agent-AGENT instead of the stack's agent-AGENT-dev)."""
    if value is None:
        value = _recorded_suffix(inventory) if inventory.suffix.lower() == ".json" else None
    if value is None:
        value, why_not = stack_suffix_of_file(inventory)
        if value is None:
            raise error(f"{inventory}: the agent's role name ends in its stack's name suffix, and {why_not}: pass "
                        "--name-suffix SUFFIX (config nameSuffix, by default the stack name, e.g. dev; '' for names "
                        "without one) or --role-arn")
    return checked_suffix(value, error)


def stack_suffix_of_file(file: Path) -> tuple[str | None, str]:
    """(the name suffix of the one stack of the Pulumi project holding `file` whose agent file is `file`, "") or
    (None, why there is no one suffix, as a phrase)."""
    from agentid.preview.stack_config import ConfigError, find_project, load_stack_config, stack_agents_file, stack_name_suffix

    by_stack: dict[str, str] = {}
    try:
        project = find_project(file.parent)  # the project holding the file, wherever the command runs
        for stack_file in sorted(project.config_dir.glob("Pulumi.*.yaml")):
            config = load_stack_config(project, stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml"))
            if stack_agents_file(project, config).resolve() == file.resolve():
                by_stack[config.stack] = stack_name_suffix(config)
    except ConfigError:
        by_stack = {}  # no project here, or one that cannot be read: nothing to infer from
    if len(set(by_stack.values())) == 1:
        return next(iter(by_stack.values())), ""
    return None, (f"stacks {', '.join(sorted(by_stack))} all use it with different suffixes" if by_stack
                  else "no stack of a Pulumi project holding it uses it")


def _recorded_suffix(inventory: Path) -> str:
    import json

    from agentid_components import input_limits
    from agentid_components.inventory import is_inventory_json

    if inventory.suffix.lower() != ".json":
        return ""
    try:
        document = json.loads(input_limits.read_text(inventory, 64 * input_limits.MiB, "inventory"))
    except (input_limits.InputRefused, ValueError):
        return ""  # the loader reports an unreadable inventory with its own message
    recorded = document.get("name_suffix") if is_inventory_json(document) else None
    return recorded if isinstance(recorded, str) else ""
