"""Trust policies: who may become an agent's role, without any stored secret.

Pure (no Pulumi). The Pulumi component resolves the ARNs this needs (OIDC
providers, trust anchors, the cluster ARN) and calls `trust_policy` with plain
strings, so the exact JSON is testable on its own.

Every statement pins one workload exactly: GitHub's and the cluster's OIDC
tokens by audience and subject; EKS Pod Identity by account, cluster and the
session tags EKS sets for the namespace and service account; Roles Anywhere by
the trust anchor and the certificate's SPIFFE URI SAN.

Pod Identity and Roles Anywhere hand the workload a session of the role
itself; the run-time broker narrows it per tool by assuming the same role
again with the tool's session policy. AWS allows that only when the trust
policy names the role explicitly, so those agents get one more statement.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from agentid_components import naming
from agentid_components.aws.permissions import POLICY_VERSION
from agentid_components.spec import Agent, TrustBinding

STS_AUDIENCE = "sts.amazonaws.com"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
ROLES_ANYWHERE_SERVICE = "rolesanywhere.amazonaws.com"
ROLES_ANYWHERE_ACTIONS = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
POD_IDENTITY_ACTIONS = ["sts:AssumeRole", "sts:TagSession"]
WEB_IDENTITY_ACTIONS = ["sts:AssumeRoleWithWebIdentity"]
SELF_ASSUME_SID = "ToolSessionsFromOwnSessions"
SELF_ASSUME_ACTIONS = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]


@dataclass(frozen=True)
class TrustRefs:
    """The resolved ARNs the trust statements name."""

    github_provider_arn: str | None = None
    oidc_provider_arns: dict[str, str] = field(default_factory=dict)  # issuer URL -> provider ARN
    account_id: str | None = None
    cluster_arns: dict[str, str] = field(default_factory=dict)  # EKS cluster name -> cluster ARN
    trust_anchor_arns: dict[str, str] = field(default_factory=dict)  # SPIFFE ID -> trust anchor ARN
    partition: str = "aws"
    role_name: str | None = None  # the agent's role (default: its name without a suffix)


def aws_bindings(agent: Agent) -> list[TrustBinding]:
    """The agent's trust bindings that can reach AWS without a secret."""
    return [binding for binding in agent.trust if binding.usable_on("aws")]


def oidc_provider_host(issuer: str) -> str:
    """The prefix IAM gives an OIDC provider's condition keys: the issuer URL without https://."""
    return issuer.removeprefix("https://")


def uses_pod_identity(binding: TrustBinding) -> bool:
    return binding.kubernetes is not None and binding.kubernetes.cluster is not None


def uses_irsa(binding: TrustBinding) -> bool:
    return binding.kubernetes is not None and binding.kubernetes.cluster is None


def hands_out_role_sessions(binding: TrustBinding) -> bool:
    """Does the binding give the workload a session of the role itself (not a token to exchange)?"""
    return uses_pod_identity(binding) or binding.spiffe is not None


def needs_self_assume(agent: Agent) -> bool:
    return any(hands_out_role_sessions(b) for b in aws_bindings(agent))


def self_assume_statement(agent: Agent, refs: TrustRefs) -> dict:
    """Let sessions of this role assume it again, narrowed per tool (the broker's role chaining).

    IAM rejects a role's own ARN as a principal while the role is being created,
    so the statement trusts the account and pins the caller to this role with
    `aws:PrincipalArn` (which is the role's ARN for its sessions).
    """
    role_arn = f"arn:{refs.partition}:iam::{refs.account_id}:role/{refs.role_name or naming.aws_role_name(agent.name)}"
    return {
        "Sid": SELF_ASSUME_SID,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{refs.partition}:iam::{refs.account_id}:root"},
        "Action": SELF_ASSUME_ACTIONS,
        "Condition": {"ArnEquals": {"aws:PrincipalArn": role_arn}},
    }


def binding_subject(binding: TrustBinding) -> str:
    """What the binding pins: the token subject or the SPIFFE ID."""
    if binding.github_actions:
        return binding.github_actions.subject
    if binding.kubernetes:
        return f"{binding.kubernetes.issuer} {binding.kubernetes.subject}"
    return binding.spiffe.spiffe_id


