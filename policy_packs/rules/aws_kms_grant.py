"""AGID-AWS-042: no KMS grant lets another account use a key, and no grant lets its grantee re-grant it.

A grant (`aws:kms/grant:Grant`) gives `granteePrincipal` the listed `operations` on a key outside
the key policy: whoever reviews the key policy does not see it. Two grants give the key away:
  - a grantee in another account with any operation that uses the key (Decrypt, ReEncryptFrom,
    GenerateDataKey*, Sign, GenerateMac, DeriveSharedSecret, Encrypt, CreateGrant, ...): that
    account reads (or writes) what the key protects; only DescribeKey, GetPublicKey, Verify,
    VerifyMac and RetireGrant expose nothing;
  - `CreateGrant` among the operations, for any grantee: it may create grants of its own operations
    for any principal of any account ("A grantee can create grants ... for any principal";
    docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grant-operations), so the key's
    use is passed on out of the gate's sight.
Another account as `retiringPrincipal` is not flagged: RetireGrant only deletes the grant.

The key's own account is the account of `keyId` when it is an ARN, plus the rule's `ownAccountIds`.
A literal grantee whose account cannot be compared (no ownAccountIds, and keyId is computed: "cannot
check until known"; or a bare key id: flagged, asking for the ARN or ownAccountIds). A computed grantee (`role.arn` of a role this stack
creates) is taken to be in the stack's account. A grantee that is not an IAM principal ARN or an
account id (AWS: "an AWS account, IAM user, IAM role, federated user or assumed role") cannot be
judged and is flagged. Source: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html
"""

from __future__ import annotations

from agentid_policy_packs.analysis.aws_accounts import principal_account
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .own_accounts import own_accounts
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

GRANT = "aws:kms/grant:Grant"
# Operations that reveal nothing the key protects and act on nothing (public-key checks, metadata, retiring).
HARMLESS_OPERATIONS = frozenset({"DescribeKey", "GetPublicKey", "Verify", "VerifyMac", "RetireGrant"})


def _operations(resource: Resource):
    operations = resource.props.get("operations")
    if is_unknown(operations):
        return None, [Unknown("operations")]
    if not isinstance(operations, list) or not operations:
        return None, [Violation(f"KMS grant {resource.name}: operations is {type(operations).__name__}, not a "
                                "non-empty list of KMS operation names, so what the grantee may do cannot be judged")]
    if any(is_unknown(op) for op in operations):
        return None, [Unknown("operations")]
    if not all(isinstance(op, str) for op in operations):
        return None, [Violation(f"KMS grant {resource.name}: operations holds a value that is not an operation name")]
    return operations, []


def check(resource: Resource, config):
    operations, problems = _operations(resource)
    if problems:
        yield from problems
        return
    grantee = resource.props.get("granteePrincipal")
    if "CreateGrant" in operations:
        yield Violation(f"KMS grant {resource.name} gives {grantee if isinstance(grantee, str) else 'its grantee'} "
                        "CreateGrant: the grantee may grant the key's use to any principal in any account, outside "
                        "the key policy", category="escalation")
    if is_unknown(grantee):
        return  # computed in this stack (a role's ARN): a principal of the stack's own account
    if not isinstance(grantee, str) or (account := principal_account(grantee)) is None:
        yield Violation(f"KMS grant {resource.name}: granteePrincipal {grantee!r} is not an IAM principal ARN or an "
                        "account id, so who may use the key cannot be judged")
        return
    using = sorted(op for op in operations if op not in HARMLESS_OPERATIONS)
    if not using:
        return
    own = own_accounts(resource, config)
    problem = own.problem(account, grantee)
    if problem is None:
        return
    key = resource.props.get("keyId")
    if not own.listed and not own.derived and is_unknown(key):
        yield Unknown("keyId")  # the key's ARN, once known, may name the grantee's account
        return
    shown = key if isinstance(key, str) and not is_unknown(key) else "(computed)"
    yield Violation(f"KMS grant {resource.name} lets account {account} ({grantee}) {', '.join(using)} with the key "
                    f"{shown}: {problem}; a cross-account grant the key policy does not show")

RULE = Rule(
    id="AGID-AWS-042",
    title="aws-kms-no-foreign-grant",
    severity="critical",
    category="public-access",
    description="KMS grants give no other account use of a key, and never CreateGrant (re-granting beyond the key "
                "policy).",
    remediation="Grant other accounts through the key policy with a kms:ViaService or aws:PrincipalArn condition, "
                "where reviews see it; drop CreateGrant from grant operations; list your accounts in ownAccountIds.",
    url="https://docs.aws.amazon.com/kms/latest/developerguide/grants.html",
    check=check,
    resource_types=(GRANT,),
    config=OWN_ACCOUNTS_CONFIG,
    config_schema=OWN_ACCOUNTS_SCHEMA,
    config_strictness=OWN_ACCOUNTS_STRICTNESS,
)
