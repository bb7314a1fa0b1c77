"""AGID-K8S-013 over gRPC: no workload runs as a Kubernetes service account the stack does not define (red10: code
run as an identity the stack does not define passed on Kubernetes outside kube-system; AGID-K8S-012 covers
kube-system). Each class gets a flagged case and a look-alike that must pass."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-K8S-013"
SA = "kubernetes:core/v1:ServiceAccount"
CONTAINERS = [{"name": "c", "image": "bitnami/kubectl", "command": ["kubectl", "get", "secrets", "-A"]}]


def res(type_, name, props, dependencies=()):
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(dependencies))


def account(name="agent", namespace="agents"):
    return res(SA, f"sa-{name}", {"metadata": {"name": name, **({"namespace": namespace} if namespace else {})}})


def pod_spec(account_name, key="serviceAccountName"):
    return {"containers": CONTAINERS, **({key: account_name} if account_name is not None else {})}


def meta(namespace="agents"):
    return {"name": "w", **({"namespace": namespace} if namespace else {})}


# type token -> inputs around a pod spec
WORKLOADS = {
    "kubernetes:core/v1:Pod": lambda spec, ns="agents": {"metadata": meta(ns), "spec": spec},
    "kubernetes:core/v1:PodTemplate": lambda spec, ns="agents": {"metadata": meta(ns), "template": {"spec": spec}},
    "kubernetes:apps/v1:Deployment": lambda spec, ns="agents": {"metadata": meta(ns), "spec": {"template": {"spec": spec}}},
    "kubernetes:apps/v1:DaemonSet": lambda spec, ns="agents": {"metadata": meta(ns), "spec": {"template": {"spec": spec}}},
    "kubernetes:apps/v1:StatefulSet": lambda spec, ns="agents": {"metadata": meta(ns), "spec": {"template": {"spec": spec}}},
    "kubernetes:apps/v1:ReplicaSet": lambda spec, ns="agents": {"metadata": meta(ns), "spec": {"template": {"spec": spec}}},
    "kubernetes:batch/v1:Job": lambda spec, ns="agents": {"metadata": meta(ns), "spec": {"template": {"spec": spec}}},
    "kubernetes:batch/v1:CronJob": lambda spec, ns="agents": {"metadata": meta(ns), "spec": {"schedule": "* * * * *",
                                                                                             "jobTemplate": {"spec": {"template": {"spec": spec}}}}},
    "kubernetes:apps/v1:DeploymentPatch": lambda spec, ns="agents": {"metadata": meta(ns), "spec": {"template": {"spec": spec}}},
    "kubernetes:batch/v1:JobPatch": lambda spec, ns="agents": {"metadata": meta(ns), "spec": {"template": {"spec": spec}}},
}


def findings(pack, *resources):
    return stack_findings(pack, RULE, resources, "mandatory")


@pytest.mark.parametrize("type_", WORKLOADS)
def test_a_workload_as_an_account_the_stack_does_not_define_blocks(pack, type_):
    [(name, message)] = findings(pack, account(), res(type_, "w", WORKLOADS[type_](pod_spec("ci-deployer"))))
    assert name == "w" and "as service account 'ci-deployer' in namespace agents" in message
    assert "which this stack does not define: cannot check" in message


@pytest.mark.parametrize("type_", WORKLOADS)
def test_the_stacks_own_account_and_default_pass(pack, type_):
    build = WORKLOADS[type_]
    assert findings(pack, account(), res(type_, "w", build(pod_spec("agent")))) == []
    assert findings(pack, res(type_, "w", build(pod_spec("default")))) == []
    if not type_.endswith("Patch"):  # no account named: the namespace's default
        assert findings(pack, res(type_, "w", build(pod_spec(None)))) == []


def test_namespaces_and_spellings(pack):
    deploy = "kubernetes:apps/v1:Deployment"
    # the stack's "agent" lives in agents, not in prod: another namespace's account of that name is not the stack's
    [(name, _)] = findings(pack, account(), res(deploy, "w", WORKLOADS[deploy](pod_spec("agent"), "prod")))
    assert name == "w"
    # the deprecated spelling serviceAccount is read too
    [(_, message)] = findings(pack, res(deploy, "w", WORKLOADS[deploy](pod_spec("ci-deployer", "serviceAccount"))))
    assert "spec.template.spec.serviceAccount)" in message
    # no namespace on either side: both in the provider's default namespace
    assert findings(pack, account(namespace=None), res(deploy, "w", WORKLOADS[deploy](pod_spec("agent"), None))) == []
    assert findings(pack, account(namespace="default"), res(deploy, "w", WORKLOADS[deploy](pod_spec("agent"), None))) == []
    # kube-system is AGID-K8S-012's, not reported twice
    assert findings(pack, res(deploy, "w", WORKLOADS[deploy](pod_spec("ci-deployer"), "kube-system"))) == []


def test_turning_the_token_off_does_not_pass_an_account(pack):
    spec = {**pod_spec("ci-deployer"), "automountServiceAccountToken": False,
            "volumes": [{"name": "t", "projected": {"sources": [{"serviceAccountToken": {
                "audience": "sts.amazonaws.com", "path": "token"}}]}}]}
    assert [n for n, _ in findings(pack, res("kubernetes:core/v1:Pod", "w", WORKLOADS["kubernetes:core/v1:Pod"](spec)))] == ["w"]


def test_a_patch_changing_an_existing_workloads_code_without_naming_an_account_blocks(pack):
    patch = res("kubernetes:apps/v1:DeploymentPatch", "w", WORKLOADS["kubernetes:apps/v1:DeploymentPatch"](pod_spec(None)))
    [(_, message)] = findings(pack, patch)
    assert "sets the containers (spec.template.spec) of an existing workload in namespace agents" in message
    # a patch that changes no code (replicas, labels) passes
    assert findings(pack, res("kubernetes:apps/v1:DeploymentPatch", "w", {"metadata": meta(), "spec": {"replicas": 3}})) == []
    assert findings(pack, res("kubernetes:apps/v1:DeploymentPatch", "w", {"metadata": meta(), "spec": {"template": {
        "spec": {"nodeSelector": {"pool": "a"}}}}})) == []


def test_names_known_only_at_deployment(pack):
    own = account()
    deploy = "kubernetes:apps/v1:Deployment"
    # an autonamed account's name is known only at deployment: the workload depending on it alone is its own
    autonamed = res(SA, "sa-auto", {"metadata": {"namespace": "agents"}})
    assert stack_findings(pack, RULE, [autonamed, res(deploy, "w", WORKLOADS[deploy](pod_spec(UNKNOWN)),
                                                      dependencies=[autonamed.urn])]) == []
    found = [m for _, m in stack_findings(pack, RULE, [res(deploy, "w", WORKLOADS[deploy](pod_spec(UNKNOWN)))])]
    assert len(found) == 1 and "cannot check until known" in found[0]
    found = [m for _, m in stack_findings(pack, RULE, [res(deploy, "w", {"metadata": {"namespace": UNKNOWN},
                                                                         "spec": {"template": {"spec": pod_spec("x")}}})])]
    assert len(found) == 1 and "cannot check until known" in found[0]


def test_depending_on_a_stack_account_does_not_make_an_unknown_name_its_own(pack):
    """red12 #7 (k_unknown_sa_name): `depends_on=[harmless stack SA]` and the EXISTING argocd-application-controller
    as a constant behind another resource's Output (`bucket.bucket_domain_name.apply(lambda _: NAME)`), or behind an
    output of the stack SA whose name is known (so its own name would have arrived known): cannot check until known."""
    own, other = account(), res("aws:s3/bucketV2:BucketV2", "marker", {})
    deploy = "kubernetes:apps/v1:Deployment"
    for dependencies in ([own.urn, other.urn], [other.urn]):
        found = stack_findings(pack, RULE, [own, other, res(deploy, "w", WORKLOADS[deploy](pod_spec(UNKNOWN)),
                                                            dependencies=dependencies)])
        assert [m.endswith("cannot check until known: spec.template.spec.serviceAccountName is computed during preview")
                for _, m in found] == [True], found
    # the stack account's name is known ("agent"): an Output of it would have arrived known
    found = stack_findings(pack, RULE, [own, res(deploy, "w", WORKLOADS[deploy](pod_spec(UNKNOWN)), dependencies=[own.urn])])
    assert [m.endswith("cannot check until known: spec.template.spec.serviceAccountName is computed during preview")
            for _, m in found] == [True], found


def test_a_shape_the_pack_cannot_read_is_a_violation(pack):
    [(name, message)] = findings(pack, res("kubernetes:core/v1:Pod", "w", {"metadata": meta(), "spec": {
        "containers": CONTAINERS, "serviceAccountName": ["ci-deployer"]}}))
    assert name == "w" and "cannot check: spec.serviceAccountName is not a string" in message


def test_workload_items_of_a_list_are_judged(pack):
    items = [{"metadata": meta(), "spec": {"template": {"spec": pod_spec("ci-deployer")}}}]
    assert [n for n, _ in findings(pack, res("kubernetes:apps/v1:DeploymentList", "l", {"items": items}))] == ["l"]


CUSTOM = [
    ("kubernetes:argoproj.io/v1alpha1:Workflow", {"spec": {"entrypoint": "main", "serviceAccountName": "{sa}",
                                                           "templates": [{"name": "main", "container": CONTAINERS[0]}]}},
     "spec.serviceAccountName"),
    ("kubernetes:argoproj.io/v1alpha1:WorkflowTemplate", {"spec": {"templates": [{"name": "main", "serviceAccountName": "{sa}"}]}},
     "spec.templates[0].serviceAccountName"),
    ("kubernetes:argoproj.io/v1alpha1:CronWorkflow", {"spec": {"schedule": "* * * * *", "workflowSpec": {
        "serviceAccountName": "{sa}"}}}, "spec.workflowSpec.serviceAccountName"),
    ("kubernetes:tekton.dev/v1:TaskRun", {"spec": {"taskRef": {"name": "t"}, "serviceAccountName": "{sa}"}},
     "spec.serviceAccountName"),
    ("kubernetes:tekton.dev/v1:PipelineRun", {"spec": {"pipelineRef": {"name": "p"}, "taskRunTemplate": {
        "serviceAccountName": "{sa}"}}}, "spec.taskRunTemplate.serviceAccountName"),
    ("kubernetes:tekton.dev/v1beta1:PipelineRun", {"spec": {"taskRunSpecs": [{"pipelineTaskName": "a",
                                                                               "taskServiceAccountName": "{sa}"}]}},
     "spec.taskRunSpecs[0].taskServiceAccountName"),
    ("kubernetes:serving.knative.dev/v1:Service", {"spec": {"template": {"spec": {"serviceAccountName": "{sa}",
                                                                                   "containers": CONTAINERS}}}},
     "spec.template.spec.serviceAccountName"),
    ("kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", {"spec": {"path": "./", "serviceAccountName": "{sa}"}},
     "spec.serviceAccountName"),
    ("kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease", {"spec": {"chart": {"spec": {"chart": "x"}},
                                                                   "serviceAccountName": "{sa}"}}, "spec.serviceAccountName"),
]


def _custom(type_, template, sa, namespace="agents"):
    import json
    props = json.loads(json.dumps(template).replace("{sa}", sa))
    return res(type_, "cr", {"metadata": meta(namespace), **props})


@pytest.mark.parametrize("type_,template,where", CUSTOM, ids=[t.split(":")[1] + ":" + t.split(":")[2] for t, _, _ in CUSTOM])
def test_custom_resources_running_as_an_account_the_stack_does_not_define_block(pack, type_, template, where):
    [(name, message)] = findings(pack, account(), _custom(type_, template, "ci-deployer"))
    assert name == "cr" and f"as service account 'ci-deployer' in namespace agents ({where})" in message
    assert findings(pack, account(), _custom(type_, template, "agent")) == []
    assert findings(pack, account(), _custom(type_, template, "default")) == []


def test_flux_without_an_account_acts_as_its_controller(pack):
    kustomization = res("kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "apps", {
        "metadata": meta(), "spec": {"path": "./apps", "sourceRef": {"kind": "GitRepository", "name": "apps"}}})
    [(_, message)] = findings(pack, kustomization)
    assert "without spec.serviceAccountName, so the controller acts as the kustomize-controller's own" in message
    # Argo and Tekton fall back to the namespace's default account: no finding
    assert findings(pack, res("kubernetes:tekton.dev/v1:TaskRun", "t", {"metadata": meta(), "spec": {"taskRef": {"name": "t"}}})) == []


def test_a_cluster_workflow_template_takes_an_account_of_any_namespace_of_the_stack(pack):
    template = res("kubernetes:argoproj.io/v1alpha1:ClusterWorkflowTemplate", "cwt", {
        "metadata": {"name": "cwt"}, "spec": {"serviceAccountName": "agent"}})
    assert findings(pack, account(), template) == []
    [(_, message)] = findings(pack, template)
    assert "in the namespace of each use" in message


ANNOTATIONS = [
    ("iam.gke.io/gcp-service-account", "deployer@prod-platform.iam.gserviceaccount.com", "Google Cloud service account"),
    ("eks.amazonaws.com/role-arn", "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole", "AWS IAM role"),
    ("azure.workload.identity/client-id", "6f1c9e3a-0c57-4a8e-9d0e-3b1f2a4c5d6e", "Azure managed identity"),
]


def annotated(key, value, type_=SA, dependencies=()):
    return res(type_, "sa-agent", {"metadata": {"name": "agent", "namespace": "agents", "annotations": {key: value}}},
               dependencies)


@pytest.mark.parametrize("key,value,cloud", ANNOTATIONS, ids=[a[0] for a in ANNOTATIONS])
@pytest.mark.parametrize("type_", [SA, "kubernetes:core/v1:ServiceAccountPatch"])
def test_a_service_account_becoming_a_cloud_identity_the_stack_does_not_define_blocks(pack, key, value, cloud, type_):
    [(name, message)] = findings(pack, annotated(key, value, type_))
    assert name == "sa-agent" and f"makes every pod of service account 'agent' the {cloud}" in message
    assert f"{value} (metadata.annotations[{key!r}]), which this stack does not define" in message


def test_cloud_identities_the_stack_defines_pass(pack):
    gsa = res("gcp:serviceaccount/account:Account", "gsa", {"accountId": "agent", "project": "acme-dev"})
    assert findings(pack, gsa, annotated("iam.gke.io/gcp-service-account", "Agent@acme-dev.iam.gserviceaccount.com")) == []
    role = res("aws:iam/role:Role", "agent-role", {"name": "agent-role", "assumeRolePolicy": "{}"})
    assert findings(pack, role, annotated("eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/agent-role")) == []
    # a client id is only ever the identity's own output: a literal is the stack's identity when it equals the known
    # client id (after deployment the engine sends it), an unknown one when only the identity explains it
    client_id = "6f1c9e3a-0c57-4a8e-9d0e-3b1f2a4c5d6e"
    identity = res("azure-native:managedidentity:UserAssignedIdentity", "id", {"resourceName": "agent", "clientId": client_id})
    assert findings(pack, identity, annotated("azure.workload.identity/client-id", client_id.upper(),
                                              dependencies=[identity.urn])) == []
    autonamed = res("azure-native:managedidentity:UserAssignedIdentity", "id", {"resourceName": "agent"})
    assert findings(pack, autonamed, annotated("azure.workload.identity/client-id", UNKNOWN, dependencies=[autonamed.urn])) == []
    # other annotations are not identities
    assert findings(pack, annotated("kubernetes.io/enforce-mountable-secrets", "true")) == []


def test_an_annotation_known_only_at_deployment_from_no_stack_identity_is_cannot_check(pack):
    found = [m for _, m in stack_findings(pack, RULE, [annotated("iam.gke.io/gcp-service-account", UNKNOWN)])]
    assert len(found) == 1 and "cannot check until known" in found[0]


def test_depending_on_a_stack_identity_does_not_make_another_client_id_its_own(pack):
    """red12 #7: `depends_on=[own identity]` and the client id of an EXISTING identity, as a literal (a client id is
    Entra's, never knowable before the stack's identity exists) or behind another resource's Output."""
    identity = res("azure-native:managedidentity:UserAssignedIdentity", "id", {"resourceName": "agent"})
    other = res("aws:s3/bucketV2:BucketV2", "marker", {})
    literal = annotated("azure.workload.identity/client-id", "6f1c9e3a-0c57-4a8e-9d0e-3b1f2a4c5d6e",
                        dependencies=[identity.urn])
    [(name, message)] = findings(pack, identity, literal)
    assert name == "sa-agent" and "6f1c9e3a-0c57-4a8e-9d0e-3b1f2a4c5d6e" in message and "does not define" in message
    hidden = annotated("azure.workload.identity/client-id", UNKNOWN, dependencies=[identity.urn, other.urn])
    found = stack_findings(pack, RULE, [identity, other, hidden])
    assert [m.endswith("cannot check until known: metadata.annotations['azure.workload.identity/client-id'] is "
                       "computed during preview") for _, m in found] == [True], found


