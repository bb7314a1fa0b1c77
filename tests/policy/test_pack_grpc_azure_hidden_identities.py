"""AGID-AZ-040 over gRPC: role assignments and other identities created inside ARM templates, deployment stacks or the
generic resources.Resource (red7b f05: each of these with an Owner assignment passed `agentid preview`)."""

from __future__ import annotations

import json

import pytest

from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-040"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
ROLE_ASSIGNMENT = {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01", "name": "[guid('x')]",
                   "properties": {"roleDefinitionId": f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
                                                      f"'{OWNER}')]", "principalId": "44444444-4444-4444-4444-444444444444"}}
STORAGE = {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "logs", "location": "westeurope",
           "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
           "resources": [{"type": "blobServices", "apiVersion": "2023-01-01", "name": "default"}]}
VNET = {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-04-01", "name": "vnet",
        "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def stack_findings(pack, rule_id: str, resources, level: str | None = None) -> list[tuple[str, str]]:
    """(name, message) of each diagnostic of `rule_id` (at `level`) the pack gives each (type, name, inputs), sorted:
    AGID-AZ-040 is a resource rule, judged by AnalyzeResource one resource at a time."""
    return sorted((name, d.message.rsplit("\n", 1)[-1]) for type_, name, props in resources for d in pack.analyze(type_, name, urn(type_, name), props)
                  if d.policy_name == rule_id and (level is None or d.enforcement_level == level))


def template(*resources) -> dict:
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": list(resources)}


def nested(inner: dict) -> dict:
    return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
            "properties": {"mode": "Incremental", "template": inner}}


DEPLOYMENTS = {
    "azure-native:resources:Deployment": lambda t: {"resourceGroupName": "rg", "properties": {"mode": "Incremental", "template": t}},
    "azure-native:resources:DeploymentAtSubscriptionScope": lambda t: {"location": "westeurope",
                                                                      "properties": {"mode": "Incremental", "template": t}},
    "azure-native:resources:DeploymentAtManagementGroupScope": lambda t: {"groupId": "root-mg", "location": "westeurope",
                                                                         "properties": {"mode": "Incremental", "template": t}},
    "azure-native:resources:DeploymentAtTenantScope": lambda t: {"location": "westeurope",
                                                                "properties": {"mode": "Incremental", "template": t}},
    "azure-native:resources:DeploymentAtScope": lambda t: {"scope": "providers/Microsoft.Management/managementGroups/mg",
                                                          "location": "westeurope", "properties": {"mode": "Incremental", "template": t}},
    "azure-native:resources:DeploymentStackAtSubscription": lambda t: {
        "location": "westeurope", "template": t, "actionOnUnmanage": {"resources": "detach"}, "denySettings": {"mode": "none"}},
    "azure-native:resources:DeploymentStackAtResourceGroup": lambda t: {
        "resourceGroupName": "rg", "template": t, "actionOnUnmanage": {"resources": "detach"}, "denySettings": {"mode": "none"}},
    "azure-native:resources:DeploymentStackAtManagementGroup": lambda t: {
        "managementGroupId": "mg", "location": "westeurope", "template": t, "actionOnUnmanage": {"resources": "detach"},
        "denySettings": {"mode": "none"}},
}


@pytest.mark.parametrize("type_", sorted(DEPLOYMENTS))
def test_a_role_assignment_inside_any_deployment_blocks_and_other_resources_pass(pack, type_):
    props = DEPLOYMENTS[type_]
    kind = "deployment stack" if "Stack" in type_ else "ARM deployment"
    assert stack_findings(pack, RULE, [(type_, "owner", props(template(STORAGE, ROLE_ASSIGNMENT))),
                                       (type_, "plain", props(template(STORAGE, VNET)))], "mandatory") == [
        ("owner", f"[unparseable] {kind} owner: cannot check what it creates (resources[1]: "
                  "Microsoft.Authorization/roleAssignments is neither mapped to a Pulumi type the pack judges nor reviewed "
                  "harmless (analysis/generic_resource_types.yaml)): declare it as its own Pulumi resource, whose rules "
                  "judge it")]


