"""The Google Cloud side of the dev stack, under mocks: exact pools, providers, conditions, members and roles."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentid.mock_engine import MOCK_GCP_PROJECT_NUMBER, run_program_dir
from agentid_components.gcp.plan import GcpCompileError, ProviderPlan, cel_string, plan_fleet
from agentid_components.loader import load_inventory
from agentid_components.spec import Agent

ROOT = Path(__file__).resolve().parents[2]
POOLS = f"projects/{MOCK_GCP_PROJECT_NUMBER}/locations/global/workloadIdentityPools"
GKE_ISSUER = "https://container.googleapis.com/v1/projects/example-analytics-dev/locations/europe-west1/clusters/agents"


@pytest.fixture(scope="module")
def dev_run():
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    return run_program_dir(ROOT / "stacks", stack="dev", config={k: str(v) for k, v in config.items()})


def _by_type(run, token):
    return sorted((r for r in run.of_type(token)), key=lambda r: r.name)


def test_one_pool_per_platform_and_one_provider_per_issuer_pinned_to_exact_subjects(dev_run):
    pools = _by_type(dev_run, "gcp:iam/workloadIdentityPool:WorkloadIdentityPool")
    assert [(p.inputs["workloadIdentityPoolId"], p.inputs["project"], p.inputs["disabled"]) for p in pools] == [
        ("agents-github-dev", "example-agents-dev", False), ("agents-k8s-dev", "example-agents-dev", False),
        ("agents-spiffe-dev", "example-agents-dev", False)]
    providers = {p.inputs["oidc"]["issuerUri"]: p.inputs
                 for p in dev_run.of_type("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")}
    assert sorted(providers) == [GKE_ISSUER, "https://oidc.dev.example.org", "https://token.actions.githubusercontent.com"]
    assert providers["https://oidc.dev.example.org"]["attributeCondition"] == (
        "assertion.sub == 'spiffe://dev.example.org/ns/analytics/sa/bq-analyst'")
    github = providers["https://token.actions.githubusercontent.com"]
    assert github["workloadIdentityPoolId"] == "agents-github-dev"
    assert github["attributeCondition"] == "assertion.sub == 'repo:example-org/analytics-agent:environment:dev'"
    assert github["attributeMapping"] == {"google.subject": "assertion.sub"}
    assert providers[GKE_ISSUER]["attributeCondition"] == "assertion.sub == 'system:serviceaccount:analytics:bq-analyst'"


def test_service_account_and_workload_identity_user_for_exactly_each_principal(dev_run):
    (account,) = dev_run.of_type("gcp:serviceaccount/account:Account")
    assert account.inputs["accountId"] == "agent-bq-analyst-dev"
    assert account.inputs["project"] == "example-agents-dev"
    email = "agent-bq-analyst-dev@example-agents-dev.iam.gserviceaccount.com"
    members = [r.inputs for r in dev_run.of_type("gcp:serviceaccount/iAMMember:IAMMember")]
    assert sorted((m["serviceAccountId"], m["role"], m["member"]) for m in members) == [
        (f"projects/example-agents-dev/serviceAccounts/{email}", "roles/iam.workloadIdentityUser",
         f"principal://iam.googleapis.com/{POOLS}/agents-github-dev/subject/repo:example-org/analytics-agent:environment:dev"),
        (f"projects/example-agents-dev/serviceAccounts/{email}", "roles/iam.workloadIdentityUser",
         f"principal://iam.googleapis.com/{POOLS}/agents-k8s-dev/subject/system:serviceaccount:analytics:bq-analyst"),
        (f"projects/example-agents-dev/serviceAccounts/{email}", "roles/iam.workloadIdentityUser",
         f"principal://iam.googleapis.com/{POOLS}/agents-spiffe-dev/subject/spiffe://dev.example.org/ns/analytics/sa/bq-analyst"),
    ]


def test_tools_bound_at_their_one_resource(dev_run):
    member = "serviceAccount:agent-bq-analyst-dev@example-agents-dev.iam.gserviceaccount.com"
    (dataset,) = dev_run.of_type("gcp:bigquery/datasetIamMember:DatasetIamMember")
    assert dataset.inputs == {"project": "example-analytics-dev", "datasetId": "sales",
                              "role": "roles/bigquery.dataViewer", "member": member}
    (project,) = dev_run.of_type("gcp:projects/iAMMember:IAMMember")
    assert project.inputs == {"project": "example-analytics-dev", "role": "roles/bigquery.jobUser", "member": member}
    (custom,) = dev_run.of_type("gcp:projects/iAMCustomRole:IAMCustomRole")
    assert custom.inputs["roleId"] == "agentid_bq_analyst_save_charts_dev"
    assert custom.inputs["permissions"] == ["storage.objects.create", "storage.objects.get"]
    assert custom.inputs["stage"] == "GA"
    (bucket,) = dev_run.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    assert bucket.inputs == {"bucket": "example-analytics-charts", "member": member,
                             "role": "projects/example-agents-dev/roles/agentid_bq_analyst_save_charts_dev"}
    assert not dev_run.of_type("gcp:serviceaccount/key:Key")


def test_inventory_names_the_account_principals_and_lifetime(dev_run):
    entry = dev_run.outputs["inventory"]["bq-analyst"]
    assert entry["clouds"] == ["gcp"]
    gcp = entry["gcp"]
    assert gcp["service_account"] == "agent-bq-analyst-dev@example-agents-dev.iam.gserviceaccount.com"
    assert gcp["token_lifetime_seconds"] == 900
    assert [p["subject"] for p in gcp["federated_principals"]] == [
        "repo:example-org/analytics-agent:environment:dev", "system:serviceaccount:analytics:bq-analyst",
        "spiffe://dev.example.org/ns/analytics/sa/bq-analyst"]
    assert gcp["tools"]["save-charts"]["roles"] == ["projects/example-agents-dev/roles/agentid_bq_analyst_save_charts_dev"]


def _agent(**overrides) -> Agent:
    base = {
        "name": "a1", "owner": "team", "purpose": "p", "environment": "dev", "review_by": "2031-01-01",
        "tools": [{"name": "t", "gcp": {"roles": ["roles/pubsub.publisher"],
                                        "resource": "//pubsub.googleapis.com/projects/proj-one/topics/events"}}],
        "trust": [{"github_actions": {"repository": "o/r", "branch": "main"}}],
    }
    base.update(overrides)
    return Agent.model_validate(base)


def test_one_provider_admits_exactly_the_union_of_its_agents_subjects():
    one = _agent(name="a1")
    two = _agent(name="a2", trust=[{"github_actions": {"repository": "o/other", "environment": "prod"}}])
    plan = plan_fleet([one, two], "proj-one")
    (provider,) = plan.providers
    assert provider.attribute_condition == "assertion.sub in ['repo:o/other:environment:prod', 'repo:o/r:ref:refs/heads/main']"
    assert [b.subject for b in plan.agents[0].bindings] == ["repo:o/r:ref:refs/heads/main"]


def test_cel_literal_cannot_be_broken_out_of():
    assert cel_string("a'b\\c") == "'a\\'b\\\\c'"
    assert ProviderPlan("p", "q", "i", ("x' || true || '",)).attribute_condition == "assertion.sub == 'x\\' || true || \\''"


def test_lifetime_floor_and_cap():
    assert plan_fleet([_agent(max_credential_minutes=5)], "proj-one").agents[0].token_lifetime_seconds == 600
    assert plan_fleet([_agent(max_credential_minutes=60)], "proj-one").agents[0].token_lifetime_seconds == 3600


def test_missing_project_and_bad_prefix_are_one_line_errors():
    with pytest.raises(GcpCompileError, match="gcpProject"):
        plan_fleet([_agent()], None)
    with pytest.raises(GcpCompileError, match="do not start with 'gcp-'"):
        plan_fleet([_agent()], "proj-one", pool_prefix="gcp")


def test_subject_over_127_bytes_refused():
    long_name = "s" * 120
    agent = _agent(trust=[{"kubernetes": {"issuer": "https://k.example.com", "namespace": "ns",
                                          "service_account": long_name}}])
    with pytest.raises(GcpCompileError, match="at most 127"):
        plan_fleet([agent], "proj-one")


def test_dev_stack_loads_with_gcp_agent():
    loaded = load_inventory(ROOT / "stacks" / "agents" / "dev.yaml")
    assert loaded.inventory.agent("bq-analyst").clouds == ["gcp"]
