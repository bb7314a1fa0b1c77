"""The AWS components under Pulumi mocks: exact type tokens and inputs for the dev agents and edge cases."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pulumi
import pytest
from aws_builders import DEV_AGENTS, REPO, make_agent
from pulumi.runtime.sync_await import _sync_await

from agentid.mock_engine import MOCK_ACCOUNT, MOCK_REGION, ProgramRun, run_program
from agentid_components import naming
from agentid_components.aws import permissions
from agentid_components.aws.fleet import AwsAgents, AwsComponentError, AwsSettings
from agentid_components.loader import load_inventory
from agentid_components.spec import Agent, AwsGrant, Tool

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
TRUST_ANCHOR = "aws:rolesanywhere/trustAnchor:TrustAnchor"
PROFILE = "aws:rolesanywhere/profile:Profile"
USER_POOL = "aws:cognito/userPool:UserPool"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
RESOURCE_SERVER = "aws:cognito/resourceServer:ResourceServer"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
FLEET = "agentid:aws:AgentFleet"
IDENTITY = "agentid:aws:AgentIdentity"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
FORBIDDEN = {"aws:iam/user:User", "aws:iam/accessKey:AccessKey", "aws:iam/userLoginProfile:UserLoginProfile"}
GITHUB_PROVIDER_ARN = f"arn:aws:iam::{MOCK_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


@dataclass
class FleetRun:
    run: ProgramRun
    fleet: AwsAgents | None
    errors: list[Exception] = field(default_factory=list)

    def role(self, agent: str):
        return self.run.named(f"aws-{agent}-role", ROLE)

    def trust(self, agent: str) -> dict:
        return json.loads(self.role(agent).inputs["assumeRolePolicy"])

    def inventory(self, agent: str) -> dict:
        return self.run.outputs["inventory"][agent]


def run_fleet(agents: list[Agent], settings: AwsSettings | None = None, config: dict | None = None) -> FleetRun:
    """Run AwsAgents under mocks; errors raised by the component are caught inside the program."""
    holder = FleetRun(run=None, fleet=None)  # type: ignore[arg-type]

    def program() -> None:
        try:
            fleet = AwsAgents("aws", agents, settings or AwsSettings.from_config())
        except AwsComponentError as error:
            holder.errors.append(error)
            return
        holder.fleet = fleet
        pulumi.export("inventory", fleet.inventory)

    holder.run = run_program(program, config={"agentsFile": str(DEV_AGENTS), **(config or {})})
    return holder


@pytest.fixture(scope="module")
def dev() -> FleetRun:
    return run_fleet(load_inventory(DEV_AGENTS).inventory.agents)


# --- what the dev stack registers ---------------------------------------------------


def test_dev_registers_exactly_these_resources(dev):
    registered = sorted((r.type, r.name) for r in dev.run.resources)
    assert registered == sorted(
        [
            (FLEET, "aws"),
            (OIDC, "aws-github-actions"),
            (OIDC, "aws-k8s-aks-dev.oidc.example.net-00000000-0000-0000-0000-000000000000"),
            (USER_POOL, "aws-oauth"),
            (DOMAIN, "aws-oauth"),
            (RESOURCE_SERVER, "aws-oauth-mcp.tickets.example.com"),
            *[(IDENTITY, f"aws-{a}") for a in ("support-triage", "report-builder", "deploy-reviewer", "data-ingest")],
            *[(ROLE, f"aws-{a}-role") for a in ("support-triage", "report-builder", "deploy-reviewer", "data-ingest")],
            *[(POLICY, f"aws-{a}-boundary") for a in ("support-triage", "report-builder", "deploy-reviewer", "data-ingest")],
            (ROLE_POLICY, "aws-support-triage-read-tickets"),
            (ROLE_POLICY, "aws-report-builder-read-sales-exports"),
            (ROLE_POLICY, "aws-report-builder-list-sales-exports"),
            (ROLE_POLICY, "aws-deploy-reviewer-read-deploy-plans"),
            (ROLE_POLICY, "aws-deploy-reviewer-whoami"),
            (ROLE_POLICY, "aws-data-ingest-write-landing-zone"),
            (ROLE_POLICY, "aws-data-ingest-enqueue-batches"),
            (ROLE_POLICY, "aws-data-ingest-use-lake-key"),
            *[(ROLE_POLICY, f"aws-{a}-revocation-read") for a in ("support-triage", "report-builder", "deploy-reviewer", "data-ingest")],
            (POD_IDENTITY, "aws-support-triage-dev-agents-support-triage-agent"),
            (TRUST_ANCHOR, "aws-" + naming.aws_trust_anchor_name("data.example.org", "dev")),
            (PROFILE, "aws-data-ingest-roles-anywhere"),
            (CLIENT, "aws-support-triage-oauth-client"),
            (SECRET, "aws-support-triage-oauth-client-secret"),
            (SECRET_VERSION, "aws-support-triage-oauth-client-secret"),
            (SECRET_POLICY, "aws-support-triage-oauth-client-secret"),
            (ROLE_POLICY, "aws-support-triage-oauth-client-secret"),
        ]
    )
    assert not {r.type for r in dev.run.resources} & FORBIDDEN


def test_everything_is_parented_to_its_component(dev):
    fleet = dev.run.named("aws", FLEET)
    assert fleet.parent is None
    for resource in dev.run.resources:
        if resource.type in (IDENTITY, OIDC, USER_POOL, DOMAIN, RESOURCE_SERVER, TRUST_ANCHOR):  # shared per stack
            assert resource.parent == fleet.urn, resource.name
        elif resource.type != FLEET:
            agent = resource.name.removeprefix("aws-").split("-role")[0] if resource.type == ROLE else None
            parent_name = resource.parent.split("::")[-1]
            assert parent_name in {f"aws-{name}" for name in dev.fleet.identities}, resource.name
            if agent:
                assert parent_name == f"aws-{agent}"
        if resource.parent:  # Pulumi's convention: a child's name starts with its parent's name
            assert resource.name.startswith(resource.parent.split("::")[-1] + "-"), resource.name


@pytest.mark.parametrize("agent", ["support-triage", "report-builder", "deploy-reviewer", "data-ingest"])
def test_role_inputs(dev, dev_agents, agent):
    spec = dev_agents[agent]
    role = dev.role(agent).inputs
    assert role["name"] == f"agent-{agent}-dev"  # the stack's name suffix
    assert role["maxSessionDuration"] == 3600
    assert role["permissionsBoundary"] == f"arn:aws:iam::{MOCK_ACCOUNT}:policy/agent-{agent}-dev-boundary"
    assert role["tags"] == {
        "agent": agent,
        "owner": spec.owner,
        "environment": "dev",
        "review-by": spec.review_by.isoformat(),
        "managed-by": "agent-identity-kit",
    }
    assert "inlinePolicies" not in role and "managedPolicyArns" not in role


@pytest.mark.parametrize("agent", ["support-triage", "report-builder", "deploy-reviewer", "data-ingest"])
def test_inline_policies_hold_only_the_declared_grants(dev, dev_agents, agent):
    spec = dev_agents[agent]
    aws_tools = [t for t in spec.tools if t.aws]
    policies = {r.inputs["name"]: r for r in dev.run.of_type(ROLE_POLICY) if r.name.startswith(f"aws-{agent}-")}
    cognito = {"agentid-oauth-client-secret"} if any(t.oauth and t.oauth.provider == "cognito" for t in spec.tools) else set()
    # the secret's read and the revocation record's read: tested below
    assert set(policies) == {f"tool-{t.name}" for t in aws_tools} | cognito | {"agentid-read-revocation-record"}
    for tool in aws_tools:
        resource = policies[f"tool-{tool.name}"]
        assert resource.inputs["role"] == f"agent-{agent}-dev"
        document = json.loads(resource.inputs["policy"])
        assert document == permissions.session_policy(spec, tool)
        granted = {a for s in document["Statement"] for a in s["Action"]}
        assert granted == set(tool.aws.actions)
        arns = {arn for s in document["Statement"] for arn in s["Resource"]}
        assert arns == set(tool.aws.resources)
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement


@pytest.mark.parametrize("agent", ["support-triage", "report-builder", "deploy-reviewer", "data-ingest"])
def test_boundary_is_created_from_the_tools(dev, dev_agents, agent):
    boundary = dev.run.named(f"aws-{agent}-boundary", POLICY).inputs
    assert boundary["name"] == f"agent-{agent}-dev-boundary"
    document = json.loads(boundary["policy"])
    assert document["Statement"].pop() == own_read(agent)  # the read of its own revocation record
    if agent == "support-triage":  # and its Cognito client secret's read (tested below)
        assert document["Statement"].pop()["Sid"] == "ReadOwnOAuthClientSecret"
    assert document == permissions.boundary_document(dev_agents[agent])


def own_read(agent: str) -> dict:
    """GetRolePolicy on exactly the agent's own role: IAM has no condition key to narrow it to one policy name."""
    return {"Sid": "ReadOwnRevocationRecord", "Effect": "Allow", "Action": "iam:GetRolePolicy",
            "Resource": f"arn:aws:iam::{MOCK_ACCOUNT}:role/agent-{agent}-dev"}


