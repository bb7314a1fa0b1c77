"""pulumi-kubernetes components whose children the kubernetes provider renders (red3 finding 3: under the gate's
mocks they registered no child, so a ClusterRole with escalate/bind inside passed).

yaml.ConfigFile / yaml.ConfigGroup (v1) read their YAML in the program and ask the provider only to split it
(`kubernetes:yaml:decode`): the gate answers that itself (agentid/preview/kubernetes_manifests.py), so their
children are judged. helm.v3.Chart and kustomize.Directory need helm / kustomize (`kubernetes:helm:template`,
`kubernetes:kustomize:directory`): the run exits 2 naming the component, without the SDK's gRPC traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

ESCALATING_ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: esc}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, bind]}]
"""

READ_PODS_ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
"""
DECODED = {
    "ConfigFile": 'import pulumi_kubernetes as k8s\nk8s.yaml.ConfigFile("f", file="role.yaml")\n',
    "ConfigGroup": 'import pulumi_kubernetes as k8s\nk8s.yaml.ConfigGroup("cg", yaml=[open("role.yaml").read()])\n',
}
PROGRAMS = {
    "kubernetes:helm.sh/v3:Chart 'c'":
        'import pulumi_kubernetes as k8s\nk8s.helm.v3.Chart("c", k8s.helm.v3.LocalChartOpts(path="chart"))\n',
    "kubernetes:kustomize:Directory 'k'":
        'import pulumi_kubernetes as k8s\nk8s.kustomize.Directory("k", directory="kust")\n',
}


def project(tmp_path: Path, program: str, manifest: str = ESCALATING_ROLE) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text("name: k8sgate\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "role.yaml").write_text(manifest)
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


@pytest.mark.parametrize("component", sorted(DECODED))
def test_yaml_components_children_are_judged(tmp_path, component):
    """A ClusterRole with escalate/bind in the YAML, and one in a v1 List beside a harmless role, are flagged; the
    harmless role alone passes."""
    manifest = ESCALATING_ROLE + "---\napiVersion: v1\nkind: List\nitems:\n- " + \
        READ_PODS_ROLE.replace("\n", "\n  ").rstrip() + "\n"
    result = run_cli(project(tmp_path / "flagged", DECODED[component], manifest), "--stack", "dev", "--policy-pack",
                     str(AGENT_GUARD), "--json", "out.json")
    assert result.code == 1, result.stdout + result.stderr
    violations = json.loads((tmp_path / "flagged" / "out.json").read_text())["violations"]
    assert {(v["policy"], v["resourceName"]) for v in violations if v["mandatory"]} == {("AGID-K8S-002", "esc")}
    result = run_cli(project(tmp_path / "clean", DECODED[component], READ_PODS_ROLE), "--stack", "dev",
                     "--policy-pack", str(AGENT_GUARD))
    assert result.code == 0, result.stdout + result.stderr


def test_a_yaml_bomb_in_a_config_file_gets_no_verdict(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6))
    result = run_cli(project(tmp_path, DECODED["ConfigFile"], bomb), "--stack", "dev", "--policy-pack", str(AGENT_GUARD))
    output = result.stdout + result.stderr
    assert result.code == 2, output
    assert "kubernetes manifest at line" in output and "alias bomb" in output and "Traceback" not in output
