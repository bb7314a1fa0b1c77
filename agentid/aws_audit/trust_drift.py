"""Does a live agent role trust anything the inventory does not declare?

Weak trust (anyone, an unpinned OIDC subject) is the analysis core's
judgement; this module asks the inventory question: a trust statement can be
perfectly pinned and still let in a workload nobody declared, e.g. a second
GitHub repository or another Kubernetes service account added by hand.

What each kind of binding may look like in a live trust policy follows
`agentid_components.aws.trust` (the statements the kit writes):
  web identity   Federated oidc-provider/HOST, `HOST:sub` equal to a declared subject
  Roles Anywhere Service rolesanywhere, `aws:PrincipalTag/x509SAN/URI` a declared SPIFFE ID
  Pod Identity   Service pods.eks, `aws:RequestTag/kubernetes-namespace` and `-service-account` a declared pair
  the role itself (AWS principal = its own ARN, or the account root pinned to it by `aws:PrincipalArn`,
                 as `agentid_components.aws.trust` writes it): the broker's AssumeRole from a session of the role
Anything else is undeclared. Pure: no boto3, no Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentid_components.aws import trust
from agentid_components.spec import Agent
from agentid_policy_packs import analysis

_SAN_URI = "aws:principaltag/x509san/uri"
_POD_NAMESPACE = "aws:requesttag/kubernetes-namespace"
_POD_SERVICE_ACCOUNT = "aws:requesttag/kubernetes-service-account"
_PRINCIPAL_ARN = "aws:principalarn"


def _account_root(role_arn: str) -> str:
    """arn:PARTITION:iam::ACCOUNT:role/NAME -> arn:PARTITION:iam::ACCOUNT:root"""
    return role_arn.split(":role/", 1)[0] + ":root"


@dataclass(frozen=True)
class DeclaredTrust:
    web_identity: frozenset[tuple[str, str]]  # (OIDC provider host, token subject)
    spiffe_ids: frozenset[str]
    pod_identities: frozenset[tuple[str, str]]  # (namespace, service account)


def declared_trust(agent: Agent) -> DeclaredTrust:
    web, spiffe, pods = set(), set(), set()
    for binding in trust.aws_bindings(agent):
        if binding.github_actions:
            web.add((trust.oidc_provider_host(trust.GITHUB_ISSUER).lower(), binding.github_actions.subject))
        elif trust.uses_irsa(binding):
            web.add((trust.oidc_provider_host(binding.kubernetes.issuer).lower(), binding.kubernetes.subject))
        elif binding.kubernetes:
            pods.add((binding.kubernetes.namespace, binding.kubernetes.service_account))
        elif binding.spiffe:
            spiffe.add(binding.spiffe.spiffe_id)
    return DeclaredTrust(frozenset(web), frozenset(spiffe), frozenset(pods))


def undeclared_trust(document: Any, role_arn: str, declared: DeclaredTrust) -> list[tuple[str, str]]:
    """(statement label, who it lets in) for every Allow that admits a workload the inventory does not declare.

    An unparseable trust policy yields nothing here: the weak-trust check reports it.
    """
    try:
        parsed = analysis.parse_policy(document, analysis.TRUST)
    except (analysis.PolicyParseError, RecursionError):
        return []
    found = []
    for statement in parsed.statements:
        if not statement.allows:
            continue
        if statement.not_principal or statement.principals is None:
            found.append((statement.label, "every principal except the ones it names (NotPrincipal)"))
            continue
        for kind, values in statement.principals.items():
            for value in values:
                problem = _judge(kind, value, statement, role_arn, declared)
                if problem:
                    found.append((statement.label, problem))
    return found


def _values(statement: analysis.Statement, key: str) -> list[str]:
    return [v for c in statement.conditions if c.key == key and not c.is_negative for v in c.values]


def _judge(kind: str, value: str, statement: analysis.Statement, role_arn: str, declared: DeclaredTrust) -> str | None:
    if kind == "Federated":
        host = value.split(":oidc-provider/", 1)[1].lower() if ":oidc-provider/" in value else value.lower()
        subjects = _values(statement, f"{host}:sub")
        extra = [s for s in subjects if (host, s) not in declared.web_identity]
        if not subjects:
            return None if any(h == host for h, _ in declared.web_identity) else f"tokens of OIDC provider {host}"
        return f"tokens of {host} with subject {', '.join(extra)}" if extra else None
    if kind == "Service" and value == trust.ROLES_ANYWHERE_SERVICE:
        uris = _values(statement, _SAN_URI)
        if not uris:
            return "Roles Anywhere certificates without a pinned SPIFFE URI SAN"
        extra = [u for u in uris if u not in declared.spiffe_ids]
        return f"Roles Anywhere certificates of {', '.join(extra)}" if extra else None
    if kind == "Service" and value == trust.POD_IDENTITY_SERVICE:
        pairs = {(n, s) for n in _values(statement, _POD_NAMESPACE) for s in _values(statement, _POD_SERVICE_ACCOUNT)}
        extra = sorted(pairs - declared.pod_identities)
        if not pairs:
            return "EKS Pod Identity sessions of any namespace or service account"
        return "EKS Pod Identity sessions of " + ", ".join(f"{n}/{s}" for n, s in extra) if extra else None
    if kind == "AWS" and value == role_arn:
        return None  # the role itself: the broker's per-tool AssumeRole from a session of the role
    if kind == "AWS" and value == _account_root(role_arn) and _values(statement, _PRINCIPAL_ARN) == [role_arn]:
        return None  # the same, as the kit writes it: the account, pinned to this role by aws:PrincipalArn
    if kind == "Service":
        return f"the service {value}"
    return f"{'any principal' if value == '*' else 'the AWS principal ' + value}"
