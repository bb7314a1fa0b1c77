"""AGID-PRV-004 over gRPC (red18 r18-6): a provider that switches the deployment into another account, tenant or
project, or signs in with a committed token, blocks; the same provider staying in the own ones passes."""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import assert_flagged_and_look_alike

RULE = "AGID-PRV-004"
OWN_ACCOUNT, OTHER_ACCOUNT = "111122223333", "999988887777"
OWN_TENANT, OTHER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47", "11111111-2222-3333-4444-555555555555"
EKS_TOKEN = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"  # the runner's own (runner_paths.yaml)
CONFIG = {"all": {"ownAccountIds": [OWN_ACCOUNT], "ownGcpProjects": ["acme-prod"]}, RULE: {"ownTenantIds": [OWN_TENANT]}}


@pytest.fixture(autouse=True)
def _configured(pack):
    pack.configure(CONFIG)
    yield
    pack.configure({})


@pytest.mark.parametrize("case,package,flagged,look_alike", [
    ("aws-assume-foreign", "aws", {"region": "eu-west-1", "assumeRoles": [{"roleArn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/collector"}]},
     {"region": "eu-west-1", "assumeRoles": [{"roleArn": f"arn:aws:iam::{OWN_ACCOUNT}:role/deploy"}]}),
    ("aws-assume-json", "aws", {"assumeRoles": json.dumps([{"roleArn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/x"}])},
     {"assumeRoles": json.dumps([{"roleArn": f"arn:aws:iam::{OWN_ACCOUNT}:role/x"}])}),
    # as a dict literal in the program sends it: the Terraform spelling, JSON text
    ("aws-assume-snake", "aws", {"assumeRoles": json.dumps([{"role_arn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/x"}])},
     {"assumeRoles": json.dumps([{"role_arn": f"arn:aws:iam::{OWN_ACCOUNT}:role/x"}])}),
    ("aws-web-identity", "aws", {"assumeRoleWithWebIdentity": {"roleArn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/x",
                                                               "webIdentityTokenFile": EKS_TOKEN}},
     {"assumeRoleWithWebIdentity": {"roleArn": f"arn:aws:iam::{OWN_ACCOUNT}:role/x", "webIdentityTokenFile": EKS_TOKEN}}),
    ("azure-tenant", "azure-native", {"tenantId": OTHER_TENANT}, {"tenantId": OWN_TENANT}),
    ("azure-auxiliary", "azure-native", {"auxiliaryTenantIds": [OTHER_TENANT]}, {"auxiliaryTenantIds": [OWN_TENANT]}),
    ("azuread-tenant", "azuread", {"tenantId": OTHER_TENANT}, {"tenantId": OWN_TENANT}),
    ("gcp-impersonate", "gcp", {"impersonateServiceAccount": "admin@evil-project.iam.gserviceaccount.com"},
     {"impersonateServiceAccount": "deploy@acme-prod.iam.gserviceaccount.com"}),
    ("gcp-token", "gcp", {"accessToken": "ya29.a0AfH6SMBexampleexampleexample"}, {"project": "acme-prod"}),
])
def test_a_provider_switching_the_deployment_elsewhere_blocks(pack, case, package, flagged, look_alike) -> None:
    assert_flagged_and_look_alike(pack, case, f"pulumi:providers:{package}", flagged, RULE, "mandatory", look_alike)


def test_without_own_accounts_an_assumed_role_cannot_be_told_own(pack) -> None:
    pack.configure({})
    type_ = "pulumi:providers:aws"
    [diag] = [d for d in pack.analyze(type_, "p", f"urn:pulumi:dev::p::{type_}::p",
                                      {"assumeRoles": [{"roleArn": f"arn:aws:iam::{OWN_ACCOUNT}:role/deploy"}]})
              if d.policy_name == RULE]
    assert "cannot tell" in diag.message
