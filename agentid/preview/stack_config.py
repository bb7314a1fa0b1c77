"""Read a Pulumi project and one stack's config the way the Pulumi CLI does, without the CLI.

* The project is the nearest directory holding `Pulumi.yaml` (or `Pulumi.yml`);
  `main` names the program directory or file and `stackConfigDir` the directory of the
  `Pulumi.<stack>.yaml` files (both default to the project root). Project-file keys that
  change what `pulumi up` runs are checked by `project_runtime`.
* Config values reach the program as strings, exactly as `pulumi up` passes them
  (`config_values`): a stack file's scalar as its source text (`on`, `0x1F`,
  `1.50` stay so), lists and mappings as JSON of the values Pulumi's YAML reader
  types; bare keys in the project's namespace, `ns:config:key` is `ns:key`.
  Project-level `config:` in `Pulumi.yaml` (plain values, or the `default`/`value`
  of a declaration, typed or not) applies to every stack; the stack file overrides it.
* `secure:` values cannot be decrypted offline: the program gets a fixed
  placeholder and the key is listed in `StackConfig.secret_keys`.
* Only `runtime: python` projects are judged, and a stack importing Pulumi ESC
  environments (`environment:`) is refused: in both cases `pulumi up` would run
  a program or config the gate cannot see (ConfigError, exit 2).
* Policy-pack config is not part of stack config in Pulumi (the CLI takes it
  from `--policy-pack-config FILE`). A stack may carry it under the key
  `agentid:policyPackConfig`: a mapping from pack name to the same JSON object
  `--policy-pack-config` reads. See docs/preview.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agentid.preview import config_values
from agentid_components import input_limits

# Pulumi's own order (sdk/go/common/encoding: .json, .yaml, .yml); the stack files take the project file's extension
# (sdk/go/common/workspace/paths.go: "Pulumi.<stack>" + the project file's extension)
PROJECT_FILES = ("Pulumi.json", "Pulumi.yaml", "Pulumi.yml")
POLICY_PACK_CONFIG_KEY = "agentid:policyPackConfig"
KIT_NAMESPACE = "agent-identity-kit"  # agentid_components.settings.NAMESPACE (not imported: it loads pulumi)
SECRET_PLACEHOLDER = "[secret: not decrypted by agentid preview]"


class ConfigError(Exception):
    """The project or the stack config cannot be read: exit code 2."""


@dataclass(frozen=True)
class Project:
    root: Path  # the directory holding Pulumi.yaml
    file: Path
    name: str
    main_dir: Path  # the program's directory, Pulumi's `pwd`: `main` when it is a folder, else the folder holding it
    config_dir: Path  # where Pulumi.<stack>.yaml live (`stackConfigDir`)
    config: dict[str, Any] = field(default_factory=dict)  # project-level `config:` block
    runtime: Any = None  # `runtime:` as written: "python", or {name: python, options: {...}}
    main_file: Path | None = None  # `main` when it names a file (Pulumi runs that file); None: main_dir/__main__.py
    backend: Any = None  # `backend:` as written ({url: ...}): judged by project_runtime.require_trusted_backend

    @property
    def program_file(self) -> Path:
        return self.main_file or self.main_dir / "__main__.py"

    @property
    def program_argument(self) -> str:
        """The PROGRAM Pulumi hands its exec script, relative to `main_dir` (pulumi/pulumi pkg/engine/project.go
        getPwdMain): `.` for a folder (runpy.run_path puts it first on sys.path and runs its __main__.py), the
        file's name for a file (run_path runs it and leaves sys.path alone)."""
        return "." if self.main_file is None else self.main_file.name

    def relative(self, path: str | Path) -> str:
        """A path as the repository sees it (POSIX, relative to the project root when inside it)."""
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def stack_file(self, stack: str) -> Path:
        """Pulumi.<stack> with the project file's extension, as `pulumi up` reads it (a Pulumi.yml project's
        stack file is Pulumi.dev.yml: a Pulumi.dev.yaml beside it is not the stack's config)."""
        return self.config_dir / f"Pulumi.{stack}{self.file.suffix}"


