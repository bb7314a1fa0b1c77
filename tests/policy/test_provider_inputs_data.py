"""policy_packs/analysis/provider_inputs.yaml classifies EVERY input of the installed providers' ProviderArgs (and of
the argument types of the struct inputs it lists members for): a provider upgrade that adds an input fails here until
the input is classified (judged by a named rule, harmless with a reason, or unjudged), and a classification naming
an input the SDK no longer has is stale."""

from __future__ import annotations

import importlib
import inspect

import pytest

from agentid_policy_packs.analysis import provider_inputs
from agentid_policy_packs.rules.registry import RULES_BY_ID

PACKAGES = provider_inputs.packages()


def _inputs(args_class) -> set[str]:
    """The engine-side (camelCase) names of an SDK args class's inputs: each property's @pulumi.getter name."""
    return {getattr(member.fget, "_pulumi_name", None) or name
            for name, member in inspect.getmembers(args_class) if isinstance(member, property)}


def _sdk(package: str):
    return importlib.import_module(PACKAGES[package]["sdk"])


def test_the_installed_sdks_are_all_classified():
    assert set(PACKAGES) == {"aws", "azure-native", "azuread", "gcp", "kubernetes"}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_provider_input_of_the_sdk_is_classified_and_none_is_stale(package):
    sdk = _sdk(package)
    inputs = _inputs(importlib.import_module(f"{sdk.__name__}.provider").ProviderArgs)
    assert len(inputs) > 10, inputs  # the walk found the SDK's inputs
    unclassified = sorted(key for key in inputs if provider_inputs.classification(package, key) is None)
    assert unclassified == [], f"{package}: classify in provider_inputs.yaml: {unclassified}"
    stale = sorted(set(PACKAGES[package]["inputs"]) - inputs)
    assert stale == [], f"{package}: not inputs of {sdk.__name__}: {stale}"
    for pattern in PACKAGES[package].get("patterns", ()):
        assert any(key.endswith(pattern["suffix"]) for key in inputs), pattern


@pytest.mark.parametrize("package,key", [(p, k) for p in sorted(PACKAGES) for k in PACKAGES[p].get("members", {})])
def test_every_member_of_a_struct_input_is_classified_and_none_is_stale(package, key):
    spec = PACKAGES[package]["members"][key]
    members = _inputs(getattr(_sdk(package), spec["args"]))
    assert sorted(members) == sorted(spec["inputs"]), f"{package} {key}: {spec['args']} has {sorted(members)}"
    assert key in PACKAGES[package]["inputs"]


def test_every_entry_is_one_kind_with_a_reason_or_real_rules():
    for key, entry in provider_inputs.engine_inputs().items():
        assert [k for k in provider_inputs.KINDS if k in entry] in (["harmless"], ["unjudged"]), key
    for package, spec in PACKAGES.items():
        entries = [*spec["inputs"].items(), *((p["suffix"], p) for p in spec.get("patterns", ())),
                   *((f"{k}.{n}", e) for k, m in spec.get("members", {}).items() for n, e in m["inputs"].items())]
        for key, entry in entries:
            kinds = [k for k in provider_inputs.KINDS if k in entry]
            assert len(kinds) == 1, (package, key, entry)
            if kinds == ["judged"]:
                rules = entry["judged"].split()
                assert rules and all(rule in RULES_BY_ID for rule in rules), (package, key, rules)
            else:
                assert len(entry[kinds[0]]) > 5, (package, key)
