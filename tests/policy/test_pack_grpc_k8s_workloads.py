"""AGID-K8S-010 over gRPC (red6 suspicion 3): workloads whose pods get the node (privileged, host namespaces,
capabilities beyond Baseline, HostProcess, hostPath of node credentials), wherever each kind keeps its pod spec;
look-alikes that must pass; unknown and unreadable shapes."""

from __future__ import annotations

import pytest

from agentid_policy_packs.rules.base import category_of
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE_ID = "AGID-K8S-010"
POD, POD_TEMPLATE = "kubernetes:core/v1:Pod", "kubernetes:core/v1:PodTemplate"
DEPLOYMENT, DAEMONSET = "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet"
STATEFULSET, JOB, CRONJOB = "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"
RC, OLD_DAEMONSET = "kubernetes:core/v1:ReplicationController", "kubernetes:extensions/v1beta1:DaemonSet"
DEPLOYMENT_PATCH, DEPLOYMENT_LIST = "kubernetes:apps/v1:DeploymentPatch", "kubernetes:apps/v1:DeploymentList"


def findings(pack, type_, props, name="w"):
    """AGID-K8S-010's finding lines (each diagnostic's last line, without its category tag)."""
    return [category_of(d.message.rsplit("\n", 1)[-1])[1]
            for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == RULE_ID]


def container(**security):
    return {"name": "agent", "image": "ghcr.io/acme/agent:1.0", **({"securityContext": security} if security else {})}


def pod(*containers, **fields):
    return {"containers": list(containers) or [container()], **fields}


def as_kind(type_, spec):
    """The inputs of `type_` holding `spec` where that kind keeps its pod spec."""
    template = {"metadata": {"labels": {"app": "a"}}, "spec": spec}
    if type_.endswith((":Pod", ":PodPatch")):
        return {"metadata": {"name": "w"}, "spec": spec}
    if type_.endswith(":PodTemplate"):
        return {"metadata": {"name": "w"}, "template": template}
    if type_.endswith(":CronJob"):
        return {"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}
    return {"spec": {"selector": {"matchLabels": {"app": "a"}}, "template": template}}


@pytest.mark.parametrize("type_, spec, fragment", [
    (POD, pod(container(privileged=True)), "w: spec.containers[0] (agent) is privileged"),
    (DEPLOYMENT, pod(hostPID=True), "w: spec.template.spec.hostPID is true: the node's process namespace"),
    (DAEMONSET, pod(hostNetwork=True), "spec.template.spec.hostNetwork is true: the node's network"),
    (STATEFULSET, pod(hostIPC=True), "hostIPC is true"),
    (JOB, pod(volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
     "spec.template.spec.volumes[0] mounts the node's /: the node's whole filesystem"),
    (CRONJOB, pod(volumes=[{"name": "k", "hostPath": {"path": "/var/lib/kubelet/pki", "type": "Directory"}}]),
     "spec.jobTemplate.spec.template.spec.volumes[0] mounts the node's /var/lib/kubelet/pki: the kubelet's client"),
    # a directory above a credential path, and a path written to dodge a string match
    (RC, pod(volumes=[{"name": "v", "hostPath": {"path": "/var"}}]), "mounts the node's /var: /var/lib/kubelet inside it"),
    (POD_TEMPLATE, pod(volumes=[{"name": "v", "hostPath": {"path": "//etc/./kubernetes/"}}]),
     "mounts the node's //etc/./kubernetes/: the node's configuration"),
    (OLD_DAEMONSET, pod(volumes=[{"name": "sock", "hostPath": {"path": "/run/containerd/containerd.sock"}}]),
     "container runtime's sockets"),
    (DEPLOYMENT, pod(container(capabilities={"add": ["NET_BIND_SERVICE", "CAP_SYS_ADMIN"]})),
     "adds capabilities CAP_SYS_ADMIN, beyond the Pod Security Standards' Baseline"),
    (DEPLOYMENT, {"containers": [container()], "initContainers": [container(privileged=True)]},
     "spec.template.spec.initContainers[0] (agent) is privileged"),
    (POD, pod(securityContext={"windowsOptions": {"hostProcess": True}}), "spec.securityContext.windowsOptions.hostProcess"),
    (DEPLOYMENT_PATCH, pod(container(privileged=True)), "is privileged"),
])
def test_workloads_that_get_the_node_are_flagged(pack, type_, spec, fragment):
    found = findings(pack, type_, as_kind(type_, spec))
    assert len(found) == 1 and fragment in found[0], found


def test_every_finding_of_a_pod_and_each_list_item_is_reported(pack):
    spec = pod(container(privileged=True), hostPID=True, volumes=[{"name": "d", "hostPath": {"path": "/dev"}}])
    assert len(findings(pack, DAEMONSET, as_kind(DAEMONSET, spec))) == 3
    [listed] = findings(pack, DEPLOYMENT_LIST, {"items": [as_kind(DEPLOYMENT, pod(hostNetwork=True))]}, name="ws")
    assert listed.startswith("ws items[0]: spec.template.spec.hostNetwork is true"), listed


@pytest.mark.parametrize("type_, spec", [
    (DEPLOYMENT, pod(container(privileged=False, allowPrivilegeEscalation=False, runAsNonRoot=True,
                               capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}))),
    (DAEMONSET, pod(hostPID=False, hostNetwork=False, hostIPC=False)),
    # data paths that hold no node credential; names that merely start like one
    (JOB, pod(volumes=[{"name": "m", "hostPath": {"path": "/mnt/models"}}, {"name": "o", "hostPath": {"path": "/opt/data"}},
                       {"name": "e", "hostPath": {"path": "/etcd-backup-export"}},
                       {"name": "v", "hostPath": {"path": "/var/cache/agent"}}])),
    (POD, pod(volumes=[{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "token",
                                                                                    "expirationSeconds": 3600}}]}},
                       {"name": "c", "emptyDir": {}}, {"name": "p", "persistentVolumeClaim": {"claimName": "data"}}])),
])
def test_look_alikes_pass(pack, type_, spec):
    assert findings(pack, type_, as_kind(type_, spec)) == []


