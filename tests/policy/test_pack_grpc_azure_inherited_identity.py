"""AGID-AZ-059 over gRPC, inherited identities (issue 11): an Automation job schedule or webhook starting a runbook,
a Data Factory pipeline or trigger, a Machine Learning job or schedule run code with the identity of the account,
factory or workspace they name. Named an existing one: "cannot check: runs code as the identity of existing <kind>";
the same resource on the stack's own account, factory or workspace (by name, ARM id or Output) passes.

Before: each flagged case passed `agentid preview` (a JobSchedule on an existing runbook of an existing account with
a managed identity ran it as that identity)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-059"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers"


def res(type_, name, props, dependencies=()):
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(dependencies))


ACCOUNT = res("azure-native:automation:AutomationAccount", "auto", {
    "resourceGroupName": "rg1", "automationAccountName": "agent-auto", "sku": {"name": "Basic"},
    "identity": {"type": "SystemAssigned"}})
FACTORY = res("azure-native:datafactory:Factory", "adf", {"resourceGroupName": "rg1", "factoryName": "agent-adf",
                                                          "identity": {"type": "SystemAssigned"}})
WORKSPACE = res("azure-native:machinelearningservices:Workspace", "ml", {
    "resourceGroupName": "rg1", "workspaceName": "agent-ml", "identity": {"type": "SystemAssigned"}})

# (type, inputs naming `target`, input path, the kind named in the message)
CASES = {
    "job_schedule": ("azure-native:automation:JobSchedule", lambda t: {
        "resourceGroupName": "rg1", "automationAccountName": t, "runbook": {"name": "Reset-Passwords"},
        "schedule": {"name": "hourly"}}, "automationAccountName", "AutomationAccount"),
    "webhook": ("azure-native:automation:Webhook", lambda t: {
        "resourceGroupName": "rg1", "automationAccountName": t, "name": "hook", "runbook": {"name": "Grant-Owner"},
        "isEnabled": True}, "automationAccountName", "AutomationAccount"),
    "adf_pipeline": ("azure-native:datafactory:Pipeline", lambda t: {
        "resourceGroupName": "rg1", "factoryName": t, "activities": [{"name": "a", "type": "WebActivity"}]},
        "factoryName", "Factory"),
    "adf_trigger": ("azure-native:datafactory:Trigger", lambda t: {
        "resourceGroupName": "rg1", "factoryName": t, "properties": {"type": "ScheduleTrigger", "pipelines": [
            {"pipelineReference": {"referenceName": "export-all", "type": "PipelineReference"}}]}},
        "factoryName", "Factory"),
    "ml_job": ("azure-native:machinelearningservices:Job", lambda t: {
        "resourceGroupName": "rg1", "workspaceName": t, "properties": {
            "jobType": "Command", "command": "python train.py", "environmentId": "azureml:env:1"}},
        "workspaceName", "Workspace"),
    "ml_schedule": ("azure-native:machinelearningservices:Schedule", lambda t: {
        "resourceGroupName": "rg1", "workspaceName": t, "scheduleProperties": {"action": {"actionType": "CreateJob"}}},
        "workspaceName", "Workspace"),
}
OWN = {"AutomationAccount": ("agent-auto", ACCOUNT), "Factory": ("agent-adf", FACTORY), "Workspace": ("agent-ml", WORKSPACE)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_starting_code_in_an_existing_account_factory_or_workspace_blocks(pack, case):
    type_, props, path, kind = CASES[case]
    found = stack_findings(pack, RULE, [res(type_, "x", props("prod-" + kind.lower()))], "mandatory")
    assert [name for name, _ in found] == ["x"], found
    assert (f"({path}), which this stack does not define: cannot check: runs code as the identity of existing {kind}"
            in found[0][1]), found


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_resource_on_the_stacks_own_target_passes(pack, case):
    type_, props, path, kind = CASES[case]
    name, target = OWN[kind]
    # a literal names the stack's target only for a resource created after it (depends_on; issue 11, a typed decoy)
    by_name = res(type_, "x", props(name), (target.urn,))
    arm_id = res(type_, "y", props(f"{SUB}/Microsoft.Things/things/{name}"), (target.urn,))
    by_output = res(type_, "z", props(UNKNOWN), (target.urn,))
    assert stack_findings(pack, RULE, [target, by_name, arm_id, by_output]) == []
    unordered = res(type_, "u", props(name))  # not waiting for it: were its create to fail, the existing one runs
    assert [n for n, _ in stack_findings(pack, RULE, [target, unordered], "mandatory")] == ["u"]
    # the stack's name in another resource group is another account / factory / workspace
    elsewhere = res(type_, "w", {**props(name), "resourceGroupName": "rg2"}, (target.urn,))
    assert [n for n, _ in stack_findings(pack, RULE, [target, elsewhere], "mandatory")] == ["w"]