@pytest.mark.parametrize("agent", ["support-triage", "report-builder", "deploy-reviewer", "data-ingest"])
def test_the_role_may_read_its_own_revocation_record_and_nothing_else_of_iam(dev, agent):
    """The broker running as the role reads `agentid-revoke-sessions` on it: the role's inline policy and its
    boundary allow GetRolePolicy on the role's own ARN, with GitHub, IRSA, Pod Identity and Roles Anywhere trust alike."""
    grant = dev.run.named(f"aws-{agent}-revocation-read", ROLE_POLICY)
    assert grant.inputs["name"] == "agentid-read-revocation-record" and grant.inputs["role"] == f"agent-{agent}-dev"
    assert json.loads(grant.inputs["policy"]) == {"Version": "2012-10-17", "Statement": [own_read(agent)]}
    assert dev.role(agent).urn in grant.dependencies
    assert own_read(agent)["Resource"] == dev.inventory(agent)["role_arn"]
    boundary = json.loads(dev.run.named(f"aws-{agent}-boundary", POLICY).inputs["policy"])
    iam_statements = [s for s in boundary["Statement"] if any(str(a).startswith("iam:") for a in _listed(s["Action"]))]
    assert iam_statements == [own_read(agent)]  # no dev agent declares an IAM tool: this is the only IAM grant
    assert "agentid-read-revocation-record" in dev.inventory(agent)["inline_policies"]


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def test_github_branch_trust(dev):
    assert dev.trust("report-builder")["Statement"] == [
        {
            "Sid": dev.inventory("report-builder")["trust"][0]["trust_statement_sid"],
            "Effect": "Allow",
            "Principal": {"Federated": GITHUB_PROVIDER_ARN},
            "Action": ["sts:AssumeRoleWithWebIdentity"],
            "Condition": {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": "repo:example-org/revenue-reports:ref:refs/heads/main",
                }
            },
        }
    ]


