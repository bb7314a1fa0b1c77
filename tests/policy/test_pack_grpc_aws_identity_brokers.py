"""AWS token brokers judged like role trusts, over gRPC (red11a r20, r23, r27, r37).

A Cognito identity pool hands AWS credentials to whoever its providers sign in: an OIDC provider with no bound on the
subject (GitHub Actions: every repository), a role-mapping rule on a claim users write themselves, a user pool
federated to a social IdP (AGID-AWS-067, AGID-AWS-060). AgentCore registries and harnesses take JWTs like gateways
(AGID-AWS-037, AGID-GEN-003); AgentCore and Verified Permissions Cedar policies that permit everything (AGID-AWS-065);
workload identity return URLs (AGID-AWS-066). Each with a look-alike that must pass.
"""

from __future__ import annotations

import json

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import flagged_names, stack_findings
from tests.policy.test_pack_grpc import urn
from tests.policy.ruletools import UNKNOWN

IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
ATTACHMENT = "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment"
USER_POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
IDP = "aws:cognito/identityProvider:IdentityProvider"
GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
ADMIN = "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"
ENDPOINT = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"


def resource(type_: str, name: str, props: dict, *depends_on: StackResource) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in depends_on])


def oidc_pool(arns: list[str], mappings: list[dict] | None = None, classic: bool | None = None) -> list[StackResource]:
    pool = resource(IDENTITY_POOL, "ip", {"identityPoolName": "ip", "allowUnauthenticatedIdentities": False,
                                         "openidConnectProviderArns": arns,
                                         **({} if classic is None else {"allowClassicFlow": classic})})
    attachment = resource(ATTACHMENT, "ipra", {"identityPoolId": UNKNOWN, "roles": {"authenticated": ADMIN},
                                               **({"roleMappings": mappings} if mappings else {})}, pool)
    return [pool, attachment]


def deny_unless(provider: str, *subjects: str) -> list[dict]:
    return [{"identityProvider": provider, "type": "Rules", "ambiguousRoleResolution": "Deny",
             "mappingRules": [{"claim": "sub", "matchType": "Equals", "value": s, "roleArn": ADMIN} for s in subjects]}]


def test_an_identity_pool_on_the_github_oidc_provider_hands_every_repository_the_role(pack) -> None:
    [(name, message)] = stack_findings(pack, "AGID-AWS-067", oidc_pool([GITHUB]), "mandatory")
    assert name == "ip" and "every workflow of every GitHub repository" in message and ADMIN in message
    # a rule mapping that falls back to the authenticated role bounds nothing; nor does a pull-request subject
    loose = [{**deny_unless("token.actions.githubusercontent.com", "repo:acme/app:ref:refs/heads/main")[0],
              "ambiguousRoleResolution": "AuthenticatedRole"}]
    assert [n for n, _ in stack_findings(pack, "AGID-AWS-067", oidc_pool([GITHUB], loose))] == ["ip"]
    prs = deny_unless("token.actions.githubusercontent.com", "repo:acme/app:pull_request")
    assert [n for n, _ in stack_findings(pack, "AGID-AWS-067", oidc_pool([GITHUB], prs))] == ["ip"]
    # the classic flow skips the role mapping altogether
    pinned = deny_unless("token.actions.githubusercontent.com", "repo:acme/app:environment:prod")
    [(_, classic)] = stack_findings(pack, "AGID-AWS-067", oidc_pool([GITHUB], pinned, classic=True))
    assert "allowClassicFlow" in classic


def test_an_identity_pool_on_a_provider_of_an_unknown_issuer_is_judged_like_the_issuer(pack) -> None:
    evil = "arn:aws:iam::111122223333:oidc-provider/idp.evil.example.net"
    pinned = deny_unless("idp.evil.example.net", "agent-1")
    [(name, message)] = stack_findings(pack, "AGID-AWS-067", oidc_pool([evil], pinned), "mandatory")
    assert name == "ip" and "'https://idp.evil.example.net'" in message and "trustedIssuers" in message
    pack.configure({"AGID-AWS-067": {"trustedIssuers": ["https://idp.evil.example.net"]}})
    try:
        assert stack_findings(pack, "AGID-AWS-067", oidc_pool([evil], pinned)) == []
    finally:
        pack.configure({})


