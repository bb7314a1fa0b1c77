"""pulumi-kubernetes components whose children the kubernetes provider renders (yaml.ConfigFile, yaml.ConfigGroup
v1, helm.v3.Chart, kustomize.Directory) get no verdict from the gate: under its mocks the provider's invoke
(`kubernetes:yaml:decode`, `kubernetes:helm:template`, `kubernetes:kustomize:directory`) renders nothing, so
the plan held only the component and a ClusterRole with escalate/bind inside passed (red3 finding 3). The run
exits 2 naming the component, without the SDK's gRPC traceback; typed resources beside it are still judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

ESCALATING_ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: esc}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, bind]}]
"""

PROGRAMS = {
    "kubernetes:yaml:ConfigFile 'f'":
        'import pulumi_kubernetes as k8s\nk8s.yaml.ConfigFile("f", file="role.yaml")\n',
    "kubernetes:yaml:ConfigGroup 'cg'":
        'import pulumi_kubernetes as k8s\nk8s.yaml.ConfigGroup("cg", yaml=[open("role.yaml").read()])\n',
    "kubernetes:helm.sh/v3:Chart 'c'":
        'import pulumi_kubernetes as k8s\nk8s.helm.v3.Chart("c", k8s.helm.v3.LocalChartOpts(path="chart"))\n',
    "kubernetes:kustomize:Directory 'k'":
        'import pulumi_kubernetes as k8s\nk8s.kustomize.Directory("k", directory="kust")\n',
}


def project(tmp_path: Path, program: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: k8sgate\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "role.yaml").write_text(ESCALATING_ROLE)
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    (tmp_path / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (tmp_path / "chart" / "templates" / "role.yaml").write_text(ESCALATING_ROLE)
    (tmp_path / "kust").mkdir()
    (tmp_path / "kust" / "kustomization.yaml").write_text("resources: [role.yaml]\n")
    (tmp_path / "kust" / "role.yaml").write_text(ESCALATING_ROLE)
    (tmp_path / "__main__.py").write_text(program)
    return tmp_path


@pytest.mark.parametrize("component", sorted(PROGRAMS))
def test_provider_rendered_component_gets_no_verdict(tmp_path, component):
    result = run_cli(project(tmp_path, PROGRAMS[component]), "--stack", "dev", "--policy-pack", str(AGENT_GUARD))
    output = result.stdout + result.stderr
    assert result.code == 2, output
    assert f"{component}: its children are rendered by" in output
    assert "cannot be judged" in output
    assert "Traceback" not in output and "handle_grpc_error" not in output and 'File "' not in output


def test_typed_kubernetes_resources_are_judged(tmp_path):
    """The look-alike: the same role as a typed resource registers and is judged (AGID-K8S-002), no refusal."""
    program = ('import pulumi_kubernetes as k8s\nk8s.rbac.v1.ClusterRole("esc", metadata={"name": "esc"}, rules=[{'
               '"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["escalate"]}])\n')
    result = run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD))
    output = result.stdout + result.stderr
    assert result.code == 1, output
    assert "AGID-K8S-002" in output and "its children are rendered by" not in output
