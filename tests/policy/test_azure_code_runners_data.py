"""The table of Azure code runners (policy_packs/analysis/azure_code_runners.yaml, read by AGID-AZ-042 and AGID-AZ-059)
names real resource types and real inputs of the installed pulumi-azure-native: a misspelt token or input would make
the rules silently judge nothing there."""

from __future__ import annotations

import pytest

from agentid_policy_packs.analysis import azure_code_runners as code
from agentid_policy_packs.rules.coverage import provider_tokens
from tests.policy.azure_sdk_inputs import missing_step

TOKENS = provider_tokens("pulumi_azure_native")


def _paths(token: str, entry: dict) -> list[str]:
    paths = list(entry.get("when", ())) + list(entry.get("target", {}).get("name", ()))
    if isinstance(entry.get("unjudged"), dict):
        paths.append(entry["unjudged"]["path"])
    elif entry.get("unjudged") == "code_extension":
        paths += [entry.get("extension_inputs", {}).get(key, key) for key in ("publisher", "type")]
    return paths


@pytest.mark.parametrize("token", sorted(code.runners()))
def test_every_runner_and_its_inputs_exist(token):
    entry = code.runners()[token]
    assert token in TOKENS
    assert [(path, missing) for path in _paths(token, entry) if (missing := missing_step(token, path))] == []
    assert set(code.target_kinds(token)) <= set(code.targets()), "target kinds need their name input in targets:"
    assert entry.get("target") or entry.get("unjudged") == "always", "a runner without a target must be AZ-042's"


@pytest.mark.parametrize("token", sorted(code.targets()))
def test_every_target_type_and_its_name_input_exist(token):
    assert token in TOKENS and missing_step(token, code.targets()[token]) is None
