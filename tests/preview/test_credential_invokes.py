"""AGID-GATE-001's list (agentid/preview/credential_invokes.yaml): real invoke tokens, and what it leaves alone."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from agentid.preview import credential_invokes


def _sdk_tokens(module: str, prefix: str) -> set[str]:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.submodule_search_locations is None:
        return set()
    tokens = set()
    for file in Path(next(iter(spec.submodule_search_locations))).rglob("get_*.py"):
        tokens.update(re.findall(r"invoke\('(" + re.escape(prefix) + r"[^']+)'", file.read_text(encoding="utf-8")))
    return tokens


@pytest.mark.parametrize(("module", "prefix"), [("pulumi_aws", "aws:"), ("pulumi_gcp", "gcp:"),
                                                ("pulumi_azure_native", "azure-native:")])
def test_every_listed_token_of_an_installed_sdk_is_one_of_its_invokes(module, prefix):
    """A misspelt token would never match what the program invokes: the list would pass what it names."""
    data = credential_invokes._data()
    listed = {t for t in (*data["mints"], *data["reads"], *data["runs_code"]) if t.startswith(prefix)}
    installed = _sdk_tokens(module, prefix)
    if not installed:
        pytest.skip(f"{module} is not installed")
    assert listed and listed <= installed, sorted(listed - installed)


@pytest.mark.parametrize("token", [
    "azure-native:storage:listStorageAccountKeys", "azure-native:web:listWebAppPublishingCredentialsSlot",
    "azure-native:containerservice:listManagedClusterAdminCredentials", "azure-native:storage:listStorageAccountSAS",
    "azure-native:documentdb:listDatabaseAccountConnectionStrings", "azure-native:storage/v20230101:listStorageAccountKeys",
    "aws:eks/getClusterAuth:getClusterAuth", "command:local:run", "aws:lambda/getInvocation:getInvocation",
    # existing secrets read, decrypted or signed with the deployer's key (red12 #3)
    "aws:secretsmanager/getSecretVersion:getSecretVersion", "aws:cognito/getUserPoolClient:getUserPoolClient",
    "gcp:secretmanager/getSecretVersionAccess:getSecretVersionAccess", "gcp:storage/getObjectSignedUrl:getObjectSignedUrl",
    "azure-native:operationalinsights:getSharedKeys", "azure-native:desktopvirtualization:getHostPoolRegistrationToken",
])
def test_credential_and_code_invokes_are_named(token):
    assert credential_invokes.what_it_does(token)


@pytest.mark.parametrize("token", [
    "azure-native:authorization:getClientConfig", "azure-native:storage:getStorageAccount",
    "azure-native:network:listActiveSecurityAdminRules", "azure-native:web:listWebAppSiteBackups",
    "aws:index/getCallerIdentity:getCallerIdentity", "aws:iam/getPolicyDocument:getPolicyDocument",
    "aws:eks/getCluster:getCluster", "gcp:organizations/getProject:getProject", "kubernetes:yaml:decode",
    "aws:secretsmanager/getSecret:getSecret", "aws:ssm/getParameter:getParameter", "gcp:secretmanager/getSecret:getSecret",
])
def test_lookups_are_not(token):
    assert credential_invokes.what_it_does(token) is None


def test_findings_count_repeats_and_name_the_stack():
    run = credential_invokes.findings(["aws:eks/getClusterAuth:getClusterAuth", "aws:index/getRegion:getRegion",
                                       "aws:eks/getClusterAuth:getClusterAuth"], "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev",
                                      "0.1.0")
    [violation] = run.violations
    assert (violation.policy, violation.urn, violation.mandatory) == (
        "AGID-GATE-001", "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", True)
    assert "getClusterAuth (2 calls)" in violation.message
    assert credential_invokes.findings(["aws:index/getRegion:getRegion"], "urn", "0.1.0") is None
