"""AGID-K8S-005: no Kubernetes role holds an escalation path, whoever it is bound to.

Beyond the escalation verbs (AGID-K8S-002), these grants let the holder become someone more powerful
(https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks):
exec/attach into pods (their tokens and secrets), nodes/proxy (the kubelet API), approving certificate
signing requests (any user or group), attesting for a signer or writing ClusterTrustBundles (a CA in pods' trust
stores), admission webhooks and admission policies (rewrite every object),
patching namespaces (their pod-security labels), and in a ClusterRole granted cluster-wide, reading
every secret or creating/patching workloads (a pod runs as any service account of any namespace), creating
service-account-token Secrets, patching nodes (labels and taints steer workloads), and writing CRDs (conversion
webhooks) or APIServices (a built-in API group served by someone else). The paths are data:
analysis/k8s_rbac_facts.yaml `escalation_paths`.
A stack rule, so that a ClusterRole is judged where the stack binds it (issue 11 (2), k8s_roles.ClusterRoleScopes):
bound only by RoleBindings, as a Role of each of their namespaces (a system namespace's: cluster-wide power), where
its cluster-scoped resources (nodes, CRDs, webhooks, signers) grant nothing; bound by a ClusterRoleBinding, nowhere
in the stack, by a binding whose roleRef or namespace the pack cannot tie to it, patched, or aggregated into another
role, as granted cluster-wide (fail closed).
Rules bounded by resourceNames are not flagged where the named objects bound the path (secrets the workload reads);
they are where naming bounds nothing (red7a finding 7): the named object is the dangerous one (the signer
kubernetes.io/kube-apiserver-client, an existing webhook configuration, kube-system's aws-auth), one named object
reaches everything (a node's kubelet API, a workload whose pod template names any service account, a pod's exec),
or the holder picks the name (the CSR it created). Which is which is data (`names` in the same file).

A namespaced Role in a system namespace (kube-system, kube-node-lease, gke-managed, ... : `system_namespaces` in
the same data file) is judged like a ClusterRole (red5 finding 6): the service accounts there hold cluster-wide
roles, so reading its secrets or running a pod there as one of them is cluster-wide power. A Role whose namespace
is not set lands in the provider's default namespace, which the pack cannot see: if it holds such a path it is
"cannot check" (fail closed); a namespace known only at deployment is reported as not yet known.

Aggregated ClusterRoles (red9b finding 4; https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles):
the aggregation controller copies into a ClusterRole with an aggregationRule the rules of every ClusterRole its
selectors match, and into the built-in admin / edit / view the rules of every ClusterRole labelled
rbac.authorization.k8s.io/aggregate-to-{admin,edit,view}. So, bound or not in this stack:
  - an aggregationRule selecting a powerful built-in (kubernetes.io/bootstrapping=rbac-defaults, {}, the labels edit
    carries...) holds that built-in's rules (cluster-admin's */*/*);
  - a label feeding admin/edit/view on a powerful built-in (cluster-admin, edit, system:*) hands its rules to every
    holder of the built-in it feeds; on an aggregated role whose selectors the pack cannot resolve, or on an existing
    role the stack patches without seeing its rules: cannot check;
  - rules or an aggregationRule written onto a built-in Kubernetes binds to every user (system:basic-user,
    system:discovery, system:public-info-viewer, ...) reach every user.
Built-in labels, the aggregating built-ins and the everyone-bound roles are data (same file).

A RoleBinding of a Role Kubernetes creates itself in kube-system or kube-public (system:controller:bootstrap-signer
reads kube-system's secrets, system:controller:token-cleaner deletes them, system:controller:cloud-provider creates
ConfigMaps there, kube-public's bootstrap-signer rewrites cluster-info; data analysis/k8s_builtin_namespace_roles.yaml
from the bootstrap policy) is judged by that Role's rules in the binding's namespace, as the same Role written by the
stack would be; extension-apiserver-authentication-reader (reads one named ConfigMap) passes.
"""

