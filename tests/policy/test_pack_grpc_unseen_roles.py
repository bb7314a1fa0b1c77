"""AGID-AWS-044 over gRPC: sts:AssumeRole / iam:PassRole on a role the stack does not define is "cannot check".

Before this rule a role allowed to assume `arn:aws:iam::999988887777:role/OrganizationAccountAccessRole` (or
to pass an administrator role of its own account, defined elsewhere, to Lambda) got no finding at all.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from tests.policy.test_pack_grpc import GOOD_TAGS, PACK, allow, good_trust, policy, urn

ROLE, RP = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
FOREIGN = "arn:aws:iam::999988887777:role/OrganizationAccountAccessRole"
OWN_OUTSIDE = "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def stack(*statements) -> list[StackResource]:
    role = StackResource(ROLE, "agent-c", urn(ROLE, "agent-c"),
                         {"name": "agent-c", "assumeRolePolicy": good_trust(), "tags": GOOD_TAGS})
    worker = StackResource(ROLE, "agent-worker", urn(ROLE, "agent-worker"),
                           {"name": "agent-worker", "assumeRolePolicy": good_trust(), "tags": GOOD_TAGS})
    grant = StackResource(RP, "c1", urn(RP, "c1"), {"role": "agent-c", "policy": policy(*statements)})
    return [role, worker, grant]


def found(pack, resources, config=None) -> list:
    pack.configure(config or {})
    return [d for d in pack.analyze_stack(resources) if d.policy_name == "AGID-AWS-044"]


@pytest.mark.parametrize("statement, target", [
    (allow("sts:AssumeRole", FOREIGN), FOREIGN),
    (allow("sts:AssumeRole", OWN_OUTSIDE), OWN_OUTSIDE),
    (allow(["iam:PassRole"], OWN_OUTSIDE), OWN_OUTSIDE),
    (allow("sts:*", "arn:aws:iam::123456789012:role/ops/Admin"), "arn:aws:iam::123456789012:role/ops/Admin"),
    (allow("sts:AssumeRole", "arn:aws:iam::999988887777:role/Org*"), "arn:aws:iam::999988887777:role/Org*"),
    (allow("sts:AssumeRole", "arn:aws:iam::*:role/agent-worker"), "arn:aws:iam::*:role/agent-worker"),
])
def test_a_role_outside_the_stack_is_reported_advisory(pack, statement, target):
    [diag] = found(pack, stack(statement))
    assert diag.enforcement_level == "advisory" and diag.urn == urn(RP, "c1")
    assert target in diag.message and "cannot check what the role holds" in diag.message


def test_the_stacks_own_roles_and_other_actions_pass(pack):
    own = "arn:aws:iam::123456789012:role/AGENT-WORKER"  # IAM role names compare case-insensitively
    assert found(pack, stack(allow("sts:AssumeRole", own), allow("iam:PassRole", own))) == []
    assert found(pack, stack(allow("s3:GetObject", "arn:aws:s3:::reports/*"))) == []
    # a Deny on the outside role leaves nothing to check
    assert found(pack, stack(allow("sts:AssumeRole", FOREIGN),
                             {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": FOREIGN})) == []


def test_a_same_named_role_in_another_account_is_not_the_stacks(pack):
    other = "arn:aws:iam::999988887777:role/agent-worker"
    [diag] = found(pack, stack(allow("sts:AssumeRole", other)), {"AGID-AWS-044": {"ownAccountIds": ["123456789012"]}})
    assert other in diag.message
