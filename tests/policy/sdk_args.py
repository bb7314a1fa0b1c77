"""What every Pulumi provider SDK's generated `*Args` input classes share: an input's camelCase name (the
`_pulumi_name` of its property) and the nested `*Args` class an object input holds (named in the property's return
annotation, defined in the module's `_inputs`). Used by the AWS and Azure SDK walks (aws_sdk_inputs, azure_sdk_inputs)."""

from __future__ import annotations

import importlib
import re

_ARGS = re.compile(r"'(\w+Args)'")


def inputs(cls) -> dict[str, property]:
    """camelCase input name -> its property on an Args class."""
    return {getattr(member.fget, "_pulumi_name", name): member
            for name, member in vars(cls).items() if isinstance(member, property)}


def nested(cls, member: property):
    """The Args class an input holds (an object or a list of objects), or None for a scalar / list of scalars."""
    names = _ARGS.findall(str(member.fget.__annotations__.get("return")))
    if not names:
        return None
    return getattr(importlib.import_module(cls.__module__.rsplit(".", 1)[0] + "._inputs"), names[0], None)
