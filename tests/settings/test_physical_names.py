"""dev and prod of the same agent file, in one AWS account and one Entra tenant, name nothing alike.

Checked from outside, as anyone can: `agentid preview --json` of both stacks lists every resource with its
inputs, and every resource's *physical key* (what its cloud keeps unique: a role's name, a custom role's
GUID and its name, a federated credential's name within its identity, ...) is compared across the two.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agentid.mock_engine import mock_outputs
from agentid.preview.monitor import SECRET_OUTPUT, shown
from google.protobuf import struct_pb2

ROOT = Path(__file__).resolve().parents[2]

# Resource type -> the physical keys its cloud keeps unique (each a tuple of input names; a value that is
# another resource's id, ARN or object id stands for that resource's own first key). Sources: IAM names are
# unique per account (CreateRole, CreatePolicy), inline policies per role (PutRolePolicy), Roles Anywhere and
# Cognito names as the kit keeps them (per account and region, per pool), Cognito domain prefixes per region,
# resource server identifiers per pool, Secrets Manager secret names per account and region; Azure identities per resource group, federated credentials per
# identity / application, custom role names and GUIDs per tenant, role assignment GUIDs per scope; Entra
# identifier URIs per tenant, app display names per tenant (`prevent_duplicate_names`).
PHYSICAL_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "aws:iam/role:Role": (("name",),),
    "aws:iam/policy:Policy": (("name",),),
    "aws:iam/rolePolicy:RolePolicy": (("role", "name"),),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (("url",),),
    "aws:rolesanywhere/trustAnchor:TrustAnchor": (("name",),),
    "aws:rolesanywhere/profile:Profile": (("name",),),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (("clusterName", "namespace", "serviceAccount"),),
    "aws:cognito/userPool:UserPool": (("name",),),
    "aws:cognito/userPoolDomain:UserPoolDomain": (("domain",),),
    "aws:cognito/resourceServer:ResourceServer": (("userPoolId", "identifier"),),
    "aws:cognito/userPoolClient:UserPoolClient": (("userPoolId", "name"),),
    "aws:secretsmanager/secret:Secret": (("name",),),
    "aws:secretsmanager/secretVersion:SecretVersion": (("secretId",),),
    "aws:secretsmanager/secretPolicy:SecretPolicy": (("secretArn",),),
    "azure-native:managedidentity:UserAssignedIdentity": (("resourceGroupName", "resourceName"),),
    "azure-native:managedidentity:FederatedIdentityCredential": (
        ("resourceGroupName", "resourceName", "federatedIdentityCredentialResourceName"),
    ),
    "azure-native:authorization:RoleDefinition": (("roleDefinitionId",), ("roleName",)),
    "azure-native:authorization:RoleAssignment": (("scope", "roleAssignmentName"),),
    "azuread:index/application:Application": (("displayName",), ("identifierUris",)),
    "azuread:index/servicePrincipal:ServicePrincipal": (("clientId",),),
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (
        ("applicationId", "displayName"),
    ),
    "azuread:index/applicationCertificate:ApplicationCertificate": (("applicationId", "keyId"),),
    "azuread:index/appRoleAssignment:AppRoleAssignment": (("principalObjectId", "resourceObjectId", "appRoleId"),),
    # Google Cloud: service account ids, custom role ids and pool ids per project, providers per pool, IAM
    # members per (resource, role, member) (https://cloud.google.com/iam/docs/service-accounts-create,
    # .../creating-custom-roles, .../manage-workload-identity-pools-providers).
    "gcp:serviceaccount/account:Account": (("project", "accountId"),),
    "gcp:projects/iAMCustomRole:IAMCustomRole": (("project", "roleId"),),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": (("project", "workloadIdentityPoolId"),),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (
        ("project", "workloadIdentityPoolId", "workloadIdentityPoolProviderId"),
    ),
    "gcp:serviceaccount/iAMMember:IAMMember": (("serviceAccountId", "role", "member"),),
    "gcp:projects/iAMMember:IAMMember": (("project", "role", "member"),),
    "gcp:storage/bucketIAMMember:BucketIAMMember": (("bucket", "role", "member"),),
    "gcp:bigquery/datasetIamMember:DatasetIamMember": (("project", "datasetId", "role", "member"),),
}
SHARED = {  # what a platform stack exports: referenced, these are created by neither stack
    "agent-identity-kit:awsGithubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    "agent-identity-kit:awsKubernetesOidcProviderArns": json.dumps({
        "https://aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/":
        "arn:aws:iam::123456789012:oidc-provider/aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/",
    }),
    "agent-identity-kit:azureApiApplications": json.dumps({"https://catalog.data.example.com": {
        "clientId": "5c2b1a9e-0f4d-4e7b-9a11-3f6c2d8e7b10", "servicePrincipalObjectId": "a1b2c3d4-1111-2222-3333-444455556666",
    }}),
}


def physical_keys(resources: list[dict]) -> dict[tuple, str]:
    """Every physical key of every custom resource -> its URN; a key's link to another resource resolved."""
    owner: dict[str, dict] = {}
    for resource in resources:
        if resource["type"] in PHYSICAL_KEYS:
            resource_id, state = mock_outputs(resource["type"], resource["name"], resource["inputs"])
            assigned = [state[f] for f in ("arn", "objectId", "clientId", "principalId") if f in state
                        and f not in resource["inputs"]]  # what the cloud assigns, not an input copied through
            for value in (resource_id, *assigned):
                if isinstance(value, str):
                    owner[value] = resource

    def resolved(resource: dict, depth: int = 0) -> tuple:
        fields = PHYSICAL_KEYS[resource["type"]][0]
        return tuple(link(resource["inputs"].get(field), depth) for field in fields)

    def link(value, depth: int):
        if isinstance(value, list):
            return tuple(link(item, depth) for item in value)
        if isinstance(value, str) and value in owner and depth < 4:
            linked = owner[value]
            return (linked["type"], resolved(linked, depth + 1))
        return value

    keys: dict[tuple, str] = {}
    for resource in resources:
        for fields in PHYSICAL_KEYS.get(resource["type"], ()):
            if all(resource["inputs"].get(field) in (None, []) for field in fields):
                continue  # e.g. an agent's own Entra app has no identifier URI
            key = (resource["type"], fields, tuple(link(resource["inputs"].get(field), 0) for field in fields))
            assert key not in keys, f"{key} twice in one stack"
            keys[key] = resource["urn"]
    return keys


