"""After `agentid revoke aws`, the broker refuses the agent: it reads the revoke record on the role (moto server,
the real CLI writing it), drops what it had cached, refuses every hop, and serves again once the record is gone."""

from __future__ import annotations

import logging
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from agentid.runtime import AgentGrants, AmbientCredentials, BrokerError, CredentialBroker
from agentid.runtime.revocation_check import RoleRevocationCheck
from agentid_components import naming
from agentid_components.loader import load_inventory
from tests.runtime.cli import agentid
from tests.runtime.deployed import deploy_agent
from tests.runtime.moto_process import assumed_roles

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
AGENT = load_inventory(DEV).inventory.agent("report-builder")


class Clock:
    def __init__(self):
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


def _refusals(caplog) -> list[dict]:
    return [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "refused"]


def test_a_revoked_agent_gets_nothing_until_the_record_is_removed(aws, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    arn = deploy_agent(aws, AGENT)
    clock = Clock()
    broker = CredentialBroker(AgentGrants.from_spec(AGENT, arn), AmbientCredentials(), endpoint_url=aws, clock=clock)
    before = broker.credential("read-sales-exports")
    assert broker.credential("read-sales-exports") is before

    revoked = agentid("revoke", "aws", "report-builder", "--inventory", str(DEV), "--endpoint-url", aws, "--name-suffix", "")
    assert revoked.returncode == 0, revoked.stderr
    clock.now += 31  # the record is read at most every 30 s: the revoke is seen within that
    for tool in ("read-sales-exports", "list-sales-exports", "publish-report"):  # AWS and Azure hops alike
        with pytest.raises(BrokerError, match=r"agent 'report-builder' is revoked: role agent-report-builder carries "
                                              r"inline policy 'agentid-revoke-sessions' .*sessions issued before 20\d\d-") as raised:
            broker.credential(tool)
        assert raised.value.code == "Revoked" and "aws iam delete-role-policy --role-name agent-report-builder" in str(raised.value)
    with pytest.raises(BrokerError, match="is revoked"):
        broker.credentials("read-sales-exports")  # the AWS-only entry point too
    assert broker._cache == {}  # the cached, now-denied session is gone
    assert [r["error_code"] for r in _refusals(caplog)] == ["Revoked"] * 4
    assert _refusals(caplog)[0]["revoked_before"].startswith("20")
    sessions = len(assumed_roles(aws))

    boto3.client("iam", endpoint_url=aws, region_name="us-east-1").delete_role_policy(
        RoleName=naming.aws_role_name("report-builder"), PolicyName=naming.REVOKE_POLICY_NAME)  # the revoke's undo
    with pytest.raises(BrokerError, match="is revoked"):
        broker.credential("read-sales-exports")  # still within 30 s of the last reading
    clock.now += 31
    after = broker.credential("read-sales-exports")
    assert after.access_key_id != before.access_key_id and len(assumed_roles(aws)) == sessions + 1


def test_a_record_that_cannot_be_read_refuses_the_aws_hop(aws):
    class DeniedIam:
        def __init__(self, code):
            self.code, self.calls = code, 0

        def get_role_policy(self, **_):
            self.calls += 1
            raise ClientError({"Error": {"Code": self.code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetRolePolicy")

    arn = deploy_agent(aws, AGENT)
    denied = DeniedIam("AccessDenied")
    broker = CredentialBroker(AgentGrants.from_spec(AGENT, arn), AmbientCredentials(), endpoint_url=aws,
                              revocation=RoleRevocationCheck(denied))
    with pytest.raises(BrokerError, match=r"cannot read the revocation record .inline policy 'agentid-revoke-sessions' on "
                                          r"role agent-report-builder.: AccessDenied; the broker refuses") as raised:
        broker.credential("read-sales-exports")
    assert raised.value.code == "RevocationUnknown" and assumed_roles(aws) == {}


def test_a_transient_failure_keeps_a_recent_reading_only(aws):
    arn = deploy_agent(aws, AGENT)
    clock = Clock()

    class FlakyIam:
        def __init__(self):
            self.fail = False
            self.real = boto3.client("iam", endpoint_url=aws, region_name="us-east-1")

        def get_role_policy(self, **kwargs):
            if self.fail:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"},
                                   "ResponseMetadata": {"HTTPStatusCode": 400}}, "GetRolePolicy")
            return self.real.get_role_policy(**kwargs)

    iam = FlakyIam()
    check = RoleRevocationCheck(iam, ttl_seconds=30, stale_seconds=300)
    broker = CredentialBroker(AgentGrants.from_spec(AGENT, arn), AmbientCredentials(), endpoint_url=aws, clock=clock,
                              revocation=check)
    broker.credential("read-sales-exports")
    iam.fail = True
    clock.now += 60  # past the TTL, within stale_seconds: the last reading (not revoked) stands
    broker.credential("read-sales-exports")
    clock.now += 300
    with pytest.raises(BrokerError, match="Throttling") as raised:
        broker.credential("read-sales-exports")
    assert raised.value.code == "RevocationUnknown" and check.reads == 3


def test_no_aws_role_no_record_to_read():
    agent = load_inventory(DEV).inventory.agent("bq-analyst")
    broker = CredentialBroker(AgentGrants.from_spec(agent))
    assert broker.revocation is not None and broker._check_revocation(broker._agent(None), "query-sales", None, "gcp") is None