def statement_sid(binding: TrustBinding) -> str:
    """Stable Sid from what the statement trusts (reordering bindings renames nothing)."""
    prefix = {"github_actions": "GitHubActions", "spiffe": "RolesAnywhere"}.get(binding.kind)
    if prefix is None:
        prefix = "EksPodIdentity" if uses_pod_identity(binding) else "KubernetesOidc"
    return prefix + hashlib.sha256(binding_subject(binding).encode()).hexdigest()[:8].upper()


def trust_statement(binding: TrustBinding, refs: TrustRefs) -> dict:
    sid = statement_sid(binding)
    if binding.github_actions:
        host = oidc_provider_host(GITHUB_ISSUER)
        return _web_identity(sid, refs.github_provider_arn, host, binding.github_actions.subject)
    if uses_irsa(binding):
        issuer = binding.kubernetes.issuer
        return _web_identity(sid, refs.oidc_provider_arns[issuer], oidc_provider_host(issuer), binding.kubernetes.subject)
    if binding.kubernetes:
        k8s = binding.kubernetes
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": POD_IDENTITY_SERVICE},
            "Action": POD_IDENTITY_ACTIONS,
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": refs.account_id,
                    # EKS tags every Pod Identity session; pinning the tags keeps a second
                    # association (another namespace or service account) from using the role
                    "aws:RequestTag/kubernetes-namespace": k8s.namespace,
                    "aws:RequestTag/kubernetes-service-account": k8s.service_account,
                },
                "ArnEquals": {"aws:SourceArn": refs.cluster_arns[k8s.cluster]},
            },
        }
    spiffe = binding.spiffe
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": ROLES_ANYWHERE_SERVICE},
        "Action": ROLES_ANYWHERE_ACTIONS,
        "Condition": {
            "StringEquals": {"aws:PrincipalTag/x509SAN/URI": spiffe.spiffe_id},
            "ArnEquals": {"aws:SourceArn": refs.trust_anchor_arns[spiffe.spiffe_id]},
        },
    }


def _web_identity(sid: str, provider_arn: str | None, host: str, subject: str) -> dict:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": WEB_IDENTITY_ACTIONS,
        "Condition": {"StringEquals": {f"{host}:aud": STS_AUDIENCE, f"{host}:sub": subject}},
    }


TRUST_POLICY_MAX_CHARS = 2048  # IAM's default quota for a role trust policy, whitespace excluded


def estimated_trust_policy_size(agent: Agent) -> int:
    """The packed size of the agent's trust policy with the longest ARNs it could resolve to.

    The real ARNs are only known at deployment; placeholders of maximal length
    let the size check run before anything registers.
    """
    account = "123456789012"
    region = "ap-southeast-3"
    prefix = f"arn:aws-us-gov:iam::{account}:oidc-provider/"
    bindings = aws_bindings(agent)
    refs = TrustRefs(
        github_provider_arn=prefix + oidc_provider_host(GITHUB_ISSUER),
        oidc_provider_arns={b.kubernetes.issuer: prefix + oidc_provider_host(b.kubernetes.issuer) for b in bindings if uses_irsa(b)},
        account_id=account,
        partition="aws-us-gov",
        role_name="r" * naming.AWS_ROLE_NAME_MAX,
        cluster_arns={
            b.kubernetes.cluster: f"arn:aws-us-gov:eks:{region}:{account}:cluster/{b.kubernetes.cluster}"
            for b in bindings
            if uses_pod_identity(b)
        },
        trust_anchor_arns={
            b.spiffe.spiffe_id: f"arn:aws-us-gov:rolesanywhere:{region}:{account}:trust-anchor/{'0' * 36}"
            for b in bindings
            if b.spiffe
        },
    )
    return len(json.dumps(trust_policy(agent, refs), separators=(",", ":")))


def trust_policy(agent: Agent, refs: TrustRefs) -> dict:
    """The role's assume-role policy: one statement per AWS-usable trust binding (+ self-assume, see above)."""
    statements = [trust_statement(b, refs) for b in aws_bindings(agent)]
    if needs_self_assume(agent):
        statements.append(self_assume_statement(agent, refs))
    return {"Version": POLICY_VERSION, "Statement": statements}
