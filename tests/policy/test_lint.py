"""`agentid lint`: the pack's analysis on raw policy files, with exit codes and text/json/sarif output."""

from __future__ import annotations

import json

import pytest
from urllib.parse import quote
from typer.testing import CliRunner

from agentid import cli

cli._register_commands() if not cli.app.registered_commands else None
runner = CliRunner()
SUB = "/subscriptions/11111111-2222-4333-8444-555555555555"
CONTAINER = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c"


def write(tmp_path, name: str, document) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def lint(*args: str):
    return runner.invoke(cli.app, ["lint", *args])


def statement(**fields):
    return {"Version": "2012-10-17", "Statement": [fields]}


def test_clean_files_exit_0(tmp_path):
    files = [
        write(tmp_path, "s3.json", statement(Effect="Allow", Action="s3:GetObject", Resource="arn:aws:s3:::r/p/*")),
        write(tmp_path, "whoami.json", statement(Effect="Allow", Action="sts:GetCallerIdentity", Resource="*")),
        write(tmp_path, "deny.json", statement(Effect="Deny", Action="*", Resource="*")),
        write(tmp_path, "role.json", {"properties": {"roleName": "reader", "assignableScopes": [CONTAINER], "permissions": [
            {"dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]}]}}),
        write(tmp_path, "kms.json", {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
            "Resource": "*"}]}),
    ]
    # the key policy's account is the linter's own (without --own-account AGID-AWS-033 cannot tell, as at the gate)
    result = lint(*files, "--own-account", "123456789012")
    assert result.exit_code == 0, result.output
    assert "0 findings in 0 of 5 files" in result.output


def test_findings_exit_1_and_name_rules(tmp_path):
    admin = write(tmp_path, "admin.json", statement(Effect="Allow", Action="*", Resource="*"))
    trust = write(tmp_path, "trust.json", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity"}]})
    azure = write(tmp_path, "owner.json", {"Name": "too-much", "Actions": ["Microsoft.Authorization/*"],
                                           "AssignableScopes": [SUB]})
    wrapped = write(tmp_path, "cli.json", {"PolicyVersion": None, "PolicyDocument": statement(
        Effect="Allow", NotAction="iam:*", Resource="*")})
    result = lint(admin, trust, azure, wrapped)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith(f"{admin}: AGID-AWS-010 [critical]") for line in lines)
    # Full admin is one root cause: AGID-AWS-010 reports it, the escalation rule does not repeat it.
    assert not any(line.startswith(f"{admin}: AGID-AWS-020") for line in lines)
    assert any(line.startswith(f"{trust}: AGID-AWS-031") for line in lines)
    assert sum(line.startswith(f"{azure}: AGID-AZ-012") for line in lines) == 3  # whole provider, its effects, scope
    assert any(line.startswith(f"{wrapped}: AGID-AWS-011") for line in lines)


def test_malformed_policy_is_a_finding_not_a_crash(tmp_path):
    path = write(tmp_path, "p.json", {"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "s3:*"}]})
    result = lint(path)
    assert result.exit_code == 1 and "AGID-POL-001" in result.output


@pytest.mark.parametrize("content, message", [
    ("{nope", "invalid JSON"),
    ('{"hello": "world"}', "not an IAM policy"),
    ("[1, 2]", "not an IAM policy"),
])
def test_unreadable_input_exits_2_with_one_line(tmp_path, content, message):
    path = write(tmp_path, "x.json", content)
    result = lint(path)
    assert result.exit_code == 2
    assert [line for line in result.output.splitlines() if line.startswith(path)] == [
        next(line for line in result.output.splitlines() if message in line)]


def test_missing_file_exits_2(tmp_path):
    result = lint(str(tmp_path / "absent.json"))
    assert result.exit_code == 2 and "cannot read" in result.output


def test_json_and_sarif_formats(tmp_path):
    admin = write(tmp_path, "admin.json", statement(Effect="Allow", Action=["s3:*", "ssm:SendCommand"], Resource="*"))
    as_json = json.loads(lint("--format", "json", admin).stdout)["findings"]
    assert {r["rule"] for r in as_json} == {"AGID-AWS-010", "AGID-AWS-012", "AGID-AWS-020"}
    assert all(r["file"] == admin and r["kind"] == "aws-identity-policy" for r in as_json)

    result = lint("--format", "sarif", admin)
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["AGID-AWS-010", "AGID-AWS-012", "AGID-AWS-020"]
    assert {r["ruleId"] for r in run["results"]} == {"AGID-AWS-010", "AGID-AWS-012", "AGID-AWS-020"}
    assert all(r["level"] == "error" for r in run["results"])  # critical and high
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("admin.json")


def test_every_finding_carries_its_category_in_json_and_sarif(tmp_path):
    admin = write(tmp_path, "admin.json", statement(Effect="Allow", Action="*", Resource="*"))
    reads = write(tmp_path, "reads.json", statement(Effect="Allow", Action=["s3:Get*", "ec2:DescribeInstances"], Resource="*"))
    passrole = write(tmp_path, "put.json", statement(Effect="Allow", Action="iam:PutRolePolicy",
                                                     Resource="arn:aws:iam::123456789012:role/agent-x"))
    result = lint("--format", "json", admin, reads, passrole)
    assert result.exit_code == 1
    found = {(r["file"].rsplit("/", 1)[-1], r["rule"], r["category"]) for r in json.loads(result.output)["findings"]}
    assert found == {("admin.json", "AGID-AWS-010", "admin"), ("reads.json", "AGID-AWS-012", "unbounded-resource"),
                     ("put.json", "AGID-AWS-020", "escalation")}
    sarif = json.loads(lint("--format", "sarif", admin, reads, passrole).output)
    run = sarif["runs"][0]
    assert {r["properties"]["category"] for r in run["results"]} == {"admin", "unbounded-resource", "escalation"}
    tags = {rule["id"]: rule["properties"]["tags"] for rule in run["tool"]["driver"]["rules"]}
    assert tags["AGID-AWS-020"] == ["security", "iam", "escalation"]
    assert tags["AGID-AWS-010"] == ["security", "iam", "broad-grant"]  # the rule's own; the admin result says admin


# --- the AWS CLI's shapes, directories, locations, failed runs ------------------------------------------------------

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
OPEN_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


@pytest.mark.parametrize("shape, rule", [
    ({"PolicyVersion": {"Document": ADMIN, "VersionId": "v3", "IsDefaultVersion": True}}, "AGID-AWS-010"),  # get-policy-version
    ({"Role": {"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r", "AssumeRolePolicyDocument": OPEN_TRUST}},
     "AGID-AWS-030"),  # get-role
    ({"RoleName": "r", "PolicyName": "p", "PolicyDocument": ADMIN}, "AGID-AWS-010"),  # get-role-policy
    ({"PolicyVersion": {"Document": quote(json.dumps(ADMIN)), "VersionId": "v1"}}, "AGID-AWS-010"),  # raw API: URL-encoded
], ids=["get-policy-version", "get-role", "get-role-policy", "url-encoded"])
def test_aws_cli_outputs_are_read(tmp_path, shape, rule):
    result = lint("--format", "json", write(tmp_path, "out.json", shape))
    assert result.exit_code == 1, result.output
    assert rule in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_account_authorization_details_judges_every_document_in_force(tmp_path):
    details = {
        "UserDetailList": [{"UserName": "u", "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": ADMIN}]}],
        "RoleDetailList": [{"RoleName": "r", "AssumeRolePolicyDocument": quote(json.dumps(OPEN_TRUST)),
                            "RolePolicyList": [{"PolicyName": "ok", "PolicyDocument": statement(
                                Effect="Allow", Action="s3:GetObject", Resource="arn:aws:s3:::b/k")}]}],
        "Policies": [{"PolicyName": "m", "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": False, "Document": ADMIN},  # an old version is not in force
            {"VersionId": "v2", "IsDefaultVersion": True, "Document": statement(Effect="Allow", NotAction="iam:*", Resource="*")},
        ]}],
    }
    result = lint("--format", "json", write(tmp_path, "details.json", details))
    assert result.exit_code == 1, result.output
    found = sorted((f["document"], f["rule"]) for f in json.loads(result.stdout)["findings"])
    assert found == [
        ("Policies[0].PolicyVersionList[1].Document", "AGID-AWS-011"),
        ("Policies[0].PolicyVersionList[1].Document", "AGID-AWS-020"),  # Allow NotAction iam:* reaches escalations
        ("RoleDetailList[0].AssumeRolePolicyDocument", "AGID-AWS-030"),
        ("UserDetailList[0].UserPolicyList[0].PolicyDocument", "AGID-AWS-010"),
    ]


def test_a_directory_stands_for_its_json_files(tmp_path):
    (tmp_path / "nested").mkdir()
    write(tmp_path / "nested", "admin.json", ADMIN)
    write(tmp_path, "ok.json", statement(Effect="Allow", Action="sts:GetCallerIdentity", Resource="*"))
    (tmp_path / "notes.txt").write_text("not json")
    result = lint(str(tmp_path))
    assert result.exit_code == 1
    assert "1 finding in 1 of 2 files" in result.output and f"{tmp_path / 'nested' / 'admin.json'}: AGID-AWS-010" in result.output


def test_sarif_results_sit_at_the_statements_line(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:GetObject",'
                    ' "Resource": "arn:aws:s3:::b/k"},\n    {\n      "Effect": "Allow",\n      "Action": "*",\n'
                    '      "Resource": "*"\n    }\n  ]\n}\n')
    log = json.loads(lint("--format", "sarif", str(path)).stdout)
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in log["runs"][0]["results"]] == [5]


