"""red15 r15-2 over gRPC: services that MINT a role's credentials for whoever they trust (IAM Roles Anywhere trust
anchors and profiles, SSM hybrid activations, IoT role aliases, EKS Pod Identity associations, Cognito identity
pools) passed with AGID-AWS-012's advisory: the permission to create or rewrite them is an escalation method now
(escalation_methods.yaml), AGID-AWS-020 mandatory, also through IAM wildcards; each read-only twin passes, and a
PassRole pinned to another service does not complete a PassRole path."""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names

POLICY = "aws:iam/policy:Policy"

CASES = {
    "RolesAnywhereUpdateTrustAnchor": ["rolesanywhere:UpdateTrustAnchor"],
    "PassRoleRolesAnywhereCreateProfile": ["iam:PassRole", "rolesanywhere:CreateProfile"],
    "PassRoleRolesAnywhereUpdateProfile": ["iam:PassRole", "rolesanywhere:UpdateProfile"],
    "PassRoleSsmActivation": ["iam:PassRole", "ssm:CreateActivation"],
    "PassRoleSsmUpdateManagedInstanceRole": ["iam:PassRole", "ssm:UpdateManagedInstanceRole"],
    "PassRoleIotCreateRoleAlias": ["iam:PassRole", "iot:CreateRoleAlias"],
    "PassRoleIotUpdateRoleAlias": ["iam:PassRole", "iot:UpdateRoleAlias"],
    "PassRoleEksCreatePodIdentityAssociation": ["iam:PassRole", "eks:CreatePodIdentityAssociation"],
    "PassRoleEksUpdatePodIdentityAssociation": ["iam:PassRole", "eks:UpdatePodIdentityAssociation"],
    "CognitoUpdateIdentityPool": ["cognito-identity:UpdateIdentityPool"],
}
READ_TWIN = {
    "rolesanywhere": ["rolesanywhere:ListTrustAnchors", "rolesanywhere:GetTrustAnchor", "rolesanywhere:GetProfile"],
    "ssm": ["ssm:DescribeActivations", "ssm:DescribeInstanceInformation"],
    "iot": ["iot:DescribeRoleAlias", "iot:ListRoleAliases"],
    "eks": ["eks:DescribePodIdentityAssociation", "eks:ListPodIdentityAssociations"],
    "cognito-identity": ["cognito-identity:DescribeIdentityPool"],
}
PASSED_TO = {"rolesanywhere": "rolesanywhere.amazonaws.com", "ssm": "ssm.amazonaws.com",
             "iot": "credentials.iot.amazonaws.com", "eks": "pods.eks.amazonaws.com"}


def _policy(*statements: dict) -> tuple:
    return (POLICY, "tool", {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})})


def _allow(actions, **extra) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": "*", **extra}


def _passrole(service: str) -> dict:
    return _allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": service}})


@pytest.mark.parametrize("method", sorted(CASES))
def test_each_method_blocks_and_its_read_only_twin_passes(pack, method) -> None:
    actions = CASES[method]
    service = next(a.split(":", 1)[0] for a in actions if a != "iam:PassRole")
    others = [a for a in actions if a != "iam:PassRole"]
    statements = [_allow(others)] + ([_passrole(PASSED_TO[service])] if "iam:PassRole" in actions else [])
    assert flagged_names(pack, "AGID-AWS-020", _policy(*statements), "mandatory") == ["tool"]
    assert flagged_names(pack, "AGID-AWS-020", _policy(_allow(READ_TWIN[service]))) == []


@pytest.mark.parametrize("service", sorted(PASSED_TO))
def test_passrole_pinned_to_another_service_does_not_complete_the_path(pack, service) -> None:
    others = [a for m in CASES.values() if "iam:PassRole" in m for a in m
              if a != "iam:PassRole" and a.startswith(service + ":")]
    assert others
    document = _policy(_passrole("lambda.amazonaws.com"), _allow(others))
    assert flagged_names(pack, "AGID-AWS-020", document) == []


@pytest.mark.parametrize("actions", [
    ["rolesanywhere:Update*"],                     # UpdateTrustAnchor (and UpdateProfile, no PassRole)
    ["rolesanywhere:*TrustAnchor"],                # Create/Update/Delete/Enable/Disable/GetTrustAnchor
    ["iam:Pass*", "ssm:CreateActiv?tion"],
    ["iam:PassRole", "iot:*RoleAlias"],
    ["iam:PassRole", "eks:*PodIdentityAssociation"],
    ["cognito-identity:Update*"],
])
def test_wildcard_spellings_block(pack, actions) -> None:
    assert flagged_names(pack, "AGID-AWS-020", _policy(_allow(actions)), "mandatory") == ["tool"]


def test_a_named_trust_anchor_is_not_every_anchor(pack) -> None:
    anchor = "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/4f1b2c3d-0000-4000-8000-000000000001"
    document = _policy({"Effect": "Allow", "Action": "rolesanywhere:UpdateTrustAnchor", "Resource": anchor})
    assert flagged_names(pack, "AGID-AWS-020", document) == []
