"""`agentid lint` on a standalone role trust policy reports the trust findings the gate reports (issue 11, misc4 item 2).

Lint ran a hand-written list of trust rules (AGID-AWS-030/031/032): a GitHub Actions trust pinned to an attacker's
repository (`repo:attacker/x:ref:refs/heads/main`, AGID-GEN-006) or naming an IAM OIDC provider of an issuer nobody
vetted (AGID-GEN-010) gave 0 findings in lint while the gate blocked it. Lint now runs every rule of the pack that reads a
role's trust (files.trust_policy_rules, found in the registry) with the gate's own-tenant settings
(--trusted-repository-owner ..., --trusted-issuer, --own-gcp-project); without them a pinned platform subject is "not
confined to one the gate lists", a finding, as at the gate. Each case: lint's exit code and exact rule ids, and the same
ids from the pack over gRPC on an `aws:iam/role:Role` with that trust, with the same settings.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.test_lint import lint, write
from tests.policy.test_pack_grpc import urn

GH = "token.actions.githubusercontent.com"
ROLE = "aws:iam/role:Role"


def web_identity(sub, operator="StringEquals", host=GH) -> dict:
    conditions = {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"}}
    conditions.setdefault(operator, {})[f"{host}:sub"] = sub
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{host}"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": conditions}]}


OWN = ("--trusted-repository-owner", "acme")
CASES = {
    # case: (trust, lint options, rule ids lint and the gate report)
    "attacker repository": (web_identity("repo:attacker/x:ref:refs/heads/main"), OWN, ["AGID-GEN-006"]),
    "attacker repository, no own owner given": (web_identity("repo:attacker/x:ref:refs/heads/main"), (),
                                                ["AGID-GEN-006"]),
    "attacker repository by owner id claim": (web_identity("repository_owner_id:999:repository:attacker/x"), OWN,
                                              ["AGID-GEN-006"]),
    "attacker repository, any ref": (web_identity("repo:attacker/x:*", "StringLike"), OWN, ["AGID-AWS-031"]),
    "wildcard subject": (web_identity("*", "StringLike"), OWN, ["AGID-AWS-031"]),
    "issuer nobody vetted": (web_identity("x", host="evil.example.net"), OWN, ["AGID-GEN-010"]),
    "own repository, no own owner given (cannot tell)": (web_identity("repo:acme/x:ref:refs/heads/main"), (),
                                                         ["AGID-GEN-006"]),
}
LOOK_ALIKE = {
    "own repository": (web_identity("repo:acme/x:ref:refs/heads/main"), OWN),
    "own repository, owner in another case": (web_identity("repo:ACME/x:environment:prod"), OWN),
    "own repositories, two of them": (web_identity(["repo:acme/x:ref:refs/heads/main", "repo:acme/y:environment:prod"]),
                                      OWN),
    "issuer the operator runs": (web_identity("system:serviceaccount:ci:deployer", host="oidc.acme.example"),
                                 ("--trusted-issuer", "https://oidc.acme.example")),
}


def lint_ids(tmp_path, trust, options) -> tuple[int, list[str]]:
    result = lint(write(tmp_path, "trust.json", trust), *options, "-f", "json")
    return result.exit_code, sorted(f["rule"] for f in json.loads(result.stdout)["findings"])


def gate_ids(pack, trust, options) -> list[str]:
    """The trust rules' ids the pack reports (mandatory) for a role with this trust, the options as pack-wide config."""
    from agentid.analyzer_client import StackResource
    from agentid_policy_packs.rules.files import trust_policy_rules

    settings = {}
    for flag, value in zip(options[::2], options[1::2]):
        key = {"--trusted-repository-owner": "trustedRepositoryOwners", "--trusted-issuer": "trustedIssuers"}[flag]
        settings.setdefault(key, []).append(value)
    pack.configure({"all": settings} if settings else {})
    try:
        props = {"name": "ci", "assumeRolePolicy": json.dumps(trust)}
        diags = [*pack.analyze(ROLE, "ci", urn(ROLE, "ci"), props),
                 *pack.analyze_stack([StackResource(ROLE, "ci", urn(ROLE, "ci"), props)])]
    finally:
        pack.configure({})
    return sorted(d.policy_name for d in diags
                  if d.policy_name in trust_policy_rules() and d.enforcement_level == "mandatory")


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_trust_the_gate_blocks_is_a_lint_finding_with_the_same_rule(pack, tmp_path, case) -> None:
    trust, options, expected = CASES[case]
    assert lint_ids(tmp_path, trust, options) == (1, expected), case
    assert gate_ids(pack, trust, options) == expected, case


@pytest.mark.parametrize("case", sorted(LOOK_ALIKE))
def test_a_trust_pinned_to_an_own_tenant_passes_lint_and_the_gate(pack, tmp_path, case) -> None:
    trust, options = LOOK_ALIKE[case]
    assert lint_ids(tmp_path, trust, options) == (0, []), case
    assert gate_ids(pack, trust, options) == [], case


def test_the_aws_cli_get_role_output_is_judged_the_same(tmp_path) -> None:
    wrapped = {"Role": {"RoleName": "ci", "AssumeRolePolicyDocument": web_identity("repo:attacker/x:ref:refs/heads/main")}}
    assert lint_ids(tmp_path, wrapped, OWN) == (1, ["AGID-GEN-006"])


@pytest.mark.parametrize(("options", "said"), [
    (("--trusted-repository-owner", "acme/*"), "--trusted-repository-owner 'acme/*': not one owner"),
    (("--trusted-issuer", "http://oidc.acme.example"), "--trusted-issuer 'http://oidc.acme.example'"),
    (("--own-gcp-project", "Not A Project"), "--own-gcp-project 'Not A Project': not a project"),
])
def test_a_bad_own_tenant_is_a_usage_error(tmp_path, options, said) -> None:
    result = lint(write(tmp_path, "trust.json", web_identity("repo:acme/x:ref:refs/heads/main")), *options)
    assert result.exit_code == 2 and said in result.output, result.output


def test_lint_runs_every_rule_that_reads_a_roles_trust() -> None:
    """The registry decides: each resource rule of aws:iam/role:Role and each stack rule reading it that reads
    assumeRolePolicy, the identity-policy rules (which read inlinePolicies) not."""
    from agentid_policy_packs.rules.files import trust_policy_rules

    found = set(trust_policy_rules())
    assert {"AGID-AWS-030", "AGID-AWS-031", "AGID-AWS-032", "AGID-GEN-006", "AGID-GEN-009", "AGID-GEN-010",
            "AGID-POL-001", "AGID-POL-002"} <= found
    assert not found & {"AGID-AWS-010", "AGID-AWS-020", "AGID-INV-001", "AGID-LIFE-001"}


def test_the_repositorys_own_hook_lints_its_deploy_role_trust_clean() -> None:
    """The pre-commit hook names the owner waivers.yaml lists for the gate; the deploy role's trust then passes."""
    import shlex
    from pathlib import Path

    import yaml

    repo = Path(__file__).resolve().parents[2]
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    entry = shlex.split(next(h for h in hooks if h["id"] == "agentid-lint")["entry"])
    assert entry[:2] == ["agentid", "lint"]
    trust = str(repo / "policies" / "github-deploy-role-trust.json")
    assert lint(*entry[2:], trust).exit_code == 0
    assert [f["rule"] for f in json.loads(lint(trust, "-f", "json").stdout)["findings"]] == ["AGID-GEN-006"]
