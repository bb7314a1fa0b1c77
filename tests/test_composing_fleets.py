"""Composing stacks in a user's project: several AgentFleets, one nested in the project's own component, with
explicit providers for a second AWS account and an Azure subscription.

The project is README.md's "Use it from your own project" (Pulumi.yaml, Pulumi.dev.yaml, agents.yaml) with the
files of its subsection "Several fleets in one stack", written to a directory outside the repository: it imports
`agentid_components` from the installed package. `agentid preview` runs and judges it (URNs and parents as the
engine computes them); the program runs once more under Pulumi's mocks for what the preview report does not
show: each resource's provider, each data-source call's provider, aliases and protect.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from agentid_components import naming
from tests.test_consumer_project import readme_files as section_files  # the files of the section above

REPO = Path(__file__).resolve().parents[1]
PROJECT = "acme-agents"
AWS_FLEET, AWS_ID, AZ_FLEET, AZ_ID = ("agentid:aws:AgentFleet", "agentid:aws:AgentIdentity",
                                      "agentid:azure:AgentFleet", "agentid:azure:AgentIdentity")
FLEET, TEAM = "agentid:index:AgentFleet", "acme:index:Team"
ROLE, POLICY, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
POOL, DOMAIN, SERVER = ("aws:cognito/userPool:UserPool", "aws:cognito/userPoolDomain:UserPoolDomain",
                        "aws:cognito/resourceServer:ResourceServer")
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
SECRET, VERSION, SECRET_POLICY = ("aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion",
                                  "aws:secretsmanager/secretPolicy:SecretPolicy")
MI = "azure-native:managedidentity:UserAssignedIdentity"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
ROLE_DEF, ASSIGNMENT = "azure-native:authorization:RoleDefinition", "azure-native:authorization:RoleAssignment"
AWS_PROVIDER, AZURE_PROVIDER = "pulumi:providers:aws", "pulumi:providers:azure-native"

# What one agent with an SQS tool and a Cognito OAuth tool compiles to under its AwsAgentIdentity (README's triage).
TRIAGE_CHILDREN = [(ROLE, "role"), (POLICY, "boundary"), (ROLE_POLICY, "read-queue"), (ROLE_POLICY, "revocation-read"),
                   (CLIENT, "oauth-client"), (SECRET, "oauth-client-secret"), (VERSION, "oauth-client-secret"),
                   (SECRET_POLICY, "oauth-client-secret"), (ROLE_POLICY, "oauth-client-secret")]


def composing_files() -> dict[str, str]:
    """The subsection's files (each block's first line names it)."""
    text = (REPO / "README.md").read_text()
    start = text.index("\n### Several fleets in one stack\n")
    section = text[start:text.index("\n## ", start)]
    blocks = re.findall(r"```(?:yaml|python)\n(.*?)```", section, re.S)
    return {block.splitlines()[0].removeprefix("# "): block.split("\n", 1)[1] for block in blocks}


def write_project(root: Path, replace: dict[str, tuple[str, str]] | None = None) -> Path:
    """README's project with the composing program; `replace`: file -> (old text, new text) for a variant."""
    files = {name: section_files()[name] for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "agents.yaml")}
    files["Pulumi.yaml"] = files["Pulumi.yaml"].replace("name: acme-agents", f"name: {PROJECT}")
    # This program references no platform stack: it creates its own shared objects.
    files["Pulumi.dev.yaml"] = "config:\n  aws:region: eu-west-1\n  azure-native:location: westeurope\n"
    files.update(composing_files())
    assert set(files) == {"Pulumi.yaml", "Pulumi.dev.yaml", "agents.yaml", "data-agents.yaml", "__main__.py"}
    for name, (old, new) in (replace or {}).items():
        assert old in files[name], (name, old)
        files[name] = files[name].replace(old, new)
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def preview(project: Path) -> tuple[subprocess.CompletedProcess, dict]:
    completed = subprocess.run([sys.executable, "-m", "agentid.cli", "preview", "--stack", "dev", "--json", "out.json",
                                "--trusted-repository-owner", "acme",  # README's agents are acme's (AGID-GEN-006)
                                # the us-account provider assumes a role there (AGID-PRV-004), as the README says
                                "--own-account", "222222222222",
                                # the data team's provider deploys into its subscription (AGID-AZ-067), likewise
                                "--own-subscription", "00000000-0000-0000-0000-0000000000da"],
                               cwd=project, capture_output=True, text=True, timeout=600)
    return completed, json.loads((project / "out.json").read_text())


