"""AGID-AWS-006: no permissions are granted to IAM users, whatever they are named.

An IAM user's programmatic credential is a static access key; permissions given to a user (an
inline `UserPolicy`, an attached managed policy, the policies of a group it joins) are permissions
held by whoever holds that key. Agents, and workloads generally, get roles. Checked: every resource
that grants a user permissions: UserPolicy, UserPolicyAttachment, UserPolicyAttachmentsExclusive,
UserPoliciesExclusive, PolicyAttachment with `users`, UserGroupMembership, GroupMembership.
Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-workloads-use-roles
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

# type token -> (input naming the user(s), how the grant reads)
GRANTS = {
    "aws:iam/userPolicy:UserPolicy": ("user", "an inline policy"),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("user", "a managed policy"),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("userName", "managed policies"),
    "aws:iam/userPoliciesExclusive:UserPoliciesExclusive": ("userName", "inline policies"),
    "aws:iam/policyAttachment:PolicyAttachment": ("users", "a managed policy"),
    "aws:iam/userGroupMembership:UserGroupMembership": ("user", "the policies of its groups"),
    "aws:iam/groupMembership:GroupMembership": ("users", "the policies of group"),
}


def check(resource: Resource, config):
    field, grant = GRANTS[resource.type]
    users = resource.props.get(field)
    if is_unknown(users):
        yield Unknown(field)
        return
    if users is None or users == []:
        if resource.type != "aws:iam/policyAttachment:PolicyAttachment":
            yield Violation(f"{resource.name}: {field} is missing, so which IAM user it grants permissions to cannot "
                            "be judged")
        return
    names = users if isinstance(users, list) else [users]
    if not all(isinstance(u, str) for u in names):
        yield Violation(f"{resource.name}: {field} is not a user name or a list of user names, so it cannot be judged")
        return
    shown = ", ".join("(computed)" if is_unknown(u) else u for u in names)
    if resource.type == "aws:iam/groupMembership:GroupMembership":
        group = resource.props.get("group")
        grant = f"{grant} {group}" if isinstance(group, str) and not is_unknown(group) else "a group's policies"
    yield Violation(f"{resource.name} gives IAM user(s) {shown} {grant}: permissions held by a static access key; "
                    "grant them to a role the workload assumes instead")


RULE = Rule(
    id="AGID-AWS-006",
    title="aws-no-iam-user-grants",
    severity="high",
    category="static-credential",
    description="No policies or group memberships for IAM users (any name): workloads and agents get roles.",
    remediation="Move the permissions to an IAM role assumed through OIDC, Roles Anywhere or Pod Identity; people "
                "sign in through IAM Identity Center.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-workloads-use-roles",
    check=check,
    resource_types=tuple(GRANTS),
)
