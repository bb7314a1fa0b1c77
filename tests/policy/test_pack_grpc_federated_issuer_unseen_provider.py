"""AGID-GEN-010 over gRPC: a role or identity pool trusting an IAM OIDC provider the stack does not define.

A role trusting `oidc-provider/evil.example.net` with `:sub` and `:aud` pinned passed with only inventory notes: the
issuer was judged (AGID-GEN-003) only on a provider the stack defines. Each flagged case has a look-alike: a platform's
issuer (GitHub Actions, an EKS cluster), an issuer the gate lists, and a provider the stack defines (AGID-GEN-003's,
not reported twice).
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from tests.policy.test_pack_grpc import PACK, urn

RULE = "AGID-GEN-010"
ROLE = "aws:iam/role:Role"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
ACCOUNT = "123456789012"
LISTED = "https://issuer.acme.example/agents"
FOREIGN_TENANT = "sts.windows.net/99999999-9999-9999-9999-999999999999/"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({RULE: {"trustedIssuers": [LISTED]}})
        yield running


def role(host, name="role"):
    statement = {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {f"{host.rstrip('/')}:sub": "agent", f"{host.rstrip('/')}:aud": "sts"}}}
    return (ROLE, name, {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})


def findings(pack, *resources):
    stack = [StackResource(t, n, urn(t, n), p) for t, n, p in resources]
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message) for d in pack.analyze_stack(stack)
                  if d.policy_name == RULE)


@pytest.mark.parametrize("host", ["evil.example.net", FOREIGN_TENANT, "evil.example.net/tenant-a"])
def test_a_role_trusting_an_unseen_provider_of_an_unknown_issuer(pack, host):
    [(name, level, message)] = findings(pack, role(host))
    assert (name, level) == ("role", "mandatory"), message
    assert f"trusts the IAM OIDC provider oidc-provider/{host}, which the stack does not define" in message, message


@pytest.mark.parametrize("host", ["token.actions.githubusercontent.com",
                                  "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
                                  "issuer.acme.example/agents"])
def test_a_role_trusting_a_platform_or_listed_issuer_passes(pack, host):
    assert findings(pack, role(host)) == []


def test_a_provider_the_stack_defines_is_judged_once_by_gen_003(pack):
    provider = (OIDC, "evil", {"url": "https://evil.example.net", "clientIdLists": ["sts.amazonaws.com"]})
    assert findings(pack, provider, role("evil.example.net")) == []
    # the stack's provider is judged where it is defined
    assert [d.policy_name for d in pack.analyze(OIDC, "evil", urn(OIDC, "evil"), provider[2])
            if d.policy_name.startswith("AGID-GEN-")] == ["AGID-GEN-003"]


def test_built_in_web_identity_providers_are_not_iam_oidc_providers(pack):
    statement = {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "eu-west-1:pool"}}}
    assert findings(pack, (ROLE, "role", {"assumeRolePolicy": json.dumps({"Statement": [statement]})})) == []


def test_a_cognito_identity_pool_logging_in_through_an_unseen_provider(pack):
    pool = (IDENTITY_POOL, "ids", {"identityPoolName": "agents", "allowUnauthenticatedIdentities": False,
                                   "openidConnectProviderArns": [f"arn:aws:iam::{ACCOUNT}:oidc-provider/evil.example.net"]})
    assert [(n, level) for n, level, _ in findings(pack, pool)] == [("ids", "mandatory")]
    pool[2]["openidConnectProviderArns"] = [f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"]
    assert findings(pack, pool) == []
