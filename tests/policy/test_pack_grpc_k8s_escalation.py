"""Kubernetes escalation beyond the kit's own agents, over gRPC (red3 findings 1, 2 and 4): each flagged case and
a look-alike that passes.

AGID-K8S-005 escalation paths in roles, AGID-K8S-006 bindings of powerful built-in roles / to everyone / to roles
nobody can see, AGID-K8S-007 system:masters through EKS access entries or aws-auth, AGID-K8S-008 long-lived
service-account token Secrets, AGID-PRV-001 a kubernetes provider's kubeconfig holding a credential.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import analyzed
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE = f"{RBAC}:Role", f"{RBAC}:ClusterRole"
RB, CRB, CRB_LIST = f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding", f"{RBAC}:RoleBindingList"
SECRET = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def messages(pack, type_, props, rule_id, name="r"):
    return [d.message for d in analyzed(pack, type_, name, urn(type_, name), props) if d.policy_name == rule_id]


def rules(*items):
    return {"metadata": {"name": "r", "namespace": "n"}, "rules": list(items)}


# --- AGID-K8S-005: escalation paths, whoever holds the role ---------------------------------------------------

@pytest.mark.parametrize("type_,rule,fragment", [
    (ROLE, {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}, "allows create on pods/exec"),
    (ROLE, {"apiGroups": [""], "resources": ["pods/attach"], "verbs": ["get"]}, "allows get on pods/attach"),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]},
     "allows get on nodes/proxy in every namespace"),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}, "allows list on secrets"),
    (CLUSTER_ROLE, {"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["create", "patch"]},
     "allows create, patch on daemonsets"),
    (CLUSTER_ROLE, {"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["update"]}, "on cronjobs"),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}, "allows * on pods"),
    (CLUSTER_ROLE, {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"],
                    "verbs": ["update"]}, "on certificatesigningrequests/approval"),
    (ROLE, {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"],
            "verbs": ["create"]}, "on mutatingwebhookconfigurations"),
    # red6: RBAC matches */SUBRESOURCE for every resource's subresource
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]}, "allows create on pods/exec"),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["*/proxy"], "verbs": ["get"]}, "allows get on nodes/proxy"),
    (ROLE, {"apiGroups": ["*"], "resources": ["*/attach"], "verbs": ["get"]}, "allows get on pods/attach"),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["pods/ephemeralcontainers"], "verbs": ["patch"]},
     "on pods/ephemeralcontainers"),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update", "patch"]}, "aws-auth"),
    # red6 / k8s12: the rest of the good-practices escalation list
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["nodes"], "verbs": ["patch"]}, "allows patch on nodes"),
    (CLUSTER_ROLE, {"apiGroups": ["*"], "resources": ["*/status"], "verbs": ["update"]},
     "allows update on nodes/status"),
    (ROLE, {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["patch"]}, "pod-security.kubernetes.io"),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}, "service-account-token Secret"),
    (CLUSTER_ROLE, {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
                    "verbs": ["create", "update"]}, "conversion webhook"),
    (CLUSTER_ROLE, {"apiGroups": ["apiregistration.k8s.io"], "resources": ["apiservices"], "verbs": ["patch"]},
     "allows patch on apiservices"),
    (ROLE, {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingadmissionpolicies"],
            "verbs": ["create"]}, "on mutatingadmissionpolicies"),
    (CLUSTER_ROLE, {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["*"], "verbs": ["update"]},
     "on mutatingadmissionpolicybindings"),
])
def test_escalation_paths_are_flagged(pack, type_, rule, fragment):
    found = messages(pack, type_, rules({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}, rule),
                     "AGID-K8S-005")
    assert len(found) == 1 and "rules[1]" in found[0] and fragment in found[0], found


def test_one_violation_a_rule_names_every_path_it_opens(pack):
    """red3 f02: one rule on pods/exec, nodes/proxy and secrets; a '*' rule is one violation, not one a path."""
    [found] = messages(pack, CLUSTER_ROLE, rules({"apiGroups": [""], "resources": ["pods/exec", "nodes/proxy", "secrets"],
                                                  "verbs": ["create", "get", "list"]}), "AGID-K8S-005")
    assert "rules[0] allows create, get on pods/exec; create, get on nodes/proxy; get, list on secrets" in found
    assert len(messages(pack, CLUSTER_ROLE, rules({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
                        "AGID-K8S-005")) == 1


@pytest.mark.parametrize("type_,rule", [
    (ROLE, {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}),
    (ROLE, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}),  # inside its namespace
    (ROLE, {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "patch"]}),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["model-key"]}),
    (CLUSTER_ROLE, {"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["get", "list", "watch"]}),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}),
    (CLUSTER_ROLE, {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests"],
                    "verbs": ["create", "get"]}),
    (CLUSTER_ROLE, {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"],
                    "verbs": ["get", "list"]}),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["*/status"], "verbs": ["get"]}),  # a harmless subresource
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}),
    (ROLE, {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update", "patch"]}),  # its own namespace
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["pods/ephemeralcontainers"], "verbs": ["get"]}),
    # k8s12 look-alikes: reading nodes, namespaces, CRDs and APIServices; nodes in a namespaced Role (a cluster-scoped
    # resource a RoleBinding cannot grant); secrets created in the Role's own namespace; create bounded by
    # resourceNames (the API server never allows create through resourceNames: the name is not known yet)
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["nodes", "nodes/status", "namespaces"], "verbs": ["get", "list"]}),
    (ROLE, {"apiGroups": [""], "resources": ["nodes"], "verbs": ["patch"]}),
    (ROLE, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}),
    (CLUSTER_ROLE, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"], "resourceNames": ["agent-cache"]}),
    (CLUSTER_ROLE, {"apiGroups": ["apiextensions.k8s.io", "apiregistration.k8s.io"],
                    "resources": ["customresourcedefinitions", "apiservices"], "verbs": ["get", "list", "watch"]}),
    (CLUSTER_ROLE, {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingadmissionpolicies"],
                    "verbs": ["get", "list"]}),
])
def test_look_alikes_pass(pack, type_, rule):
    assert analyzed(pack, type_, "r", urn(type_, "r"), rules(rule)) == []


def test_unknown_and_unreadable_rules_never_pass(pack):
    assert all("cannot check until known" in m for m in messages(pack, CLUSTER_ROLE, {"rules": UNKNOWN},
                                                                  "AGID-K8S-005"))
    assert messages(pack, CLUSTER_ROLE, {"rules": UNKNOWN}, "AGID-K8S-005")
    [bad] = messages(pack, CLUSTER_ROLE, {"rules": [{"verbs": "create"}]}, "AGID-K8S-005")
    assert "cannot check" in bad


WORKLOADS = {"apiGroups": ["", "apps", "batch"], "resources": ["pods", "deployments", "cronjobs"], "verbs": ["create"]}
SECRET_READ = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}


def in_namespace(namespace, *items):
    return {"metadata": {"name": "r", "namespace": namespace}, "rules": list(items)}


@pytest.mark.parametrize("namespace, rule, fragment", [
    ("kube-system", WORKLOADS, "allows create on pods; create on deployments; create on cronjobs in kube-system"),
    ("kube-system", SECRET_READ, "allows get, list on secrets in kube-system"),
    ("kube-node-lease", {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]}, "in kube-node-lease"),
    ("kube-flannel", SECRET_READ, "the kube- prefix is reserved"),
    ("gke-managed-system", WORKLOADS, "GKE-managed namespace"),
    ("gatekeeper-system", SECRET_READ, "in gatekeeper-system"),
])
def test_role_in_a_system_namespace_is_judged_like_a_cluster_role(pack, namespace, rule, fragment):
    """red5 finding 6 (k09, k19, k20): a namespaced Role in kube-system creating pods/deployments/cronjobs or
    reading secrets passed; the service accounts there hold cluster-wide roles, so it is cluster-wide power."""
    [found] = messages(pack, ROLE, in_namespace(namespace, rule), "AGID-K8S-005")
    assert fragment in found, found


@pytest.mark.parametrize("namespace", ["agents", "kubesystem", "my-kube-system", "default"])
def test_same_role_in_a_workload_namespace_passes(pack, namespace):
    """Look-alikes: the same grants in an ordinary namespace (even one whose name contains kube) stay inside it."""
    assert analyzed(pack, ROLE, "r", urn(ROLE, "r"), in_namespace(namespace, WORKLOADS, SECRET_READ)) == []


def test_role_without_a_namespace_holding_workload_power_cannot_be_checked(pack):
    """The provider's default namespace may be kube-system; a harmless Role without a namespace still passes."""
    [found] = messages(pack, ROLE, {"metadata": {"name": "r"}, "rules": [WORKLOADS]}, "AGID-K8S-005")
    assert "cannot check: metadata.namespace is not set" in found
    assert analyzed(pack, ROLE, "r", urn(ROLE, "r"), {"metadata": {"name": "r"}, "rules": [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}) == []
    [later] = messages(pack, ROLE, {"metadata": {"name": "r", "namespace": UNKNOWN}, "rules": [SECRET_READ]},
                       "AGID-K8S-005")
    assert "cannot check until known" in later


# --- AGID-K8S-006: bindings ---------------------------------------------------------------------------------

def binding(type_, name, role, *subjects, role_kind="ClusterRole", namespace=None):
    metadata = {"name": name} | ({"namespace": namespace} if namespace else {})
    return StackResource(type_, name, urn(type_, name), {
        "metadata": metadata, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": list(subjects)})


SA = {"kind": "ServiceAccount", "name": "agent", "namespace": "default"}


def group(name):
    return {"kind": "Group", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def user(name):
    return {"kind": "User", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def k8s006(pack, *resources):
    found: dict[str, str] = {}
    for d in pack.analyze_stack(list(resources)):
        if d.policy_name == "AGID-K8S-006":
            name = d.urn.rsplit("::", 1)[-1]
            found[name] = found.get(name, "") + d.message
    return found


def test_bindings_of_powerful_builtins_and_to_everyone_are_flagged(pack):
    own = StackResource(CLUSTER_ROLE, "pod-reader", urn(CLUSTER_ROLE, "pod-reader"), {
        "metadata": {"name": "pod-reader"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]})
    found = k8s006(
        pack, own,
        binding(CRB, "crb-admin", "cluster-admin", SA),                                          # b03
        binding(RB, "rb-admin", "admin", group("system:serviceaccounts"), namespace="kube-system"),  # f04
        binding(CRB, "crb-anon", "edit", user("system:anonymous")),                              # f04
        binding(CRB, "crb-authn", "pod-reader", group("system:authenticated")),
        binding(RB, "rb-ns-sas", "view", group("system:serviceaccounts:agents"), namespace="agents"),
        binding(CRB, "crb-controller", "system:controller:replicaset-controller", SA),
        binding(CRB, "crb-unseen", "someone-elses-role", SA),
        binding(RB, "rb-unseen-role", "reader", SA, role_kind="Role", namespace="agents"),
        # look-alikes that pass: the stack's own role to one service account (judged by its content), view, the
        # discovery role Kubernetes itself binds to system:authenticated, a User whose name merely starts so
        binding(CRB, "ok-own", "pod-reader", SA),
        binding(RB, "ok-view", "view", SA, namespace="agents"),
        binding(CRB, "ok-discovery", "system:discovery", group("system:authenticated")),
        binding(CRB, "ok-user", "view", user("system:authenticated-auditor")),
        binding(CRB, "ok-no-subjects", "pod-reader"),
        StackResource(CRB, "bad-shape", urn(CRB, "bad-shape"), {"roleRef": "view", "subjects": [SA]}),
    )
    assert sorted(found) == ["bad-shape", "crb-admin", "crb-anon", "crb-authn", "crb-controller", "crb-unseen",
                             "rb-admin", "rb-ns-sas", "rb-unseen-role"], found
    assert "bad-shape: cannot check: roleRef or subjects is not of the RBAC shape" in found["bad-shape"]
    assert "grants built-in ClusterRole cluster-admin in every namespace" in found["crb-admin"]
    assert "binds ClusterRole admin to system:serviceaccounts (subjects[0])" in found["rb-admin"]
    assert "to system:anonymous" in found["crb-anon"]
    assert "cannot check: ClusterRole someone-elses-role is neither in this stack nor a known built-in" \
        in found["crb-unseen"]
    assert "cannot check: Role reader" in found["rb-unseen-role"]


def test_binding_inside_a_list_unknown_role_and_aggregated_role(pack):
    listed = StackResource(CRB_LIST, "bl", urn(CRB_LIST, "bl"), {"items": [  # b04_k8s_list
        {"metadata": {"name": "b", "namespace": "default"}, "subjects": [SA],
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}}]})
    aggregated = StackResource(CLUSTER_ROLE, "agg", urn(CLUSTER_ROLE, "agg"), {
        "metadata": {"name": "agg"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]}})
    later = StackResource(CRB, "later", urn(CRB, "later"), {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": UNKNOWN},
        "subjects": [SA]})
    found = k8s006(pack, listed, aggregated, binding(CRB, "to-agg", "agg", SA), later)
    assert "bl items[0] grants built-in ClusterRole cluster-admin" in found["bl"]
    assert "ClusterRole agg is aggregated" in found["to-agg"]
    # an unknown value reaches the stack as one "cannot check until known" advisory naming the binding
    assert any("cannot check until known: later.roleRef" in message for message in found.values()), found


# --- AGID-K8S-007: system:masters through EKS -----------------------------------------------------------------

def test_system_masters_through_access_entry_and_aws_auth(pack):
    [entry] = messages(pack, ACCESS_ENTRY, {"clusterName": "c", "principalArn": "arn:aws:iam::123456789012:role/a",
                                            "kubernetesGroups": ["readers", "system:masters"]}, "AGID-K8S-007")
    assert "puts arn:aws:iam::123456789012:role/a in Kubernetes group system:masters" in entry
    assert messages(pack, ACCESS_ENTRY, {"clusterName": "c", "principalArn": "arn:aws:iam::123456789012:role/a",
                                         "kubernetesGroups": ["readers"]}, "AGID-K8S-007") == []
    map_roles = ("- rolearn: arn:aws:iam::123456789012:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n"
                 "  groups: [system:bootstrappers, system:nodes]\n"
                 "- rolearn: arn:aws:iam::123456789012:role/agent\n  username: agent\n  groups:\n  - system:masters\n")
    aws_auth = {"metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": {"mapRoles": map_roles}}
    [found] = messages(pack, CONFIG_MAP, aws_auth, "AGID-K8S-007")
    assert "data.mapRoles[1] puts arn:aws:iam::123456789012:role/agent in Kubernetes group system:masters" in found
    # look-alikes: nodes only; the same text in a ConfigMap that is not kube-system/aws-auth
    nodes_only = {**aws_auth, "data": {"mapRoles": map_roles.split("- rolearn: arn:aws:iam::123456789012:role/agent")[0]}}
    assert messages(pack, CONFIG_MAP, nodes_only, "AGID-K8S-007") == []
    assert messages(pack, CONFIG_MAP, {**aws_auth, "metadata": {"name": "notes", "namespace": "kube-system"}},
                    "AGID-K8S-007") == []
    [bad] = messages(pack, CONFIG_MAP, {**aws_auth, "data": {"mapUsers": "- userarn: [unclosed"}}, "AGID-K8S-007")
    assert "cannot check" in bad


# --- AGID-K8S-008 and AGID-PRV-001: static Kubernetes credentials ------------------------------------------

def test_service_account_token_secret(pack):
    token = {"type": "kubernetes.io/service-account-token",
             "metadata": {"name": "agent-token", "annotations": {"kubernetes.io/service-account.name": "agent"}}}
    [found] = messages(pack, SECRET, token, "AGID-K8S-008")
    assert "a token of service account agent that never expires" in found
    assert messages(pack, SECRET, {**token, "type": "Opaque"}, "AGID-K8S-008") == []
    assert messages(pack, SECRET, {"metadata": {"name": "tls"}, "type": "kubernetes.io/tls"}, "AGID-K8S-008") == []
    assert all("cannot check until known" in m for m in messages(pack, SECRET, {**token, "type": UNKNOWN},
                                                                  "AGID-K8S-008"))


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: https://192.0.2.10}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
users: [{name: u, user: %s}]
"""


@pytest.mark.parametrize("user,field", [
    ("{token: not-a-real-token-0123456789}", "users[0].user.token"),
    ("{client-certificate-data: Y2VydA==, client-key-data: a2V5}", "users[0].user.client-key-data"),
    ("{username: admin, password: not-a-real-password}", "users[0].user.password"),
    ("{auth-provider: {name: oidc, config: {client-id: k, client-secret: s, refresh-token: r}}}",
     "users[0].user.auth-provider.config.client-secret"),
])
def test_kubeconfig_with_a_credential_blocks(pack, user, field):
    [found] = messages(pack, K8S_PROVIDER, {"kubeconfig": KUBECONFIG % user}, "AGID-PRV-001", name="p")
    assert f"kubeconfig {field}" in found


@pytest.mark.parametrize("kubeconfig", [
    KUBECONFIG % "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}}",
    "/home/deployer/.kube/config",
    "C:\\Users\\deployer\\.kube\\config",
    "",
])
def test_kubeconfig_look_alikes_pass(pack, kubeconfig):
    assert messages(pack, K8S_PROVIDER, {"kubeconfig": kubeconfig}, "AGID-PRV-001", name="p") == []


def test_unreadable_kubeconfig_fails_closed(pack):
    [bad] = messages(pack, K8S_PROVIDER, {"kubeconfig": "users: {u: 1}\nclusters: []\n"}, "AGID-PRV-001", name="p")
    assert "cannot check" in bad
    assert all("cannot check until known" in m for m in messages(pack, K8S_PROVIDER, {"kubeconfig": UNKNOWN},
                                                                  "AGID-PRV-001", name="p"))


@pytest.mark.parametrize("rule, fragment", [
    ({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["*"]},
     "allows 'bind' (through verbs *)"),  # red6: verbs * on clusterroles was only AGID-K8S-001's advisory
    ({"apiGroups": ["*"], "resources": ["roles"], "verbs": ["*"]}, "allows 'escalate' (through verbs *)"),
    ({"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["*"]}, "allows 'impersonate' (through verbs *)"),
    ({"apiGroups": [""], "resources": ["*/token"], "verbs": ["create"]}, "mints tokens of every service account"),
])
def test_every_verb_on_rbac_or_identity_resources_is_escalation(pack, rule, fragment):
    found = messages(pack, CLUSTER_ROLE, rules(rule), "AGID-K8S-002")
    assert any(fragment in message for message in found), found


@pytest.mark.parametrize("rule", [
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["*"]},
    {"apiGroups": [""], "resources": ["*/log"], "verbs": ["get"]},
])
def test_look_alikes_hold_no_escalation_verb(pack, rule):
    assert messages(pack, CLUSTER_ROLE, rules(rule), "AGID-K8S-002") == []
