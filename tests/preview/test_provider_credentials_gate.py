"""AGID-PRV-001 end to end: static cloud keys on a provider, explicit or in the stack file, fail `agentid preview`.

red1 finding 7: `aws.Provider(access_key=..., secret_key=...)` and `aws:accessKey`/`aws:secretKey` in
Pulumi.dev.yaml (the default provider's config) passed. The engine registers the default provider as
`pulumi:providers:aws` with the stack's `aws:*` config as inputs; the gate now does the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

# AWS's documented example key pair (https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds.html)
ACCESS_KEY, SECRET_KEY = "AKIA" + "IOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def preview(tmp_path: Path, program: str, stack_config: str) -> tuple[int, list[tuple[str, str, str]]]:
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n" + stack_config)
    (tmp_path / "__main__.py").write_text(program)
    run = run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    assert run.code in (0, 1), run.stdout + run.stderr
    violations = json.loads((tmp_path / "out.json").read_text())["violations"]
    return run.code, sorted((v["policy"], v["resourceType"], v["resourceName"]) for v in violations if v["mandatory"])


def test_keys_in_the_stack_file_fail(tmp_path):
    code, found = preview(tmp_path, 'import pulumi_aws as aws\naws.s3.BucketV2("b", bucket="acme-b")\n',
                          f"  aws:accessKey: {ACCESS_KEY}\n  aws:secretKey: {SECRET_KEY}\n")
    assert (code, found) == (1, [("AGID-PRV-001", "pulumi:providers:aws", "default")])


def test_keys_on_an_explicit_provider_fail_and_oidc_passes(tmp_path):
    program = f'''import pulumi, pulumi_aws as aws
keys = aws.Provider("keys", region="eu-west-1", access_key="{ACCESS_KEY}", secret_key="{SECRET_KEY}")
oidc = aws.Provider("oidc", region="eu-west-1", assume_role_with_web_identity={{
    "role_arn": "arn:aws:iam::123456789012:role/deployer", "web_identity_token_file": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}})
aws.s3.BucketV2("b", bucket="acme-b", opts=pulumi.ResourceOptions(provider=keys))
aws.s3.BucketV2("c", bucket="acme-c", opts=pulumi.ResourceOptions(provider=oidc))
'''
    # the deploy role's account is the organisation's (AGID-PRV-004 judges whose account a provider assumes into)
    (tmp_path / "waivers.yaml").write_text("policyPackConfig:\n  agent-guard:\n    all:\n      ownAccountIds: ['123456789012']\n")
    code, found = preview(tmp_path, program, "")
    assert (code, found) == (1, [("AGID-PRV-001", "pulumi:providers:aws", "keys")])
    # a profile of the deploy job's own config passes (the runner holds its identities)
    code, found = preview(tmp_path, program, "  aws:profile: deployer\n")
    assert (code, found) == (1, [("AGID-PRV-001", "pulumi:providers:aws", "keys")])


KUBECONFIG_WITH_TOKEN = ("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: https://192.0.2.10}}]\n"
                         "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
                         "users: [{name: u, user: {token: not-a-real-token-0123456789}}]\n")


def test_a_kubeconfig_holding_a_token_fails_explicit_or_in_the_stack_file(tmp_path):
    """red3 r01: a kubernetes provider's kubeconfig with a literal bearer token; a kubeconfig path passes."""
    program = f'''import pulumi, pulumi_kubernetes as k8s
p = k8s.Provider("p", kubeconfig={KUBECONFIG_WITH_TOKEN!r})
path = k8s.Provider("path", kubeconfig="~/.kube/config")
k8s.core.v1.ConfigMap("cm", data={{"a": "b"}}, opts=pulumi.ResourceOptions(provider=p))
k8s.core.v1.ConfigMap("cm2", data={{"a": "b"}}, opts=pulumi.ResourceOptions(provider=path))
'''
    (tmp_path / "explicit").mkdir()
    code, found = preview(tmp_path / "explicit", program, "")
    # the token goes to an IP address the gate cannot place (AGID-PRV-003, red19 r19-11)
    assert (code, found) == (1, [("AGID-PRV-001", "pulumi:providers:kubernetes", "p"),
                                 ("AGID-PRV-003", "pulumi:providers:kubernetes", "p")])
    (tmp_path / "config").mkdir()
    code, found = preview(tmp_path / "config", 'import pulumi_kubernetes as k8s\n'
                          'k8s.core.v1.ConfigMap("cm", data={"a": "b"})\n',
                          "  kubernetes:kubeconfig: " + json.dumps(KUBECONFIG_WITH_TOKEN) + "\n")
    assert (code, found) == (1, [("AGID-PRV-001", "pulumi:providers:kubernetes", "default"),
                                 ("AGID-PRV-003", "pulumi:providers:kubernetes", "default")])


def test_a_key_in_the_stack_file_is_reported_at_its_line_under_its_config_name(tmp_path):
    """Not at `__main__.py:1`: the key is in Pulumi.<stack>.yaml, under the name the stack file gives it."""
    preview(tmp_path, 'import pulumi_aws as aws\naws.s3.BucketV2("b", bucket="acme-b")\n',
            f"  aws:profile: deployer\n  aws:secretKey: {SECRET_KEY}\n  aws:accessKey: {ACCESS_KEY}\n")
    [violation] = [v for v in json.loads((tmp_path / "out.json").read_text())["violations"]
                   if v["policy"] == "AGID-PRV-001"]
    assert (violation["file"], violation["line"]) == ("Pulumi.dev.yaml", 4)  # the first credential key's line
    assert "configured by the stack config (aws:accessKey, aws:secretKey)" in violation["message"]
    sarif = tmp_path / "out.sarif"
    run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--sarif", str(sarif))
    [location] = [r["locations"][0]["physicalLocation"] for r in json.loads(sarif.read_text())["runs"][0]["results"]
                  if r["ruleId"].endswith("AGID-PRV-001")]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == ("Pulumi.dev.yaml", 4)


def test_a_key_in_the_project_file_is_reported_there(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    code, found = preview(tmp_path, 'import pulumi_aws as aws\naws.s3.BucketV2("b", bucket="acme-b")\n', "")
    assert (code, found) == (0, [])
    # project-level config: `config:` of Pulumi.yaml (preview() rewrites it, so add the block after)
    (tmp_path / "Pulumi.yaml").write_text(f"name: acme\nruntime: python\nconfig:\n  aws:accessKey: {ACCESS_KEY}\n"
                                          f"  aws:secretKey: {SECRET_KEY}\n")
    run = run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    assert run.code == 1, run.stdout
    [violation] = [v for v in json.loads((tmp_path / "out.json").read_text())["violations"]
                   if v["policy"] == "AGID-PRV-001"]
    assert (violation["file"], violation["line"]) == ("Pulumi.yaml", 4)
