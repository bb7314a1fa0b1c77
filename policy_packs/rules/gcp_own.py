"""The Google Cloud principals a rule may take to be the organisation's own (analysis.gcp_iam.OwnGcp).

The gate's pack-wide lists (`ownGcpDomains`, `ownGcpProjects`, `ownGcpOrganizations`: pack_settings.py; given in
the base branch's waivers.yaml policyPackConfig or as `agentid preview --own-gcp-domain / --own-gcp-project`, and a
pull request may only shorten them) plus what the stack defines: its service accounts (their e-mail, known from
the inputs or, under the gate, the mocks' outputs), its workforce pools (a pool id is globally unique) and its
workload identity pools (by id, and project number once its name is known). A
project or domain the stack merely names is not own: the stack file is the pull request's. So a stack service
account counts only when its project is one the gate lists (ownGcpProjects): its `project` input, else the
`project` of the provider it is created with (the stack's default gcp:project config, or an explicit provider);
`gcp.serviceaccount.Account(account_id="evil", project="attacker-proj")` does not make the attacker's account own
(red14 r14-3: the grant naming it does not depend on the decoy, and applies even when creating the decoy fails or
happens in a project the attacker holds). Such an account is judged by its e-mail as any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agentid_policy_packs.analysis.gcp_iam import OwnGcp, resource_project
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource
from .iam_links import known_state

ACCOUNT_TYPE = "gcp:serviceaccount/account:Account"
WORKFORCE_POOL_TYPE = "gcp:iam/workforcePool:WorkforcePool"
WORKLOAD_POOL_TYPE = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
SETTINGS = ("ownGcpDomains", "ownGcpProjects", "ownGcpOrganizations")
CONFIG = {key: [] for key in SETTINGS}
CONFIG_SCHEMA = {
    "ownGcpDomains": {"type": "array", "items": {"type": "string"}, "default": [],
                      "description": "Google Workspace / Cloud Identity domains whose users and groups are the "
                                     "organisation's (set by the gate)"},
    "ownGcpProjects": {"type": "array", "items": {"type": "string"}, "default": [],
                       "description": "project ids or numbers whose service accounts and pools are the organisation's "
                                      "(set by the gate)"},
    "ownGcpOrganizations": {"type": "array", "items": {"type": "string"}, "default": [],
                            "description": "organization numbers whose service accounts are the organisation's "
                                           "(set by the gate)"},
}
STRICTNESS = {key: "subset" for key in SETTINGS}


def _known(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and not is_unknown(value) and value.strip() else None


def account_email(resource: Resource) -> str | None:
    """A stack service account's e-mail: its known `email` output, else accountId@project.iam.gserviceaccount.com."""
    state = known_state(resource)
    email = _known(state.get("email"))
    account, project = _known(resource.props.get("accountId")), account_project(resource)
    return email or (f"{account}@{project}.iam.gserviceaccount.com" if account and project else None)


def account_project(resource: Resource) -> str | None:
    """The project a stack service account is created in: its `project` input, else its provider's `project`
    (None when neither is known: then it is not own)."""
    return resource_project(resource)


def own_stack_account(resource: Resource, config: Mapping[str, Any]) -> bool:
    """False for a stack service account whose project is not one the gate lists (it is judged as anyone's);
    True for every other resource (a filter over a stack's resources)."""
    if resource.type != ACCOUNT_TYPE:
        return True
    return (account_project(resource) or "").lower() in OwnGcp.of(config).projects


def own_gcp(resources: Iterable[Resource], config: Mapping[str, Any]) -> OwnGcp:
    resources = list(resources)
    accounts = [e for r in resources if r.type == ACCOUNT_TYPE and own_stack_account(r, config) and (e := account_email(r))]
    pools = [p for r in resources if r.type == WORKFORCE_POOL_TYPE and (p := _known(r.props.get("workforcePoolId")))]
    return OwnGcp.of(config, accounts, pools, [workload for r in resources if r.type == WORKLOAD_POOL_TYPE
                                               and (workload := _workload_pool(r))])


def _workload_pool(resource: Resource) -> tuple[str, str | None] | None:
    """(pool id, project number when its `name` output is known) of a stack WorkloadIdentityPool."""
    pool = _known(resource.props.get("workloadIdentityPoolId"))
    name = _known(known_state(resource).get("name")) or ""
    parts = name.split("/")
    number = parts[1] if len(parts) > 1 and parts[0] == "projects" else None
    return (pool, number) if pool else None


PROJECT_TYPE = "gcp:organizations/project:Project"


def _folded_id(value: str) -> str:
    return value.strip().lower().removeprefix("projects/").removeprefix("organizations/")


def created_projects(resources: Iterable[Resource], config: Mapping[str, Any]) -> dict[str, str]:
    """Project id -> URN of each gcp.organizations.Project the stack creates under one of ownGcpOrganizations. Such a
    project is own only for a value that is an Output of that resource (`vouches`): project ids are global, so a
    literal id equal to its `project_id` may name an existing project of anyone's (red23 r20-8)."""
    value = config.get("ownGcpOrganizations") if hasattr(config, "get") else None
    organizations = frozenset(_folded_id(v) for v in value or () if isinstance(v, str))
    created: dict[str, str] = {}
    for resource in resources:
        if resource.type != PROJECT_TYPE:
            continue
        project, org = _known(resource.props.get("projectId")), _known(resource.props.get("orgId"))
        if project and org and _folded_id(org) in organizations:
            created[_folded_id(project)] = resource.urn
    return created


def vouched(created: Mapping[str, str], project: str, sources: Iterable[str]) -> bool:
    """Whether `project` is a project the stack creates under an own organization AND the value came from that
    Project resource (`sources`: the URNs the engine's propertyDependencies give for the input holding it)."""
    urn = created.get(_folded_id(project))
    return urn is not None and urn in tuple(sources)


def created_project_of(resource: Resource, created: Mapping[str, str]) -> bool:
    """Whether a stack GCP resource's project (its `project` input, else its provider's) is an Output of a project
    the stack creates under an own organization."""
    project = _known(resource.props.get("project"))
    holder = resource
    if project is None and (provider := getattr(resource, "provider", None)) is not None:
        project, holder = _known(provider.props.get("project")), provider
    return bool(project) and vouched(created, project, (holder.property_dependencies or {}).get("project", ()))
