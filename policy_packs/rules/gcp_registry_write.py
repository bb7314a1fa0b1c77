"""AGID-GCP-017 (stack): no image or package write to a registry the stack does not create.

Cloud Run, GKE, Cloud Functions and VMs pull the image (or apt / yum package) a registry holds and run it as their
own service account: pushing under a tag they deploy, or moving the tag, is code as those accounts, without
iam.serviceAccounts.actAs on any of them (sources in analysis/gcp_registries.yaml). So a role that writes:
  - an Artifact Registry repository (RepositoryIamMember / Binding / Policy) passes only on a repository this
    stack creates (gcp.artifactregistry.Repository) and that the binding names: its Output (`repository=repo.name`,
    as iam_links.output_sources proves it: a bare depends_on beside a constant behind another Output is no link,
    issue 11), or its literal id with a dependency on it: whoever deploys from an existing repository is not visible to the pack. A literal id beside a stack
    repository of that id without the dependency grants on the existing one (the stack's creation then fails, the
    binding stays), as AGID-GCP-011 treats a literal custom role id;
  - a legacy Container Registry bucket (artifacts.PROJECT.appspot.com, us. / eu. / asia.artifacts...): never passes
    (Container Registry creates those buckets, a stack cannot); nor does a WRITER / OWNER ACL entry on one
    (BucketAccessControl, BucketACL) for anyone but the project's owners and editors, who write already.
The same permissions bound at project, folder or organization level are AGID-GCP-005's / -007's (gcp_iam.yaml);
project-wide Cloud Storage object writes, which also reach a Container Registry bucket, are not flagged here (they
reach every bucket; AGID-GCP-006 judges agents' project-wide grants). A role is judged by its permissions (the
predefined-role catalogue or the stack's custom role); a role neither knows is AGID-GCP-011's. Severity critical:
it is the same power as roles/run.developer on every service that deploys from the registry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml, gcp_catalog
from agentid_policy_packs.analysis import gcp_acl
from agentid_policy_packs.analysis.gcp_iam import Binding, NotYetKnown, Unreadable
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_agent_broad_binding import CUSTOM_ROLE_TYPES, _custom_roles
from .gcp_bindings import each_binding
from .iam_links import output_sources

DATA = Path(__file__).resolve().parent.parent / "analysis" / "gcp_registries.yaml"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


def _writes(role: str, custom: dict[str, object], permissions: list[str]) -> str | Unknown | None:
    """The first of `permissions` `role` holds, an Unknown for a stack role whose permissions are not known yet,
    or None (holds none, or a role the pack cannot see: AGID-GCP-011's)."""
    if role in custom:
        held = custom[role]
        if is_unknown(held) or not isinstance(held, list):
            return Unknown(f"permissions of custom role {role}")
        info = gcp_catalog.RoleInfo(role, False, tuple(p for p in held if isinstance(p, str)))
    else:
        info = gcp_catalog.role_info(role)
        if info is None:
            return None
    return next((p for p in permissions if info.grants(p)), None)


def _repository_id(value: Any) -> str | None:
    """The repository id of a binding's `repository` input: an id or projects/P/locations/L/repositories/ID."""
    return value.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) else None


def _own_repository(resource: Resource, repositories: dict[str, Resource]) -> Resource | None:
    """The stack repository the binding depends on and names (by its id, or by its output not known yet: only as
    iam_links.output_sources proves it, a depends_on beside a constant behind another Output is not, issue 11)."""
    wanted = resource.props.get("repository")
    if is_unknown(wanted):
        found = output_sources(resource, repositories.values(), ("name", "id", "repositoryId"), "repository")
        return found[0] if found else None
    for urn in resource.dependencies:
        repository = repositories.get(urn)
        if repository is None:
            continue
        if _repository_id(wanted) == repository.props.get("repositoryId"):
            return repository
    return None


