"""The shipped `dev` stack program under Pulumi mocks: every agent lands on its clouds through the components."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentid.mock_engine import run_program_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dev_run():
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    return run_program_dir(ROOT / "stacks", stack="dev", config={k: str(v) for k, v in config.items()})


def test_fleet_tree(dev_run):
    fleet = dev_run.named("agents", "agentid:index:AgentFleet")
    assert fleet.parent is None
    assert {r.type for r in dev_run.children_of(fleet)} == {
        "agentid:aws:AgentFleet", "agentid:azure:AgentFleet", "agentid:gcp:AgentFleet", "agentid:kubernetes:Workloads"}
    aws_fleet = dev_run.named("agents-aws", "agentid:aws:AgentFleet")
    azure_fleet = dev_run.named("agents-azure", "agentid:azure:AgentFleet")
    aws_agents = sorted(r.name for r in dev_run.children_of(aws_fleet) if r.type == "agentid:aws:AgentIdentity")
    azure_agents = sorted(r.name for r in dev_run.children_of(azure_fleet) if r.type == "agentid:azure:AgentIdentity")
    assert aws_agents == ["agents-aws-data-ingest", "agents-aws-deploy-reviewer", "agents-aws-report-builder",
                          "agents-aws-support-triage"]
    assert azure_agents == ["agents-azure-data-ingest", "agents-azure-deploy-reviewer", "agents-azure-report-builder"]
    gcp_fleet = dev_run.named("agents-gcp", "agentid:gcp:AgentFleet")
    assert [r.name for r in dev_run.children_of(gcp_fleet) if r.type == "agentid:gcp:AgentIdentity"] == ["agents-gcp-bq-analyst"]


def test_one_role_per_aws_agent_and_one_identity_per_azure_agent(dev_run):
    assert sorted(r.inputs["name"] for r in dev_run.of_type("aws:iam/role:Role")) == [
        "agent-data-ingest-dev", "agent-deploy-reviewer-dev", "agent-report-builder-dev", "agent-support-triage-dev",
    ]
    assert sorted(r.inputs["resourceName"] for r in dev_run.of_type("azure-native:managedidentity:UserAssignedIdentity")) == [
        "id-agent-data-ingest-dev", "id-agent-deploy-reviewer-dev", "id-agent-report-builder-dev",
    ]


def test_no_static_credentials_anywhere(dev_run):
    forbidden = {"aws:iam/user:User", "aws:iam/accessKey:AccessKey", "aws:iam/userLoginProfile:UserLoginProfile",
                 "azuread:index/applicationPassword:ApplicationPassword",
                 "azuread:index/servicePrincipalPassword:ServicePrincipalPassword"}
    assert not [r for r in dev_run.resources if r.type in forbidden]


def test_inventory_output_merges_spec_facts_and_clouds(dev_run):
    inventory = dev_run.outputs["inventory"]
    assert sorted(inventory) == ["bq-analyst", "data-ingest", "deploy-reviewer", "report-builder", "support-triage"]
    report = inventory["report-builder"]
    assert report["owner"] == "finance-analytics"
    assert report["clouds"] == ["aws", "azure"]
    assert report["credential_lifetime_minutes"] == 10
    assert report["aws"]["role_arn"].endswith(":role/agent-report-builder-dev")
    assert "azure" in report and "aws" not in inventory["support-triage"].get("azure", {})
    assert "azure" not in inventory["support-triage"]


def test_bad_input_on_one_cloud_registers_nothing_on_any(tmp_path):
    # No Azure resource group: the Azure plan fails, and the AWS side must not have registered either.
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    del config["agent-identity-kit:azureResourceGroup"]
    recorded = []
    with pytest.raises(Exception, match="azureResourceGroup"):
        run_program_dir(ROOT / "stacks", stack="dev", config={k: str(v) for k, v in config.items()},
                        on_register=recorded.append)
    assert recorded == []
