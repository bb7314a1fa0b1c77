"""AGID-GCP-013: no role that rewrites a resource's IAM policy, even bound on that one resource.

A role holding `<service>.<kind>.setIamPolicy` on a bucket, secret, key ring, topic, service account, ...
(roles/storage.admin, roles/storage.legacyBucketOwner, roles/secretmanager.admin, roles/cloudkms.admin,
roles/pubsub.admin, roles/iam.serviceAccountAdmin, or a custom role of the stack with the permission) lets its
holder grant any role on that resource to anyone: allUsers, another project's account, itself as token creator.
The target is bounded, but who may reach it is not, so every member (agent or not) is flagged. Grants above one
resource are AGID-GCP-005's / AGID-GCP-007's. The role is judged by its permissions (the predefined-role
catalogue, components/data/gcp_roles.json.gz, or the custom role's definition in the same stack), never by its
name; a role neither knows is AGID-GCP-011's. A custom role whose permissions are known only at deployment is
"cannot check until known".
Sources: https://cloud.google.com/iam/docs/granting-changing-revoking-access (setIamPolicy),
https://cloud.google.com/storage/docs/access-control/iam-roles, https://cloud.google.com/iam/docs/roles-permissions.
"""

from __future__ import annotations

from agentid_components import gcp_catalog
from agentid_policy_packs.analysis.gcp_iam import Binding, binding_types, level_of
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_agent_broad_binding import CUSTOM_ROLE_TYPES, _custom_roles
from .gcp_bindings import each_binding

SET_IAM_POLICY = "setIamPolicy"


def policy_admin_permission(role: str, custom: dict[str, object], target: str = "") -> str | None:
    """The setIamPolicy permission `role` holds, "(permissions not known)" for a stack role whose permissions are
    not readable lists, or None (no such permission, or a role the pack cannot see: AGID-GCP-011).

    `target` (a type token) picks, for the message, the permission on that kind of resource when the role holds
    several (roles/pubsub.admin on a topic: pubsub.topics.setIamPolicy, not pubsub.schemas.setIamPolicy)."""
    if role in custom:
        permissions = custom[role]
        if not isinstance(permissions, list):
            return "(permissions not known)"
    else:
        info = gcp_catalog.role_info(role)
        if info is None:
            return None
        permissions = list(info.permissions)
    # a pattern (`storage.*`, `*`) covers setIamPolicy; Google refuses them in custom roles, fail closed anyway
    held = [p for p in permissions if isinstance(p, str) and (p.rsplit(".", 1)[-1] == SET_IAM_POLICY or p.endswith("*"))]
    kind = target.lower()
    on_target = [p for p in held if p.count(".") == 2 and p.split(".")[1].lower().rstrip("s") in kind]
    return (on_target or held or [None])[0]


def check(resources: list[Resource], config):
    custom = _custom_roles(resources)
    for resource in resources:
        if resource.type not in binding_types() or level_of(resource.type) != "resource":
            continue
        for outcome in each_binding(resource):
            if not isinstance(outcome, Binding):
                yield type(outcome)(**{**outcome.__dict__, "urn": resource.urn})
                continue
            role = outcome.role.strip()
            if role in custom and is_unknown(custom[role]):
                yield Unknown(f"permissions of custom role {role}", resource.urn)
                continue
            permission = policy_admin_permission(role, custom, resource.type)
            if permission is None:
                continue
            kind = resource.type.rsplit(":", 1)[-1]
            yield Violation(f"{resource.name} ({kind}) grants {role} to {', '.join(outcome.members)}: it holds "
                            f"{permission}, so the holder can grant any role on the resource to anyone, allUsers "
                            "included", resource.urn)


RULE = Rule(
    id="AGID-GCP-013",
    title="gcp-no-resource-iam-admin",
    severity="high",
    enforcement="mandatory",
    category="escalation",
    description="No binding, even on one resource, of a role that holds setIamPolicy on it (storage.admin, "
                "legacyBucketOwner, secretmanager.admin, cloudkms.admin, pubsub.admin, ...).",
    remediation="Bind the data role the workload needs on the resource (roles/storage.objectViewer, "
                "roles/secretmanager.secretAccessor, roles/cloudkms.cryptoKeyEncrypterDecrypter, "
                "roles/pubsub.publisher); keep IAM administration of the resource with people.",
    url="https://cloud.google.com/iam/docs/granting-changing-revoking-access",
    check=check,
    stack=True,
    reads=tuple(t for t in binding_types() if level_of(t) == "resource") + CUSTOM_ROLE_TYPES,
)
