"""End to end (`agentid preview`): a type token the provider does not have gets no verdict (red3 d03/d04).

The mocks accept any token, so `aws:iam/AccessKey:AccessKey` (wrong case) or `aws:iam:AccessKey` (wrong shape)
matched no rule and PASSED while the real engine fails on it (or a hostile provider maps it). A component
wearing a provider's token was judged as that resource with inputs the program chose. Look-alikes that are real
(the provider's own token, an alias such as azure-native's versioned tokens, a CRD of kubernetes, the program's
own component type, a package no SDK is installed for) keep being judged as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentid.preview import type_tokens

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")


def run(tmp_path: Path, program: str):
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(program)
    return run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")


def error_lines(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("error (program)")]


def test_a_wrong_case_token_of_a_subclass_is_refused_with_its_file_line_and_the_real_token(tmp_path):
    result = run(tmp_path, '''import pulumi
class Key(pulumi.CustomResource):
    def __init__(self, name, props):
        super().__init__("aws:iam/AccessKey:AccessKey", name, props)
Key("k", {"user": "bob"})
''')
    assert result.code == 2, result.stdout
    assert error_lines(result) == ["error (program): agentid preview: __main__.py:5: resource k: unknown type token "
                                   "aws:iam/AccessKey:AccessKey (did you mean aws:iam/accessKey:AccessKey?)"]
    assert "Traceback" not in result.stdout + result.stderr and "PASS" not in result.stdout


def test_a_token_of_the_wrong_shape_is_refused(tmp_path):
    result = run(tmp_path, 'import pulumi\npulumi.CustomResource("aws:iam:AccessKey", "k", {"user": "bob"})\n')
    assert result.code == 2, result.stdout
    # the SDK gives no source position for a bare CustomResource: the line has no FILE
    assert error_lines(result) == ["error (program): agentid preview: resource k: unknown type token aws:iam:AccessKey "
                                   "(did you mean aws:iam/accessKey:AccessKey?)"]


def test_a_component_wearing_a_provider_token_is_refused(tmp_path):
    result = run(tmp_path, '''import pulumi, pulumi_aws as aws
class Key(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("aws:iam/accessKey:AccessKey", name, {"user": "bob", "status": "Inactive"})
Key("k")
aws.s3.BucketV2("b")
''')
    assert result.code == 2, result.stdout
    [line] = error_lines(result)
    assert line.startswith("error (program): agentid preview: __main__.py:5: resource k: component resource with "
                           "aws's custom resource type token aws:iam/accessKey:AccessKey")


def test_real_tokens_aliases_crds_own_components_and_unknown_packages_are_judged(tmp_path):
    result = run(tmp_path, '''import pulumi, pulumi_aws as aws
class Agent(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:iam:AccessKey", name, {})  # the program's own component type
        aws.s3.BucketV2(name + "-b", opts=pulumi.ResourceOptions(parent=self))
Agent("a")
aws.iam.AccessKey("k", user="bob")  # the real token: judged (AGID-AWS-001)
# azure-native's versioned token (a declared alias of RoleAssignment)
pulumi.CustomResource("azure-native:authorization/v20220401:RoleAssignment", "ra",
                      {"principalId": "p", "roleDefinitionId": "r", "scope": "/subscriptions/s"})
pulumi.CustomResource("kubernetes:stable.example.com/v1:CronTab", "crd", {"spec": {}})  # a CRD's group
pulumi.CustomResource("cloudflare:index/apiToken:ApiToken", "cf", {"name": "t"})  # no SDK installed
''')
    assert result.code == 1, result.stdout
    document = json.loads((tmp_path / "out.json").read_text())
    policies = {(v["policy"], v["resourceName"]) for v in document["violations"]}
    assert ("AGID-AWS-001", "k") in policies
    assert ("AGID-GEN-002", "cf") in policies


@pytest.mark.parametrize(("token", "custom", "expected"), [
    ("aws:iam/accessKey:AccessKey", True, None),
    ("AWS:iam/accessKey:AccessKey", True, "unknown type token AWS:iam/accessKey:AccessKey "
                                          "(did you mean aws:iam/accessKey:AccessKey?)"),
    ("azure-native:authorization:roleAssignment", True, "unknown type token azure-native:authorization:roleAssignment "
                                                        "(did you mean azure-native:authorization:RoleAssignment?)"),
    ("azure-native:authorization/v20220401:RoleAssignment", True, None),
    ("kubernetes:v1:Secret", True, "unknown type token kubernetes:v1:Secret (did you mean kubernetes:core/v1:Secret?)"),
    ("kubernetes:rbac.authorization.k8s.io/v1:Clusterrole", True,
     "unknown type token kubernetes:rbac.authorization.k8s.io/v1:Clusterrole "
     "(did you mean kubernetes:rbac.authorization.k8s.io/v1:ClusterRole?)"),
    ("kubernetes:gateway.networking.k8s.io/v1:Gateway", True, None),
    ("gcp:serviceaccount/key:Key", True, None),
    ("gcp:serviceaccount/keys:Keys", True, "unknown type token gcp:serviceaccount/keys:Keys (did you mean "
                                           "gcp:serviceaccount/key:Key?)"),
    ("aws:iam:AgentRole", False, None),
    ("acme:index:Thing", True, None),
    ("pulumi:providers:aws", True, None),
])
def test_which_tokens_the_gate_refuses(token, custom, expected):
    assert type_tokens.unknown_token(token, custom) == expected


def test_the_kubernetes_api_groups_are_derived_once_for_every_crd_registration():
    """issue 17: a CRD's group is looked up in the SDK's groups derived once, not rebuilt from every kubernetes token
    at each registration (a ClusterSPIFFEID an agent); the answers are the same as derived anew each time."""
    known = type_tokens.installed()
    type_tokens._shipped_groups.cache_clear()
    crds = ["kubernetes:spire.spiffe.io/v1alpha1:ClusterSPIFFEID", "kubernetes:stable.example.com/v1:CronTab"]
    shipped = ["kubernetes:v1:Secret", "kubernetes:apps/v1:Deploymnt", "kubernetes:core/v1:ServiceAccount"]
    answers = [type_tokens.unknown_token(token, True) for token in [*crds, *shipped] * 50]
    assert type_tokens._shipped_groups.cache_info().misses == 1
    tokens = known.tokens[type_tokens.KUBERNETES]
    groups = {type_tokens._group(t.split(":")[1]) for t in tokens if t.count(":") == 2}
    assert "spire.spiffe.io" not in groups and {"apps", "core", "rbac.authorization.k8s.io"} <= groups
    assert answers[:2] == [None, None]  # CRDs of groups the SDK does not ship
    assert answers[2] is not None and "did you mean kubernetes:core/v1:Secret?" in answers[2]
    assert answers[3] is not None and answers[3].startswith("unknown type token kubernetes:apps/v1:Deploymnt")
    assert answers[4] is None


def test_a_crd_token_is_judged_without_reading_every_file_of_the_kubernetes_sdk(monkeypatch):
    """issue 17: the alias scan (every .py of the SDK, ~0.04 s CPU for pulumi_kubernetes) runs only for a token the
    register lacks that is not a CRD's: a stack with a ClusterSPIFFEID paid it at every run, for the same answer."""
    known = type_tokens.installed()
    monkeypatch.setattr(type_tokens, "_cache", {"tokens": known})
    for token in ("kubernetes:spire.spiffe.io/v1alpha1:ClusterSPIFFEID", "kubernetes:stable.example.com/v1:CronTab"):
        assert type_tokens.unknown_token(token, True) is None
    assert "aliases:kubernetes" not in type_tokens._cache
    # a token of a shipped group that the register lacks is still looked up among the aliases before it is refused
    assert type_tokens.unknown_token("kubernetes:apps/v1:Deploymnt", True).startswith("unknown type token")
    assert "aliases:kubernetes" in type_tokens._cache
    assert type_tokens.unknown_token("azure-native:authorization/v20220401:RoleAssignment", True) is None
    assert "aliases:azure-native" in type_tokens._cache
