"""Write docs/api.md, the Python API reference, from the docstrings and signatures of the public API.

    python docs/refresh_api.py          # rewrite docs/api.md
    python docs/refresh_api.py --check  # exit 1 if docs/api.md is stale (tests/test_api_reference.py does the same)

`PUBLIC` names what a consumer imports: the components and their settings for a
Pulumi program, the spec loader, the component package, the run-time broker
(`agentid.runtime.__all__`) and the rule registry a custom pack composes from.
A name listed here that has no docstring fails the test: public means documented.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import sys
import typing
from pathlib import Path
from typing import Any

from pulumi.provider.experimental.analyzer import Analyzer

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "api.md"

# (module, names, what the section is for); None: the module's __all__.
PUBLIC: list[tuple[str, list[str] | None, str]] = [
    ("agentid_components.fleet", ["AgentFleet"], "The component a Python Pulumi program declares."),
    ("agentid_components.aws.fleet", ["AwsSettings", "AwsAgents", "AwsComponentError"], "The AWS side of a fleet."),
    ("agentid_components.azure.fleet", ["AzureSettings", "AzureAgents"], "The Azure side of a fleet."),
    ("agentid_components.loader", ["load_inventory", "LoadedInventory", "SpecLoadError", "SpecError"],
     "Loading and validating an agent file (the keys: README, \"Agent spec reference\")."),
    ("agentid_components.platform", ["Platform", "PlatformOutputs", "platform_outputs", "PlatformError"],
     "The platform stack's shared objects, and the agent stacks' view of them."),
    ("agentid_components.platform_spec", ["parse_platform", "PlatformSpecError"],
     "The platform's settings (keys: the `PlatformSpec` model, or `agentid_components.package_types`)."),
    ("agentid_components.package", ["AgentFleet", "AgentFleetArgs", "AwsSettings", "AzureSettings", "Platform",
                                    "prepare", "prepare_platform", "main"],
     "The component package other Pulumi languages consume (`pulumi package add`); its args types are "
     "generated from the spec (`agentid_components.package_types`)."),
    ("agentid.runtime", None, "The run-time broker: per-tool, short-lived credentials for agent code."),
    ("agentid_policy_packs.rules.registry", ["RULES", "RULES_BY_ID"],
     "The rules the `agent_guard` pack is built from (README, \"Rule catalogue\")."),
]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "") if _own_doc(obj) else ""


def _own_doc(obj: Any) -> bool:
    """A class's docstring, not one inherited from a base such as pulumi.ComponentResource or Exception."""
    if not inspect.isclass(obj):
        return bool(obj.__doc__)
    return "__doc__" in obj.__dict__ and bool(obj.__dict__["__doc__"]) and not (
        dataclasses.is_dataclass(obj) and obj.__doc__.startswith(f"{obj.__name__}("))


def _signature(obj: Any, name: str) -> str:
    try:
        text = f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        return name
    return _ADDRESS.sub("", text)


def _quote(doc: str) -> list[str]:
    """The summary paragraph as prose; the rest verbatim (docstrings align tables and examples with spaces)."""
    if not doc:
        return []
    summary, _, rest = doc.partition("\n\n")
    return [summary, ""] + (["```text", rest.rstrip(), "```", ""] if rest.strip() else [])


def _methods(cls: type) -> list[str]:
    lines = []
    for name, member in cls.__dict__.items():
        if name.startswith("_"):
            continue
        function = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
        if isinstance(member, property) or hasattr(member, "func"):  # properties, cached_property
            getter = member.fget if isinstance(member, property) else member.func
            if getter.__doc__:
                lines += [f"- `{name}` (property): {inspect.cleandoc(getter.__doc__).splitlines()[0]}"]
            continue
        if inspect.isfunction(function) and function.__doc__:
            lines += [f"- `{_signature(function, name)}`: {inspect.cleandoc(function.__doc__).splitlines()[0]}"]
    return lines


def _keys(typed_dict: type) -> list[str]:
    """One line a key: name, type, optional or not, and the attribute docstring (read from source, as Pulumi's
    component provider host reads it for the package schema)."""
    docs = Analyzer("api-reference")
    lines = []
    for key, annotation in typed_dict.__annotations__.items():
        optional = "" if key in typed_dict.__required_keys__ else ", optional"
        if typing.get_origin(annotation) is typing.NotRequired:
            annotation = typing.get_args(annotation)[0]
        text = inspect.formatannotation(annotation).replace("typing.", "")
        lines.append(f"- `{key}` ({_ADDRESS.sub('', text)}{optional}): {docs.get_docstring(typed_dict, key) or ''}".rstrip())
    return lines + [""]


def _entry(module: str, name: str, obj: Any) -> list[str]:
    title = f"### `{module}.{name}`"
    if inspect.isclass(obj):
        kind = "TypedDict" if hasattr(obj, "__required_keys__") else "class"
        lines = [title, "", f"{kind} `{_signature(obj, name)}`" if kind == "class" else f"{kind} `{name}`", ""]
        lines += _quote(_doc(obj))
        if kind == "TypedDict":
            lines += _keys(obj)
        methods = _methods(obj)
        return lines + (methods + [""] if methods else [])
    if callable(obj):
        return [title, "", f"`{_signature(obj, name)}`", "", *_quote(_doc(obj))]
    declared = inspect.get_annotations(sys.modules[module]).get(name, type(obj).__name__)
    return [title, "", f"`{declared}`", ""]  # data: its declared type, not its size (which changes with the data)


def undocumented() -> list[str]:
    """Listed public names without a docstring of their own (data such as RULES needs none)."""
    missing = []
    for module_name, names, _ in PUBLIC:
        module = importlib.import_module(module_name)
        for name in names if names is not None else module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and not _doc(obj):
                missing.append(f"{module_name}.{name}")
    return missing


def render() -> str:
    lines = [
        "# Python API reference",
        "",
        "Generated from the docstrings by `python docs/refresh_api.py`; a test keeps it current. The agent",
        "spec's keys are in README.md (\"Agent spec reference\"); the CLI is `agentid --help`.",
        "",
    ]
    for module_name, names, purpose in PUBLIC:
        module = importlib.import_module(module_name)
        lines += [f"## `{module_name}`", "", purpose, ""]
        for name in names if names is not None else module.__all__:
            lines += _entry(module_name, name, getattr(module, name))
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    new = render()
    if "--check" in sys.argv:
        return 0 if TARGET.exists() and TARGET.read_text(encoding="utf-8") == new else 1
    TARGET.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