@dataclass(frozen=True)
class StackConfig:
    stack: str
    file: Path
    values: dict[str, str]  # fully qualified keys (`ns:key`) -> string values, as the program sees them
    secret_keys: tuple[str, ...]
    raw: dict[str, Any]  # fully qualified keys -> values as written (objects kept), for policy-pack config

    def policy_pack_config(self, pack_name: str, pack_dir_name: str) -> dict[str, Any] | None:
        """The stack's config for one pack (`agentid:policyPackConfig.<pack>`), by pack name or directory name."""
        carried = self.raw.get(POLICY_PACK_CONFIG_KEY)
        if carried is None:
            return None
        if not isinstance(carried, dict):
            raise ConfigError(f"{self.file}: {POLICY_PACK_CONFIG_KEY} must be a mapping from policy pack name to its config")
        for key in (pack_name, pack_dir_name):
            if key in carried:
                value = carried[key]
                if not isinstance(value, dict):
                    raise ConfigError(f"{self.file}: {POLICY_PACK_CONFIG_KEY}.{key} must be a mapping of policy name to config")
                return value
        return None


def find_project(start: str | Path | None = None) -> Project:
    """The project holding `start` (default: the working directory), found by walking up to Pulumi.yaml."""
    here = Path(start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        found = [directory / name for name in PROJECT_FILES if (directory / name).is_file()]
        if len(found) > 1:
            # Pulumi takes the first; a second beside it (a harmless Pulumi.yaml next to a Pulumi.json naming
            # another `main`) would show a reviewer, or another tool, a different program than the one deployed
            raise ConfigError(f"{directory}: {' and '.join(f.name for f in found)} are both project files: Pulumi "
                              f"reads {found[0].name} only; keep one")
        if found:
            return load_project(found[0])
    raise ConfigError(f"no Pulumi.yaml in {here} or any parent directory: run agentid preview from the project")


def load_project(file: Path) -> Project:
    tree = _read_tree(file)
    document = _plain(tree, file)
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise ConfigError(f"{file}: a Pulumi project file needs a 'name'")
    root = file.parent
    main = root / str(document.get("main") or ".")
    config_dir = root / str(document.get("stackConfigDir") or ".")
    if not main.exists():
        raise ConfigError(f"{file}: main: {document.get('main')} does not exist")
    if not main.is_dir() and not main.is_file():
        raise ConfigError(f"{file}: main: {document.get('main')} is neither a folder nor a file")
    main_dir, main_file = (main, None) if main.is_dir() else (main.parent, main)
    project_config = document.get("config") or {}
    if not isinstance(project_config, dict):
        raise ConfigError(f"{file}: config must be a mapping")
    config_node = _mapping_entry(tree, "config")
    if config_node is not None:  # typed as Pulumi's YAML reader types it (`on` is text there, not a boolean)
        project_config = _go_typed(config_node, file)
    project = Project(root=root, file=file, name=document["name"], main_dir=main_dir, config_dir=config_dir,
                      config=project_config, runtime=document.get("runtime"), main_file=main_file,
                      backend=document.get("backend"))
    from agentid.preview import project_runtime  # it reads Project: imported here, not at the top

    project_runtime.check_project_file(project, document)
    return project


def require_python_runtime(project: Project) -> None:
    """The gate runs Python programs only. `pulumi up` runs whatever `runtime:` names (a string, or a mapping
    with `name` and `options`: https://www.pulumi.com/docs/iac/concepts/projects/project-file/#runtime-options),
    so judging the Python files beside a YAML, Node.js, Go, .NET or Java program would judge a program that is
    never deployed: no verdict instead (a project only referenced by a StackReference may be in any language).
    ConfigError when it is not Python."""
    runtime = project.runtime
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name == "python":
        from agentid.preview import project_runtime

        project_runtime.interpreter(project)  # a virtualenv the gate cannot run as `pulumi up` would: ConfigError
        project_runtime.require_no_shadowing_modules(project)
        return
    shown = "missing" if runtime is None else repr(name if isinstance(name, str) else runtime)
    raise ConfigError(f"{project.relative(project.file)}: runtime: {shown}: agentid preview runs Python programs only (runtime: python); "
                      "it cannot judge what `pulumi up` would run here: use `pulumi preview --policy-pack` with the "
                      "project's own language")


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """The config a `pulumi preview --stack <stack>` would hand the program."""
    file = project.stack_file(stack)
    if file.exists() and not file.is_file():
        raise ConfigError(f"{project.relative(file)}: stack {stack!r}: not a regular file (a directory, FIFO or device "
                          "cannot be a stack file)")
    if not file.is_file():
        ext = project.file.suffix
        found = sorted(p.name.removeprefix("Pulumi.").removesuffix(ext) for p in project.config_dir.glob(f"Pulumi.*{ext}"))
        hint = f"stacks found: {', '.join(found)}" if found else "no stack files found"
        raise ConfigError(f"no stack {stack!r}: {project.relative(file)} does not exist ({hint})")
    tree = _read_tree(file)
    document = _plain(tree, file) or {}
    if not isinstance(document, dict):
        raise ConfigError(f"{file}: a stack file is a mapping with a 'config:' key")
    if document.get("environment"):
        # Pulumi ESC: `pulumi up` merges the imported environments' `pulumiConfig` into this config
        # (https://www.pulumi.com/docs/esc/integrations/infrastructure/pulumi-iac/). Offline they cannot be
        # opened, and a program that reads them (creating an admin key only when they say so) would be judged
        # on config it never gets: no verdict rather than a verdict on a different program run.
        imported = document["environment"]
        names = ", ".join(map(str, imported)) if isinstance(imported, list) else "a Pulumi ESC environment"
        raise ConfigError(f"{project.relative(file)}: environment: the stack imports {names}; agentid preview cannot "
                          "open Pulumi ESC environments offline, so the config the program gets at `pulumi up` is "
                          "unknown here: give the gate's run a stack file with the values in `config:` (e.g. from "
                          "`esc env open`), or judge this stack with `pulumi preview --policy-pack`")
    stack_values = document.get("config") or {}
    if not isinstance(stack_values, dict):
        raise ConfigError(f"{file}: config must be a mapping")

    raw: dict[str, Any] = {}
    values: dict[str, str] = {}
    for key, entry in project.config.items():
        value = _project_config_value(project, str(key), entry)
        if value is not None:
            qualified = _parse_key(project, project.file, str(key), None)
            raw[qualified], values[qualified] = value, _as_config_string(value)

    secrets: list[str] = []
    seen: dict[str, int] = {}
    for key_node, value_node in _mapping_entry(tree, "config").value if stack_values else ():
        line = key_node.start_mark.line + 1
        qualified = _parse_key(project, file, key_node.value if isinstance(key_node, yaml.ScalarNode) else "", line)
        if qualified in seen:  # `ns:x` and the old spelling `ns:config:x` are one key for Pulumi
            raise ConfigError(f"{project.relative(file)}:{line}: config key {key_node.value!r} is the key "
                              f"{qualified!r} again (line {seen[qualified]}): keep one")
        seen[qualified] = line
        try:
            if config_values.is_secure(value_node):
                raw[qualified], values[qualified] = _plain(value_node, file), SECRET_PLACEHOLDER
                secrets.append(qualified)
            elif config_values.holds_secure(value_node):  # an object with secure leaves: a secret key as a whole
                raw[qualified] = _plain(value_node, file)
                values[qualified] = config_values.object_json(value_node, SECRET_PLACEHOLDER)
                secrets.append(qualified)
            elif isinstance(value_node, yaml.ScalarNode):
                raw[qualified] = _plain(value_node, file)
                values[qualified] = (config_values.go_string(config_values.go_scalar(value_node))
                                     if file.suffix == ".json" else config_values.scalar_text(value_node))
            else:
                raw[qualified] = config_values.go_value(value_node)
                values[qualified] = config_values.object_json(value_node)
        except ValueError as problem:
            raise ConfigError(f"{project.relative(file)}:{line}: config {key_node.value}: {problem}") from None
    return StackConfig(stack=stack, file=file, values=values, secret_keys=tuple(secrets), raw=raw)


def _parse_key(project: Project, file: Path, key: str, line: int | None) -> str:
    try:
        return config_values.parse_key(key, project.name)
    except ValueError as problem:
        where = f"{project.relative(file)}:{line}" if line else project.relative(file)
        raise ConfigError(f"{where}: config: {problem}") from None


def _mapping_entry(tree: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(tree, yaml.MappingNode):
        return None
    for key_node, value_node in tree.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _go_typed(node: yaml.Node, file: Path) -> Any:
    try:
        return config_values.go_value(node)
    except ValueError as problem:
        raise ConfigError(f"{file}:{node.start_mark.line + 1}: config: {problem}") from None


# The attributes of a project config declaration (Pulumi's ProjectConfigType, sdk/go/common/workspace/project.go;
# the project schema allows no others).
_DECLARATION_KEYS = frozenset({"type", "description", "items", "default", "value", "secret"})


def _project_config_value(project: Project, key: str, entry: Any) -> Any:
    """The value `pulumi up` gives the program for one entry of the project's `config:` block, or None.

    As Pulumi reads it (workspace.RewriteShorthandConfigValues and Project.Validate): a string, integer, boolean or
    list is shorthand (`default` for a key of the project's namespace, `value` for another namespace's); a mapping
    is ALWAYS a declaration, typed or not, whose `value` or `default` the program gets. So `mode: {default: x}`
    gives the program `x` even with no `type:`; reading such a mapping as the value itself would judge the program
    on config it never gets. What Pulumi refuses (unknown attributes, both `default` and `value`, a default on
    another namespace's key, a float) gets no verdict (ConfigError)."""
    where = f"{project.relative(project.file)}: config: {key}"
    own = ":" not in key or key.startswith(f"{project.name}:")
    if entry is None:
        return None
    if isinstance(entry, (str, bool, int, list)):
        return entry
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: {type(entry).__name__} is not a config value Pulumi accepts (a string, integer, "
                          "boolean, list, or a mapping with type/description/items/default/value/secret)")
    unknown = sorted(str(name) for name in entry if name not in _DECLARATION_KEYS)
    if unknown:
        raise ConfigError(f"{where}: {', '.join(unknown)} not allowed: a mapping in a project's config is a declaration "
                          "with type, description, items, default, value or secret (an object value goes under "
                          "`value:` or `default:`)")
    if entry.get("default") is not None and entry.get("value") is not None:
        raise ConfigError(f"{where}: cannot have both a 'default' and a 'value' attribute (Pulumi refuses the project)")
    if not own and ("type" in entry or entry.get("default") is not None):
        raise ConfigError(f"{where}: a key outside the project's namespace takes only `value:` (Pulumi refuses "
                          "`type:` and `default:` there)")
    return entry["value"] if entry.get("value") is not None else entry.get("default")


def stack_agents_file(project: Project, config: StackConfig) -> Path:
    """The stack's agent file as stacks/__main__.py finds it: config `agent-identity-kit:agentsFile` (the kit's
    namespace whatever the project is called), else agents/<stack>.yaml, beside the program (it may not exist: a
    platform stack has none)."""
    relative = config.values.get(f"{KIT_NAMESPACE}:agentsFile") or f"agents/{config.stack}.yaml"
    return project.main_dir / relative


def stack_name_suffix(config: StackConfig) -> str:
    """The name suffix the stack's physical names end in: config `agent-identity-kit:nameSuffix`, else the stack's
    name folded (`agentid_components.naming.stack_suffix`), as the components compute it; ConfigError if invalid."""
    from agentid_components import naming

    configured = config.values.get(f"{KIT_NAMESPACE}:nameSuffix")
    try:
        return naming.stack_suffix(config.stack) if configured is None else naming.check_suffix(configured)
    except naming.NameSuffixError as problem:
        raise ConfigError(f"{config.file}: {KIT_NAMESPACE}:{problem}") from None


def _as_config_string(value: Any) -> str:
    """A project-config value (typed as Pulumi's YAML reader types it) as the program gets it."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return config_values.go_string(value)


def _read_tree(file: Path) -> yaml.Node | None:
    """A project or stack file as YAML nodes, within `input_limits.STACK_FILE` (size, nesting, aliases)."""
    try:
        text = input_limits.read_text(file, input_limits.STACK_FILE.max_bytes, "Pulumi file")
        return input_limits.yaml_tree(text, str(file), input_limits.STACK_FILE)
    except input_limits.InputRefused as refused:
        raise ConfigError(str(refused)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(str(input_limits.InputRefused(str(file), mark.line + 1 if mark else 1,
                                                        f"invalid YAML: {problem}"))) from None


def _plain(node: yaml.Node | None, file: Path) -> Any:
    try:
        return None if node is None else input_limits.plain(node, str(file))
    except input_limits.InputRefused as refused:
        raise ConfigError(str(refused)) from None
