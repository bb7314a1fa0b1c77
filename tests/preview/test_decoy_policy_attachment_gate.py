"""`agentid preview` end to end on a typed decoy POLICY matched by its literal ARN (issue 11, AGID-AWS-015).

The stack's `aws.iam.Policy("decoy", name="prod-admin-policy", policy=<harmless>)` fails to create when a policy
`prod-admin-policy` exists, while an attachment naming `arn:aws:iam::<account>:policy/prod-admin-policy` by a LITERAL,
not waiting for the decoy, is still made: it attaches the EXISTING policy, whose document the pack never sees, so it
blocks as any customer policy the stack does not define ("cannot check what it grants"). Every attachment shape does
it (RolePolicyAttachment, PolicyAttachment, RolePolicyAttachmentsExclusive, Role.managedPolicyArns). The same
attachment by Output (`decoy.arn`) or by the literal with `depends_on` the policy passes.
"""

from __future__ import annotations

import pytest

from agentid.mock_provider import MOCK_ACCOUNT

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

LITERAL = f'"arn:aws:iam::{MOCK_ACCOUNT}:policy/prod-admin-policy"'
BASE = """import json
import pulumi
import pulumi_aws as aws
trust = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})
decoy = aws.iam.Policy("decoy", name="prod-admin-policy", policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::agent-data/*"}]}))
"""
ROLE = 'role = aws.iam.Role("r", name="r", assume_role_policy=trust)\n'
WAIT = ", opts=pulumi.ResourceOptions(depends_on=[decoy])"


def _attachments(arn: str, wait: str = "") -> dict[str, str]:
    """Each attachment shape of the policy `arn` to the role (name of the resource that attaches -> program)."""
    return {
        "att": BASE + ROLE + f'aws.iam.RolePolicyAttachment("att", role=role.name, policy_arn={arn}{wait})\n',
        "patt": BASE + ROLE + f'aws.iam.PolicyAttachment("patt", roles=[role.name], policy_arn={arn}{wait})\n',
        "excl": BASE + ROLE + (f'aws.iam.RolePolicyAttachmentsExclusive("excl", role_name=role.name, '
                               f'policy_arns=[{arn}]{wait})\n'),
        "r": BASE + f'role = aws.iam.Role("r", name="r", assume_role_policy=trust, managed_policy_arns=[{arn}]{wait})\n',
    }


def _preview(tmp_path, program):
    tmp_path.mkdir()
    return run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "gate.json")


def _violations(result):
    """The mandatory findings (inventory tags are advisory and beside the point)."""
    return sorted((v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
                  if v["mandatory"])


@pytest.mark.parametrize("holder", ["att", "patt", "excl", "r"])
def test_attaching_a_decoy_policys_arn_without_waiting_for_it_blocks(tmp_path, holder):
    result = _preview(tmp_path / holder, _attachments(LITERAL)[holder])
    assert result.code == 1, result.stdout + result.stderr
    assert _violations(result) == [(holder, "AGID-AWS-015", True)]
    message = next(v["message"] for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-AWS-015")
    assert (f"{holder} attaches arn:aws:iam::{MOCK_ACCOUNT}:policy/prod-admin-policy, a policy neither defined in this "
            "stack nor AWS managed") in message


@pytest.mark.parametrize("holder", ["att", "patt", "excl", "r"])
@pytest.mark.parametrize(("arn", "wait"), [("decoy.arn", ""), (LITERAL, WAIT)], ids=["output", "depends_on"])
def test_the_same_attachment_by_output_or_ordered_after_the_policy_passes(tmp_path, holder, arn, wait):
    result = _preview(tmp_path / holder, _attachments(arn, wait)[holder])
    assert result.code == 0, result.stdout + result.stderr
    assert _violations(result) == []
