"""AGID-AWS-021 (stack): the policies that reach one IAM principal do not, together, allow privilege escalation.

`iam:PassRole` in one policy and `lambda:CreateFunction` + `lambda:InvokeFunction`
in another is as dangerous as both in one. For every role, user and group this rule
gathers every identity policy that reaches it (iam_links: inline, RolePolicy/UserPolicy/
GroupPolicy, attachments of stack-defined or AWS managed policies, and, for a user, the
policies of its groups), linked by name, id, ARN or, for values unknown at preview, the
engine's dependency list, and reports the methods that only the combination allows;
single-policy methods are AGID-AWS-020's. A link nothing explains is "cannot check".
"""

from __future__ import annotations

from agentid_policy_packs.analysis import combined_escalation_findings

from .base import Rule, Unknown, Violation
from .iam_links import LINKED_TYPES, link


def check(resources, config):
    links = link(resources)
    for path, urn in links.unknown:
        yield Unknown(path, urn)
    for urn, principal in links.principals.items():
        for path in principal.pending:
            yield Unknown(path, urn)
        docs = principal.documents
        if len(docs) < 2:
            continue
        single = {f.code for label, doc in docs.items() for f in combined_escalation_findings({label: doc})}
        combined = [f for f in combined_escalation_findings(docs) if f.code not in single]
        if combined:
            methods = ", ".join(f.code.split(":", 1)[1] for f in combined)
            yield Violation(f"{principal.kind} {principal.resource.name}: its {len(docs)} policies together allow "
                            f"privilege escalation ({methods}) that none allows alone. {combined[0].message}", urn)


RULE = Rule(
    id="AGID-AWS-021",
    title="aws-no-cross-policy-escalation",
    severity="critical",
    category="escalation",
    description="The policies reaching one role, user or group (with its groups) do not combine into a "
                "privilege-escalation method.",
    remediation="Split the combination: scope iam:PassRole (iam:PassedToService, named roles) or drop the compute "
                "or IAM write that completes the method.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    check=check,
    stack=True,
    reads=LINKED_TYPES,
)
