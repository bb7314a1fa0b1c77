"""Who may assume a role (or use a key): weak trust in trust and resource policies.

Findings (codes):
  public-principal      `Principal: "*"` (or `{"AWS": "*"}`, or Allow with NotPrincipal) and no
                        condition restricting the caller to an organisation, account, ARN or source
  oidc-unpinned         web-identity (OIDC) trust without an exact `<provider>:aud` and `<provider>:sub`,
                        or a GitHub `sub` every pull-request run carries (`repo:O/R:pull_request`)
  saml-unpinned         SAML federation (sts:AssumeRoleWithSAML from a saml-provider) without an exact
                        `SAML:aud` condition: an assertion the IdP issued for another service provider
                        (another recipient) could be replayed to assume the role
  certificate-unpinned  IAM Roles Anywhere trust without an exact certificate subject or SAN
                        (aws:PrincipalTag/x509Subject/... or x509SAN/...): any certificate the trust
                        anchor's CA signs (any SPIFFE ID of the trust domain) could assume the role
  cross-account         an account not known own (ownAccountIds) trusted, by Principal or by a Principal "*"
                        pinned to it (aws:PrincipalAccount / aws:PrincipalArn), unless an own organization's
                        aws:PrincipalOrgID pins it; sts:ExternalId / aws:PrincipalArn change the message, not the
                        verdict (a vendor's trust is a waiver's)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .aws_accounts import arn_account, invented_accounts, principal_account
from .aws_patterns import is_pattern, names_request_value
from .aws_policy import Condition, PolicyDocument, Statement
from .findings import Finding
from .github_oidc import pull_request_message, pull_request_subject

# Condition keys that confine who the caller can be (positive operator, concrete values).
RESTRICTING_KEYS = frozenset({
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
    "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceowner",
    "aws:userid", "aws:sourcevpce", "aws:sourcevpc", "kms:calleraccount",
})
_WEB_IDENTITY_ACTIONS = ("sts:AssumeRoleWithWebIdentity",)


def _exact(values: Iterable[str]) -> bool:
    """Every value names one string: no wildcard, and no policy variable taken from the request (which makes
    `aws:PrincipalOrgID = ${aws:PrincipalOrgID}` or `sub = ${...:sub}` true for every caller)."""
    values = list(values)
    return bool(values) and all(v and not is_pattern(v) and not names_request_value(v) for v in values)


def _pins(condition: Condition) -> bool:
    """A positive, non-IfExists condition whose values name something exact."""
    if condition.is_negative or condition.if_exists:
        return False
    if condition.operator.startswith("ForAllValues:"):
        return False  # an empty set of values satisfies ForAllValues
    if condition.base_operator in ("StringEquals", "StringEqualsIgnoreCase", "ArnEquals"):
        return _exact(condition.values)
    if condition.base_operator in ("StringLike", "ArnLike"):
        return _exact(condition.values)  # StringLike without wildcards is exact
    return False


# Keys whose value names an organization, an organization path, a VPC or a VPC endpoint: a pin by one keeps the
# caller inside THAT organization / network, which is the stack's only if the gate says so (ownOrganizationIds,
# ownVpcIds, ownVpcEndpointIds). The pull request writes the value: an attacker's organization holds any account its
# owner creates, and a VPC endpoint id can be the attacker's (red15 r15-7, the account notion's own-list one type
# further). Key -> (what the value names, the setting listing own ones, the prefix AWS gives such ids).
# Sources: IAM user guide, "AWS global condition context keys" (aws:PrincipalOrgID, aws:PrincipalOrgPaths,
# aws:SourceOrgID, aws:SourceOrgPaths, aws:SourceVpce, aws:SourceVpc).
OWNED_ID_KEYS: Mapping[str, tuple[str, str, str]] = {
    "aws:principalorgid": ("organization", "ownOrganizationIds", "o-"),
    "aws:sourceorgid": ("organization", "ownOrganizationIds", "o-"),
    "aws:principalorgpaths": ("organization path", "ownOrganizationIds", "o-"),
    "aws:sourceorgpaths": ("organization path", "ownOrganizationIds", "o-"),
    "aws:sourcevpce": ("VPC endpoint", "ownVpcEndpointIds", "vpce-"),
    "aws:sourcevpc": ("VPC", "ownVpcIds", "vpc-"),
}
OWN_ID_SETTINGS = ("ownOrganizationIds", "ownVpcIds", "ownVpcEndpointIds")


@dataclass(frozen=True)
class OwnIds:
    """The organizations, VPCs and VPC endpoints the gate lists as the stack's own (nothing is presumed)."""

    lists: Mapping[str, frozenset[str]]

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> "OwnIds":
        return cls({key: frozenset(str(v).strip().lower() for v in config.get(key) or () if isinstance(v, str))
                    for key in OWN_ID_SETTINGS})

    def problem(self, key: str, value: str) -> str | None:
        """None when `value` of condition `key` is own (or names nothing AWS issues); otherwise why it is flagged."""
        what, setting, prefix = OWNED_ID_KEYS[key]
        value = value.strip().lower()
        if not value.startswith(prefix):
            return None  # no organization / VPC / endpoint has that id (a mock id of a stack resource): no caller matches
        own = self.lists.get(setting, frozenset())
        # an organization path is `o-xxx/r-xxx/ou-xxx/...`: it lies in the organization it starts with
        subject = value.split("/", 1)[0] if what == "organization path" else value
        if subject in own:
            return None
        if not own:
            return f"cannot tell whether {what} {value} is yours: list it in {setting}"
        return f"{what} {value} is not one of yours ({setting}: {', '.join(sorted(own))})"


