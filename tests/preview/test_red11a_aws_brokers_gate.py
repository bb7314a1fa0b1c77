"""red11a's AWS token-broker bypasses end to end (r20, r23, r27, r15): `agentid preview` with the shipped CI flags
blocks each, and the look-alike in the same program passes. The programs go through the real pulumi-aws SDK, so the
input names the rules read (openidConnectProviderArns, roleMappings, writeAttributes, ...) are the engine's."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD
from .test_azure_red7b_gate import failed_report, mandatory

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

BROKERS = '''
import json, pulumi, pulumi_aws as aws
ADMIN = "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"
GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
# r23: any GitHub repository's workflow gets the pool's role
gh = aws.cognito.IdentityPool("gh-any", identity_pool_name="gh-any", allow_unauthenticated_identities=False,
                              openid_connect_provider_arns=[GITHUB])
aws.cognito.IdentityPoolRoleAttachment("gh-any-roles", identity_pool_id=gh.id, roles={"authenticated": ADMIN})
# look-alike: a Deny-by-default rule mapping pinned to one workflow's subject
pinned = aws.cognito.IdentityPool("gh-pinned", identity_pool_name="gh-pinned", allow_unauthenticated_identities=False,
                                  openid_connect_provider_arns=[GITHUB])
aws.cognito.IdentityPoolRoleAttachment("gh-pinned-roles", identity_pool_id=pinned.id, roles={"authenticated": ADMIN},
    role_mappings=[{"identity_provider": "token.actions.githubusercontent.com", "type": "Rules",
                    "ambiguous_role_resolution": "Deny", "mapping_rules": [
                        {"claim": "sub", "match_type": "Equals", "value": "repo:acme/app:environment:prod",
                         "role_arn": ADMIN}]}])
# r20: users write custom:team themselves, a rule maps it to the admin role
pool = aws.cognito.UserPool("pool", schemas=[{"name": "team", "attribute_data_type": "String", "mutable": True}],
                            admin_create_user_config={"allow_admin_create_user_only": True})
client = aws.cognito.UserPoolClient("client", user_pool_id=pool.id, write_attributes=["email", "custom:team"])
ip = aws.cognito.IdentityPool("ip", identity_pool_name="ip", allow_unauthenticated_identities=False,
                              cognito_identity_providers=[{"client_id": client.id, "provider_name": pool.endpoint}])
def mapping(claim):
    return [{"identity_provider": pulumi.Output.concat(pool.endpoint, ":", client.id), "type": "Rules",
             "ambiguous_role_resolution": "Deny",
             "mapping_rules": [{"claim": claim, "match_type": "Equals", "value": "admins", "role_arn": ADMIN}]}]
aws.cognito.IdentityPoolRoleAttachment("team-rule", identity_pool_id=ip.id, role_mappings=mapping("custom:team"),
                                       roles={"authenticated": "arn:aws:iam::111122223333:role/basic"})
# look-alike: the same rule on cognito:groups (administrators add users to groups)
aws.cognito.IdentityPoolRoleAttachment("group-rule", identity_pool_id=ip.id, role_mappings=mapping("cognito:groups"),
                                       roles={"authenticated": "arn:aws:iam::111122223333:role/basic"})
# r27: a Cedar policy permitting everything; a look-alike naming one tool
eng = aws.bedrock.AgentcorePolicyEngine("eng", name="eng")
aws.bedrock.AgentcorePolicy("allowall", name="allowall", policy_engine_id=eng.id,
    definition={"cedar": {"statement": "permit(principal, action, resource);"}})
aws.bedrock.AgentcorePolicy("one-tool", name="onetool", policy_engine_id=eng.id,
    definition={"cedar": {"statement": 'permit(principal, action == AgentCore::Action::"Crm___search", resource);'}})
aws.bedrock.AgentcoreWorkloadIdentity("wi-any", name="wianany", allowed_resource_oauth2_return_urls=["http://*"])
aws.bedrock.AgentcoreWorkloadIdentity("wi-app", name="wiapp",
                                      allowed_resource_oauth2_return_urls=["https://app.example.com/oauth/callback"])
# r15: OpenSearch Serverless data to everyone
aws.opensearch.ServerlessAccessPolicy("aoss-anyone", name="anyone", type="data", policy=json.dumps([{"Rules": [
    {"ResourceType": "index", "Resource": ["index/orders/*"], "Permission": ["aoss:ReadDocument"]}], "Principal": ["*"]}]))
'''


def test_identity_pools_cedar_return_urls_and_public_aoss_block_and_their_look_alikes_pass(project) -> None:
    report = failed_report(project, BROKERS)
    assert mandatory(report, "AGID-AWS-067") == ["gh-any", "team-rule"]
    assert mandatory(report, "AGID-AWS-065") == ["allowall"]
    assert mandatory(report, "AGID-AWS-066") == ["wi-any"]
    assert mandatory(report, "AGID-AWS-069") == ["aoss-anyone"]
