"""Resource options given to an AgentFleet reach every resource it creates (depends_on is not inherited by Pulumi)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from agentid.mock_engine import run_program
from agentid_components.aws.fleet import AwsSettings
from agentid_components.azure.fleet import AzureSettings
from agentid_components.fleet import AgentFleet
from agentid_components.loader import LoadedInventory
from agentid_components.spec import Inventory

AGENT = {
    "name": "reporter", "owner": "data-team", "purpose": "Write the weekly report", "environment": "dev",
    "review_by": "2099-06-30",
    "tools": [{"name": "put-report", "aws": {"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::reports/weekly/*"]}}],
    "trust": [{"github_actions": {"repository": "acme/reports", "branch": "main"}}],
}


def fleet_program(opts_of):
    def program() -> None:
        loaded = LoadedInventory(Inventory.model_validate({"agents": [AGENT]}), "agents.yaml", {})
        AgentFleet("agents", loaded, AwsSettings(), AzureSettings(), opts_of())
    return program


def test_depends_on_holds_for_every_descendant():

    def opts() -> pulumi.ResourceOptions:
        bucket = aws.s3.Bucket("landing", bucket="acme-landing")
        return pulumi.ResourceOptions(depends_on=[bucket])

    run = run_program(fleet_program(opts))
    [bucket] = run.of_type("aws:s3/bucket:Bucket")
    fleet_resources = [r for r in run.resources if r.name.startswith("agents")]
    assert len(fleet_resources) == 8  # fleet, AWS fleet, OIDC provider, identity, role, boundary, 2 inline policies
    assert [r.name for r in fleet_resources if bucket.urn not in r.dependencies] == []


def test_without_depends_on_nothing_waits_for_an_unrelated_resource():
    def opts() -> pulumi.ResourceOptions:
        aws.s3.Bucket("landing", bucket="acme-landing")
        return pulumi.ResourceOptions()

    run = run_program(fleet_program(opts))
    [bucket] = run.of_type("aws:s3/bucket:Bucket")
    assert all(bucket.urn not in r.dependencies for r in run.resources)


def test_data_source_calls_go_through_the_fleets_provider():
    """The account id in the role's self-assume trust and boundary comes from getCallerIdentity: asked of the
    default provider, a fleet in a second account would name the first account."""
    providers = []

    def opts() -> pulumi.ResourceOptions:
        providers.append(aws.Provider("second-account", region="us-east-1",
                                      assume_roles=[{"role_arn": "arn:aws:iam::222222222222:role/deployer"}]))
        return pulumi.ResourceOptions(provider=providers[0])

    run = run_program(fleet_program(opts))
    [provider] = run.of_type("pulumi:providers:aws")
    reference = f"{provider.urn}::{provider.id}"
    assert sorted(run.calls) == [("aws:index/getCallerIdentity:getCallerIdentity", reference),
                                 ("aws:index/getPartition:getPartition", reference)]
    assert {r.name: r.provider for r in run.resources if r.custom and r.type != provider.type} == {
        name: reference for name in ("agents-aws-github-actions", "agents-aws-reporter-boundary", "agents-aws-reporter-role",
                                     "agents-aws-reporter-put-report", "agents-aws-reporter-revocation-read")}
