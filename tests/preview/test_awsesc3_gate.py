"""`agentid preview` end to end on issue 11's escalation paths (awsesc3): a CI role's policy allowing
eks:AssociateAccessPolicy on every access entry blocks with AGID-AWS-020, a gateway target reaching its target with the
caller's IAM credentials with AGID-AWS-071, and an EKS access policy association for another account's principal
(no access entry in the program) with AGID-AWS-064; the association pinned to the view-only policy, the gateway's
own role and the own account's principal pass those rules."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

RULES = {"AGID-AWS-020", "AGID-AWS-071", "AGID-AWS-064"}
OWN = "111122223333"
PROGRAM = """import json
import pulumi_aws as aws
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
role = aws.iam.Role("ci", name="ci-deploy", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "codebuild.amazonaws.com"}}]}))
statement = {"Effect": "Allow", "Action": "eks:AssociateAccessPolicy", "Resource": "*"}
if PINNED:
    statement["Condition"] = {"StringEquals": {"eks:policyArn": VIEW}}
aws.iam.RolePolicy("ci-eks", role=role.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
aws.bedrock.AgentcoreGatewayTarget("runtime-target", gateway_identifier="gw", name="runtime",
    credential_provider_configuration=CREDENTIALS,
    target_configuration={"mcp": {"mcp_server": {
        "endpoint": "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/tools/invocations"}}})
aws.eks.AccessPolicyAssociation("partner-view", cluster_name="prod", policy_arn=VIEW,
    principal_arn=f"arn:aws:iam::{ACCOUNT}:role/partner-ci", access_scope={"type": "namespace", "namespaces": ["agents"]})
"""


def _program(pinned: bool, credentials: str, account: str) -> str:
    return f"PINNED = {pinned}\nCREDENTIALS = {credentials}\nACCOUNT = {account!r}\n" + PROGRAM


def _preview(tmp_path, program):
    tmp_path.mkdir()
    return run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                   "--own-account", OWN, "--json", "gate.json")


def _findings(result):
    return {(v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
            if v["policy"] in RULES}


def test_association_alone_caller_credentials_and_a_foreign_association_block(tmp_path):
    result = _preview(tmp_path / "flagged", _program(False, '{"caller_iam_credentials": {"service": "bedrock-agentcore"}}',
                                                     "999988887777"))
    assert result.code == 1, result.stdout + result.stderr
    assert _findings(result) == {("ci-eks", "AGID-AWS-020", True), ("runtime-target", "AGID-AWS-071", True),
                                 ("partner-view", "AGID-AWS-064", True)}, result.json("gate.json")["violations"]
    messages = {v["resourceName"]: v["message"] for v in result.json("gate.json")["violations"] if v["policy"] in RULES}
    assert "EksAssociateAccessPolicy" in messages["ci-eks"]
    assert "caller's IAM credentials" in messages["runtime-target"]
    assert "999988887777" in messages["partner-view"]


def test_view_only_association_the_gateways_role_and_an_own_principal_pass(tmp_path):
    result = _preview(tmp_path / "alike", _program(True, '{"gateway_iam_role": {"service": "bedrock-agentcore"}}', OWN))
    assert result.code in (0, 1), result.stdout + result.stderr
    assert _findings(result) == set(), result.json("gate.json")["violations"]
