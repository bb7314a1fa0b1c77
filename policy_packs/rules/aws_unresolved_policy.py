"""AGID-AWS-015 (stack): every attached customer managed policy is one the pack can read.

An attachment (RolePolicyAttachment, UserPolicyAttachment, GroupPolicyAttachment, PolicyAttachment,
*PolicyAttachmentsExclusive, Role.managedPolicyArns) of a policy ARN that is neither an
`aws:iam/policy:Policy` of this stack nor an AWS managed policy names a document the pack never
sees: what it grants, alone or with the principal's other policies, cannot be checked. AWS managed
ARNs missing from the snapshot are AGID-AWS-014's; references unknown at preview are AGID-AWS-021's
"cannot check until known". A literal ARN is the stack's policy only when it names it exactly (an explicit name, or
the known ARN; never the logical name of an autonamed policy) and the attaching resource is created after it
(iam_links.ordered_after, issue 11): the stack's `Policy("decoy", name="prod-admin-policy")` fails to create when that
policy exists, and an attachment of `...:policy/prod-admin-policy` that does not wait for it attaches the existing one.

IAM Identity Center the same (red9a #9): an `ssoadmin.AccountAssignment` of a permission set this stack does not
define gives the user or group whatever that permission set holds (AdministratorAccess, for all the pack can tell)
in the target account; a `CustomerManagedPolicyAttachment` (or each reference of a
`CustomerManagedPolicyAttachmentsExclusive`) names a policy by name (and path) that lives in each assigned account,
readable only when this stack defines an `aws:iam/policy:Policy` with that explicit name and path (an autonamed
policy is `<logical name>-<suffix>`, so a reference to its logical name is another policy; under `agentid preview` an
autonamed policy's name as the gate's mocks drew it with their per-run key, which only its Output carries). A
permission set is the stack's when its ARN is unknown at preview and iam_links.output_sources proves it a stack
`PermissionSet`'s Output (the assignment depends on stack permission sets and nothing else; otherwise "cannot check
until known": `depends_on=[own]` beside a constant behind another Output proves nothing, issue 11), or when the
assignment depends on a stack permission set and the ARN is not in the form AWS gives existing ones
(`arn:aws:sso:::permissionSet/ssoins-.../ps-...`: the gate mocks' stand-in): depending on a stack permission set while
naming an existing ARN (`ps.arn.apply(lambda _: EXISTING)`) is an existing one.
Source: https://docs.aws.amazon.com/singlesignon/latest/userguide/customermanagedpolicies.html

Groups the same (red7b f15): an IAM `UserGroupMembership` / `GroupMembership` naming a group this stack does not
define gives the user that group's policies (`Administrators`, for all the pack can tell), and an Identity Center
`identitystore.GroupMembership` in a group the stack does not define gives the member every permission set the group
is assigned in any account. A group is the stack's by name, ARN or Output (iam_links), or, in the identity store, when
the membership's groupId is a stack `identitystore.Group`'s known groupId, or unknown at preview and proven its Output
by iam_links.output_sources (a dependency on a stack group alone proves nothing, issue 11).
Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html,
https://docs.aws.amazon.com/singlesignon/latest/userguide/users-groups-provisioning.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Rule, Unknown, Violation
from .iam_links import (ATTACHMENTS, GROUP, MEMBERSHIPS, ROLE, autonames_unpredictable, known_state, link,
                        output_sources)

PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
ACCOUNT_ASSIGNMENT = "aws:ssoadmin/accountAssignment:AccountAssignment"
CUSTOMER_POLICY_ATTACHMENT = "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment"
CUSTOMER_POLICY_ATTACHMENTS_EXCLUSIVE = ("aws:ssoadmin/customerManagedPolicyAttachmentsExclusive:"
                                         "CustomerManagedPolicyAttachmentsExclusive")
CUSTOMER_POLICY_ATTACHMENTS = (CUSTOMER_POLICY_ATTACHMENT, CUSTOMER_POLICY_ATTACHMENTS_EXCLUSIVE)
IAM_POLICY = "aws:iam/policy:Policy"
STORE_GROUP = "aws:identitystore/group:Group"
STORE_MEMBERSHIP = "aws:identitystore/groupMembership:GroupMembership"
_EXISTING_PERMISSION_SET = re.compile(r"^arn:aws[a-z-]*:sso:::permissionSet/ssoins-[0-9a-f]{16}/ps-[0-9a-f]{16}$",
                                      re.IGNORECASE)


def _unseen_permission_sets(resources):
    own = [r for r in resources if r.type == PERMISSION_SET]
    own_urns = {r.urn for r in own}
    for assignment in (r for r in resources if r.type == ACCOUNT_ASSIGNMENT):
        arn = assignment.props.get("permissionSetArn")
        if is_unknown(arn):
            # the stack's permission set only as output_sources proves it (depends on stack permission sets and
            # nothing else, their ARN not known): depends_on=[own] beside a constant behind another Output is not
            if output_sources(assignment, own, ("arn", "id"), "permissionSetArn") is None:
                yield Unknown(f"{assignment.name}.permissionSetArn", assignment.urn)
            continue
        depends = any(urn in own_urns for urn in assignment.dependencies)
        if depends and not (isinstance(arn, str) and _EXISTING_PERMISSION_SET.match(arn.strip())):
            continue  # the gate mocks' stand-in for a stack permission set's ARN: no existing one has that form
        principal = f"{assignment.props.get('principalType', 'principal')} {assignment.props.get('principalId', '?')}"
        yield Violation(f"{assignment.name} assigns {principal} permission set {str(arn)[:200]!r} in "
                        f"{assignment.props.get('targetId', '?')}, which this stack does not define: cannot check "
                        "what it grants there", assignment.urn)


def _customer_policy_references(attachment):
    """(input path, reference) of each customer managed policy an attachment gives its permission set."""
    if attachment.type == CUSTOMER_POLICY_ATTACHMENT:
        yield "customerManagedPolicyReference", attachment.props.get("customerManagedPolicyReference")
        return
    references = attachment.props.get("customerManagedPolicyReferences")
    if is_unknown(references) or references is None:
        yield "customerManagedPolicyReferences", references
        return
    if not isinstance(references, list):
        yield "customerManagedPolicyReferences", references  # not a list: unreadable below
        return
    for index, reference in enumerate(references):
        yield f"customerManagedPolicyReferences[{index}]", reference


def _unseen_customer_policies(resources):
    # A policy is the stack's only under the name it gives explicitly: without `name` the engine autonames it
    # (`<logical name>-<random suffix>`), so a reference to the bare logical name is some other account's policy.
    # Under the gate with its per-run key the autoname is one no program can write (iam_links.autonames_unpredictable):
    # a reference equal to it is the policy's Output (`compute.name`), the stack's policy too.
    keyed = autonames_unpredictable()
    defined = {(name.lower(), str(r.props.get("path") or "/"))
               for r in resources if r.type == IAM_POLICY
               for name in [r.props.get("name") if isinstance(r.props.get("name"), str)
                            else known_state(r).get("name") if keyed else None]
               if isinstance(name, str) and not is_unknown(name)}
    for attachment in (r for r in resources if r.type in CUSTOMER_POLICY_ATTACHMENTS):
        for path_input, reference in _customer_policy_references(attachment):
            if reference is None and path_input == "customerManagedPolicyReferences":
                continue  # an exclusive attachment of no policy: it only removes
            if is_unknown(reference) or (isinstance(reference, Mapping) and is_unknown(reference.get("name"))):
                continue  # AGID-AWS-021's "cannot check until known"
            if not isinstance(reference, Mapping) or not isinstance(reference.get("name"), str):
                yield Violation(f"{attachment.name}: {path_input} is not a {{name, path}} object, so which policy the "
                                "permission set gets cannot be judged", attachment.urn)
                continue
            name, path = reference["name"], reference.get("path") or "/"
            if (name.lower(), str(path)) not in defined:
                yield Violation(f"{attachment.name} gives its permission set the customer managed policy {path}{name} "
                                "of each assigned account, which this stack does not define (with that name): cannot "
                                "check what it grants", attachment.urn)


def _unseen_store_groups(resources):
    own = {r.urn: r for r in resources if r.type == STORE_GROUP}
    for membership in (r for r in resources if r.type == STORE_MEMBERSHIP):
        group_id = membership.props.get("groupId")
        if is_unknown(group_id):
            # an Output of a stack group only as output_sources proves it (depends_on a stack group beside a constant
            # behind another Output names an existing group)
            if output_sources(membership, list(own.values()), ("groupId",), "groupId") is None:
                yield Unknown(f"{membership.name}.groupId", membership.urn)
            continue
        if isinstance(group_id, str) and any(group_id == known_state(g).get("groupId") for g in own.values()):
            continue  # a stack group's known id (after deployment)
        yield Violation(f"{membership.name} adds {membership.props.get('memberId', 'a member')} to the Identity Center "
                        f"group {str(group_id)[:200]!r}, which this stack does not define: cannot check which permission "
                        "sets the group holds in which accounts", membership.urn)


def check(resources, config):
    links = link(resources)
    for holder, arn, urn in dict.fromkeys(links.unresolved):
        yield Violation(f"{holder} attaches {arn}, a policy neither defined in this stack nor AWS managed: cannot "
                        "check what it grants (alone or with the principal's other policies)", urn)
    for holder, group, urn in dict.fromkeys(links.unseen_groups):
        yield Violation(f"{holder} adds IAM users to the group {group[:200]!r}, which this stack does not define: "
                        "cannot check what the group's policies grant", urn)
    yield from _unseen_store_groups(resources)
    yield from _unseen_permission_sets(resources)
    yield from _unseen_customer_policies(resources)


RULE = Rule(
    id="AGID-AWS-015",
    title="aws-attached-policy-readable",
    severity="high",
    # mandatory: a grant whose content the pack cannot see may be anything (an administrator role, a
    # policy or permission set of `*`), so it fails closed as the GCP and Kubernetes twins do (AGID-GCP-011,
    # AGID-K8S-006); a reviewed outside grant passes with a waiver that names it
    enforcement="mandatory",
    category="unparseable",
    description="Every attached customer managed policy, every group joined, and every IAM Identity Center "
                "permission set assigned, customer policy referenced or group joined, is defined in the stack, so "
                "what it grants can be judged.",
    remediation="Define the policy in this stack (aws.iam.Policy) or attach the stack's own policy by its ARN output; "
                "a policy managed elsewhere is reviewed where it is defined.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
    check=check,
    stack=True,
    reads=(*ATTACHMENTS, *MEMBERSHIPS, ROLE, GROUP, PERMISSION_SET, ACCOUNT_ASSIGNMENT,
           *CUSTOMER_POLICY_ATTACHMENTS, IAM_POLICY, STORE_GROUP, STORE_MEMBERSHIP),
)