def test_github_environment_trust(dev):
    (statement,) = dev.trust("deploy-reviewer")["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:example-org/platform-deployments:environment:plan-review",
        }
    }


def test_github_provider_created_once(dev):
    (provider,) = [r for r in dev.run.of_type(OIDC) if r.name == "aws-github-actions"]
    assert provider.inputs == {
        "url": "https://token.actions.githubusercontent.com",
        "clientIdLists": ["sts.amazonaws.com"],
        "tags": {"managed-by": "agent-identity-kit"},
    }


def test_pod_identity_association_and_trust(dev):
    association = dev.run.named("aws-support-triage-dev-agents-support-triage-agent", POD_IDENTITY).inputs
    assert association == {
        "clusterName": "dev-agents",
        "namespace": "support",
        "serviceAccount": "triage-agent",
        "roleArn": f"arn:aws:iam::{MOCK_ACCOUNT}:role/agent-support-triage-dev",
        "disableSessionTags": False,
        "tags": dev.role("support-triage").inputs["tags"],
    }
    statement, self_assume = dev.trust("support-triage")["Statement"]
    assert self_assume == self_assume_statement("agent-support-triage-dev")
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:SourceAccount": MOCK_ACCOUNT,
            "aws:RequestTag/kubernetes-namespace": "support",
            "aws:RequestTag/kubernetes-service-account": "triage-agent",
        },
        "ArnEquals": {"aws:SourceArn": f"arn:aws:eks:{MOCK_REGION}:{MOCK_ACCOUNT}:cluster/dev-agents"},
    }