def test_unreadable_input_makes_json_and_sarif_say_the_run_failed(tmp_path):
    good = write(tmp_path, "admin.json", ADMIN)
    bad = write(tmp_path, "bad.json", "{nope")
    as_json = json.loads(lint("--format", "json", good, bad).stdout)
    assert as_json["executionSuccessful"] is False and [e["file"] for e in as_json["errors"]] == [bad]
    assert {f["rule"] for f in as_json["findings"]} == {"AGID-AWS-010"}
    result = lint("--format", "sarif", good, bad)
    assert result.exit_code == 2
    invocation = json.loads(result.stdout)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("bad.json")
    clean = json.loads(lint("--format", "sarif", good).stdout)["runs"][0]["invocations"][0]
    assert clean["executionSuccessful"] is True


EGRESS = statement(Effect="Allow", Action="s3:PutObject", Resource="arn:aws:s3:::attacker-drop/*")
EGRESS["Statement"].append({"Effect": "Allow", "Action": "sqs:SendMessage",
                            "Resource": "arn:aws:sqs:us-east-1:999988887777:drop"})
OWN = statement(Effect="Allow", Action="s3:PutObject", Resource="arn:aws:s3:::acme-reports/*")
OWN["Statement"].append({"Effect": "Allow", "Action": "sqs:SendMessage",
                         "Resource": "arn:aws:sqs:us-east-1:111122223333:jobs"})
