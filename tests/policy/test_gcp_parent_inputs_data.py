"""policy_packs/analysis/gcp_parent_inputs.yaml is the derivation from the installed pulumi-gcp SDK (AGID-GCP-035
reads it): a provider upgrade that adds a child resource fails here until the file is refreshed
(`python -m agentid_policy_packs.analysis.gcp_parent_inputs`)."""

from __future__ import annotations

import importlib.util

import pytest

from agentid_components import data_yaml
from agentid_policy_packs.analysis import gcp_parent_inputs

INSTALLED = importlib.util.find_spec("pulumi_gcp") is not None


@pytest.mark.skipif(not INSTALLED, reason="pulumi_gcp is not installed")
def test_the_file_is_the_derivation_from_the_installed_sdk() -> None:
    data = data_yaml.load(gcp_parent_inputs.OUT)
    derived = gcp_parent_inputs.document()
    assert data["parent_inputs"] == derived["parent_inputs"]
    assert data["sdk_versions"] == derived["sdk_versions"]


@pytest.mark.skipif(not INSTALLED, reason="pulumi_gcp is not installed")
def test_the_derivation_finds_the_r20_2_parents_and_not_mere_references() -> None:
    derived = gcp_parent_inputs.derive()
    assert derived["gcp:secretmanager/secretVersion:SecretVersion"] == ["secret"]
    assert "keyRing" in derived["gcp:kms/cryptoKey:CryptoKey"]
    assert derived["gcp:secretmanager/secretIamMember:SecretIamMember"] == ["secretId"]
    assert "repository" in derived["gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"]
    assert "topic" not in derived["gcp:pubsub/subscription:Subscription"]  # a subscription may read another project's topic
    assert "network" not in derived.get("gcp:compute/subnetwork:Subnetwork", [])  # shared VPC: a reference


def test_hand_kept_short_forms_name_parent_inputs() -> None:
    table = gcp_parent_inputs.parent_inputs()
    for token, inputs in gcp_parent_inputs.project_first().items():
        assert set(inputs) <= set(table[token]), token
        assert all(isinstance(n, int) and n >= 2 for n in inputs.values())


@pytest.mark.skipif(not INSTALLED, reason="pulumi_gcp is not installed")
def test_hand_kept_parents_are_inputs_of_the_sdk() -> None:
    import importlib
    import re

    table = gcp_parent_inputs.parent_inputs()
    kept = {**gcp_parent_inputs.also_parents(), **{t: list(i) for t, i in gcp_parent_inputs.project_first().items()}}
    for token, inputs in kept.items():
        assert set(inputs) <= set(table[token]), token
        module, name = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[1]
        args = getattr(importlib.import_module(f"pulumi_gcp.{module}"), f"{name}Args")
        for camel in inputs:
            assert isinstance(getattr(args, re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", camel).lower(), None), property), (token, camel)
