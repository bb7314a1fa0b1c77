"""AGID-AZ-031: Cosmos DB data-plane roles grant named operations on a named database or container.

Cosmos DB has its own data-plane RBAC, outside Azure RBAC (AGID-AZ-010..015 never see it):
  - role definitions `<Api>Resource<Api>RoleDefinition` (SQL/NoSQL, Table, Cassandra, Gremlin, MongoMI) with
    `permissions[].dataActions` and `assignableScopes`; Cosmos DB supports wildcards at the containers and
    items levels (`.../containers/*`, `.../containers/items/*`): every write, delete and stored procedure;
  - role assignments `<Api>Resource<Api>RoleAssignment` with `roleDefinitionId`, `principalId` and `scope`,
    relative to the account (`/`, `/dbs/<db>`, `/dbs/<db>/colls/<container>`) or as a full ARM path;
  - built-in roles `00000000-0000-0000-0000-000000000001` (Built-in Data Reader) and
    `00000000-0000-0000-0000-000000000002` (Built-in Data Contributor: readMetadata + containers/* + items/*).
Findings:
  - a definition whose dataActions hold a wildcard (broad-grant);
  - an assignment at account scope (every database and container) of the Data Contributor or of a definition
    in the stack with wildcard dataActions;
  - an assignment of a role that is neither built-in nor defined in the stack: cannot check (fail closed); a stack
    definition's GUID names it only for an assignment in its account created after it (iam_links.ordered_after,
    issue 11: a stack definition given an existing role's GUID fails to create, and an assignment not waiting for it
    assigns the existing role).
Not flagged: the Data Reader anywhere, any role scoped to one database or container, and definitions listing
exact operations. Classic MongoDB role definitions (privileges on db/collection) use another grammar and
are not judged here (docs/coverage.md).
Sources: https://learn.microsoft.com/azure/cosmos-db/nosql/security/how-to-grant-data-plane-role-based-access,
https://learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-actions
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import azure_name, ordered_after

APIS = ("Sql", "Table", "Cassandra", "Gremlin", "MongoMI")
DEFINITIONS = tuple(f"azure-native:cosmosdb:{api}Resource{api}RoleDefinition" for api in APIS)
ASSIGNMENTS = tuple(f"azure-native:cosmosdb:{api}Resource{api}RoleAssignment" for api in APIS)
READER, CONTRIBUTOR = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
_GUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/?$", re.IGNORECASE)
_NARROWED = re.compile(r"/dbs/[^/]+(?:/|$)", re.IGNORECASE)


def account_wide(scope: str) -> bool:
    """Is a Cosmos DB assignment scope the whole account, not a db or container? Only a path naming a database
    (`/dbs/<db>`, `/dbs/<db>/colls/<container>`, relative or under the account's id) narrows it; anything else (`/`,
    the account's id in whatever shape, an id of the account the gate's mocks give: red22 r22-6) is the account."""
    return not _NARROWED.search(scope.strip())


def _wildcards(props: Mapping[str, Any]) -> list[str] | None:
    """The wildcard dataActions of a definition's inputs; None when permissions cannot be read."""
    permissions = props.get("permissions")
    if permissions is None:
        return []
    if not isinstance(permissions, list):
        return None
    found = []
    for permission in permissions:
        if not isinstance(permission, Mapping):
            return None
        actions = permission.get("dataActions") or []
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            return None
        found += [action for action in actions if "*" in action]
    return found


def _definitions(resources: list[Resource]) -> Iterator[Violation | Unknown | tuple[str, Resource, list[str]]]:
    for resource in resources:
        if resource.type not in DEFINITIONS:
            continue
        permissions = resource.props.get("permissions")
        if is_unknown(permissions) or (isinstance(permissions, list) and any(
                is_unknown(p) or (isinstance(p, Mapping) and is_unknown(p.get("dataActions"))) for p in permissions)):
            yield Unknown("permissions", resource.urn)
            continue
        wildcards = _wildcards(resource.props)
        if wildcards is None:
            yield Violation(f"{resource.name}: cannot check: permissions is not a list of {{dataActions: [...]}}",
                            resource.urn)
            continue
        if wildcards:
            yield Violation(f"{resource.name} defines Cosmos DB data actions {wildcards}: every write, delete and "
                            "stored procedure of the containers it is assigned on", resource.urn)
        guid = azure_name(resource, "roleDefinitionId")  # its input, or the GUID azure-native autonames it
        if isinstance(guid, str) and _GUID.search(guid):
            yield _GUID.search(guid).group(1).lower(), resource, wildcards


