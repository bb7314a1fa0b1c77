"""AGID-K8S-009 over gRPC (red6 suspicion 1): admission webhooks and mutating admission policies the stack creates
over identity-carrying objects, each flagged case with look-alikes that must pass, and the fail-closed paths."""

from __future__ import annotations

import pytest

from agentid_policy_packs.rules.base import category_of
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

AR = "kubernetes:admissionregistration.k8s.io"
MUTATING, VALIDATING = f"{AR}/v1:MutatingWebhookConfiguration", f"{AR}/v1:ValidatingWebhookConfiguration"
MUTATING_BETA, MUTATING_PATCH = f"{AR}/v1beta1:MutatingWebhookConfiguration", f"{AR}/v1:MutatingWebhookConfigurationPatch"
MUTATING_LIST = f"{AR}/v1:MutatingWebhookConfigurationList"
MAP_ALPHA, MAP_V1 = f"{AR}/v1alpha1:MutatingAdmissionPolicy", f"{AR}/v1:MutatingAdmissionPolicy"
VAP, VAP_BINDING = f"{AR}/v1:ValidatingAdmissionPolicy", f"{AR}/v1:ValidatingAdmissionPolicyBinding"
RULE_ID = "AGID-K8S-009"


def findings(pack, type_, props, name="wh"):
    """The finding lines of AGID-K8S-009 (each diagnostic's last line, without its category tag)."""
    return [category_of(d.message.rsplit("\n", 1)[-1])[1]
            for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == RULE_ID]


def rule(resources, operations=("CREATE",), groups=("",)):
    return {"operations": list(operations), "apiGroups": list(groups), "apiVersions": ["*"], "resources": list(resources)}


def service(namespace="hooks", name="injector"):
    return {"service": {"namespace": namespace, "name": name, "path": "/mutate"}, "caBundle": "Q0E="}


def configuration(*rules, client=None, name="hook.example.com"):
    return {"metadata": {"name": "wh"}, "webhooks": [{
        "name": name, "clientConfig": client or service(), "rules": list(rules), "sideEffects": "None",
        "admissionReviewVersions": ["v1"], "failurePolicy": "Ignore"}]}


def mutating_policy(*rules):
    return {"metadata": {"name": "p"}, "spec": {"matchConstraints": {"resourceRules": list(rules)},
                                                "mutations": [{"patchType": "ApplyConfiguration"}]}}


OUTSIDE = {"url": "https://evil.example/mutate"}


@pytest.mark.parametrize("type_, props, fragments", [
    # red6's case: every resource of every group, to a URL outside the cluster
    (MUTATING, configuration(rule(["*"], ["CREATE"], ["*"]), client=OUTSIDE),
     ["webhooks[0] (hook.example.com) rewrites core/pods (containers, images",
      "core/secrets (secret data)", "rbac.authorization.k8s.io/roles", "the server at evil.example can inject containers"]),
    # an in-cluster service is still whoever runs it
    (MUTATING, configuration(rule(["pods"])), ["rewrites core/pods (containers", "service hooks/injector"]),
    # pods/* is pods and every subresource of it (the API server splits at the slash)
    (MUTATING_BETA, configuration(rule(["pods/*"], ["*"])), ["core/pods, core/pods/ephemeralcontainers"]),
    (MUTATING, configuration(rule(["*/*"], ["UPDATE"], ["apps"])), ["apps/deployments, apps/daemonsets"]),
    (MUTATING, configuration(rule(["clusterrolebindings"], ["UPDATE"], ["rbac.authorization.k8s.io"])),
     ["rewrites rbac.authorization.k8s.io/clusterrolebindings (who may do what)"]),
    (MUTATING_PATCH, configuration(rule(["serviceaccounts/token"])), ["rewrites core/serviceaccounts/token (service accounts and the tokens"]),
    # a validating webhook decides only, but one reached by URL receives every secret whole
    (VALIDATING, configuration(rule(["secrets"], ["DELETE"]), client=OUTSIDE),
     ["sends core/secrets (secret data) to evil.example (clientConfig.url"]),
    (VALIDATING, configuration(rule(["configmaps"], ["*"]), client={"url": "https://10.0.0.9:8443/v"}),
     ["to 10.0.0.9 (clientConfig.url"]),
    (MAP_ALPHA, mutating_policy(rule(["deployments"], ["CREATE"], ["apps"])),
     ["(MutatingAdmissionPolicy) rewrites apps/deployments (pod templates)"]),
    (MAP_V1, mutating_policy(rule(["*"], ["*"], ["batch"])), ["rewrites batch/jobs, batch/cronjobs (pod templates)"]),
])
def test_interceptors_of_identity_objects_are_flagged(pack, type_, props, fragments):
    [found] = findings(pack, type_, props)
    assert all(fragment in found for fragment in fragments), found


