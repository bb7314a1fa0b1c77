"""`agentid preview` end to end (issue 11, red14 r14-3): a service account the stack defines in a project the gate
does not list is not the organisation's. A decoy `gcp.serviceaccount.Account(project="attacker-proj")` used to make
the attacker's account "own", so a secretAccessor grant on an own project to it passed; the grant does not depend on
the decoy and is applied even when creating it fails. The same grant to a stack account of an own project passes."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

RULES = {"AGID-GCP-024", "AGID-GCP-025", "AGID-GCP-006"}
GRANT = """import pulumi_gcp as gcp
gcp.serviceaccount.Account("decoy", account_id="evil", project="{project}")
gcp.projects.IAMMember("g2", project="acme-prod", role="roles/secretmanager.secretAccessor",
    member="serviceAccount:evil@{project}.iam.gserviceaccount.com")
"""


def _preview(tmp_path, program):
    tmp_path.mkdir()
    return run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                   "--own-gcp-domain", "acme.example", "--own-gcp-project", "acme-prod", "--json", "gate.json")


def _findings(result):
    return {(v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
            if v["policy"] in RULES}


def test_a_stack_service_account_in_a_foreign_project_is_not_own(tmp_path):
    result = _preview(tmp_path / "foreign", GRANT.format(project="attacker-proj"))
    assert result.code == 1, result.stdout + result.stderr
    assert _findings(result) == {("g2", "AGID-GCP-024", True), ("g2", "AGID-GCP-025", True),
                                 ("g2", "AGID-GCP-006", False)}


def test_a_stack_service_account_in_an_own_project_is_own(tmp_path):
    result = _preview(tmp_path / "own", GRANT.format(project="acme-prod"))
    assert result.code in (0, 1), result.stdout + result.stderr
    assert _findings(result) == set(), result.json("gate.json")["violations"]


DEFAULT_PROJECT = """import pulumi_gcp as gcp
sa = gcp.serviceaccount.Account("sa", account_id="reader")
gcp.projects.IAMMember("g2", project="acme-prod", role="roles/secretmanager.secretAccessor", member=sa.member)
"""


FOREIGN = {("g2", "AGID-GCP-024", True), ("g2", "AGID-GCP-025", True), ("g2", "AGID-GCP-006", False)}


@pytest.mark.parametrize("default_project, expected", [
    # the stack file's default project is the pull request's: naming a foreign one makes nothing own
    ("attacker-proj", FOREIGN),
    # an account with no `project` is created in the provider's (gcp:project): own when the gate lists it (issue 11)
    ("acme-prod", set()),
])
def test_a_stack_account_in_the_providers_default_project_is_own_only_when_the_gate_lists_it(
        tmp_path, default_project, expected):
    (tmp_path / "p").mkdir()
    root = project(tmp_path / "p", DEFAULT_PROJECT)
    (root / "Pulumi.dev.yaml").write_text(f"config:\n  gcp:project: {default_project}\n")
    result = run_cli(root, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--own-gcp-domain", "acme.example",
                     "--own-gcp-project", "acme-prod", "--json", "gate.json")
    assert result.code in ((1,) if expected else (0, 1)), result.stdout + result.stderr  # a project-wide grant: GCP-0xx
    assert _findings(result) == expected, result.json("gate.json")["violations"]


EXPLICIT_PROVIDER = """import pulumi, pulumi_gcp as gcp
other = gcp.Provider("other", project="{project}")
sa = gcp.serviceaccount.Account("sa", account_id="reader", opts=pulumi.ResourceOptions(provider=other))
gcp.projects.IAMMember("g2", project="acme-prod", role="roles/secretmanager.secretAccessor", member=sa.member)
"""


@pytest.mark.parametrize("provider_project, expected", [("attacker-proj", FOREIGN), ("acme-prod", set())])
def test_a_stack_account_is_in_its_explicit_providers_project_not_the_stacks(tmp_path, provider_project, expected):
    """An explicit provider reads no stack config: the account is created in its `project` (an outside one even
    when the stack's gcp:project is own), and the gate judges it there."""
    (tmp_path / "p").mkdir()
    root = project(tmp_path / "p", EXPLICIT_PROVIDER.format(project=provider_project))
    (root / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: acme-prod\n")
    result = run_cli(root, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--own-gcp-domain", "acme.example",
                     "--own-gcp-project", "acme-prod", "--json", "gate.json")
    assert result.code in ((1,) if expected else (0, 1)), result.stdout + result.stderr  # a project-wide grant: GCP-0xx
    assert _findings(result) == expected, result.json("gate.json")["violations"]