NO_OWN_IDS = OwnIds({})


def _restricted(statement: Statement, keys: frozenset[str]) -> bool:
    return any(c.key in keys and _pins(c) for c in statement.conditions)


def unowned_pins(statement: Statement, keys: frozenset[str], own: OwnIds) -> list[str] | None:
    """None when a pinning condition on `keys` confines the caller to something known own (conditions are ANDed:
    one such pin suffices; a pin by a key other than an organization / VPC / endpoint one counts as today, its
    value judged by the account rules); otherwise why each organization / VPC / endpoint pin does not ([] when
    there is no pin at all)."""
    problems = []
    for condition in statement.conditions:
        if condition.key not in keys or not _pins(condition):
            continue
        if condition.key not in OWNED_ID_KEYS:
            return None
        found = [p for p in (own.problem(condition.key, v) for v in condition.values) if p]  # values are ORed
        if not found:
            return None
        problems.extend(f"{condition.key} ({p})" for p in found)
    return problems


def _is_public(statement: Statement) -> bool:
    if statement.principals is None:
        return False
    if statement.not_principal:
        return True  # Allow everyone except a few
    return "*" in statement.principals or "*" in statement.principals.get("AWS", ())


def _oidc_provider(federated: str) -> str | None:
    """The provider's condition-key prefix: `token.actions.githubusercontent.com`, `oidc.eks.../id/X`."""
    if ":oidc-provider/" in federated:
        return federated.split(":oidc-provider/", 1)[1].lower()
    if federated.startswith("arn:") and ":saml-provider/" in federated:
        return None
    return federated.lower() if "." in federated else None


_COGNITO = "cognito-identity.amazonaws.com"


def _oidc_findings(statement: Statement) -> list[Finding]:
    findings = []
    for federated in (statement.principals or {}).get("Federated", ()):
        provider = _oidc_provider(federated)
        if provider is None or not any(statement.matches_action(a) for a in _WEB_IDENTITY_ACTIONS):
            continue
        if provider == _COGNITO:
            findings.extend(_cognito_findings(statement))
            continue
        missing = [claim for claim in ("aud", "sub")
                   if not any(c.key == f"{provider}:{claim}" and _pins(c) for c in statement.conditions)]
        if missing:
            loose = [f"{c.key} {c.operator} {list(c.values)}" for c in statement.conditions
                     if c.key in (f"{provider}:aud", f"{provider}:sub")]
            detail = f" (have: {'; '.join(loose)})" if loose else ""
            findings.append(Finding(
                "oidc-unpinned",
                f"trusts OIDC provider {provider} without an exact "
                f"{' and '.join(f'{provider}:{m}' for m in missing)} condition{detail}: "
                f"{_who(statement, provider, missing)} could assume the role", statement.label, "weak-trust"))
            continue
        for subject in _pull_request_subjects(statement, provider):
            findings.append(Finding("oidc-unpinned", f"trusts OIDC provider {provider} with {provider}:sub "
                                    f"{pull_request_message(subject)}", statement.label, "weak-trust"))
    return findings


