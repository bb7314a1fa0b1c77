"""`agentid preview` end to end on SsmReplaceDocument (issue 11, misc4 item 1): a stack role that may delete an SSM
document and create one under the same name (named, or by a `document/*` create) blocks with AGID-AWS-020, mandatory;
one whose delete and create reach different names passes every escalation rule (it was AGID-AWS-056's "cannot check
what document/ops-run runs as")."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = """import json
import pulumi_aws as aws
DOC = "arn:aws:ssm:eu-west-1:111122223333:document/"
CASES = {
    "replace-same-name": [("ssm:DeleteDocument", DOC + "ops-run"), ("ssm:CreateDocument", DOC + "ops-run")],
    "replace-any-name": [("ssm:DeleteDocument", DOC + "ops-run"), ("ssm:CreateDocument", DOC + "*")],
    "delete-and-create-other-names": [("ssm:DeleteDocument", DOC + "ops-run"), ("ssm:CreateDocument", DOC + "agent-*")],
}
for name, grants in CASES.items():
    role = aws.iam.Role(name + "-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    aws.iam.RolePolicy(name, role=role.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource} for action, resource in grants]}))
"""


def test_a_replace_of_one_name_blocks_and_disjoint_names_pass(tmp_path):
    result = run_cli(project(tmp_path, PROGRAM), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--own-account", "111122223333", "--json", "gate.json")
    assert result.code == 1, result.stdout + result.stderr
    violations = result.json("gate.json")["violations"]
    escalation = {(v["policy"], v["resourceName"], v["mandatory"]) for v in violations
                  if v["policy"] in ("AGID-AWS-020", "AGID-AWS-021", "AGID-AWS-056")}
    assert escalation == {("AGID-AWS-020", "replace-same-name", True), ("AGID-AWS-020", "replace-any-name", True)}
    assert all("(SsmReplaceDocument): can " in v["message"] for v in violations if v["policy"] == "AGID-AWS-020")