def test_roles_anywhere_anchor_profile_and_trust(dev):
    spiffe_id = "spiffe://data.example.org/ns/ingest/sa/partner-loader"
    anchor = dev.run.named("aws-" + naming.aws_trust_anchor_name("data.example.org", "dev"), TRUST_ANCHOR)
    pem = (REPO / "stacks/agents/certs/data-example-org-ca.pem").read_text()
    assert anchor.inputs["enabled"] is True
    assert anchor.inputs["source"] == {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem}}
    profile = dev.run.named("aws-data-ingest-roles-anywhere", PROFILE).inputs
    assert profile["durationSeconds"] == 1800  # 30 minutes, as declared
    assert profile["roleArns"] == [f"arn:aws:iam::{MOCK_ACCOUNT}:role/agent-data-ingest-dev"]
    assert profile["enabled"] is True
    statements = {next(iter(s["Principal"].values())): s for s in dev.trust("data-ingest")["Statement"]}
    assert statements[f"arn:aws:iam::{MOCK_ACCOUNT}:root"] == self_assume_statement("agent-data-ingest-dev")
    roles_anywhere = statements["rolesanywhere.amazonaws.com"]
    assert roles_anywhere["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
    assert roles_anywhere["Condition"] == {
        "StringEquals": {"aws:PrincipalTag/x509SAN/URI": spiffe_id},
        "ArnEquals": {"aws:SourceArn": anchor.outputs["arn"]},
    }
    assert anchor.outputs["arn"].startswith(f"arn:aws:rolesanywhere:{MOCK_REGION}:{MOCK_ACCOUNT}:trust-anchor/")


def test_irsa_trust_pins_service_account_and_audience(dev):
    issuer_host = "aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/"
    provider = dev.run.named("aws-k8s-aks-dev.oidc.example.net-00000000-0000-0000-0000-000000000000", OIDC)
    assert provider.inputs["url"] == f"https://{issuer_host}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    (irsa,) = [s for s in dev.trust("data-ingest")["Statement"] if "Federated" in s["Principal"]]
    assert irsa["Principal"] == {"Federated": provider.outputs["arn"]}
    assert irsa["Action"] == ["sts:AssumeRoleWithWebIdentity"]
    assert irsa["Condition"] == {
        "StringEquals": {
            f"{issuer_host}:aud": "sts.amazonaws.com",
            f"{issuer_host}:sub": "system:serviceaccount:ingest:partner-loader",
        }
    }


def self_assume_statement(role: str) -> dict:
    """Sessions of the role may assume it again with a tool's session policy (the broker's role chaining)."""
    return {
        "Sid": "ToolSessionsFromOwnSessions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{MOCK_ACCOUNT}:root"},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
        "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{MOCK_ACCOUNT}:role/{role}"}},
    }


def test_no_trust_statement_without_conditions(dev, dev_agents):
    for agent in dev_agents:
        for statement in dev.trust(agent)["Statement"]:
            assert statement["Effect"] == "Allow" and statement["Condition"]
            if "AWS" in statement["Principal"]:  # only the role's own sessions, never an account or user
                assert statement == self_assume_statement(naming.aws_role_name(agent, "dev"))


def test_only_agents_holding_role_sessions_may_self_assume(dev):
    # GitHub and IRSA tokens are exchanged per tool with AssumeRoleWithWebIdentity: no self-trust needed.
    for agent in ("report-builder", "deploy-reviewer"):
        assert all("AWS" not in s["Principal"] for s in dev.trust(agent)["Statement"])


def test_cognito_pool_domain_and_resource_server(dev):
    pool = dev.run.named("aws-oauth", USER_POOL).inputs
    assert pool["name"] == "agentid-agent-identity-kit-dev"
    assert pool["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": True}
    domain = dev.run.named("aws-oauth", DOMAIN).inputs
    assert domain["domain"] == "agentid-agent-identity-kit-dev"
    pool_id = dev.run.named("aws-oauth", USER_POOL).id
    assert domain["userPoolId"] == pool_id
    server = dev.run.named("aws-oauth-mcp.tickets.example.com", RESOURCE_SERVER).inputs
    assert server["identifier"] == "https://mcp.tickets.example.com"
    assert server["userPoolId"] == pool_id
    assert [s["scopeName"] for s in server["scopes"]] == ["tickets.read", "tickets.comment"]


def test_cognito_client_is_client_credentials_only(dev):
    client = dev.run.named("aws-support-triage-oauth-client", CLIENT)
    assert client.inputs == {
        "name": "agent-support-triage-dev",
        "userPoolId": dev.run.named("aws-oauth", USER_POOL).id,
        "allowedOauthFlows": ["client_credentials"],
        "allowedOauthFlowsUserPoolClient": True,
        "allowedOauthScopes": ["https://mcp.tickets.example.com/tickets.read", "https://mcp.tickets.example.com/tickets.comment"],
        "generateSecret": True,
        "accessTokenValidity": 15,
        "tokenValidityUnits": {"accessToken": "minutes"},
        "explicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
        "preventUserExistenceErrors": "ENABLED",
        "enableTokenRevocation": True,
    }
    assert "callbackUrls" not in client.inputs


