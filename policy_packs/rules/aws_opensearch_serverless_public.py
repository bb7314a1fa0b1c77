"""AGID-AWS-069: an OpenSearch Serverless data access policy grants no one outside the stack's accounts.

A data access policy (`opensearch.ServerlessAccessPolicy`, `type: data`, grammar in AGID-AWS-049) decides who reads
and writes the documents of its collections and indexes; a public network policy (AllowFromPublic) only opens the
endpoint, the data access policy is the gate. So, as a resource policy's Principal is for AGID-AWS-030 / -050:
  - a principal with `*` in it (`*`, `arn:aws:iam::ACCOUNT:role/*`) grants every matching identity of any account
    (red11a r15);
  - an IAM principal (`arn:aws:iam::ACCOUNT:role|user/...`, `...:root`) of an account that is not known to be the
    stack's own (ownAccountIds, or under `agentid preview` one role the mocks invented for the stack) is a grant to
    another account, or "cannot tell" (fail closed, analysis.aws_accounts);
  - a principal that is none of those nor a security-configuration principal (`saml/...`, `iamidentitycenter/...`,
    `iamfederation/...`: people of an IdP the account configured) cannot be judged;
  - a document that is not the grammar (not a data policy, not JSON, not a list of {Rules, Principal}) cannot be
    judged: it may be exactly one of the above.
Source: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html
(Principal: "IAM users and roles, SAML users and groups, IAM Identity Center ... up to 100").
"""

from __future__ import annotations

from agentid_policy_packs.analysis.aws_accounts import OwnAccounts, invented_accounts, principal_account
from agentid_policy_packs.analysis.values import is_unknown

from .aws_opensearch_serverless_access import ACCESS_POLICY, readable_entry, rule_sets
from .base import Resource, Rule, Unknown, Violation
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

PEOPLE_PREFIXES = ("saml/", "iamidentitycenter/", "iamfederation/")


def _principal(where: str, principal: str, own: OwnAccounts):
    if "*" in principal or "?" in principal:
        yield Violation(f"{where} grants principal {principal!r}: a wildcard lets every matching identity, of any "
                        "account, read and write the collections")
    elif principal.startswith(PEOPLE_PREFIXES):
        return
    elif (account := principal_account(principal)) is None:
        yield Violation(f"{where}: principal {principal!r} is not an IAM user/role ARN or a saml/, "
                        "iamidentitycenter/ or iamfederation/ principal, so who is granted cannot be judged")
    elif problem := own.problem(account, principal):
        yield Violation(f"{where} grants {principal}: {problem}")


def check(resource: Resource, config):
    kind = resource.props.get("type")
    if is_unknown(kind):
        yield Unknown("type")
        return
    if kind != "data":
        yield Violation(f"{resource.name}: type {kind!r} is not \"data\" (the only access policy type AWS defines), "
                        "so whom the policy grants cannot be judged")
        return
    entries, problem = rule_sets(resource)
    if problem:
        yield problem
        return
    # a role ARN the gate's mocks invented stands for one role of this stack (never the whole account)
    own = OwnAccounts.from_config(config).including(invented_accounts())
    for index, entry in enumerate(entries):
        where = f"{resource.name} policy[{index}]"
        readable = readable_entry(entry)
        if readable is None:
            yield Violation(f"{where}: Principal must be a list of strings and Rules a list of objects, so the grant "
                            "cannot be judged")
            continue
        for principal in readable[0]:
            yield from _principal(where, principal.strip(), own)


RULE = Rule(
    id="AGID-AWS-069",
    title="aws-opensearch-serverless-data-not-shared",
    severity="critical",
    category="public-access",
    description="OpenSearch Serverless data access policies grant only named IAM principals of the stack's own "
                "accounts (or its IdP's people): never \"*\", a wildcard, or another account.",
    remediation="List the agent's role ARN (in an account listed in ownAccountIds) as Principal; share data with "
                "another account through a role there that your account trusts, never by naming its principals.",
    url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html",
    check=check,
    resource_types=(ACCESS_POLICY,),
    config=OWN_ACCOUNTS_CONFIG,
    config_schema=OWN_ACCOUNTS_SCHEMA,
    config_strictness=OWN_ACCOUNTS_STRICTNESS,
)
