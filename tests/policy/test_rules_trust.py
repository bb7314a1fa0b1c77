"""Weak trust: public principals, unpinned OIDC, unconditioned cross-account trust, loose federated credentials."""

import json

import pytest

from tests.policy.ruletools import ACCOUNT, UNKNOWN, unknowns, violations

ROLE = "aws:iam/role:Role"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"


def trust(*statements) -> dict:
    return {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def web_identity(conditions: dict, provider: str = GITHUB_PROVIDER) -> dict:
    return {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": conditions}


PINNED = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": "repo:acme/triage:environment:prod"}}


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_public_principal_without_condition_is_flagged(principal):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    assert violations("AGID-AWS-030", ROLE, trust(statement))
    key_policy = json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Action": "kms:Decrypt",
                                                                      "Resource": "*"}]})
    assert violations("AGID-AWS-030", "aws:kms/key:Key", {"policy": key_policy})


def test_public_principal_pinned_to_an_own_organization_is_not_flagged():
    statement = {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}
    assert violations("AGID-AWS-030", ROLE, trust(statement), {"ownOrganizationIds": ["o-abc123"]}) == []
    # the pull request names the organization: with none listed, or another one listed, it proves nothing (r15-7)
    assert violations("AGID-AWS-030", ROLE, trust(statement)) == [
        'assumeRolePolicy Statement[0]: allows any AWS principal (Principal "*") pinned only by aws:principalorgid '
        "(cannot tell whether organization o-abc123 is yours: list it in ownOrganizationIds): every account of that "
        "organization (its owner adds any) or caller of that network could be let in"]
    assert violations("AGID-AWS-030", ROLE, trust(statement), {"ownOrganizationIds": ["o-own0000000"]})
    wildcard_org = {**statement, "Condition": {"StringLike": {"aws:PrincipalOrgID": "*"}}}
    assert violations("AGID-AWS-030", ROLE, trust(wildcard_org))


def test_not_principal_with_allow_is_public():
    assert violations("AGID-AWS-030", ROLE, trust({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                   "Action": "sts:AssumeRole"}))


def test_service_principal_trust_is_fine():
    statement = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    for rule in ("AGID-AWS-030", "AGID-AWS-031", "AGID-AWS-032"):
        assert violations(rule, ROLE, trust(statement)) == []


def test_exactly_pinned_github_trust_passes():
    assert violations("AGID-AWS-031", ROLE, trust(web_identity(PINNED))) == []


