"""AGID-AWS-049: OpenSearch Serverless data access policies name their principals and do not grant everything.

A data access policy (`opensearch.ServerlessAccessPolicy`, `type: data`) is not IAM grammar: it is a JSON list
of rule sets, `[{"Rules": [{"ResourceType": "collection"|"index", "Resource": [...], "Permission": [...]}],
"Principal": [...], "Description": ...}]` (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html).
Principals are IAM user/role ARNs, or people from a security configuration (`saml/...`, `iamidentitycenter/...`,
`iamfederation/...`). Flagged here: `aoss:*` on every collection (`collection/*`) or every index of every collection
(`index/*/*`); `aoss:*` on one named collection is the provider's own example and passes. Whom a policy grants
(`*`, another account) and a document that is not that grammar are AGID-AWS-069's (mandatory), which reads the
document with `rule_sets`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

ACCESS_POLICY = "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy"
MAX_POLICY_CHARS = 30_000  # AWS quota for a data access policy document is 20 KB; anything longer is not one
EVERYTHING = {"collection": "collection/*", "index": "index/*/*"}


def strings_of(value) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def rule_sets(resource: Resource):
    """(the policy's list of {Rules, Principal} objects, None) or (None, the Unknown / Violation saying why not)."""
    policy = resource.props.get("policy")
    if is_unknown(policy):
        return None, Unknown("policy")
    if isinstance(policy, str):
        if len(policy) > MAX_POLICY_CHARS:
            return None, Violation(f"{resource.name}: policy is {len(policy)} characters, longer than any data access "
                                   "policy AWS accepts (20 KB), so it cannot be judged")
        try:
            policy = json.loads(policy)
        except RecursionError:
            return None, Violation(f"{resource.name}: policy is JSON nested deeper than can be read, so it cannot be "
                                   "judged")
        except ValueError as error:
            return None, Violation(f"{resource.name}: policy is not JSON ({error.msg} at line {error.lineno}), so it "
                                   "cannot be judged")
    if not isinstance(policy, list) or not all(isinstance(entry, Mapping) for entry in policy):
        return None, Violation(f"{resource.name}: policy is not a list of {{Rules, Principal}} objects (the OpenSearch "
                               "Serverless data access grammar), so it cannot be judged")
    return policy, None


def readable_entry(entry: Mapping) -> tuple[list[str], list[Mapping]] | None:
    """(principals, rules) of one rule set, None when it is not the grammar."""
    principals, rules = strings_of(entry.get("Principal")), entry.get("Rules")
    if principals is None or not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        return None
    return principals, rules


def _entry(resource: Resource, index: int, entry: Mapping):
    where = f"{resource.name} policy[{index}]"
    readable = readable_entry(entry)
    if readable is None:
        return  # AGID-AWS-069
    principals, rules = readable
    for rule in rules:
        permissions, targets = strings_of(rule.get("Permission")), strings_of(rule.get("Resource"))
        kind = rule.get("ResourceType")
        if permissions is None or targets is None or kind not in EVERYTHING:
            yield Violation(f"{where}: a rule needs ResourceType collection|index and lists of Resource and "
                            "Permission, so what it grants cannot be judged")
        elif "aoss:*" in permissions and EVERYTHING[kind] in targets:
            yield Violation(f"{where} grants aoss:* on {EVERYTHING[kind]}: every {kind} of the account, present and "
                            "future, to " + ", ".join(principals))


def check(resource: Resource, config):
    kind = resource.props.get("type")
    if is_unknown(kind):
        return  # AGID-AWS-069 says "cannot check" once
    if kind != "data":
        return  # AGID-AWS-069: not a data access policy, so it cannot be judged
    entries, problem = rule_sets(resource)
    if problem:
        return  # AGID-AWS-069 reports what cannot be read
    for index, entry in enumerate(entries):
        yield from _entry(resource, index, entry)


RULE = Rule(
    id="AGID-AWS-049",
    title="aws-opensearch-serverless-access-named",
    severity="high",
    category="broad-grant",
    description="OpenSearch Serverless data access policies never grant aoss:* on every collection or index.",
    remediation="List the agent's role ARN as Principal and name its collection (collection/NAME, index/NAME/*) with "
                "the permissions it needs (aoss:ReadDocument, aoss:DescribeIndex, ...).",
    url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html",
    check=check,
    resource_types=(ACCESS_POLICY,),
)