def test_inventory_per_agent(dev, dev_agents):
    assert set(dev.run.outputs["inventory"]) == set(dev_agents)
    triage = dev.inventory("support-triage")
    assert triage["role_arn"] == f"arn:aws:iam::{MOCK_ACCOUNT}:role/agent-support-triage-dev"
    assert triage["oauth"]["client_id"] == dev.run.named("aws-support-triage-oauth-client", CLIENT).id
    assert triage["oauth"]["scopes"] == ["https://mcp.tickets.example.com/tickets.read", "https://mcp.tickets.example.com/tickets.comment"]
    assert triage["oauth"]["token_endpoint"] == (
        f"https://agentid-agent-identity-kit-dev.auth.{MOCK_REGION}.amazoncognito.com/oauth2/token"
    )
    assert triage["lifetimes"] == {
        "declared_minutes": 15,
        "sts_session_seconds": 900,
        "role_max_session_seconds": 3600,
        "oauth_access_token_minutes": 15,
    }
    assert triage["trust"][0]["association_id"].startswith("a-")
    assert triage["session_policies"] == permissions.session_policies(dev_agents["support-triage"])
    kill = triage["revocation"]["kill_live_sessions"]
    assert kill["inline_policy_name"] == naming.REVOKE_POLICY_NAME
    assert kill["role"] == "agent-support-triage-dev"
    assert kill["condition"]["DateLessThan"].keys() == {"aws:TokenIssueTime"}
    assert any("Pod Identity association" in step for step in triage["revocation"]["steps"])
    ingest = dev.inventory("data-ingest")
    assert ingest["lifetimes"]["sts_session_seconds"] == 1800
    spiffe = next(t for t in ingest["trust"] if t["kind"] == "spiffe")
    assert spiffe["roles_anywhere_profile_arn"].startswith(f"arn:aws:rolesanywhere:{MOCK_REGION}:{MOCK_ACCOUNT}:profile/")


