"""AGID-K8S-018: no Kubernetes role writes the Leases the cluster's control components elect leaders with, or the
API Priority and Fairness configuration that decides whose API requests are served.

kube-controller-manager, kube-scheduler, cloud-controller-manager and kube-system's add-ons run only while they hold
their Lease in kube-system; kube-node-lease holds every node's heartbeat. The API server does not check who writes a
Lease, so a holder of create/update/patch/delete on coordination.k8s.io leases (or leasecandidates, coordinated
leader election) there takes leadership and stops those controllers, or marks nodes alive or dead: a cluster-wide
denial of service with none of the controllers' credentials (so high, not an escalation). FlowSchemas and
PriorityLevelConfigurations (flowcontrol.apiserver.k8s.io, cluster-scoped) do the same through the API server: a
schema classifying the controllers', the scheduler's or the nodes' requests into a one-share level starves them.
Cluster-wide deletes are the same kind: other namespaces' workloads (kube-system's DNS and networking add-ons, the
policy engine's webhook backend, which fails open), their pods (delete and deletecollection bypass PodDisruptionBudgets,
pods/eviction evicts every pod no budget protects; the re-created pods are rescheduled, where the holder steers them
too), Node objects (their pods are garbage-collected), namespaces and CRDs (the policy engine's constraints with them).
Judged as AGID-K8S-005
judges its paths (analysis/k8s_rbac_facts.yaml `disruption_paths`, sources there), a stack rule so that a ClusterRole
is judged where the stack binds it (issue 11 (2), k8s_roles.ClusterRoleScopes): bound only by RoleBindings, as a Role
of each of their namespaces (a RoleBinding of it into kube-system is flagged there, one in the agent's own namespace
passes), where its cluster-scoped resources (flow control, nodes, CRDs) grant nothing; bound by a
ClusterRoleBinding, nowhere in the stack, by a binding whose roleRef or namespace the pack cannot tie to it, patched
(an existing role) or aggregated into another role (its labels feed admin/edit/view or a stack aggregationRule), as
bound in every namespace (fail closed); a Role in a system namespace (`system_namespaces`) as cluster-wide, a Role whose namespace is unset as "cannot
check"; wildcard apiGroups, resources and verbs (and `*/...` subresource spellings) match as the API server's RBAC
authorizer matches them. resourceNames bound nothing there (the system Leases carry component and node names), but a
named rule never reaches create. Passes: a Role of an ordinary namespace (the agent's own leader election), reads.
The stack writing such a Lease or LeaseCandidate itself (`kubernetes:coordination.k8s.io/v1:Lease` in kube-system)
is the same takeover at deployment and is flagged too; its namespace unset is "cannot check". So is a FlowSchema or
PriorityLevelConfiguration the stack writes that is one of the API server's own (a built-in name: data
`flow_control_builtins`), a FlowSchema routing to the exempt level, or one matching requests beyond named service
accounts of ordinary namespaces (users, groups, `*`, kube-system's accounts); a new level, and a schema for the
stack's own service accounts, pass.
A RoleBinding of kube-system's built-in leader-election Roles (system::leader-locking-kube-controller-manager,
system::leader-locking-kube-scheduler: lease and leasecandidate create/update there; data
analysis/k8s_builtin_namespace_roles.yaml from the bootstrap policy) hands the holder those components' leadership:
judged by the Role's rules in the binding's namespace, as the same Role written by the stack would be.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.k8s_rbac import (
    BINDING_TYPES, DISRUPTION_PATHS, FACTS, FLOW_CONTROL_TYPES, LEASE_TYPES, ROLE_BINDING_TYPES, ROLE_TYPES, NotYetKnown, Unreadable, list_at, object_at,
    system_namespace)
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .k8s_roles import ClusterRoleScopes, each_in_stack, failing_closed, judge_paths


def _lease_object(resource: Resource):
    metadata = resource.props.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    kind = resource.type.rsplit(":", 1)[-1]
    if is_unknown(metadata) or is_unknown(namespace):
        yield Unknown("metadata.namespace")
    elif not isinstance(namespace, str) or not namespace:
        yield Violation(f"{kind} {resource.name}: cannot check: metadata.namespace is not set, so it lands in the "
                        "provider's default namespace (kube-system possible), where it would take a control-plane "
                        "component's leadership: set metadata.namespace")
    elif why := system_namespace(namespace):
        yield Violation(f"{kind} {resource.name} is written into {namespace} ({why}): the stack takes over the "
                        "leader-election or heartbeat Lease of a control component there (a cluster-wide denial of "
                        "service)")


def _literal(value, path: str) -> str:
    if is_unknown(value):
        raise NotYetKnown(path)
    if not isinstance(value, str) or not value:
        raise Unreadable(f"{path} is not a name")
    return value


def _subject_problem(subject, path: str) -> str | None:
    """Why a FlowSchema subject reaches requests beyond one service account of an ordinary namespace; None if not."""
    subject = object_at(subject, path, required=True)
    kind = _literal(subject.get("kind"), f"{path}.kind")
    if kind != "ServiceAccount":
        inner = object_at(subject.get(kind.lower()), f"{path}.{kind.lower()}")
        return f"{kind} {inner.get('name') if isinstance(inner.get('name'), str) else '?'}"
    account = object_at(subject.get("serviceAccount"), f"{path}.serviceAccount", required=True)
    name = _literal(account.get("name"), f"{path}.serviceAccount.name")
    namespace = _literal(account.get("namespace"), f"{path}.serviceAccount.namespace")
    if name == "*" or namespace == "*" or system_namespace(namespace):
        return f"service accounts {namespace}/{name}"
    return None


def _flow_object(resource: Resource):
    """A FlowSchema / PriorityLevelConfiguration the stack writes: the API server's own (a built-in name), a schema
    matching other clients' requests, or one exempting its clients from every limit."""
    kind = resource.type.rsplit(":", 1)[-1].removesuffix("Patch")
    builtins = FACTS["flow_control_builtins"]
    metadata = object_at(resource.props.get("metadata"), "metadata")
    name = metadata.get("name")
    if is_unknown(name):
        raise NotYetKnown("metadata.name")
    if name in builtins[kind] or (resource.type.endswith("Patch") and not isinstance(name, str)):
        yield Violation(f"{kind} {resource.name} rewrites the API server's own {kind} {name}: it decides how the "
                        "control plane's and every client's requests are served (a cluster-wide denial of service)")
        return
    if kind != "FlowSchema":
        return  # a new priority level serves only the schemas that name it
    spec = object_at(resource.props.get("spec"), "spec")
    level = object_at(spec.get("priorityLevelConfiguration"), "spec.priorityLevelConfiguration").get("name")
    if is_unknown(level):
        raise NotYetKnown("spec.priorityLevelConfiguration.name")
    if level in builtins["exempt_levels"]:
        yield Violation(f"FlowSchema {resource.name} routes its requests to the exempt priority level: its clients "
                        "are exempt from every API limit and can starve the control plane's requests")
        return
    others = []
    for index, rule in enumerate(list_at(spec.get("rules"), "spec.rules")):
        rule = object_at(rule, f"spec.rules[{index}]", required=True)
        for position, subject in enumerate(list_at(rule.get("subjects"), f"spec.rules[{index}].subjects")):
            if why := _subject_problem(subject, f"spec.rules[{index}].subjects[{position}]"):
                others.append(why)
    if others:
        yield Violation(f"FlowSchema {resource.name} reclassifies the API requests of {', '.join(dict.fromkeys(others))} "
                        "(other clients: the controllers', scheduler's, kubelets' or every user's), so its priority "
                        "level can starve them (a cluster-wide denial of service)")


