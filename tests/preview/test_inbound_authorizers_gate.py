"""Inbound token authorizers end to end (AGID-GEN-008, AGID-AWS-071; red15 r15-9): `agentid preview` blocks a PUBLIC
AgentCore runtime, a gateway, an HTTP API JWT authorizer and Container Apps authentication trusting GitHub Actions or
Google with no claim naming an own tenant, and a runtime forwarding the caller's Authorization header into the agent.
Look-alikes: a runtime requiring repository_owner EQUALS an owner the GATE lists (`--trusted-repository-owner`), an
HTTP API trusting a Cognito user pool (single-tenant). The owner list is the gate's: without the flag the pinned
runtime blocks too.
"""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import pulumi_azure_native as az
GH = "https://token.actions.githubusercontent.com/.well-known/openid-configuration"
role = aws.iam.Role("rt", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "bedrock-agentcore.amazonaws.com"}, "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}]}))
ARTIFACT = {"container_configuration": {"container_uri": "111122223333.dkr.ecr.us-east-1.amazonaws.com/agent:1"}}
aws.bedrock.AgentcoreAgentRuntime("rt", agent_runtime_name="agent", role_arn=role.arn, agent_runtime_artifact=ARTIFACT,
    network_configuration={"network_mode": "PUBLIC"},
    authorizer_configuration={"custom_jwt_authorizer": {"discovery_url": GH, "allowed_audiences": ["sts.amazonaws.com"]}},
    request_header_configuration={"request_header_allowlists": ["Authorization"]})
aws.bedrock.AgentcoreAgentRuntime("rt-google", agent_runtime_name="agent2", role_arn=role.arn, agent_runtime_artifact=ARTIFACT,
    network_configuration={"network_mode": "PUBLIC"},
    authorizer_configuration={"custom_jwt_authorizer": {
        "discovery_url": "https://accounts.google.com/.well-known/openid-configuration",
        "allowed_audiences": ["32555940559.apps.googleusercontent.com"]}})
aws.bedrock.AgentcoreAgentRuntime("rt-pinned", agent_runtime_name="agent3", role_arn=role.arn, agent_runtime_artifact=ARTIFACT,
    network_configuration={"network_mode": "PUBLIC"},
    authorizer_configuration={"custom_jwt_authorizer": {"discovery_url": GH, "allowed_audiences": ["agent"],
        "custom_claims": [{"inbound_token_claim_name": "repository_owner", "inbound_token_claim_value_type": "STRING",
                           "authorizing_claim_match_value": {"claim_match_operator": "EQUALS",
                                                             "claim_match_value": {"match_value_string": "Example-Org"}}}]}},
    request_header_configuration={"request_header_allowlists": ["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"]})
aws.bedrock.AgentcoreGateway("gw", name="tools", role_arn=role.arn, protocol_type="MCP", authorizer_type="CUSTOM_JWT",
    authorizer_configuration={"custom_jwt_authorizer": {"discovery_url": GH, "allowed_audiences": ["mcp"]}})
api = aws.apigatewayv2.Api("api", protocol_type="HTTP")
aws.apigatewayv2.Authorizer("jwt", api_id=api.id, authorizer_type="JWT", identity_sources=["$request.header.Authorization"],
    jwt_configuration={"issuer": "https://token.actions.githubusercontent.com", "audiences": ["api"]})
aws.apigatewayv2.Authorizer("jwt-cognito", api_id=api.id, authorizer_type="JWT",
    identity_sources=["$request.header.Authorization"],
    jwt_configuration={"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123", "audiences": ["api"]})
az.app.ContainerAppsAuthConfig("auth", auth_config_name="current", container_app_name="agent", resource_group_name="rg",
    platform={"enabled": True}, global_validation={"unauthenticated_client_action": "Return401"},
    identity_providers={"custom_open_id_connect_providers": {"gh": {"enabled": True, "registration": {"client_id": "agent",
        "open_id_connect_configuration": {"well_known_open_id_configuration": GH}}}}})
