"""Values the engine marks secret (config secrets under a real `pulumi preview`), sent to agent_guard as the engine sends them.

The engine wraps each secret input as {SIG: SECRET, "value": ...} (Pulumi's secret signature,
sdk/go/common/resource/properties.go); pulumi_policy unwraps it. A secret-marked value is not a
"literal secret in the source" (AGID-AWS-007); stored in plaintext (Lambda/ECS environment, SSM String)
it is AGID-AWS-043; in a secret store it passes.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.ruletools import ACCOUNT, allow, policy
from tests.policy.test_pack_grpc import urn

SIG, SECRET = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"  # detect-secrets' GitHub token detector finds it
FUNCTION = "aws:lambda/function:Function"
PARAMETER = "aws:ssm/parameter:Parameter"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn"


def secret(value):
    return {SIG: SECRET, "value": value}


def lambda_env(variables) -> dict:
    return {"role": ROLE, "environment": {"variables": variables}}


def task(value) -> dict:
    return {"family": "app", "containerDefinitions": value}


def containers(value: str) -> str:
    return json.dumps([{"name": "app", "image": "app:1", "environment": [{"name": "GITHUB_TOKEN", "value": value}]}])


def verdict(pack, type_: str, props: dict) -> list[tuple[str, str]]:
    return sorted((d.policy_name, d.enforcement_level) for d in pack.analyze(type_, "r", urn(type_, "r"), props))


# (case id, type, props, expected (rule, level) pairs)
CASES = [
    ("lambda-env-config-secret", FUNCTION, lambda_env({"GITHUB_TOKEN": secret(TOKEN)}), [("AGID-AWS-043", "advisory")]),
    ("lambda-env-literal", FUNCTION, lambda_env({"GITHUB_TOKEN": TOKEN}), [("AGID-AWS-007", "mandatory")]),
    # marked secret, whatever a detector would say of the text: the program said it is a secret
    ("lambda-env-secret-any-text", FUNCTION, lambda_env({"DB_PASSWORD": secret("correct horse")}),
     [("AGID-AWS-043", "advisory")]),
    ("lambda-env-whole-map-secret", FUNCTION, {"role": ROLE, "environment": secret({"variables": {"T": TOKEN}})},
     [("AGID-AWS-043", "advisory")]),
    ("lambda-env-secret-empty", FUNCTION, lambda_env({"DB_PASSWORD": secret("")}), []),
    ("lambda-env-plain-setting", FUNCTION, lambda_env({"STAGE": "prod"}), []),
    ("secret-version-config-secret", SECRET_VERSION, {"secretId": "db", "secretString": secret(TOKEN)}, []),
    ("secret-version-literal", SECRET_VERSION, {"secretId": "db", "secretString": TOKEN},
     [("AGID-AWS-007", "mandatory")]),
    ("ssm-securestring-config-secret", PARAMETER, {"name": "/app/token", "type": "SecureString",
                                                   "value": secret(TOKEN)}, []),
    ("ssm-string-config-secret", PARAMETER, {"name": "/app/token", "type": "String", "value": secret(TOKEN)},
     [("AGID-AWS-043", "advisory")]),
    ("ssm-insecure-value-secret", PARAMETER, {"name": "/app/token", "type": "SecureString",
                                              "insecureValue": secret("s3cr3t")}, [("AGID-AWS-043", "advisory")]),
    ("ecs-definitions-secret", TASK, task(secret(containers(TOKEN))), [("AGID-AWS-043", "advisory")]),
    ("ecs-definitions-literal", TASK, task(containers(TOKEN)), [("AGID-AWS-007", "mandatory")]),
]


@pytest.mark.parametrize("case,type_,props,expected", CASES, ids=[c[0] for c in CASES])
def test_secret_marked_values_are_judged_as_secrets_not_literals(pack, case, type_, props, expected):
    assert verdict(pack, type_, props) == expected


def test_the_finding_says_what_it_is_and_where_it_is_readable(pack):
    [diag] = pack.analyze(FUNCTION, "triage", urn(FUNCTION, "triage"), lambda_env({"GITHUB_TOKEN": secret(TOKEN)}))
    assert "triage: environment.variables.GITHUB_TOKEN holds a value Pulumi keeps secret" in diag.message
    assert "lambda:GetFunctionConfiguration" in diag.message and "literal" not in diag.message


def test_other_rules_read_secret_marked_values_as_the_values_they_are(pack):
    role = "aws:iam/rolePolicy:RolePolicy"
    marked = pack.analyze(role, "p", urn(role, "p"), {"role": "agent", "policy": secret(policy(allow("*")))})
    plain = pack.analyze(role, "p", urn(role, "p"), {"role": "agent", "policy": policy(allow("*"))})
    assert [(d.policy_name, d.message) for d in marked] == [(d.policy_name, d.message) for d in plain]
    assert "AGID-AWS-010" in {d.policy_name for d in marked}
