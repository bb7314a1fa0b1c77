"""Issuer trust end to end (AGID-GEN-003; red3 c12/h09, red4): `agentid preview` blocks a federated credential that
trusts an issuer nobody vouched for, and only the GATE says which self-run issuers are trusted.

A federated identity credential naming one exact subject is only as safe as its issuer: whoever serves
https://evil.example.net's keys signs `sub: agent`. Trusted issuers come from `--trusted-issuer URL` or the base
branch's waivers.yaml `policyPackConfig`, never from the pull request's stack file.
"""

from __future__ import annotations

import pytest

from agentid.mock_provider import MOCK_TENANT

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, carry_pack_config, git, write_settings, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

EVIL = "https://evil.example.net"
OURS = "https://spire-oidc.example.org"
# the stack's own identity (a credential on one it does not define is AGID-AZ-044's)
IDENTITY = '''
import pulumi_azure_native as azure_native
identity = azure_native.managedidentity.UserAssignedIdentity("id1", resource_group_name="rg")
'''
FEDERATED = '''
azure_native.managedidentity.FederatedIdentityCredential(
    "trusts-{name}", resource_group_name="rg", resource_name_=identity.name, issuer="{issuer}", subject="agent-{name}",
    audiences=["api://AzureADTokenExchange"])
'''
# a platform's issuer naming no tenant in its subjects (GitHub's "agent-N" subjects would name no repository
# owner: AGID-GEN-006), nor a customer's own issuer (Google's with a subject that is no stack service account, a GKE
# cluster's of another project: AGID-GEN-009): the stack's own Entra tenant (the tenant the gate's mocks give it)
PLATFORM = f"https://login.microsoftonline.com/{MOCK_TENANT}/v2.0"


def program(project, *issuers: str) -> None:
    """Federated credentials trusting `issuers`, in a project whose gate trusts no self-run issuer yet."""
    write_small(project, IDENTITY + "\n".join(FEDERATED.format(name=i, issuer=issuer) for i, issuer in enumerate(issuers)))


def issuer_findings(run) -> list[tuple[str, bool]]:
    return [(v["resourceName"], v["mandatory"]) for v in by_policy(run.json("out.json"), "AGID-GEN-003")]


def test_an_unknown_issuer_blocks_and_a_platform_issuer_passes(project) -> None:
    program(project, EVIL, PLATFORM)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    assert issuer_findings(run) == [("trusts-0", True)]
    assert "Trusted issuers (trustedIssuers the packs judged with):" in run.stdout
    assert "none listed (only platform issuers pass)" in run.stdout


def test_the_gate_operator_trusts_an_issuer_with_the_option_and_the_report_shows_it(project) -> None:
    program(project, OURS, PLATFORM)
    run = run_cli(project, *GUARD, "--trusted-issuer", OURS + "/", "--json", "out.json")
    assert run.code == 0, run.stdout
    assert issuer_findings(run) == []
    # every rule that judges issuers reads the trusted list (GEN-003; AWS-067 for Cognito identity pools; GEN-006 for EKS;
    # GEN-009 for a customer's own cluster or pool; GEN-010 for a provider the stack does not define)
    assert f"agent-guard: {OURS} (AGID-AWS-067, AGID-GEN-003, AGID-GEN-006, AGID-GEN-009, AGID-GEN-010)" in run.stdout
    assert run.json("out.json")["policyPacks"][0]["config"]["AGID-GEN-003"]["trustedIssuers"] == [OURS]
    # a look-alike host of the trusted issuer stays blocked
    program(project, OURS + ".evil.example.net")
    run = run_cli(project, *GUARD, "--trusted-issuer", OURS, "--json", "out.json")
    assert run.code == 1 and issuer_findings(run) == [("trusts-0", True)], run.stdout