def _judge(resource: Resource, custom: dict[str, object], permissions: list[str], target: str):
    for outcome in each_binding(resource):
        if not isinstance(outcome, Binding):
            yield type(outcome)(**{**outcome.__dict__, "urn": resource.urn})
            continue
        role = outcome.role.strip()
        found = _writes(role, custom, permissions)
        if isinstance(found, Unknown):
            yield Unknown(found.path, resource.urn)
        elif found:
            yield Violation(f"{resource.name} grants {role} on {target} to {', '.join(outcome.members)}: it holds "
                            f"{found}, so the holder pushes images or packages that Cloud Run, GKE, Cloud Functions "
                            "and VMs deploying from it run as their service accounts", resource.urn)


def _judge_acl(resource: Resource, bucket: str, legacy: dict[str, Any]):
    """WRITER / OWNER ACL entries on a Container Registry bucket (gcp_acl reads the entries, fail closed)."""
    try:
        found = gcp_acl.entries(resource.type, dict(resource.props))
    except NotYetKnown as unknown:
        yield Unknown(unknown.path, resource.urn)
        return
    except Unreadable as error:
        yield Violation(f"{resource.name}: cannot check: {error}", resource.urn)
        return
    for entry in found:
        if is_unknown(entry.role):
            yield Unknown(f"{entry.where} role", resource.urn)
        elif str(entry.role).strip().upper() in legacy["acl_write_roles"] and \
                not entry.entity.lower().startswith(tuple(legacy["acl_entities_already_writing"])):
            yield Violation(f"{resource.name} gives {entry.entity} {str(entry.role).strip().upper()} on Container "
                            f"Registry bucket {bucket} (gcr.io images, {entry.where}): it writes images that "
                            "workloads deploying from it run as their service accounts", resource.urn)


def check(resources: list[Resource], config):
    data = _data()
    registry, legacy = data["artifact_registry"], data["container_registry"]
    custom = _custom_roles(resources)
    repositories = {r.urn: r for r in resources if r.type == registry["repository_type"]}
    bucket_pattern = re.compile(legacy["bucket_pattern"], re.IGNORECASE)
    for resource in resources:
        if resource.type in registry["binding_types"]:
            if _own_repository(resource, repositories) is not None:
                continue
            wanted = resource.props.get("repository")
            target = (f"repository {wanted}, which this stack does not create (or the binding does not depend on "
                      "it), so who deploys from it is not visible") if not is_unknown(wanted) else \
                "a repository known only at deployment that this stack does not create"
            yield from _judge(resource, custom, registry["write_permissions"], target)
        elif resource.type in (*legacy["bucket_binding_types"], *legacy["acl_types"]):
            bucket = resource.props.get("bucket")
            if not (isinstance(bucket, str) and bucket_pattern.match(bucket.strip())):
                continue
            if resource.type in legacy["acl_types"]:
                yield from _judge_acl(resource, bucket.strip(), legacy)
            else:
                yield from _judge(resource, custom, legacy["write_permissions"],
                                  f"Container Registry bucket {bucket.strip()} (gcr.io images)")


_DATA = _data()
RULE = Rule(
    id="AGID-GCP-017",
    title="gcp-no-foreign-registry-write",
    severity="critical",
    category="escalation",
    description="No role that pushes images or packages is bound on an Artifact Registry repository the stack does "
                "not create, and no role or ACL writes a Container Registry (artifacts.*.appspot.com) bucket.",
    remediation="Create the repository the agent publishes to in this stack (gcp.artifactregistry.Repository) and bind "
                "roles/artifactregistry.writer on it through repo.name; leave repositories that workloads deploy from "
                "to their release pipeline.",
    url="https://cloud.google.com/artifact-registry/docs/access-control#roles",
    check=check,
    stack=True,
    reads=(*_DATA["artifact_registry"]["binding_types"], _DATA["artifact_registry"]["repository_type"],
           *_DATA["container_registry"]["bucket_binding_types"], *_DATA["container_registry"]["acl_types"],
           *CUSTOM_ROLE_TYPES),
)
