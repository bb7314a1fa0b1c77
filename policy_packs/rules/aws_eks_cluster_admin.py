"""AGID-AWS-039: no EKS access entry makes an IAM principal a Kubernetes cluster administrator.

An `eks.AccessPolicyAssociation` maps an IAM role or user to an EKS access policy.
`AmazonEKSClusterAdminPolicy` is `cluster-admin` (every verb on every resource, in every
namespace); `AmazonEKSAdminPolicy` with an access scope of type `cluster` is admin of every
namespace. Either gives the principal's holders the workloads, secrets and service-account tokens
of the whole cluster. Source: https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
"""

from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
_CLUSTER_ADMIN = "AmazonEKSClusterAdminPolicy"
_ADMIN = "AmazonEKSAdminPolicy"


def check(resource: Resource, config):
    arn, scope, principal = (resource.props.get(k) for k in ("policyArn", "accessScope", "principalArn"))
    if is_unknown(arn):
        yield Unknown("policyArn")
        return
    if not isinstance(arn, str):
        yield Violation(f"EKS access policy association {resource.name}: policyArn is not an ARN, so the access it "
                        "grants cannot be judged")
        return
    name = arn.rsplit("/", 1)[-1]
    who = principal if isinstance(principal, str) and not is_unknown(principal) else "its principal"
    if name == _CLUSTER_ADMIN:
        yield Violation(f"EKS access policy association {resource.name} makes {who} cluster-admin "
                        f"({_CLUSTER_ADMIN}): every resource, secret and service-account token of the cluster")
    elif name == _ADMIN:
        kind = scope.get("type") if isinstance(scope, Mapping) else None
        if is_unknown(scope) or is_unknown(kind):
            yield Unknown("accessScope.type")
        elif kind == "cluster":
            yield Violation(f"EKS access policy association {resource.name} makes {who} admin of every namespace "
                            f"({_ADMIN} with accessScope type cluster)")
        elif kind != "namespace":
            yield Violation(f"EKS access policy association {resource.name}: accessScope.type {kind!r} is neither "
                            "cluster nor namespace, so the reach of AmazonEKSAdminPolicy cannot be judged")


RULE = Rule(
    id="AGID-AWS-039",
    title="aws-eks-no-cluster-admin",
    severity="critical",
    category="admin",
    description="No EKS access entry grants AmazonEKSClusterAdminPolicy, or AmazonEKSAdminPolicy cluster-wide.",
    remediation="Associate AmazonEKSViewPolicy or AmazonEKSEditPolicy scoped to the agent's namespaces, or bind a "
                "Kubernetes Role to the access entry's username.",
    url="https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html",
    check=check,
    resource_types=(ASSOCIATION,),
)
