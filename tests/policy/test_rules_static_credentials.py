"""Static credentials: access keys, login profiles, agent IAM users, Entra passwords, implicit flow, shared keys."""

from tests.policy.ruletools import UNKNOWN, unknowns, violations


def test_access_key_is_always_flagged():
    [message] = violations("AGID-AWS-001", "aws:iam/accessKey:AccessKey", {"user": "ci-bot"}, name="key")
    assert "long-lived static credential" in message and "ci-bot" in message


def test_login_profile_is_flagged():
    assert violations("AGID-AWS-002", "aws:iam/userLoginProfile:UserLoginProfile", {"user": "bob"})


def test_rules_ignore_other_types():
    assert violations("AGID-AWS-001", "aws:iam/role:Role", {}) == []
    assert violations("AGID-AWS-002", "aws:iam/user:User", {"name": "bob"}) == []


def test_iam_user_for_an_agent_is_flagged_by_tag_or_name():
    assert violations("AGID-AWS-003", "aws:iam/user:User", {"name": "svc", "tags": {"agent": "triage"}})
    assert violations("AGID-AWS-003", "aws:iam/user:User", {"name": "triage-agent"})


def test_iam_user_of_a_person_is_not_flagged():
    assert violations("AGID-AWS-003", "aws:iam/user:User", {"name": "alice", "tags": {"team": "sre"}}, name="alice") == []
    assert violations("AGID-AWS-003", "aws:iam/user:User", {"name": "reagent-lab"}, name="lab") == []


def test_entra_passwords_are_flagged():
    assert violations("AGID-AZ-001", "azuread:index/applicationPassword:ApplicationPassword", {"applicationId": "x"})
    assert violations("AGID-AZ-001", "azuread:index/servicePrincipalPassword:ServicePrincipalPassword", {})
    assert violations("AGID-AZ-001", "azuread:index/application:Application",
                      {"displayName": "a", "password": {"displayName": "secret"}})
    assert violations("AGID-AZ-001", "azuread:index/application:Application",
                      {"displayName": "a", "passwordCredentials": [{"displayName": "s"}]})


def test_application_without_password_is_not_flagged():
    assert violations("AGID-AZ-001", "azuread:index/application:Application", {"displayName": "a"}) == []
    assert violations("AGID-AZ-001", "azuread:index/application:Application",
                      {"displayName": "a", "passwordCredentials": []}) == []
    assert unknowns("AGID-AZ-001", "azuread:index/application:Application", {"password": UNKNOWN}) == ["password"]


def test_cognito_implicit_flow_flagged_but_client_credentials_not():
    client = "aws:cognito/userPoolClient:UserPoolClient"
    assert violations("AGID-AWS-004", client, {"allowedOauthFlows": ["code", "implicit"]})
    assert violations("AGID-AWS-004", client, {"allowedOauthFlows": ["client_credentials"],
                                                "explicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"]}) == []
    assert violations("AGID-AWS-004", client, {}) == []
    assert unknowns("AGID-AWS-004", client, {"allowedOauthFlows": UNKNOWN}) == ["allowedOauthFlows"]


def test_storage_shared_key_must_be_explicitly_false():
    account = "azure-native:storage:StorageAccount"
    [unset] = violations("AGID-AZ-002", account, {"kind": "StorageV2"})
    assert "Azure's default is true" in unset
    assert violations("AGID-AZ-002", account, {"allowSharedKeyAccess": True})
    assert violations("AGID-AZ-002", account, {"allowSharedKeyAccess": False}) == []
    assert unknowns("AGID-AZ-002", account, {"allowSharedKeyAccess": UNKNOWN}) == ["allowSharedKeyAccess"]