MOCK_DUMP = """
import json, sys
from agentid.mock_engine import run_program_dir
run = run_program_dir(".", project=sys.argv[1])
print(json.dumps({"resources": [{"name": r.name, "type": r.type, "urn": r.urn, "provider": r.provider,
                                 "aliases": r.aliases, "protect": r.protect, "inputs": r.inputs} for r in run.resources],
                  "calls": run.calls, "outputs": run.outputs}))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("acme") / "acme-agents")


@pytest.fixture(scope="module")
def previewed(project: Path) -> dict:
    completed, report = preview(project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return report


@pytest.fixture(scope="module")
def mocked(project: Path) -> dict:
    """The program under mocks in a fresh interpreter (-I: no repository path, the installed package only)."""
    completed = subprocess.run([sys.executable, "-I", "-c", MOCK_DUMP, PROJECT], cwd=project, capture_output=True,
                               text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def _urn(chain: list[str], name: str) -> str:
    return f"urn:pulumi:dev::{PROJECT}::{'$'.join(chain)}::{name}"


def expected_tree() -> dict[str, str | None]:
    """Every URN the program registers -> its parent's URN, as Pulumi computes them (type chain, own name)."""
    tree: dict[str, str | None] = {}

    def add(chain: list[str], name: str, parent: str | None) -> str:
        tree[_urn(chain, name)] = parent
        return _urn(chain, name)

    add([AWS_PROVIDER], "us-account", None)
    add([AZURE_PROVIDER], "data-subscription", None)
    for fleet in ("support", "support-us"):
        top = add([FLEET], fleet, None)
        aws = add([FLEET, AWS_FLEET], f"{fleet}-aws", top)
        shared = [(OIDC, "github-actions"), (POOL, "oauth"), (DOMAIN, "oauth"), (SERVER, "oauth-mcp.acme.example")]
        for type_token, local in shared:
            add([FLEET, AWS_FLEET, type_token], f"{fleet}-aws-{local}", aws)
        identity = add([FLEET, AWS_FLEET, AWS_ID], f"{fleet}-aws-triage", aws)
        for type_token, local in TRIAGE_CHILDREN:
            add([FLEET, AWS_FLEET, AWS_ID, type_token], f"{fleet}-aws-triage-{local}", identity)
    team = add([TEAM], "data", None)
    fleet = add([TEAM, FLEET], "data-agents", team)
    azure = add([TEAM, FLEET, AZ_FLEET], "data-agents-azure", fleet)
    loader = add([TEAM, FLEET, AZ_FLEET, AZ_ID], "data-agents-azure-loader", azure)
    chain = [TEAM, FLEET, AZ_FLEET, AZ_ID]
    add([*chain, MI], "data-agents-azure-loader-identity", loader)
    add([*chain, ROLE_DEF], "data-agents-azure-loader-read-exports-role", loader)
    add([*chain, ASSIGNMENT], "data-agents-azure-loader-read-exports-assignment", loader)
    credential = naming.azure_federated_credential_name("github_actions", "https://token.actions.githubusercontent.com",
                                                        "repo:acme/loader:ref:refs/heads/main")
    add([*chain, FIC], f"data-agents-azure-loader-{credential}", loader)
    return tree


def test_every_urn_and_parent_is_pulumis(previewed: dict):
    assert {r["urn"]: r["parent"] for r in previewed["resources"]} == expected_tree()


def test_the_gate_judges_every_fleet_and_passes(previewed: dict):
    assert (previewed["verdict"], previewed["exitCode"], previewed["error"]) == ("pass", 0, None)
    assert previewed["violations"] == []
    # each fleet's resources are its agent's (the report's `agent`/`cloud`: where SARIF and revocation point)
    owners = {r["name"]: (r["agent"], r["cloud"]) for r in previewed["resources"]}
    assert owners.pop("us-account") == owners.pop("data-subscription") == (None, None)
    assert owners == {name: ("triage", "aws") if name.startswith("support") else ("loader", "azure") for name in owners}


def test_physical_names_stay_apart_per_account(mocked: dict):
    roles = sorted(r["inputs"]["name"] for r in mocked["resources"] if r["type"] == ROLE)
    assert roles == ["agent-triage-dev", "agent-triage-dev-us"]
    secrets = sorted(r["inputs"]["name"] for r in mocked["resources"] if r["type"] == SECRET)
    assert secrets == ["agentid/triage-dev-us/oauth-client-secret", "agentid/triage-dev/oauth-client-secret"]
    domains = sorted(r["inputs"]["domain"] for r in mocked["resources"] if r["type"] == DOMAIN)
    assert domains == ["acme-agents-us", naming.cognito_domain_prefix(PROJECT, "dev")]
    [identity] = [r for r in mocked["resources"] if r["type"] == MI]
    assert identity["inputs"]["resourceName"] == "id-agent-loader-dev"
    assert all(len(name) <= naming.AWS_ROLE_NAME_MAX for name in roles)


