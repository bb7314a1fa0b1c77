"""AGID-K8S-005: no Kubernetes role holds an escalation path, whoever it is bound to.

Beyond the escalation verbs (AGID-K8S-002), these grants let the holder become someone more powerful
(https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks):
exec/attach into pods (their tokens and secrets), nodes/proxy (the kubelet API), approving certificate
signing requests (any user or group), admission webhooks (rewrite every object), and in a ClusterRole,
which may be bound cluster-wide, reading every secret or creating/patching workloads (a pod runs as any
service account of any namespace). The paths are data: analysis/k8s_rbac_facts.yaml `escalation_paths`.
Rules bounded by resourceNames are not flagged for the named objects.
"""

from agentid_policy_packs.analysis.k8s_rbac import ROLE_TYPES, NotYetKnown, Unreadable, escalation_grants, role_rules

from .base import Resource, Rule, Unknown, Violation


def check(resource: Resource, config):
    try:
        rules = role_rules(dict(resource.props))
    except NotYetKnown as unknown:
        yield Unknown(unknown.path)
        return
    except Unreadable as error:
        yield Violation(f"{resource.name}: cannot check: {error}")
        return
    cluster_role = ":ClusterRole" in resource.type
    by_rule: dict[int, list[tuple[str, str, str]]] = {}
    for index, what, verbs, why in escalation_grants(rules, cluster_role):
        by_rule.setdefault(index, []).append((what, verbs, why))
    for index, grants in by_rule.items():  # one violation a rule: a '*' rule reaches every path at once
        allowed = "; ".join(f"{verbs} on {what}" for what, verbs, _ in grants)
        whys = "; ".join(dict.fromkeys(why for _, _, why in grants))
        yield Violation(f"{resource.name} rules[{index}] allows {allowed}"
                        + (" in every namespace" if cluster_role else "") + f": the holder {whys}")


RULE = Rule(
    id="AGID-K8S-005",
    title="k8s-rbac-no-escalation-paths",
    severity="critical",
    category="escalation",
    description="Kubernetes roles do not allow pods/exec or attach, nodes/proxy, certificate approval or admission "
                "webhooks, and ClusterRoles do not read every secret or create workloads in every namespace.",
    remediation="Grant these in a namespaced Role of the workload's own namespace (secrets with resourceNames), "
                "and leave exec, node proxy, certificate approval and webhooks to cluster administrators.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
    check=check,
    resource_types=ROLE_TYPES,
)