def test_the_client_secret_is_in_secrets_manager_readable_only_by_the_agents_role(dev):
    """Cognito offers client secrets only: the secret goes to Secrets Manager, its ARN (never the value) to the inventory."""
    client = dev.run.named("aws-support-triage-oauth-client", CLIENT)
    secret = dev.run.named("aws-support-triage-oauth-client-secret", SECRET)
    secret_arn = secret.outputs["arn"]
    role_arn = f"arn:aws:iam::{MOCK_ACCOUNT}:role/agent-support-triage-dev"
    assert secret.inputs["name"] == "agentid/support-triage-dev/oauth-client-secret"
    assert secret.inputs["tags"]["agent"] == "support-triage"
    version = dev.run.named("aws-support-triage-oauth-client-secret", SECRET_VERSION)
    # the client's generated secret (unknown until Cognito creates it), written as a Pulumi secret (the engine's
    # secret signature wraps it), so the state encrypts it
    assert client.outputs["clientSecret"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    wrapped = version.inputs["secretString"]
    assert wrapped["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    assert wrapped["value"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9" and client.urn in version.dependencies
    assert version.inputs["secretId"] == secret.id
    # the role may read exactly this secret, and its boundary lets it
    grant = dev.run.named("aws-support-triage-oauth-client-secret", ROLE_POLICY).inputs
    assert grant["name"] == "agentid-oauth-client-secret" and grant["role"] == "agent-support-triage-dev"
    read = {"Sid": "ReadOwnOAuthClientSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}
    assert json.loads(grant["policy"]) == {"Version": "2012-10-17", "Statement": [read]}
    boundary = json.loads(dev.run.named("aws-support-triage-boundary", POLICY).inputs["policy"])
    assert boundary["Statement"][-2:] == [read, own_read("support-triage")]
    assert boundary["Statement"][:-2] == permissions.boundary_document(load_inventory(DEV_AGENTS).inventory.agent("support-triage"))["Statement"]
    # the secret's own policy: the role reads it, every other principal is denied (the deployer excepted: the provider reads back)
    policy = dev.run.named("aws-support-triage-oauth-client-secret", SECRET_POLICY).inputs
    assert policy["secretArn"] == secret_arn and policy["blockPublicPolicy"] is True
    allow, deny = json.loads(policy["policy"])["Statement"]
    assert allow == {"Sid": "AgentRoleReads", "Effect": "Allow", "Principal": {"AWS": role_arn},
                     "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "secretsmanager:GetSecretValue"
    assert deny["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": [role_arn, f"arn:aws:iam::{MOCK_ACCOUNT}:user/mock"]}}
    # the inventory names the secret and the issuer, never the value; no stack output holds the value
    oauth = dev.inventory("support-triage")["oauth"]
    assert oauth["client_secret_arn"] == secret_arn
    assert oauth["issuer"] == f"https://cognito-idp.{MOCK_REGION}.amazonaws.com/" + dev.run.named("aws-oauth", USER_POOL).id
    assert "clientSecret" not in json.dumps(dev.run.outputs) and "secretString" not in json.dumps(dev.run.outputs)
    assert not hasattr(dev.fleet, "client_secrets")


def test_a_cognito_only_agent_gets_a_role_that_can_only_read_its_client_secret(dev_agents):
    agent = dev_agents["support-triage"].model_copy(
        update={"name": "ticket-reader", "tools": [t for t in dev_agents["support-triage"].tools if t.oauth and t.oauth.provider == "cognito"]}
    )
    result = run_fleet([agent])
    assert not result.errors
    boundary = json.loads(result.run.named("aws-ticket-reader-boundary", POLICY).inputs["policy"])
    secret_arn = result.run.named("aws-ticket-reader-oauth-client-secret", SECRET).outputs["arn"]
    assert boundary == {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadOwnOAuthClientSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn},
        own_read("ticket-reader")]}
    assert sorted(r.name for r in result.run.of_type(ROLE_POLICY)) == ["aws-ticket-reader-oauth-client-secret", "aws-ticket-reader-revocation-read"]
    assert result.inventory("ticket-reader")["session_policies"] == {}


# --- settings: referencing existing objects -----------------------------------------


def test_referenced_objects_are_not_created(dev_agents):
    settings = AwsSettings(
        github_oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
        kubernetes_oidc_provider_arns={
            "https://aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/": "arn:aws:iam::111122223333:oidc-provider/aks"
        },
        cognito_user_pool_id="eu-west-1_AbC123",
        cognito_domain="auth.example.com",
        permissions_boundary_arn="arn:aws:iam::111122223333:policy/agent-boundary",
        agents_dir=str(DEV_AGENTS.parent),
    )
    result = run_fleet(list(dev_agents.values()), settings)
    types = {r.type for r in result.run.resources}
    assert not types & {OIDC, POLICY, USER_POOL, DOMAIN}
    assert result.role("report-builder").inputs["permissionsBoundary"] == "arn:aws:iam::111122223333:policy/agent-boundary"
    assert result.trust("report-builder")["Statement"][0]["Principal"] == {
        "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    }
    irsa = [s for s in result.trust("data-ingest")["Statement"] if "Federated" in s["Principal"]]
    assert irsa[0]["Principal"]["Federated"] == "arn:aws:iam::111122223333:oidc-provider/aks"
    assert result.run.named("aws-support-triage-oauth-client", CLIENT).inputs["userPoolId"] == "eu-west-1_AbC123"
    assert result.run.named("aws-oauth-mcp.tickets.example.com", RESOURCE_SERVER).inputs["userPoolId"] == "eu-west-1_AbC123"
    assert result.inventory("support-triage")["oauth"]["token_endpoint"] == "https://auth.example.com/oauth2/token"


def test_settings_from_config(dev_agents):
    captured = {}

    def program():
        captured["settings"] = AwsSettings.from_config()

    run_program(
        program,
        config={
            "agentsFile": "agents/dev.yaml",
            "awsGithubOidcProviderArn": GITHUB_PROVIDER_ARN,
            "awsKubernetesOidcProviderArns": json.dumps({"https://issuer.example.com": f"arn:aws:iam::{MOCK_ACCOUNT}:oidc-provider/issuer.example.com"}),
            "awsCognitoUserPoolId": "eu-west-1_AbC123",
            "awsCognitoDomain": "agentid-dev",
            "awsPermissionsBoundaryArn": f"arn:aws:iam::{MOCK_ACCOUNT}:policy/b",
        },
    )
    assert captured["settings"] == AwsSettings(
        github_oidc_provider_arn=GITHUB_PROVIDER_ARN,
        kubernetes_oidc_provider_arns={"https://issuer.example.com": f"arn:aws:iam::{MOCK_ACCOUNT}:oidc-provider/issuer.example.com"},
        cognito_user_pool_id="eu-west-1_AbC123",
        cognito_domain="agentid-dev",
        permissions_boundary_arn=f"arn:aws:iam::{MOCK_ACCOUNT}:policy/b",
        agents_dir="agents",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"github_oidc_provider_arn": "arn:aws:iam::1:oidc-provider/x"}, "awsGithubOidcProviderArn"),
        ({"github_oidc_provider_arn": f"arn:aws:iam::{MOCK_ACCOUNT}:oidc-provider/example.com"}, "token.actions.githubusercontent.com"),
        ({"permissions_boundary_arn": "agent-boundary"}, "awsPermissionsBoundaryArn"),
        ({"cognito_user_pool_id": "eu-west-1_AbC123"}, "awsCognitoDomain is not"),
        ({"cognito_domain": "Bad_Domain"}, "awsCognitoDomain"),
        # keys that are issuer / audience URLs obey the agent file's URL rules (components/https_url.py; az18 item 3)
        ({"kubernetes_oidc_provider_arns": {"https://k.example.com\\@evil.example.net": f"arn:aws:iam::{MOCK_ACCOUNT}:oidc-provider/k"}},
         r"config agent-identity-kit:awsKubernetesOidcProviderArns: key 'https://k.example.com\\\\@evil.example.net' holds a backslash"),
        ({"cognito_resource_servers": {"https://mcp.example.com/a/../b": "https://mcp.example.com/b"}},
         r"awsCognitoResourceServers: key 'https://mcp.example.com/a/../b' has a '.' or '..' path segment"),
    ],
)
def test_bad_settings_are_refused(fields, message):
    with pytest.raises(AwsComponentError, match=message):
        AwsSettings(**fields)