def test_a_deny_by_default_mapping_pinning_the_subject_passes(pack) -> None:
    pinned = deny_unless("token.actions.githubusercontent.com", "repo:acme/app:environment:prod")
    assert stack_findings(pack, "AGID-AWS-067", oidc_pool([GITHUB], pinned)) == []
    assert stack_findings(pack, "AGID-AWS-067", oidc_pool([GITHUB], pinned, classic=False)) == []


def user_pool_stack(write_attributes: list[str] | None, claim: str, *, schema: dict | None = None,
                    held: list[str] | None = None, idps: list[str] | None = None) -> list[StackResource]:
    pool = resource(USER_POOL, "up", {
        "adminCreateUserConfig": {"allowAdminCreateUserOnly": True},
        "schemas": [schema or {"name": "team", "attributeDataType": "String", "mutable": True}],
        **({"userAttributeUpdateSettings": {"attributesRequireVerificationBeforeUpdates": held}} if held else {})})
    client = resource(CLIENT, "upc", {"userPoolId": "eu-west-1_AbCdEf123",
                                      **({} if idps is None else {"supportedIdentityProviders": idps}),
                                      **({} if write_attributes is None else {"writeAttributes": write_attributes})},
                      pool)
    # as a preview sends `provider_name=pool.endpoint, client_id=client.id`: unknown, from the pool and the client
    identity = resource(IDENTITY_POOL, "ip", {"identityPoolName": "ip", "allowUnauthenticatedIdentities": False,
                                              "cognitoIdentityProviders": [{"clientId": UNKNOWN, "providerName": UNKNOWN}]},
                        pool, client)
    attachment = resource(ATTACHMENT, "ipra", {"identityPoolId": UNKNOWN,
                                               "roles": {"authenticated": "arn:aws:iam::111122223333:role/basic"},
                                               "roleMappings": [{"identityProvider": f"{ENDPOINT}:3abc", "type": "Rules",
                                                                 "ambiguousRoleResolution": "AuthenticatedRole",
                                                                 "mappingRules": [{"claim": claim, "matchType": "Equals",
                                                                                   "value": "admins", "roleArn": ADMIN}]}]},
                          identity, pool, client)
    # as the engine sends it: identity_pool_id=identity.id, the mapping's provider from the pool and the client
    attachment.property_dependencies = {"identityPoolId": [identity.urn], "roleMappings": [pool.urn, client.urn]}
    return [pool, client, identity, attachment]


def test_a_role_mapping_rule_on_an_attribute_users_write_themselves_is_a_mandatory_violation(pack) -> None:
    [(name, message)] = stack_findings(pack, "AGID-AWS-067", user_pool_stack(["email", "custom:team"], "custom:team"),
                                       "mandatory")
    assert name == "ipra" and "custom:team" in message and "app client upc" in message and ADMIN in message
    # writeAttributes unset: every standard attribute is writable (the Cognito API reference's default)
    assert [n for n, _ in stack_findings(pack, "AGID-AWS-067", user_pool_stack(None, "website"))] == ["ipra"]


def test_claims_users_cannot_write_pass(pack) -> None:
    for stack in (user_pool_stack(["email"], "custom:team"),            # not in writeAttributes
                  user_pool_stack(None, "custom:team"),                  # the default covers standard attributes only
                  user_pool_stack(["custom:team"], "cognito:groups"),    # set by administrators
                  user_pool_stack(["custom:team"], "custom:team",        # immutable after creation
                                  schema={"name": "team", "attributeDataType": "String", "mutable": False}),
                  user_pool_stack(["email"], "email", held=["email"])):  # held until the new address is verified
        assert stack_findings(pack, "AGID-AWS-067", stack) == [], stack[-1].properties