def _pull_request_subjects(statement: Statement, provider: str) -> list[str]:
    """The `sub` values of positive conditions that every pull-request run carries (any of them lets it in)."""
    return [v for c in statement.conditions if c.key == f"{provider}:sub" and not c.is_negative
            for v in c.values if pull_request_subject(v)]


def _who(statement: Statement, provider: str, missing: list[str]) -> str:
    """Exactly whom the conditions let in, in words (a GitHub `repo:O/R:*` is one repository's every ref)."""
    if "sub" not in missing:
        return f"tokens {provider} issues for that subject to any audience"
    subjects = [v for c in statement.conditions if c.key == f"{provider}:sub" and not c.is_negative
                and not c.operator.startswith("ForAllValues:") and not c.if_exists
                and c.base_operator in ("StringLike", "StringEquals") for v in c.values]
    if not subjects:
        return f"any workload {provider} issues tokens for"
    return "; ".join(_subject_scope(v, provider) for v in subjects)


def _subject_scope(subject: str, provider: str) -> str:
    if provider == "token.actions.githubusercontent.com" and subject.startswith("repo:"):
        parts = subject[len("repo:"):].split(":", 1)
        repository, rest = parts[0], parts[1] if len(parts) > 1 else ""
        if "*" in repository or "?" in repository:
            owner = repository.split("/", 1)[0]
            return (f"any repository of {owner} ({subject})" if "*" not in owner and "?" not in owner
                    else f"any repository matching {subject}")
        if rest in ("*", ""):
            return f"any ref, pull request or environment of the one repository {repository} ({subject})"
        if "*" in rest or "?" in rest:
            return f"workflows of {repository} matching {subject}"
        return f"only {subject}"
    if "*" in subject or "?" in subject:
        return "any workload" if set(subject) <= {"*", "?"} else f"any subject matching {subject}"
    return f"only {subject}"


def _cognito_findings(statement: Statement) -> list[Finding]:
    """Cognito identity pools: pinned by the pool id (`:aud`) and `:amr` "authenticated", not by `sub`.

    Source: Amazon Cognito developer guide, "IAM roles" / role trust and permissions
    (https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html).
    """
    problems = []
    if not any(c.key == f"{_COGNITO}:aud" and _pins(c) for c in statement.conditions):
        problems.append(f"no exact {_COGNITO}:aud (identity pool id): identities of ANY identity pool, in any "
                        "account, could assume the role")
    amr = [v.lower() for c in statement.conditions if c.key == f"{_COGNITO}:amr" and not c.is_negative
           and not c.if_exists and not c.operator.startswith("ForAllValues:") for v in c.values]
    if not amr:
        problems.append(f"no {_COGNITO}:amr \"authenticated\" condition: the pool's unauthenticated (guest) "
                        "identities could assume it too")
    elif any(v == "unauthenticated" or set(v) <= {"*", "?"} for v in amr):
        problems.append(f"{_COGNITO}:amr admits \"unauthenticated\": guest identities, i.e. anyone, "
                        "could assume the role")
    return [Finding("oidc-unpinned", f"trusts Cognito identity pools with {'; and '.join(problems)}",
                    statement.label, "weak-trust")] if problems else []


# IAM's SAML trust: the role's trust policy names the saml-provider and should require `SAML:aud`, the
# assertion's recipient, to be the AWS sign-in endpoint (https://signin.aws.amazon.com/saml, or a regional
# https://<region>.signin.aws.amazon.com/saml). Source: IAM user guide, "Configure SAML assertions for the
# authentication response" and "Create a role for SAML 2.0 federation" (trust policy with SAML:aud),
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html
_SAML_ACTION = "sts:AssumeRoleWithSAML"
_SAML_AUDIENCE = "saml:aud"


