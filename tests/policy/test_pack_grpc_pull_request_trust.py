"""AGID-AWS-031 / AGID-AZ-030 over gRPC: trust pinned to the GitHub pull-request subject.

Before this fix `repo:acme/x:pull_request` in an AWS role trust (GitHub OIDC provider) and in an Azure
federated identity credential passed `agentid preview`: every pull-request run of the repository carries
that subject. Source of the subject forms: GitHub docs, "About security hardening with OpenID Connect",
example subject claims and "Customizing the subject claims".
"""

from __future__ import annotations

import json

import pytest

from tests.policy.test_pack_grpc import urn

GITHUB = "token.actions.githubusercontent.com"
ROLE = "aws:iam/role:Role"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
APP_FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
FLEX = "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential"
FLAGGED = ["repo:acme/x:pull_request", "repo:acme/x:event_name:pull_request_target",
           "repo:acme/x:context:pull_request", "repo:Acme/X:PULL_REQUEST"]
PASSING = ["repo:acme/x:environment:prod", "repo:acme/x:ref:refs/heads/main",
           "repo:acme/x:environment:pull_request", "repo:acme/x:ref:refs/heads/pull_request"]


def mandatory(pack, type_, props, rule) -> list[str]:
    diags = pack.analyze(type_, "t", urn(type_, "t"), props)
    return [d.message for d in diags if d.policy_name == rule and d.enforcement_level == "mandatory"]


def role(sub, operator="StringEquals") -> dict:
    conditions = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}
    conditions.setdefault(operator, {})[f"{GITHUB}:sub"] = sub
    return {"name": "agent", "assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"},
         "Action": "sts:AssumeRoleWithWebIdentity", "Condition": conditions}]})}


@pytest.mark.parametrize("sub", FLAGGED)
def test_aws_trust_pinned_to_pull_requests_blocks(pack, sub):
    [message] = mandatory(pack, ROLE, role(sub), "AGID-AWS-031")
    assert f"{GITHUB}:sub subject {sub!r} is the one every pull-request run" in message


def test_aws_pull_request_subject_among_others_or_with_string_like_blocks(pack):
    assert mandatory(pack, ROLE, role(["repo:acme/x:environment:prod", "repo:acme/x:pull_request"]), "AGID-AWS-031")
    assert mandatory(pack, ROLE, role("repo:acme/x:pull_request", "StringLike"), "AGID-AWS-031")


@pytest.mark.parametrize("sub", PASSING)
def test_aws_trust_pinned_to_a_branch_or_environment_passes(pack, sub):
    assert mandatory(pack, ROLE, role(sub), "AGID-AWS-031") == []


@pytest.mark.parametrize("type_", [FIC, APP_FIC])
@pytest.mark.parametrize("sub", FLAGGED)
def test_azure_federated_credential_for_pull_requests_blocks(pack, type_, sub):
    props = {"resourceGroupName": "rg", "resourceName": "id-x", "issuer": f"https://{GITHUB}",
             "subject": sub, "audiences": ["api://AzureADTokenExchange"]}
    [message] = mandatory(pack, type_, props, "AGID-AZ-030")
    assert f"subject {sub!r} is the one every pull-request run" in message


@pytest.mark.parametrize("type_", [FIC, APP_FIC])
@pytest.mark.parametrize("sub", PASSING)
def test_azure_federated_credential_for_a_branch_or_environment_passes(pack, type_, sub):
    props = {"resourceGroupName": "rg", "resourceName": "id-x", "issuer": f"https://{GITHUB}",
             "subject": sub, "audiences": ["api://AzureADTokenExchange"]}
    assert mandatory(pack, type_, props, "AGID-AZ-030") == []


def test_flexible_credential_expression_naming_the_pull_request_subject_blocks(pack):
    flagged = {"claimsMatchingExpression": "claims['sub'] eq 'repo:acme/x:pull_request'"}
    assert mandatory(pack, FLEX, flagged, "AGID-AZ-030")
    passing = {"claimsMatchingExpression": "claims['sub'] eq 'repo:acme/x:environment:prod'"}
    assert mandatory(pack, FLEX, passing, "AGID-AZ-030") == []
