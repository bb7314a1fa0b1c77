"""AGID-GEN-006 over gRPC: trust of a multi-tenant platform issuer names an own tenant (issue 11, red13 r13-10/-11).

GitHub Actions, GitLab.com, HCP Terraform and Azure DevOps sign tokens for every tenant: an exact subject of a
repository the attacker owns (`repo:attacker/evil:ref:refs/heads/main`) passed every pinning rule. The own tenants
are the gate's settings (trustedRepositoryOwners, ...), sent here as the pack config the gate sends. Also: a
namespace's `default` Kubernetes service account is no single workload.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import PACK, urn

RULE = "AGID-GEN-006"
ROLE = "aws:iam/role:Role"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
APP_FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
FLEX_FIC = "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential"
PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
GH = "token.actions.githubusercontent.com"
EKS = "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789"
FOREIGN_EKS = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OWNERS = {RULE: {"trustedRepositoryOwners": ["Example-Org", "1234567"], "trustedGitLabGroups": ["acme-group"],
                 "trustedTerraformOrganizations": ["acme"], "trustedAzureDevOpsOrganizations": ["acmeorg"],
                 "trustedIssuers": [f"https://{EKS}"]}}


def role(conditions: dict, provider: str = GH, federated: str | None = None) -> dict:
    return {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": federated or f"arn:aws:iam::111122223333:oidc-provider/{provider}"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": conditions}]})}


def gh_role(sub, operator="StringEquals") -> dict:
    return role({operator: {f"{GH}:aud": "sts.amazonaws.com", f"{GH}:sub": sub}})


def fic(issuer: str, subject: str) -> dict:
    return {"resourceGroupName": "rg", "resourceName": "id1", "issuer": issuer, "subject": subject,
            "audiences": ["api://AzureADTokenExchange"]}


def app_fic(issuer: str, subject: str) -> dict:
    return {"applicationId": "/applications/0", "displayName": "f", "issuer": issuer, "subject": subject,
            "audiences": ["api://AzureADTokenExchange"]}


def provider(issuer: str, condition: str) -> dict:
    return {"workloadIdentityPoolId": "pool", "workloadIdentityPoolProviderId": "p",
            "attributeMapping": {"google.subject": "assertion.sub"}, "oidc": {"issuerUri": issuer},
            "attributeCondition": condition}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def found(pack, type_, props, config=OWNERS):
    pack.configure(config)
    diags = pack.analyze(type_, "t", urn(type_, "t"), props)
    return [(d.enforcement_level, d.message) for d in diags if d.policy_name == RULE]


# (type, flagged props, look-alike props that must pass under OWNERS)
CASES = {
    "aws github": (ROLE, gh_role("repo:attacker/evil:ref:refs/heads/main"), gh_role("repo:example-org/app:ref:refs/heads/main")),
    "aws github case": (ROLE, gh_role("repo:attacker/Example-Org:environment:prod"),
                        gh_role("repo:EXAMPLE-ORG/app:environment:prod")),
    "aws owner id": (ROLE, gh_role("repository_owner_id:7654321:repository_id:1:ref:refs/heads/main"),
                     gh_role("repository_owner_id:1234567:repository_id:1:ref:refs/heads/main")),
    "aws one foreign of two": (ROLE, gh_role(["repo:example-org/app:ref:refs/heads/main", "repo:evil/app:ref:refs/heads/main"]),
                               gh_role(["repo:example-org/app:ref:refs/heads/main", "repo:example-org/b:environment:prod"])),
    # an exact subject naming no owner at all (a customised template without one)
    "aws no owner named": (ROLE, gh_role("workflow:deploy:environment:prod"), gh_role("repo:example-org/app:environment:prod")),
    "aws repository_owner key": (ROLE, role({"StringEquals": {f"{GH}:aud": "sts.amazonaws.com", f"{GH}:sub": "repo:evil/app:ref:refs/heads/main",
                                                              f"{GH}:repository_owner": "evil"}}),
                                 role({"StringEquals": {f"{GH}:aud": "sts.amazonaws.com", f"{GH}:sub": "repo:x/app:ref:refs/heads/main",
                                                        f"{GH}:repository_owner": "example-org"}})),
    # red16 r16-1: the owner is read only from the subject's FIRST claim: a customised template puts free-text claims
    # (workflow name, environment) first, so evil/x mints `workflow:deploy:repository_owner:example-org`
    "aws forged owner after a free-text claim": (ROLE, gh_role("workflow:deploy:repository_owner:example-org"),
                                                 gh_role("repository_owner:example-org:workflow:deploy")),
    "aws forged repository after a free-text claim": (ROLE, gh_role("environment:x:repository:example-org/app"),
                                                      gh_role("repository:example-org/app:environment:x")),
    "aws forged owner id after a free-text claim": (ROLE, gh_role("environment:a:repository_owner_id:1234567"),
                                                    gh_role("repository_owner_id:1234567:environment:a")),
    "aws forged repo after a free-text claim": (ROLE, gh_role("workflow:x:repo:example-org/app:ref:refs/heads/main"),
                                                gh_role("repo:example-org/app:ref:refs/heads/main")),
    "aws forged owner, one of two": (ROLE, gh_role(["repo:example-org/app:ref:refs/heads/main", "workflow:d:repository_owner:example-org"]),
                                     gh_role(["repo:example-org/app:ref:refs/heads/main", "repository_owner:example-org:environment:d"])),
    "azure forged owner": (FIC, fic(f"https://{GH}", "workflow:deploy:repository_owner:example-org"),
                           fic(f"https://{GH}", "repository_owner:example-org:workflow:deploy")),
    "azuread forged repository": (APP_FIC, app_fic(f"https://{GH}", "environment:x:repository:example-org/app"),
                                  app_fic(f"https://{GH}", "repository:example-org/app:environment:x")),
    "azuread flexible forged owner": (FLEX_FIC, {"applicationId": "/applications/0", "displayName": "f", "issuer": f"https://{GH}", "audience": "api://AzureADTokenExchange",
                                                 "claimsMatchingExpression": "claims['sub'] eq 'workflow:deploy:repository_owner:example-org'"},
                                      {"applicationId": "/applications/0", "displayName": "f", "issuer": f"https://{GH}", "audience": "api://AzureADTokenExchange",
                                       "claimsMatchingExpression": "claims['sub'] eq 'repository_owner:example-org:workflow:deploy'"}),
    "gcp forged owner": (PROVIDER, provider(f"https://{GH}", "assertion.sub == 'workflow:deploy:repository_owner:example-org'"),
                         provider(f"https://{GH}", "assertion.sub == 'repository_owner:example-org:workflow:deploy'")),
    # the provider named only by the condition keys (its ARN an Output) is judged the same
    "aws unknown principal": (ROLE, role({"StringEquals": {f"{GH}:sub": "repo:evil/app:ref:refs/heads/main"}},
                                         federated="arn:aws:iam::111122223333:oidc-provider/x.example"),
                              role({"StringEquals": {f"{GH}:sub": "repo:example-org/app:ref:refs/heads/main"}},
                                   federated="arn:aws:iam::111122223333:oidc-provider/x.example")),
    "aws gitlab": (ROLE, role({"StringEquals": {"gitlab.com:aud": "sts", "gitlab.com:sub": "project_path:evil/app:ref_type:branch:ref:main"}}, "gitlab.com"),
                   role({"StringEquals": {"gitlab.com:aud": "sts", "gitlab.com:sub": "project_path:Acme-Group/sub/app:ref_type:branch:ref:main"}}, "gitlab.com")),
    "aws terraform": (ROLE, role({"StringEquals": {"app.terraform.io:aud": "aws.workload.identity",
                                                   "app.terraform.io:sub": "organization:evil:project:p:workspace:w:run_phase:apply"}}, "app.terraform.io"),
                      role({"StringEquals": {"app.terraform.io:aud": "aws.workload.identity",
                                             "app.terraform.io:sub": "organization:acme:project:p:workspace:w:run_phase:apply"}}, "app.terraform.io")),
    "aws eks default sa": (ROLE, role({"StringEquals": {f"{EKS}:aud": "sts.amazonaws.com", f"{EKS}:sub": "system:serviceaccount:default:default"}}, EKS),
                           role({"StringEquals": {f"{EKS}:aud": "sts.amazonaws.com", f"{EKS}:sub": "system:serviceaccount:default:agent"}}, EKS)),
    # red13 r13-11: another account's cluster (its issuer not the gate's), also as an Azure credential's issuer
    "aws eks foreign cluster": (ROLE, role({"StringEquals": {f"{FOREIGN_EKS}:aud": "sts.amazonaws.com",
                                                             f"{FOREIGN_EKS}:sub": "system:serviceaccount:agents:triage"}}, FOREIGN_EKS),
                                role({"StringEquals": {f"{EKS}:aud": "sts.amazonaws.com", f"{EKS}:sub": "system:serviceaccount:agents:triage"}}, EKS)),
    "azure eks foreign cluster": (FIC, fic(f"https://{FOREIGN_EKS}", "system:serviceaccount:agents:triage"),
                                  fic(f"https://{EKS}/", "system:serviceaccount:agents:triage")),
    "azure-native github": (FIC, fic(f"https://{GH}", "repo:attacker/evil:environment:prod"), fic(f"https://{GH}/", "repo:example-org/app:environment:prod")),
    "azuread github": (APP_FIC, app_fic(f"https://{GH}", "repo:attacker/evil:environment:prod"), app_fic(f"https://{GH}", "repo:example-org/app:environment:prod")),
    "azuread flexible": (FLEX_FIC, {"applicationId": "/applications/0", "displayName": "f", "issuer": f"https://{GH}", "audience": "api://AzureADTokenExchange",
                                    "claimsMatchingExpression": "claims['sub'] eq 'repo:evil/app:environment:prod'"},
                         {"applicationId": "/applications/0", "displayName": "f", "issuer": f"https://{GH}", "audience": "api://AzureADTokenExchange",
                          "claimsMatchingExpression": "claims['sub'] eq 'repo:example-org/app:environment:prod'"}),
    "azure devops": (FIC, fic("https://vstoken.dev.azure.com/11111111-2222-3333-4444-555555555555", "sc://evilorg/p/conn"),
                     fic("https://vstoken.dev.azure.com/11111111-2222-3333-4444-555555555555", "sc://acmeorg/p/conn")),
    "azure aks default sa": (FIC, fic("https://westeurope.oic.prod-aks.azure.com/11111111-2222-3333-4444-555555555555/22222222-2222-3333-4444-555555555555/",
                                      "system:serviceaccount:agents:default"),
                             fic("https://westeurope.oic.prod-aks.azure.com/11111111-2222-3333-4444-555555555555/22222222-2222-3333-4444-555555555555/",
                                 "system:serviceaccount:agents:default-agent")),
    "gcp github": (PROVIDER, provider(f"https://{GH}", "assertion.sub == 'repo:attacker/evil:environment:prod'"),
                   provider(f"https://{GH}", "assertion.sub == 'repo:example-org/app:environment:prod'")),
    "gcp gitlab": (PROVIDER, provider("https://gitlab.com", "assertion.sub in ['project_path:acme-group/a:ref_type:branch:ref:main', "
                                                            "'project_path:evil/a:ref_type:branch:ref:main']"),
                   provider("https://gitlab.com", "assertion.sub in ['project_path:acme-group/a:ref_type:branch:ref:main']")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_foreign_tenant_blocks_and_a_listed_one_passes(pack, case):
    type_, flagged, look_alike = CASES[case]
    result = found(pack, type_, flagged)
    assert [level for level, _ in result] == ["mandatory"], result
    assert found(pack, type_, look_alike) == []


def test_nothing_listed_blocks_the_own_owner_too_and_names_the_setting(pack):
    result = found(pack, FIC, fic(f"https://{GH}", "repo:example-org/app:environment:prod"), config={})
    assert [level for level, _ in result] == ["mandatory"], result
    assert result[0][1].endswith("\n[weak-trust] federated credential t trusts GitHub repository owners' tokens "
                       "('repo:example-org/app:environment:prod') without confining the GitHub repository owner to one "
                       "the gate lists (trustedRepositoryOwners): the platform signs for every GitHub repository owner, so "
                       "whoever owns the one named there (or any, where none or a pattern is) can act as this identity; if "
                       "it is yours, list it with `agentid preview --trusted-repository-owner OWNER` or under "
                       "`all: {trustedRepositoryOwners: [...]}` in the base branch's waivers.yaml policyPackConfig"), result


def test_the_pack_wide_entry_lists_owners(pack):
    props = fic(f"https://{GH}", "repo:example-org/app:environment:prod")
    assert found(pack, FIC, props, config={"all": {"enforcementLevel": "mandatory",
                                                   "trustedRepositoryOwners": ["example-org"]}}) == []


def test_an_owner_id_entry_is_not_an_owner_login(pack):
    # a GitHub login may be all digits: listing owner id 1234567 must not let the user named "1234567" in
    assert [lvl for lvl, _ in found(pack, ROLE, gh_role("repo:1234567/app:ref:refs/heads/main"))] == ["mandatory"]


def test_case_is_kept_where_the_platform_tells_it_apart(pack):
    sub = "organization:ACME:project:p:workspace:w:run_phase:apply"
    props = role({"StringEquals": {"app.terraform.io:aud": "a", "app.terraform.io:sub": sub}}, "app.terraform.io")
    assert [lvl for lvl, _ in found(pack, ROLE, props)] == ["mandatory"]
    lowered = role({"StringEqualsIgnoreCase": {"app.terraform.io:aud": "a",
                                               "app.terraform.io:sub": sub.replace("ACME", "acme")}}, "app.terraform.io")
    assert [lvl for lvl, _ in found(pack, ROLE, lowered)] == ["mandatory"]


@pytest.mark.parametrize("type_, props, pinning", [
    (FIC, {**fic(f"https://{GH}", "x"), "subject": UNKNOWN}, "AGID-AZ-030"),
    (FIC, {**fic(f"https://{GH}", "x"), "issuer": UNKNOWN}, "AGID-GEN-003"),
    (PROVIDER, provider(f"https://{GH}", UNKNOWN), "AGID-GCP-004"),
])
def test_unknown_inputs_are_the_pinning_rules_cannot_check(pack, type_, props, pinning):
    assert found(pack, type_, props) == []
    diags = pack.analyze(type_, "t", urn(type_, "t"), props)
    assert any(d.policy_name == pinning and "cannot check" in d.message for d in diags), [d.message for d in diags]


@pytest.mark.parametrize("type_, props, pinning", [
    (ROLE, gh_role("repo:*/app:ref:refs/heads/main", "StringLike"), "AGID-AWS-031"),
    (ROLE, role({"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}), "AGID-AWS-031"),
    (FIC, fic(f"https://{GH}", "repo:*"), "AGID-AZ-030"),
    (PROVIDER, provider(f"https://{GH}", "assertion.repository_owner == 'evil'"), "AGID-GCP-004"),
])
def test_a_subject_pinning_no_owner_is_already_the_pinning_rules(pack, type_, props, pinning):
    assert found(pack, type_, props) == []
    diags = pack.analyze(type_, "t", urn(type_, "t"), props)
    assert any(d.policy_name == pinning and d.enforcement_level == "mandatory" for d in diags), [d.message for d in diags]


def test_other_issuers_and_other_actions_are_not_judged_here(pack):
    spire = fic("https://oidc.dev.example.org", "repo:attacker/evil:environment:prod")
    assert found(pack, FIC, spire) == []  # a single-tenant issuer the operator runs: AGID-GEN-003's
    assume = {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})}
    assert found(pack, ROLE, assume) == []
