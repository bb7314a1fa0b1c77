"""Trust drift, judged on the kit's own trust policies and on hand-made changes to them (pure, no moto)."""

from __future__ import annotations

import copy
from pathlib import Path

from agentid.aws_audit.trust_drift import declared_trust, undeclared_trust
from agentid_components.aws import trust
from agentid_components.loader import load_inventory
from tests.runtime.deployed import ACCOUNT, refs_for

INVENTORY = load_inventory(Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml").inventory


def kit_trust(agent: str) -> dict:
    return trust.trust_policy(INVENTORY.agent(agent), refs_for(INVENTORY.agent(agent)))


def drift(agent: str, document: dict) -> list[tuple[str, str]]:
    return undeclared_trust(document, f"arn:aws:iam::{ACCOUNT}:role/agent-{agent}", declared_trust(INVENTORY.agent(agent)))


def test_the_kits_trust_policies_declare_everything_they_admit():
    for agent in INVENTORY.agents:
        if any(tool.aws for tool in agent.tools):
            assert drift(agent.name, kit_trust(agent.name)) == [], agent.name


def test_another_spiffe_id_through_roles_anywhere():
    document = kit_trust("data-ingest")
    statement = next(s for s in document["Statement"] if s["Principal"].get("Service") == trust.ROLES_ANYWHERE_SERVICE)
    other = copy.deepcopy(statement)
    other["Sid"] = "Other"
    other["Condition"]["StringEquals"]["aws:PrincipalTag/x509SAN/URI"] = "spiffe://data.example.org/ns/other/sa/x"
    document["Statement"].append(other)
    assert drift("data-ingest", document) == [
        (f"Statement[{len(document['Statement']) - 1}] (Other)", "Roles Anywhere certificates of spiffe://data.example.org/ns/other/sa/x")
    ]


def test_another_service_account_through_pod_identity_and_an_unpinned_roles_anywhere_statement():
    document = kit_trust("support-triage")
    pod, self_assume = document["Statement"]
    assert self_assume["Sid"] == trust.SELF_ASSUME_SID  # the kit's own statement is not drift
    other = copy.deepcopy(pod)
    other["Sid"] = "Other"
    other["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] = "someone-else"
    document["Statement"].append(other)
    document["Statement"].append({
        "Sid": "AnyCert", "Effect": "Allow", "Principal": {"Service": trust.ROLES_ANYWHERE_SERVICE},
        "Action": trust.ROLES_ANYWHERE_ACTIONS,
    })
    assert drift("support-triage", document) == [
        ("Statement[2] (Other)", "EKS Pod Identity sessions of support/someone-else"),
        ("Statement[3] (AnyCert)", "Roles Anywhere certificates without a pinned SPIFFE URI SAN"),
    ]


def test_other_principals_and_the_role_itself():
    document = kit_trust("report-builder")
    document["Statement"] += [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/agent-report-builder"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    ]
    assert drift("report-builder", document) == [("Statement[2]", f"the AWS principal arn:aws:iam::{ACCOUNT}:root")]
