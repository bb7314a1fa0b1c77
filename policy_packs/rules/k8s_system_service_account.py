"""AGID-K8S-012 (stack): no workload runs in kube-system as a service account the stack does not create.

The service accounts of kube-system are the control plane's and its add-ons': the controllers'
(`clusterrole-aggregation-controller` may escalate on every ClusterRole, `generic-garbage-collector` deletes
anything, ...), the DNS and proxy daemons', the cloud's. A pod runs with its service account's token, and a pod can
only name an account of its own namespace, so a workload the stack puts in kube-system with such an account runs
the stack's image with those powers: red10 2, a Job as clusterrole-aggregation-controller running `kubectl create
clusterrolebinding ... --clusterrole=cluster-admin` passed, as did the same through a Pod and a Deployment patch.
The AWS twin is AGID-AWS-057 (code run as a role the stack does not define).
Flagged ("cannot check", mandatory): a workload (Pod, pod template of a Deployment, DaemonSet, StatefulSet,
ReplicaSet, ReplicationController, Job, CronJob, PodTemplate, in every version) in kube-system whose
`serviceAccountName` (or the deprecated `serviceAccount`) names an account other than `default` that the stack
does not create there; and a `*Patch` that sets the pod spec of an existing kube-system workload (its code then
runs as that workload's account). Passes: workloads elsewhere, `default`, accounts the stack creates in
kube-system (core/v1 ServiceAccount, by namespace and name; not one its provider upserts over the existing account).
The namespace of an object without metadata.namespace is its provider's (k8s_provider_scope; red12 #8).
Sources: https://kubernetes.io/docs/reference/access-authn-authz/rbac/#controller-roles,
https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.k8s_pods import WORKLOAD_TYPES, pod_spec
from agentid_policy_packs.analysis.k8s_rbac import NotYetKnown, Unreadable
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation
from .k8s_provider_scope import adopts_existing, object_namespace
from .k8s_roles import failing_closed

SYSTEM_NAMESPACE = "kube-system"
SERVICE_ACCOUNT_TYPES = ("kubernetes:core/v1:ServiceAccount",)


def _stack_accounts(resources: list[Resource]) -> set[str]:
    """Names of the service accounts the stack creates in kube-system (unknown names and namespaces are skipped, and
    accounts its provider upserts: those take over the existing account, k8s_provider_scope)."""
    found = set()
    for resource in resources:
        if resource.type in SERVICE_ACCOUNT_TYPES and not adopts_existing(resource):
            try:
                namespace = object_namespace(resource)
            except (NotYetKnown, Unreadable):
                continue
            metadata = resource.props.get("metadata") or {}
            if namespace == SYSTEM_NAMESPACE and isinstance(metadata.get("name"), str):
                found.add(metadata["name"])
    return found


def _judge(resource: Resource, own: set[str]):
    if object_namespace(resource) != SYSTEM_NAMESPACE:
        return
    found = pod_spec(resource.type, dict(resource.props))
    if found is None:
        return
    where, spec = found
    if resource.type.endswith("Patch"):
        yield Violation(f"{resource.name} sets the pod spec ({where}) of an existing workload in kube-system: its "
                        "code then runs as that workload's service account, which this stack does not define: cannot "
                        "check what it may do", resource.urn)
        return
    for key in ("serviceAccountName", "serviceAccount"):
        account = spec.get(key)
        if is_unknown(account):
            raise NotYetKnown(f"{where}.{key}")
        if account is None or account == "default" or account in own:
            continue
        if not isinstance(account, str):
            raise Unreadable(f"{where}.{key} is not a string")
        yield Violation(f"{resource.name} runs in kube-system as service account {account[:120]!r} ({where}.{key}), "
                        "which this stack does not create: the control plane's accounts there hold cluster-wide "
                        "powers (clusterrole-aggregation-controller escalates on every ClusterRole): cannot check what "
                        "it may do", resource.urn)
        return


def check(resources: list[Resource], config):
    own = _stack_accounts(resources)
    for resource in resources:
        if resource.type not in WORKLOAD_TYPES:
            continue
        yield from failing_closed(resource, _judge(resource, own), stack=True)


RULE = Rule(
    id="AGID-K8S-012",
    title="k8s-no-system-service-account-workloads",
    severity="critical",
    category="escalation",
    description="No workload runs in kube-system as a service account the stack does not create, and no patch changes "
                "the pod spec of an existing kube-system workload.",
    remediation="Run the workload in its own namespace with a service account this stack creates and binds to exactly "
                "what it needs; leave kube-system's workloads to cluster administrators.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation",
    check=check,
    stack=True,
    reads=(*WORKLOAD_TYPES, *SERVICE_ACCOUNT_TYPES),
)
