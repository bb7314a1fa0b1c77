"""AGID-AZ-056 over gRPC (red11a r10): URLs that are the credential. An Automation webhook beyond the URL-credential cap
and a Logic App with power behind a Request trigger reachable from anywhere block; a short-lived or disabled webhook,
a Request trigger limited to caller ranges and a powerless workflow pass. Expiry dates are relative to now (no test
depends on today's date)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

WEBHOOK = "azure-native:automation:Webhook"
WORKFLOW = "azure-native:logic:Workflow"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"


def in_days(days: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


HOOK = {"resourceGroupName": "rg1", "automationAccountName": "auto1", "name": "deploy", "isEnabled": True,
        "runbook": {"name": "grant-owner"}}


@pytest.mark.parametrize("flagged,alike,fragment", [
    ({**HOOK, "expiryTime": in_days(365 * 70)}, {**HOOK, "expiryTime": in_days(2)}, "above the 7-day cap"),
    (HOOK, {**HOOK, "isEnabled": False}, "with no expiryTime (Azure's default: one year)"),
])
def test_long_lived_webhook_blocks_and_bounded_one_passes(pack, flagged, alike, fragment):
    assert_flagged_and_look_alike(pack, "hook", WEBHOOK, flagged, "AGID-AZ-056", "mandatory", alike)
    [diag] = pack.analyze(WEBHOOK, "hook", urn(WEBHOOK, "hook"), flagged)
    assert "Automation webhook hook starts runbook grant-owner as the account's identity" in diag.message
    assert fragment in diag.message


def test_unreadable_webhook_expiry_never_passes(pack):
    for expiry, fragment in ((UNKNOWN, "cannot check until known: expiryTime"),
                             ("next tuesday", "cannot check: expiryTime 'next tuesday' is not an ISO 8601")):
        [diag] = pack.analyze(WEBHOOK, "hook", urn(WEBHOOK, "hook"), {**HOOK, "expiryTime": expiry})
        assert fragment in diag.message


PUT_OWNER = {"put": {"type": "Http", "inputs": {
    "method": "PUT", "uri": "https://management.azure.com" + SUB + "/providers/Microsoft.Authorization/roleAssignments/x",
    "authentication": {"type": "ManagedServiceIdentity"}}}}


def workflow(triggers, actions, **extra):
    return {"resourceGroupName": "rg1", "state": "Enabled", "definition": {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0", "triggers": triggers, "actions": actions}, **extra}


REQUEST = {"manual": {"type": "Request", "kind": "Http", "inputs": {"schema": {}}}}
RECURRENCE = {"daily": {"type": "Recurrence", "recurrence": {"frequency": "Day", "interval": 1}}}
IDENTITY = {"identity": {"type": "SystemAssigned"}}


@pytest.mark.parametrize("flagged,alike,fragment", [
    (workflow(REQUEST, PUT_OWNER, **IDENTITY),
     workflow(REQUEST, PUT_OWNER, **IDENTITY, accessControl={"triggers": {"allowedCallerIpAddresses": [
         {"addressRange": "203.0.113.0/24"}]}}),
     "Request trigger manual runs the workflow with its managed identity (SystemAssigned) for anyone holding its SAS"),
    (workflow(REQUEST, PUT_OWNER, **IDENTITY, accessControl={"triggers": {"allowedCallerIpAddresses": [
        {"addressRange": "0.0.0.0/0"}]}}),
     workflow(RECURRENCE, PUT_OWNER, **IDENTITY), "Request trigger manual"),
    (workflow(REQUEST, {"send": {"type": "ApiConnection", "inputs": {
        "host": {"connection": {"name": "@parameters('$connections')['office365']['connectionId']"}}}}}),
     workflow(REQUEST, {"ping": {"type": "Http", "inputs": {"method": "GET", "uri": "https://status.example.net"}}}),
     "runs the workflow with its API connections' credentials"),
])
def test_powerful_request_trigger_blocks_and_bounded_or_powerless_one_passes(pack, flagged, alike, fragment):
    assert_flagged_and_look_alike(pack, "la", WORKFLOW, flagged, "AGID-AZ-056", "mandatory", alike)
    [diag] = pack.analyze(WORKFLOW, "la", urn(WORKFLOW, "la"), flagged)
    assert fragment in diag.message


def test_a_workflow_access_key_blocks(pack):
    [diag] = pack.analyze("azure-native:logic:WorkflowAccessKey", "key", urn("azure-native:logic:WorkflowAccessKey", "key"),
                          {"resourceGroupName": "rg1", "workflowName": "la"})
    assert diag.policy_name == "AGID-AZ-056" and "signs the workflows' trigger callback URLs" in diag.message
