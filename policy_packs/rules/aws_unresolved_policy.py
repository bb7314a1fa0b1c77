"""AGID-AWS-015 (stack): every attached customer managed policy is one the pack can read.

An attachment (RolePolicyAttachment, UserPolicyAttachment, GroupPolicyAttachment, PolicyAttachment,
*PolicyAttachmentsExclusive, Role.managedPolicyArns) of a policy ARN that is neither an
`aws:iam/policy:Policy` of this stack nor an AWS managed policy names a document the pack never
sees: what it grants, alone or with the principal's other policies, cannot be checked. AWS managed
ARNs missing from the snapshot are AGID-AWS-014's; references unknown at preview are AGID-AWS-021's
"cannot check until known".

IAM Identity Center the same (red9a #9): an `ssoadmin.AccountAssignment` of a permission set this stack does not
define gives the user or group whatever that permission set holds (AdministratorAccess, for all the pack can tell)
in the target account; a `CustomerManagedPolicyAttachment` names a policy by name (and path) that lives in each
assigned account, readable only when this stack defines an `aws:iam/policy:Policy` of that name and path. A
permission set is the stack's when the assignment depends on a stack `PermissionSet` and its ARN is not an
existing one's (`arn:aws:sso:::permissionSet/ssoins-.../ps-...`, the form AWS gives: the stack's own is computed
at deployment, so unknown at preview or the gate mocks' stand-in): depending on a stack permission set while naming
an existing ARN (`ps.arn.apply(lambda _: EXISTING)`) is an existing one.
Source: https://docs.aws.amazon.com/singlesignon/latest/userguide/customermanagedpolicies.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Rule, Violation
from .iam_links import ATTACHMENTS, ROLE, link

PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
ACCOUNT_ASSIGNMENT = "aws:ssoadmin/accountAssignment:AccountAssignment"
CUSTOMER_POLICY_ATTACHMENT = "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment"
IAM_POLICY = "aws:iam/policy:Policy"
_EXISTING_PERMISSION_SET = re.compile(r"^arn:aws[a-z-]*:sso:::permissionSet/ssoins-[0-9a-f]{16}/ps-[0-9a-f]{16}$",
                                      re.IGNORECASE)


def _unseen_permission_sets(resources):
    own = {r.urn for r in resources if r.type == PERMISSION_SET}
    for assignment in (r for r in resources if r.type == ACCOUNT_ASSIGNMENT):
        arn = assignment.props.get("permissionSetArn")
        depends = any(urn in own for urn in assignment.dependencies)
        if depends and (is_unknown(arn) or not (isinstance(arn, str) and _EXISTING_PERMISSION_SET.match(arn.strip()))):
            continue
        if is_unknown(arn):
            continue  # no stack permission set explains it: AGID-AWS-021's "cannot check until known"
        principal = f"{assignment.props.get('principalType', 'principal')} {assignment.props.get('principalId', '?')}"
        yield Violation(f"{assignment.name} assigns {principal} permission set {str(arn)[:200]!r} in "
                        f"{assignment.props.get('targetId', '?')}, which this stack does not define: cannot check "
                        "what it grants there", assignment.urn)


def _unseen_customer_policies(resources):
    defined = {(str(r.props.get("name", r.name)).lower(), str(r.props.get("path") or "/"))
               for r in resources if r.type == IAM_POLICY}
    for attachment in (r for r in resources if r.type == CUSTOMER_POLICY_ATTACHMENT):
        reference = attachment.props.get("customerManagedPolicyReference")
        if is_unknown(reference) or (isinstance(reference, Mapping) and is_unknown(reference.get("name"))):
            continue  # AGID-AWS-021's "cannot check until known"
        if not isinstance(reference, Mapping) or not isinstance(reference.get("name"), str):
            yield Violation(f"{attachment.name}: customerManagedPolicyReference is not a {{name, path}} object, so "
                            "which policy the permission set gets cannot be judged", attachment.urn)
            continue
        name, path = reference["name"], reference.get("path") or "/"
        if (name.lower(), str(path)) not in defined:
            yield Violation(f"{attachment.name} gives its permission set the customer managed policy {path}{name} of "
                            "each assigned account, which this stack does not define: cannot check what it grants",
                            attachment.urn)


def check(resources, config):
    for holder, arn, urn in dict.fromkeys(link(resources).unresolved):
        yield Violation(f"{holder} attaches {arn}, a policy neither defined in this stack nor AWS managed: cannot "
                        "check what it grants (alone or with the principal's other policies)", urn)
    yield from _unseen_permission_sets(resources)
    yield from _unseen_customer_policies(resources)


RULE = Rule(
    id="AGID-AWS-015",
    title="aws-attached-policy-readable",
    severity="medium",
    category="unparseable",
    description="Every attached customer managed policy, and every IAM Identity Center permission set assigned or "
                "customer policy referenced, is defined in the stack, so its document can be judged.",
    remediation="Define the policy in this stack (aws.iam.Policy) or attach the stack's own policy by its ARN output; "
                "a policy managed elsewhere is reviewed where it is defined.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
    check=check,
    stack=True,
    reads=(*ATTACHMENTS, ROLE, PERMISSION_SET, ACCOUNT_ASSIGNMENT, CUSTOMER_POLICY_ATTACHMENT, IAM_POLICY),
)
