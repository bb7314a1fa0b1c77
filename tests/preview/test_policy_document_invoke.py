"""aws:iam/getPolicyDocument is rendered by the provider at preview: the gate answers it with the provider's JSON.

Rendering facts: the provider's docs (https://www.pulumi.com/registry/packages/aws/api-docs/iam/getpolicydocument/,
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document) and Go's
encoding/json (one-item sets as strings, longer sets reverse-sorted, HTML characters escaped, 2-space indent).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from agentid.aws_policy_document import render
from agentid.mock_engine import UNKNOWN, mock_call

from .conftest import AGENT_GUARD, run_cli

TOKEN = "aws:iam/getPolicyDocument:getPolicyDocument"


def test_one_statement_renders_as_the_provider_does() -> None:
    out = mock_call(TOKEN, {"statements": [{"actions": ["*"], "resources": ["*"]}]})
    assert out["json"] == textwrap.dedent("""\
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Effect": "Allow",
              "Action": "*",
              "Resource": "*"
            }
          ]
        }""")
    assert out["minifiedJson"] == '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


def test_sets_principals_conditions_and_escaping() -> None:
    out = render({"policyId": "p1", "statements": [{
        "sid": "Read", "effect": "Deny",
        "actions": ["s3:GetObject", "s3:ListBucket", "s3:GetObject"],
        "notResources": ["arn:aws:s3:::b/<x>&y"],
        "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]},
                       {"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
        "conditions": [{"test": "StringLike", "variable": "s3:prefix", "values": ["home/", "alpha/"]},
                       {"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]}],
    }]})
    assert out is not None
    assert out["minifiedJson"] == (
        '{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"Read","Effect":"Deny",'
        '"Action":["s3:ListBucket","s3:GetObject"],"NotResource":"arn:aws:s3:::b/\\u003cx\\u003e\\u0026y",'
        '"Principal":{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:root"],'
        '"Service":"lambda.amazonaws.com"},'
        '"Condition":{"Bool":{"aws:SecureTransport":["true"]},"StringLike":{"s3:prefix":["home/","alpha/"]}}}]}')
    assert json.loads(out["json"]) == json.loads(out["minifiedJson"])


def test_star_principal_and_not_principal() -> None:
    out = render({"statements": [{"principals": [{"type": "*", "identifiers": ["*"]}], "actions": ["sts:AssumeRole"]},
                                 {"notPrincipals": [{"type": "AWS", "identifiers": ["*"]}], "notActions": ["iam:*"]}]})
    assert json.loads(out["minifiedJson"])["Statement"] == [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "NotPrincipal": {"AWS": "*"}}]


def test_source_and_override_documents_merge_by_sid() -> None:
    source = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Sid": "B", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]})
    override = json.dumps({"Id": "over", "Statement": [{"Sid": "B", "Effect": "Allow", "Action": "*", "Resource": "*"}]})
    out = render({"sourcePolicyDocuments": [source], "overridePolicyDocuments": [override],
                  "statements": [{"sid": "A", "actions": ["s3:ListBucket"], "resources": ["arn:aws:s3:::b"]},
                                 {"actions": ["sqs:SendMessage"], "resources": ["*"]}]})
    assert json.loads(out["minifiedJson"]) == {"Version": "2012-10-17", "Id": "over", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
        {"Sid": "B", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}


@pytest.mark.parametrize("args", [
    {"statements": [{"actions": ["*"], "resources": [UNKNOWN]}]},  # unknown input
    {"statements": [{"actions": ["s3:*"], "resources": ["arn:aws:s3:::b/&{aws:username}"]}]},  # provider rewrites &{
    {"statements": [{"principals": [{"type": "AWS", "identifiers": ["a"]}, {"type": "AWS", "identifiers": ["b"]}]}]},
    {"statements": [{"actions": ["*"], "effect": "Permit"}]},  # the provider rejects it
    {"sourcePolicyDocuments": ["{not json"], "statements": [{"actions": ["*"]}]},
    {"sourcePolicyDocuments": ['{"Statement": [{"action": "*"}]}'], "statements": [{"actions": ["*"]}]},  # Go's case folding
    {"statements": []},
])
def test_what_cannot_be_rendered_exactly_stays_unknown(args: dict) -> None:
    assert render(args) is None
    assert mock_call(TOKEN, args) == {}


def _project(tmp_path: Path, program: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent('''\
        import json, pulumi_aws as aws
        tags = {"agent": "d", "owner": "x", "review-by": "2030-01-01"}
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        r = aws.iam.Role("d", name="agent-d", assume_role_policy=trust, tags=tags)
        ''') + textwrap.dedent(program))
    return tmp_path


@pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")
@pytest.mark.parametrize("statement, blocked", [
    ('{"actions": ["*"], "resources": ["*"]}', True),
    ('{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::reports/*"]}', False),
])
def test_the_gate_judges_a_policy_built_by_get_policy_document(tmp_path: Path, statement: str, blocked: bool) -> None:
    project = _project(tmp_path, f'''
        doc = aws.iam.get_policy_document_output(statements=[{statement}])
        aws.iam.RolePolicy("d-admin", role=r.name, policy=doc.json)
        ''')
    run = run_cli(project, "--stack", "dev", "--policy-pack", "agent_guard", "--json", str(tmp_path / "out.json"))
    result = run.json("out.json")
    text = json.dumps(result)
    if blocked:
        assert run.code != 0, run.stdout + run.stderr
        assert "AGID-AWS-010" in text
    else:
        assert run.code == 0, run.stdout + run.stderr
        assert "cannot check" not in text.lower() or "d-admin" not in text


# --- aws:iam/getPolicy of an AWS managed policy: a public fact, answered from the pack's snapshot ------------

POLICY_TOKEN = "aws:iam/getPolicy:getPolicy"


def test_an_aws_managed_policy_lookup_is_known() -> None:
    by_name = mock_call(POLICY_TOKEN, {"name": "AdministratorAccess"})
    assert by_name["arn"] == "arn:aws:iam::aws:policy/AdministratorAccess" and by_name["path"] == "/"
    assert json.loads(by_name["policy"])["Statement"][0]["Action"] == "*"
    by_arn = mock_call(POLICY_TOKEN, {"arn": "arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"})
    assert by_arn["arn"] == "arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert (by_arn["name"], by_arn["path"]) == ("AWSLambdaBasicExecutionRole", "/service-role/")


@pytest.mark.parametrize("args", [
    {"name": "my-team-policy"},  # customer-managed: only the account knows it
    {"arn": "arn:aws:iam::111122223333:policy/AdministratorAccess"},
    {"arn": "arn:aws:iam::aws:policy/NoSuchPolicyYet"},
    {"name": "AdministratorAccess", "pathPrefix": "/custom/"},
])
def test_other_policy_lookups_stay_unknown(args: dict) -> None:
    assert mock_call(POLICY_TOKEN, args) == {}


@pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")
def test_administrator_access_attached_by_lookup_is_blocked_without_strict_unknowns(tmp_path: Path) -> None:
    # outside review o02: the lookup's ARN was "cannot check until known", so the default run passed
    project = _project(tmp_path, '''
        admin = aws.iam.get_policy_output(name="AdministratorAccess")
        aws.iam.RolePolicyAttachment("a", role=r.name, policy_arn=admin.arn)
        ''')
    run = run_cli(project, "--stack", "dev", "--policy-pack", "agent_guard", "--json", str(tmp_path / "out.json"))
    assert run.code == 1, run.stdout + run.stderr
    flagged = [v for v in run.json("out.json")["violations"] if v["mandatory"] and v["resourceName"] == "a"]
    assert "AGID-AWS-013" in {v["policy"] for v in flagged}, flagged
