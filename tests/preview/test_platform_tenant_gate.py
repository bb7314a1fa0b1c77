"""End to end (`agentid preview`): trust of a multi-tenant platform issuer names an own tenant (issue 11, red13
r13-10, r13-11; AGID-GEN-006). GitHub signs tokens for every repository: an IAM role and Azure federated credentials
trusting `repo:attacker/evil:...` passed. Which owners are the organisation's is the gate's to say
(`--trusted-repository-owner`, the base branch's waivers.yaml `all: {trustedRepositoryOwners}`), never the stack
file's. The example stacks' owner, example-org, is listed in the repository's waivers.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, carry_pack_config, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

RULE = "AGID-GEN-006"
# red13 r13-10's three programs
ROLE = '''
aws.iam.Role("r", tags={"owner": "x"}, assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},
    "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:attacker/evil:ref:refs/heads/main"}}}]}))
'''
AZURE_NATIVE = '''
import pulumi_azure_native as an
mi = an.managedidentity.UserAssignedIdentity("mi", resource_group_name="rg", resource_name_="agent", location="westeurope",
                                             tags={"owner": "x"})
an.managedidentity.FederatedIdentityCredential("f", resource_group_name="rg", resource_name_="agent",
    federated_identity_credential_resource_name="f", issuer="https://token.actions.githubusercontent.com",
    subject="repo:attacker/evil:environment:prod", audiences=["api://AzureADTokenExchange"],
    opts=pulumi.ResourceOptions(depends_on=[mi]))
'''
AZUREAD = '''
import pulumi_azuread as azuread
app = azuread.Application("a", display_name="a")
azuread.ApplicationFederatedIdentityCredential("f", application_id=app.id, display_name="f",
    audiences=["api://AzureADTokenExchange"], issuer="https://token.actions.githubusercontent.com",
    subject="repo:attacker/evil:environment:prod")
'''
# red13 r13-11: a role trusting a namespace's default service account
EKS = "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789"
DEFAULT_SA = f'''
aws.iam.Role("r", tags={{"owner": "x"}}, assume_role_policy=json.dumps({{"Version": "2012-10-17", "Statement": [{{
    "Effect": "Allow", "Principal": {{"Federated": "arn:aws:iam::111111111111:oidc-provider/{EKS}"}},
    "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {{"StringEquals": {{
        "{EKS}:aud": "sts.amazonaws.com", "{EKS}:sub": "system:serviceaccount:default:default"}}}}}}]}}))
'''


def findings(run) -> list[tuple[str, bool]]:
    return sorted((v["resourceName"], v["mandatory"]) for v in by_policy(run.json("out.json"), RULE))


@pytest.mark.parametrize("program, name", [(ROLE, "r"), (AZURE_NATIVE, "f"), (AZUREAD, "f")])
def test_an_outside_repository_blocks_until_the_gate_lists_its_owner(project: Path, program: str, name: str) -> None:
    write_small(project, program)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert findings(run) == [(name, True)], run.stdout
    run = run_cli(project, *GUARD, "--trusted-repository-owner", "Attacker", "--json", "out.json")
    assert findings(run) == [], run.stdout + run.stderr
    assert run.json("out.json")["policyPacks"][0]["config"][RULE]["trustedRepositoryOwners"] == ["Attacker"]


def messages(run) -> list[str]:
    return sorted(v["message"] for v in by_policy(run.json("out.json"), RULE) if v["mandatory"])


def test_another_accounts_cluster_and_the_default_service_account_block(project: Path) -> None:
    # red13 r13-11: an EKS issuer names neither cluster nor account; `default` is every pod of the namespace
    write_small(project, DEFAULT_SA)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    found = messages(run)
    assert len(found) == 2 and f"trusts kubernetes cluster issuer 'https://{EKS}'".lower() in found[0].lower(), found
    assert "trusts subject 'system:serviceaccount:default:default'" in found[1], found
    # the gate lists its own cluster's issuer: the default service account still blocks
    run = run_cli(project, *GUARD, "--trusted-issuer", f"https://{EKS}", "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert [("subject 'system:serviceaccount:default:default'" in m) for m in messages(run)] == [True], run.stdout
    write_small(project, DEFAULT_SA.replace("default:default", "agents:triage"))
    run = run_cli(project, *GUARD, "--trusted-issuer", f"https://{EKS}", "--json", "out.json")
    assert findings(run) == [], run.stdout


def test_the_stack_file_cannot_add_an_owner(project: Path) -> None:
    write_small(project, ROLE)
    carry_pack_config(project, 'all: {trustedRepositoryOwners: ["attacker"]}\n'
                               'AGID-GEN-006: {trustedRepositoryOwners: ["attacker"]}\n')
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert findings(run) == [("r", True)], run.stdout
    document = run.json("out.json")
    assert document["policyPacks"][0]["config"][RULE]["trustedRepositoryOwners"] == []
    assert any(note.startswith(f"agent-guard/{RULE}: config asks for trustedRepositoryOwners=")
               for note in document["enforcementFloor"]), document["enforcementFloor"]


def test_the_example_stack_passes_because_the_gate_lists_example_org(project: Path) -> None:
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 0, run.stdout + run.stderr
    assert findings(run) == []
    # without the waiver file's listing, every GitHub trust of the example agents (AWS, Azure, GCP) blocks
    settings = yaml.safe_load((project / "waivers.yaml").read_text())
    del settings["policyPackConfig"]["agent-guard"]["all"]["trustedRepositoryOwners"]
    (project / "waivers.yaml").write_text(yaml.safe_dump(settings))
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    types = sorted({v["resourceType"] for v in by_policy(run.json("out.json"), RULE) if v["mandatory"]})
    assert types == ["aws:iam/role:Role", "azure-native:managedidentity:FederatedIdentityCredential",
                     "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"], run.stdout


def test_a_bad_owner_is_a_one_line_error(project: Path) -> None:
    write_small(project, ROLE)
    run = run_cli(project, *GUARD, "--trusted-repository-owner", "evil/*")
    assert run.code == 2
    assert "--trusted-repository-owner 'evil/*': not one owner" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
