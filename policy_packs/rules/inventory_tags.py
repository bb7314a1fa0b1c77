"""AGID-INV-001: identity-bearing resources carry the inventory tags (agent, owner, review-by).

Checked: IAM roles, user-assigned managed identities and Entra applications
(Entra tags are strings; "key:value" and "key=value" are read). review-by must
be an ISO date (YYYY-MM-DD) that has not passed. An Entra application that only
exposes an API (identifierUris or appRoles, and requests no access itself) is
the resource agents call, not an agent's identity, and is not checked.
"""

import datetime

from agentid_components.naming import INVENTORY_TAG_KEYS, TAG_REVIEW_BY
from agentid.today import today
from agentid_policy_packs.analysis.values import unknown_path

from .base import Resource, Rule, Unknown, Violation, tags_of

TYPES = (
    "aws:iam/role:Role",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azuread:index/application:Application",
)


APPLICATION = "azuread:index/application:Application"


def is_agent_identity(resource: Resource) -> bool:
    """Identity-bearing resources, except Entra applications that only expose an API."""
    if resource.type not in TYPES:
        return False
    if resource.type != APPLICATION:
        return True
    props = resource.props
    exposes_api = bool(props.get("identifierUris") or props.get("appRoles") or props.get("api"))
    return not exposes_api or bool(props.get("requiredResourceAccesses"))


def check(resource: Resource, config):
    if not is_agent_identity(resource):
        return
    raw = resource.props.get("tags")
    path = unknown_path(raw)
    if path is not None:
        yield Unknown(f"tags.{path}" if path else "tags")
        return
    tags = tags_of(raw)
    if tags is None:
        yield Violation(f"{resource.name}: tags are not a map or a list of strings")
        return
    missing = [key for key in INVENTORY_TAG_KEYS if not str(tags.get(key, "")).strip()]
    if missing:
        yield Violation(f"{resource.name} lacks inventory tag(s) {', '.join(missing)}: every identity must say "
                        "which agent it serves, who owns it and when it is next reviewed")
    review_by = tags.get(TAG_REVIEW_BY)
    if review_by and TAG_REVIEW_BY not in missing:
        try:
            due = datetime.date.fromisoformat(review_by.strip())
        except ValueError:
            yield Violation(f"{resource.name}: {TAG_REVIEW_BY} {review_by!r} is not a date (YYYY-MM-DD)")
            return
        if due < today():
            yield Violation(f"{resource.name}: {TAG_REVIEW_BY} {due.isoformat()} has passed; review the identity "
                            "and move the date")


RULE = Rule(
    id="AGID-INV-001",
    title="identity-inventory-tags",
    severity="medium",
    category="inventory",
    description="Roles, managed identities and applications carry agent, owner and review-by tags.",
    remediation="Declare the identity through an agent spec (components set the tags), or add the tags by hand.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html",
    check=check,
    resource_types=TYPES,
)
