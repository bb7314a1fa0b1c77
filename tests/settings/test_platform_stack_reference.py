"""The repository's own program with `platformStack`: an agent stack uses the platform stack's shared objects.

`stacks/__main__.py` reads config `agent-identity-kit:platformStack`, references that stack by name
(StackReference) and hands its outputs to the fleet (`PlatformOutputs.settings`). `agentid preview --stack prod`
answers the reference with the platform stack's own preview, so the prod stack here plans no second GitHub OIDC
provider, Cognito pool, domain or resource server, Roles Anywhere trust anchor or Entra API application, and its
roles, clients and app role assignments name the platform's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = "organization/agent-identity-kit/platform"
PROD = {
    "aws:region": "eu-west-1",
    "azure-native:location": "westeurope",
    "agent-identity-kit:agentsFile": "agents/dev.yaml",
    "agent-identity-kit:azureResourceGroup": "rg-agent-identities-prod",
    "agent-identity-kit:gcpProject": "example-agents-prod",
    "agent-identity-kit:platformStack": PLATFORM,
}


def make_project(directory: Path, prod_config: dict) -> Path:
    shutil.copytree(ROOT / "stacks", directory / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", directory)
    # the gate settings of the dev stack (trusted issuers, own projects), and the prod stack's project as the
    # organisation's own too, as its operator lists it (the gate never takes a project from the stack file)
    settings = yaml.safe_load((ROOT / "waivers.yaml").read_text())
    own = settings["policyPackConfig"]["agent-guard"]["all"]["ownGcpProjects"]
    own.append(prod_config["agent-identity-kit:gcpProject"])
    # and the platform stack as the organisation's own (AGID-AZ-066: the Entra API service principal prod's app role
    # assignment reads from it is judged by the role it grants), as its operator lists it: never the stack file
    settings["policyPackConfig"]["agent-guard"]["all"]["ownStacks"] = [PLATFORM]
    (directory / "waivers.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    (directory / "stacks" / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": prod_config}))
    return directory


def preview(project: Path, stack: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = project / f"{stack}.json"
    completed = subprocess.run([sys.executable, "-m", "agentid.cli", "preview", "--stack", stack, "--json", str(out)],
                               cwd=project, capture_output=True, text=True, timeout=600)
    return completed, json.loads(out.read_text()) if out.exists() else {}


@pytest.fixture(scope="module")
def previews(tmp_path_factory) -> dict[str, dict]:
    project = make_project(tmp_path_factory.mktemp("platform-ref"), PROD)
    results = {}
    for stack in ("prod", "dev", "platform"):
        completed, result = preview(project, stack)
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        results[stack] = result
    return results


def by_type_and_name(result: dict) -> Counter:
    return Counter((r["type"], r["name"]) for r in result["resources"] if not r["type"].startswith("kubernetes:"))


def test_prod_references_the_platform_stack_by_name(previews):
    assert previews["prod"]["stackReferences"] == {PLATFORM: "preview of agent-identity-kit/platform (stacks/__main__.py)"}
    assert "stackReferences" not in previews["dev"] or not previews["dev"]["stackReferences"]


def test_prod_plans_exactly_dev_without_the_shared_objects(previews):
    """Same agent file: prod's resources are dev's minus what the platform holds once (dev creates its own)."""
    dev, prod = by_type_and_name(previews["dev"]), by_type_and_name(previews["prod"])
    only_dev = sorted((dev - prod).elements())
    only_prod = sorted((prod - dev).elements())
    # Workload Identity pools (and the providers in them) are named by their stack, as GCP ids are per project
    pools = ("gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
             "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")
    dev_pools = [item for item in only_dev if item[0] in pools]
    prod_pools = [item for item in only_prod if item[0] in pools]
    assert len(dev_pools) == 6 and all("-dev" in name for _, name in dev_pools)
    assert prod_pools == sorted((kind, name.replace("-dev", "-prod")) for kind, name in dev_pools)
    only_dev = [item for item in only_dev if item[0] not in pools]
    only_prod = [item for item in only_prod if item[0] not in pools]
    assert only_dev == [
        ("agentid:kubernetes:Workloads", "agents-kubernetes"),  # dev alone sets kubernetesIssuer
        ("aws:cognito/resourceServer:ResourceServer", "agents-aws-oauth-mcp.tickets.example.com"),
        ("aws:cognito/userPool:UserPool", "agents-aws-oauth"),
        ("aws:cognito/userPoolDomain:UserPoolDomain", "agents-aws-oauth"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "agents-aws-github-actions"),
        ("aws:rolesanywhere/trustAnchor:TrustAnchor", "agents-aws-spiffe-data-example-org-dev"),
        ("azuread:index/application:Application", "agents-azure-agentid-api-catalog.data.example.com-dev"),
        ("azuread:index/servicePrincipal:ServicePrincipal", "agents-azure-agentid-api-catalog.data.example.com-dev"),
    ]
    # nothing shared is created by prod; its identities' logical names are dev's (their Azure names differ)
    assert only_prod == []
    providers = [r for r in previews["prod"]["resources"]
                 if r["type"] == "aws:iam/openIdConnectProvider:OpenIdConnectProvider"]
    # The one provider prod still creates is the AKS issuer's (the platform exports no Kubernetes issuers).
    assert [r["inputs"]["url"] for r in providers] == [
        "https://aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/"]


def test_prod_resources_name_the_platforms_objects(previews):
    shared = previews["platform"]["outputs"]
    resources = previews["prod"]["resources"]
    [client] = [r["inputs"] for r in resources if r["type"] == "aws:cognito/userPoolClient:UserPoolClient"]
    assert client["userPoolId"] == shared["cognitoUserPoolId"]
    assert client["allowedOauthScopes"] == ["https://mcp.tickets.example.com/tickets.read",
                                            "https://mcp.tickets.example.com/tickets.comment"]
    [assignment] = [r["inputs"] for r in resources if r["type"] == "azuread:index/appRoleAssignment:AppRoleAssignment"]
    catalog = shared["entraApiApplications"]["https://catalog.data.example.com"]
    assert assignment["resourceObjectId"] == catalog["servicePrincipalObjectId"]
    assert assignment["appRoleId"] == catalog["appRoleIds"]["datasets.write"]
    trusts = [json.loads(r["inputs"]["assumeRolePolicy"]) for r in resources if r["type"] == "aws:iam/role:Role"]
    principals = [s.get("Principal", {}).get("Federated") for doc in trusts for s in doc["Statement"]]
    assert principals.count(shared["githubOidcProviderArn"]) == 2  # report-builder and deploy-reviewer
    [anchor] = shared["rolesAnywhereTrustAnchorArns"].values()
    assert anchor in json.dumps(trusts)  # data-ingest's Roles Anywhere trust is pinned to the platform's anchor


def test_a_shared_object_named_twice_is_refused_naming_the_keys(tmp_path):
    config = {**PROD, "agent-identity-kit:awsGithubOidcProviderArn":
              "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}
    completed, _ = preview(make_project(tmp_path, config), "prod")
    assert completed.returncode == 2
    output = completed.stdout + completed.stderr
    assert (f"config platformStack ({PLATFORM}) provides what awsGithubOidcProviderArn also names: remove it from "
            "the stack config (the platform's objects are used) or drop platformStack") in output
    assert "Traceback" not in output
