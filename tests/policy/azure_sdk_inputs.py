"""The installed pulumi_azure_native SDK's resource inputs, walked from its generated `*Args` classes (shared by the
tests that check an Azure data file names real inputs, or classifies every input of some kind)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from tests.policy.sdk_args import inputs, nested


def args_class(token: str):
    """The `*Args` class of an `azure-native:<module>:<Type>` token, from the resource's own module (where a nested
    input type of the package has the name `<Type>Args`, the generator names it `<Type>InitArgs`); None when the SDK has none."""
    _, module, kind = token.split(":")
    try:
        resource = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), kind, None)
    except ImportError:
        return None
    if resource is None:
        return None
    own = importlib.import_module(resource.__module__)  # `<Type>InitArgs` where a nested type is `<Type>Args`
    return getattr(own, f"{kind}InitArgs", None) or getattr(own, f"{kind}Args", None)


def missing_step(token: str, path: str) -> str | None:
    """The first step of dotted `path` that is no input of `token` (None: every step is one)."""
    cls = args_class(token)
    if cls is None:
        return f"{token} (no Args class)"
    for step in path.split("."):
        if cls is None:
            return f"{step} (inside a non-object input)"
        members = inputs(cls)
        if step not in members:
            return f"{step} (in {cls.__name__})"
        cls = nested(cls, members[step])
    return None


def input_paths(token: str, wanted: Callable[[str], bool], max_depth: int = 6) -> list[str]:
    """Dotted paths of every input (at any depth) whose own name `wanted` accepts."""
    found: list[str] = []

    def walk(cls, prefix: str, depth: int) -> None:
        if cls is None or depth > max_depth:
            return
        for name, member in inputs(cls).items():
            path = f"{prefix}.{name}" if prefix else name
            if wanted(name):
                found.append(path)
            walk(nested(cls, member), path, depth + 1)

    walk(args_class(token), "", 0)
    return found
