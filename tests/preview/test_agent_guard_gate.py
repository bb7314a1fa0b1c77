"""The gate with the real agent_guard pack: the example stack passes; hand-written risks beside it fail.

These are the issue's acceptance tests. They need the agent_guard pack and the
AWS/Azure components; without the pack they are skipped (reported by pytest -ra).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, REPO, SARIF_SCHEMA, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
OWNER_ROLE_ID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"

# Appended to the example program: four risks written by hand, outside any agent spec.
HAND_WRITTEN = f'''

# --- hand-written beside the fleet -----------------------------------------------------------
import json as _json  # noqa: E402

import pulumi_aws as _aws  # noqa: E402
import pulumi_azure_native as _azure_native  # noqa: E402

_aws.iam.AccessKey("ci-deployer-key", user="ci-deployer")
_aws.iam.Policy("break-glass-admin", policy=_json.dumps({{
    "Version": "2012-10-17",
    "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*"}}],
}}))
_azure_native.authorization.RoleAssignment(
    "ops-owner",
    principal_id="00000000-0000-4000-8000-00000000abcd",
    principal_type="ServicePrincipal",
    role_definition_id="/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{OWNER_ROLE_ID}",
    scope="/subscriptions/{SUBSCRIPTION}",
)
_aws.iam.Role("github-deployer", assume_role_policy=_json.dumps({{
    "Version": "2012-10-17",
    "Statement": [{{
        "Effect": "Allow",
        "Principal": {{"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {{"StringEquals": {{"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}},
    }}],
}}))
'''

# resource name -> (type, the rule that must flag it)
EXPECTED = {
    "ci-deployer-key": ("aws:iam/accessKey:AccessKey", "AGID-AWS-001"),
    "break-glass-admin": ("aws:iam/policy:Policy", "AGID-AWS-010"),
    "ops-owner": ("azure-native:authorization:RoleAssignment", "AGID-AZ-010"),
    "github-deployer": ("aws:iam/role:Role", "AGID-AWS-031"),
}


def validate_sarif(document: dict) -> None:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(document)


def test_the_example_dev_stack_passes(tmp_path: Path) -> None:
    # The README's quick start, from the repository root, with the default pack.
    run = run_cli(REPO, "--stack", "dev", "--sarif", str(tmp_path / "dev.sarif"), "--json", str(tmp_path / "dev.json"))
    assert run.code == 0, run.stdout + run.stderr
    result = json.loads((tmp_path / "dev.json").read_text())
    assert result["policyPacks"][0]["name"] == "agent-guard"
    assert {a["name"] for a in result["agents"]} == {"support-triage", "report-builder", "deploy-reviewer", "data-ingest", "bq-analyst"}
    assert all(a["resources"] > 0 for a in result["agents"])  # every agent's resources were attributed to it
    sarif = json.loads((tmp_path / "dev.sarif").read_text())
    validate_sarif(sarif)
    # No result at all, and no waiver in force: nothing in the example expires, so it passes on any day
    # (test_the_example_passes_on_any_day)
    assert [(r["ruleId"], r["properties"].get("resourceName")) for r in sarif["runs"][0]["results"]] == []
    assert result["waivers"]["inForce"] == [] and result["waivers"]["findings"] == []
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == len({r["id"] for r in rules}) == len(result["policyPacks"][0]["policies"])


def test_the_example_passes_on_any_day(tmp_path: Path) -> None:
    """The quick start holds on the last day of 2098: no dated waiver, no certificate, no review date passes before.

    `--today` fixes the clock (the suite's own is pinned too, tests/conftest.py)."""
    run = run_cli(REPO, "--stack", "dev", "--today", "2098-12-31", "--json", str(tmp_path / "dev.json"))
    assert run.code == 0, run.stdout + run.stderr
    result = json.loads((tmp_path / "dev.json").read_text())
    assert [(v["policy"], v["resourceName"]) for v in result["violations"]] == []
    assert result["verdict"] == "pass"


def test_a_bound_client_certificate_blocks_until_waived(project: Path, today) -> None:
    """The kit's `client_certificate` binding: AGID-AZ-001 blocks the Entra certificate credential it makes; a waiver
    in the gate's waivers.yaml accepts it until its expiry and shows in SARIF as a suppression with its justification.
    The certificate and the waiver are made for the day the test runs (two years / 90 days ahead), never dated."""
    import datetime as dt

    import yaml

    from tests.azure.builders import write_certificate

    agents = project / "stacks" / "agents" / "dev.yaml"
    not_after = dt.datetime.combine(today + dt.timedelta(days=730), dt.time(), dt.timezone.utc)
    write_certificate(agents.parent / "certs", "data-ingest-client.pem", not_after=not_after)
    text = agents.read_text()
    assert text.count("    max_credential_minutes: 30\n") == 1  # data-ingest's
    agents.write_text(text.replace("    max_credential_minutes: 30\n",
                                   "    max_credential_minutes: 30\n    client_certificate: certs/data-ingest-client.pem\n"))
    run = run_cli(project, "--stack", "dev", "--json", "blocked.json")
    assert run.code == 1, run.stdout + run.stderr
    blocking = [(v["policy"], v["resourceName"], v["resourceType"]) for v in run.json("blocked.json")["violations"]
                if v["mandatory"]]
    assert blocking == [("AGID-AZ-001", "agents-azure-data-ingest-entra-certificate",
                         "azuread:index/applicationCertificate:ApplicationCertificate")]

    expires = (today + dt.timedelta(days=90)).isoformat()
    waivers = project / "waivers.yaml"
    document = yaml.safe_load(waivers.read_text())  # keeps the trusted issuers (policyPackConfig)
    document["waivers"] = [{
        "rule": "AGID-AZ-001", "resource": "agents-azure-data-ingest-entra-certificate",
        "type": "azuread:index/applicationCertificate:ApplicationCertificate",
        "reason": "the private key is non-exportable in the partner's HSM", "approver": "security@example.com",
        "expires": expires,
        # pinned to the finding reviewed: the gate shows its fingerprint beside the violation
        "finding": next(v["finding"] for v in run.json("blocked.json")["violations"] if v["mandatory"])}]
    waivers.write_text(yaml.safe_dump(document, sort_keys=False))
    run = run_cli(project, "--stack", "dev", "--sarif", "dev.sarif", "--json", "dev.json")
    assert run.code == 0, run.stdout + run.stderr
    sarif = run.json("dev.sarif")
    validate_sarif(sarif)
    errors = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert [(r["ruleId"], r["properties"]["resourceName"]) for r in errors] == [
        ("AGID-AZ-001", "agents-azure-data-ingest-entra-certificate")]
    assert errors[0]["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": f"the private key is non-exportable in the partner's HSM (approved by security@example.com, "
                         f"expires {expires})",
        "properties": {"approver": "security@example.com", "expires": expires,
                       "finding": document["waivers"][0]["finding"]}}]
    [violation] = run.json("dev.json")["violations"]
    assert (violation["mandatory"], violation["waiver"]["expires"]) == (False, expires)
    assert run.json("dev.json")["waivers"]["findings"] == []


