"""End to end (`agentid preview` with agent-guard): red5's AWS escalation findings 1-4 now exit 1.

Each passed (exit 0) before: PassRole of a role pattern + ec2:RunInstances, CreateAccessKey on a user the
stack does not define, UpdateFunctionCode on function:prod-*, SendCommand + AWS-RunShellScript on one
instance, AWSOrganizationsFullAccess attached by ARN. The look-alike program takes over only a user and a
function of its own whose policies are harmless (its policy created after them: a literal names a stack object only
then, issue 11), and reads named targets: no AGID-AWS-055/056/013.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli
from .test_gate_integrity import GUARD, by_policy, write_small

ROLE = '''
import json as _json
_TRUST = _json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                      "Principal": {"Service": "lambda.amazonaws.com"}}]})


def agent_role(name, *statements, after=()):
    role = aws.iam.Role(name, name=name, assume_role_policy=_TRUST, tags={"owner": "t"})
    aws.iam.RolePolicy(f"{name}-p", role=role.name, policy=_json.dumps({"Version": "2012-10-17",
                                                                        "Statement": list(statements)}),
                       opts=pulumi.ResourceOptions(depends_on=list(after)))
    return role
'''
A = "arn:aws:{}:eu-west-1:111122223333:{}"
FLAGGED = ROLE + f'''
agent_role("pr", {{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/service-role/*"}},
           {{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}})
agent_role("cak", {{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::111122223333:user/admin"}})
agent_role("code", {{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": "{A.format("lambda", "function:prod-*")}"}})
agent_role("ssm", {{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": [
    "{A.format("ec2", "instance/i-0123456789abcdef0")}", "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript"]}})
org = aws.iam.Role("org", name="org", assume_role_policy=_TRUST, tags={{"owner": "t"}})
aws.iam.RolePolicyAttachment("org-a", role=org.name, policy_arn="arn:aws:iam::aws:policy/AWSOrganizationsFullAccess")
'''
LOOK_ALIKE = ROLE + f'''
_READ = _json.dumps({{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject",
                      "Resource": "arn:aws:s3:::reports/*"}}]}})
user = aws.iam.User("ops", name="ops")
aws.iam.UserPolicy("ops-p", user=user.name, policy=_READ)
fn_role = agent_role("fn-role", {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}})
fn = aws.lambda_.Function("f", name="f", role=fn_role.arn, runtime="python3.12", handler="h.h",
                          code=pulumi.AssetArchive({{}}))
agent_role("own", {{"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:UpdateLoginProfile"],
                    "Resource": "arn:aws:iam::111122223333:user/ops"}},
           {{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": "{A.format("lambda", "function:f")}"}},
           {{"Effect": "Allow", "Action": ["iam:GetUser", "lambda:GetFunction", "ec2:DescribeInstances"],
             "Resource": ["arn:aws:iam::111122223333:user/admin", "{A.format("lambda", "function:prod-*")}"]}},
           after=[user, fn])  # names them by literal: created after them, else a decoy (issue 11)
ro = aws.iam.Role("ro", name="ro", assume_role_policy=_TRUST, tags={{"owner": "t"}})
aws.iam.RolePolicyAttachment("ro-a", role=ro.name, policy_arn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
'''
RULES = ("AGID-AWS-055", "AGID-AWS-056", "AGID-AWS-013")


def test_red5_aws_escalations_exit_1(project: Path) -> None:
    write_small(project, FLAGGED)
    run = run_cli(project, *GUARD, "--json", "out.json", timeout=300)
    assert run.code == 1, run.stdout + run.stderr
    document = run.json("out.json")
    found = sorted((v["policy"], v["resourceName"], v["enforcementLevel"]) for rule in RULES
                   for v in by_policy(document, rule))
    assert found == [("AGID-AWS-013", "org-a", "mandatory"), ("AGID-AWS-055", "pr", "mandatory"),
                     ("AGID-AWS-056", "cak", "mandatory"), ("AGID-AWS-056", "code", "mandatory"),
                     ("AGID-AWS-056", "ssm", "mandatory")]


def test_own_harmless_targets_and_reads_are_not_flagged(project: Path) -> None:
    write_small(project, LOOK_ALIKE)
    run = run_cli(project, *GUARD, "--json", "out.json", timeout=300)
    assert run.code in (0, 1), run.stdout + run.stderr  # a verdict was reached
    document = run.json("out.json")
    assert {"own", "f", "ops", "ro-a"} <= {r["name"] for r in document["resources"]}
    assert [v["message"] for rule in RULES for v in by_policy(document, rule)] == []
