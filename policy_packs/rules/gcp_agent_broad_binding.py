"""AGID-GCP-006: agent principals are not bound at project, folder or organization level, unless the role holds
only permissions that have no narrower resource (e.g. roles/bigquery.jobUser, logging.logEntries.create).

A binding at a level is inherited by every resource below it: an agent with roles/storage.objectViewer on the
project reads every bucket in it. Agent principals are judged by what the stack links, not by their names
(analysis/agent_principals.py): federated principals (principal://, principalSet://, GKE workloads), service
accounts of the stack that a federated principal can act as or that a stack resource runs code as (Cloud Run,
functions, VMs, GKE nodes, Vertex AI Agent Engine, ...: analysis/gcp_code_runners.yaml; red17 r17-6: renaming the
account no longer hides it), and accounts whose id starts with one of
`agentServiceAccountPrefixes` (default `agent-`, the kit's naming; a superset). A service account the stack
neither creates nor links could be an agent named otherwise: bound with such a role it is reported (cannot
tell: flag); Google's service agents, users and groups are not agents. Custom roles are judged by their
definition in the same stack; a role the pack cannot see is reported (cannot tell: flag). The spec applies the
same judgement (spec.GcpGrant).
"""

from __future__ import annotations

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.agent_principals import AGENT, UNKNOWN, GcpPrincipals, code_runners
from agentid_policy_packs.analysis.gcp_iam import binding_types, level_of, resource_project
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_own import CONFIG as OWN_CONFIG, CONFIG_SCHEMA as OWN_SCHEMA, STRICTNESS as OWN_STRICTNESS, own_stack_account
from .gcp_bindings import each_binding

# resources whose service-account input makes that account an agent's (analysis/agent_principals.py `_run_as`)
RUNNER_LINK_TYPES = tuple(code_runners())

CUSTOM_ROLE_TYPES = ("gcp:projects/iAMCustomRole:IAMCustomRole", "gcp:organizations/iAMCustomRole:IAMCustomRole")
# The settings of every rule that judges agent principals' bindings (this one and AGID-GCP-025): which service
# accounts are agents', and which principals are the organisation's own (gcp_own)
AGENT_CONFIG = {"agentServiceAccountPrefixes": ["agent-"], **OWN_CONFIG}
AGENT_SCHEMA = {"agentServiceAccountPrefixes": {"type": "array", "items": {"type": "string"}}, **OWN_SCHEMA}
AGENT_STRICTNESS = {"agentServiceAccountPrefixes": "superset", **OWN_STRICTNESS}


def custom_role_resources(resources: list[Resource]) -> dict[str, Resource]:
    """Role name (projects/P/roles/ID, organizations/O/roles/ID) -> the stack resource defining it."""
    roles: dict[str, Resource] = {}
    for resource in resources:
        if resource.type not in CUSTOM_ROLE_TYPES:
            continue
        role_id = resource.props.get("roleId")
        # a project role with no `project` is created in its provider's project (explicit provider, else gcp:project)
        parent = resource_project(resource) if "projects/" in resource.type else resource.props.get("orgId")
        if isinstance(role_id, str) and isinstance(parent, str):
            kind = "projects" if "projects/" in resource.type else "organizations"
            roles[f"{kind}/{parent}/roles/{role_id}"] = resource
    return roles


def _custom_roles(resources: list[Resource]) -> dict[str, object]:
    """Role name (projects/P/roles/ID, organizations/O/roles/ID) -> its permissions as declared in the stack."""
    return {name: role.props.get("permissions") for name, role in custom_role_resources(resources).items()}


def _too_broad(role: str, custom: dict[str, object]) -> str | None:
    """Why `role` at project level reaches more than it needs, or None when it holds only project-level permissions."""
    if role in custom:
        permissions = custom[role]
        if is_unknown(permissions) or not isinstance(permissions, list):
            return "cannot check: the custom role's permissions are not known"
    else:
        info = gcp_catalog.role_info(role)
        if info is None:
            return "cannot check: the role is neither defined in this stack nor in the kit's role catalogue"
        permissions = list(info.permissions)
    narrower = sorted({kind for p in permissions if isinstance(p, str) for kind in gcp_catalog.grantable_at(p)})
    if any(isinstance(p, str) and "*" in p for p in permissions):
        return "it holds every permission of a service"
    if narrower:
        return f"it holds permissions that can be granted on one {' or '.join(narrower)} instead"
    return None


def check(resources: list[Resource], config):
    prefixes = tuple(p for p in config["agentServiceAccountPrefixes"] if isinstance(p, str) and p)
    custom = _custom_roles(resources)
    # a stack service account of a project the gate does not list is not the stack's own (red14 r14-3)
    principals = GcpPrincipals.from_stack([r for r in resources if own_stack_account(r, config)], prefixes)
    for resource in resources:
        if resource.type not in binding_types():
            continue
        level = level_of(resource.type)
        if level == "resource":
            continue
        for outcome in each_binding(resource):
            if isinstance(outcome, (Unknown, Violation)):
                yield type(outcome)(**{**outcome.__dict__, "urn": resource.urn})
                continue
            found = {member: principals.classify(member) for member in outcome.members}
            agents = [m for m, kind in found.items() if kind == AGENT]
            unknown = [m for m, kind in found.items() if kind == UNKNOWN]
            if not agents and not unknown:
                continue
            who = _who(agents, unknown)
            if level != "project":
                yield Violation(f"{resource.name} grants {outcome.role} to {who} at {level} level: every project and "
                                f"resource in the {level} inherits it", resource.urn)
                continue
            role = outcome.role.strip()
            if role in custom and is_unknown(custom[role]):
                yield Unknown(f"permissions of custom role {role}", resource.urn)
                continue
            why = _too_broad(role, custom)
            if why:
                yield Violation(f"{resource.name} grants {role} to {who} on the whole project: {why}", resource.urn)


def _who(agents: list[str], unknown: list[str]) -> str:
    parts = [f"agent principal {', '.join(agents)}"] if agents else []
    if unknown:
        parts.append(f"service account {', '.join(unknown)}, which this stack neither creates nor links to a "
                     "workload (cannot tell whether it is an agent's)")
    return " and ".join(parts)


RULE = Rule(
    id="AGID-GCP-006",
    title="gcp-agent-no-broad-binding",
    severity="high",
    category="unbounded-resource",
    description="Agent principals hold roles on one resource; at project level only roles whose permissions have no "
                "narrower resource, never at folder or organization level.",
    remediation="Bind the role on the bucket, dataset, secret, topic or subscription the tool uses (BucketIAMMember, "
                "DatasetIamMember, ...); declare the tool as a gcp grant in the agent spec.",
    url="https://cloud.google.com/iam/docs/resource-hierarchy-access-control",
    check=check,
    stack=True,
    reads=binding_types() + CUSTOM_ROLE_TYPES + RUNNER_LINK_TYPES,
    config=AGENT_CONFIG,
    config_schema=AGENT_SCHEMA,
    config_strictness=AGENT_STRICTNESS,
)
