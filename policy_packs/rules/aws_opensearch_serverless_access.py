"""AGID-AWS-049: OpenSearch Serverless data access policies name their principals and do not grant everything.

A data access policy (`opensearch.ServerlessAccessPolicy`, `type: data`) is not IAM grammar: it is a JSON list
of rule sets, `[{"Rules": [{"ResourceType": "collection"|"index", "Resource": [...], "Permission": [...]}],
"Principal": [...], "Description": ...}]` (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html).
Principals are IAM user/role ARNs, or people from a security configuration (`saml/...`, `iamidentitycenter/...`,
`iamfederation/...`). Flagged:
  - a principal with `*` in it: everyone (or every role of an account) reads and writes the collections;
  - an IAM principal of an account outside `ownAccountIds` (when configured): a cross-account grant;
  - `aoss:*` on every collection (`collection/*`) or every index of every collection (`index/*/*`);
  - a document that is not that grammar (unreadable: it cannot be judged safe).
`aoss:*` on one named collection is the provider's own example and passes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from agentid_policy_packs.analysis.aws_accounts import principal_account
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

ACCESS_POLICY = "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy"
PEOPLE_PREFIXES = ("saml/", "iamidentitycenter/", "iamfederation/")
MAX_POLICY_CHARS = 30_000  # AWS quota for a data access policy document is 20 KB; anything longer is not one
EVERYTHING = {"collection": "collection/*", "index": "index/*/*"}


def _strings(value) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _rule_sets(resource: Resource):
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


def _entry(resource: Resource, index: int, entry: Mapping, config):
    where = f"{resource.name} policy[{index}]"
    principals, rules = _strings(entry.get("Principal")), entry.get("Rules")
    if principals is None or not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        yield Violation(f"{where}: Principal must be a list of strings and Rules a list of objects, so the grant "
                        "cannot be judged")
        return
    own = set(config.get("ownAccountIds") or [])
    for principal in principals:
        if "*" in principal:
            yield Violation(f"{where} grants to principal {principal!r}: a wildcard lets every matching identity read "
                            "and write the collections", category="public-access")
        elif principal.startswith(PEOPLE_PREFIXES):
            continue
        elif (account := principal_account(principal)) is None or principal.strip().isdigit():
            yield Violation(f"{where}: principal {principal!r} is not an IAM user/role ARN or a saml/, "
                            "iamidentitycenter/ or iamfederation/ principal, so who is granted cannot be judged")
        elif own and account not in own:
            yield Violation(f"{where} grants {principal} of account {account}, not one of ownAccountIds",
                            category="public-access")
    for rule in rules:
        permissions, targets = _strings(rule.get("Permission")), _strings(rule.get("Resource"))
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
        yield Unknown("type")
        return
    if kind != "data":
        yield Violation(f"{resource.name}: type {kind!r} is not \"data\" (the only access policy type AWS defines), "
                        "so the policy cannot be judged")
        return
    rule_sets, problem = _rule_sets(resource)
    if problem:
        yield problem
        return
    for index, entry in enumerate(rule_sets):
        yield from _entry(resource, index, entry, config)


RULE = Rule(
    id="AGID-AWS-049",
    title="aws-opensearch-serverless-access-named",
    severity="high",
    category="broad-grant",
    description="OpenSearch Serverless data access policies grant named principals of your accounts, never \"*\", "
                "and never aoss:* on every collection or index.",
    remediation="List the agent's role ARN as Principal and name its collection (collection/NAME, index/NAME/*) with "
                "the permissions it needs (aoss:ReadDocument, aoss:DescribeIndex, ...).",
    url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html",
    check=check,
    resource_types=(ACCESS_POLICY,),
    config=OWN_ACCOUNTS_CONFIG,
    config_schema=OWN_ACCOUNTS_SCHEMA,
    config_strictness=OWN_ACCOUNTS_STRICTNESS,
)
