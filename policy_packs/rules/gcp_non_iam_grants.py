"""AGID-GCP-028 (stack): no grant spelled outside IAM goes to a principal outside the organisation.

Google Cloud grants access beside IAM bindings, and AGID-GCP-024 (IAM members) never sees these (red13 r13-1,
r13-5, r13-7, r13-12: each passed the gate):
  - Kubernetes RBAC the fleet writes: gkehub ScopeRbacRoleBinding / MembershipRbacRoleBinding (`user` / `group` +
    role ADMIN, EDIT, VIEW or a custom ClusterRole) on every cluster of a scope or on one member cluster;
  - cluster-admin of GKE attached / on AWS / on Azure / on VMware / on bare metal / edge clusters
    (`authorization.adminUsers`, `adminGroups`);
  - Cloud Identity group membership (`preferredMemberKey.id`): the member holds every role granted to the group, at
    every level, and an OWNER adds others;
  - Cloud Storage ACL entries (user-EMAIL, group-EMAIL, domain-DOMAIN on buckets, objects, default object ACLs);
  - BigQuery dataset access entries (DatasetAccess, Dataset.accesses): a user / group / domain / iamMember, and an
    authorized view, routine or dataset, which reads the whole dataset with the dataset's rights whoever queries it:
    one of another project is a cross-project read of all its data decided by whoever owns that project.
Which types and inputs grant, and what, is data: analysis/gcp_non_iam_grants.yaml. Every grant there to a principal
outside the organisation is a violation, whatever its role: the grant itself is the cross-tenant hand-over, and a
role name (VIEW, MEMBER, READER) is no bound on what the group or dataset holds. Inside is analysis.gcp_iam.
outside_org with the gate's ownGcpDomains / ownGcpProjects / ownGcpOrganizations and the stack's own service
accounts and pools (rules/gcp_own.py); with no domain listed a user or group "cannot tell" (fail closed). An
authorized view / routine / dataset is inside when its project is the resource's own `project` or one of
ownGcpProjects. A member unknown at preview is the stack's service account when it provably is its Output, else
"cannot check until known"; a member key in an identity-source `namespace` is "cannot tell"; an unreadable shape is
a violation. The public (allUsers, domain:gmail.com) is AGID-GCP-003's / -014's.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_policy_packs.analysis.gcp_iam import OwnGcp, outside_org, public_reach, resource_project
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .gcp_own import ACCOUNT_TYPE, CONFIG, CONFIG_SCHEMA, STRICTNESS, WORKFORCE_POOL_TYPE, WORKLOAD_POOL_TYPE, own_gcp
from .iam_links import output_sources
from .stack_inputs import Stop, judged, stop

DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "gcp_non_iam_grants.yaml"
KINDS = ("user", "group", "domain", "email", "iam", "project", "entity", "role_entity")


@lru_cache(maxsize=1)
def grant_types() -> dict[str, dict[str, Any]]:
    """analysis/gcp_non_iam_grants.yaml: type token -> {grants, principals: {path: kind}, role?, namespace?}."""
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)["types"]


def _walk(resource: Resource, value: Any, segments: list[str], path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) of every value at `segments` below `value`; `x[]` walks each element of list x. An absent
    value yields nothing; raises Stop for a value unknown at preview or of another shape."""
    if not segments:
        yield path, value
        return
    segment, rest = segments[0], segments[1:]
    if value is None:
        return
    if is_unknown(value) or not isinstance(value, dict):
        raise stop(resource, path or "inputs", value, "an object")
    many = segment.endswith("[]")
    key = segment.removesuffix("[]")
    here = f"{path}.{key}" if path else key
    child = value.get(key)
    if child is None:
        return
    if not many:
        yield from _walk(resource, child, rest, here)
        return
    if is_unknown(child) or not isinstance(child, list):
        raise stop(resource, here, child, "a list")
    for index, item in enumerate(child):
        yield from _walk(resource, item, rest, f"{here}[{index}]")


_ENTITY_KINDS = {"user-": "user:", "group-": "group:", "domain-": "domain:"}


def _member(kind: str, text: str) -> str | None:
    """The IAM principal identifier a value of `kind` stands for; None for a Cloud Storage project-team entity (the
    project's own role holders)."""
    if kind == "role_entity":
        text, kind = text.partition(":")[2].strip(), "entity"
    if kind == "entity":
        folded = text.strip().lower()
        if folded in ("allusers", "allauthenticatedusers"):
            return folded
        if folded.startswith("project-"):
            return None
        for prefix, iam in _ENTITY_KINDS.items():
            if folded.startswith(prefix):
                return iam + text.strip()[len(prefix):]
        return f"entity:{text}"  # userId-, groupId-: outside_org cannot tell whose
    if kind == "iam":
        return text
    if kind == "email":
        return ("serviceAccount:" if text.strip().lower().rstrip(".").endswith("gserviceaccount.com") else "user:") + text
    return f"{kind}:{text}"