@pytest.mark.parametrize("hidden,shown", [
    # a nested inline deployment is read: its role assignment is found, two levels down
    (template(nested(template(nested(template(ROLE_ASSIGNMENT))))), "Microsoft.Authorization/roleAssignments"),
    # languageVersion 2.0 symbolic names; the type's case does not matter to ARM
    ({"languageVersion": "2.0", "resources": {"ra": {**ROLE_ASSIGNMENT, "type": "microsoft.authorization/ROLEASSIGNMENTS"}}},
     "microsoft.authorization/ROLEASSIGNMENTS"),
    # an extension role assignment on a storage account, a child run command, a Lighthouse delegation, a script
    (template({**STORAGE, "resources": [{"type": "providers/roleAssignments", "name": "Microsoft.Authorization/x"}]}),
     "Microsoft.Storage/storageAccounts/providers/roleAssignments"),
    (template({"type": "Microsoft.Compute/virtualMachines/runCommands", "name": "vm/run"}),
     "Microsoft.Compute/virtualMachines/runCommands"),
    (template({"type": "Microsoft.ManagedServices/registrationDefinitions", "name": "d"}),
     "Microsoft.ManagedServices/registrationDefinitions"),
    (template({"type": "Microsoft.Resources/deploymentScripts", "name": "s", "kind": "AzureCLI"}),
     "Microsoft.Resources/deploymentScripts"),
    (template({"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "name": "i"}),
     "Microsoft.ManagedIdentity/userAssignedIdentities"),
    (json.dumps(template(ROLE_ASSIGNMENT)), "Microsoft.Authorization/roleAssignments"),  # a template given as JSON text
])
def test_what_a_template_hides_is_named(pack, hidden, shown):
    [(name, message)] = stack_findings(pack, RULE, [("azure-native:resources:Deployment", "d",
                                                     DEPLOYMENTS["azure-native:resources:Deployment"](hidden))])
    assert f"{shown} is neither mapped to a Pulumi type the pack judges" in message


@pytest.mark.parametrize("props,reason", [
    ({"resourceGroupName": "rg", "properties": {"mode": "Incremental", "templateLink": {"uri": "https://x.example/t.json"}}},
     "ARM deployment d: it reads its template from templateLink ({'uri': 'https://x.example/t.json'}), which the gate "
     "cannot read"),
    ({"resourceGroupName": "rg", "properties": {"mode": "Incremental", "template": template(
        {"type": "[parameters('kind')]", "name": "x"})}},
     "ARM deployment d: cannot check what it creates (resources[0]: its type comes from the expression "
     "\"[parameters('kind')]\")"),
    ({"resourceGroupName": "rg", "properties": {"mode": "Incremental", "template": template(
        {"type": "Microsoft.Resources/deployments", "name": "linked", "properties": {"templateLink": {"id": "/x"}}})}},
     "ARM deployment d: cannot check what it creates (resources[0]: the nested deployment linked links its template "
     "by URL)"),
    ({"resourceGroupName": "rg", "properties": {"mode": "Incremental", "template": "{not json"}},
     "ARM deployment d: cannot check what it creates (template: the template is not JSON)"),
    ({"resourceGroupName": "rg", "properties": {"mode": "Incremental", "template": {"resources": "all"}}},
     "ARM deployment d: cannot check what it creates (template: its resources are neither a list nor a mapping)"),
])
def test_templates_the_gate_cannot_read_fail_closed(pack, props, reason):
    [(name, message)] = stack_findings(pack, RULE, [("azure-native:resources:Deployment", "d", props)], "mandatory")
    assert message.startswith(f"[unparseable] {reason}")


def test_existing_references_and_harmless_nested_deployments_pass(pack):
    # `existing` references a resource only in a symbolic-name template (languageVersion 2.0, resources by name);
    # in a 1.0 template it is no keyword (red18 r18-4): tests/policy/test_pack_grpc_case_insensitive_keys.py
    harmless = {**template(), "languageVersion": "2.0",
                "resources": {"ra": {**ROLE_ASSIGNMENT, "existing": True}, "inner": nested(template(STORAGE, VNET))}}
    assert stack_findings(pack, RULE, [("azure-native:resources:Deployment", "d",
                                        DEPLOYMENTS["azure-native:resources:Deployment"](harmless))]) == []


GENERIC = "azure-native:resources:Resource"


def generic(namespace: str, kind: str, parent: str = "") -> dict:
    return {"resourceGroupName": "rg", "resourceProviderNamespace": namespace, "parentResourcePath": parent,
            "resourceType": kind, "resourceName": "x", "apiVersion": "2022-04-01", "properties": {}}


def test_a_generic_resource_of_an_identity_type_blocks_and_others_pass(pack):
    assert stack_findings(pack, RULE, [
        (GENERIC, "owner", generic("Microsoft.Authorization", "roleAssignments")),
        (GENERIC, "vm-run", generic("Microsoft.Compute", "runCommands", "virtualMachines/vm1")),
        (GENERIC, "vnet", generic("Microsoft.Network", "virtualNetworks")),
        (GENERIC, "blob", generic("Microsoft.Storage", "blobServices", "storageAccounts/logs")),
    ], "mandatory") == [
        ("owner", "[unparseable] generic resource owner: cannot check what it creates (Microsoft.Authorization/"
                  "roleAssignments is neither mapped to a Pulumi type the pack judges nor reviewed harmless (analysis/"
                  "generic_resource_types.yaml)): declare it as its own Pulumi resource, whose rules judge it"),
        ("vm-run", "[unparseable] generic resource vm-run: cannot check what it creates (Microsoft.Compute/virtualMachines/"
                   "runCommands is neither mapped to a Pulumi type the pack judges nor reviewed harmless (analysis/"
                   "generic_resource_types.yaml)): declare it as its own Pulumi resource, whose rules judge it"),
    ]