def test_a_user_pool_federated_to_a_social_idp_is_open_to_every_account(pack) -> None:
    def with_idp(kind: str, details: dict, idps: list[str] | None) -> list[StackResource]:
        stack = user_pool_stack(["email"], "cognito:groups", idps=idps)
        # as the engine sends `user_pool_id=pool.id`: unknown, from the pool (that input's propertyDependencies)
        idp = resource(IDP, "idp", {"userPoolId": UNKNOWN, "providerName": "ext", "providerType": kind,
                                    "providerDetails": details}, stack[0])
        idp.property_dependencies = {"userPoolId": [stack[0].urn]}
        return [*stack, idp]

    google = {"authorize_scopes": "openid"}
    [(name, message)] = stack_findings(pack, "AGID-AWS-060", with_idp("Google", google, ["COGNITO", "ext"]),
                                       "mandatory")
    assert name == "ip" and "federated to Google" in message
    # look-alikes: the identity pool's client does not sign in through the Google IdP; an OIDC IdP (AGID-GEN-003's)
    assert stack_findings(pack, "AGID-AWS-060", with_idp("Google", google, ["COGNITO"])) == []
    assert stack_findings(pack, "AGID-AWS-060", with_idp("Google", google, None)) == []
    corporate = {"oidc_issuer": "https://token.actions.githubusercontent.com"}
    assert stack_findings(pack, "AGID-AWS-060", with_idp("OIDC", corporate, ["ext"])) == []


REGISTRY = "aws:bedrock/agentcoreRegistry:AgentcoreRegistry"
AGENT_REGISTRY = "aws:agentregistry/registry:Registry"
HARNESS = "aws:bedrock/agentcoreHarness:AgentcoreHarness"
GOOGLE = "https://accounts.google.com/.well-known/openid-configuration"
EVIL = "https://idp.evil.example.net/.well-known/openid-configuration"


def test_agentcore_registries_and_harnesses_judge_their_jwt_authorizer(pack) -> None:
    registry = (REGISTRY, "reg", {"name": "reg", "authorizerType": "CUSTOM_JWT", "authorizerConfiguration": {
        "customJwtAuthorizer": {"discoveryUrl": GOOGLE}}})
    agent_registry = (AGENT_REGISTRY, "areg", {"name": "areg", "discoveryConfiguration": {
        "authorizerType": "CUSTOM_JWT", "authorizerConfiguration": {"customJwtAuthorizer": {"discoveryUrl": GOOGLE}}}})
    harness = (HARNESS, "hn", {"name": "hn", "authorizerConfiguration": {"customJwtAuthorizer": {"discoveryUrl": GOOGLE}}})
    for case in (registry, agent_registry, harness):
        assert flagged_names(pack, "AGID-AWS-037", case, "mandatory") == [case[1]], case[0]
    evil = (REGISTRY, "reg2", {"name": "reg2", "authorizerType": "CUSTOM_JWT", "authorizerConfiguration": {
        "customJwtAuthorizer": {"discoveryUrl": EVIL, "allowedAudiences": ["x"]}}})
    assert flagged_names(pack, "AGID-GEN-003", evil, "mandatory") == ["reg2"]
    assert flagged_names(pack, "AGID-AWS-037", evil) == []
    # look-alikes: a caller claim pinned with EQUALS, and the AWS_IAM default
    claimed = (AGENT_REGISTRY, "areg", {"name": "areg", "discoveryConfiguration": {
        "authorizerType": "CUSTOM_JWT", "authorizerConfiguration": {"customJwtAuthorizer": {
            "discoveryUrl": GOOGLE, "customClaims": [{
                "inboundTokenClaimName": "sub", "inboundTokenClaimValueType": "STRING",
                "authorizingClaimMatchValue": {"claimMatchOperator": "EQUALS",
                                               "claimMatchValue": {"matchValueString": "1234567890"}}}]}}}})
    for case in (claimed, (REGISTRY, "reg3", {"name": "reg3"}), (HARNESS, "hn2", {"name": "hn2"})):
        for rule in ("AGID-AWS-037", "AGID-GEN-003"):
            assert flagged_names(pack, rule, case) == [], (case, rule)


AGENTCORE_POLICY = "aws:bedrock/agentcorePolicy:AgentcorePolicy"
AVP_POLICY = "aws:verifiedpermissions/policy:Policy"


def cedar(statement: str, type_: str = AGENTCORE_POLICY) -> tuple:
    if type_ == AVP_POLICY:
        return (type_, "avp", {"policyStoreId": "ps-1", "definition": {"static": {"statement": statement}}})
    return (type_, "allowall", {"name": "p", "policyEngineId": "pe-1", "validationMode": "IGNORE_ALL_FINDINGS",
                                "definition": {"cedar": {"statement": statement}}})