def test_hand_written_risks_beside_the_fleet_fail_the_gate(project: Path) -> None:
    program = project / "stacks" / "__main__.py"
    program.write_text(program.read_text() + HAND_WRITTEN)
    run = run_cli(project, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--sarif", "out.sarif")
    assert run.code == 1, run.stdout + run.stderr

    sarif = run.json("out.sarif")
    validate_sarif(sarif)
    results = [r for r in sarif["runs"][0]["results"] if "suppressions" not in r]  # waived: waivers.yaml
    errors = [r for r in results if r["level"] == "error"]
    # Exactly the four mandatory violations, one per hand-written resource, each by its rule.
    assert sorted((r["properties"]["resourceName"], r["properties"]["resourceType"], r["ruleId"]) for r in errors) == sorted(
        (name, type_, rule) for name, (type_, rule) in EXPECTED.items()
    )
    # Nothing else in the stack is reported at all, not even as advisory, except on those four resources.
    assert {r["properties"]["resourceName"] for r in results} <= set(EXPECTED), [
        (r["ruleId"], r["properties"]["resourceName"]) for r in results
    ]
    lines = program.read_text().splitlines()
    for result in errors:
        name, urn = result["properties"]["resourceName"], result["properties"]["urn"]
        assert name in result["message"]["text"] and urn in result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "stacks/__main__.py"  # no agent: located in the program
        assert f'"{name}"' in lines[location["region"]["startLine"] - 1] or f'"{name}"' in lines[location["region"]["startLine"]]
