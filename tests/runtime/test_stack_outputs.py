"""The broker reads what the stack exports: the dev stack under Pulumi mocks -> grants -> STS on moto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agentid.mock_engine import run_program_dir
from agentid.runtime import AgentGrants, AmbientCredentials, CredentialBroker, GrantsError
from agentid_components.aws import permissions
from agentid_components.loader import load_inventory
from tests.runtime.moto_process import assumed_roles

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = load_inventory(ROOT / "stacks" / "agents" / "dev.yaml").inventory


@pytest.fixture(scope="module")
def stack_outputs() -> dict:
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    run = run_program_dir(ROOT / "stacks", stack="dev", config={k: str(v) for k, v in config.items()})
    return json.loads(json.dumps(run.outputs, default=str))  # what `pulumi stack output --json` prints


def test_grants_from_the_stack_outputs_match_the_compiler(stack_outputs):
    for agent in (a for a in INVENTORY.agents if "aws" in a.clouds):
        grants = AgentGrants.from_stack_outputs(stack_outputs, agent.name)
        assert grants.role_arn.endswith(f":role/agent-{agent.name}-dev")  # the dev stack's name suffix
        assert dict(grants.session_policies) == permissions.session_policies(agent)
        assert grants.duration_seconds == permissions.session_duration_seconds(agent)
    # the `inventory` output alone works too
    assert AgentGrants.from_stack_outputs(stack_outputs["inventory"], "data-ingest").duration_seconds == 1800


def test_broker_on_stack_outputs_issues_the_exported_session_policy(aws, stack_outputs):
    grants = AgentGrants.from_stack_outputs(stack_outputs, "data-ingest")
    broker = CredentialBroker(grants, AmbientCredentials(), endpoint_url=aws)
    issued = broker.credentials("use-lake-key")
    recorded = assumed_roles(aws)[issued.access_key_id]
    assert recorded["role_arn"] == grants.role_arn
    assert json.loads(recorded["policy"]) == stack_outputs["inventory"]["data-ingest"]["aws"]["session_policies"]["use-lake-key"]


def test_missing_role_outputs_are_a_clear_error(stack_outputs):
    with pytest.raises(GrantsError, match=r"agent 'nobody' is not in the stack outputs \(they list: bq-analyst, data-ingest, deploy-reviewer, report-builder, support-triage\)"):
        AgentGrants.from_stack_outputs(stack_outputs, "nobody")
    stripped = json.loads(json.dumps(stack_outputs))
    del stripped["inventory"]["report-builder"]["aws"]["role_arn"]
    with pytest.raises(GrantsError, match="agent 'report-builder': the stack outputs lack role_arn"):
        AgentGrants.from_stack_outputs(stripped, "report-builder")
    with pytest.raises(GrantsError, match="agent 'report-builder' is not in the stack outputs"):
        AgentGrants.from_stack_outputs({}, "report-builder")


def test_grants_from_the_stack_outputs_know_oauth_and_azure_tools(stack_outputs):
    """Every hop from the deployed inventory: a Cognito tool reads its secret by ARN, an Entra tool and an Azure tool by spec."""
    triage = AgentGrants.from_stack_outputs(stack_outputs, "support-triage")
    aws = stack_outputs["inventory"]["support-triage"]["aws"]
    mcp = triage.oauth_tools["ticket-mcp"]
    assert (mcp.provider, mcp.audience, mcp.client_id, mcp.issuer) == (
        "cognito", "https://mcp.tickets.example.com", aws["oauth"]["client_id"], aws["oauth"]["issuer"])
    assert mcp.client_secret_ref == aws["oauth"]["client_secret_arn"]
    assert mcp.client_secret_ref.startswith("arn:aws:secretsmanager:")
    # Cognito's token endpoint is on the user pool's domain, not the issuer's host: the one other host the secret may go to
    assert mcp.token_endpoint == aws["oauth"]["token_endpoint"]
    assert mcp.token_endpoint.startswith("https://") and mcp.token_endpoint.endswith(".amazoncognito.com/oauth2/token")
    assert triage.role_arn == aws["role_arn"] and triage.max_credential_seconds == 15 * 60
    catalog = AgentGrants.from_stack_outputs(stack_outputs, "data-ingest").oauth_tools["catalog-api"]
    assert (catalog.provider, catalog.audience, catalog.client_secret_ref) == ("entra", "https://catalog.data.example.com", None)
    # the Entra tool's issuer and client id come from the deployed application: the assertion goes to that tenant only
    azure = stack_outputs["inventory"]["data-ingest"]["azure"]
    assert catalog.issuer == f"https://login.microsoftonline.com/{azure['tenant_id']}/v2.0"
    assert catalog.client_id == azure["oauth"]["client_id"]
    publish = AgentGrants.from_stack_outputs(stack_outputs, "report-builder").azure_tools["publish-report"]
    assert publish.resource == "https://storage.azure.com" and publish.scope.endswith("/containers/weekly")
    # no output holds a client secret's value: only the inventory, with the secret's ARN
    assert set(stack_outputs) == {"inventory"}


def test_a_cognito_tool_without_its_deployed_client_is_a_clear_error(stack_outputs):
    stripped = json.loads(json.dumps(stack_outputs))
    del stripped["inventory"]["support-triage"]["aws"]["oauth"]["client_secret_arn"]
    with pytest.raises(GrantsError, match="tool 'ticket-mcp': a Cognito tool needs aws.oauth.issuer, client_id and client_secret_arn"):
        AgentGrants.from_stack_outputs(stripped, "support-triage")


def test_an_entra_tool_without_its_deployed_application_is_a_clear_error(stack_outputs):
    """Without the tenant the broker would have no configured issuer, and it sends a client assertion to no other."""
    stripped = json.loads(json.dumps(stack_outputs))
    del stripped["inventory"]["data-ingest"]["azure"]["tenant_id"]
    with pytest.raises(GrantsError, match="tool 'catalog-api': an Entra tool needs azure.tenant_id and azure.oauth.client_id"):
        AgentGrants.from_stack_outputs(stripped, "data-ingest")


@pytest.mark.parametrize("key, value, why", [
    ("issuer", "https://cognito-idp.eu-west-1.amazonaws.com\\@evil.example.net/pool", "holds a backslash"),
    ("token_endpoint", "https://auth.example.com/oauth2/../token", "'.' or '..' path segment"),
    ("token_endpoint", "https://169.254.169.254/latest", "link-local"),
    ("issuer", "https://a.example@evil.example.net", "holds userinfo"),
])
def test_urls_in_the_stack_outputs_obey_the_agent_files_url_rules(stack_outputs, key, value, why):
    """The outputs file comes from outside the agent file (az18 item 3): an issuer or token endpoint in it decides where
    the agent's client secret goes, so it obeys the same rules (components/https_url.py) or nothing is issued."""
    tampered = json.loads(json.dumps(stack_outputs))
    tampered["inventory"]["support-triage"]["aws"]["oauth"][key] = value
    with pytest.raises(GrantsError) as error:
        AgentGrants.from_stack_outputs(tampered, "support-triage")
    assert str(error.value).startswith(f"agent 'support-triage', tool 'ticket-mcp': the stack outputs' {key} {value!r} ")
    assert why in str(error.value)