def test_a_cedar_permit_of_everything_is_a_mandatory_violation(pack) -> None:
    for statement in ("permit(principal, action, resource);",
                      "permit(principal is AgentCore::OAuthUser, action, resource) when { true };",
                      'forbid(principal, action == AgentCore::Action::"T___drop", resource);\n'
                      "permit(principal, action, resource is AgentCore::Gateway);",
                      "permit(principal, action, resource"):  # cannot check
        for type_ in (AGENTCORE_POLICY, AVP_POLICY):
            case = cedar(statement, type_)
            assert flagged_names(pack, "AGID-AWS-065", case, "mandatory") == [case[1]], statement


def test_a_cedar_condition_every_caller_meets_is_no_condition(pack) -> None:
    """red20 r20-5: only the literal `when { true }` / `unless { false }` counted as no condition; a constant or a
    tautology lets every caller through just the same."""
    for condition in ("when { true || false }", "when { 1 == 1 }", "unless { 1 == 2 }", "when { !false }",
                      "when { principal == principal }", "when { context has x || !(context has x) }",
                      "when { 2 > 1 }", 'unless { principal has id && principal.id == "bob" }',
                      'when { principal.id like "*" }', "when { true } when { resource == resource }"):
        statement = f"permit(principal, action, resource) {condition};"
        for type_ in (AGENTCORE_POLICY, AVP_POLICY):
            case = cedar(statement, type_)
            assert flagged_names(pack, "AGID-AWS-065", case, "mandatory") == [case[1]], statement


def test_a_cedar_permit_naming_the_action_or_with_a_condition_passes(pack) -> None:
    for statement in ('permit(principal, action == AgentCore::Action::"Crm___search", resource);',
                      'permit(principal, action, resource) when { principal.hasTag("admin") };',
                      'permit(principal, action, resource) when { principal.id like "agent-*" };',
                      'permit(principal, action, resource) when { principal in AgentCore::Group::"ops" };',
                      'permit(principal, action, resource) when { context.input.amount < 100 };',
                      'permit(principal, action, resource) when { 1 == 1 && principal.department == "ops" };',
                      "forbid(principal, action, resource);"):
        for type_ in (AGENTCORE_POLICY, AVP_POLICY):
            assert flagged_names(pack, "AGID-AWS-065", cedar(statement, type_)) == [], statement
    linked = (AVP_POLICY, "linked", {"policyStoreId": "ps-1", "definition": {"templateLinked": {
        "policyTemplateId": "pt-1", "principal": {"entityType": "User", "entityId": "alice"}}}})
    assert flagged_names(pack, "AGID-AWS-065", linked) == []


WORKLOAD_IDENTITY = "aws:bedrock/agentcoreWorkloadIdentity:AgentcoreWorkloadIdentity"


def test_workload_identity_return_urls_must_be_https_on_a_named_host(pack) -> None:
    for url in ("http://*", "https://*.example.com/cb", "http://app.example.com/cb", "https://evil@app.example.com/cb",
                "https://app.example.com/cb#frag", "https://localhost/cb"):
        case = (WORKLOAD_IDENTITY, "wi", {"name": "wi", "allowedResourceOauth2ReturnUrls": [url]})
        assert flagged_names(pack, "AGID-AWS-066", case, "mandatory") == ["wi"], url
    good = (WORKLOAD_IDENTITY, "wi", {"name": "wi", "allowedResourceOauth2ReturnUrls": [
        "https://app.example.com/oauth/callback", "https://app.example.com/cb?tenant=acme"]})
    assert flagged_names(pack, "AGID-AWS-066", good) == []
    assert flagged_names(pack, "AGID-AWS-066", (WORKLOAD_IDENTITY, "wi2", {"name": "wi2"})) == []


PROVISIONING_TEMPLATE = "aws:iot/provisioningTemplate:ProvisioningTemplate"


