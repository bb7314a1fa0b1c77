"""docs/coverage.md stays true: every identity-bearing type of the installed providers is judged or has a reason."""

from __future__ import annotations

from agentid_policy_packs.rules import coverage
from agentid_policy_packs.rules.coverage import PROVIDERS, covering_rules, provider_tokens, reasons, rows, selected


def all_tokens() -> set[str]:
    return set().union(*(provider_tokens(package) for package in PROVIDERS))


def test_provider_tokens_are_read_from_the_installed_packages():
    assert len(provider_tokens("pulumi_aws")) > 1500
    assert len(provider_tokens("pulumi_azure_native")) > 2000
    assert "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment" in provider_tokens("pulumi_azuread")
    assert provider_tokens("no_such_provider_package") == set()


def test_every_token_a_rule_names_exists_in_the_providers():
    # `pulumi:providers:<package>` is each package's provider resource (its Provider class), not in the type lists
    assert sorted(t for t in set(covering_rules()) - all_tokens() if not t.startswith("pulumi:providers:")) == []


def test_every_selected_token_is_covered_or_has_a_reason():
    assert [r.token for r in rows() if not r.rules and not r.reason] == []


def test_every_reason_still_explains_some_type():
    used = {r.reason for r in rows() if not r.rules}
    assert [pattern.pattern for pattern, reason in reasons() if reason not in used] == []


def test_selection_takes_credentials_grants_and_trusts_and_leaves_plain_resources():
    for token in ("aws:iam/accessKey:AccessKey", "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
                  "aws:s3/bucketPolicy:BucketPolicy", "aws:lambda/permission:Permission",
                  "aws:bedrock/agentcoreGateway:AgentcoreGateway", "azure-native:authorization:RoleAssignment",
                  "azure-native:managedidentity:FederatedIdentityCredential", "azuread:index/servicePrincipal:ServicePrincipal"):
        assert selected(token), token
    for token in ("aws:s3/bucketV2:BucketV2", "aws:ec2/instance:Instance", "azure-native:network:VirtualNetwork"):
        assert not selected(token), token


def test_the_issue_11_aws_types_are_covered():
    covered = {r.token: r.rules for r in rows() if r.rules}
    for token in ("aws:iam/serviceSpecificCredential:ServiceSpecificCredential", "aws:iam/sshKey:SshKey",
                  "aws:iam/signingCertificate:SigningCertificate", "aws:iam/userPolicy:UserPolicy",
                  "aws:iam/groupPolicy:GroupPolicy", "aws:iam/userGroupMembership:UserGroupMembership",
                  "aws:secretsmanager/secretVersion:SecretVersion", "aws:ssm/parameter:Parameter",
                  "aws:lambda/function:Function", "aws:s3/bucketPolicy:BucketPolicy", "aws:kms/keyPolicy:KeyPolicy",
                  "aws:sqs/queuePolicy:QueuePolicy", "aws:sns/topicPolicy:TopicPolicy",
                  "aws:secretsmanager/secretPolicy:SecretPolicy", "aws:cognito/identityPool:IdentityPool",
                  "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:bedrock/agentcoreGateway:AgentcoreGateway",
                  "aws:bedrock/agentcoreApiKeyCredentialProvider:AgentcoreApiKeyCredentialProvider",
                  "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider",
                  "aws:iam/policyAttachment:PolicyAttachment",
                  "aws:cognito/userPoolClient:UserPoolClient"):
        assert token in covered, token


def test_docs_coverage_md_is_the_rendered_list():
    assert coverage.DOC.read_text(encoding="utf-8") == coverage.render()