def test_each_fleet_uses_its_own_providers(mocked: dict):
    providers = {r["name"]: f"{r['urn']}::{r['name']}-id" for r in mocked["resources"] if r["type"].startswith("pulumi:providers:")}
    by_name = {r["name"]: r for r in mocked["resources"]}
    for resource in mocked["resources"]:
        if resource["type"].startswith(("agentid:", "acme:", "pulumi:providers:")):
            continue
        name = resource["name"]
        expected = (providers["us-account"] if name.startswith("support-us-")
                    else providers["data-subscription"] if name.startswith("data-") else None)
        assert resource["provider"] == expected, name
    assert by_name["data-agents-azure-loader-identity"]["provider"] == providers["data-subscription"]
    # The data-source calls (the account a trust policy names, the partition, the region, the deployer) go through
    # the fleet's provider too: once through the default provider, once through the second account's.
    calls = Counter((token.split(":")[-1], provider) for token, provider in mocked["calls"])
    assert calls == {(call, provider): 1 if call != "getCallerIdentity" else 2
                     for call in ("getCallerIdentity", "getPartition", "getRegion", "getSessionContext")
                     for provider in (None, providers["us-account"])}


def test_protect_reaches_the_nested_fleet_and_only_it(mocked: dict):
    protected = sorted(r["name"] for r in mocked["resources"] if r["protect"])
    # the Team and every descendant (the mocks' URNs name the parent's type only: told apart by name here)
    assert protected == sorted(r["name"] for r in mocked["resources"] if r["name"] == "data" or r["name"].startswith("data-agents"))


def test_only_the_first_fleet_keeps_the_old_names_as_aliases(mocked: dict):
    """Stacks deployed before the naming convention named these children without the fleet's name: the first fleet
    keeps those names as aliases (its grandchildren inherit theirs from Pulumi's prefix rule)."""
    aliased = {r["name"]: r["aliases"] for r in mocked["resources"] if r["aliases"] and not r["type"].startswith("azure")}
    assert aliased == {"support-aws": ["aws"], "support-aws-github-actions": ["github-actions"],
                       "support-aws-oauth": ["oauth"], "support-aws-oauth-mcp.acme.example": ["oauth-mcp.acme.example"],
                       "support-aws-triage": ["triage"]}


@pytest.mark.parametrize(("replace", "message"), [
    pytest.param({"__main__.py": ('AwsSettings(name_suffix="dev-us", cognito_domain="acme-agents-us")',
                                  'AwsSettings(cognito_domain="acme-agents-us")')},
                 "AgentFleet 'support-us': agent 'triage' would get AWS IAM role 'agent-triage-dev', which agent "
                 "'triage' of AgentFleet 'support' gets too: give one fleet its own name suffix (AwsSettings / "
                 "AzureSettings / GcpSettings name_suffix)", id="same agent, same suffix"),
    pytest.param({"__main__.py": ('AwsSettings(name_suffix="dev-us", cognito_domain="acme-agents-us")',
                                  'AwsSettings(name_suffix="dev-us")')},
                 f"AgentFleet 'support-us': its Cognito user pool would get Cognito domain "
                 f"'{naming.cognito_domain_prefix(PROJECT, 'dev')}', which its Cognito user pool of AgentFleet 'support' "
                 "gets too: set awsCognitoDomain (AwsSettings cognito_domain) on one, or reference one pool from both",
                 id="two pools, one domain"),
    pytest.param({"data-agents.yaml": ("name: loader\n    owner: data-team", "name: triage\n    owner: data-team")},
                 "AgentFleet 'data-agents': agent 'triage' (owner data-team) and agent 'triage' (owner support-team) of "
                 "AgentFleet 'support' are two agents with one name (the inventory, revocation and the broker know an "
                 "agent by its name): rename one, or give both one owner if they are one agent", id="one name, two owners"),
    pytest.param({"data-agents.yaml": ("repository: acme/loader, branch: main", "repository: acme/triage, environment: dev")},
                 "AgentFleet 'data-agents': agent 'loader' would get GitHub Actions subject "
                 "'repo:acme/triage:environment:dev', which agent 'triage' of AgentFleet 'support' gets too: give each "
                 "agent its own workload", id="two agents, one workflow"),
])
def test_two_fleets_that_would_share_an_object_are_refused_naming_both(tmp_path: Path, replace, message):
    completed, report = preview(write_project(tmp_path / "acme-agents", replace))
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2, output
    assert message in output and "Traceback" not in output
    assert report["exitCode"] == 2
