"""The resource modules of an installed provider SDK, read as source: what the kit's SDK derivations walk.

Pulumi's Python code generator writes one module a resource, whose class registers itself with
`super(Name, __self__).__init__('<type token>', ...)` and declares its inputs in a `NameArgs` class of
`@pulumi.getter` properties. The derivations (gcp_parent_inputs, sdk_secret_inputs, agentid.preview.sdk_secrets)
read those modules as text, never importing them (importing all of pulumi_azure_native takes minutes).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

RESOURCE_TOKEN = re.compile(r"super\(\w+, __self__\).__init__\(\s*'([^']+)'")
# a string input of an Args class: (its camelCase name when it differs, its snake_case name)
STRING_INPUT = re.compile(
    r'@pulumi\.getter(?:\(name="(\w+)"\))?\n\s+def (\w+)\(self\) -> pulumi\.Input\[(?:Optional\[)?_builtins\.str\]')


def package_root(package: str) -> Path | None:
    """The folder of the installed `package` (`pulumi_gcp`); None when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def resource_modules(package: str, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(type token, module source) for each module of `package` that defines a resource class, in path order;
    files whose name starts with one of `skip` are not read. Nothing when the package is not installed."""
    root = package_root(package)
    if root is None:
        return
    for file in sorted(root.rglob("*.py")):
        if skip and file.name.startswith(skip):
            continue
        text = file.read_text(encoding="utf-8")
        token = RESOURCE_TOKEN.search(text)
        if token and ":" in token.group(1):
            yield token.group(1), text
