"""Over gRPC: an account the gate's mocks invent is never the stack's own as a whole (issue 11, gate integrity).

Under `agentid preview` every computed ARN is a mock one in agentid.mock_engine.MOCK_ACCOUNT, so a policy on the
stack's own secret (its `secretArn` a mock ARN) derived that account as own, and a literal
`arn:aws:iam::123456789012:root` principal passed, while a real `pulumi preview --policy-pack` (the ARN unknown
there) flags it. The gate names the invented account to its packs (AGENTID_MOCK_ACCOUNTS); the pack then keeps
it own only for a principal naming one resource of it (the stack's own role's mock ARN), not for the account's
root, its bare id or a condition's account. Without the variable (a real engine) a literal ARN derives as before.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess
from agentid.mock_engine import MOCK_ACCOUNT
from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
from tests.policy.test_pack_grpc import PACK, urn

SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
SECRET_ARN = f"arn:aws:secretsmanager:eu-west-1:{MOCK_ACCOUNT}:secret:token-a1b2c3"


def secret_policy(principal, **condition) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return {"secretArn": SECRET_ARN, "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


@pytest.fixture(scope="module")
def gate_pack():
    """The pack as the gate starts it."""
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        yield running


@pytest.fixture(scope="module")
def engine_pack():
    """The pack as `pulumi preview --policy-pack` starts it: no mock account."""
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: ""}) as running:
        yield running


def foreign(pack, props, config=None) -> list[str]:
    pack.configure(config or {})
    return [d.message.splitlines()[-1] for d in pack.analyze(SECRET_POLICY, "token", urn(SECRET_POLICY, "token"), props)
            if d.policy_name == "AGID-AWS-050" and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("principal", [{"AWS": f"arn:aws:iam::{MOCK_ACCOUNT}:root"}, {"AWS": MOCK_ACCOUNT}])
def test_the_mock_accounts_root_or_id_is_not_own_under_the_gate(gate_pack, engine_pack, principal):
    props = secret_policy(principal)
    assert foreign(gate_pack, props) == [
        f"[public-access] resource policy of token: Statement[0] allows {principal['AWS']} "
        "secretsmanager:GetSecretValue: cannot tell "
        f"whether account {MOCK_ACCOUNT} is yours: list it in ownAccountIds"]
    assert foreign(engine_pack, props) == []  # a literal secret ARN there does name the resource's own account
    assert foreign(gate_pack, props, {"AGID-AWS-050": {"ownAccountIds": [MOCK_ACCOUNT]}}) == []  # listed: own


def test_a_service_pinned_to_the_mock_account_by_condition_is_not_own_under_the_gate(gate_pack):
    props = secret_policy({"Service": "sns.amazonaws.com"}, StringEquals={"aws:SourceAccount": MOCK_ACCOUNT})
    [message] = foreign(gate_pack, props)
    assert f"for account {MOCK_ACCOUNT} (aws:sourceaccount): cannot tell whether account" in message


def test_the_stacks_own_role_on_its_own_secret_stays_own_under_the_gate(gate_pack):
    # `role.arn` of a role the stack creates: a mock ARN naming one resource of the invented account
    assert foreign(gate_pack, secret_policy({"AWS": f"arn:aws:iam::{MOCK_ACCOUNT}:role/reader"})) == []


def test_a_service_pinned_to_the_stacks_own_topic_stays_own_under_the_gate(gate_pack):
    """`aws:SourceArn` = a topic the stack creates (`topic.arn`: a mock ARN naming one resource of the invented account)
    is the stack's own source, as a principal naming its own role is (pins' report: AGID-AWS-050 called it foreign
    when ownAccountIds was listed); the invented account's wildcard ARN is not."""
    topic = f"arn:aws:sns:eu-west-1:{MOCK_ACCOUNT}:drop-1a2b3c"
    own = {"AGID-AWS-050": {"ownAccountIds": ["111122223333"]}}
    props = secret_policy({"Service": "sns.amazonaws.com"}, ArnEquals={"aws:SourceArn": topic})
    assert foreign(gate_pack, props, own) == []
    props = secret_policy({"Service": "sns.amazonaws.com"}, ArnLike={"aws:SourceArn": f"arn:aws:sns:eu-west-1:{MOCK_ACCOUNT}:*"})
    [message] = foreign(gate_pack, props, own)
    assert f"for account {MOCK_ACCOUNT} (aws:sourcearn): account {MOCK_ACCOUNT} is a foreign account" in message


def test_a_lambda_permission_for_the_stacks_own_topic_stays_own_under_the_gate(gate_pack):
    permission = "aws:lambda/permission:Permission"

    def found(source_arn, function=f"arn:aws:lambda:eu-west-1:{MOCK_ACCOUNT}:function:fn-1a2b3c"):
        gate_pack.configure({"AGID-AWS-050": {"ownAccountIds": ["111122223333"]}})
        props = {"action": "lambda:InvokeFunction", "function": function, "principal": "sns.amazonaws.com",
                 "sourceArn": source_arn}
        return [d.message.splitlines()[-1] for d in gate_pack.analyze(permission, "p", urn(permission, "p"), props)
                if d.policy_name == "AGID-AWS-050" and d.enforcement_level == "mandatory"]

    assert found(f"arn:aws:sns:eu-west-1:{MOCK_ACCOUNT}:t-1a2b3c") == []
    assert found(f"arn:aws:sns:eu-west-1:{MOCK_ACCOUNT}:t-1a2b3c", function="fn-1a2b3c") == []  # by name: no derivation
    assert len(found(f"arn:aws:sns:eu-west-1:{MOCK_ACCOUNT}:*")) == 1
    assert len(found(f"arn:aws:sns:eu-west-1:999988887777:t")) == 1
