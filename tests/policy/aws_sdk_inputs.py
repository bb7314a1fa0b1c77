"""Walking the installed pulumi_aws SDK's input classes: which inputs (at any depth) a resource type takes.

Shared by the tests that keep a data file true against the SDK (tests/policy/test_aws_code_runners_data.py,
tests/policy/test_aws_foreign_account_inputs_data.py): a provider upgrade adding an input of a watched shape fails
there until someone classifies it."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from tests.policy.sdk_args import inputs, nested


def args_class(token: str):
    """The `<Type>Args` input class of a pulumi-aws type token (None when the SDK has none)."""
    _, module, kind = token.split(":")
    package = module.split("/")[0]
    try:
        found = importlib.import_module(f"pulumi_aws.{package}")
    except ImportError:
        found = importlib.import_module(f"pulumi_aws.{package}_")  # lambda -> lambda_
    return getattr(found, f"{kind}Args", None)


def missing_step(token: str, path: str) -> str | None:
    """The first step of dotted `path` (`a[].b`) that is not an input of `token`; None when all are (or the path
    goes into JSON text, an input the SDK types as a string, whose members are AWS's API names)."""
    cls = args_class(token)
    for step in path.split("."):
        if cls is None:
            return None
        name = step.removesuffix("[]")
        members = inputs(cls)
        if name not in members:
            return f"{name} (in {cls.__name__})"
        cls = nested(cls, members[name])
    return None


def matching_inputs(cls, matches: Callable[[str], bool], prefix: str = "", depth: int = 0) -> list[str]:
    """Dotted paths (no `[]` marks) of every scalar input, at any depth up to 6, whose own name `matches`."""
    found: list[str] = []
    if cls is None or depth > 6:
        return found
    for name, member in inputs(cls).items():
        path = f"{prefix}.{name}" if prefix else name
        inner = nested(cls, member)
        if inner is not None:
            found += matching_inputs(inner, matches, path, depth + 1)
        elif matches(name):
            found.append(path)
    return found