# --- edge cases ---------------------------------------------------------------------


def test_acm_pca_anchor(tmp_path):
    pca = "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555"
    agent = make_agent(
        [{"name": "get", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}}],
        trust=[{"spiffe": {"trust_domain": "prod.example.org", "path": "/agent", "acm_pca_arn": pca}}],
        max_credential_minutes=5,
    )
    result = run_fleet([agent])
    (anchor,) = result.run.of_type(TRUST_ANCHOR)
    assert anchor.inputs["source"] == {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": pca}}
    (profile,) = result.run.of_type(PROFILE)
    assert profile.inputs["durationSeconds"] == 900  # 5 minutes raised to the Roles Anywhere / STS floor
    assert not result.run.of_type(OIDC)


def test_cognito_only_agent_gets_a_client_and_a_role_only_to_read_its_secret():
    agent = make_agent(
        [{"name": "mcp", "oauth": {"audience": "https://mcp.example.com/v1", "scopes": ["a.read"]}}], max_credential_minutes=5
    )
    result = run_fleet([agent])
    (role,) = result.run.of_type(ROLE)  # the only principal that may read the client secret
    assert sorted(p.inputs["name"] for p in result.run.of_type(ROLE_POLICY)) == ["agentid-oauth-client-secret", "agentid-read-revocation-record"]
    (client,) = result.run.of_type(CLIENT)
    assert client.inputs["allowedOauthScopes"] == ["https://mcp.example.com/v1/a.read"]
    assert client.inputs["accessTokenValidity"] == 5
    (server,) = result.run.of_type(RESOURCE_SERVER)
    assert server.name == "aws-oauth-mcp.example.com-v1" and server.inputs["name"] == "mcp.example.com-v1"


def test_resource_server_unions_scopes_of_all_agents():
    one = make_agent([{"name": "m", "oauth": {"audience": "https://api.example.com", "scopes": ["a", "b"]}}], name="one")
    two = make_agent([{"name": "m", "oauth": {"audience": "https://api.example.com", "scopes": ["b", "c"]}}], name="two")
    result = run_fleet([one, two])
    (server,) = result.run.of_type(RESOURCE_SERVER)
    assert [s["scopeName"] for s in server.inputs["scopes"]] == ["a", "b", "c"]
    clients = {r.inputs["name"]: r.inputs["allowedOauthScopes"] for r in result.run.of_type(CLIENT)}
    assert clients == {
        "agent-one-dev": ["https://api.example.com/a", "https://api.example.com/b"],
        "agent-two-dev": ["https://api.example.com/b", "https://api.example.com/c"],
    }


def test_azure_only_agents_register_nothing_on_aws():
    agent = make_agent(
        [
            {
                "name": "blob",
                "azure": {
                    "data_actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
                    "scope": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg",
                },
            }
        ]
    )
    result = run_fleet([agent])
    assert [r.type for r in result.run.resources] == [FLEET]
    assert result.run.outputs["inventory"] == {}


def test_pass_role_policy_carries_the_guard():
    agent = make_agent(
        [
            {
                "name": "launch",
                "aws": {
                    "actions": ["iam:PassRole"],
                    "resources": ["arn:aws:iam::111122223333:role/worker"],
                    "conditions": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                },
            }
        ]
    )
    result = run_fleet([agent])
    (policy,) = [p for p in result.run.of_type(ROLE_POLICY) if p.inputs["name"].startswith("tool-")]
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }


# --- bad input: a clear error and nothing registered ----------------------------------


def _unvalidated(agent: Agent, **grant) -> Agent:
    tool = Tool.model_construct(name="bad-tool", description="", aws=AwsGrant.model_construct(conditions={}, **grant), azure=None, oauth=None)
    return Agent.model_construct(**{**dict(agent), "tools": [tool]})


