"""Pins by an organization, organization path, VPC or VPC endpoint count only for one the gate lists (red15 r15-7).

A Principal "*" trust, bucket policy or Secrets Manager policy (AGID-AWS-030), a cross-account trust (AGID-AWS-032)
or a Lambda permission for principal "*" (AGID-AWS-034) pinned by `aws:PrincipalOrgID = o-attacker...` or
`aws:SourceVpce = vpce-attacker...` passed: the pull request names the organization or endpoint, and the attacker's
organization holds any account its owner creates. Each key: flagged ("cannot tell") with nothing listed, flagged
("not one of yours") with another listed, passes with it listed (ownOrganizationIds, ownVpcIds, ownVpcEndpointIds,
the gate's settings) and passes for the id of a VPC endpoint the stack creates, which the gate's mocks answer as
`<name>-id` (an id AWS never issues, so the literal matches no caller; a real preview sends it unknown).
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.test_pack_grpc import PACK, urn

ORG, ATTACKER_ORG = "o-a1b2c3d4e5", "o-attacker000"
VPC, VPCE = "vpc-0a1b2c3d", "vpce-0a1b2c3d4e5f60718"
STRANGER = "999988887777"
ROLE = "aws:iam/role:Role"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
PERMISSION = "aws:lambda/permission:Permission"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def document(statement: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})


def public(type_: str, key: str, value: str) -> dict:
    condition = {"StringEquals": {key: value}}
    if type_ == ROLE:
        return {"assumeRolePolicy": document({"Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                                              "Condition": condition})}
    if type_ == BUCKET_POLICY:
        return {"bucket": "acme-data", "policy": document({"Principal": "*", "Action": "s3:GetObject",
                                                           "Resource": "arn:aws:s3:::acme-data/*", "Condition": condition})}
    return {"secretArn": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
            "policy": document({"Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                                "Condition": condition})}


def judged(pack, type_: str, props: dict, rule: str) -> list[tuple[str, str, str]]:
    return [(d.policy_name, d.enforcement_level, d.message) for d in pack.analyze(type_, "r", urn(type_, "r"), props)
            if d.policy_name == rule]


KEYS = [  # key, a foreign value, the own value, the setting, what it names, the own value's listed form
    ("aws:PrincipalOrgID", ATTACKER_ORG, ORG, "ownOrganizationIds", "organization", ORG),
    ("aws:SourceOrgID", ATTACKER_ORG, ORG, "ownOrganizationIds", "organization", ORG),
    ("aws:PrincipalOrgPaths", f"{ATTACKER_ORG}/r-ab12/ou-ab12-11111111/", f"{ORG}/r-ab12/ou-ab12-11111111/",
     "ownOrganizationIds", "organization path", ORG),
    ("aws:SourceVpce", "vpce-0feedfacefeedface", VPCE, "ownVpcEndpointIds", "VPC endpoint", VPCE),
    ("aws:SourceVpc", "vpc-0feedface", VPC, "ownVpcIds", "VPC", VPC),
]


@pytest.mark.parametrize("type_", [ROLE, BUCKET_POLICY, SECRET_POLICY])
@pytest.mark.parametrize("key, foreign, own, setting, what, listed", KEYS, ids=[k[0] for k in KEYS])
def test_a_pin_counts_only_for_an_own_organization_vpc_or_endpoint(pack, type_, key, foreign, own, setting, what,
                                                                     listed) -> None:
    pack.configure({})
    [(rule, level, message)] = judged(pack, type_, public(type_, key, foreign), "AGID-AWS-030")
    assert (rule, level) == ("AGID-AWS-030", "mandatory")
    assert f"pinned only by {key.lower()} (cannot tell whether {what} {foreign.lower()} is yours: list it in {setting})" \
        in message
    pack.configure({"AGID-AWS-030": {setting: [listed]}})
    try:
        [(_, level, message)] = judged(pack, type_, public(type_, key, foreign), "AGID-AWS-030")
        assert level == "mandatory" and f"{what} {foreign.lower()} is not one of yours ({setting}: {listed})" in message
        assert judged(pack, type_, public(type_, key, own), "AGID-AWS-030") == []  # look-alike: the own one
    finally:
        pack.configure({})


def test_the_pack_wide_entry_lists_own_organizations_for_every_rule(pack) -> None:
    pack.configure({"all": {"ownOrganizationIds": [ORG]}})
    try:
        assert judged(pack, ROLE, public(ROLE, "aws:PrincipalOrgID", ORG), "AGID-AWS-030") == []
        assert judged(pack, PERMISSION, {"action": "lambda:InvokeFunction", "function": "f", "principal": "*",
                                         "principalOrgId": ORG}, "AGID-AWS-034") == []
    finally:
        pack.configure({})


def test_a_stack_created_endpoint_or_vpc_pins_to_it(pack) -> None:
    # the gate's mocks answer a stack VpcEndpoint / Vpc / Organization id as `<name>-id`: no caller carries it
    pack.configure({})
    for key, value in (("aws:SourceVpce", "agent-endpoint-id"), ("aws:SourceVpc", "agent-vpc-id"),
                       ("aws:PrincipalOrgID", "org-id")):
        assert judged(pack, BUCKET_POLICY, public(BUCKET_POLICY, key, value), "AGID-AWS-030") == []


def test_an_account_pin_beside_a_foreign_organization_still_confines(pack) -> None:
    # conditions are ANDed: an account pin confines the grant whatever the organization (AGID-AWS-050 judges it)
    pack.configure({})
    props = {"bucket": "acme-data", "policy": document({
        "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-data/*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ATTACKER_ORG, "aws:PrincipalAccount": "111122223333"}}})}
    assert judged(pack, BUCKET_POLICY, props, "AGID-AWS-030") == []
    # ...and two organizations in one condition (ORed) confine only when both are own
    pack.configure({"AGID-AWS-030": {"ownOrganizationIds": [ORG]}})
    try:
        both = public(BUCKET_POLICY, "aws:PrincipalOrgID", ORG)
        both["policy"] = both["policy"].replace(f'"{ORG}"', f'["{ORG}", "{ATTACKER_ORG}"]')
        [(_, level, message)] = judged(pack, BUCKET_POLICY, both, "AGID-AWS-030")
        assert level == "mandatory" and f"organization {ATTACKER_ORG} is not one of yours" in message
    finally:
        pack.configure({})


def test_cross_account_trust_pinned_by_a_foreign_organization(pack) -> None:
    trust = {"assumeRolePolicy": document({"Principal": {"AWS": f"arn:aws:iam::{STRANGER}:root"},
                                           "Action": "sts:AssumeRole",
                                           "Condition": {"StringEquals": {"aws:PrincipalOrgID": ATTACKER_ORG}}})}
    pack.configure({"AGID-AWS-032": {"ownOrganizationIds": [ORG]}})
    try:
        [(_, level, message)] = judged(pack, ROLE, trust, "AGID-AWS-032")
        assert level == "mandatory" and STRANGER in message and f"organization {ATTACKER_ORG} is not one of yours" in message
        own = {"assumeRolePolicy": trust["assumeRolePolicy"].replace(ATTACKER_ORG, ORG)}
        assert judged(pack, ROLE, own, "AGID-AWS-032") == []
    finally:
        pack.configure({})


def test_lambda_permission_for_everyone_of_an_organization(pack) -> None:
    props = {"action": "lambda:InvokeFunction", "function": "arn:aws:lambda:us-east-1:111122223333:function:f",
             "principal": "*", "principalOrgId": ATTACKER_ORG}
    pack.configure({})
    [(_, level, message)] = judged(pack, PERMISSION, props, "AGID-AWS-034")
    assert level == "mandatory" and f"cannot tell whether organization {ATTACKER_ORG} is yours" in message
    pack.configure({"AGID-AWS-034": {"ownOrganizationIds": [ORG]}})
    try:
        assert judged(pack, PERMISSION, {**props, "principalOrgId": ORG}, "AGID-AWS-034") == []
        # another pin (sourceAccount) beside the organization confines it: AGID-AWS-050 judges that account
        assert judged(pack, PERMISSION, {**props, "sourceAccount": "111122223333"}, "AGID-AWS-034") == []
    finally:
        pack.configure({})


def test_key_full_control_for_everyone_of_an_organization(pack) -> None:
    key_policy = "aws:kms/keyPolicy:KeyPolicy"
    props = {"keyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
             "policy": document({"Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*",
                                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": ATTACKER_ORG}}})}
    pack.configure({"AGID-AWS-033": {"ownOrganizationIds": [ORG]}})
    try:
        [(_, level, message)] = judged(pack, key_policy, props, "AGID-AWS-033")
        assert level == "mandatory" and "gives any AWS principal full control" in message
        assert f"organization {ATTACKER_ORG} is not one of yours" in message
        own = {**props, "policy": props["policy"].replace(ATTACKER_ORG, ORG)}
        assert judged(pack, key_policy, own, "AGID-AWS-033") == []
    finally:
        pack.configure({})


@pytest.mark.parametrize("type_, props, field", [
    ("aws:lambda/layerVersionPermission:LayerVersionPermission",
     {"layerName": "tools", "versionNumber": 3, "action": "lambda:GetLayerVersion", "principal": "*",
      "statementId": "org", "organizationId": "{org}"}, "organizationId"),
    ("aws:cloudwatch/eventPermission:EventPermission",
     {"principal": "*", "statementId": "org", "condition": {"key": "aws:PrincipalOrgID", "type": "StringEquals",
                                                            "value": "{org}"}}, "condition"),
    ("aws:ec2/amiLaunchPermission:AmiLaunchPermission",
     {"imageId": "ami-0123456789abcdef0", "organizationArn": "arn:aws:organizations::999988887777:organization/{org}"},
     "organizationArn"),
], ids=["layer", "event-bus", "ami"])
def test_sharing_with_everyone_of_an_organization(pack, type_, props, field) -> None:
    def with_org(org: str) -> dict:
        return json.loads(json.dumps(props).replace("{org}", org))

    pack.configure({"AGID-AWS-041": {"ownOrganizationIds": [ORG]}})
    try:
        [(_, level, message)] = judged(pack, type_, with_org(ATTACKER_ORG), "AGID-AWS-041")
        assert level == "mandatory" and f"organization {ATTACKER_ORG} is not one of yours" in message
        assert judged(pack, type_, with_org(ORG), "AGID-AWS-041") == []
    finally:
        pack.configure({})