from agentid_policy_packs.analysis.k8s_rbac import (
    BINDING_TYPES, ESCALATION_PATHS, ROLE_BINDING_TYPES, ROLE_TYPES, NotYetKnown, aggregating_builtins_fed, aggregation_collects, builtin_cluster_role,
    default_builtin_labels, granted_to_everyone_by_default, metadata_name, role_labels)
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation
from .k8s_roles import ClusterRoleScopes, each_in_stack, failing_closed, judge_paths


def _aggregation(resource: Resource):
    """Violations of a ClusterRole(Patch) whose aggregation reaches a built-in role (red9b finding 4)."""
    props = dict(resource.props)
    aggregated = props.get("aggregationRule") not in (None, {})
    collected = aggregation_collects(props)
    for index, builtin, why in collected:
        yield Violation(f"{resource.name} aggregationRule.clusterRoleSelectors[{index}] selects built-in ClusterRole "
                        f"{builtin}: the aggregation controller copies its rules into this role, whose holder {why}")
    name = metadata_name(props)
    fed = aggregating_builtins_fed(role_labels(props))
    if fed and is_unknown((props.get("metadata") or {}).get("name")):
        raise NotYetKnown("metadata.name")  # which role the labels are on decides what flows
    own = aggregating_builtins_fed(default_builtin_labels(name)) if name else []
    fed = [target for target in fed if target not in own and target != name]
    builtin = builtin_cluster_role(name) if name else None
    into = ", ".join(fed)
    if fed and builtin and builtin[0]:
        yield Violation(f"{resource.name} labels built-in ClusterRole {name} so the aggregation controller copies its "
                        f"rules into built-in {into} (held across the cluster): every holder then {builtin[1]}")
    elif fed and aggregated and not collected:
        yield Violation(f"{resource.name}: cannot check: its rules come from whatever ClusterRoles its aggregationRule "
                        f"selects, and its labels copy them into built-in {into} (held across the cluster)")
    elif fed and resource.type.endswith("Patch") and "rules" not in props and builtin is None:
        yield Violation(f"{resource.name}: cannot check: it labels ClusterRole {name}, which this stack does not define, "
                        f"so the aggregation controller copies rules the pack cannot see into built-in {into}")
    if name and granted_to_everyone_by_default(name) and (props.get("rules") or aggregated):
        yield Violation(f"{resource.name} changes the rules of built-in ClusterRole {name}, which Kubernetes binds to "
                        "every user by default (system:authenticated, some also system:unauthenticated): every "
                        "user and service account gets what it adds")


def _judge(resource: Resource, scopes: ClusterRoleScopes):
    if resource.type in ROLE_TYPES and ":ClusterRole" in resource.type:
        yield from failing_closed(resource, _aggregation(resource))
    yield from judge_paths(resource, ESCALATION_PATHS, "runs workloads or reads secrets there", scopes)


def check(resources: list[Resource], config):
    scopes = ClusterRoleScopes(resources)
    yield from each_in_stack(resources, ROLE_TYPES + ROLE_BINDING_TYPES, lambda resource: _judge(resource, scopes))


RULE = Rule(
    id="AGID-K8S-005",
    title="k8s-rbac-no-escalation-paths",
    severity="critical",
    category="escalation",
    description="Kubernetes roles do not allow pods/exec or attach, nodes/proxy, certificate approval or trust-bundle "
                "attestation, admission "
                "webhooks or policies, or namespace relabelling, and ClusterRoles granted cluster-wide (bound by a "
                "ClusterRoleBinding or by no binding the stack shows), or bound or defined in system namespaces such "
                "as kube-system, do not read every secret, create workloads or token Secrets, write ClusterTrustBundles, "
                "create or patch nodes, bind "
                "pods, write Endpoints, EndpointSlices or Services (traffic interception), or write CRDs or "
                "APIServices; no ClusterRole aggregates a powerful built-in, feeds one into admin/edit/view, "
                "or rewrites a built-in bound to every user.",
    remediation="Grant these in a namespaced Role of the workload's own namespace (secrets with resourceNames), "
                "and leave exec, node proxy, certificate approval and webhooks to cluster administrators; aggregate "
                "only the stack's own labelled roles, and leave built-in roles' labels and rules alone.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
    check=check,
    stack=True,
    reads=ROLE_TYPES + BINDING_TYPES,
)
