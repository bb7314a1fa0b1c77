"""AGID-AWS-033: no key policy gives another account (or everyone) full control of a KMS key.

Full control is `kms:*`, or any grant that includes `kms:PutKeyPolicy` (whoever may rewrite the key
policy may grant themselves every other KMS action). AWS's default key policy gives `kms:*` to the
key's own account root, which is fine; another account's principal, or `*` not pinned to one
account (kms:CallerAccount, aws:PrincipalAccount, aws:PrincipalOrgID), is not.

The pack cannot know the stack's own account: accounts listed in `ownAccountIds` are exempt. With
no list, one account holding full control is taken to be the owner and two or more distinct
accounts are flagged (at most one of them can own the key).
Source: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html and
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
"""

import re

from agentid_policy_packs.analysis import RESOURCE, PolicyParseError, parse_policy

from .base import Resource, Rule, Unknown, Violation
from .documents import Document, resource_policy
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

KMS_TYPES = ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy", "aws:kms/replicaKey:ReplicaKey",
             "aws:kms/externalKey:ExternalKey", "aws:kms/replicaExternalKey:ReplicaExternalKey")
_ACCOUNT = re.compile(r"^(?:(\d{12})|arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):.+)$")
# Conditions that keep a `*` principal inside named accounts or an organization.
_PINNING_KEYS = frozenset({"kms:calleraccount", "aws:principalaccount", "aws:principalorgid", "aws:principalarn",
                           "aws:principalorgpaths"})


def _account(principal: str) -> str | None:
    match = _ACCOUNT.match(principal)
    return (match.group(1) or match.group(2)) if match else None


def check(resource: Resource, config):
    own = set(config.get("ownAccountIds") or [])
    for document in resource_policy(resource):
        if not isinstance(document, Document):
            yield Unknown(document.path)
            continue
        try:
            parsed = parse_policy(document.value, RESOURCE)
        except (PolicyParseError, RecursionError):
            continue  # AGID-POL-001
        holders: dict[str, str] = {}  # account or "*" -> statement label
        for statement in parsed.statements:
            if not statement.allows or not statement.principals or statement.not_principal:
                continue
            if not statement.matches_action("kms:PutKeyPolicy"):
                continue
            for principal in statement.principals.get("AWS", ()) + statement.principals.get("*", ()):
                if principal == "*":
                    pinned = any(c.key in _PINNING_KEYS and not c.is_negative for c in statement.conditions)
                    if not pinned:
                        holders.setdefault("*", statement.label)
                elif (account := _account(principal)) is not None:
                    holders.setdefault(account, statement.label)
        foreign = sorted(a for a in holders if a != "*" and a not in own)
        if not own and len(foreign) == 1:
            foreign = []  # the one account with full control is presumably the key's owner
        for who in (["*"] if "*" in holders else []) + foreign:
            whom = "any AWS principal" if who == "*" else f"account {who}"
            yield Violation(f"{document.label} of {resource.name}: {holders[who]} gives {whom} full control of the "
                            "key (kms:PutKeyPolicy, so every KMS action): it can decrypt everything the key protects "
                            "and lock the owner out")


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
    config=OWN_ACCOUNTS_CONFIG,
    config_schema=OWN_ACCOUNTS_SCHEMA,
    config_strictness=OWN_ACCOUNTS_STRICTNESS,
)
