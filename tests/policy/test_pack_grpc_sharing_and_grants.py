"""Public artifact sharing (AGID-AWS-041) and KMS grants (AGID-AWS-042), sent to agent_guard as the engine sends them.

Each case: the resource that must be flagged (exactly one diagnostic, of the rule, at its level) and the
look-alike a careful program writes, which must pass with no diagnostic at all.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.ruletools import ACCOUNT, UNKNOWN
from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.test_pack_grpc import PACK, urn

OTHER = "210987654321"
LAYER = "aws:lambda/layerVersionPermission:LayerVersionPermission"
AMI = "aws:ec2/amiLaunchPermission:AmiLaunchPermission"
EVENTS = "aws:cloudwatch/eventPermission:EventPermission"
GRANT = "aws:kms/grant:Grant"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LAYER_BASE = {"layerName": "shared-deps", "versionNumber": 3.0, "action": "lambda:GetLayerVersion",
              "statementId": "share"}

# (case id, type, flagged props, rule id, level, look-alike props)
CASES = [
    ("layer-public", LAYER, {**LAYER_BASE, "principal": "*"}, "AGID-AWS-041", "mandatory",
     {**LAYER_BASE, "principal": "*", "organizationId": "o-a1b2c3d4e5"}),
    ("layer-public-padded", LAYER, {**LAYER_BASE, "principal": " * "}, "AGID-AWS-041", "mandatory",
     {**LAYER_BASE, "principal": OTHER}),
    ("layer-public-empty-org", LAYER, {**LAYER_BASE, "principal": "*", "organizationId": ""}, "AGID-AWS-041",
     "mandatory", {**LAYER_BASE, "principal": "*", "organizationId": UNKNOWN}),
    ("ami-public", AMI, {"imageId": "ami-0abc", "group": "all"}, "AGID-AWS-041", "mandatory",
     {"imageId": "ami-0abc", "accountId": OTHER}),
    ("ami-org", AMI, {"imageId": "ami-0abc", "group": "all"}, "AGID-AWS-041", "mandatory",
     {"imageId": "ami-0abc", "organizationArn": "arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5"}),
    ("event-bus-public", EVENTS, {"principal": "*", "statementId": "any"}, "AGID-AWS-041", "mandatory",
     {"principal": "*", "statementId": "org", "condition": {"key": "aws:PrincipalOrgID", "type": "StringEquals",
                                                             "value": "o-a1b2c3d4e5"}}),
    ("event-bus-account", EVENTS, {"principal": "*", "statementId": "any", "condition": {"key": "aws:PrincipalOrgID",
                                                                                         "type": "StringEquals"}},
     "AGID-AWS-041", "mandatory", {"principal": OTHER, "statementId": "partner"}),
    ("grant-foreign-decrypt", GRANT,
     {"keyId": KEY_ARN, "granteePrincipal": f"arn:aws:iam::{OTHER}:root", "operations": ["Decrypt"]},
     "AGID-AWS-042", "mandatory",
     {"keyId": KEY_ARN, "granteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/reader", "operations": ["Decrypt"]}),
    ("grant-foreign-account-id", GRANT,
     {"keyId": KEY_ARN, "granteePrincipal": OTHER, "operations": ["GenerateDataKey", "DescribeKey"]},
     "AGID-AWS-042", "mandatory",
     {"keyId": KEY_ARN, "granteePrincipal": OTHER, "operations": ["DescribeKey", "GetPublicKey", "Verify"]}),
    ("grant-foreign-retiring-only", GRANT,
     {"keyId": KEY_ARN, "granteePrincipal": f"arn:aws:iam::{OTHER}:role/x", "operations": ["Decrypt"],
      "retiringPrincipal": f"arn:aws:iam::{ACCOUNT}:root"}, "AGID-AWS-042", "mandatory",
     {"keyId": KEY_ARN, "granteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/x", "operations": ["Decrypt"],
      "retiringPrincipal": f"arn:aws:iam::{OTHER}:root"}),
    ("grant-create-grant-own-account", GRANT,
     {"keyId": KEY_ARN, "granteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/agent", "operations": ["Decrypt",
                                                                                                 "CreateGrant"]},
     "AGID-AWS-042", "mandatory",
     {"keyId": KEY_ARN, "granteePrincipal": UNKNOWN, "operations": ["Decrypt", "GenerateDataKey"]}),
    ("grant-unjudgeable-grantee", GRANT,
     {"keyId": KEY_ARN, "granteePrincipal": "*", "operations": ["Decrypt"]}, "AGID-AWS-042", "mandatory",
     {"keyId": KEY_ARN, "granteePrincipal": f"arn:aws:sts::{ACCOUNT}:assumed-role/agent/session",
      "operations": ["Encrypt"]}),
    ("grant-bare-key-id", GRANT,
     {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "granteePrincipal": f"arn:aws:iam::{OTHER}:root",
      "operations": ["Decrypt"]}, "AGID-AWS-042", "mandatory",
     {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "granteePrincipal": f"arn:aws:iam::{OTHER}:root",
      "operations": ["RetireGrant"]}),
]


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        # the look-alikes share with a named account: one of ours (else AGID-AWS-050: "cannot tell whether ...")
        # and an organization the gate lists (red15 r15-7: an unlisted one is the pull request's word)
        running.configure({"AGID-AWS-050": {"ownAccountIds": [OTHER]},
                           "AGID-AWS-041": {"ownOrganizationIds": ["o-a1b2c3d4e5"]}})
        yield running


@pytest.mark.parametrize("case,type_,flagged,rule_id,level,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, rule_id, level, look_alike):
    assert_flagged_and_look_alike(pack, case, type_, flagged, rule_id, level, look_alike)


def test_grant_messages_name_the_account_and_the_power(pack):
    [diag] = pack.analyze(GRANT, "g", urn(GRANT, "g"), {"keyId": KEY_ARN, "granteePrincipal": f"arn:aws:iam::{OTHER}:root",
                                                       "operations": ["Decrypt", "ReEncryptFrom"]})
    assert f"account {OTHER}" in diag.message and "Decrypt, ReEncryptFrom" in diag.message
    assert f"is a foreign account (the stack's own: {ACCOUNT})" in diag.message and "[public-access] " in diag.message
    [diag] = pack.analyze(GRANT, "g", urn(GRANT, "g"), {"keyId": KEY_ARN, "granteePrincipal": UNKNOWN,
                                                       "operations": ["CreateGrant"]})
    assert "[escalation] " in diag.message and "any principal in any account" in diag.message


def test_own_accounts_config_decides_when_the_key_is_computed(pack):
    props = {"keyId": UNKNOWN, "granteePrincipal": f"arn:aws:iam::{OTHER}:root", "operations": ["Decrypt"]}
    [diag] = pack.analyze(GRANT, "g", urn(GRANT, "g"), props)
    assert diag.enforcement_level == "advisory" and "cannot check until known: keyId" in diag.message
    pack.configure({"AGID-AWS-042": {"ownAccountIds": [ACCOUNT]}})
    try:
        [diag] = pack.analyze(GRANT, "g", urn(GRANT, "g"), props)
        assert diag.enforcement_level == "mandatory" and f"account {OTHER}" in diag.message
        pack.configure({"AGID-AWS-042": {"ownAccountIds": [ACCOUNT, OTHER]}})
        assert pack.analyze(GRANT, "g", urn(GRANT, "g"), props) == []
    finally:
        pack.configure({})


@pytest.mark.parametrize("operations", [{"Decrypt": True}, [], [1], "Decrypt"])
def test_unreadable_operations_fail_closed(pack, operations):
    [diag] = pack.analyze(GRANT, "g", urn(GRANT, "g"), {"keyId": KEY_ARN, "granteePrincipal": OTHER,
                                                       "operations": operations})
    assert diag.policy_name == "AGID-AWS-042" and "operations" in diag.message and "g" in diag.message
