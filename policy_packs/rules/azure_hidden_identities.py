"""AGID-AZ-040: no identity-bearing Azure resource is created out of the gate's sight.

An ARM deployment (`resources.Deployment*`, `properties.template` / `templateLink`), a deployment stack
(`resources.DeploymentStackAt*`, `template` / `templateLink`) and the generic `resources.Resource`
(`resourceProviderNamespace` + `resourceType`) create Azure resources the engine never registers one by one:
a `Microsoft.Authorization/roleAssignments` of Owner inside a template reaches the subscription as surely
as an `authorization.RoleAssignment`, yet the pack would see only a Deployment. As AGID-AWS-040 does for
CloudFormation, the gate fails closed: a template (or generic resource) that creates role assignments or
definitions, managed identities and their federated credentials, Lighthouse delegations, Key Vault access
policies and secrets, keys and authorization rules, run commands, VM extensions or deployment scripts, that
links a template by URL, or whose types are ARM expressions, is a violation naming what it creates. Nested
deployments with an inline template are read too (to MAX_DEPTH). A template of only other resources
(storage accounts without keys in it, networks, plans) passes.
Sources: ARM template structure (https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/syntax;
languageVersion 2.0 symbolic-name resources), nested and linked templates
(https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/linked-templates), deployment stacks
(https://learn.microsoft.com/en-us/azure/azure-resource-manager/bicep/deployment-stacks), resource provider
operations (https://learn.microsoft.com/en-us/azure/role-based-access-control/permissions/).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

DEPLOYMENTS = tuple(f"azure-native:resources:{kind}" for kind in (
    "Deployment", "DeploymentAtManagementGroupScope", "DeploymentAtScope", "DeploymentAtSubscriptionScope",
    "DeploymentAtTenantScope"))
STACKS = tuple(f"azure-native:resources:{kind}" for kind in (
    "DeploymentStackAtManagementGroup", "DeploymentStackAtResourceGroup", "DeploymentStackAtSubscription"))
GENERIC = "azure-native:resources:Resource"

# Resource providers whose every type grants, holds or federates an identity, or runs code (case-insensitive,
# as ARM treats type names): RBAC, managed identities, Lighthouse, Entra (Bicep's Microsoft.Graph extension),
# Key Vault, deployment stacks / deployment scripts, managed applications, blueprints. A nested
# Microsoft.Resources/deployments is judged by its inline template instead.
_IDENTITY_PROVIDERS = re.compile(
    r"^(Microsoft\.(Authorization|ManagedIdentity|ManagedServices|Graph|AAD|AzureActiveDirectory|KeyVault|Solutions|"
    r"Blueprint)/|Microsoft\.Resources/(deploymentScripts|deploymentStacks)\b)", re.IGNORECASE)
# Type names (any provider, any nesting) that carry a grant, a credential, a trust or code run on a machine.
_IDENTITY_NAMES = re.compile(
    r"(roleAssignments|roleDefinitions|federatedIdentityCredentials|accessPolicies|authorizationRules|sharedAccess|"
    r"credentials|credentialSets|secrets|tokens|scopeMaps|apiKeys|keys|runCommands|extensions|deploymentScripts|"
    r"identities|owners|users)(/|@|$)", re.IGNORECASE)
MAX_DEPTH = 5  # nested inline deployments read; ARM allows more, deeper ones fail closed
_MAX_TEMPLATE = 4_000_000  # ARM's limit for a template is 4 MB


def hidden_type(type_name: str) -> bool:
    """True when an ARM resource type creates something the gate must judge itself."""
    return bool(_IDENTITY_PROVIDERS.match(type_name) or _IDENTITY_NAMES.search(type_name))


def _resources(template: dict) -> list | None:
    """A template's resources: a list (languageVersion 1.0) or a symbolic-name mapping (2.0); None when neither."""
    resources = template.get("resources", [])
    if isinstance(resources, dict):
        return list(resources.values())
    return resources if isinstance(resources, list) else None


