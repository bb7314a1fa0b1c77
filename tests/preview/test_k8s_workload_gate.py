"""`agentid preview` end to end on red6's workload case (suspicion 3): a DaemonSet whose pods are privileged, share
the node's PID namespace and mount the node's `/` is blocked by AGID-K8S-010; a plain Deployment beside it (dropped
capabilities, a PersistentVolumeClaim, a data hostPath) is registered and passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = """import pulumi_kubernetes as k8s
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.meta.v1 import LabelSelectorArgs, ObjectMetaArgs

def template(spec):
    return core.PodTemplateSpecArgs(metadata=ObjectMetaArgs(labels={"app": "a"}), spec=spec)

k8s.apps.v1.DaemonSet("node-agent", metadata=ObjectMetaArgs(namespace="agents"), spec=k8s.apps.v1.DaemonSetSpecArgs(
    selector=LabelSelectorArgs(match_labels={"app": "a"}), template=template(core.PodSpecArgs(host_pid=True,
        containers=[core.ContainerArgs(name="c", image="busybox", security_context=core.SecurityContextArgs(privileged=True))],
        volumes=[core.VolumeArgs(name="root", host_path=core.HostPathVolumeSourceArgs(path="/"))]))))
k8s.apps.v1.Deployment("agent", metadata=ObjectMetaArgs(namespace="agents"), spec=k8s.apps.v1.DeploymentSpecArgs(
    selector=LabelSelectorArgs(match_labels={"app": "a"}), template=template(core.PodSpecArgs(
        containers=[core.ContainerArgs(name="c", image="busybox", security_context=core.SecurityContextArgs(
            allow_privilege_escalation=False, capabilities=core.CapabilitiesArgs(drop=["ALL"])))],
        volumes=[core.VolumeArgs(name="data", persistent_volume_claim=core.PersistentVolumeClaimVolumeSourceArgs(claim_name="d")),
                 core.VolumeArgs(name="models", host_path=core.HostPathVolumeSourceArgs(path="/mnt/models"))]))))
"""


def test_a_daemonset_that_gets_the_node_blocks_and_a_plain_deployment_passes(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: k8sgate\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(PROGRAM)
    result = run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "gate.json")
    output = result.stdout + result.stderr
    assert result.code == 1, output
    found = sorted((v["resourceName"], v["message"].split(": ", 1)[1].split(":", 1)[0])
                   for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-K8S-010")
    assert found == [("node-agent", "spec.template.spec.containers[0] (c) is privileged"),
                     ("node-agent", "spec.template.spec.hostPID is true"),
                     ("node-agent", "spec.template.spec.volumes[0] mounts the node's /")], found
    assert {r["name"] for r in result.json("gate.json")["resources"]} >= {"node-agent", "agent"}
