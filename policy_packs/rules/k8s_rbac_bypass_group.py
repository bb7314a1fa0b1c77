"""AGID-K8S-007: no IAM principal is mapped into a Kubernetes group that bypasses RBAC (system:masters).

Members of system:masters are cluster-admin without any binding, and no RoleBinding can take it away
(https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege). On EKS an IAM role or
user joins a group through
  - an access entry: `aws.eks.AccessEntry` kubernetesGroups
    (https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html), or
  - the aws-auth ConfigMap in kube-system: data.mapRoles / data.mapUsers, YAML lists of
    {rolearn | userarn, username, groups} (https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html).
A mapping that cannot be read (not a list, YAML that does not parse) is reported: cannot check.
The groups are data: analysis/k8s_rbac_facts.yaml `rbac_bypassing_groups`.
"""

from __future__ import annotations

from typing import Any

from agentid_components import input_limits

from agentid_policy_packs.analysis.k8s_rbac import rbac_bypassing_group
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
CONFIG_MAP_TYPES = ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch")
AWS_AUTH_KEYS = ("mapRoles", "mapUsers")
# aws-auth is a few KiB; a document larger or deeper than this is not one EKS would read sensibly
AWS_AUTH_LIMITS = input_limits.Limits(max_bytes=1024 * 1024, max_depth=16, max_nodes=100_000)


def _groups(groups: Any, where: str) -> tuple[list[str], str | None]:
    """The group names, or why they cannot be read."""
    if groups is None:
        return [], None
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        return [], f"{where} is not a list of group names"
    return groups, None


def _access_entry(resource: Resource):
    groups = resource.props.get("kubernetesGroups")
    if is_unknown(groups) or isinstance(groups, list) and any(is_unknown(g) for g in groups):
        yield Unknown("kubernetesGroups")
        return
    names, problem = _groups(groups, "kubernetesGroups")
    if problem:
        yield Violation(f"EKS access entry {resource.name}: cannot check: {problem}")
    principal = resource.props.get("principalArn")
    who = principal if isinstance(principal, str) and not is_unknown(principal) else "its principal"
    for name in names:
        why = rbac_bypassing_group(name)
        if why:
            yield Violation(f"EKS access entry {resource.name} puts {who} in Kubernetes group {name}: {why}")


def aws_auth_lists(resource: Resource, keys=AWS_AUTH_KEYS):
    """For the kube-system/aws-auth ConfigMap (or patch): each of `keys` of its data parsed as the YAML list EKS reads,
    as (key, list); Unknown for a value unknown at preview; a Violation (cannot check) for one that is not a YAML
    list. Nothing for any other ConfigMap. Shared by AGID-K8S-007 (groups) and AGID-AWS-064 (whose principals)."""
    metadata = resource.props.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("name") != "aws-auth" \
            or metadata.get("namespace") not in (None, "kube-system"):
        return  # only kube-system/aws-auth maps IAM principals (an unnamed ConfigMap gets a random suffix)
    data = resource.props.get("data")
    if is_unknown(data):
        yield Unknown("data")
        return
    for key in keys:
        text = data.get(key) if isinstance(data, dict) else None
        if is_unknown(text):
            yield Unknown(f"data.{key}")
            continue
        if text is None:
            continue
        if isinstance(text, str) and len(text) > AWS_AUTH_LIMITS.max_bytes:
            yield Violation(f"aws-auth ConfigMap {resource.name}: cannot check: data.{key} is over "
                            f"{AWS_AUTH_LIMITS.max_bytes:,} characters")
            continue
        try:
            entries = input_limits.plain_yaml(text, f"data.{key}", AWS_AUTH_LIMITS) if isinstance(text, str) else None
        except input_limits.InputRefused as refused:
            yield Violation(f"aws-auth ConfigMap {resource.name}: cannot check: {refused}")
            continue
        if not isinstance(entries, list):
            shape = "account ids" if key == "mapAccounts" else "{rolearn | userarn, username, groups}"
            yield Violation(f"aws-auth ConfigMap {resource.name}: cannot check: data.{key} is not a YAML list of {shape}")
            continue
        yield key, [_folded(entry) for entry in entries]


class CaseClash(dict):
    """An aws-auth entry with two keys that are the same name in different case: which one EKS reads cannot be told."""


def _folded(entry):
    """An aws-auth entry as aws-iam-authenticator reads it: it converts the YAML to JSON and unmarshals it with Go's
    encoding/json, which matches keys case-insensitively (`RoleArn`, `ROLEARN` and `Groups` are rolearn and groups;
    red18 r18-3). Keys folded to lower case; an entry holding two spellings of one key is a CaseClash."""
    if not isinstance(entry, dict):
        return entry
    folded: dict = {}
    for key, value in entry.items():
        name = key.lower() if isinstance(key, str) else key
        if name in folded:
            return CaseClash(entry)
        folded[name] = value
    return folded


def _aws_auth(resource: Resource):
    for found in aws_auth_lists(resource):
        if not isinstance(found, tuple):
            yield found
            continue
        key, entries = found
        for index, entry in enumerate(entries):
            where = f"data.{key}[{index}]"
            if not isinstance(entry, dict) or isinstance(entry, CaseClash):
                why = "holds one key in two spellings" if isinstance(entry, CaseClash) else "is not a mapping"
                yield Violation(f"aws-auth ConfigMap {resource.name}: cannot check: {where} {why}")
                continue
            names, problem = _groups(entry.get("groups"), f"{where}.groups")
            if problem:
                yield Violation(f"aws-auth ConfigMap {resource.name}: cannot check: {problem}")
            who = entry.get("rolearn") or entry.get("userarn") or "its principal"
            for name in names:
                why = rbac_bypassing_group(name)
                if why:
                    yield Violation(f"aws-auth ConfigMap {resource.name} {where} puts {who} in Kubernetes group "
                                    f"{name}: {why}")


def check(resource: Resource, config):
    yield from (_access_entry(resource) if resource.type == ACCESS_ENTRY else _aws_auth(resource))


RULE = Rule(
    id="AGID-K8S-007",
    title="k8s-no-rbac-bypass-group",
    severity="critical",
    category="admin",
    description="No EKS access entry or aws-auth mapping puts an IAM principal in system:masters.",
    remediation="Map the principal to a group of your own and bind it a Role, or associate an EKS access policy "
                "scoped to its namespaces (AmazonEKSViewPolicy / AmazonEKSEditPolicy).",
    url="https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html",
    check=check,
    resource_types=(ACCESS_ENTRY, *CONFIG_MAP_TYPES),
)