def _outside_project(resource: Resource, project: str, own: OwnGcp) -> str | None:
    folded = project.strip().lower().removeprefix("projects/")
    home = resource_project(resource)  # its `project`, else its provider's (explicit provider, else gcp:project)
    if folded in own.projects or (isinstance(home, str) and not is_unknown(home)
                                  and folded == home.strip().lower().removeprefix("projects/")):
        return None
    return (f"outside the organisation as far as the gate knows: project {project} is neither the resource's own "
            "project nor one of ownGcpProjects")


def _role(resource: Resource, paths: list[str]) -> str:
    for path in paths:
        if "[]" in path:
            values = [v for _, v in _walk(resource, dict(resource.props), path.split("."), "")
                      if isinstance(v, str) and not is_unknown(v)]
            if values:
                return f" (role {', '.join(values)})"
            continue
        value = value_at(resource.props, path)
        if isinstance(value, str) and not is_unknown(value):
            return f" (role {value})"
    return ""


def _judge(resource: Resource, spec: dict[str, Any], own: OwnGcp, accounts: list[Resource]):
    props = dict(resource.props)
    for path in spec.get("namespace", []):
        namespace = value_at(props, path)
        if is_unknown(namespace):
            raise Stop(Unknown(path, resource.urn))
        if namespace not in (None, ""):
            yield Violation(f"{resource.name} gives a member of identity-source namespace {str(namespace)[:80]!r} "
                            f"{spec['grants']}: cannot tell whether the member is the organisation's", resource.urn)
            return
    outside = []
    for path, kind in spec["principals"].items():
        for where, value in _walk(resource, props, path.split("."), ""):
            if value is None:
                continue
            if is_unknown(value):
                if kind in ("user", "email", "iam") and output_sources(resource, accounts, ("email", "member")):
                    continue  # the stack's own service account: its e-mail is known only at deployment
                raise Stop(Unknown(where, resource.urn))
            if not isinstance(value, str) or not value.strip():
                raise stop(resource, where, value, "a principal name")
            if kind == "project":
                why = _outside_project(resource, value, own)
                who = f"project {value} ({where}, whose views / routines / datasets read the dataset)"
            else:
                member = _member(kind, value)
                if member is None or public_reach(member):
                    continue  # the public: AGID-GCP-003 / AGID-GCP-014
                why = outside_org(member, own)
                who = f"{member} ({where})"
            if why:
                outside.append(f"{who}: {why}")
    if outside:
        yield Violation(f"{resource.name} gives {spec['grants']}{_role(resource, spec.get('role', []))} to "
                        f"{'; '.join(outside)} - a principal outside the organisation gains access without an IAM "
                        "binding", resource.urn)


def check(resources: list[Resource], config):
    types = grant_types()
    grants = [r for r in resources if r.type in types]
    if not grants:
        return
    own = own_gcp(resources, config)
    accounts = [r for r in resources if r.type == ACCOUNT_TYPE]
    for resource in grants:
        yield from judged(_judge(resource, types[resource.type], own, accounts))


RULE = Rule(
    id="AGID-GCP-028",
    title="gcp-no-foreign-non-iam-grants",
    severity="critical",
    category="escalation",
    description="Grants made outside IAM (fleet and multi-cloud cluster Kubernetes RBAC and cluster admins, Cloud "
                "Identity group memberships, Cloud Storage ACL entries, BigQuery dataset access entries and authorized views / routines / "
                "datasets) go only to principals and projects of the organisation.",
    remediation="Name users and groups of your own domains, service accounts the stack defines, and views / routines "
                "/ datasets of the dataset's own project; list your domains and projects in the base branch's "
                "waivers.yaml policyPackConfig (all: ownGcpDomains / ownGcpProjects) or with agentid preview "
                "--own-gcp-domain / --own-gcp-project.",
    url="https://cloud.google.com/kubernetes-engine/fleet-management/docs/setup-teams",
    check=check,
    stack=True,
    reads=(*grant_types(), ACCOUNT_TYPE, WORKFORCE_POOL_TYPE, WORKLOAD_POOL_TYPE),
    config=CONFIG,
    config_schema=CONFIG_SCHEMA,
    config_strictness=STRICTNESS,
)