def _saml_findings(statement: Statement) -> list[Finding]:
    providers = [f for f in (statement.principals or {}).get("Federated", ()) if ":saml-provider/" in f]
    if not providers or not statement.matches_action(_SAML_ACTION):
        return []
    if any(c.key == _SAML_AUDIENCE and _pins(c) for c in statement.conditions):
        return []
    loose = [f"{c.key} {c.operator} {list(c.values)}" for c in statement.conditions if c.key == _SAML_AUDIENCE]
    detail = f" (have: {'; '.join(loose)})" if loose else ""
    return [Finding("saml-unpinned",
                    f"trusts SAML provider {', '.join(providers)} without an exact SAML:aud condition{detail}: an "
                    "assertion the identity provider issued for another recipient could assume the role; require "
                    "SAML:aud https://signin.aws.amazon.com/saml", statement.label, "weak-trust")]


_ROLES_ANYWHERE = "rolesanywhere.amazonaws.com"
# Roles Anywhere tags each session with the certificate's subject, issuer and SAN fields; only the subject and
# SAN name one workload (the issuer is the CA, shared by all its certificates). Source: IAM Roles Anywhere user
# guide, "Trust model" / "Trust policy" (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html).
_CERTIFICATE_SUBJECT_KEYS = ("aws:principaltag/x509subject/", "aws:principaltag/x509san/")


def _roles_anywhere_findings(statement: Statement) -> list[Finding]:
    services = (statement.principals or {}).get("Service", ())
    if not any(s.lower() == _ROLES_ANYWHERE for s in services) or not statement.matches_action("sts:AssumeRole"):
        return []
    anchors = [v for c in statement.conditions if c.key == "aws:sourcearn" and _pins(c) for v in c.values]
    if any(c.key.startswith(_CERTIFICATE_SUBJECT_KEYS) and _pins(c) for c in statement.conditions):
        if anchors:
            return []
        # issue 11 (awsesc3): CreateSession takes ANY trust anchor of the account; a subject pinned without the anchor
        # is a subject any CA can sign, and whoever may call rolesanywhere:CreateTrustAnchor registers its own CA
        return [Finding("certificate-unpinned",
                        "trusts IAM Roles Anywhere for a pinned certificate subject but not one trust anchor (no exact "
                        "aws:SourceArn): a certificate with that subject from any trust anchor in the account, "
                        "including one registered later with another CA (rolesanywhere:CreateTrustAnchor), could "
                        "assume the role", statement.label, "weak-trust")]
    scope = (f"any certificate the CA of trust anchor {', '.join(anchors)} signs" if anchors
             else "any certificate of any trust anchor in the account (no aws:SourceArn either)")
    return [Finding("certificate-unpinned",
                    f"trusts IAM Roles Anywhere without an exact aws:PrincipalTag/x509SAN/URI (SPIFFE ID) or "
                    f"x509Subject/CN condition: {scope} could assume the role", statement.label, "weak-trust")]


# An organization pin (of an own organization, ownOrganizationIds) keeps the trusted account's principals out unless the
# account is in that organization: the account is then the stack's own in effect. sts:ExternalId is the confused-deputy
# guard of a THIRD-PARTY vendor (a value the vendor's service sends) and aws:PrincipalArn narrows WHICH principal of the
# account may assume the role: neither says whose account it is (red20 r20-9), so a trusted account outside
# ownAccountIds stays a finding with them; the finding names the guard, and a reviewed vendor trust is a waiver naming it.
_ORGANIZATION_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})
# Principal "*" pinned to an account by these keys is that account's principals (as AGID-AWS-050 reads a resource policy)
_ACCOUNT_PIN_KEYS = frozenset({"aws:principalaccount", "aws:principalarn"})
_CONFUSED_DEPUTY_KEYS = frozenset({"sts:externalid", "aws:principalarn"})


def _pinned_accounts(statement: Statement) -> list[str]:
    """The accounts a positive, exact aws:PrincipalAccount / aws:PrincipalArn condition confines Principal "*" to."""
    found = []
    for condition in statement.conditions:
        if condition.key not in _ACCOUNT_PIN_KEYS or not _pins(condition):
            continue
        for value in condition.values:
            account = arn_account(value) if condition.key == "aws:principalarn" else value.strip()
            if account and account.isdigit() and len(account) == 12:
                found.append(account)
    return found


def _own_organization_pin(statement: Statement, own_ids: OwnIds) -> bool:
    return any(c.key in _ORGANIZATION_KEYS and _pins(c) and not any(own_ids.problem(c.key, v) for v in c.values)
               for c in statement.conditions)


