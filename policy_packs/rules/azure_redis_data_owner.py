"""AGID-AZ-062 (stack): Azure Cache for Redis access-policy assignments grant no command set with the dangerous ones.

Azure Cache for Redis has its own data-plane RBAC, outside Azure RBAC: an access policy is a Redis ACL permission
string (`+@read ~app:*`), and an access-policy assignment gives it to an Entra principal (`objectId`) on the whole
cache. The built-in "Data Owner" is full access to every command and key (FLUSHALL, FLUSHDB, KEYS, MIGRATE,
CLIENT, ...: red11a r30 gave it to an arbitrary principal and passed); "Data Contributor" and "Data Reader" exclude
the dangerous commands. A custom policy the stack defines (`redis.AccessPolicy`, same cache) is read as Redis reads
an ACL rule, left to right: `+@all` / `allcommands` / `+@dangerous` grant the dangerous category until a later
`-@dangerous` / `-@all` / `nocommands` takes it away. A policy name that is neither built-in nor defined in the stack
is "cannot check" (fail closed); so is a stack policy the assignment is not created after (a dependency: an Output of
it, or depends_on; iam_links.ordered_after, issue 11: a stack policy of an existing one's name fails to create and the
assignment, created in parallel, grants the existing one).
Sources: https://learn.microsoft.com/en-us/azure/azure-cache-for-redis/cache-configure-role-based-access-control
(built-in policies, permission strings), https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/
(ACL rules, the @dangerous category).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import azure_name, ordered_after

ASSIGNMENT = "azure-native:redis:AccessPolicyAssignment"
POLICY = "azure-native:redis:AccessPolicy"
FULL_ACCESS = "data owner"
BUILT_IN_LIMITED = frozenset({"data contributor", "data reader"})
_GRANTS = frozenset({"+@all", "allcommands", "+@dangerous"})
_REVOKES = frozenset({"-@all", "nocommands", "-@dangerous"})


def grants_dangerous(permissions: str) -> bool:
    """Whether an ACL permission string leaves the @dangerous category granted (rules apply left to right)."""
    granted = False
    for rule in permissions.lower().split():
        if rule in _GRANTS:
            granted = True
        elif rule in _REVOKES:
            granted = False
    return granted


def _low(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and not is_unknown(value) else None


def _custom(policy: Resource) -> tuple[str | None, str | None]:
    """(its Azure name, its cache's): `accessPolicyName`, or without it the name azure-native gives a child resource,
    its logical name (iam_links.azure_name)."""
    return _low(azure_name(policy, "accessPolicyName")), _low(policy.props.get("cacheName"))


def check(resources: list[Resource], config):
    policies = [policy for policy in resources if policy.type == POLICY]
    for assignment in resources:
        if assignment.type != ASSIGNMENT:
            continue
        name = assignment.props.get("accessPolicyName")
        if is_unknown(name):
            yield Unknown(f"{assignment.name}.accessPolicyName", assignment.urn)
            continue
        policy = _low(name)
        who = str(assignment.props.get("objectIdAlias") or assignment.props.get("objectId") or "a principal")[:80]
        if policy == FULL_ACCESS:
            yield Violation(f"{assignment.name} makes {who} Data Owner of Redis cache "
                            f"{assignment.props.get('cacheName')}: every command (the dangerous ones too: FLUSHALL, "
                            "KEYS, MIGRATE, CLIENT) on every key", assignment.urn)
            continue
        if policy in BUILT_IN_LIMITED:
            continue
        cache = _low(assignment.props.get("cacheName"))
        # a stack policy is the one assigned only when the assignment is created after it (issue 11: a stack policy
        # of an existing one's name fails to create, and an assignment not waiting for it grants the existing one)
        defined = [p for p in policies if (_custom(p) == (policy, cache) or (_custom(p)[0] == policy and cache is None))
                   and ordered_after(assignment, p)]
        if not defined:
            yield Violation(f"{assignment.name} assigns access policy {str(name)[:80]!r}, which is neither built-in nor "
                            "defined in this stack for that cache: cannot check what it grants", assignment.urn)
            continue
        permissions = defined[0].props.get("permissions")
        if is_unknown(permissions):
            yield Unknown(f"{defined[0].name}.permissions", defined[0].urn)
        elif not isinstance(permissions, str):
            yield Violation(f"{defined[0].name}: permissions is not an ACL string: cannot check what "
                            f"{assignment.name} grants", assignment.urn)
        elif grants_dangerous(permissions):
            yield Violation(f"{assignment.name} gives {who} access policy {name!r} ({permissions[:120]!r}), which "
                            "grants the @dangerous commands (FLUSHALL, KEYS, MIGRATE, CLIENT, ...)", assignment.urn)


RULE = Rule(
    id="AGID-AZ-062",
    title="azure-redis-data-owner",
    severity="critical",  # as AGID-AZ-031 for Cosmos DB data-plane roles
    category="broad-grant",
    description="Azure Cache for Redis access-policy assignments give no Data Owner and no custom policy that "
                "grants the dangerous commands; custom policies are defined in the stack.",
    remediation="Assign Data Contributor or Data Reader, or a custom access policy with only the commands and key "
                "patterns the principal needs (e.g. '+@read +set ~app:*'), defined in this stack.",
    url="https://learn.microsoft.com/en-us/azure/azure-cache-for-redis/cache-configure-role-based-access-control",
    check=check,
    stack=True,
    reads=(ASSIGNMENT, POLICY),
)