def test_a_literal_identity_is_judged_by_what_it_names_not_by_other_dependencies(pack):
    role = res("aws:iam/role:Role", "agent-role", {"name": "agent-role", "assumeRolePolicy": "{}"})
    # the account depends on the stack's role (a label from its name, say) but names another role
    sa = annotated("eks.amazonaws.com/role-arn", "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole",
                   dependencies=[role.urn])
    assert [n for n, _ in findings(pack, role, sa)] == ["sa-agent"]


PROVIDER = "pulumi:providers:kubernetes"
KUBECTL_JOB = {"spec": {"template": {"spec": {**pod_spec("clusterrole-aggregation-controller"), "restartPolicy": "Never"}}}}


def on(provider, type_, name, props):
    return StackResource(type_, name, urn(type_, name), props, provider=provider.urn)


def test_an_account_the_provider_upserts_is_the_existing_one_not_the_stacks(pack):
    """red12 #8 (k_decoy_sa): a Deployment in argocd running as argocd-application-controller (cluster-admin in Argo
    CD's default install), "defined" by re-declaring that ServiceAccount on a provider with upsertExistingObjects:
    the upsert takes over the existing account, so it is not the stack's. Look-alike: the same on a provider that
    creates (a name clash then fails the create) passes."""
    deploy = "kubernetes:apps/v1:Deployment"
    for upsert, expected in (("true", ["d"]), (True, ["d"]), ("false", []), (None, [])):
        provider = res(PROVIDER, "k", {} if upsert is None else {"upsertExistingObjects": upsert})
        sa = on(provider, SA, "sa", {"metadata": {"name": "argocd-application-controller", "namespace": "argocd"}})
        workload = on(provider, deploy, "d", {"metadata": {"namespace": "argocd"}, "spec": {"template": {"spec": pod_spec(
            "argocd-application-controller")}}})
        assert [n for n, _ in findings(pack, provider, sa, workload)] == expected, upsert


