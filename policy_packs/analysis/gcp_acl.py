"""Google Cloud's access-control lists as the pack reads them: Cloud Storage bucket/object ACLs and BigQuery dataset
access entries, which grant access beside IAM (legacy ACLs, active while a bucket has no uniform bucket-level
access).

Shapes (pulumi-gcp, https://www.pulumi.com/registry/packages/gcp/api-docs/storage/ and .../bigquery/):
  storage BucketAccessControl / DefaultObjectAccessControl / ObjectAccessControl  entity, role (one entry)
  storage BucketACL / ObjectACL        roleEntities ["ROLE:entity", ...], predefinedAcl; BucketACL also defaultAcl
  storage DefaultObjectACL             roleEntities
  bigquery DatasetAccess               role + one of userByEmail, groupByEmail, domain, specialGroup, iamMember
                                       (view / routine / authorizedDataset (Dataset.accesses: dataset) entries grant a view's reads, no member)
  bigquery Dataset                     accesses[]: the same fields as DatasetAccess
Entities (https://cloud.google.com/storage/docs/json_api/v1/bucketAccessControls): user-EMAIL, group-EMAIL,
domain-DOMAIN, project-{owners,editors,viewers}-NUMBER, allUsers, allAuthenticatedUsers. BigQuery members are
written as IAM members (`user:`, `group:`, `domain:`, `specialGroup:`, or the iamMember itself).

Pure: no Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentid_policy_packs.analysis.gcp_iam import NotYetKnown, Unreadable
from agentid_policy_packs.analysis.values import is_unknown

STORAGE_ENTRY_TYPES = ("gcp:storage/bucketAccessControl:BucketAccessControl",
                       "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
                       "gcp:storage/objectAccessControl:ObjectAccessControl")
STORAGE_LIST_TYPES = ("gcp:storage/bucketACL:BucketACL", "gcp:storage/objectACL:ObjectACL",
                      "gcp:storage/defaultObjectACL:DefaultObjectACL")
DATASET_ACCESS_TYPE = "gcp:bigquery/datasetAccess:DatasetAccess"
DATASET_TYPE = "gcp:bigquery/dataset:Dataset"
ACL_TYPES = STORAGE_ENTRY_TYPES + STORAGE_LIST_TYPES + (DATASET_ACCESS_TYPE, DATASET_TYPE)

# Predefined (canned) ACLs, JSON API names and their XML API spellings
# (https://cloud.google.com/storage/docs/access-control/lists#predefined-acl), compared without case, '-' or '_'.
PUBLIC_PREDEFINED = {"publicread": "anyone on the internet reads",
                     "publicreadwrite": "anyone on the internet reads and writes",
                     "authenticatedread": "anyone with a Google account reads"}
PRIVATE_PREDEFINED = ("private", "projectprivate", "bucketownerread", "bucketownerfullcontrol")
# BigQuery members that only name the project's own owners / editors (who hold the dataset through their project
# roles already) and Cloud Storage's project-team entities of the same kind.
_BIGQUERY_MEMBER_FIELDS = (("userByEmail", "user:"), ("groupByEmail", "group:"), ("domain", "domain:"),
                           ("specialGroup", "specialGroup:"), ("iamMember", ""))


@dataclass(frozen=True)
class AclEntry:
    role: Any  # "READER" / "WRITER" / "OWNER", a BigQuery role name, or an unknown value
    entity: str  # as written: user-x@y, allUsers, specialGroup:projectOwners, user:x@y, allAuthenticatedUsers
    where: str  # the input it came from (roleEntities[2], accesses[0], entity)


def predefined(props: dict[str, Any]) -> list[tuple[str, Any]]:
    """(input name, value) of every predefined-ACL input set on the resource."""
    return [(key, props[key]) for key in ("predefinedAcl", "defaultAcl") if props.get(key) is not None]


def predefined_kind(value: str) -> str | None:
    """Why a predefined ACL name is public, "" for a private one, None for a name the pack does not know."""
    folded = value.replace("-", "").replace("_", "").strip().lower()
    if folded in PUBLIC_PREDEFINED:
        return PUBLIC_PREDEFINED[folded]
    return "" if folded in PRIVATE_PREDEFINED else None


def entries(type_token: str, props: dict[str, Any]) -> list[AclEntry]:
    """The ACL entries a resource's inputs grant; raises NotYetKnown or Unreadable."""
    if type_token in STORAGE_ENTRY_TYPES:
        return [AclEntry(props.get("role"), _text(props.get("entity"), "entity"), "entity")]
    if type_token in STORAGE_LIST_TYPES:
        return _role_entities(props.get("roleEntities"))
    if type_token == DATASET_ACCESS_TYPE:
        entry = _bigquery_entry(props, "")
        return [entry] if entry else []
    if type_token == DATASET_TYPE:
        accesses = props.get("accesses")
        if accesses is None:
            return []
        if is_unknown(accesses):
            raise NotYetKnown("accesses")
        if not isinstance(accesses, list):
            raise Unreadable("accesses is not a list")
        found = []
        for index, access in enumerate(accesses):
            if is_unknown(access):
                raise NotYetKnown(f"accesses[{index}]")
            if not isinstance(access, dict):
                raise Unreadable(f"accesses[{index}] is not an object")
            entry = _bigquery_entry(access, f"accesses[{index}]")
            if entry:
                found.append(entry)
        return found
    raise ValueError(f"{type_token} is not an ACL type")


def _text(value: Any, where: str) -> str:
    if is_unknown(value):
        raise NotYetKnown(where)
    if not isinstance(value, str) or not value.strip():
        raise Unreadable(f"{where} is not a non-empty string")
    return value.strip()


def _role_entities(value: Any) -> list[AclEntry]:
    if value is None:
        return []
    if is_unknown(value):
        raise NotYetKnown("roleEntities")
    if not isinstance(value, list):
        raise Unreadable("roleEntities is not a list")
    found = []
    for index, item in enumerate(value):
        text = _text(item, f"roleEntities[{index}]")
        role, colon, entity = text.partition(":")
        if not colon or not role.strip() or not entity.strip():
            raise Unreadable(f"roleEntities[{index}] {text[:80]!r} is not ROLE:entity")
        found.append(AclEntry(role.strip(), entity.strip(), f"roleEntities[{index}]"))
    return found


def _bigquery_entry(access: dict[str, Any], where: str) -> AclEntry | None:
    """The member entry of one BigQuery access object, None for a view / routine / dataset authorization."""
    prefix = f"{where}." if where else ""
    members = [(key, kind) for key, kind in _BIGQUERY_MEMBER_FIELDS if access.get(key) is not None]
    if not members:
        if any(access.get(key) is not None for key in ("view", "routine", "authorizedDataset", "dataset")):
            return None
        raise Unreadable(f"{prefix or 'the access entry '}names no member (userByEmail, groupByEmail, domain, "
                         "specialGroup, iamMember) and no view, routine or dataset")
    if len(members) > 1:
        raise Unreadable(f"{prefix or ''}sets {' and '.join(key for key, _ in members)}: BigQuery takes one member")
    key, kind = members[0]
    return AclEntry(access.get("role"), kind + _text(access[key], prefix + key), prefix + key)
