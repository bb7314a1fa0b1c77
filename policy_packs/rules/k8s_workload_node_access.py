"""AGID-K8S-010: no workload the stack creates hands its containers the node.

A Pod, or the pod template of a Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController, Job, CronJob
or PodTemplate, that is privileged, shares the node's PID/IPC/network namespace, adds capabilities beyond the Pod
Security Standards' Baseline, runs as a Windows HostProcess, or mounts a node path holding credentials (hostPath
`/`, /var/lib/kubelet, /etc, the container runtime's socket, ...) gives whoever controls its image root on the node:
the kubelet's credentials, every service-account token of the pods scheduled there, and on clouds the node's own
identity (https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline). A DaemonSet does so on
every node. A PersistentVolume whose hostPath or local path is such a node path hands it to any pod that claims
it ("Persistent volume creation", https://kubernetes.io/docs/concepts/security/rbac-good-practices/). The fields and
paths are data (analysis/k8s_pod_facts.yaml); the pod spec is read where each kind keeps
it (analysis/k8s_pods.py). A value unknown at preview is "cannot check until known"; a shape the pack cannot read
(a hostPath that is not absolute, a flag that is not a boolean) is a violation naming the path.
"""

from agentid_policy_packs.analysis.k8s_pods import (
    PERSISTENT_VOLUME_TYPES, WORKLOAD_TYPES, node_access, persistent_volume_node_paths, pod_spec)

from .base import Resource, Rule, Violation
from .k8s_roles import failing_closed


def _node_access(resource: Resource):
    if resource.type in PERSISTENT_VOLUME_TYPES:
        for line in persistent_volume_node_paths(dict(resource.props)):
            yield Violation(f"{resource.name}: {line}")
        return
    found = pod_spec(resource.type, dict(resource.props))
    if found is not None:
        for line in node_access(found[1], found[0]):
            yield Violation(f"{resource.name}: {line}")


def check(resource: Resource, config):
    yield from failing_closed(resource, _node_access(resource))


RULE = Rule(
    id="AGID-K8S-010",
    title="k8s-workload-no-node-access",
    severity="critical",
    category="escalation",
    description="Pods and workload pod templates are not privileged, share no host namespace (PID, IPC, network), add "
                "no capability beyond the Baseline set, and mount no node path holding credentials (directly or "
                "through a hostPath/local PersistentVolume).",
    remediation="Drop privileged, hostPID/hostIPC/hostNetwork and the extra capabilities; give the workload its data "
                "through a PersistentVolumeClaim, ConfigMap or projected volume, and its identity through a projected "
                "service-account token (the kit's annotations), never the node's files.",
    url="https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    check=check,
    resource_types=(*WORKLOAD_TYPES, *PERSISTENT_VOLUME_TYPES),
)
