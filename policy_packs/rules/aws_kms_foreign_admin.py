"""AGID-AWS-033: no key policy gives another account (or everyone) full control of a KMS key.

Full control is `kms:*`, or any grant that includes `kms:PutKeyPolicy` (whoever may rewrite the key
policy may grant themselves every other KMS action). AWS's default key policy gives `kms:*` to the
key's own account root, which is fine; another account's principal, or `*` not pinned to one
account (kms:CallerAccount, aws:PrincipalAccount, aws:PrincipalOrgID), is not. An organization pin counts only for
one the gate lists (`ownOrganizationIds`; the pull request names it, red15 r15-7).

The pack cannot know the stack's own account (analysis.aws_accounts): an account holding full control
passes only when known to be the key's own: listed in `ownAccountIds`, or derived from the resource
(`keyId` / `primaryKeyArn` given as a key ARN, or every Resource ARN of the statement in that account).
A lone account with full control is NOT presumed to be the owner (a key held only by a foreign account
would pass): with nothing known, it is flagged "cannot tell whether account X is yours".
Source: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html and
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
"""

from agentid_policy_packs.analysis.aws_accounts import principal_account, statement_account
from agentid_policy_packs.analysis.aws_trust import OWNED_ID_KEYS, OwnIds

from .base import Resource, Rule, Violation
from .documents import Document, judge_resource_policies
from .own_accounts import own_accounts
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA

KMS_TYPES = ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy", "aws:kms/replicaKey:ReplicaKey",
             "aws:kms/externalKey:ExternalKey", "aws:kms/replicaExternalKey:ReplicaExternalKey")
# Conditions that keep a `*` principal inside named accounts or an organization.
_PINNING_KEYS = frozenset({"kms:calleraccount", "aws:principalaccount", "aws:principalorgid", "aws:principalarn",
                           "aws:principalorgpaths"})


def _org_problems(condition, orgs: OwnIds) -> list[str]:
    """Why an organization pin does not keep `*` inside an own organization ([] when it does, or is no org pin)."""
    if condition.key not in OWNED_ID_KEYS:
        return []
    return [p for p in (orgs.problem(condition.key, v) for v in condition.values) if p]


def check(resource: Resource, config):
    own = own_accounts(resource, config)
    orgs = OwnIds.from_config(config)

    def judge(document: Document, parsed):
        holders: dict[str, tuple[str, str | None]] = {}  # account or "*" -> (statement label, why flagged)
        for statement in parsed.statements:
            if not statement.allows or not statement.principals or statement.not_principal:
                continue
            if not statement.matches_action("kms:PutKeyPolicy"):
                continue
            for principal in statement.principals.get("AWS", ()) + statement.principals.get("*", ()):
                if principal == "*":
                    pins = [c for c in statement.conditions if c.key in _PINNING_KEYS and not c.is_negative]
                    unowned = [f"{c.key} {p}" for c in pins for p in _org_problems(c, orgs)]
                    if not any(not _org_problems(c, orgs) for c in pins):
                        holders.setdefault("*", (statement.label, "; ".join(unowned) or None))
                elif (account := principal_account(principal)) is not None:
                    problem = own.including([statement_account(statement)]).problem(account, principal)
                    if problem:
                        holders.setdefault(account, (statement.label, problem))
        for who, (label, problem) in sorted(holders.items(), key=lambda item: item[0] != "*"):
            whom = "any AWS principal" if who == "*" else f"account {who}"
            yield Violation(f"{document.label} of {resource.name}: {label} gives {whom} full control of the "
                            "key (kms:PutKeyPolicy, so every KMS action): it can decrypt everything the key protects "
                            f"and lock the owner out{f' ({problem})' if problem else ''}")

    yield from judge_resource_policies(resource, judge)

RULE = Rule(
    id="AGID-AWS-033",
    title="aws-kms-no-foreign-key-admin",
    severity="critical",
    category="public-access",
    description="Key policies give full control (kms:* / kms:PutKeyPolicy) only to the key's own account.",
    remediation="Grant other accounts only the use actions they need (kms:Decrypt, kms:GenerateDataKey*) with a "
                "kms:ViaService or aws:PrincipalArn condition; list your accounts in ownAccountIds.",
    url="https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
    check=check,
    resource_types=KMS_TYPES,
    config={**OWN_ACCOUNTS_CONFIG, "ownOrganizationIds": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset"},
)