def provisioning(policy_resource: str | dict | None, *, document_as_text: bool = True) -> tuple:
    resources = {"certificate": {"Type": "AWS::IoT::Certificate", "Properties": {
        "CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "Active"}}}
    if isinstance(policy_resource, dict):
        resources["policy"] = {"Type": "AWS::IoT::Policy", "Properties": policy_resource}
    elif policy_resource is not None:
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*",
                                                            "Resource": policy_resource}]}
        resources["policy"] = {"Type": "AWS::IoT::Policy", "Properties": {
            "PolicyDocument": json.dumps(document) if document_as_text else document}}
    return (PROVISIONING_TEMPLATE, "fp", {"name": "fp", "enabled": True, "provisioningRoleArn": ADMIN,
                                          "templateBody": json.dumps({"Resources": resources})})


def test_a_fleet_provisioning_template_giving_devices_any_role_alias_is_a_mandatory_violation(pack) -> None:
    for case in (provisioning("*"), provisioning("*", document_as_text=False),
                 provisioning("arn:aws:iot:eu-west-1:111122223333:rolealias/*")):
        assert flagged_names(pack, "AGID-AWS-059", case, "mandatory") == ["fp"]
    unreadable = (PROVISIONING_TEMPLATE, "fp", {"name": "fp", "templateBody": "{not json"})
    assert flagged_names(pack, "AGID-AWS-059", unreadable, "mandatory") == ["fp"]


def test_a_fleet_provisioning_template_pinning_one_alias_or_naming_a_policy_passes(pack) -> None:
    for case in (provisioning("arn:aws:iot:eu-west-1:111122223333:rolealias/telemetry-uploader"),
                 provisioning({"PolicyName": "device-telemetry"}), provisioning(None)):
        assert flagged_names(pack, "AGID-AWS-059", case) == []


ACTIVATION = "aws:ssm/activation:Activation"


def test_every_ssm_hybrid_activation_is_a_bearer_credential(pack) -> None:
    for name, props in (("act-admin", {"iamRole": "OrganizationAccountAccessRole", "registrationLimit": 1000.0}),
                        ("act", {"iamRole": "hybrid-abc123", "expirationDate": "2027-11-30T00:00:00Z"})):
        [diag] = [d for d in pack.analyze(ACTIVATION, name, urn(ACTIVATION, name), props)
                  if d.policy_name == "AGID-AWS-068"]
        assert diag.enforcement_level == "mandatory" and props["iamRole"] in diag.message
    assert "up to 1000 machines" in pack.analyze(ACTIVATION, "a", urn(ACTIVATION, "a"), {
        "iamRole": "x", "registrationLimit": 1000.0})[0].message
    # a look-alike: an SSM association on instances the stack runs is not a credential (AGID-AWS-057's)
    assert flagged_names(pack, "AGID-AWS-068", ("aws:ssm/association:Association", "assoc",
                                                {"name": "AWS-GatherSoftwareInventory"})) == []