def test_an_object_without_a_namespace_lands_in_its_providers(pack):
    """red12 #8 (k_decoy_sa_ns): a Job with no metadata.namespace on Provider(namespace="kube-system") runs in
    kube-system as clusterrole-aggregation-controller: AGID-K8S-012's finding (mandatory), not a pass as `default`;
    the namespace of the provider's kubeconfig context counts the same; an unknown provider namespace is cannot check.
    Look-alike: the same Job on a provider whose namespace is `agents`, with the account defined there, passes."""
    job = "kubernetes:batch/v1:Job"
    kube_system = res(PROVIDER, "k", {"namespace": "kube-system", "upsertExistingObjects": "true"})
    sa = on(kube_system, SA, "sa", {"metadata": {"name": "clusterrole-aggregation-controller"}})
    found = stack_findings(pack, "AGID-K8S-012", [kube_system, sa, on(kube_system, job, "j", KUBECTL_JOB)], "mandatory")
    assert [n for n, _ in found] == ["j"] and "clusterrole-aggregation-controller" in found[0][1]
    kubeconfig = ("apiVersion: v1\nkind: Config\ncurrent-context: prod\ncontexts:\n- name: prod\n  context: "
                  "{cluster: prod, user: me, namespace: kube-system}\n")
    by_context = res(PROVIDER, "kc", {"kubeconfig": kubeconfig})
    found = stack_findings(pack, "AGID-K8S-012", [by_context, on(by_context, job, "j", KUBECTL_JOB)], "mandatory")
    assert [n for n, _ in found] == ["j"]
    later = res(PROVIDER, "later", {"namespace": UNKNOWN})
    found = stack_findings(pack, "AGID-K8S-012", [later, on(later, job, "j", KUBECTL_JOB)])
    assert [m.endswith("cannot check until known: provider namespace is computed during preview") for _, m in found] == [True]
    agents = res(PROVIDER, "a", {"namespace": "agents"})
    own = on(agents, SA, "sa", {"metadata": {"name": "clusterrole-aggregation-controller"}})
    assert stack_findings(pack, "AGID-K8S-012", [agents, own, on(agents, job, "j", KUBECTL_JOB)]) == []
    assert findings(pack, agents, own, on(agents, job, "j", KUBECTL_JOB)) == []
