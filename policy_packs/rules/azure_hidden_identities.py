"""AGID-AZ-040: nothing an Azure generic resource or ARM template creates escapes the gate.

An ARM deployment (`resources.Deployment*`, `properties.template` / `templateLink`), a deployment stack
(`resources.DeploymentStackAt*`, `template` / `templateLink`) and the generic `resources.Resource`
(`resourceProviderNamespace` + `resourceType`) create Azure resources the engine never registers one by one:
a `Microsoft.Authorization/roleAssignments` of Owner inside a template reaches the subscription as surely
as an `authorization.RoleAssignment`, yet the pack would see only a Deployment. As AGID-AWS-040 does for
CloudFormation, each resource inside (nested inline deployments too, to generic_resources.MAX_DEPTH) is judged
as the typed azure-native resource it is where analysis/generic_resource_types.yaml maps its ARM type (a
public blob container gets AGID-AZ-035, a PostgreSQL admin of another tenant AGID-AZ-045), passes when reviewed
harmless there, and otherwise cannot be checked: this rule's violation names it (role assignments, identities,
credentials, run commands, any type nobody reviewed, a template linked by URL, types from expressions).
Sources: ARM template structure (https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/syntax;
languageVersion 2.0 symbolic-name resources), nested and linked templates
(https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/linked-templates), deployment stacks
(https://learn.microsoft.com/en-us/azure/azure-resource-manager/bicep/deployment-stacks), generic resources
(https://www.pulumi.com/registry/packages/azure-native/api-docs/resources/resource/).
"""

from __future__ import annotations

from .base import Resource, Rule, Unknown, Violation
from .generic_resources import ARM_DEPLOYMENTS, ARM_GENERIC, ARM_STACKS, inner_resources, unjudged

DEPLOYMENTS, STACKS, GENERIC = ARM_DEPLOYMENTS, ARM_STACKS, ARM_GENERIC


def check(resource: Resource, config):
    what = {GENERIC: "generic resource"}.get(resource.type, "deployment stack" if resource.type in STACKS
                                             else "ARM deployment")
    for kind, detail in unjudged(what, resource.name, inner_resources(resource.type, resource.props)):
        yield Unknown(detail) if kind == "unknown" else Violation(detail)


RULE = Rule(
    id="AGID-AZ-040",
    title="azure-no-hidden-identities",
    severity="critical",
    category="unparseable",
    description="ARM deployments, deployment stacks and generic resources.Resource create only resources the gate "
                "judges as their typed azure-native resource or has reviewed harmless: anything else cannot be checked.",
    remediation="Declare role assignments, identities, credentials, scripts and any other resource as their own Pulumi "
                "resources (the pack judges each); keep ARM templates inline, to mapped or reviewed types "
                "(analysis/generic_resource_types.yaml).",
    url="https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/syntax",
    check=check,
    resource_types=DEPLOYMENTS + STACKS + (GENERIC,),
)
