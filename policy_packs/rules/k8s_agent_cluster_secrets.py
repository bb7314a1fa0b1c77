"""AGID-K8S-003: agent service accounts do not read secrets cluster-wide.

A ClusterRoleBinding of a ClusterRole that can get/list/watch secrets (cluster-admin, admin, edit, or one in the
stack) to an agent's service account lets the agent read every credential in the cluster. Agent service
accounts are judged by what the stack links, not by names or labels alone (analysis/agent_principals.py): a
ServiceAccount with a cloud identity annotation (IRSA, Azure workload identity, GKE), an EKS Pod Identity
association, a trust document naming `system:serviceaccount:NS:NAME` (or a GKE `svc.id.goog[NS/NAME]` member),
or the kit's `agent` label. A ServiceAccount the stack does not define could be an agent named otherwise: bound
to a secret-reading ClusterRole it is reported (cannot tell: flag); one the stack defines without any of those
links is not an agent. A ClusterRole the pack cannot see and that is not a built-in is reported (cannot tell).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.agent_principals import AGENT, UNKNOWN, KubernetesAccounts
from agentid_policy_packs.analysis.k8s_rbac import (
    BINDING_TYPES, ROLE_TYPES, SECRET_READING_BUILTINS, SERVICE_ACCOUNT_TYPE, NotYetKnown, Unreadable,
    reads_secrets, role_rules)
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .k8s_roles import StackRoles

BUILTIN_READ_ONLY = {"view", "system:basic-user", "system:discovery", "system:public-info-viewer"}


def check(resources: list[Resource], config):
    accounts = KubernetesAccounts.from_stack(resources)
    roles = StackRoles(resources)  # a stack ClusterRole named like a built-in is not the one bound (red7a 8)
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
        kinds = {f"{s.get('namespace')}/{s.get('name')}": accounts.classify(str(s.get("namespace")), str(s.get("name")))
                 for s in subjects if isinstance(s, dict) and s.get("kind") == "ServiceAccount"}
        bound = [account for account, kind in kinds.items() if kind == AGENT]
        unknown = [account for account, kind in kinds.items() if kind == UNKNOWN]
        if not bound and not unknown:
            continue
        role = ref["name"]
        if (own := roles.find("ClusterRole", role, resource)) is not None:
            try:
                secret_reader = reads_secrets(role_rules(dict(own.props)))
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
            who = [f"agent service account {', '.join(bound)}"] if bound else []
            if unknown:
                who.append(f"service account {', '.join(unknown)}, which this stack does not define (cannot tell "
                           "whether it is an agent's)")
            yield Violation(f"{resource.name} binds ClusterRole {role} cluster-wide to {' and '.join(who)}: {why}",
                            resource.urn)


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