def preview(project: Path, stack: str) -> dict:
    out = project / f"{stack}.json"
    completed = subprocess.run([sys.executable, "-m", "agentid.cli", "preview", "--stack", stack, "--json", str(out)],
                               cwd=project, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(out.read_text())


def make_project(tmp_path: Path, extra: dict[str, str]) -> Path:
    """The repository's project with a prod stack of the dev agent file, both with `extra` config."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", project)
    # the gate settings of the dev stack (trusted issuers, its waiver); an API service principal `extra` names by
    # object id is the organisation's own as the gate lists it (AGID-AZ-066: the stack file cannot vouch for it)
    settings = yaml.safe_load((ROOT / "waivers.yaml").read_text())
    apps = json.loads(extra.get("agent-identity-kit:azureApiApplications", "{}"))
    if apps:
        settings["policyPackConfig"]["agent-guard"]["all"]["ownServicePrincipalIds"] = sorted(
            app["servicePrincipalObjectId"] for app in apps.values())
    (project / "waivers.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    shutil.copytree(ROOT / "policy_packs", project / "policy_packs", ignore=shutil.ignore_patterns("__pycache__"))
    dev = yaml.safe_load((project / "stacks" / "Pulumi.dev.yaml").read_text())
    dev["config"].update(extra)
    prod = {"config": {**dev["config"], "agent-identity-kit:azureResourceGroup": "rg-agent-identities-dev"}}
    (project / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(dev))
    (project / "stacks" / "Pulumi.prod.yaml").write_text(yaml.safe_dump(prod))  # same agent file: agents/dev.yaml
    return project


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("standalone"), {"acme-agents:azureLocation": "northeurope"})
    return preview(project, "dev"), preview(project, "prod")


@pytest.fixture(scope="module")
def with_shared(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("shared"), SHARED)
    return preview(project, "dev"), preview(project, "prod")


def test_preview_json_lists_every_resources_inputs(standalone):
    dev, _ = standalone
    roles = [r for r in dev["resources"] if r["type"] == "aws:iam/role:Role"]
    assert sorted(r["inputs"]["name"] for r in roles) == [
        "agent-data-ingest-dev", "agent-deploy-reviewer-dev", "agent-report-builder-dev", "agent-support-triage-dev",
    ]
    assert all("assumeRolePolicy" in r["inputs"] for r in roles)


def test_a_kit_key_in_another_namespace_is_one_warning_line_of_the_preview(standalone):
    dev, _ = standalone
    line = ("config key 'acme-agents:azureLocation' is ignored: the agent identity kit reads "
            "'agent-identity-kit:azureLocation' (one namespace whatever the project is called)")
    assert [warning for warning in dev["programWarnings"] if "acme-agents" in warning] == [line]
    identities = [r for r in dev["resources"] if r["type"] == "azure-native:managedidentity:UserAssignedIdentity"]
    assert identities and all("location" not in r["inputs"] for r in identities)  # the stray key was not read


def test_every_custom_resource_type_has_its_physical_keys_listed(standalone):
    for result in standalone:
        # Kubernetes objects (components/workload) are the workloads the agent file names (namespace/service
        # account): named by the spec, not by the kit, like the Pod Identity association below.
        types = {r["type"] for r in result["resources"] if not r["type"].startswith(("agentid:", "kubernetes:"))}
        assert types <= set(PHYSICAL_KEYS), types - set(PHYSICAL_KEYS)


def test_dev_and_prod_share_only_what_one_account_or_tenant_holds_once(standalone):
    dev, prod = (physical_keys(result["resources"]) for result in standalone)
    shared = sorted((key[0], key[2]) for key in dev.keys() & prod.keys())
    # What the kit cannot rename: an account's one OIDC provider per issuer URL, a tenant's one application
    # per identifier URI (reference them: awsGithubOidcProviderArn, awsKubernetesOidcProviderArns,
    # azureApiApplications, or the platform stack), and the workload the agent file itself names.
    assert shared == [
        ("aws:eks/podIdentityAssociation:PodIdentityAssociation", ("dev-agents", "support", "triage-agent")),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider",
         ("https://aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/",)),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", ("https://token.actions.githubusercontent.com",)),
        ("azuread:index/application:Application", (("https://catalog.data.example.com",),)),
    ]


def test_with_shared_resources_referenced_every_name_differs(with_shared):
    dev_result, prod_result = with_shared
    dev, prod = physical_keys(dev_result["resources"]), physical_keys(prod_result["resources"])
    assert len(dev) == len(prod) > 40
    shared = sorted((key[0], key[2]) for key in dev.keys() & prod.keys())
    assert shared == [  # only the Kubernetes workload the agent file names: one workload is not dev and prod
        ("aws:eks/podIdentityAssociation:PodIdentityAssociation", ("dev-agents", "support", "triage-agent")),
    ]
    prod_names = {r["inputs"].get("name") for r in prod_result["resources"]} - {None}
    assert "agent-support-triage-prod" in prod_names and "spiffe-data-example-org-prod" in prod_names


def test_secret_inputs_are_redacted_wherever_they_are_nested():
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cr3t-value"}
    message = struct_pb2.Struct()
    message.update({"name": "agent-a-dev", "tags": {"token": secret, "plain": "x"}, "list": [secret, "y"]})
    assert shown(message) == {"name": "agent-a-dev", "tags": {"token": SECRET_OUTPUT, "plain": "x"},
                              "list": [SECRET_OUTPUT, "y"]}
    plain = struct_pb2.Struct()
    plain.update({"name": "agent-a-dev"})
    assert shown(plain) is None  # no secret: the decoded inputs are shown as they are
