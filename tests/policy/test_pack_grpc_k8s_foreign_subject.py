"""AGID-K8S-020 over gRPC: native Kubernetes bindings to users and groups of another organisation (red20 r20-6: a
ClusterRoleBinding of `view` to attacker@gmail.com passed; on GKE every Google account authenticates as its e-mail)."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN

CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"


def binding(name: str, *subjects: tuple[str, str], type_: str = CRB, role: str = "view") -> tuple:
    props = {"metadata": {"name": name, "namespace": "agents"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
             "subjects": [{"kind": kind, "name": who, "apiGroup": "rbac.authorization.k8s.io"} if who is not UNKNOWN
                          else {"kind": kind, "name": who} for kind, who in subjects]}
    return (type_, name, props)


def flagged(pack, resource: tuple, level: str | None = None) -> list[str]:
    return flagged_names(pack, "AGID-K8S-020", resource, level)


@pytest.fixture()
def own_pack(pack):
    pack.configure({"all": {"ownGcpDomains": ["acme.example"], "ownGcpProjects": ["acme-dev"],
                            "ownEmailDomains": ["corp.example"]}})
    yield pack
    pack.configure({})


def test_a_binding_to_an_outside_user_or_group_is_a_mandatory_violation(own_pack) -> None:
    cases = [binding("gmail-user", ("User", "attacker@gmail.com")),
             binding("foreign-group", ("Group", "everyone@evil.example"), type_=RB, role="edit"),
             binding("look-alike", ("User", "alice@acme.example.evil.example")),
             binding("foreign-sa", ("User", "x@evil-proj.iam.gserviceaccount.com")),
             binding("mixed", ("User", "alice@acme.example"), ("User", "eve@evil.example"))]
    for case in cases:
        assert flagged(own_pack, case, level="mandatory") == [case[1]], case[1]


def test_own_identities_service_accounts_and_system_subjects_pass(own_pack) -> None:
    cases = [binding("own-user", ("User", "alice@acme.example"), ("Group", "sre@acme.example")),
             binding("own-mail", ("User", "bob@eu.corp.example")),
             binding("own-sa", ("User", "ci@acme-dev.iam.gserviceaccount.com")),
             binding("k8s-sa", ("ServiceAccount", "agent")),
             binding("system", ("Group", "system:masters"), ("User", "jane"))]
    for case in cases:
        assert flagged(own_pack, case) == [], case[1]


def test_nothing_listed_is_cannot_tell_and_an_unknown_subject_is_reported(pack) -> None:
    assert flagged(pack, binding("any-user", ("User", "alice@acme.example")), level="mandatory") == ["any-user"]
    assert flagged(pack, binding("later", ("User", UNKNOWN))) == ["later"]