def test_a_patch_that_leaves_the_pod_alone_passes(pack):
    assert findings(pack, DEPLOYMENT_PATCH, {"metadata": {"name": "w"}, "spec": {"replicas": 3}}) == []


@pytest.mark.parametrize("type_, props, path", [
    (DEPLOYMENT, {"spec": {"template": UNKNOWN}}, "spec.template"),
    (POD, as_kind(POD, pod(hostNetwork=UNKNOWN)), "spec.hostNetwork"),
    (POD, as_kind(POD, pod(volumes=[{"name": "v", "hostPath": {"path": UNKNOWN}}])), "spec.volumes[0].hostPath.path"),
    (POD, as_kind(POD, pod(container(capabilities={"add": UNKNOWN}))), "spec.containers[0].securityContext.capabilities.add"),
])
def test_unknown_parts_are_not_yet_checkable(pack, type_, props, path):
    [found] = findings(pack, type_, props)
    assert found.endswith(f": cannot check until known: {path} is computed during preview"), found


@pytest.mark.parametrize("type_, props, what", [
    (POD, as_kind(POD, pod(volumes=[{"name": "v", "hostPath": {"path": "var/lib/kubelet"}}])),
     "hostPath path 'var/lib/kubelet' is not an absolute path"),
    (POD, as_kind(POD, pod(container(privileged="true"))), "spec.containers[0].securityContext.privileged is not a boolean"),
    (DEPLOYMENT, {"spec": {"template": "x"}}, "spec.template is not an object"),
    (POD, as_kind(POD, {"containers": {"name": "agent"}}), "spec.containers is not a list"),
])
def test_unreadable_shapes_are_violations(pack, type_, props, what):
    assert findings(pack, type_, props) == [f"w: cannot check: {what}"]


PV = "kubernetes:core/v1:PersistentVolume"


def test_a_persistent_volume_on_a_node_path_is_flagged_and_a_data_one_passes(pack):
    """RBAC good practices, "Persistent volume creation": a hostPath or local PV hands the node's directory to any pod
    that claims it, with no hostPath in the pod."""
    def volume(source, path):
        return {"metadata": {"name": "pv"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                                                     source: {"path": path}}}
    [root] = findings(pack, PV, volume("hostPath", "/"))
    assert root == "w: spec.hostPath is the node's /, mounted by every pod that claims the volume: the node's whole filesystem"
    [kubelet] = findings(pack, PV, volume("local", "/var/lib/kubelet"))
    assert kubelet.startswith("w: spec.local is the node's /var/lib/kubelet")
    assert findings(pack, PV, volume("local", "/mnt/disks/ssd0")) == []
    assert findings(pack, PV, {"spec": {"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"}}}) == []
    [later] = findings(pack, PV, volume("hostPath", UNKNOWN))
    assert later.endswith("cannot check until known: spec.hostPath.path is computed during preview"), later