def test_every_webhook_of_a_configuration_and_of_a_list_is_judged(pack):
    props = configuration(rule(["widgets"], groups=["agents.example.com"]))
    props["webhooks"].append({**configuration(rule(["pods"]))["webhooks"][0], "name": "second.example.com"})
    [found] = findings(pack, MUTATING, props)
    assert "webhooks[1] (second.example.com)" in found
    [listed] = findings(pack, MUTATING_LIST, {"items": [configuration(rule(["pods"]))]}, name="hooks")
    assert listed.startswith("hooks items[0] webhooks[0]"), listed


@pytest.mark.parametrize("type_, props", [
    # a mutating webhook on the stack's own custom resources, in-cluster
    (MUTATING, configuration(rule(["widgets", "widgets/*"], ["*"], ["agents.example.com"]))),
    # it cannot rewrite what it only sees deleted or connected to
    (MUTATING, configuration(rule(["pods", "pods/exec"], ["DELETE", "CONNECT"]))),
    # status subresources carry no template, credential or grant; '*' alone is no subresource
    (MUTATING, configuration(rule(["*/status"], ["UPDATE"], ["*"]))),
    (MUTATING, configuration(rule(["*"], ["CREATE"], ["networking.k8s.io"]))),
    # validating webhooks in the cluster only admit or deny
    (VALIDATING, configuration(rule(["pods", "secrets"], ["*"], ["*"]))),
    # a URL that receives only the stack's custom resources
    (VALIDATING, configuration(rule(["widgets"], ["CREATE"], ["agents.example.com"]), client=OUTSIDE)),
    (MAP_V1, mutating_policy(rule(["widgets"], ["CREATE"], ["agents.example.com"]))),
    # validating admission policies only deny or warn (CEL, in the API server)
    (VAP, {"spec": {"matchConstraints": {"resourceRules": [rule(["*"], ["*"], ["*"])]}, "validations": [
        {"expression": "true"}]}}),
    (VAP_BINDING, {"spec": {"policyName": "p", "validationActions": ["Audit"]}}),
    (MUTATING, {"metadata": {"name": "empty"}}),  # no webhooks: intercepts nothing
])
def test_look_alikes_pass(pack, type_, props):
    assert findings(pack, type_, props) == []


@pytest.mark.parametrize("type_, props, path", [
    (MUTATING, {"webhooks": UNKNOWN}, "webhooks"),
    (VALIDATING, configuration(rule(["secrets"]), client={"url": UNKNOWN}), "webhooks[0].clientConfig.url"),
    (MUTATING, configuration(UNKNOWN), "webhooks[0].rules[0]"),
    (MAP_V1, {"spec": {"matchConstraints": UNKNOWN}}, "spec.matchConstraints"),
])
def test_unknown_parts_are_not_yet_checkable(pack, type_, props, path):
    [found] = findings(pack, type_, props)
    assert found.endswith(f": cannot check until known: {path} is computed during preview"), found


@pytest.mark.parametrize("type_, props, what", [
    (MUTATING, {"webhooks": {"name": "x"}}, "webhooks is not a list"),
    (MUTATING, configuration({"operations": ["CREATE"], "apiGroups": [""], "resources": "pods"}),
     "webhooks[0].rules[0].resources is not a list"),
    (VALIDATING, configuration(rule(["secrets"]), client={"url": 7}), "webhooks[0].clientConfig.url is not a string"),
    (MAP_ALPHA, {"spec": {"matchConstraints": {"resourceRules": ["pods"]}}},
     "spec.matchConstraints.resourceRules[0] is not an object"),
])
def test_unreadable_shapes_are_violations(pack, type_, props, what):
    assert findings(pack, type_, props) == [f"wh: cannot check: {what}"]