def test_the_stack_file_cannot_trust_an_issuer_but_the_base_branchs_waiver_file_can(project) -> None:
    program(project, EVIL)
    git(project, "init", "-q", "-b", "main")
    write_settings(project, {"agent-guard": {"AGID-GEN-003": {"trustedIssuers": [OURS]}}})
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    carry_pack_config(project, f'AGID-GEN-003: {{trustedIssuers: ["{OURS}", "{EVIL}"], enforcementLevel: advisory}}\n')
    run = run_cli(project, *GUARD, "--waivers-from-ref", "main", "--json", "out.json")
    assert run.code == 1, run.stdout
    assert issuer_findings(run) == [("trusts-0", True)]
    document = run.json("out.json")
    assert document["policyPacks"][0]["config"]["AGID-GEN-003"]["trustedIssuers"] == [OURS]
    assert any(note.startswith("agent-guard/AGID-GEN-003: config asks for trustedIssuers=")
               for note in document["enforcementFloor"])
    # the base branch's issuer passes
    program(project, OURS)
    assert run_cli(project, *GUARD, "--waivers-from-ref", "main").code == 0


def test_the_base_branchs_waiver_file_trusts_an_issuer_once_for_every_rule_and_the_stack_file_cannot(project) -> None:
    """`all: {trustedIssuers}` reaches every rule that judges issuers, as --trusted-issuer does (one list instead of
    one per rule); the pull request's own `all` entry still cannot lengthen it."""
    program(project, EVIL, OURS)
    git(project, "init", "-q", "-b", "main")
    write_settings(project, {"agent-guard": {"all": {"trustedIssuers": [OURS]}}})
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    carry_pack_config(project, f'all: {{trustedIssuers: ["{EVIL}"]}}\n')
    run = run_cli(project, *GUARD, "--waivers-from-ref", "main", "--json", "out.json")
    assert run.code == 1, run.stdout
    assert issuer_findings(run) == [("trusts-0", True)]
    config = run.json("out.json")["policyPacks"][0]["config"]
    assert {name: entry["trustedIssuers"] for name, entry in config.items() if "trustedIssuers" in entry} == {
        name: [OURS] for name in ("AGID-AWS-067", "AGID-GEN-003", "AGID-GEN-006", "AGID-GEN-009", "AGID-GEN-010")}
    assert f"agent-guard: {OURS} (AGID-AWS-067, AGID-GEN-003, AGID-GEN-006, AGID-GEN-009, AGID-GEN-010)" in run.stdout


# A trusted issuer obeys the agent file's URL rules (components/https_url.py), wherever it comes from (az18 item 3): one
# string that parsers read as two hosts or paths, or an address no credential may go to, is refused with the rule.
BAD_ISSUERS = {
    "http://oidc.example.org": "is not an https URL",
    "oidc.example.org": "is not an https URL",
    "https://oidc.example.org?x=1": "query or fragment",
    "https://oidc.example.org\\@evil.example.net": "holds a backslash",
    "https://oidc.example.org@evil.example.net": "holds userinfo",
    "https://oidc.example.org/a/../b": "'.' or '..' path segment",
    "https://oidc%2eexample.org": "",  # '%' in the host (whatever words the rule uses)
    "https://169.254.169.254": "link-local",
    "https://oidc.example.org:443": "default",
}


@pytest.mark.parametrize("bad", list(BAD_ISSUERS))
def test_a_trusted_issuer_that_is_not_a_plain_https_url_is_a_config_error(project, bad) -> None:
    program(project, PLATFORM)
    run = run_cli(project, *GUARD, "--trusted-issuer", bad)
    assert run.code == 2 and f"--trusted-issuer {bad!r} " in run.stdout and BAD_ISSUERS[bad] in run.stdout, run.stdout


def test_the_waiver_files_trusted_issuers_obey_the_same_rules(project) -> None:
    program(project, OURS)
    write_settings(project, {"agent-guard": {"AGID-GEN-003": {"trustedIssuers": [OURS, "https://oidc.example.org\\@evil.example.net"]}}})
    run = run_cli(project, *GUARD)
    assert run.code == 2, run.stdout
    assert ("AGID-GEN-003.trustedIssuers.1: 'https://oidc.example.org\\\\@evil.example.net' holds a backslash"
            in " ".join(run.stdout.split())), run.stdout
    write_settings(project, {"agent-guard": {"AGID-GEN-003": {"trustedIssuers": [OURS + "/"]}}})  # a trailing '/' is fine
    assert run_cli(project, *GUARD).code == 0
