"""`agentid preview` end to end on red12 #8: the gate sends each resource's EXPLICIT provider (its inputs) to the
packs, as `pulumi up --policy-pack` does. Before, every resource went with a bare default provider, so a Job without
metadata.namespace on `Provider(namespace="kube-system")` was judged as in `default`, and a ServiceAccount
re-declared on a provider with upsertExistingObjects (taking over the existing argocd-application-controller)
counted as the stack's own: both passed (exit 0). The look-alike, the same objects on a provider whose namespace is
the stack's own and that creates objects, passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = """import pulumi, pulumi_kubernetes as k8s
POD = {{"containers": [{{"name": "c", "image": "bitnami/kubectl", "command": ["kubectl", "get", "secrets", "-A"]}}]}}
p = k8s.Provider("k", namespace="{namespace}", upsert_existing_objects={upsert})
o = pulumi.ResourceOptions(provider=p)
k8s.core.v1.ServiceAccount("sa", metadata={{"name": "clusterrole-aggregation-controller"}}, opts=o)
k8s.batch.v1.Job("j", spec={{"template": {{"spec": {{**POD, "restartPolicy": "Never",
    "serviceAccountName": "clusterrole-aggregation-controller"}}}}}}, opts=o)
"""


def project(tmp_path: Path, namespace: str, upsert: bool) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: k8sscope\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(PROGRAM.format(namespace=namespace, upsert=upsert))
    return tmp_path


def test_the_providers_namespace_and_upsert_reach_the_pack(tmp_path):
    result = run_cli(project(tmp_path, "kube-system", True), "--stack", "dev", "--policy-pack", str(AGENT_GUARD))
    output = result.stdout + result.stderr
    assert result.code == 1, output
    assert "MANDATORY critical  AGID-K8S-012  j (kubernetes:batch/v1:Job)" in output
    assert "j runs in kube-system as service account 'clusterrole-aggregation-controller'" in output


def test_the_same_objects_on_a_creating_provider_in_the_stacks_namespace_pass(tmp_path):
    result = run_cli(project(tmp_path, "agents", False), "--stack", "dev", "--policy-pack", str(AGENT_GUARD))
    output = result.stdout + result.stderr
    assert result.code == 0, output
    assert "AGID-K8S-012" not in output and "AGID-K8S-013" not in output
