"""`agentid preview` end to end on issue 11 (2): a ClusterRole is judged where the program binds it.

An agent's ClusterRole with lease writes, pod deletes and secrets reads, bound by a RoleBinding in the agent's own
namespace only (roleRef the role's Output, as a program writes it), grants them in that namespace: the gate passes.
Before, AGID-K8S-005 and AGID-K8S-018 judged it as bound in every namespace and blocked. The same role bound by a
ClusterRoleBinding blocks with both rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = """import pulumi_kubernetes as k8s
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs as Meta
from pulumi_kubernetes.rbac.v1 import (ClusterRole, ClusterRoleBinding, RoleBinding, PolicyRuleArgs as R,
    RoleRefArgs as Ref, SubjectArgs as S)
who = [S(kind="ServiceAccount", name="agent", namespace="agents")]
k8s.core.v1.ServiceAccount("agent", metadata=Meta(name="agent", namespace="agents"))
role = ClusterRole("worker", rules=[
    R(api_groups=["coordination.k8s.io"], resources=["leases"], verbs=["create", "get", "update"]),
    R(api_groups=[""], resources=["pods"], verbs=["get", "list", "delete"]),
    R(api_groups=[""], resources=["secrets"], verbs=["get", "list"])])
RoleBinding("worker-b", metadata=Meta(name="worker", namespace="agents"),
            role_ref=Ref(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name),
            subjects=who)
"""
CLUSTER_WIDE = PROGRAM + """ClusterRoleBinding("worker-cb", role_ref=Ref(api_group="rbac.authorization.k8s.io",
                   kind="ClusterRole", name=role.metadata.name), subjects=who)
"""


def _mandatory(result) -> set[tuple[str, str]]:
    return {(v["resourceName"], v["policy"]) for v in result.json("gate.json")["violations"] if v["mandatory"]}


def test_a_cluster_role_bound_only_in_the_agents_namespace_passes(tmp_path: Path) -> None:
    result = run_cli(project(tmp_path, PROGRAM), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    assert result.code == 0, result.stdout + result.stderr
    assert _mandatory(result) == set()


def test_the_same_role_bound_cluster_wide_blocks(tmp_path: Path) -> None:
    result = run_cli(project(tmp_path, CLUSTER_WIDE), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    assert result.code == 1, result.stdout + result.stderr
    found = _mandatory(result)
    assert {("worker", "AGID-K8S-005"), ("worker", "AGID-K8S-018")} <= found, found
    assert found - {("worker", "AGID-K8S-005"), ("worker", "AGID-K8S-018")} <= {("worker-cb", "AGID-K8S-003")}, found
