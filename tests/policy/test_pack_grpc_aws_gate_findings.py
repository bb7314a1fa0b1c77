"""Outside reviewers' AWS findings (red3, red4; issue 11), sent to agent_guard as the engine sends them.

Each got `agentid preview` PASS (advisories only). Every case: the resource that must be flagged by the rule,
at mandatory, and the look-alike a careful program writes, which that rule must leave alone. Roles also get the
inventory rules' advisories (AGID-INV-*), so each case looks at the rule under test only.
red4's repros were lost: the cases below re-create them from the findings.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.test_pack_grpc import PACK, urn

ACCOUNT = "123456789012"  # the stack's own account, as the gate configures it
STRANGER = "999999999999"
ROLE = "aws:iam/role:Role"
OWN = {"ownAccountIds": [ACCOUNT], "ownOrganizationIds": ["o-a1b2c3d4e5"]}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal: dict[str, Any], action: str = "sts:AssumeRole", condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return {"assumeRolePolicy": document(statement)}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({rule: OWN for rule in ("AGID-AWS-032", "AGID-AWS-047")})
        yield running


def judged(pack, type_: str, name: str, props: dict[str, Any], rule_id: str) -> list:
    return [d for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == rule_id]


def assert_mandatory(pack, type_: str, name: str, props: dict[str, Any], rule_id: str, *needles: str) -> None:
    diags = judged(pack, type_, name, props, rule_id)
    assert [d.enforcement_level for d in diags] == ["mandatory"], [d.message for d in diags]
    for needle in needles:
        assert needle in diags[0].message


# --- cross-account trust (red3 b01_xacct.py, finding 11) -----------------------------------------------------

def test_foreign_account_trust_without_external_id_blocks(pack):
    root = {"AWS": f"arn:aws:iam::{STRANGER}:root"}
    assert_mandatory(pack, ROLE, "xacct", trust(root), "AGID-AWS-032", STRANGER)
    assert_mandatory(pack, ROLE, "xacct-role", trust({"AWS": f"arn:aws:iam::{STRANGER}:role/ci"}), "AGID-AWS-032")
    # an external id is a vendor's confused-deputy guard, not proof the account is ours (red20 r20-9): a waiver's
    assert_mandatory(pack, ROLE, "xacct", trust(root, condition={"StringEquals": {"sts:ExternalId": "tenant-42"}}),
                     "AGID-AWS-032", STRANGER, "sts:externalid", "waiver")
    # look-alikes: the organization, or the stack's own account (with or without an external id)
    assert judged(pack, ROLE, "own", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, condition={
        "StringEquals": {"sts:ExternalId": "tenant-42"}}), "AGID-AWS-032") == []
    assert judged(pack, ROLE, "xacct", trust(root, condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
                  "AGID-AWS-032") == []
    # an organization the gate does not list is the pull request's word (r15-7): the stranger's own, say
    assert_mandatory(pack, ROLE, "xacct", trust(root, condition={"StringEquals": {"aws:PrincipalOrgID": "o-stranger000"}}),
                     "AGID-AWS-032", STRANGER, "organization o-stranger000 is not one of yours")
    assert judged(pack, ROLE, "own", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), "AGID-AWS-032") == []


def test_foreign_account_trust_by_external_id_or_principal_arn_blocks(pack):
    """red20 r20-9: the repro's two trusts of account 999988887777, each a mandatory AGID-AWS-032 on its role; the same
    shapes naming the stack's own account pass."""
    foreign = "999988887777"
    assert_mandatory(pack, ROLE, "r9-foreign-extid", trust({"AWS": f"arn:aws:iam::{foreign}:root"}, condition={
        "StringEquals": {"sts:ExternalId": "x"}}), "AGID-AWS-032", foreign, f"not one of the stack's own ({ACCOUNT})")
    principal_arn = {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{foreign}:role/anything"}}
    assert_mandatory(pack, ROLE, "r9-foreign-principalarn", trust({"AWS": "*"}, ["sts:AssumeRole", "sts:TagSession"],
                                                                  principal_arn), "AGID-AWS-032", foreign)
    own_arn = {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ci"}}
    assert judged(pack, ROLE, "own-principalarn", trust({"AWS": "*"}, ["sts:AssumeRole", "sts:TagSession"], own_arn),
                  "AGID-AWS-032") == []
    assert judged(pack, ROLE, "own-pinned", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, condition=own_arn),
                  "AGID-AWS-032") == []


def test_foreign_account_trust_fails_closed_without_own_accounts(pack):
    pack.configure({})
    try:
        assert_mandatory(pack, ROLE, "own", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), "AGID-AWS-032", ACCOUNT)
    finally:
        pack.configure({rule: OWN for rule in ("AGID-AWS-032", "AGID-AWS-047")})


