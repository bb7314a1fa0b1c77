"""The IoT credential provider (red9a #4), over gRPC: a device certificate turned into a role's STS credentials.

AGID-AWS-059: an IoT policy allowing iot:AssumeRoleWithCertificate on `*`, a role-alias pattern, through `iot:*` or
NotResource hands every certificate it is attached to every alias's role. Look-alikes: the exact role-alias ARN (also
with an IoT policy variable naming one alias per thing), a policy that only lets devices publish. AGID-LIFE-001 reads
the alias's credentialDuration (up to 12 hours) like a Roles Anywhere profile's durationSeconds.
"""

from __future__ import annotations

import json

from agentid.mock_engine import UNKNOWN
from tests.policy.pack_cases import flagged_names

ALIAS = "arn:aws:iot:eu-west-1:123456789012:rolealias/agent"
POLICY = "aws:iot/policy:Policy"
ROLE_ALIAS = "aws:iot/roleAlias:RoleAlias"


def iot_policy(action, resource, *, key: str = "Resource") -> dict:
    return {"name": "devices", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, key: resource}]})}


def test_assume_role_with_certificate_on_any_alias_is_a_mandatory_violation(pack) -> None:
    for props in (iot_policy("iot:AssumeRoleWithCertificate", "*"),
                  iot_policy("iot:*", "*"),
                  iot_policy(["iot:Connect", "iot:assumerolewithcertificate"],
                             "arn:aws:iot:eu-west-1:123456789012:rolealias/*"),
                  iot_policy("iot:AssumeRoleWithCertificate", "arn:aws:iot:eu-west-1:123456789012:rolealias/agent-?"),
                  iot_policy("iot:AssumeRoleWithCertificate", "arn:aws:iot:eu-west-1:123456789012:topic/x",
                             key="NotResource"),
                  {"name": "devices", "policy": "{not json"}):
        assert flagged_names(pack, "AGID-AWS-059", (POLICY, "devices", props), "mandatory") == ["devices"], props


def test_one_named_alias_or_no_credential_action_passes(pack) -> None:
    for props in (iot_policy("iot:AssumeRoleWithCertificate", ALIAS),
                  iot_policy("iot:AssumeRoleWithCertificate",
                             "arn:aws:iot:eu-west-1:123456789012:rolealias/${iot:Connection.Thing.ThingName}"),
                  iot_policy(["iot:Connect", "iot:Publish"], "*")):
        assert flagged_names(pack, "AGID-AWS-059", (POLICY, "devices", props)) == [], props
    assert flagged_names(pack, "AGID-AWS-059", (POLICY, "devices", {"name": "d", "policy": UNKNOWN}),
                         "mandatory") == []  # unknown: "cannot check", blocking only with --strict-unknowns


def test_a_role_alias_lifetime_is_capped_like_a_roles_anywhere_session(pack) -> None:
    alias = {"alias": "agent", "roleArn": "arn:aws:iam::123456789012:role/iot"}
    assert flagged_names(pack, "AGID-LIFE-001", (ROLE_ALIAS, "ra", {**alias, "credentialDuration": 43200})) == ["ra"]
    assert flagged_names(pack, "AGID-LIFE-001", (ROLE_ALIAS, "ra", {**alias, "credentialDuration": 3600})) == []