def _self_pinned(statement: Statement, account: str, self_names: frozenset[str]) -> bool:
    """The kit's self-assume shape in the gate's mock account: the account's root pinned by aws:PrincipalArn to this
    role's own ARN there (components/aws/trust.self_assume_statement: IAM refuses the role's own ARN as a principal
    while the role is created). Only for an account the gate's mocks answer `aws.get_caller_identity()` with
    (invented_accounts): a real preview answers with the real account, which must be in ownAccountIds."""
    if account not in invented_accounts() or not self_names:
        return False
    for condition in statement.conditions:
        if condition.key == "aws:principalarn" and _pins(condition) and all(
                arn_account(v) == account and f":iam::{account}:role/" in v
                and v.rsplit("/", 1)[-1] in self_names for v in condition.values):
            return True
    return False


def _cross_account_findings(statement: Statement, own_accounts: frozenset[str], own_ids: OwnIds,
                            self_names: frozenset[str] = frozenset()) -> list[Finding]:
    accounts = []
    for principal in (statement.principals or {}).get("AWS", ()):
        account = principal_account(principal)
        if account and account not in own_accounts and not _self_pinned(statement, account, self_names):
            accounts.append(account)
    if _is_public(statement) and not statement.not_principal:
        accounts.extend(a for a in _pinned_accounts(statement) if a not in own_accounts)
    if not accounts or _own_organization_pin(statement, own_ids):
        return []
    trusted = ", ".join(sorted(set(accounts)))
    known = (f"not one of the stack's own ({', '.join(sorted(own_accounts))})" if own_accounts
             else "not known to be the stack's own (list own accounts in ownAccountIds)")
    guards = sorted({f"{c.key} {c.operator} {list(c.values)}" for c in statement.conditions
                     if c.key in _CONFUSED_DEPUTY_KEYS and _pins(c)})
    if guards:
        return [Finding(
            "cross-account",
            f"trusts account(s) {trusted}, {known}, guarded only by {'; '.join(guards)}: an external id is a "
            "vendor's confused-deputy guard and a principal ARN narrows which principal of that account, neither "
            "makes the account yours; a reviewed vendor trust needs a waiver naming it", statement.label)]
    problems = unowned_pins(statement, _ORGANIZATION_KEYS, own_ids)
    detail = f" (pinned only by {'; '.join(problems)})" if problems else ""
    return [Finding(
        "cross-account",
        f"trusts account(s) {trusted}, {known}, without an sts:ExternalId, aws:PrincipalOrgID of an own "
        f"organization or exact aws:PrincipalArn condition (confused-deputy risk: any principal of it){detail}",
        statement.label)]


def trust_findings(document: PolicyDocument, own_accounts: Iterable[str] = (), *,
                   check_cross_account: bool = True, own_ids: OwnIds = NO_OWN_IDS,
                   self_names: Iterable[str] = ()) -> list[Finding]:
    """Weak trust in a role's trust policy or a resource policy (key policy, bucket policy).

    `own_accounts` are the organisation's own account ids: trusting them needs no
    external id. Resource policies (key policies name their own account's root)
    pass `check_cross_account=False`. `own_ids`: the organizations, VPCs and endpoints known own; a pin by any
    other one restricts nothing the stack can vouch for (nothing listed: "cannot tell").
    """
    own = frozenset(own_accounts)
    findings = []
    for statement in document.statements:
        if not statement.allows:
            continue
        problems = unowned_pins(statement, RESTRICTING_KEYS, own_ids) if _is_public(statement) else None
        if problems == []:
            findings.append(Finding(
                "public-principal",
                "allows any AWS principal (Principal \"*\") with no condition restricting the caller's "
                "organization, account, ARN or source", statement.label))
            continue
        if problems:
            findings.append(Finding(
                "public-principal",
                f"allows any AWS principal (Principal \"*\") pinned only by {'; '.join(problems)}: every account of "
                "that organization (its owner adds any) or caller of that network could be let in", statement.label))
            continue
        findings.extend(_oidc_findings(statement))
        findings.extend(_saml_findings(statement))
        findings.extend(_roles_anywhere_findings(statement))
        if check_cross_account and statement.matches_action("sts:AssumeRole"):
            findings.extend(_cross_account_findings(statement, own, own_ids, frozenset(self_names)))
    return findings
