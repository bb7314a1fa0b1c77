"""AGID-GCP-014: no public access-control-list entries, and no ACL ownership outside the project's owners.

IAM bindings to allUsers / allAuthenticatedUsers are AGID-GCP-003's; Cloud Storage ACLs and BigQuery dataset
access entries grant the same access beside IAM (analysis/gcp_acl.py reads every ACL-shaped input of pulumi-gcp):
  - an entry for allUsers / allAuthenticatedUsers (storage `entity`, `roleEntities` "READER:allUsers", BigQuery
    `iamMember` or `specialGroup` allAuthenticatedUsers) or a predefined ACL publicRead / publicReadWrite /
    authenticatedRead opens the bucket, object or dataset to anyone (with a Google account) - public-access;
  - OWNER (storage), or a BigQuery role holding setIamPolicy (OWNER, roles/bigquery.dataOwner, judged by the role
    catalogue as AGID-GCP-013 does), lets the holder rewrite the ACL, allUsers included: flagged for any entity
    but the project's own owners / editors (project-owners-N, project-editors-N, specialGroup projectOwners /
    projectWriters), who hold that power through their project roles already - escalation.
A predefined ACL name the pack does not know, an entry it cannot read or an unknown role on a public entity is a
violation (fail closed); a value computed during preview is "cannot check until known".
Sources: https://cloud.google.com/storage/docs/access-control/lists, https://cloud.google.com/bigquery/docs/
reference/rest/v2/datasets#Dataset.FIELDS.access, https://cloud.google.com/iam/docs/principal-identifiers.
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.gcp_acl import (ACL_TYPES, AclEntry, entries, predefined, predefined_kind)
from agentid_policy_packs.analysis.gcp_iam import NotYetKnown, Unreadable, public_reach
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_resource_iam_admin import policy_admin_permission

# Cloud Storage ACL roles, JSON and XML API spellings (https://cloud.google.com/storage/docs/access-control/lists#permissions)
STORAGE_ROLES = {"READER": "READER", "READ": "READER", "WRITER": "WRITER", "WRITE": "WRITER", "OWNER": "OWNER",
                 "FULL_CONTROL": "OWNER"}
_PROJECT_ADMINS = re.compile(r"^(project-(owners|editors)-[a-z0-9-]+|specialGroup:(projectOwners|projectWriters))$",
                             re.IGNORECASE)


def _identity(entity: str) -> str:
    """The entity without BigQuery's specialGroup: kind (allAuthenticatedUsers is a special group there)."""
    return entity.split(":", 1)[1] if entity.lower().startswith("specialgroup:") else entity


def _owns(resource: Resource, entry: AclEntry) -> str | None:
    """Why the entry's role rewrites the ACL, or None; raises Unreadable for a storage role the pack does not know."""
    role = entry.role.strip()
    if resource.type.startswith("gcp:storage/"):
        kind = STORAGE_ROLES.get(role.upper())
        if kind is None:
            raise Unreadable(f"{entry.where} role {role[:40]!r} is not READER, WRITER or OWNER")
        return "OWNER, which changes the ACL" if kind == "OWNER" else None
    if role.upper() == "OWNER":
        return "OWNER, which changes the dataset's access list"
    permission = policy_admin_permission(role, {}, "bigquery/dataset")
    return f"{role}, which holds {permission}" if permission else None


def check(resource: Resource, config):
    name = f"{resource.type.rsplit(':', 1)[-1]} {resource.name}"
    for key, value in predefined(dict(resource.props)):
        if is_unknown(value):
            yield Unknown(key)
            continue
        why = predefined_kind(value) if isinstance(value, str) else None
        if why is None:
            yield Violation(f"{name}: cannot check: {key} {str(value)[:60]!r} is not a predefined ACL (private, "
                            "projectPrivate, bucketOwnerRead, bucketOwnerFullControl, publicRead, ...)")
        elif why:
            yield Violation(f"{name} sets {key} {value}: {why}")
    try:
        found = entries(resource.type, dict(resource.props))
    except NotYetKnown as unknown:
        yield Unknown(unknown.path)
        return
    except Unreadable as error:
        yield Violation(f"{name}: cannot check: {error}")
        return
    for entry in found:
        identity = _identity(entry.entity)
        if who := public_reach(identity):
            role = "a role known only at deployment" if is_unknown(entry.role) else entry.role
            yield Violation(f"{name} grants {role} to {identity} ({entry.where}): {who}")
            continue
        if _PROJECT_ADMINS.match(entry.entity):
            continue
        if is_unknown(entry.role):
            yield Unknown(f"{entry.where} role")
            continue
        if not isinstance(entry.role, str) or not entry.role.strip():
            yield Violation(f"{name}: cannot check: the role of {entry.where} is not a role name")
            continue
        try:
            owns = _owns(resource, entry)
        except Unreadable as error:
            yield Violation(f"{name}: cannot check: {error}")
            continue
        if owns:
            yield Violation(f"{name} gives {entry.entity} ({entry.where}) {owns}: the holder can grant anyone, "
                            "allUsers included, access", category="escalation")


RULE = Rule(
    id="AGID-GCP-014",
    title="gcp-no-public-acl",
    severity="critical",
    category="public-access",
    description="Cloud Storage ACLs and BigQuery dataset access entries name no allUsers / allAuthenticatedUsers, use "
                "no public predefined ACL, and give ownership only to the project's owners and editors.",
    remediation="Enable uniform bucket-level access and grant data roles through IAM on the bucket; remove public and "
                "OWNER entries (predefinedAcl private or projectPrivate); serve public content through signed URLs "
                "or a CDN.",
    url="https://cloud.google.com/storage/docs/access-control/lists",
    check=check,
    resource_types=ACL_TYPES,
)