OWN_FLAGS = ("--own-account", "111122223333", "--own-s3-bucket", "acme-reports")


def _findings(result) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["severity"]) for f in json.loads(result.output)["findings"])


def test_foreign_egress_is_reported_as_the_gate_does(tmp_path):
    """Lint runs the pack's identity-policy rules, stack rules that judge a document alone included (AGID-AWS-073)."""
    result = lint(write(tmp_path, "egress.json", EGRESS), *OWN_FLAGS, "-f", "json")
    assert result.exit_code == 1, result.output
    assert _findings(result) == [("AGID-AWS-072", "high"), ("AGID-AWS-073", "high")]
    messages = " ".join(f["message"] for f in json.loads(result.output)["findings"])
    assert "account 999988887777, not one of the stack's own" in messages and "attacker-drop" in messages


def test_own_account_and_bucket_look_alike_passes(tmp_path):
    result = lint(write(tmp_path, "own.json", OWN), *OWN_FLAGS, "-f", "json")
    assert result.exit_code == 0, result.output
    assert _findings(result) == []


def test_without_own_ids_lint_cannot_tell(tmp_path):
    result = lint(write(tmp_path, "own.json", OWN), "-f", "json")
    assert result.exit_code == 1, result.output
    assert _findings(result) == [("AGID-AWS-072", "high"), ("AGID-AWS-073", "high")]
    messages = [f["message"] for f in json.loads(result.output)["findings"]]
    assert any("cannot tell whether it is yours" in m for m in messages)
    assert any("the gate lists no own buckets" in m for m in messages)


def test_bad_own_account_is_a_usage_error(tmp_path):
    result = lint(write(tmp_path, "own.json", OWN), "--own-account", "12")
    assert result.exit_code == 2
    assert "not an AWS account id" in result.output


def test_lint_runs_every_identity_policy_rule_of_the_pack():
    from agentid_policy_packs.rules.files import IDENTITY_POLICY, _TARGETS
    from agentid_policy_packs.rules.registry import RULES_BY_ID

    judged = set(_TARGETS[IDENTITY_POLICY][2])
    wanted = {r.id for r in RULES_BY_ID.values() if not r.stack and "aws:iam/policy:Policy" in r.resource_types}
    assert wanted <= judged and {"AGID-AWS-072", "AGID-AWS-073", "AGID-AWS-052"} <= judged