@pytest.mark.parametrize("conditions, missing", [
    ({"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}, "sub"),
    ({"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}, "StringLike": {f"{GITHUB}:sub": "repo:acme/*"}}, "sub"),
    ({"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com",
                       f"{GITHUB}:sub": ["repo:acme/triage:environment:prod", "repo:acme/*"]}}, "sub"),
    ({"StringEquals": {f"{GITHUB}:sub": "repo:acme/triage:environment:prod"}}, "aud"),
    ({"StringEqualsIfExists": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": "repo:acme/t:ref:main"}}, "aud"),
    ({"ForAllValues:StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com",
                                    f"{GITHUB}:sub": "repo:acme/t:ref:main"}}, "aud"),
    ({"StringNotEquals": {f"{GITHUB}:aud": "x", f"{GITHUB}:sub": "y"}}, "aud"),
])
def test_unpinned_web_identity_trust_is_flagged(conditions, missing):
    [message] = violations("AGID-AWS-031", ROLE, trust(web_identity(conditions)))
    assert f"{GITHUB}:{missing}" in message


def test_eks_oidc_provider_keys_include_the_path():
    eks = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"
    statement = web_identity({"StringEquals": {f"{eks}:aud": "sts.amazonaws.com",
                                               f"{eks}:sub": "system:serviceaccount:agents:triage"}},
                             provider=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{eks}")
    assert violations("AGID-AWS-031", ROLE, trust(statement)) == []
    statement["Condition"] = {"StringEquals": {f"{eks}:aud": "sts.amazonaws.com"}}
    assert violations("AGID-AWS-031", ROLE, trust(statement))


def test_cross_account_trust_needs_an_own_account_whatever_its_guard():
    """red20 r20-9: sts:ExternalId is a vendor's confused-deputy guard and aws:PrincipalArn narrows which principal of
    the account: neither makes another account the stack's own; each is flagged, naming the guard."""
    other = "210987654321"
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"}, "Action": "sts:AssumeRole"}
    [message] = violations("AGID-AWS-032", ROLE, trust(statement))
    assert other in message and "confused-deputy" in message
    with_external_id = {**statement, "Condition": {"StringEquals": {"sts:ExternalId": "tenant-42"}}}
    [message] = violations("AGID-AWS-032", ROLE, trust(with_external_id))
    assert other in message and "sts:externalid" in message and "waiver" in message
    assert violations("AGID-AWS-032", ROLE, trust(statement), config={"ownAccountIds": [other]}) == []
    assert violations("AGID-AWS-032", ROLE, trust(with_external_id), config={"ownAccountIds": [other]}) == []

    pinned = {**statement, "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{other}:role/agent-x"}}}
    [message] = violations("AGID-AWS-032", ROLE, trust(pinned), config={"ownAccountIds": [ACCOUNT]})
    assert f"{other}, not one of the stack's own ({ACCOUNT})" in message and "aws:principalarn" in message
    assert violations("AGID-AWS-032", ROLE, trust(pinned), config={"ownAccountIds": [other]}) == []
    wildcard = {**statement, "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{other}:role/*"}}}
    assert violations("AGID-AWS-032", ROLE, trust(wildcard))


def test_principal_star_pinned_to_another_account_is_that_accounts_trust():
    """Principal "*" confined by aws:PrincipalArn / aws:PrincipalAccount to an account is that account's trust."""
    other = "210987654321"
    for condition in ({"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{other}:role/anything"}},
                      {"StringEquals": {"aws:PrincipalAccount": other}}):
        statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
                     "Condition": condition}
        [message] = violations("AGID-AWS-032", ROLE, trust(statement), config={"ownAccountIds": [ACCOUNT]})
        assert other in message, condition
        own = {**statement, "Condition": {k: {key: v.replace(other, ACCOUNT) for key, v in c.items()}
                                          for k, c in condition.items()}}
        assert violations("AGID-AWS-032", ROLE, trust(own), config={"ownAccountIds": [ACCOUNT]}) == [], condition


def test_the_kits_self_assume_statement_passes_only_in_the_gates_mock_account(monkeypatch):
    """The account root pinned to the role's own ARN: self-trust in the account the gate's mocks answer
    get_caller_identity with; the same shape in any other account not listed own is another account's role."""
    from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
    mock = "123456789012"

    def self_assume(account, name="agent-x"):
        return {"name": "agent-x", **trust({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                            "Action": "sts:AssumeRole", "Condition": {"ArnEquals": {
                                                "aws:PrincipalArn": f"arn:aws:iam::{account}:role/{name}"}}})}
    config = {"ownAccountIds": ["111122223333"]}  # the mock account is not listed, as under `agentid preview`
    monkeypatch.setenv(MOCK_ACCOUNTS_ENV, mock)
    assert violations("AGID-AWS-032", ROLE, self_assume(mock), config=config) == []
    assert violations("AGID-AWS-032", ROLE, self_assume(mock, "agent-y"), config=config)  # another role of it
    assert violations("AGID-AWS-032", ROLE, self_assume("210987654321"), config=config)
    monkeypatch.delenv(MOCK_ACCOUNTS_ENV)
    assert violations("AGID-AWS-032", ROLE, self_assume(mock), config=config)


def test_trust_rules_wait_for_unknown_trust_policy():
    for rule in ("AGID-AWS-030", "AGID-AWS-031", "AGID-AWS-032"):
        assert unknowns(rule, ROLE, {"assumeRolePolicy": UNKNOWN}) == ["assumeRolePolicy"]
        assert unknowns(rule, ROLE, {}) == ["assumeRolePolicy"]


FIC = "azure-native:managedidentity:FederatedIdentityCredential"
FLEX = "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential"


def test_federated_credential_with_exact_subject_passes():
    props = {"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:acme/triage:environment:prod",
             "audiences": ["api://AzureADTokenExchange"]}
    assert violations("AGID-AZ-030", FIC, props) == []


@pytest.mark.parametrize("type_, props", [
    (FIC, {"subject": "repo:acme/*"}),
    (FIC, {"subject": "system:serviceaccount:agents:*"}),
    (FLEX, {"claimsMatchingExpression": "claims['sub'] matches 'repo:acme/triage:ref:refs/heads/*'"}),
    (FLEX, {"claimsMatchingExpression": "claims['sub'] eq 'repo:a/b:ref:main' or claims['sub'] eq 'repo:a/c:ref:main'"}),
])
def test_federated_credentials_admitting_many_subjects_are_flagged(type_, props):
    assert violations("AGID-AZ-030", type_, props)


def test_single_subject_expression_passes_and_unknown_waits():
    assert violations("AGID-AZ-030", FLEX, {"claimsMatchingExpression": "claims['sub'] eq 'repo:a/b:ref:main'"}) == []
    assert unknowns("AGID-AZ-030", FIC, {"subject": UNKNOWN}) == ["subject"]


# --- issue 10, kind 8 -------------------------------------------------------------------------------

@pytest.mark.parametrize("principal", [{"AWS": "arn:aws:iam::*:root"}, {"AWS": f"arn:aws:iam::{ACCOUNT}:role/agent-*"},
                                       {"Federated": "arn:aws:iam::*:oidc-provider/x"}])
def test_a_wildcard_inside_a_principal_is_unparseable_not_a_pass(principal):
    document = trust({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
    [message] = violations("AGID-POL-001", ROLE, document)
    assert message.startswith("assumeRolePolicy cannot be parsed, so it cannot be judged safe: Statement[0].Principal.")
    assert "has a wildcard inside a principal, which IAM rejects" in message
    # the public principal itself stays valid IAM, judged by AGID-AWS-030
    assert violations("AGID-POL-001", ROLE, trust({"Effect": "Allow", "Principal": {"AWS": "*"},
                                                   "Action": "sts:AssumeRole"})) == []


def test_messages_say_exactly_what_a_github_subject_allows():
    one_repo = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}, "StringLike": {f"{GITHUB}:sub": "repo:acme/triage:*"}}
    [message] = violations("AGID-AWS-031", ROLE, trust(web_identity(one_repo)))
    assert message.endswith("any ref, pull request or environment of the one repository acme/triage "
                            "(repo:acme/triage:*) could assume the role")
    whole_org = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}, "StringLike": {f"{GITHUB}:sub": "repo:acme/*"}}
    [message] = violations("AGID-AWS-031", ROLE, trust(web_identity(whole_org)))
    assert message.endswith("any repository of acme (repo:acme/*) could assume the role")
    [message] = violations("AGID-AWS-031", ROLE, trust(web_identity({"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}})))
    assert message.endswith(f"any workload {GITHUB} issues tokens for could assume the role")


COGNITO = "cognito-identity.amazonaws.com"
POOL = "eu-west-1:11111111-2222-3333-4444-555555555555"


def cognito(conditions):
    return trust(web_identity(conditions, provider=COGNITO))


def test_cognito_identity_pool_trust_is_judged_by_pool_and_amr_not_sub():
    pinned = {"StringEquals": {f"{COGNITO}:aud": POOL}, "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}
    assert violations("AGID-AWS-031", ROLE, cognito(pinned)) == []  # no sub needed
    guests = {"StringEquals": {f"{COGNITO}:aud": POOL}, "ForAnyValue:StringLike": {f"{COGNITO}:amr": "unauthenticated"}}
    assert violations("AGID-AWS-031", ROLE, cognito(guests)) == [
        f"assumeRolePolicy Statement[0]: trusts Cognito identity pools with {COGNITO}:amr admits \"unauthenticated\": "
        "guest identities, i.e. anyone, could assume the role"]
    any_pool = {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}
    assert violations("AGID-AWS-031", ROLE, cognito(any_pool)) == [
        f"assumeRolePolicy Statement[0]: trusts Cognito identity pools with no exact {COGNITO}:aud (identity pool id): "
        "identities of ANY identity pool, in any account, could assume the role"]
    no_amr = {"StringEquals": {f"{COGNITO}:aud": POOL}}
    [message] = violations("AGID-AWS-031", ROLE, cognito(no_amr))
    assert "unauthenticated (guest) identities could assume it too" in message