# --- SAML trust without an audience (red4) -------------------------------------------------------------------

SAML_PROVIDER = {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"}
SIGN_IN = "https://signin.aws.amazon.com/saml"


@pytest.mark.parametrize("action,condition", [
    ("sts:AssumeRoleWithSAML", None),
    (["sts:AssumeRoleWithSAML", "sts:TagSession"], {"StringEquals": {"saml:sub": "alice@example.com"}}),
    ("sts:AssumeRole*", {"StringLike": {"SAML:aud": "*"}}),
    ("sts:AssumeRoleWithSAML", {"StringEqualsIfExists": {"SAML:aud": SIGN_IN}}),
    ("sts:AssumeRoleWithSAML", {"StringNotEquals": {"SAML:aud": "https://evil.example.net/acs"}}),
], ids=["no-condition", "subject-only", "wildcard-aud", "if-exists", "negative"])
def test_saml_trust_without_exact_audience_blocks(pack, action, condition):
    assert_mandatory(pack, ROLE, "saml", trust(SAML_PROVIDER, action, condition), "AGID-AWS-031",
                     "saml-provider/Okta", "SAML:aud")


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"SAML:aud": SIGN_IN}},
    {"StringEquals": {"saml:aud": "https://eu-west-1.signin.aws.amazon.com/saml"}},
    {"StringEquals": {"SAML:aud": SIGN_IN, "saml:sub": "alice@example.com"}},
], ids=["console", "regional-lower-case-key", "with-subject"])
def test_saml_trust_with_exact_audience_passes(pack, condition):
    assert judged(pack, ROLE, "saml", trust(SAML_PROVIDER, "sts:AssumeRoleWithSAML", condition), "AGID-AWS-031") == []


# --- one pack-wide ownAccountIds (issue 11 item 6), as `pulumi preview --policy-pack-config` sends it -------------

def test_pack_wide_own_accounts_reach_every_rule_that_takes_them(pack):
    role_policy = {"role": "agent-ops", "policy": document(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/agent-tool"})}
    own_trust = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    pack.configure({})
    try:
        assert judged(pack, ROLE, "own", own_trust, "AGID-AWS-032")
        assert judged(pack, "aws:iam/rolePolicy:RolePolicy", "ops", role_policy, "AGID-AWS-052")
        # an `all` entry as an engine sends it (Pulumi sends one only with a valid level: the client adds advisory)
        pack.configure({"all": {"ownAccountIds": [ACCOUNT]}})
        assert judged(pack, ROLE, "own", own_trust, "AGID-AWS-032") == []
        assert judged(pack, "aws:iam/rolePolicy:RolePolicy", "ops", role_policy, "AGID-AWS-052") == []
        assert judged(pack, ROLE, "xacct", trust({"AWS": f"arn:aws:iam::{STRANGER}:root"}), "AGID-AWS-032")
        # the list under one rule still works, joined with the pack-wide one
        pack.configure({"all": {"ownAccountIds": [ACCOUNT]}, "AGID-AWS-032": {"ownAccountIds": [STRANGER]}})
        assert judged(pack, ROLE, "xacct", trust({"AWS": f"arn:aws:iam::{STRANGER}:root"}), "AGID-AWS-032") == []
        assert judged(pack, ROLE, "own", own_trust, "AGID-AWS-032") == []
    finally:
        pack.configure({rule: OWN for rule in ("AGID-AWS-032", "AGID-AWS-047")})
