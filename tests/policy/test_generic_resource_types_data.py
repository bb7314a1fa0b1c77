"""analysis/generic_resource_types.yaml names real tokens and real inputs of the installed provider SDKs.

A misspelt target input would hand a typed rule a property it never reads: the generic resource would pass unjudged.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from agentid_policy_packs.rules import generic_resources
from agentid_policy_packs.rules.registry import RULES

DATA = generic_resources._data()
MAPPED = [(section, kind, entry) for section in ("cloudformation", "arm")
          for kind, entry in DATA[section]["mapped"].items()]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _inputs(token: str) -> set[str]:
    """The input names (snake case) of the SDK class registered as `token`."""
    package, module, name = token.split(":")
    sdk = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native"}[package]
    module = module.split("/")[0].replace("-", "_")
    module = f"{module}_" if module in ("lambda",) else module  # a Python keyword: pulumi_aws.lambda_
    cls = getattr(importlib.import_module(f"{sdk}.{module}"), name)
    return set(inspect.signature(cls._internal_init).parameters) - {"self", "resource_name", "opts"}


@pytest.mark.parametrize("section,kind,entry", MAPPED, ids=[kind for _, kind, _ in MAPPED])
def test_every_mapped_target_is_an_input_of_the_sdk_class(section, kind, entry):
    inputs = _inputs(entry["token"])
    if section == "cloudformation":
        targets = [t if isinstance(t, str) else t["input"] for t in entry["properties"].values() if t is not None]
    else:
        targets = list(entry.get("names", {}).values())
    missing = [t for t in targets if _snake(t) not in inputs and f"{_snake(t)}_" not in inputs]
    assert not missing, f"{kind} -> {entry['token']}: {missing} are not inputs ({sorted(inputs)})"


@pytest.mark.parametrize("section,kind,entry", MAPPED, ids=[kind for _, kind, _ in MAPPED])
def test_every_mapped_token_is_judged_by_a_rule(section, kind, entry):
    """A mapping to a token no rule judges would let the type pass unjudged: leave it unmapped (cannot check)."""
    assert any(entry["token"] in rule.declared_types or entry["token"] in rule.reads for rule in RULES), entry["token"]


def test_every_entry_names_its_source_and_every_harmless_type_its_reason():
    for section in ("cloudformation", "arm"):
        for kind, entry in {**DATA[section]["mapped"], **DATA[section]["harmless"]}.items():
            assert str(entry.get("source", "")).startswith("https://"), kind
        assert all(entry.get("reason") for entry in DATA[section]["harmless"].values())
        assert not set(DATA[section]["mapped"]) & set(DATA[section]["harmless"])
    assert all(kind == kind.lower() for kind in (*DATA["arm"]["mapped"], *DATA["arm"]["harmless"]))
    assert all(str(entry.get("source", "")).startswith("https://") and entry.get("reason")
               for entry in DATA["deployment_manager"]["harmless"].values())