def _judge(resource: Resource, scopes: ClusterRoleScopes):
    if resource.type in LEASE_TYPES:
        yield from _lease_object(resource)
        return
    if resource.type in FLOW_CONTROL_TYPES:
        yield from failing_closed(resource, _flow_object(resource))
        return
    yield from judge_paths(resource, DISRUPTION_PATHS, "writes the Leases there", scopes)


def check(resources: list[Resource], config):
    scopes = ClusterRoleScopes(resources)
    yield from each_in_stack(resources, JUDGED, lambda resource: _judge(resource, scopes))


JUDGED = ROLE_TYPES + ROLE_BINDING_TYPES + LEASE_TYPES + FLOW_CONTROL_TYPES


RULE = Rule(
    id="AGID-K8S-018",
    title="k8s-no-control-plane-disruption",
    severity="high",
    category="availability",
    description="No ClusterRole granted cluster-wide (bound by a ClusterRoleBinding, or by no binding the stack "
                "shows), no ClusterRole bound into a system namespace, and no Role there (kube-system, "
                "kube-node-lease, gke-*) creates, "
                "updates, patches or deletes coordination.k8s.io Leases or LeaseCandidates or API Priority and Fairness "
                "FlowSchemas / PriorityLevelConfigurations, or deletes workloads, pods, nodes, namespaces or CRDs or "
                "evicts pods, and the "
                "stack writes no Lease there nor flow control over other clients' requests: whoever does takes leadership from kube-controller-manager, "
                "kube-scheduler and the cloud controllers, fakes node heartbeats, starves their API requests or "
                "removes the DNS, networking and policy-engine components and other tenants' pods past their "
                "PodDisruptionBudgets (a cluster-wide denial of service).",
    remediation="Grant lease writes in a namespaced Role of the workload's own namespace (create, plus get/update "
                "on its own Lease by resourceNames) and deletes or evictions in a Role of that namespace, never in a ClusterRole "
                "or in kube-system; leave flow control to cluster administrators.",
    url="https://kubernetes.io/docs/concepts/architecture/leases/#leader-election",
    check=check,
    stack=True,
    reads=JUDGED + BINDING_TYPES,
    enforcement="mandatory",
)
