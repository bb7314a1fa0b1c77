"""AGID-GCP-016 (stack): a service account joins only groups the stack defines, so what it gains is judged.

A member of a Google group holds every role granted to `group:EMAIL`, at every level (organization, folders,
projects, resources), and the roles of every group that group belongs to
(https://cloud.google.com/iam/docs/groups-in-cloud-console, Cloud Identity memberships:
https://cloud.google.com/identity/docs/groups). A gcp.cloudidentity.GroupMembership that puts a service account
(its e-mail ends in gserviceaccount.com, or the stack's gcp.serviceaccount.Account whose `email` it is) into a group
the stack does not define gives the account whatever that group holds, which the pack cannot see: "cannot check
what group G holds" (fail closed; red7a finding 11: the agent's account joined a group holding roles/owner on the
organization and the stack passed). A group defined in the same stack (`group=<gcp.cloudidentity.Group>.id`: the
membership's `group` is its id: a known one, or an Output unknown at preview as iam_links.output_sources proves it,
never a bare depends_on the stack group, issue 11; Cloud Identity assigns group ids, so a literal `groups/ID` is
never the stack's unless it is one the deployment or the gate's mocks gave it) passes:
the bindings of its `group:` e-mail are judged by the other GCP rules. Users and other groups as members are not
judged here.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import known_state, output_sources

MEMBERSHIP_TYPE = "gcp:cloudidentity/groupMembership:GroupMembership"
GROUP_TYPE = "gcp:cloudidentity/group:Group"
ACCOUNT_TYPE = "gcp:serviceaccount/account:Account"
_SERVICE_ACCOUNT_DOMAIN = "gserviceaccount.com"  # user-managed (.iam.), default (developer., appspot) and service agents


def _member(resource: Resource) -> tuple[object, str]:
    """(the member key's id, where it was read); preferredMemberKey wins over the older memberKey."""
    for key in ("preferredMemberKey", "memberKey"):
        value = resource.props.get(key)
        if is_unknown(value):
            return value, key
        if isinstance(value, dict) and value.get("id") is not None:
            return value["id"], f"{key}.id"
    return None, "preferredMemberKey.id"


def _depends_on(resource: Resource, by_urn: dict[str, Resource], type_: str) -> Resource | None:
    return next((by_urn[urn] for urn in resource.dependencies if urn in by_urn and by_urn[urn].type == type_), None)


def check(resources: list[Resource], config):
    by_urn = {resource.urn: resource for resource in resources}
    groups = [resource for resource in resources if resource.type == GROUP_TYPE]
    for resource in resources:
        if resource.type != MEMBERSHIP_TYPE:
            continue
        member, where = _member(resource)
        if is_unknown(member):
            account = _depends_on(resource, by_urn, ACCOUNT_TYPE)
            if account is None:
                yield Unknown(f"{resource.name}.{where}", resource.urn)
                continue
            member = f"the stack's service account {account.name}"
        elif not isinstance(member, str) or not member.strip():
            yield Violation(f"{resource.name}: cannot check: {where} is not an e-mail address", resource.urn)
            continue
        elif not member.strip().lower().rstrip(".").endswith(_SERVICE_ACCOUNT_DOMAIN):
            continue  # a user or a group: not a workload identity
        group = resource.props.get("group")
        if is_unknown(group):
            # the stack group's id only as output_sources proves it (a depends_on the stack group beside a constant
            # behind another Output names an existing group: issue 11)
            if output_sources(resource, groups, ("name", "id"), "group") is None:
                yield Unknown(f"{resource.name}.group", resource.urn)
            continue
        if isinstance(group, str) and any(group in (known_state(g).get("name"), known_state(g).get("id")) for g in groups):
            continue  # the stack group's known id (after deployment, or the gate mocks')
        yield Violation(f"{resource.name} adds {member} to group {str(group)[:120]!r}, which this stack does not "
                        "define: cannot check what the group holds (every role granted to it at any level, and the "
                        "groups it belongs to), so the account gains unknown power", resource.urn)


RULE = Rule(
    id="AGID-GCP-016",
    title="gcp-service-account-group-known",
    severity="critical",
    category="unparseable",
    description="A service account is added only to Google groups the same stack defines, so the roles it gains "
                "through the group are judged.",
    remediation="Grant the service account its roles directly, or define the group in this stack "
                "(gcp.cloudidentity.Group, membership group=<group>.id) so its bindings are judged.",
    url="https://cloud.google.com/identity/docs/groups",
    check=check,
    stack=True,
    reads=(MEMBERSHIP_TYPE, GROUP_TYPE, ACCOUNT_TYPE),
)
