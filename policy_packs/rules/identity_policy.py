"""Shared by the rules that judge identity policies: parse each document once, skip unparseable ones.

(Unparseable documents are AGID-POL-001's; unknown ones become "cannot check until known".)

An attachment of an AWS managed policy (RolePolicyAttachment, a role's managedPolicyArns, a permission set's
ManagedPolicyAttachment, ...) is judged here by the policy's DOCUMENT (the snapshot in
`analysis.managed_policies`) as the same document written inline by the rules that pass `managed=True`: attaching
AWSSecretsManagerClientReadOnlyAccess gets the AGID-AWS-012 an inline `secretsmanager:GetSecretValue` on every
secret gets (red11a 13), and AGID-AWS-070's mandatory credential-read line on top (issue 11). Admin, NotAction, service-wide writes and escalation methods of an attached document are
AGID-AWS-013's one line (it reads the same document), so AGID-AWS-010/011/020 do not repeat them. A policy missing from the snapshot is AGID-AWS-014's; an ARN not known yet is
AGID-AWS-013/014's "cannot check".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from agentid_policy_packs.analysis import Finding, PolicyDocument, PolicyParseError, parse_policy
from agentid_policy_packs.analysis.managed_policies import managed_policy_document

from .aws_managed_policy_attachments import FIELDS as ATTACHMENT_FIELDS, attached_arns
from .base import Outcome, Resource, Unknown, Violation
from .documents import IDENTITY_POLICY_TYPES, Document, identity_policies

# Every resource type whose identity policies these rules judge: written inline, or attached by ARN.
JUDGED_POLICY_TYPES = tuple(dict.fromkeys((*IDENTITY_POLICY_TYPES, *ATTACHMENT_FIELDS)))


def attached_managed_policies(resource: Resource) -> Iterator[Document]:
    """The documents of the AWS managed policies the resource attaches (those in the snapshot)."""
    if resource.type not in ATTACHMENT_FIELDS:
        return
    field = ATTACHMENT_FIELDS[resource.type]
    for arn in attached_arns(resource):
        if isinstance(arn, Unknown):
            continue  # AGID-AWS-013/014 report an attachment not known yet
        document = managed_policy_document(arn)
        if document is not None:
            yield Document(field, document, f"AWS managed policy {arn.split(':policy/', 1)[1]}")


def judge_identity_policies(resource: Resource, judge: Callable[[PolicyDocument, str], list[Finding]],
                            codes: tuple[str, ...] | None = None, managed: bool = False) -> Iterator[Outcome]:
    """Run `judge` on every identity policy of the resource (and, with `managed`, on every AWS managed policy it
    attaches); report findings whose code is in `codes`."""
    attached = tuple(attached_managed_policies(resource)) if managed else ()
    for document in (*identity_policies(resource), *attached):
        if not isinstance(document, Document):
            yield Unknown(document.path)
            continue
        try:
            parsed = parse_policy(document.value)
        except (PolicyParseError, RecursionError):
            continue
        for finding in judge(parsed, document.label):
            if codes is None or finding.code in codes:
                yield Violation(f"{document.label} {finding}", category=finding.category or None)
