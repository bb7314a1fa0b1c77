"""The AWS resource types that create a credential, a grant or a trust (issue 11): exact messages, direct calls.

Each rule is shown a flagged case and a look-alike that must pass; unreadable shapes are violations
naming the resource and the property; values unknown at preview are "cannot check", never a pass.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.ruletools import ACCOUNT, UNKNOWN, allow, policy, unknowns, violations

OTHER = "210987654321"


def resource_policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- static credentials -------------------------------------------------------------------------------


def test_user_static_credentials_are_flagged_with_user_and_service():
    ssc = "aws:iam/serviceSpecificCredential:ServiceSpecificCredential"
    assert violations("AGID-AWS-005", ssc, {"userName": "build-bot", "serviceName": "bedrock.amazonaws.com"},
                      name="bedrock-key") == [
        "bedrock-key gives IAM user build-bot a service-specific credential for bedrock.amazonaws.com: a long-lived "
        "static credential; agents use short-lived role sessions"]
    assert violations("AGID-AWS-005", "aws:iam/sshKey:SshKey", {"username": UNKNOWN, "status": "Inactive"},
                      name="ssh") == [
        "ssh gives an IAM user an SSH public key (created Inactive, one API call from active): a long-lived static "
        "credential; agents use short-lived role sessions"]
    assert violations("AGID-AWS-005", "aws:iam/signingCertificate:SigningCertificate", {"userName": "x"})
    # look-alike: a server certificate is a TLS certificate for a load balancer, not a user credential
    assert violations("AGID-AWS-005", "aws:iam/serverCertificate:ServerCertificate", {"name": "tls"}) == []


def test_grants_to_iam_users_of_any_name_are_flagged():
    assert violations("AGID-AWS-006", "aws:iam/userPolicy:UserPolicy",
                      {"user": "alice", "policy": policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))}, name="p") == [
        "p gives IAM user(s) alice an inline policy: permissions held by a static access key; grant them to a role "
        "the workload assumes instead"]
    assert violations("AGID-AWS-006", "aws:iam/groupMembership:GroupMembership",
                      {"group": "admins", "users": ["ci", UNKNOWN]}, name="m") == [
        "m gives IAM user(s) ci, (computed) the policies of group admins: permissions held by a static access key; "
        "grant them to a role the workload assumes instead"]
    assert violations("AGID-AWS-006", "aws:iam/userGroupMembership:UserGroupMembership",
                      {"user": "svc", "groups": ["g"]})
    assert violations("AGID-AWS-006", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                      {"user": "svc", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    # look-alikes: a PolicyAttachment for roles only, a role policy
    assert violations("AGID-AWS-006", "aws:iam/policyAttachment:PolicyAttachment",
                      {"roles": ["r"], "users": [], "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}) == []
    assert violations("AGID-AWS-006", "aws:iam/rolePolicy:RolePolicy", {"role": "r", "policy": "{}"}) == []
    # bad input and unknowns
    assert violations("AGID-AWS-006", "aws:iam/userPolicy:UserPolicy", {"user": 7}, name="p") == [
        "p: user is not a user name or a list of user names, so it cannot be judged"]
    assert violations("AGID-AWS-006", "aws:iam/userPolicy:UserPolicy", {}, name="p") == [
        "p: user is missing, so which IAM user it grants permissions to cannot be judged"]
    assert unknowns("AGID-AWS-006", "aws:iam/userPolicy:UserPolicy", {"user": UNKNOWN}) == ["user"]


SECRET_TAIL = ("it is in the program's source and every state file and preview; generate it (random.RandomPassword) "
               "or reference a secret stored elsewhere")


def test_literal_secrets_are_found_by_detect_secrets():
    version = "aws:secretsmanager/secretVersion:SecretVersion"
    assert violations("AGID-AWS-007", version, {"secretId": "s", "secretString": "S3cr3t!pass"}, name="v") == [
        f"v: secretString holds a literal secret (detect-secrets: Secret Keyword): {SECRET_TAIL}"]
    assert violations("AGID-AWS-007", version,
                      {"secretString": json.dumps({"username": "app", "password": "pa55w0rd!"})}, name="v") == [
        f"v: secretString holds a literal secret (detect-secrets: Secret Keyword): {SECRET_TAIL}"]
    function = "aws:lambda/function:Function"
    assert violations("AGID-AWS-007", function, {"environment": {"variables": {
        "LOG_LEVEL": "debug", "AWS_ACCESS_KEY_ID": "AKIA" + "IOSFODNN7EXAMPLE", "TABLE": "tickets"}}}, name="fn") == [
        f"fn: environment.variables.AWS_ACCESS_KEY_ID holds a literal secret (detect-secrets: AWS Access Key): "
        f"{SECRET_TAIL}"]
    # red14 r14-4: a connection string with a password detect-secrets' Basic Auth pattern misses (the `!`)
    assert violations("AGID-AWS-007", function, {"environment": {"variables": {
        "DATABASE_URL": "postgres://admin:S3cr3tP4ssw0rd!@db.example.com:5432/app"}}}, name="fn") == [
        f"fn: environment.variables.DATABASE_URL holds a literal secret (detect-secrets: URL userinfo password): "
        f"{SECRET_TAIL}"]
    assert violations("AGID-AWS-007", function, {"environment": {"variables": {
        "DATABASE_URL": "postgres://admin:${DB_PASSWORD}@db.example.com:5432/app"}}}, name="fn") == []
    assert violations("AGID-AWS-007", "aws:ssm/parameter:Parameter",
                      {"name": "/app/db", "type": "SecureString", "value": "hunter2-prod"}, name="p")
    assert violations("AGID-AWS-007", "aws:bedrock/agentcoreApiKeyCredentialProvider:AgentcoreApiKeyCredentialProvider",
                      {"name": "openai", "apiKey": "sk-proj-abcdefABCDEF1234567890abcdefABCDEF12"})
    assert violations("AGID-AWS-007", "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider",
                      {"oauth2ProviderConfig": {"githubOauth2ProviderConfig": {
                          "clientId": "Iv1.abc", "clientSecret": "0123456789abcdef0123456789abcdef01234567"}}},
                      name="gh") == [
        "gh: oauth2ProviderConfig.githubOauth2ProviderConfig.clientSecret holds a literal secret (detect-secrets: "
        f"Hex High Entropy String, Secret Keyword): {SECRET_TAIL}"]


def test_non_secret_look_alikes_unknown_values_and_placeholders_pass():
    version = "aws:secretsmanager/secretVersion:SecretVersion"
    assert violations("AGID-AWS-007", version, {"secretString": UNKNOWN}) == []  # generated: not a literal
    assert unknowns("AGID-AWS-007", version, {"secretString": UNKNOWN}) == []
    assert violations("AGID-AWS-007", version,
                      {"secretString": "[secret: not decrypted by agentid preview]"}) == []
    assert violations("AGID-AWS-007", version, {"secretString": json.dumps({"username": "app", "host": "db"})}) == []
    assert violations("AGID-AWS-007", "aws:lambda/function:Function", {"environment": {"variables": {
        "LOG_LEVEL": "debug", "QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/q",
        "SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"}}}) == []
    assert violations("AGID-AWS-007", "aws:ssm/parameter:Parameter",
                      {"name": "/app/region", "type": "String", "value": "eu-west-1"}) == []
    assert violations("AGID-AWS-007", "aws:lambda/function:Function",
                      {"environment": {"variables": ["A=b"]}}, name="fn") == [
        "fn: environment.variables is list, not a string, so whether it holds a literal secret cannot be judged"]


# --- public or cross-account access -------------------------------------------------------------------

PUBLIC_READ = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}


@pytest.mark.parametrize("type_,field", [
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
    ("aws:s3control/bucketPolicy:BucketPolicy", "policy"),
    ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
    ("aws:sqs/queue:Queue", "policy"),
    ("aws:sns/topicPolicy:TopicPolicy", "policy"),
    ("aws:secretsmanager/secretPolicy:SecretPolicy", "policy"),
    ("aws:kms/keyPolicy:KeyPolicy", "policy"),
    ("aws:bedrock/agentcoreResourcePolicy:AgentcoreResourcePolicy", "policy"),
    ("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate", "repositoryPolicy"),
    ("aws:glacier/vaultLock:VaultLock", "policy"),
])
def test_public_resource_policies_are_flagged_and_pinned_ones_pass(type_, field):
    label = "key policy" if type_.startswith("aws:kms/") else "resource policy"
    assert violations("AGID-AWS-030", type_, {field: resource_policy(PUBLIC_READ)}) == [
        f'{label} Statement[0]: allows any AWS principal (Principal "*") with no condition restricting the '
        "caller's organization, account, ARN or source"]
    pinned = {**PUBLIC_READ, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}
    assert violations("AGID-AWS-030", type_, {field: resource_policy(pinned)}, {"ownOrganizationIds": ["o-abc123"]}) == []
    assert violations("AGID-AWS-030", type_, {field: resource_policy({**PUBLIC_READ, "Effect": "Deny"})}) == []
    assert violations("AGID-POL-001", type_, {field: "{not json"})
    assert unknowns("AGID-AWS-030", type_, {field: UNKNOWN}) == [field]


def test_kms_full_control_for_another_account_or_everyone():
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
            "Resource": "*"}
    foreign = {**root, "Sid": "Partner", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}}
    key_policy = "aws:kms/keyPolicy:KeyPolicy"
    key_arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    # the key's own account: listed, or named by the key ARN the KeyPolicy is attached to
    assert violations("AGID-AWS-033", key_policy, {"keyId": "k", "policy": resource_policy(root)},
                      config={"ownAccountIds": [ACCOUNT]}) == []
    assert violations("AGID-AWS-033", key_policy, {"keyId": key_arn, "policy": resource_policy(root)}) == []
    # nothing known: the lone account is not presumed to own the key (a key held only by a stranger would pass)
    assert violations("AGID-AWS-033", key_policy, {"keyId": "k", "policy": resource_policy(root)}, name="kp") == [
        f"key policy of kp: Statement[0] gives account {ACCOUNT} full control of the key (kms:PutKeyPolicy, so every "
        "KMS action): it can decrypt everything the key protects and lock the owner out (cannot tell whether account "
        f"{ACCOUNT} is yours: list it in ownAccountIds)"]
    for own in ({"config": {"ownAccountIds": [ACCOUNT]}}, {"props": {"keyId": key_arn}}):
        flagged = violations("AGID-AWS-033", key_policy, {**own.get("props", {}), "policy": resource_policy(root, foreign)},
                             config=own.get("config"), name="kp")
        assert flagged == [f"key policy of kp: Statement[1] (Partner) gives account {OTHER} full control of the key "
                           "(kms:PutKeyPolicy, so every KMS action): it can decrypt everything the key protects and "
                           f"lock the owner out (account {OTHER} is a foreign account (the stack's own: {ACCOUNT}))"]
    # a partner allowed to use the key, not administer it, passes
    use_only = {**foreign, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"]}
    assert violations("AGID-AWS-033", "aws:kms/key:Key", {"policy": resource_policy(root, use_only)},
                      config={"ownAccountIds": [ACCOUNT]}) == []
    everyone = {**root, "Principal": {"AWS": "*"}}
    [message] = violations("AGID-AWS-033", "aws:kms/key:Key", {"policy": resource_policy(everyone)}, name="k")
    assert "gives any AWS principal full control" in message
    pinned = {**everyone, "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}}
    assert violations("AGID-AWS-033", "aws:kms/key:Key", {"policy": resource_policy(pinned)}) == []


def test_a_lone_foreign_account_with_full_control_is_not_taken_for_the_owner():
    foreign_only = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "kms:*",
                    "Resource": "*"}
    [message] = violations("AGID-AWS-033", "aws:kms/key:Key", {"policy": resource_policy(foreign_only)})
    assert f"gives account {OTHER} full control" in message and "cannot tell whether account" in message
    # a statement scoped to one account's key ARNs applies only there: its principal in that account is the owner
    scoped = {**foreign_only, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
              "Resource": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    assert violations("AGID-AWS-033", "aws:kms/key:Key", {"policy": resource_policy(scoped)}) == []


def test_two_accounts_with_full_control_are_flagged_even_without_own_account_config():
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
            "Resource": "*"}
    foreign = {**root, "Principal": {"AWS": OTHER}}
    flagged = violations("AGID-AWS-033", "aws:kms/key:Key", {"policy": resource_policy(root, foreign)})
    assert [m.split(" full control")[0] for m in flagged] == [
        f"key policy of r: Statement[0] gives account {ACCOUNT}", f"key policy of r: Statement[1] gives account {OTHER}"]


def test_lambda_permission_for_everyone_and_unauthenticated_function_urls():
    permission = "aws:lambda/permission:Permission"
    assert violations("AGID-AWS-034", permission, {"action": "lambda:InvokeFunction", "function": "triage",
                                                   "principal": "*"}, name="p") == [
        'lambda permission p lets any principal ("*") invoke function triage, with no sourceArn, sourceAccount or '
        "principalOrgId"]
    assert violations("AGID-AWS-034", permission, {"function": "triage", "principal": "*",
                                                   "sourceAccount": ACCOUNT}, {"ownAccountIds": [ACCOUNT]}) == []
    # a sourceAccount not known own confines "*" to no account of yours (red22 r22-1: judged by value)
    assert violations("AGID-AWS-034", permission, {"function": "triage", "principal": "*",
                                                   "sourceAccount": ACCOUNT}, name="p") == [
        'lambda permission p lets any principal ("*") invoke function triage for a source that is not confined to '
        f"your own: sourceAccount account {ACCOUNT}: cannot tell whether account {ACCOUNT} is yours: list it in "
        "ownAccountIds (a resource of another account can invoke it: confused deputy)"]
    assert violations("AGID-AWS-034", permission, {"function": "triage", "principal": "s3.amazonaws.com",
                                                   "sourceArn": "arn:aws:s3:::b"}) == []
    assert violations("AGID-AWS-034", permission, {"function": "f", "principal": ["*"]}, name="p") == [
        "lambda permission p: principal is list, not a string naming a service, account or ARN, so who may invoke "
        "the function cannot be judged"]
    assert unknowns("AGID-AWS-034", permission, {"principal": UNKNOWN}) == ["principal"]
    url = "aws:lambda/functionUrl:FunctionUrl"
    assert violations("AGID-AWS-034", url, {"functionName": "triage", "authorizationType": "NONE"}, name="u") == [
        "function URL u of triage has authorizationType NONE: anyone on the internet can invoke it without AWS "
        "credentials"]
    assert violations("AGID-AWS-034", url, {"functionName": "triage", "authorizationType": "AWS_IAM"}) == []


def test_cognito_identity_pools_open_to_unauthenticated_identities():
    pool = "aws:cognito/identityPool:IdentityPool"
    assert violations("AGID-AWS-035", pool, {"identityPoolName": "p", "allowUnauthenticatedIdentities": True},
                      name="pool") == [
        "identity pool pool allows unauthenticated identities: anyone can obtain an identity (and the credentials of "
        "its unauthenticated role) without signing in"]
    assert violations("AGID-AWS-035", pool, {"allowUnauthenticatedIdentities": False}) == []
    assert violations("AGID-AWS-035", pool, {}) == []
    attachment = "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment"
    assert violations("AGID-AWS-035", attachment, {"roles": {"authenticated": "arn:aws:iam::1:role/a",
                                                             "unauthenticated": "arn:aws:iam::1:role/u"}}, name="a") == [
        "identity pool role attachment a gives unauthenticated identities role arn:aws:iam::1:role/u: AWS "
        "credentials for anyone who asks"]
    assert violations("AGID-AWS-035", attachment, {"roles": {"authenticated": "arn:aws:iam::1:role/a"}}) == []
    assert violations("AGID-AWS-035", attachment, {"roles": "arn"}, name="a") == [
        "identity pool role attachment a: roles is str, not a map of authenticated/unauthenticated role ARNs, so it "
        "cannot be judged"]


def test_oidc_provider_with_a_wildcard_audience():
    provider = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
    url = "https://token.actions.githubusercontent.com"
    assert violations("AGID-AWS-036", provider, {"url": url, "clientIdLists": ["sts.amazonaws.com", "*"]},
                      name="gh") == [
        f"OIDC provider gh ({url}): clientIdLists[1] is '*': name the exact audience (e.g. sts.amazonaws.com), "
        "never a wildcard"]
    assert violations("AGID-AWS-036", provider, {"url": url, "clientIdLists": ["sts.amazonaws.com"]}) == []
    assert violations("AGID-AWS-036", provider, {"url": url, "clientIdLists": "sts.amazonaws.com"}, name="gh") == [
        f"OIDC provider gh ({url}): clientIdLists is not a list of strings, so the audiences it accepts cannot be "
        "judged"]
    assert unknowns("AGID-AWS-036", provider, {"clientIdLists": [UNKNOWN]}) == ["clientIdLists[0]"]


def test_agentcore_gateway_without_an_authorizer():
    gateway = "aws:bedrock/agentcoreGateway:AgentcoreGateway"
    assert violations("AGID-AWS-037", gateway, {"authorizerType": "NONE", "protocolType": "MCP"}, name="gw") == [
        "AgentCore gateway gw has authorizerType NONE: anyone who reaches its URL can call every tool behind it "
        "with the gateway's role"]
    assert violations("AGID-AWS-037", gateway, {"authorizerType": "CUSTOM_JWT", "protocolType": "MCP"}) == []
    assert violations("AGID-AWS-037", gateway, {"protocolType": "MCP"}, name="gw") == [
        "AgentCore gateway gw: authorizerType None is not one of CUSTOM_JWT, AWS_IAM, so how callers are "
        "authenticated cannot be judged"]


# --- Cognito app clients (OAuth 2.1) ------------------------------------------------------------------

CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def test_agent_client_with_user_sign_in_and_a_30_day_refresh_token_is_flagged():
    assert violations("AGID-AWS-004", CLIENT, {"name": "agent-triage", "allowedOauthFlows": ["client_credentials"]},
                      name="c") == [
        "agent client c can hold refresh tokens (through Cognito's default user flows) valid for 720 hours, beyond "
        "the agent's 60-minute credential cap"]
    assert violations("AGID-AWS-004", CLIENT, {"allowedOauthFlows": ["client_credentials", "code"],
                                               "explicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
                                               "refreshTokenValidity": 12.0,
                                               "tokenValidityUnits": {"refreshToken": "hours"}}, name="c") == [
        "agent client c can hold refresh tokens (through the code grant) valid for 12 hours, beyond the agent's "
        "60-minute credential cap"]


def test_agent_client_without_refresh_tokens_or_within_the_cap_passes_and_people_clients_are_left_alone():
    assert violations("AGID-AWS-004", CLIENT, {"allowedOauthFlows": ["client_credentials"],
                                               "explicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"]}) == []
    assert violations("AGID-AWS-004", CLIENT, {"name": "agent-x", "explicitAuthFlows": ["ALLOW_USER_SRP_AUTH"],
                                               "refreshTokenValidity": 60.0,
                                               "tokenValidityUnits": {"refreshToken": "minutes"}}) == []
    assert violations("AGID-AWS-004", CLIENT, {"name": "web", "allowedOauthFlows": ["code"]}) == []
    assert unknowns("AGID-AWS-004", CLIENT, {"name": "agent-x", "explicitAuthFlows": ["ALLOW_USER_SRP_AUTH"],
                                             "refreshTokenValidity": UNKNOWN}) == ["refreshTokenValidity"]
    assert violations("AGID-AWS-004", CLIENT, {"allowedOauthFlows": "implicit"}, name="c") == [
        "user pool client c: allowedOauthFlows is not a list of strings, so it cannot be judged"]


def test_inline_policies_of_a_shape_the_provider_does_not_take_fail_closed():
    role = "aws:iam/role:Role"
    assert violations("AGID-POL-001", role, {"inlinePolicies": [7]}) == [
        "inlinePolicies[0] cannot be parsed, so it cannot be judged safe: a policy must be a JSON object, not int"]
    [message] = violations("AGID-POL-001", role, {"inlinePolicies": "s3:GetObject"})
    assert message.startswith("inlinePolicies cannot be parsed, so it cannot be judged safe: not valid JSON")
    assert violations("AGID-POL-001", role, {"inlinePolicies": [{"name": "s3", "policy": policy(allow(
        "s3:GetObject", "arn:aws:s3:::b/*"))}]}) == []


def test_s3_acls_granting_everyone_or_every_aws_account():
    acl = "aws:s3/bucketAclV2:BucketAclV2"
    assert violations("AGID-AWS-038", acl, {"bucket": "b", "acl": "public-read"}, name="acl") == [
        "acl: acl 'public-read': anyone may read, unsigned"]
    grants = {"owner": {"id": "o"}, "grants": [
        {"grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}, "permission": "READ"},
        {"grantee": {"type": "CanonicalUser", "id": "o"}, "permission": "FULL_CONTROL"}]}  # the owner itself
    assert violations("AGID-AWS-038", acl, {"bucket": "b", "accessControlPolicy": grants}, name="acl") == [
        "acl: accessControlPolicy.grants[0] grants READ to AllUsers (anyone)"]
    assert violations("AGID-AWS-038", "aws:s3/bucketV2:BucketV2", {"grants": [
        {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
         "permissions": ["READ", "WRITE"]}]}, name="b") == [
        "b: grants[0] grants READ, WRITE to AuthenticatedUsers (every AWS account)"]
    assert violations("AGID-AWS-038", "aws:s3/bucketObjectv2:BucketObjectv2", {"acl": "authenticated-read"},
                      name="o") == ["o: acl 'authenticated-read': anyone holding any AWS credential, in any account, "
                                    "may read"]
    # look-alikes: private ACL, a grant to the owner's canonical user (aws.s3.get_canonical_user_id(): computed),
    # the log-delivery group; a literal canonical user of another account is red7b f02's (flagged)
    assert violations("AGID-AWS-038", "aws:s3/bucketV2:BucketV2", {"grants": [
        {"type": "CanonicalUser", "id": "abc", "permissions": ["READ"]}]}, name="b") == [
        "b: grants[0] grants READ to canonical user 'abc' (another account, unless it is the bucket owner's): the pack "
        "cannot tell whose account that is; grant through a bucket policy naming the account id"]
    assert violations("AGID-AWS-038", "aws:s3/bucketV2:BucketV2", {"acl": "private", "grants": [
        {"type": "CanonicalUser", "id": UNKNOWN, "permissions": ["FULL_CONTROL"]},
        {"type": "Group", "uri": "http://acs.amazonaws.com/groups/s3/LogDelivery", "permissions": ["WRITE"]}]}) == []
    assert violations("AGID-AWS-038", "aws:s3/bucketV2:BucketV2", {"grants": "x"}, name="b") == [
        "b: grants is not a list of grants, so who the ACL lets in cannot be judged"]
    assert unknowns("AGID-AWS-038", acl, {"acl": UNKNOWN}) == ["acl"]


def test_ecs_container_environment_is_scanned_and_secrets_by_arn_pass():
    task = "aws:ecs/taskDefinition:TaskDefinition"
    containers = [{"name": "app", "image": "app:1", "environment": [
        {"name": "STAGE", "value": "prod"}, {"name": "DB_PASSWORD", "value": "Tr0ub4dor&3"}],
        "secrets": [{"name": "API_KEY", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbC"}]}]
    assert violations("AGID-AWS-007", task, {"family": "app", "containerDefinitions": json.dumps(containers)},
                      name="td") == [
        f"td: containerDefinitions[0].environment.DB_PASSWORD holds a literal secret (detect-secrets: Secret Keyword): "
        f"{SECRET_TAIL}"]
    containers[0]["environment"] = [{"name": "STAGE", "value": "prod"}]
    assert violations("AGID-AWS-007", task, {"containerDefinitions": json.dumps(containers)}) == []
    assert violations("AGID-AWS-007", task, {"containerDefinitions": "{not json"}, name="td") == [
        "td: containerDefinitions is not a JSON list of container definitions, so whether it holds a literal secret "
        "cannot be judged"]


def test_eks_cluster_admin_access_entries():
    association = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
    role = f"arn:aws:iam::{ACCOUNT}:role/agent-x"
    admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert violations("AGID-AWS-039", association, {"clusterName": "c", "principalArn": role, "policyArn": admin,
                                                    "accessScope": {"type": "namespace", "namespaces": ["a"]}},
                      name="a") == [
        f"EKS access policy association a makes {role} cluster-admin (AmazonEKSClusterAdminPolicy): every resource, "
        "secret and service-account token of the cluster"]
    ns_admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
    assert violations("AGID-AWS-039", association, {"principalArn": role, "policyArn": ns_admin,
                                                    "accessScope": {"type": "cluster"}}, name="a") == [
        f"EKS access policy association a makes {role} admin of every namespace (AmazonEKSAdminPolicy with "
        "accessScope type cluster)"]
    # look-alikes: namespace-scoped admin, cluster-wide view
    assert violations("AGID-AWS-039", association, {"principalArn": role, "policyArn": ns_admin,
                                                    "accessScope": {"type": "namespace", "namespaces": ["agents"]}}) == []
    assert violations("AGID-AWS-039", association, {
        "principalArn": role, "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        "accessScope": {"type": "cluster"}}) == []
    assert unknowns("AGID-AWS-039", association, {"policyArn": UNKNOWN}) == ["policyArn"]


@pytest.mark.parametrize("type_,props", [
    ("aws:ecr/repositoryPolicy:RepositoryPolicy", {"repository": "agent-images"}),
    ("aws:ecrpublic/repositoryPolicy:RepositoryPolicy", {"repositoryName": "agent-images"}),
    ("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate", {"prefix": "ROOT"}),
])
def test_ecr_repository_policies_without_resource_are_judged(type_, props):
    """ECR repository policies leave Resource out (the repository is implied): they parse, and are judged."""
    field = "repositoryPolicy" if "CreationTemplate" in type_ else "policy"
    pull = {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}
    public = {**pull, "Principal": "*"}
    [message] = violations("AGID-AWS-030", type_, {**props, field: resource_policy(public)})
    assert 'allows any AWS principal (Principal "*")' in message
    own = {**pull, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/agent"}}
    for rule in ("AGID-POL-001", "AGID-AWS-030", "AGID-AWS-050"):
        assert violations(rule, type_, {**props, field: resource_policy(own)},
                          config={"ownAccountIds": [ACCOUNT]}) == [], rule
    # a statement that is no object stays unreadable: fail closed
    assert violations("AGID-POL-001", type_, {**props, field: json.dumps({"Version": "2012-10-17",
                                                                           "Statement": ["x"]})})