def template_types(template, depth: int = 0, parent: str = "") -> Iterator[str]:
    """The resource types a template creates (child types joined to their parent's), nested inline deployments
    included, or `!reason` for what cannot be read."""
    if isinstance(template, str):
        if len(template) > _MAX_TEMPLATE:
            yield f"!the template is {len(template):,} characters, over ARM's 4 MB limit"
            return
        try:
            template = json.loads(template)
        except ValueError:
            yield "!the template is not JSON"
            return
    if not isinstance(template, dict):
        yield "!the template is not a JSON object"
        return
    resources = _resources(template)
    if resources is None:
        yield "!its resources are neither a list nor a mapping"
        return
    for index, resource in enumerate(resources):
        kind = resource.get("type") if isinstance(resource, dict) else None
        if not isinstance(kind, str) or not kind.strip():
            yield f"!resources[{index}] has no type string"
            continue
        if kind.lstrip().startswith("["):
            yield f"!resources[{index}] has its type from the expression {kind[:80]!r}"
            continue
        # a child resource may name its type relative to its parent (`blobServices` under a storage account)
        full = f"{parent}/{kind}" if parent and "." not in kind.split("/", 1)[0] else kind
        if resource.get("existing") is True:
            continue  # a reference to a resource that exists: the template creates nothing
        yield full
        properties = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
        if re.fullmatch(r"Microsoft\.Resources/deployments", full, re.IGNORECASE):
            if "templateLink" in properties:
                yield f"!the nested deployment {resource.get('name', index)!s:.80} links its template by URL"
            elif depth >= MAX_DEPTH:
                yield f"!nested deployments are deeper than {MAX_DEPTH}"
            elif "template" in properties:
                yield from template_types(properties["template"], depth + 1)
            else:
                yield f"!the nested deployment {resource.get('name', index)!s:.80} has no inline template"
        if isinstance(resource.get("resources"), list | dict):
            yield from template_types({"resources": resource["resources"]}, depth + 1, full)


def _judge(resource: Resource, what: str, template) -> Iterator[Violation]:
    found = list(template_types(template))
    unreadable = [item[1:] for item in found if item.startswith("!")]
    if unreadable:
        yield Violation(f"{what} {resource.name}: {unreadable[0]}, so what it creates cannot be judged")
        return
    hidden = sorted({kind for kind in found if hidden_type(kind)}, key=str.lower)
    if hidden:
        yield Violation(f"{what} {resource.name} creates {', '.join(hidden)} inside its template, where the gate "
                        "cannot judge them: declare them as Pulumi resources")


def _generic(resource: Resource):
    props = resource.props
    fields = ("resourceProviderNamespace", "parentResourcePath", "resourceType")
    for field in fields:
        if is_unknown(props.get(field)):
            yield Unknown(field)
            return
    namespace, parent, kind = (props.get(field) for field in fields)
    if not isinstance(namespace, str) or not isinstance(kind, str) or not isinstance(parent, str | None):
        yield Violation(f"generic resource {resource.name}: resourceProviderNamespace / resourceType are not strings, "
                        "so what it creates cannot be judged")
        return
    # parentResourcePath alternates type and name segments (storageAccounts/acct/blobServices/default)
    parent_types = [segment for index, segment in enumerate((parent or "").strip("/").split("/")) if index % 2 == 0 and segment]
    full = "/".join([namespace.strip("/"), *parent_types, kind.strip("/")])
    if hidden_type(full):
        yield Violation(f"generic resource {resource.name} creates {full}, which the gate cannot judge through "
                        "resources.Resource: declare it as its own Pulumi resource (authorization.RoleAssignment, ...)")


def check(resource: Resource, config):
    if resource.type == GENERIC:
        yield from _generic(resource)
        return
    holder = resource.props if resource.type in STACKS else resource.props.get("properties")
    what = "deployment stack" if resource.type in STACKS else "ARM deployment"
    if is_unknown(holder):
        yield Unknown("properties")
        return
    if not isinstance(holder, dict):
        yield Violation(f"{what} {resource.name}: properties is not an object, so what it creates cannot be judged")
        return
    template, link = holder.get("template"), holder.get("templateLink")
    if is_unknown(template):
        yield Unknown("template")
        return
    if template is None:
        yield Violation(f"{what} {resource.name} reads its template from templateLink"
                        f"{' (' + str(link)[:120] + ')' if link is not None else ''}, which the gate cannot read: put the "
                        "template inline, or declare its resources in Pulumi")
        return
    yield from _judge(resource, what, template)


RULE = Rule(
    id="AGID-AZ-040",
    title="azure-no-hidden-identities",
    severity="critical",
    category="unparseable",
    description="ARM deployments, deployment stacks and generic resources.Resource create no role assignment, identity, "
                "credential, Lighthouse delegation, run command or nested deployment the gate cannot see.",
    remediation="Declare role assignments, identities, credentials and scripts as their own Pulumi resources (the pack "
                "judges each); keep ARM templates inline and to other resources.",
    url="https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/syntax",
    check=check,
    resource_types=DEPLOYMENTS + STACKS + (GENERIC,),
)
