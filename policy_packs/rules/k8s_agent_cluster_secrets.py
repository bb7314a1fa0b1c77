"""AGID-K8S-003: agent service accounts do not read secrets cluster-wide.

A ClusterRoleBinding of a ClusterRole that can get/list/watch secrets (cluster-admin, admin, edit, or one in the
stack) to an agent's service account lets the agent read every credential in the cluster. Agent service
accounts: ServiceAccounts in the stack labelled `agent` (the kit's components label theirs). A ClusterRole the
pack cannot see and that is not a built-in is reported (cannot tell: flag).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.k8s_rbac import (
    BINDING_TYPES, ROLE_TYPES, SECRET_READING_BUILTINS, SERVICE_ACCOUNT_TYPE, NotYetKnown, Unreadable,
    metadata_name, reads_secrets, role_rules)
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

BUILTIN_READ_ONLY = {"view", "system:basic-user", "system:discovery", "system:public-info-viewer"}


def _agent_accounts(resources: list[Resource]) -> set[tuple[str, str]]:
    found = set()
    for resource in resources:
        if resource.type != SERVICE_ACCOUNT_TYPE:
            continue
        metadata = resource.props.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("labels"), dict) and metadata["labels"].get("agent"):
            found.add((str(metadata.get("namespace") or "default"), str(metadata.get("name"))))
    return found


def check(resources: list[Resource], config):
    agents = _agent_accounts(resources)
    if not agents:
        return
    cluster_roles = {}
    for resource in resources:
        if resource.type in ROLE_TYPES and resource.type.endswith(":ClusterRole"):
            name = metadata_name(dict(resource.props))
            if name:
                cluster_roles[name] = resource
    for resource in resources:
        if resource.type not in BINDING_TYPES or ":ClusterRoleBinding" not in resource.type:
            continue
        subjects, ref = resource.props.get("subjects"), resource.props.get("roleRef")
        if is_unknown(subjects) or is_unknown(ref):
            yield Unknown("subjects" if is_unknown(subjects) else "roleRef", resource.urn)
            continue
        if not isinstance(subjects, list) or not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
            yield Violation(f"{resource.name}: cannot check: subjects or roleRef is not of the RBAC shape", resource.urn)
            continue
        bound = [f"{s.get('namespace')}/{s.get('name')}" for s in subjects if isinstance(s, dict)
                 and s.get("kind") == "ServiceAccount" and (str(s.get("namespace")), str(s.get("name"))) in agents]
        if not bound:
            continue
        role = ref["name"]
        if role in cluster_roles:
            try:
                secret_reader = reads_secrets(role_rules(dict(cluster_roles[role].props)))
            except NotYetKnown as unknown:
                yield Unknown(f"ClusterRole {role} {unknown.path}", resource.urn)
                continue
            except Unreadable:
                secret_reader = True
            why = "its rules allow get/list/watch on secrets"
        elif role in SECRET_READING_BUILTINS:
            secret_reader, why = True, "the built-in role reads secrets"
        elif role in BUILTIN_READ_ONLY:
            secret_reader = False
        else:
            secret_reader, why = True, "cannot check: the ClusterRole is neither in this stack nor a known built-in"
        if secret_reader:
            yield Violation(f"{resource.name} binds ClusterRole {role} cluster-wide to agent service account "
                            f"{', '.join(bound)}: {why}", resource.urn)


RULE = Rule(
    id="AGID-K8S-003",
    title="k8s-agent-no-cluster-secrets",
    severity="critical",
    category="unbounded-resource",
    description="No ClusterRoleBinding lets an agent's service account read secrets in every namespace.",
    remediation="Bind a Role in the agent's own namespace, with resourceNames listing the secrets it reads; better, "
                "give the agent its cloud identity (the kit's annotations) instead of Kubernetes secrets.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
    check=check,
    stack=True,
    reads=BINDING_TYPES + ROLE_TYPES + (SERVICE_ACCOUNT_TYPE,),
)
