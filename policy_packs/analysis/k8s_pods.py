"""The pod a Kubernetes workload runs, as the pack reads it, and what in it hands its containers the node.

Where each kind keeps its pod spec (core/v1, apps/v1, batch/v1: https://kubernetes.io/docs/concepts/workloads/):
  Pod                                                         spec
  PodTemplate                                                 template.spec
  ReplicationController, Deployment, DaemonSet, StatefulSet,  spec.template.spec
  ReplicaSet, Job
  CronJob                                                     spec.jobTemplate.spec.template.spec
PodSpec fields read (camelCase, as the engine sends them): hostPID, hostIPC, hostNetwork, volumes[].hostPath.path,
securityContext.windowsOptions.hostProcess, and of each of containers / initContainers / ephemeralContainers:
securityContext.privileged, .capabilities.add, .windowsOptions.hostProcess. A PersistentVolume's spec.hostPath /
spec.local path is the same node directory, reached through a claim (RBAC good practices, "Persistent volume
creation").
What counts is data (k8s_pod_facts.yaml, after the Pod Security Standards' Baseline profile; sources there).

Pure: no Pulumi.
"""

from __future__ import annotations

import posixpath
from typing import Any

from agentid_policy_packs.analysis.k8s_rbac import NotYetKnown, Unreadable, list_at, object_at
from agentid_policy_packs.analysis.values import is_unknown

# kind -> (API versions pulumi-kubernetes 4.x registers it under, path of the pod spec)
_TEMPLATE = ("spec", "template", "spec")
WORKLOAD_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Pod": (("core/v1",), ("spec",)),
    "PodTemplate": (("core/v1",), ("template", "spec")),
    "ReplicationController": (("core/v1",), _TEMPLATE),
    "Deployment": (("apps/v1", "apps/v1beta1", "apps/v1beta2", "extensions/v1beta1"), _TEMPLATE),
    "DaemonSet": (("apps/v1", "apps/v1beta2", "extensions/v1beta1"), _TEMPLATE),
    "StatefulSet": (("apps/v1", "apps/v1beta1", "apps/v1beta2"), _TEMPLATE),
    "ReplicaSet": (("apps/v1", "apps/v1beta2", "extensions/v1beta1"), _TEMPLATE),
    "Job": (("batch/v1",), _TEMPLATE),
    "CronJob": (("batch/v1", "batch/v1beta1", "batch/v2alpha1"), ("spec", "jobTemplate", "spec", "template", "spec")),
}
WORKLOAD_TYPES = tuple(f"kubernetes:{version}:{kind}{patch}" for kind, (versions, _) in WORKLOAD_KINDS.items()
                       for version in versions for patch in ("", "Patch"))
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def _facts() -> dict[str, Any]:
    from agentid_components import data_yaml  # noqa: PLC0415 - only the workload rule needs it
    from pathlib import Path  # noqa: PLC0415

    return data_yaml.load(Path(__file__).with_name("k8s_pod_facts.yaml"))


FACTS = _facts()
BASELINE_CAPABILITIES = frozenset(FACTS["baseline_capabilities"])
HOST_NAMESPACES: dict[str, str] = FACTS["host_namespaces"]
NODE_PATHS: dict[str, str] = FACTS["node_paths"]


def _kind(type_token: str) -> str:
    kind = type_token.rsplit(":", 1)[-1]
    return kind[: -len("Patch")] if kind.endswith("Patch") else kind