def test_other_aws_token_brokers_trust_only_known_issuers(pack) -> None:
    evil, github = "https://oidc.evil.example.net", "https://token.actions.githubusercontent.com"

    def brokers(issuer: str) -> list[tuple]:
        return [("aws:ssoadmin/trustedTokenIssuer:TrustedTokenIssuer", "tti", {
                    "instanceArn": "arn:aws:sso:::instance/ssoins-1", "name": "ext", "trustedTokenIssuerType": "OIDC_JWT",
                    "trustedTokenIssuerConfiguration": {"oidcJwtConfiguration": {
                        "issuerUrl": issuer, "claimAttributePath": "email",
                        "identityStoreAttributePath": "emails.value", "jwksRetrievalOption": "OPEN_ID_DISCOVERY"}}}),
                ("aws:verifiedaccess/trustProvider:TrustProvider", "vatp", {
                    "policyReferenceName": "idp", "trustProviderType": "user", "userTrustProviderType": "oidc",
                    "oidcOptions": {"issuer": issuer, "clientId": "c", "scope": "openid"}}),
                ("aws:verifiedpermissions/identitySource:IdentitySource", "avpis", {
                    "policyStoreId": "ps-1", "configuration": {"openIdConnectConfiguration": {
                        "issuer": issuer, "tokenSelection": {"identityTokenOnly": {"clientIds": ["c"]}}}}}),
                ("aws:apigatewayv2/authorizer:Authorizer", "jwt", {
                    "apiId": "a1", "authorizerType": "JWT", "identitySources": ["$request.header.Authorization"],
                    "jwtConfiguration": {"issuer": issuer, "audiences": ["api://orders"]}}),
                ("aws:appsync/graphQLApi:GraphQLApi", "gql", {
                    "name": "gql", "authenticationType": "AWS_IAM", "additionalAuthenticationProviders": [
                        {"authenticationType": "API_KEY"},
                        {"authenticationType": "OPENID_CONNECT", "openidConnectConfig": {"issuer": issuer,
                                                                                         "clientId": "c"}}]}),
                ("aws:eks/identityProviderConfig:IdentityProviderConfig", "eksoidc", {
                    "clusterName": "c1", "oidc": {"identityProviderConfigName": "corp", "clientId": "kubernetes",
                                                  "issuerUrl": issuer}})]

    for case in brokers(evil):
        assert flagged_names(pack, "AGID-GEN-003", case, "mandatory") == [case[1]], case[0]
    for case in brokers(github):
        assert flagged_names(pack, "AGID-GEN-003", case) == [], case[0]
    cognito_source = ("aws:verifiedpermissions/identitySource:IdentitySource", "avpis", {"policyStoreId": "ps-1",
                      "configuration": {"cognitoUserPoolConfiguration": {"userPoolArn": "arn:aws:cognito-idp:eu-west-1:"
                                                                                        "111122223333:userpool/eu-west-1_A"}}})
    assert flagged_names(pack, "AGID-GEN-003", cognito_source) == []


PRINCIPAL_TAG = "aws:cognito/identityPoolProviderPrincipalTag:IdentityPoolProviderPrincipalTag"


def test_a_session_tag_from_an_attribute_users_write_is_a_mandatory_violation(pack) -> None:
    stack = user_pool_stack(["custom:team"], "cognito:groups")

    def tags(mapping: dict | None) -> StackResource:
        return resource(PRINCIPAL_TAG, "tags", {"identityPoolId": "eu-west-1:0000", "identityProviderName": ENDPOINT,
                                                **({} if mapping is None else {"principalTags": mapping})},
                        stack[2], stack[0])

    [(name, message)] = stack_findings(pack, "AGID-AWS-067", [*stack, tags({"team": "custom:team"})], "mandatory")
    assert name == "tags" and "aws:PrincipalTag/team" in message
    for look_alike in (tags({"user": "sub", "app": "aud"}), tags(None)):
        assert stack_findings(pack, "AGID-AWS-067", [*stack, look_alike]) == []


GRAPHQL = "aws:appsync/graphQLApi:GraphQLApi"


def test_appsync_api_keys_and_oidc_without_a_client_are_flagged(pack) -> None:
    oidc = {"authenticationType": "OPENID_CONNECT",
            "openidConnectConfig": {"issuer": "https://accounts.google.com"}}
    for props in ({"name": "g", "authenticationType": "API_KEY"},
                  {"name": "g", **oidc},
                  {"name": "g", "authenticationType": "AWS_IAM", "additionalAuthenticationProviders": [oidc]}):
        assert flagged_names(pack, "AGID-AWS-046", (GRAPHQL, "gql", props), "advisory") == ["gql"], props
    pinned = {"authenticationType": "OPENID_CONNECT",
              "openidConnectConfig": {"issuer": "https://accounts.google.com", "clientId": "123.apps.googleusercontent.com"}}
    for props in ({"name": "g", "authenticationType": "AWS_IAM"}, {"name": "g", **pinned},
                  {"name": "g", "authenticationType": "AMAZON_COGNITO_USER_POOLS",
                   "additionalAuthenticationProviders": [pinned, {"authenticationType": "AWS_IAM"}]}):
        assert flagged_names(pack, "AGID-AWS-046", (GRAPHQL, "gql", props)) == [], props


