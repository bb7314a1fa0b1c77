"""`agentid preview` end to end on red7a's Kubernetes RBAC cases (findings 7 and 8), each of which passed the gate
with exit 0: escalation paths bounded by resourceNames that bound nothing (the kube-apiserver-client signer, a
named node's kubelet API, kube-system's aws-auth), a RoleBinding in kube-system judged by a harmless Role of the
same name in another namespace (now judged by kube-system's built-in Role of that name, which reads its secrets), and a stack ClusterRole named cluster-admin standing in for the real one. The
look-alike program (names that do bound, the Role of the binding's own namespace) passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

HEADER = """import pulumi_kubernetes as k8s
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs as Meta
from pulumi_kubernetes.rbac.v1 import (ClusterRole, ClusterRoleBinding, Role, RoleBinding, PolicyRuleArgs as R,
    RoleRefArgs as Ref, SubjectArgs as S)
who = [S(kind="ServiceAccount", name="agent", namespace="agents")]
k8s.core.v1.ServiceAccount("agent", metadata=Meta(name="agent", namespace="agents"))
def ref(kind, name):
    return Ref(api_group="rbac.authorization.k8s.io", kind=kind, name=name)
"""
BYPASSES = HEADER + """ClusterRole("signer", metadata=Meta(name="agent-signer"), rules=[
    R(api_groups=["certificates.k8s.io"], resources=["signers"], resource_names=["kubernetes.io/kube-apiserver-client"],
      verbs=["approve"])])
ClusterRole("kubelet", metadata=Meta(name="agent-kubelet"), rules=[
    R(api_groups=[""], resources=["nodes/proxy"], resource_names=["ip-10-0-0-1.ec2.internal"], verbs=["get", "create"])])
ClusterRole("aws-auth", metadata=Meta(name="agent-aws-auth"), rules=[
    R(api_groups=[""], resources=["configmaps"], resource_names=["aws-auth"], verbs=["update", "patch"])])
Role("decoy", metadata=Meta(name="system:controller:bootstrap-signer", namespace="agents"), rules=[])
RoleBinding("bootstrap", metadata=Meta(name="agent-bootstrap", namespace="kube-system"),
            role_ref=ref("Role", "system:controller:bootstrap-signer"), subjects=who)
ClusterRole("admin-decoy", metadata=Meta(name="cluster-admin"), rules=[])
ClusterRoleBinding("ca", metadata=Meta(name="agent-ca"), role_ref=ref("ClusterRole", "cluster-admin"), subjects=who)
"""
LOOK_ALIKE = HEADER + """ClusterRole("settings", metadata=Meta(name="agent-settings"), rules=[
    R(api_groups=[""], resources=["configmaps"], resource_names=["agent-settings"], verbs=["get", "update"])])
Role("reader", metadata=Meta(name="pod-reader", namespace="agents"), rules=[
    R(api_groups=[""], resources=["pods", "pods/log"], verbs=["get", "list"])])
RoleBinding("reader-b", metadata=Meta(name="agent-reader", namespace="agents"), role_ref=ref("Role", "pod-reader"),
            subjects=who)
"""
EXPECTED = {("signer", "AGID-K8S-005"), ("kubelet", "AGID-K8S-005"), ("aws-auth", "AGID-K8S-005"),
            ("bootstrap", "AGID-K8S-005"), ("ca", "AGID-K8S-006")}


def test_rbac_bypasses_block_the_gate(tmp_path: Path) -> None:
    result = run_cli(project(tmp_path, BYPASSES), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    output = result.stdout + result.stderr
    assert result.code == 1, output
    found = {(v["resourceName"], v["policy"]) for v in result.json("gate.json")["violations"] if v["mandatory"]}
    assert EXPECTED <= found, found
    assert found - EXPECTED <= {("ca", "AGID-K8S-003")}, found - EXPECTED  # the agent SA reading every secret
    assert "ca grants built-in ClusterRole cluster-admin in every namespace" in output
    # kube-system's built-in bootstrap-signer Role (issue 11: data, no longer "cannot check"), not the decoy, is bound
    messages = " ".join(v["message"] for v in result.json("gate.json")["violations"])
    assert "bootstrap grants built-in Role kube-system/system:controller:bootstrap-signer, whose rules[0] allows get, " \
        "list, watch on secrets in kube-system" in messages, messages


def test_bounded_names_and_own_namespace_roles_pass(tmp_path: Path) -> None:
    result = run_cli(project(tmp_path, LOOK_ALIKE), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    output = result.stdout + result.stderr
    assert result.code == 0, output
    assert [v for v in result.json("gate.json")["violations"] if v["mandatory"]] == []