def pod_spec(type_token: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(path, PodSpec) of a workload's inputs; None when the inputs hold no pod spec (a patch that leaves it alone).
    Raises NotYetKnown / Unreadable for a step that is unknown or not an object."""
    kind = _kind(type_token)
    if kind not in WORKLOAD_KINDS:
        raise Unreadable(f"{kind} is no workload kind whose pod spec the pack knows")
    path = WORKLOAD_KINDS[kind][1]
    value: Any = props
    for depth, key in enumerate(path):
        value = value.get(key)
        where = ".".join(path[: depth + 1])
        if value is None:
            return None
        if is_unknown(value):
            raise NotYetKnown(where)
        if not isinstance(value, dict):
            raise Unreadable(f"{where} is not an object")
    return ".".join(path), value


def _flag(value: Any, path: str) -> bool:
    if is_unknown(value):
        raise NotYetKnown(path)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise Unreadable(f"{path} is not a boolean")


def node_path(path: str) -> str | None:
    """Why a hostPath `path` reaches the node's credentials or root (None if it does not): the path is one of
    NODE_PATHS, inside one, or a directory above one. Raises Unreadable for a path that is not absolute."""
    if not path.startswith("/"):
        raise Unreadable(f"hostPath path {path!r} is not an absolute path")
    normal = "/" + posixpath.normpath(path).lstrip("/")  # '//x/../var/' -> '/var'
    if normal == "/":
        return "the node's whole filesystem"
    for sensitive, why in NODE_PATHS.items():
        if normal == sensitive or normal.startswith(sensitive + "/"):
            return why
        if sensitive.startswith(normal + "/"):
            return f"{sensitive} inside it: {why}"
    return None


PERSISTENT_VOLUME_TYPES = ("kubernetes:core/v1:PersistentVolume", "kubernetes:core/v1:PersistentVolumePatch")


def persistent_volume_node_paths(props: dict[str, Any]) -> list[str]:
    """What node path a PersistentVolume hands the pods that claim it (spec.hostPath.path, spec.local.path: a
    hostPath or local volume is a directory of the node), one line each. Raises NotYetKnown / Unreadable."""
    spec = object_at(props.get("spec"), "spec")
    found = []
    for source in ("hostPath", "local"):
        if hit := _node_directory(spec.get(source), f"spec.{source}"):
            found.append(f"spec.{source} is the node's {hit[0]}, mounted by every pod that claims the volume: {hit[1]}")
    return found


def _node_directory(volume: Any, at: str) -> tuple[str, str] | None:
    """(path, why) when the {path: ...} volume source at `at` (absent: None) is a node path holding credentials."""
    source = object_at(volume, at)
    if not source:
        return None
    path = source.get("path")
    if is_unknown(path):
        raise NotYetKnown(f"{at}.path")
    if not isinstance(path, str):
        raise Unreadable(f"{at}.path is not a string")
    why = node_path(path)
    return (path, why) if why else None


def node_access(spec: dict[str, Any], where: str) -> list[str]:
    """What in the PodSpec at `where` hands its containers the node, one line each ([] when nothing does).
    Raises NotYetKnown / Unreadable naming the path."""
    found = []
    for field, why in HOST_NAMESPACES.items():
        if _flag(spec.get(field), f"{where}.{field}"):
            found.append(f"{where}.{field} is true: {why}")
    pod_context = object_at(spec.get("securityContext"), f"{where}.securityContext")
    windows = object_at(pod_context.get("windowsOptions"), f"{where}.securityContext.windowsOptions")
    if _flag(windows.get("hostProcess"), f"{where}.securityContext.windowsOptions.hostProcess"):
        found.append(f"{where}.securityContext.windowsOptions.hostProcess is true: every container runs as a "
                     "process on the Windows node, with its access")
    for index, volume in enumerate(list_at(spec.get("volumes"), f"{where}.volumes")):
        at = f"{where}.volumes[{index}]"
        if hit := _node_directory(object_at(volume, at, required=True).get("hostPath"), f"{at}.hostPath"):
            found.append(f"{at} mounts the node's {hit[0]}: {hit[1]}")
    for list_name in CONTAINER_LISTS:
        for index, container in enumerate(list_at(spec.get(list_name), f"{where}.{list_name}")):
            found.extend(_container(object_at(container, f"{where}.{list_name}[{index}]", required=True),
                                    f"{where}.{list_name}[{index}]"))
    return found


def _container(container: dict[str, Any], at: str) -> list[str]:
    name = container.get("name")
    label = f"{at} ({name})" if isinstance(name, str) else at
    context = object_at(container.get("securityContext"), f"{at}.securityContext")
    found = []
    if _flag(context.get("privileged"), f"{at}.securityContext.privileged"):
        found.append(f"{label} is privileged: every device and capability of the node, no seccomp or AppArmor; "
                     "root on the node")
    windows = object_at(context.get("windowsOptions"), f"{at}.securityContext.windowsOptions")
    if _flag(windows.get("hostProcess"), f"{at}.securityContext.windowsOptions.hostProcess"):
        found.append(f"{label} is a Windows HostProcess container: a process on the node, with its access")
    capabilities = object_at(context.get("capabilities"), f"{at}.securityContext.capabilities")
    added = list_at(capabilities.get("add"), f"{at}.securityContext.capabilities.add")
    beyond = []
    for index, capability in enumerate(added):
        if not isinstance(capability, str):
            raise Unreadable(f"{at}.securityContext.capabilities.add[{index}] is not a string")
        name_only = capability.upper().removeprefix("CAP_")
        if name_only not in BASELINE_CAPABILITIES:
            beyond.append(capability)
    if beyond:
        found.append(f"{label} adds capabilities {', '.join(beyond)}, beyond the Pod Security Standards' Baseline "
                     "(power over the node's kernel, network or other processes; ALL or SYS_ADMIN is root on the node)")
    return found
