"""Issue 11 (3) over gRPC: every privilege-escalation risk of the Kubernetes RBAC good-practices page
(https://kubernetes.io/docs/concepts/security/rbac-good-practices/) is judged, by the rule the table in
analysis/k8s_rbac_facts.yaml names. Each risk has a flagged role (exact rule ids, all mandatory) and a look-alike
that passes (reads, a named object that bounds it, or the same grant in a Role of the agent's own namespace).

New with the sweep: ClusterTrustBundles (signers `attest`, clustertrustbundles writes) put a CA into pods' trust
stores, as certificate approval does for client certificates; before, both passed."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import analyzed
from tests.policy.test_pack_grpc import urn

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE = f"{RBAC}:Role", f"{RBAC}:ClusterRole"


def _rule(groups, resources, verbs, names=None):
    rule = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    return rule | ({"resourceNames": names} if names else {})


def _props(namespace, rule):
    return {"metadata": {"name": "r", **({"namespace": namespace} if namespace else {})}, "rules": [rule]}


def _judged(pack, type_, namespace, rule) -> list[tuple[str, str]]:
    return sorted((d.policy_name, d.enforcement_level)
                  for d in analyzed(pack, type_, "gp", urn(type_, "gp"), _props(namespace, rule)))


M = "mandatory"
# risk -> (type, namespace, flagged rule, expected (rule, level)s, look-alike type, namespace, look-alike rule)
RISKS = {
    "listing secrets": (CLUSTER_ROLE, None, _rule([""], ["secrets"], ["list"]), [("AGID-K8S-005", M)],
                        CLUSTER_ROLE, None, _rule([""], ["secrets"], ["get"], ["agent-config"])),
    "workload creation in kube-system": (ROLE, "kube-system", _rule(["apps"], ["deployments"], ["create"]),
                                         [("AGID-K8S-005", M)], ROLE, "agents", _rule(["apps"], ["deployments"], ["create"])),
    "persistent volume creation": (CLUSTER_ROLE, None, _rule([""], ["persistentvolumes"], ["create"]),
                                   [("AGID-K8S-005", M)], CLUSTER_ROLE, None, _rule([""], ["persistentvolumes"], ["get"])),
    "nodes/proxy": (ROLE, "agents", _rule([""], ["nodes/proxy"], ["get"]), [("AGID-K8S-005", M)],
                    ROLE, "agents", _rule([""], ["nodes/stats"], ["get"])),
    "nodes/proxy through */proxy": (CLUSTER_ROLE, None, _rule([""], ["*/proxy"], ["get"]), [("AGID-K8S-005", M)],
                                    CLUSTER_ROLE, None, _rule([""], ["*/log"], ["get"])),
    "escalate": (ROLE, "agents", _rule(["rbac.authorization.k8s.io"], ["roles"], ["escalate"]), [("AGID-K8S-002", M)],
                 ROLE, "agents", _rule(["rbac.authorization.k8s.io"], ["roles"], ["get"])),
    "bind": (ROLE, "agents", _rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind"]), [("AGID-K8S-002", M)],
             ROLE, "agents", _rule(["rbac.authorization.k8s.io"], ["rolebindings"], ["list"])),
    "impersonate": (ROLE, "agents", _rule([""], ["serviceaccounts"], ["impersonate"]), [("AGID-K8S-002", M)],
                    ROLE, "agents", _rule([""], ["serviceaccounts"], ["get"])),
    "CSR approval": (CLUSTER_ROLE, None, _rule(["certificates.k8s.io"], ["certificatesigningrequests/approval"],
                                               ["update"]), [("AGID-K8S-005", M)],
                     CLUSTER_ROLE, None, _rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["create", "get"])),
    "signer approve": (CLUSTER_ROLE, None, _rule(["certificates.k8s.io"], ["signers"], ["approve"],
                                                 ["kubernetes.io/kube-apiserver-client"]), [("AGID-K8S-005", M)],
                       CLUSTER_ROLE, None, _rule(["certificates.k8s.io"], ["signers"], ["get"])),
    "signer attest (trust bundles)": (CLUSTER_ROLE, None, _rule(["certificates.k8s.io"], ["signers"], ["attest"],
                                                                ["example.com/mesh"]), [("AGID-K8S-005", M)],
                                      CLUSTER_ROLE, None, _rule(["certificates.k8s.io"], ["signers"], ["get"])),
    "cluster trust bundle write": (CLUSTER_ROLE, None, _rule(["certificates.k8s.io"], ["clustertrustbundles"], ["update"]),
                                   [("AGID-K8S-005", M)], CLUSTER_ROLE, None,
                                   _rule(["certificates.k8s.io"], ["clustertrustbundles"], ["get", "list", "watch"])),
    "token request": (ROLE, "agents", _rule([""], ["serviceaccounts/token"], ["create"]), [("AGID-K8S-002", M)],
                      ROLE, "agents", _rule([""], ["serviceaccounts"], ["get"])),
    "token Secret in kube-system": (ROLE, "kube-system", _rule([""], ["secrets"], ["create"]), [("AGID-K8S-005", M)],
                                    ROLE, "agents", _rule([""], ["secrets"], ["create"])),
    "admission webhooks": (ROLE, "agents", _rule(["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations"],
                                                 ["patch"]), [("AGID-K8S-005", M)],
                           ROLE, "agents", _rule(["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations"],
                                                 ["list"])),
    "namespace modification": (ROLE, "agents", _rule([""], ["namespaces"], ["patch"]), [("AGID-K8S-005", M)],
                               ROLE, "agents", _rule([""], ["namespaces"], ["get"])),
    "ephemeral containers": (ROLE, "agents", _rule([""], ["pods/ephemeralcontainers"], ["patch"]), [("AGID-K8S-005", M)],
                             ROLE, "agents", _rule([""], ["pods/log"], ["get"])),
    "leader-election leases": (ROLE, "kube-system", _rule(["coordination.k8s.io"], ["leases"], ["update"]),
                               [("AGID-K8S-018", M)], ROLE, "agents", _rule(["coordination.k8s.io"], ["leases"], ["update"])),
    "deleting other namespaces' pods": (CLUSTER_ROLE, None, _rule([""], ["pods"], ["deletecollection"]),
                                        [("AGID-K8S-018", M)], ROLE, "agents", _rule([""], ["pods"], ["deletecollection"])),
    "evicting other namespaces' pods": (ROLE, "kube-system", _rule([""], ["pods/eviction"], ["create"]),
                                        [("AGID-K8S-018", M)], CLUSTER_ROLE, None, _rule([""], ["pods/eviction"], ["get"])),
}


@pytest.mark.parametrize("risk", sorted(RISKS))
def test_each_good_practices_risk_is_flagged_and_its_look_alike_passes(pack, risk) -> None:
    type_, namespace, rule, expected, alike_type, alike_namespace, alike_rule = RISKS[risk]
    assert _judged(pack, type_, namespace, rule) == expected
    assert _judged(pack, alike_type, alike_namespace, alike_rule) == []
