"""AGID-AWS-021 (stack): the policies attached to one role do not, together, allow privilege escalation.

`iam:PassRole` in one policy and `lambda:CreateFunction` + `lambda:InvokeFunction`
in another is as dangerous as both in one. For every role this rule gathers
its inline policies, RolePolicy resources and customer managed policies
attached in the stack (linked by role name / policy ARN, or by the engine's
dependency list when names are not known yet) and reports the methods that only
the combination allows; single-policy methods are AGID-AWS-020's.
"""

from __future__ import annotations

from collections import defaultdict

from policy_packs.analysis import combined_escalation_findings
from policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .documents import ROLE, Document, identity_policies

POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
# attachment type -> (input naming the role(s), input naming the policy ARN(s))
ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role", "policyArn"),
    "aws:iam/policyAttachment:PolicyAttachment": ("roles", "policyArn"),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("roleName", "policyArns"),
}


def _names(resource: Resource) -> set[str]:
    name = resource.props.get("name")
    names = {resource.name, resource.urn}
    if isinstance(name, str) and not is_unknown(name):
        names.add(name)
    return names


def _last_segment(reference: str) -> str:
    """`arn:aws:iam::1:role/path/agent-x` -> `agent-x`; a plain name stays itself."""
    return reference.rsplit("/", 1)[-1] if reference.startswith("arn:") else reference


def _index(resources: dict[str, Resource]) -> dict[str, list[Resource]]:
    """Every name a resource answers to -> the resources answering to it."""
    index: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources.values():
        for name in _names(resource):
            index[name].append(resource)
    return index


def _resolve(references, index: dict[str, list[Resource]], by_urn: dict[str, Resource],
             dependencies: tuple[str, ...]) -> tuple[list[Resource], bool]:
    """The resources the references name; falls back to dependencies for unknown references.

    Returns (resources, unresolved) where unresolved means an unknown reference matched nothing.
    """
    found, unresolved = [], False
    for reference in references if isinstance(references, list) else [references]:
        if isinstance(reference, str) and not is_unknown(reference):
            found += index.get(reference, []) or index.get(_last_segment(reference), [])
        elif reference is not None:
            by_dependency = [by_urn[urn] for urn in dependencies if urn in by_urn]
            found += by_dependency
            unresolved |= not by_dependency
    return found, unresolved


def check(resources: list[Resource], config):
    roles = {r.urn: r for r in resources if r.type == ROLE}
    policies = {r.urn: r for r in resources if r.type == POLICY}
    role_index, policy_index = _index(roles), _index(policies)
    documents: dict[str, dict[str, object]] = defaultdict(dict)  # role urn -> label -> document
    pending: dict[str, list[str]] = defaultdict(list)

    def add(role: Resource, holder: Resource, prefix: str) -> None:
        for document in identity_policies(holder):
            if isinstance(document, Document):
                documents[role.urn][f"{prefix} ({document.label})" if prefix else document.label] = document.value
            else:
                pending[role.urn].append(f"{holder.name}.{document.path}")

    for role in roles.values():
        add(role, role, "")
        for policy in _resolve(role.props.get("managedPolicyArns") or [], policy_index, policies, role.dependencies)[0]:
            add(role, policy, f"policy {policy.name}")
    for resource in resources:
        if resource.type == ROLE_POLICY:
            targets, unresolved = _resolve(resource.props.get("role"), role_index, roles, resource.dependencies)
            for role in targets:
                add(role, resource, f"role policy {resource.name}")
            if unresolved:
                yield Unknown(f"{resource.name}.role", resource.urn)
        elif resource.type in ATTACHMENTS:
            role_field, policy_field = ATTACHMENTS[resource.type]
            targets, _ = _resolve(resource.props.get(role_field), role_index, roles, resource.dependencies)
            attached, _ = _resolve(resource.props.get(policy_field), policy_index, policies, resource.dependencies)
            for role in targets:
                for policy in attached:
                    add(role, policy, f"policy {policy.name}")

    for urn, role in roles.items():
        for path in pending.get(urn, []):
            yield Unknown(path, urn)
        docs = documents.get(urn, {})
        if len(docs) < 2:
            continue
        single = {f.code for label, doc in docs.items() for f in combined_escalation_findings({label: doc})}
        combined = [f for f in combined_escalation_findings(docs) if f.code not in single]
        if combined:
            methods = ", ".join(f.code.split(":", 1)[1] for f in combined)
            yield Violation(f"role {role.name}: its {len(docs)} policies together allow privilege escalation "
                            f"({methods}) that none allows alone. {combined[0].message}", urn)


RULE = Rule(
    id="AGID-AWS-021",
    title="aws-no-cross-policy-escalation",
    severity="critical",
    category="escalation",
    description="The policies attached to one role do not combine into a privilege-escalation method.",
    remediation="Split the combination: scope iam:PassRole (iam:PassedToService, named roles) or drop the compute "
                "or IAM write that completes the method.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    check=check,
    stack=True,
)