def _same_account(assignment: Resource, definition: Resource) -> bool:
    """A role definition's GUID names it only within its account (a definition is a child of the account)."""
    mine, theirs = assignment.props.get("accountName"), definition.props.get("accountName")
    return not (isinstance(mine, str) and isinstance(theirs, str) and not is_unknown(mine) and not is_unknown(theirs)
                and mine.strip().lower() != theirs.strip().lower())


def check(resources: list[Resource], config):
    wildcard_roles: dict[str, list[tuple[Resource, list[str]]]] = {}
    for outcome in _definitions(resources):
        if isinstance(outcome, tuple):
            wildcard_roles.setdefault(outcome[0], []).append((outcome[1], outcome[2]))
        else:
            yield outcome
    for resource in resources:
        if resource.type not in ASSIGNMENTS:
            continue
        role, scope = resource.props.get("roleDefinitionId"), resource.props.get("scope")
        if is_unknown(role) or is_unknown(scope):
            yield Unknown("roleDefinitionId" if is_unknown(role) else "scope", resource.urn)
            continue
        if not isinstance(role, str) or not isinstance(scope, str) or not _GUID.search(role):
            yield Violation(f"{resource.name}: cannot check: roleDefinitionId must be a role definition id and scope "
                            "a path (/, /dbs/<db>, /dbs/<db>/colls/<container>)", resource.urn)
            continue
        guid = _GUID.search(role).group(1).lower()
        if guid == READER:
            continue
        if guid == CONTRIBUTOR:
            why = "the Built-in Data Contributor writes and deletes every item"
        elif guid in wildcard_roles:
            # the stack's definition only in its account and for an assignment created after it (issue 11, typed
            # decoy: a stack definition given an existing role's GUID fails to create, and an assignment not waiting
            # for it assigns the existing role)
            own = [(d, w) for d, w in wildcard_roles[guid] if _same_account(resource, d) and ordered_after(resource, d)]
            if not own:
                names = ", ".join(d.name for d, _ in wildcard_roles[guid])
                yield Violation(f"{resource.name}: cannot check: role {guid} is the id of this stack's {names}, but "
                                f"{resource.name} is in another account or does not depend on it: were its create to "
                                "fail (the id taken), this would assign the existing role", resource.urn)
                continue
            wildcards = sorted({action for _, found in own for action in found})
            if not wildcards:
                continue
            why = f"its role grants {wildcards}"
        else:
            yield Violation(f"{resource.name}: cannot check: role {guid} is neither a Cosmos DB built-in role nor "
                            "defined in this stack", resource.urn)
            continue
        if account_wide(scope):
            yield Violation(f"{resource.name} assigns Cosmos DB data-plane role {guid} at account scope {scope!r} to "
                            f"{resource.props.get('principalId')}: {why} in every database and container", resource.urn)


RULE = Rule(
    id="AGID-AZ-031",
    title="azure-cosmos-data-plane-scoped",
    severity="critical",
    category="broad-grant",
    description="Cosmos DB data-plane role definitions list exact data actions, and write roles are assigned on one "
                "database or container, never the whole account.",
    remediation="Define a role with the exact data actions the tool calls (items/read, executeQuery, items/create, "
                "...) and assign it at /dbs/<db>/colls/<container>; the Built-in Data Reader may stay account-wide.",
    url="https://learn.microsoft.com/azure/cosmos-db/nosql/security/how-to-grant-data-plane-role-based-access",
    check=check,
    stack=True,
    reads=DEFINITIONS + ASSIGNMENTS,
)