'''


def flagged(document: dict, policy: str) -> list[tuple[str, bool]]:
    return sorted((v["resourceName"], v["mandatory"]) for v in by_policy(document, policy))


def test_multi_tenant_issuers_without_an_owner_pin_and_token_passthrough_block(project) -> None:
    write_small(project, PROGRAM)
    run = run_cli(project, *GUARD, "--trusted-repository-owner", "example-org", "--json", "out.json")
    assert run.code == 1, run.stdout
    document = run.json("out.json")
    assert flagged(document, "AGID-GEN-008") == [("auth", True), ("gw", True), ("jwt", True), ("rt", True),
                                                 ("rt-google", True)]
    assert flagged(document, "AGID-AWS-071") == [("rt", True)]
    assert document["policyPacks"][0]["config"]["AGID-GEN-008"]["trustedRepositoryOwners"] == ["example-org"]


def test_the_owner_pin_counts_only_for_an_owner_the_gate_lists(project) -> None:
    write_small(project, PROGRAM)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    assert flagged(run.json("out.json"), "AGID-GEN-008") == [("auth", True), ("gw", True), ("jwt", True), ("rt", True),
                                                            ("rt-google", True), ("rt-pinned", True)]


# issue 11: a GCP workforce provider and an API Management policy taking tokens of an issuer anyone signs in to
PEOPLE = '''
import pulumi_gcp as gcp
import pulumi_azure_native as az
def oidc():
    return {"issuer_uri": "https://accounts.google.com", "client_id": "c", "web_sso_config": {
        "response_type": "CODE", "assertion_claims_behavior": "MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS"}}
gcp.iam.WorkforcePoolProvider("wf-any", location="global", workforce_pool_id="people", provider_id="google",
    attribute_mapping={"google.subject": "assertion.sub"}, attribute_condition="assertion.email_verified == true",
    oidc=oidc())
gcp.iam.WorkforcePoolProvider("wf-domain", location="global", workforce_pool_id="people", provider_id="domain",
    attribute_mapping={"google.subject": "assertion.sub"}, attribute_condition="assertion.hd == 'example.com'",
    oidc=oidc())
def policy(claims):
    return ('<policies><inbound><base /><validate-jwt header-name="Authorization"><openid-config '
            'url="https://token.actions.githubusercontent.com/.well-known/openid-configuration" />'
            '<audiences><audience>api</audience></audiences>' + claims + '</validate-jwt></inbound>'
            '<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>')
az.apimanagement.ApiPolicy("apim-any", resource_group_name="rg", service_name="apim", api_id="a", policy_id="policy",
    format="rawxml", value=policy(""))
az.apimanagement.ApiPolicy("apim-owner", resource_group_name="rg", service_name="apim", api_id="b", policy_id="policy",
    format="rawxml", value=policy('<required-claims><claim name="repository_owner"><value>Example-Org</value></claim>'
                                  '</required-claims>'))
'''


def test_workforce_providers_and_api_management_policies_need_an_own_tenant_pin(project) -> None:
    write_small(project, PEOPLE)
    run = run_cli(project, *GUARD, "--trusted-repository-owner", "example-org", "--own-gcp-domain", "example.com",
                  "--json", "out.json")
    assert run.code == 1, run.stdout
    assert flagged(run.json("out.json"), "AGID-GEN-008") == [("apim-any", True), ("wf-any", True)]


# issue 11: authorizers inside an API definition built from Outputs: the pool's ARN (known to the gate's mocks: the
# definition is read) or an output nobody knows at preview (cannot check until known; blocks under --strict-unknowns)
COMPUTED_BODY = '''
def body(arn):
    return json.dumps({"openapi": "3.0.1", "info": {"title": "a", "version": "1"}, "components": {"securitySchemes": {
        "pool": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authorizer": {
            "type": "cognito_user_pools", "providerARNs": [arn]}}}},
        "paths": {"/": {"get": {"security": [{"pool": []}]}}}})
signup = aws.cognito.UserPool("signup", name="agents-signup")
closed = aws.cognito.UserPool("closed", name="agents-closed", admin_create_user_config={"allow_admin_create_user_only": True})
aws.apigateway.RestApi("rest-open", name="r1", body=signup.arn.apply(body))
aws.apigateway.RestApi("rest-closed", name="r2", body=closed.arn.apply(body))
api_logs = aws.s3.Bucket("api-logs", bucket="agent-api-logs")
aws.apigateway.RestApi("rest-late", name="r3", body=api_logs.bucket_domain_name.apply(
    lambda _: body("arn:aws:cognito-idp:us-east-1:999988887777:userpool/us-east-1_Evil12345")))
'''


def test_authorizers_inside_a_computed_api_definition_are_judged_or_cannot_be_checked(project) -> None:
    write_small(project, COMPUTED_BODY)
    run = run_cli(project, *GUARD, "--strict-unknowns", "--json", "out.json")
    assert run.code == 1, run.stdout
    found = sorted((v["mandatory"], v["message"]) for v in by_policy(run.json("out.json"), "AGID-AWS-060"))
    # a stack policy's "cannot check until known" names no resource in the protocol: its message names it
    assert [mandatory for mandatory, _ in found] == [True, True], found
    assert "REST API rest-open trusts user pool signup, which lets anyone sign up" in found[0][1], found
    assert found[1][1].endswith("cannot check until known: rest-late.body is computed during preview"), found
