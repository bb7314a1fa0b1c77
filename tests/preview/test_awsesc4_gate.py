"""`agentid preview` end to end on red17 r17-8 (awsesc4): the twins of listed escalation methods, each on `*` in a
RolePolicy of a stack role, block with AGID-AWS-020 (mandatory) and the exact method in the message; in the same
program the read-only twins of the same services and eks:AssociateAccessPolicy with a Deny of every policy but the
view-only one pass AGID-AWS-020."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

FLAGGED = {
    "agentcore-update-runtime": (["bedrock-agentcore:UpdateAgentRuntime"], "BedrockUpdateAgentRuntime"),
    "mq-create-user": (["mq:CreateUser"], "MqCreateUser"),
    "cognito-update-attributes": (["cognito-idp:AdminUpdateUserAttributes"], "CognitoAdminUpdateUserAttributes"),
    "bedrock-agent": (["bedrock:CreateAgent", "iam:PassRole", "bedrock:PrepareAgent", "bedrock:CreateAgentAlias",
                       "bedrock:InvokeAgent"], "PassRoleBedrockAgent"),
    "mwaa-update": (["airflow:UpdateEnvironment"], "MwaaUpdateEnvironment"),
    "grafana-token": (["grafana:CreateWorkspaceServiceAccountToken"], "GrafanaServiceAccountToken"),
    "msk-scram": (["kafka:BatchAssociateScramSecret"], "MskAssociateScramSecret"),
    "ssm-replace-document": (["ssm:DeleteDocument", "ssm:CreateDocument"], "SsmReplaceDocument"),
    "crl-disable": (["rolesanywhere:DisableCrl"], "RolesAnywhereDisableCrl"),
}
PASSING = {
    "agentcore-reads": ["bedrock-agentcore:GetAgentRuntime"],
    "mq-reads": ["mq:DescribeUser", "mq:ListUsers"],
    "cognito-reads": ["cognito-idp:AdminGetUser"],
    "mwaa-reads": ["airflow:GetEnvironment"],
    "grafana-reads": ["grafana:DescribeWorkspace"],
    "crl-reads": ["rolesanywhere:GetCrl", "rolesanywhere:EnableCrl"],
}
PROGRAM = """import json
import pulumi_aws as aws
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
def role_policy(name, statements):
    role = aws.iam.Role(name + "-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    aws.iam.RolePolicy(name, role=role.name, policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
for name, actions in CASES.items():
    role_policy(name, [{"Effect": "Allow", "Action": actions, "Resource": "*"}])
role_policy("eks-view-by-deny", [
    {"Effect": "Allow", "Action": "eks:AssociateAccessPolicy", "Resource": "*"},
    {"Effect": "Deny", "Action": "eks:AssociateAccessPolicy", "Resource": "*",
     "Condition": {"StringNotEquals": {"eks:policyArn": VIEW}}}])
"""


def test_r17_8_twins_block_and_their_read_only_twins_and_a_deny_pin_pass(tmp_path):
    cases = {name: actions for name, (actions, _) in FLAGGED.items()} | PASSING
    result = run_cli(project(tmp_path, f"CASES = {cases!r}\n" + PROGRAM), "--stack", "dev",
                     "--policy-pack", str(AGENT_GUARD), "--own-account", "111122223333", "--json", "gate.json")
    assert result.code == 1, result.stdout + result.stderr
    violations = [v for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-AWS-020"]
    assert {(v["resourceName"], v["mandatory"]) for v in violations} == {(name, True) for name in FLAGGED}, violations
    for violation in violations:
        assert f"({FLAGGED[violation['resourceName']][1]}): can " in violation["message"], violation
