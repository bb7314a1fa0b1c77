"""The self-broker case end to end on moto_server: the broker runs with a session of the agent's own role (as under
Roles Anywhere or EKS Pod Identity), reads the revocation record with it, hands out the tool's credential, and after
`agentid revoke aws` refuses every hop.

The role, its boundary and its inline policies are the documents the real AWS components register (run under Pulumi
mocks, account 123456789012 = moto's), not a copy. moto does not enforce IAM, so the test also asserts, with the
policy pack's analysis core, that those documents allow the broker's read: GetRolePolicy on the role itself, in the
role's policies AND its boundary.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import boto3
import pytest
from azure.core.credentials import AccessToken
from botocore.exceptions import ClientError

from agentid.mock_engine import MOCK_ACCOUNT, run_program
from agentid.runtime import AgentGrants, AmbientCredentials, BrokerError, CredentialBroker
from agentid.runtime.revocation_check import RoleRevocationCheck
from agentid_components.aws.fleet import AwsAgents, AwsSettings
from agentid_components.loader import load_inventory
from agentid_policy_packs import analysis
from agentid_policy_packs.analysis.aws_resources import pattern_covers
from tests.runtime.cli import agentid
from tests.runtime.moto_process import MOTO_ACCOUNT_ID

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
AGENT = load_inventory(DEV).inventory.agent("data-ingest")  # Roles Anywhere: its workload holds sessions of the role
ROLE = "aws:iam/role:Role"


def components_documents() -> dict:
    """What the AWS components register for the agent (stack `dev`): role name, trust, boundary, inline policies."""
    def program() -> None:
        AwsAgents("aws", [AGENT], AwsSettings.from_config())

    run = run_program(program, config={"agentsFile": str(DEV)})
    role = run.named("aws-data-ingest-role", ROLE).inputs
    return {
        "role_name": role["name"],
        "trust": role["assumeRolePolicy"],
        "boundary": run.named("aws-data-ingest-boundary", "aws:iam/policy:Policy").inputs["policy"],
        "inline": {p.inputs["name"]: p.inputs["policy"] for p in run.of_type("aws:iam/rolePolicy:RolePolicy")},
    }


def allows(document: str, action: str, resource: str) -> bool:
    """Does the policy allow `action` on `resource` (Allow statements, no Deny weighed: the documents hold none)?"""
    return any(g.action.lower() == action.lower() and pattern_covers(g.resource, resource) and not g.conditional
               for g in analysis.effective_grants([json.loads(document)]))


def deploy(url: str, documents: dict) -> str:
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1")
    boundary = iam.create_policy(PolicyName=f"{documents['role_name']}-boundary", PolicyDocument=documents["boundary"])["Policy"]["Arn"]
    arn = iam.create_role(RoleName=documents["role_name"], AssumeRolePolicyDocument=documents["trust"], MaxSessionDuration=3600,
                          PermissionsBoundary=boundary)["Role"]["Arn"]
    for name, policy in documents["inline"].items():
        iam.put_role_policy(RoleName=documents["role_name"], PolicyName=name, PolicyDocument=policy)
    return arn


class Clock:
    def __init__(self):
        self.now = 50_000.0

    def __call__(self) -> float:
        return self.now


class SignedWith:
    """Records the access key id each IAM GetRolePolicy request was signed with (the Authorization header)."""

    def __init__(self, session):
        self.keys: list[str] = []
        session.events.register("before-send.iam.GetRolePolicy", self._sent)

    def _sent(self, request, **_):
        self.keys.append(request.headers["Authorization"].decode().split("Credential=")[1].split("/")[0])


def test_a_broker_running_as_the_role_reads_its_own_record_and_is_cut_off_by_the_revoke(aws, caplog):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    assert MOCK_ACCOUNT == MOTO_ACCOUNT_ID
    documents = components_documents()
    role_arn = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/{documents['role_name']}"
    # moto does not enforce IAM: the real documents must allow the read, in the role's policies AND its boundary ...
    assert documents["role_name"] == "agent-data-ingest-dev"
    assert json.loads(documents["inline"]["agentid-read-revocation-record"]) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadOwnRevocationRecord", "Effect": "Allow", "Action": "iam:GetRolePolicy", "Resource": role_arn}]}
    assert allows(documents["inline"]["agentid-read-revocation-record"], "iam:GetRolePolicy", role_arn)
    assert allows(documents["boundary"], "iam:GetRolePolicy", role_arn)
    # ... on that role only, and no other IAM action anywhere
    other = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-other-dev"
    assert not any(allows(doc, "iam:GetRolePolicy", other) for doc in [documents["boundary"], *documents["inline"].values()])
    iam_grants = {g.action for doc in [documents["boundary"], *documents["inline"].values()]
                  for g in analysis.effective_grants([json.loads(doc)]) if g.action.lower().startswith("iam:")}
    assert iam_grants == {"iam:GetRolePolicy"}

    assert deploy(aws, documents) == role_arn
    # the workload's ambient identity: a session of the agent's role itself (Roles Anywhere hands out exactly that)
    own = boto3.client("sts", endpoint_url=aws, region_name="us-east-1").assume_role(
        RoleArn=role_arn, RoleSessionName="workload")["Credentials"]
    ambient = boto3.Session(aws_access_key_id=own["AccessKeyId"], aws_secret_access_key=own["SecretAccessKey"],
                            aws_session_token=own["SessionToken"], region_name="us-east-1")
    signed = SignedWith(ambient)
    clock = Clock()
    broker = CredentialBroker(AgentGrants.from_spec(AGENT, role_arn), AmbientCredentials(session=ambient), endpoint_url=aws,
                              clock=clock)
    assert isinstance(broker.revocation, RoleRevocationCheck)  # on by default for ambient credentials
    issued = broker.credential("write-landing-zone")
    assert issued.kind == "aws" and issued.assumed_role_arn.startswith(f"arn:aws:sts::{MOTO_ACCOUNT_ID}:assumed-role/agent-data-ingest-dev/")
    assert signed.keys == [own["AccessKeyId"]]  # the record was read with the role's own session, nothing else

    revoked = agentid("revoke", "aws", "data-ingest", "--inventory", str(DEV), "--endpoint-url", aws, "--name-suffix", "dev")
    assert revoked.returncode == 0, revoked.stderr
    assert broker.credential("write-landing-zone") is issued  # the last reading is at most 30 s old
    clock.now += 31
    for tool in ("write-landing-zone", "enqueue-batches", "use-lake-key"):
        with pytest.raises(BrokerError, match=r"agent 'data-ingest' is revoked: role agent-data-ingest-dev carries inline "
                                              r"policy 'agentid-revoke-sessions'") as raised:
            broker.credential(tool)
        assert raised.value.code == "Revoked"
    assert signed.keys == [own["AccessKeyId"]] * 2 and broker._cache == {}
    refusals = [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "refused"]
    assert [r["error_code"] for r in refusals] == ["Revoked"] * 3 and refusals[0]["revoked_before"].startswith("20")


def test_denied_after_readable_refuses_every_hop_as_the_revoke_does_on_aws(aws, caplog):
    """On AWS the revoke's Deny of `*` also denies the broker's own session (issued before the cutoff) its
    GetRolePolicy: a record that was readable and now is AccessDenied refuses every hop, not the AWS hop alone."""
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    agent = load_inventory(DEV).inventory.agent("report-builder")  # AWS and Azure tools
    documents_arn = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-report-builder"
    boto3.client("iam", endpoint_url=aws, region_name="us-east-1").create_role(
        RoleName="agent-report-builder", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))

    class RevokedSessionIam:
        denied = False

        def get_role_policy(self, **_):
            if self.denied:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "explicit deny in an identity-based policy"},
                                   "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetRolePolicy")
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "no policy"},
                               "ResponseMetadata": {"HTTPStatusCode": 404}}, "GetRolePolicy")

    iam, clock = RevokedSessionIam(), Clock()
    broker = CredentialBroker(AgentGrants.from_spec(agent, documents_arn), AmbientCredentials(), endpoint_url=aws, clock=clock,
                              revocation=RoleRevocationCheck(iam))
    broker.credential("read-sales-exports")
    iam.denied = True
    clock.now += 31
    for tool in ("read-sales-exports", "publish-report"):  # the AWS hop and the Azure hop alike
        with pytest.raises(BrokerError, match=r"AccessDenied; the broker refuses .*it was readable before, so this broker's own "
                                              r"session may be the one the revoke cut off") as raised:
            broker.credential(tool)
        assert raised.value.code == "RevocationUnknown"
    assert broker._cache == {}
    refusals = [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "refused"]
    assert [(r["error_code"], r["revocation_error"], r["kind"]) for r in refusals] == [
        ("RevocationUnknown", "AccessDenied", "aws"), ("RevocationUnknown", "AccessDenied", "azure")]


class _AgentIdentity:  # an azure-core TokenCredential; a JWT-shaped token for the asked resource (the hop reads aud)
    def get_token(self, *scopes, **_):
        import base64

        def part(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        resource = scopes[0].removesuffix("/.default")
        return AccessToken(f"{part({'alg': 'ES256'})}.{part({'aud': resource})}.sig", int(time.time()) + 3600)


class _FailingIam:
    """IAM answering every GetRolePolicy with one error code (AccessDenied: a revoked pre-cutoff session of the role,
    or an identity without the grant; EndpointConnectionError-like codes: IAM never asked)."""

    def __init__(self, code: str, status: int = 403):
        self.code, self.status, self.calls = code, status, 0

    def get_role_policy(self, **_):
        self.calls += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": self.status}},
                          "GetRolePolicy")


def test_a_first_read_denied_refuses_every_hop_and_names_the_grant(aws, caplog):
    """red7a 6: a broker whose FIRST read is AccessDenied (started after the revoke on a pre-cutoff session of the
    role) used to issue every non-AWS token: a revoked agent kept its Azure, OAuth, GCP and model hops."""
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    agent = load_inventory(DEV).inventory.agent("report-builder")
    broker = CredentialBroker(AgentGrants.from_spec(agent, f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-report-builder"),
                              AmbientCredentials(), endpoint_url=aws, revocation=RoleRevocationCheck(_FailingIam("AccessDenied")),
                              azure_credential=_AgentIdentity())
    with pytest.raises(BrokerError, match=r"hop aws: .*AccessDenied.*inline policy 'agentid-read-revocation-record'") as raised:
        broker.credential("read-sales-exports")
    assert raised.value.code == "RevocationUnknown"
    with pytest.raises(BrokerError, match=r"hop azure: cannot read the revocation record .inline policy 'agentid-revoke-sessions' "
                                          r"on role agent-report-builder.: AccessDenied; the broker refuses rather than hand out "
                                          r"credentials it cannot tell are revoked .IAM denies the read, which is how a revoke "
                                          r"answers the role's own sessions") as raised:
        broker.credential("publish-report")
    assert raised.value.code == "RevocationUnknown" and broker._cache == {}
    refusals = [r.agentid_audit for r in caplog.records if getattr(r, "agentid_audit", {}).get("outcome") == "refused"]
    assert [(r["error_code"], r["revocation_error"], r["kind"], r["tool"]) for r in refusals] == [
        ("RevocationUnknown", "AccessDenied", "aws", "read-sales-exports"),
        ("RevocationUnknown", "AccessDenied", "azure", "publish-report")]


@pytest.mark.parametrize("code", ["EndpointConnectionError", "NoCredentialsError", "Throttling"])
def test_iam_not_reached_refuses_the_aws_hop_only(aws, code):
    """The look-alike that must go on: IAM never answered (no AWS credentials, unreachable, throttled): the non-AWS
    hops do not depend on AWS, and nothing says the agent is revoked."""
    agent = load_inventory(DEV).inventory.agent("report-builder")
    broker = CredentialBroker(AgentGrants.from_spec(agent, f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-report-builder"),
                              AmbientCredentials(), endpoint_url=aws, revocation=RoleRevocationCheck(_FailingIam(code, 400)),
                              azure_credential=_AgentIdentity())
    with pytest.raises(BrokerError, match=rf"hop aws: .*: {code}; the broker refuses") as raised:
        broker.credential("read-sales-exports")
    assert raised.value.code == "RevocationUnknown"
    assert broker.credential("publish-report").kind == "azure"
