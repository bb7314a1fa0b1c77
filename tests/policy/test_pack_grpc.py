"""The agent_guard pack, started exactly as the engine starts it and driven over the analyzer gRPC protocol."""

from __future__ import annotations

import json
from pathlib import Path


from agentid.analyzer_client import StackResource
from agentid_policy_packs.rules.registry import RULES
from tests.policy.ruletools import ACCOUNT, GOOD_TAGS, UNKNOWN, allow, policy

PACK = Path(__file__).resolve().parents[2] / "policy_packs" / "agent_guard"
GITHUB = "token.actions.githubusercontent.com"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::kit::{type_}::{name}"


def good_trust() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com",
                                       f"{GITHUB}:sub": "repo:acme/triage:environment:prod"}}}]})


# good_trust's GitHub owner, listed as the gate lists its own (AGID-GEN-006: GitHub signs for every owner)
OWNERS = {"AGID-GEN-006": {"trustedRepositoryOwners": ["acme"]}}


def test_analyzer_info_lists_every_rule_with_metadata(pack):
    info = pack.info()
    assert info.name == "agent-guard" and info.supports_config
    assert [p.name for p in info.policies] == [rule.id for rule in RULES]
    by_name = {p.name: p for p in info.policies}
    assert by_name["AGID-AWS-001"].enforcement_level == "mandatory"
    assert by_name["AGID-AWS-001"].severity == "critical"
    assert by_name["AGID-LIFE-001"].enforcement_level == "advisory"
    assert by_name["AGID-AWS-021"].policy_type == "stack" and by_name["AGID-AWS-010"].policy_type == "resource"
    assert by_name["AGID-AWS-010"].url.startswith("https://docs.aws.amazon.com/")
    assert "maxLifetimeMinutes" in by_name["AGID-LIFE-001"].config_schema


def test_analyze_reports_violations_at_their_levels(pack):
    pack.configure(OWNERS)
    type_ = "aws:iam/accessKey:AccessKey"
    [diag] = pack.analyze(type_, "key", urn(type_, "key"), {"user": "ci-bot"})
    assert (diag.policy_name, diag.enforcement_level, diag.policy_pack_name) == ("AGID-AWS-001", "mandatory", "agent-guard")
    assert "long-lived static credential" in diag.message

    role_type = "aws:iam/role:Role"
    clean_role = {"name": "agent-triage", "assumeRolePolicy": good_trust(), "maxSessionDuration": 3600.0,
                  "tags": GOOD_TAGS,
                  "inlinePolicies": [{"name": "s3", "policy": policy(allow("s3:GetObject", "arn:aws:s3:::r/p/*"))}]}
    assert pack.analyze(role_type, "agent-triage", urn(role_type, "agent-triage"), clean_role) == []

    admin_role = {**clean_role, "maxSessionDuration": 43200.0,
                  "inlinePolicies": [{"name": "all", "policy": policy(allow("*"))}]}
    levels = {d.policy_name: d.enforcement_level for d in pack.analyze(role_type, "r", urn(role_type, "r"), admin_role)}
    assert levels == {"AGID-AWS-010": "mandatory", "AGID-LIFE-001": "advisory"}


def test_unknown_values_give_an_advisory_cannot_check_until_known(pack):
    pack.configure({})
    type_ = "aws:iam/policy:Policy"
    diags = pack.analyze(type_, "p", urn(type_, "p"), {"policy": UNKNOWN})
    assert diags and all(d.enforcement_level == "advisory" for d in diags)
    assert all("cannot check until known" in d.message for d in diags)


def test_configure_overrides_levels_and_settings(pack):
    role_type = "aws:iam/role:Role"
    role = {"assumeRolePolicy": good_trust(), "maxSessionDuration": 3600.0, "tags": GOOD_TAGS}
    pack.configure({**OWNERS, "AGID-LIFE-001": {"enforcementLevel": "mandatory", "maxLifetimeMinutes": 30}})
    [diag] = pack.analyze(role_type, "r", urn(role_type, "r"), role)
    assert (diag.policy_name, diag.enforcement_level) == ("AGID-LIFE-001", "mandatory")
    assert "30-minute cap" in diag.message

    pack.configure({"AGID-AWS-001": "disabled"})
    assert pack.analyze("aws:iam/accessKey:AccessKey", "k", urn("aws:iam/accessKey:AccessKey", "k"), {}) == []
    pack.configure({"AGID-AWS-001": "advisory"})
    [diag] = pack.analyze("aws:iam/accessKey:AccessKey", "k", urn("aws:iam/accessKey:AccessKey", "k"), {})
    assert diag.enforcement_level == "advisory"
    pack.configure({})  # Configure replaces the whole map: back to defaults
    [diag] = pack.analyze("aws:iam/accessKey:AccessKey", "k", urn("aws:iam/accessKey:AccessKey", "k"), {})
    assert diag.enforcement_level == "mandatory"


def test_analyze_stack_runs_cross_resource_rules(pack):
    pack.configure({})
    role_type, rp_type = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
    role = StackResource(role_type, "agent-triage", urn(role_type, "agent-triage"),
                         {"name": "agent-triage", "assumeRolePolicy": good_trust(), "tags": GOOD_TAGS})
    passrole = StackResource(rp_type, "pass", urn(rp_type, "pass"),
                             {"role": "agent-triage", "policy": policy(allow("iam:PassRole"))},
                             parent=role.urn)
    compute = StackResource(rp_type, "compute", urn(rp_type, "compute"),
                            {"role": "agent-triage",
                             "policy": policy(allow(["lambda:CreateFunction", "lambda:InvokeFunction"]))})
    orphan = StackResource("azure-native:managedidentity:UserAssignedIdentity", "orphan",
                           urn("azure-native:managedidentity:UserAssignedIdentity", "orphan"), {"tags": {}})
    diags = pack.analyze_stack([role, passrole, compute, orphan])
    by_policy = {d.policy_name: d for d in diags}
    assert set(by_policy) == {"AGID-AWS-021", "AGID-INV-002"}
    assert by_policy["AGID-AWS-021"].urn == role.urn and by_policy["AGID-AWS-021"].enforcement_level == "mandatory"
    assert "PassRoleLambdaInvoke" in by_policy["AGID-AWS-021"].message
    assert by_policy["AGID-INV-002"].urn == orphan.urn
    assert pack.analyze_stack([role]) == []
