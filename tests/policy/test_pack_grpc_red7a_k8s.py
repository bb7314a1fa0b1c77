"""Outside review red7a, Kubernetes RBAC (findings 7, 8 and the unconfirmed pods/portforward, services/proxy), over
gRPC: each bypass is flagged and a look-alike passes.

7  resourceNames do not bound every escalation path: the named object can be the dangerous one (the signer
   kubernetes.io/kube-apiserver-client, an existing MutatingWebhookConfiguration, kube-system's aws-auth), one
   named object reaches everything (a node's kubelet API, a workload whose pod template picks its service account)
   or the holder picks the name (the CSR it created); pods/portforward and services/proxy reach kube-system's ports;
8  a binding is judged by the role the API server will find: a Role of the binding's namespace, never a stack
   role wearing a built-in name.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import analyzed, stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE, RB, CRB = f"{RBAC}:Role", f"{RBAC}:ClusterRole", f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding"
AGENT_SA = {"kind": "ServiceAccount", "name": "agent", "namespace": "agents"}


def k8s005(pack, type_: str, rule: dict, namespace: str | None = None) -> list[str]:
    metadata = {"name": "agent-x"} | ({"namespace": namespace} if namespace else {})
    return [d.message for d in analyzed(pack, type_, "x", urn(type_, "x"), {"metadata": metadata, "rules": [rule]})
            if d.policy_name == "AGID-K8S-005" and d.enforcement_level == "mandatory"]


# --- 7: resourceNames -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("type_, rule, fragment", [
    # red7a csr_named: the named signer is the one that issues client certificates for any user (system:masters)
    (CLUSTER_ROLE, {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"],
                    "resourceNames": ["kubernetes.io/kube-apiserver-client"]},
     "approve on signers (resourceNames kubernetes.io/kube-apiserver-client: naming them does not bound this)"),
    (ROLE, {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"],
            "verbs": ["update"], "resourceNames": ["agent-csr"]}, "update on certificatesigningrequests/approval"),
    # nodeproxy_named: one node's kubelet reaches every pod on it
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get", "create"],
                    "resourceNames": ["ip-10-0-0-1.ec2.internal"]}, "create, get on nodes/proxy"),
    # webhook_named: rewriting an existing webhook configuration
    (ROLE, {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"],
            "verbs": ["update", "patch"], "resourceNames": ["istio-sidecar-injector"]},
     "patch, update on mutatingwebhookconfigurations"),
    # awsauth_named: the named ConfigMap is the dangerous one
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update", "patch"],
                    "resourceNames": ["app-settings", "aws-auth"]}, "patch, update on configmaps"),
    # pods_star_verbs_named: exec into a named (static control-plane) pod
    (ROLE, {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"],
            "resourceNames": ["kube-apiserver-master"]}, "create on pods/exec"),
    # a named workload's pod template picks any service account of its namespace
    (CLUSTER_ROLE, {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "patch"],
                    "resourceNames": ["coredns"]}, "patch on deployments (resourceNames coredns"),
    # unconfirmed item, confirmed: the API server's proxies reach kube-system's ports cluster-wide
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["pods/portforward", "services/proxy"], "verbs": ["create", "get"]},
     "create, get on pods/portforward; create, get on services/proxy"),
])
def test_paths_resource_names_do_not_bound_are_flagged(pack, type_, rule, fragment):
    [found] = k8s005(pack, type_, rule, "agents")
    assert "agent-x" not in found and "x rules[0] allows" in found and fragment in found, found


@pytest.mark.parametrize("type_, rule", [
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update", "patch"],
                    "resourceNames": ["app-settings"]}),       # a ConfigMap no cluster component trusts
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["model-key"]}),
    (CLUSTER_ROLE, {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create"],
                    "resourceNames": ["agent-worker"]}),       # the API server never allows create by name
    (CLUSTER_ROLE, {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["get", "list"],
                    "resourceNames": ["kubernetes.io/kube-apiserver-client"]}),  # reading a signer approves nothing
    (ROLE, {"apiGroups": [""], "resources": ["pods/portforward", "services/proxy"], "verbs": ["create", "get"]}),
])
def test_look_alikes_bounded_by_name_or_namespace_pass(pack, type_, rule):
    assert analyzed(pack, type_, "x", urn(type_, "x"), {"metadata": {"name": "x", "namespace": "agents"},
                                                      "rules": [rule]}) == []


# --- 8: which role a binding names ------------------------------------------------------------------------------

def role(type_: str, name: str, namespace: str | None = None, rules: list | None = None) -> StackResource:
    metadata = {"name": name} | ({"namespace": namespace} if namespace else {})
    return StackResource(type_, f"role-{name}-{namespace}", urn(type_, f"role-{name}-{namespace}"),
                         {"metadata": metadata, "rules": rules or []})


def binding(type_: str, name: str, kind: str, role_name: str, namespace: str | None = None,
            subject: dict = AGENT_SA) -> StackResource:
    metadata = {"name": name} | ({"namespace": namespace} if namespace else {})
    return StackResource(type_, name, urn(type_, name), {
        "metadata": metadata, "subjects": [subject],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name}})


def test_role_binding_is_judged_by_the_role_of_its_own_namespace(pack):
    """red7a rolebinding_other_ns(_custom): a harmless Role in 'agents' judged the kube-system / prod binding."""
    found = dict(stack_findings(pack, "AGID-K8S-006", [
        role(ROLE, "system:controller:bootstrap-signer", "agents"),
        # kube-node-lease: Kubernetes creates no Role of that name there (in kube-system it does, and a binding of it
        # is judged by its rules since issue 11: tests/policy/test_pack_grpc_k8s_builtin_roles.py)
        binding(RB, "bootstrap", "Role", "system:controller:bootstrap-signer", "kube-node-lease"),
        role(ROLE, "deployer", "agents"),
        binding(RB, "prod-deployer", "Role", "deployer", "prod"),
        # look-alike: the stack's Role of the binding's own namespace
        role(ROLE, "deployer", "prod"),
        binding(RB, "same-ns", "Role", "deployer", "prod"),
    ], "mandatory"))
    assert "cannot check: Role system:controller:bootstrap-signer of namespace kube-node-lease is neither in this stack" \
        in found["bootstrap"]
    assert set(found) == {"bootstrap"}, found  # the 'prod' Role now exists in the stack, so prod-deployer passes
    found = dict(stack_findings(pack, "AGID-K8S-006", [
        role(ROLE, "deployer", "agents"), binding(RB, "prod-deployer", "Role", "deployer", "prod")], "mandatory"))
    assert "cannot check: Role deployer of namespace prod is neither in this stack" in found["prod-deployer"]


def test_stack_role_wearing_a_built_in_name_is_not_the_one_bound(pack):
    """red7a builtin_name_decoy: ClusterRole 'cluster-admin' with no rules in the stack made the binding pass."""
    found = dict(stack_findings(pack, "AGID-K8S-006", [
        role(CLUSTER_ROLE, "cluster-admin"), binding(CRB, "ca", "ClusterRole", "cluster-admin"),
        role(CLUSTER_ROLE, "system:agent-reader"), binding(CRB, "sys", "ClusterRole", "system:agent-reader"),
        role(CLUSTER_ROLE, "agent-reader"), binding(CRB, "own", "ClusterRole", "agent-reader"),  # look-alike
    ], "mandatory"))
    assert "ca grants built-in ClusterRole cluster-admin in every namespace" in found["ca"]
    assert "cannot check: ClusterRole system:agent-reader is neither in this stack" in found["sys"]
    assert set(found) == {"ca", "sys"}
    # AGID-K8S-003 reads the same lookup: the decoy made cluster-admin look like a role without secrets
    secrets = dict(stack_findings(pack, "AGID-K8S-003", [
        role(CLUSTER_ROLE, "cluster-admin"), binding(CRB, "ca", "ClusterRole", "cluster-admin")], "mandatory"))
    assert "the built-in role reads secrets" in secrets["ca"]


def test_role_binding_whose_namespace_is_not_known_yet_is_not_judged_by_a_guess(pack):
    found = stack_findings(pack, "AGID-K8S-006", [
        role(ROLE, "deployer", "prod"),
        StackResource(RB, "later", urn(RB, "later"), {
            "metadata": {"name": "later", "namespace": UNKNOWN}, "subjects": [AGENT_SA],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"}})])
    [(_, message)] = found
    assert "cannot check until known" in message and "later.metadata.namespace" in message, message