def test_an_activation_with_an_unreadable_limit_is_still_reported(pack) -> None:
    diags = [d for d in pack.analyze(ACTIVATION, "a", urn(ACTIVATION, "a"), {"iamRole": "x", "registrationLimit": "1000"})
             if d.policy_name == "AGID-AWS-068"]
    assert len(diags) == 1 and "registrationLimit, default 1" in diags[0].message
    # NaN and infinity cannot cross gRPC; a program's own pack run may still see them
    from agentid_policy_packs.rules import aws_ssm_hybrid_activation
    from agentid_policy_packs.rules.base import Resource
    for limit in (float("nan"), float("inf")):
        [finding] = aws_ssm_hybrid_activation.check(Resource(ACTIVATION, "a", urn(ACTIVATION, "a"),
                                                             {"iamRole": "x", "registrationLimit": limit}), {})
        assert "registrationLimit, default 1" in finding.message


def test_a_computed_provider_arn_is_the_stacks_provider_only_as_its_input_proves(pack) -> None:
    """issue 11: a pool whose provider ARN is a constant behind a bucket's Output (the account's existing GitHub
    provider) with `depends_on=[the stack's provider of a trusted issuer]` was judged as that trusted provider and
    passed. It cannot be checked (mandatory); the stack provider's own ARN Output passes (the pool depends on it alone,
    or the input's propertyDependencies name it)."""
    provider = resource("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "idp",
                        {"url": "https://idp.acme.example", "clientIdLists": ["sts.amazonaws.com"]})
    bucket = resource("aws:s3/bucketV2:BucketV2", "marker", {})
    pinned = deny_unless("idp.acme.example", "agent-1")

    def pool(*depends_on, by_input=None):
        found = oidc_pool([UNKNOWN], pinned)
        found[0] = resource(IDENTITY_POOL, "ip", dict(found[0].properties), *depends_on)
        found[0].property_dependencies = by_input
        return [provider, bucket, *found]

    pack.configure({"AGID-AWS-067": {"trustedIssuers": ["https://idp.acme.example"]}})
    try:
        for evading in (pool(provider, bucket), pool(provider, bucket, by_input={"openidConnectProviderArns": [bucket.urn]})):
            found = stack_findings(pack, "AGID-AWS-067", evading)
            # a list holding an unknown ARN is no list of known ARNs: cannot check (fails closed)
            assert [(n, m.endswith("ip: cannot check: openidConnectProviderArns is not known")) for n, m in found] \
                == [("ip", True)], found
        assert stack_findings(pack, "AGID-AWS-067", pool(provider)) == []
        assert stack_findings(pack, "AGID-AWS-067", pool(
            provider, bucket, by_input={"openidConnectProviderArns": [provider.urn]})) == []
    finally:
        pack.configure({})


def test_roles_attached_to_an_identity_pool_the_stack_does_not_define_cannot_be_checked(pack) -> None:
    """issue 11: an IdentityPoolRoleAttachment giving ADMIN on an EXISTING identity pool (its literal id, or a constant
    behind another Output) with `depends_on=[the stack's pinned pool]` was judged as the pinned pool's and passed;
    without the dependency it was never judged. The literal blocks, the unknown cannot be checked until known; the
    stack pool's own id Output passes."""
    pinned = deny_unless("token.actions.githubusercontent.com", "repo:acme/app:environment:prod")
    pool, own = oidc_pool([GITHUB], pinned)
    bucket = resource("aws:s3/bucketV2:BucketV2", "marker", {})
    roles = {"roles": {"authenticated": ADMIN}}
    literal = resource(ATTACHMENT, "existing", {"identityPoolId": "eu-west-1:11111111-2222-3333-4444-555555555555",
                                                **roles}, pool)
    hidden = resource(ATTACHMENT, "hidden", {"identityPoolId": UNKNOWN, **roles}, pool, bucket)
    found = stack_findings(pack, "AGID-AWS-067", [pool, own, bucket, literal, hidden])
    assert [(name, message.rsplit("\n", 1)[-1].split("] ", 1)[-1]) for name, message in found] == [
        ("", "can't run policy 'AGID-AWS-067' from policy pack 'agent-guard@v0.0.1' during preview: cannot check until "
             "known: hidden.identityPoolId is computed during preview"),
        ("existing", "existing gives roles on identity pool 'eu-west-1:11111111-2222-3333-4444-555555555555', which this "
                     "stack does not define: who that pool's providers let in, and with which role mappings, cannot be "
                     "checked")], found
    assert stack_findings(pack, "AGID-AWS-067", [pool, own]) == []