GOOD = make_agent([{"name": "get", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}}], name="good")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            _unvalidated(GOOD, actions=["sts:GetCallerIdentity"], resources=["arn:aws:s3:::b"]),
            "agent 'good', tool 'bad-tool': sts:GetCallerIdentity accepts no resource ARN, so it needs Resource '\\*', a broader grant",
        ),
        (
            _unvalidated(GOOD, actions=["s3:PutObject"], resources=["arn:aws:s3:::bucket"]),
            "agent 'good', tool 'bad-tool': s3:PutObject does not apply to the declared resource type",
        ),
        (
            Agent.model_construct(**{**dict(GOOD), "max_credential_minutes": 240}),
            "agent 'good': max_credential_minutes 240 is outside 1..60",
        ),
        (
            make_agent(
                [{"name": "pass", "aws": {"actions": ["iam:PassRole"], "resources": ["arn:aws:iam::111122223333:role/r"]}}],
                name="good",
            ),
            "agent 'good', tool 'pass': iam:PassRole needs a guard condition",
        ),
    ],
)
def test_bad_input_fails_before_anything_registers(bad, message):
    first = make_agent([{"name": "get", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}}], name="first")
    result = run_fleet([first, bad])  # the good agent comes first: it must not register either
    assert len(result.errors) == 1
    assert isinstance(result.errors[0], pulumi.RunError)
    assert re.search(message, str(result.errors[0])), str(result.errors[0])
    assert result.run.resources == []


def test_too_many_trust_bindings_fail_before_registration():
    trust = [{"github_actions": {"repository": f"acme/repo-{i}", "branch": "main"}} for i in range(8)]
    agent = make_agent([{"name": "get", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}}], trust=trust)
    result = run_fleet([agent])
    assert "its trust policy would take up to" in str(result.errors[0])
    assert result.run.resources == []


def test_unreadable_ca_bundle_fails_before_registration(tmp_path):
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    agent = Agent.model_validate(
        {
            **GOOD.model_dump(exclude={"trust"}),
            "trust": [{"spiffe": {"trust_domain": "x.example.org", "path": "/a", "ca_bundle": "ca.pem"}}],
        },
        context={"base_dir": str(tmp_path)},
    )
    result = run_fleet([agent], AwsSettings(agents_dir=str(tmp_path / "elsewhere")))
    assert "CA bundle 'ca.pem' cannot be read" in str(result.errors[0])
    assert result.run.resources == []


def test_colliding_resource_server_names_fail_before_registration():
    one = make_agent([{"name": "m", "oauth": {"audience": "https://api.example.com/v1", "scopes": ["a"]}}], name="one")
    two = make_agent([{"name": "m", "oauth": {"audience": "https://api.example.com-v1", "scopes": ["a"]}}], name="two")
    result = run_fleet([one, two])
    assert "both map to Cognito resource server name 'api.example.com-v1'" in str(result.errors[0])
    assert result.run.resources == []


def test_check_compiles_without_registering(dev_agents):
    plans, servers = AwsAgents.check(list(dev_agents.values()), AwsSettings(agents_dir=str(DEV_AGENTS.parent)))
    assert [p.agent.name for p in plans] == ["support-triage", "report-builder", "deploy-reviewer", "data-ingest"]
    assert servers == {"https://mcp.tickets.example.com": ("mcp.tickets.example.com", ["tickets.read", "tickets.comment"])}
    bad = Agent.model_construct(**{**dict(dev_agents["report-builder"]), "max_credential_minutes": 90})
    with pytest.raises(AwsComponentError, match="agent 'report-builder': max_credential_minutes 90"):
        AwsAgents.check([bad], AwsSettings())


def test_a_bedrock_llm_tool_compiles_to_a_role_policy_on_exactly_its_models():
    model = "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-pro-v1:0"
    agent = make_agent([{"name": "nova", "llm": {"bedrock": {"models": [model]}}}])
    result = run_fleet([agent])
    (policy,) = [p for p in result.run.of_type(ROLE_POLICY) if p.inputs["name"].startswith("tool-")]
    assert policy.inputs["name"] == "tool-nova"
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {"Sid": "Nova", "Effect": "Allow", "Action": ["bedrock:InvokeModel"], "Resource": [model]}]
    assert result.inventory("probe")["session_policies"]["nova"]["Statement"][0]["Resource"] == [model]


def test_long_agent_names_get_role_names_within_iam_limits():
    # IAM role names are at most 64 characters: a 60-character agent name plus the stack suffix is cut and
    # ends in a hash of the whole, so two long names sharing a start stay distinct.
    tool = [{"name": "get", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}}]
    result = run_fleet([make_agent(tool, name="a" * 59 + "x"), make_agent(tool, name="a" * 59 + "y")])
    names = sorted(role.inputs["name"] for role in result.run.of_type(ROLE))
    assert [len(name) for name in names] == [64, 64] and names[0] != names[1]
    assert all(re.fullmatch(r"agent-a{49}-[0-9a-f]{8}", name) for name in names), names
    boundaries = [policy.inputs["name"] for policy in result.run.of_type(POLICY)]
    assert all(len(name) <= 128 and name.endswith("-dev-boundary") for name in boundaries)
