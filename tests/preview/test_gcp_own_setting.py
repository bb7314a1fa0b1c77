"""End to end (`agentid preview`): which Google Cloud principals are the organisation's is the gate's to say (issue
11, AGID-GCP-021). A PAM entitlement's approver or requester outside the organisation passed; inside is what the
gate lists (`--own-gcp-domain`, `--own-gcp-project`, or the pack-wide `all: {ownGcpDomains, ownGcpProjects}` of
the base branch's waivers.yaml), never what the pull request's stack file adds."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, carry_pack_config, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

RULE = "AGID-GCP-021"
ENTITLEMENT = '''
import pulumi_gcp as gcp
gcp.privilegedaccessmanager.Entitlement("break-glass", entitlement_id="break-glass", location="global",
    parent="projects/acme-prod", max_request_duration="3600s",
    eligible_users=[{{"principals": ["group:sre@acme.example"]}}],
    privileged_access={{"gcp_iam_access": {{"resource": "//cloudresourcemanager.googleapis.com/projects/acme-prod",
        "resource_type": "cloudresourcemanager.googleapis.com/Project", "role_bindings": [{{"role": "roles/owner"}}]}}}},
    requester_justification_config={{"unstructured": {{}}}},
    approval_workflow={{"manual_approvals": {{"steps": [{{"approvals_needed": 1,
        "approvers": {{"principals": ["{approver}"]}}}}]}}}})
'''


def findings(run) -> list[tuple[str, bool]]:
    return [(v["resourceName"], v["mandatory"]) for v in by_policy(run.json("out.json"), RULE)]


def test_the_gates_own_domain_makes_an_approver_inside(project: Path) -> None:
    write_small(project, ENTITLEMENT.format(approver="group:security@acme.example"))
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert findings(run) == [("break-glass", True)], run.stdout  # no domain listed: cannot tell
    run = run_cli(project, *GUARD, "--own-gcp-domain", "acme.example", "--json", "out.json")
    assert findings(run) == [], run.stdout + run.stderr
    config = run.json("out.json")["policyPacks"][0]["config"]
    assert config[RULE]["ownGcpDomains"] == ["acme.example"]
    assert "Own Google Cloud principals (the lists the packs judged with):" in run.stdout
    [line] = [line for line in run.stdout.replace("\n", " ").split("  ") if "ownGcpDomains: agent-guard:" in line]
    assert line.strip().startswith("ownGcpDomains: agent-guard: acme.example (AGID-GCP-006, AGID-GCP-021, AGID-GCP-024, AGID-GCP-025"), line


@pytest.mark.parametrize("approver", ["user:attacker@gmail.com", "group:x@evil.example",
                                      "serviceAccount:x@other-project.iam.gserviceaccount.com"])
def test_an_outside_approver_blocks_whatever_the_gate_lists(project: Path, approver: str) -> None:
    write_small(project, ENTITLEMENT.format(approver=approver))
    run = run_cli(project, *GUARD, "--own-gcp-domain", "acme.example", "--own-gcp-project", "acme-prod",
                  "--json", "out.json")
    assert run.code == 1
    assert findings(run) == [("break-glass", True)], run.stdout


def test_the_stack_file_cannot_add_an_own_domain(project: Path) -> None:
    write_small(project, ENTITLEMENT.format(approver="user:attacker@evil.example"))
    carry_pack_config(project, 'all: {ownGcpDomains: ["acme.example", "evil.example"]}\n')
    run = run_cli(project, *GUARD, "--own-gcp-domain", "acme.example", "--json", "out.json")
    assert run.code == 1
    assert findings(run) == [("break-glass", True)], run.stdout
    document = run.json("out.json")
    assert document["policyPacks"][0]["config"][RULE]["ownGcpDomains"] == ["acme.example"]
    assert any(note.startswith(f"agent-guard/{RULE}: config asks for ownGcpDomains=")
               for note in document["enforcementFloor"])


def test_bad_values_are_one_line_errors(project: Path) -> None:
    write_small(project, ENTITLEMENT.format(approver="group:security@acme.example"))
    for flag, value in (("--own-gcp-domain", "acme"), ("--own-gcp-project", "Bad_Project")):
        run = run_cli(project, *GUARD, flag, value)
        assert run.code == 2
        assert f"{flag} {value!r}: not a" in run.stdout + run.stderr
        assert "Traceback" not in run.stdout + run.stderr
