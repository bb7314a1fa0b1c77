"""`agentid lint` on a standalone resource policy reports what the gate reports on that resource (issue 11, misc4: the
kind of item 2). Lint judged every resource policy as a KMS key with a hand-written list (AGID-POL-001/002, AGID-AWS-030):
a key policy giving another account kms:* (AGID-AWS-033) and a bucket or queue policy granting another account
(AGID-AWS-050) gave 0 findings while the gate blocked them. The stand-in is now the resource-policy type of the service
the statements' actions name (files.resource_policy_target), judged by every rule that reads its policy
(files.rules_reading). Each case: lint's exit code and exact rule ids, and the same ids from the pack over gRPC on that
resource type, both with the same own account.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.test_lint import lint, write
from tests.policy.test_pack_grpc import urn

OWN, FOREIGN = "111122223333", "999988887777"


def policy(principal, action, resource, condition=None) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [{**statement, "Condition": condition} if condition else statement]}


BUCKET, QUEUE = "arn:aws:s3:::acme-reports/*", f"arn:aws:sqs:eu-west-1:{OWN}:jobs"
CASES = {
    "key policy: another account administers the key": (
        policy({"AWS": f"arn:aws:iam::{FOREIGN}:root"}, "kms:*", "*"), ["AGID-AWS-033"]),
    "bucket policy: another account reads": (
        policy({"AWS": f"arn:aws:iam::{FOREIGN}:root"}, "s3:GetObject", BUCKET), ["AGID-AWS-050"]),
    "queue policy: another account sends (bare account id)": (
        policy({"AWS": FOREIGN}, "sqs:SendMessage", QUEUE), ["AGID-AWS-050"]),
    "bucket policy: anyone": (policy("*", "s3:GetObject", BUCKET), ["AGID-AWS-030"]),
}
LOOK_ALIKE = {
    "key policy: the own account": policy({"AWS": f"arn:aws:iam::{OWN}:root"}, "kms:*", "*"),
    "bucket policy: an own role reads": policy({"AWS": f"arn:aws:iam::{OWN}:role/reader"}, "s3:GetObject", BUCKET),
    "queue policy: an own account sends": policy({"AWS": OWN}, "sqs:SendMessage", QUEUE),
}


def lint_ids(tmp_path, document) -> tuple[int, list[str]]:
    result = lint(write(tmp_path, "policy.json", document), "--own-account", OWN, "-f", "json")
    return result.exit_code, sorted(f["rule"] for f in json.loads(result.stdout)["findings"])


def gate_ids(pack, document) -> list[str]:
    from agentid.analyzer_client import StackResource
    from agentid_policy_packs.rules.files import resource_policy_target

    type_, field = resource_policy_target(document)
    props = {field: json.dumps(document)}
    pack.configure({"all": {"ownAccountIds": [OWN]}})
    try:
        diags = [*pack.analyze(type_, "r", urn(type_, "r"), props),
                 *pack.analyze_stack([StackResource(type_, "r", urn(type_, "r"), props)])]
    finally:
        pack.configure({})
    return sorted(d.policy_name for d in diags if d.enforcement_level == "mandatory")


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_resource_policy_the_gate_blocks_is_a_lint_finding_with_the_same_rule(pack, tmp_path, case) -> None:
    document, expected = CASES[case]
    assert lint_ids(tmp_path, document) == (1, expected), case
    assert gate_ids(pack, document) == expected, case


@pytest.mark.parametrize("case", sorted(LOOK_ALIKE))
def test_an_own_account_resource_policy_passes_lint_and_the_gate(pack, tmp_path, case) -> None:
    assert lint_ids(tmp_path, LOOK_ALIKE[case]) == (0, []), case
    assert gate_ids(pack, LOOK_ALIKE[case]) == [], case


@pytest.mark.parametrize(("action", "type_"), [
    ("kms:Decrypt", "aws:kms/keyPolicy:KeyPolicy"), ("s3:GetObject", "aws:s3/bucketPolicy:BucketPolicy"),
    ("sqs:SendMessage", "aws:sqs/queuePolicy:QueuePolicy"), ("sns:Publish", "aws:sns/topicPolicy:TopicPolicy"),
    ("execute-api:Invoke", "aws:kms/key:Key"),  # no resource-policy type of that name: the rules every policy gets
])
def test_the_stand_in_is_the_services_resource_policy_type(action, type_) -> None:
    from agentid_policy_packs.rules.files import resource_policy_target, rules_reading, _PROBE_RESOURCE_POLICY

    found, field = resource_policy_target(policy("*", action, "*"))
    assert found == type_
    assert {"AGID-POL-001", "AGID-POL-002", "AGID-AWS-030", "AGID-AWS-050", "AGID-AWS-062"} <= set(
        rules_reading(found, field, _PROBE_RESOURCE_POLICY))
