"""issue 11 (awsesc3) over gRPC: escalation methods that passed the gate as an agent's or CI role's policy.

* eks:AssociateAccessPolicy alone: cluster-admin on an EXISTING access entry (the holder's own or any principal's it can
  use); harmless only with eks:policyArn pinned to AmazonEKSViewPolicy. Split from eks:CreateAccessEntry across two
  policies of one role, AGID-AWS-021 names the pair.
* ssm:UpdateDocument (a document run at $LATEST) and with ssm:UpdateDocumentDefaultVersion (at $DEFAULT): what an
  existing association, maintenance-window task or rule runs; harmless with ssm:DocumentType pinned to ChangeCalendar.
* events:PutTargets on an existing rule with a role passed to events.amazonaws.com (no PutRule needed); PutTargets
  without a PassRole (targets that need no role: their input only) passes.
  The same kind: scheduler:UpdateSchedule and config:PutRemediationConfigurations with a passed role on an existing
  schedule or Config rule, scheduler:CreateSchedule on a named schedule, and ssm:RegisterTaskWithMaintenanceWindow
  alone (a task without ServiceRoleArn runs as SSM's service-linked role on the window's or any named instances).
* rolesanywhere:CreateTrustAnchor alone: a CA of the holder's for every existing profile's roles.
Each: the exact rule id and level, the flagged resource's name, and a look-alike that passes.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import flagged_names, stack_findings
from tests.policy.test_pack_grpc import urn

POLICY = "aws:iam/policy:Policy"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
ACCOUNT = "111122223333"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
OPS_DOC = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:document/ops-run"
OTHER_DOC = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:document/agent-notes"
INSTANCES = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/*"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def allow(actions, resource="*", condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


def document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def policy(*statements) -> tuple:
    return (POLICY, "tool", {"policy": document(*statements)})


def aws020(pack, *statements) -> tuple[list[str], list[str]]:
    """(names AGID-AWS-020 flags mandatory, the messages) for one managed policy of `statements`."""
    type_, name, props = policy(*statements)
    diags = [d for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == "AGID-AWS-020"]
    assert all(d.enforcement_level == "mandatory" for d in diags)
    return [name for _ in diags], [d.message for d in diags]


def blocks_alone(pack, *statements) -> str:
    """The message of the one mandatory AGID-AWS-020 finding a managed policy of `statements` gets (asserted one)."""
    names, messages = aws020(pack, *statements)
    assert names == ["tool"], messages
    return messages[0]


def passes_aws020_and_021(pack, *statements) -> None:
    """A managed policy of `statements` gets no AGID-AWS-020 and no AGID-AWS-021 finding."""
    assert aws020(pack, *statements) == ([], [])
    assert flagged_names(pack, "AGID-AWS-021", policy(*statements)) == []


FLAGGED = {
    "EksAssociateAccessPolicy": [allow("eks:AssociateAccessPolicy")],
    "EksCreateAccessEntry": [allow("eks:CreateAccessEntry")],  # groups the cluster's RBAC binds, as UpdateAccessEntry
    "EksAssociateAccessPolicy on cluster-admin": [allow("eks:AssociateAccessPolicy", condition={
        "StringEquals": {"eks:policyArn": CLUSTER_ADMIN}})],
    "EksAssociateAccessPolicy on a view pattern": [allow("eks:AssociateAccessPolicy", condition={
        "StringLike": {"eks:policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKS*View*"}})],
    "EksAssociateAccessPolicy IfExists": [allow("eks:AssociateAccessPolicy", condition={
        "StringEqualsIfExists": {"eks:policyArn": [VIEW, CLUSTER_ADMIN]}})],
    "SsmUpdateDocument": [allow("ssm:UpdateDocument")],
    "SsmUpdateDocument on command documents": [allow("ssm:UpdateDocument", condition={
        "StringEquals": {"ssm:DocumentType": "Command"}})],
    "SsmUpdateDocumentDefaultVersion": [allow(["ssm:UpdateDocument", "ssm:UpdateDocumentDefaultVersion"])],
    "PassRoleEventBridgeRuleTarget": [allow(["events:PutTargets", "iam:PassRole"])],
    "PassRoleEventBridgeRuleTarget on a named rule": [
        allow("events:PutTargets", f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/nightly"),
        allow("iam:PassRole", condition={"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}})],
    # the same kind as PutTargets: a passed role (or SSM's own service-linked role) on an EXISTING schedule, rule, window
    "PassRoleSchedulerUpdateSchedule": [allow(["scheduler:UpdateSchedule", "iam:PassRole"])],
    "PassRoleScheduler on a named schedule": [
        allow("scheduler:CreateSchedule", f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule/default/nightly"),
        allow("iam:PassRole")],
    "PassRoleConfigRemediationExistingRule": [allow(["config:PutRemediationConfigurations", "iam:PassRole"])],
    "SsmRegisterMaintenanceWindowTask": [allow("ssm:RegisterTaskWithMaintenanceWindow")],
    # SendCommand pinned to a customer document the holder may create or rewrite: any command on every instance
    "SsmCreateDocumentSendCommand": [allow("ssm:SendCommand", [OPS_DOC, INSTANCES]), allow("ssm:CreateDocument")],
    "SsmCreateDocumentSendCommand under the granted name": [allow("ssm:SendCommand", [OPS_DOC, INSTANCES]),
                                                            allow("ssm:CreateDocument", OPS_DOC)],
    "SsmUpdateDocumentSendCommand": [allow(["ssm:SendCommand", "ssm:UpdateDocument"], [OPS_DOC, INSTANCES])],
    "RolesAnywhereCreateTrustAnchor": [allow("rolesanywhere:CreateTrustAnchor")],
    "RolesAnywhereCreateTrustAnchor by wildcard": [allow("rolesanywhere:Create*")],
}
METHOD = {case: case.split(" ", 1)[0] for case in FLAGGED}

LOOK_ALIKE = {
    "AssociateAccessPolicy pinned to the view policy": [allow("eks:AssociateAccessPolicy", condition={
        "StringEquals": {"eks:policyArn": VIEW}})],
    "EKS reads": [allow(["eks:DescribeAccessEntry", "eks:ListAssociatedAccessPolicies", "eks:ListAccessPolicies"])],
    "UpdateDocument of change calendars": [allow(["ssm:UpdateDocument", "ssm:UpdateDocumentDefaultVersion"], condition={
        "StringEquals": {"ssm:DocumentType": ["ChangeCalendar"]}})],
    "SSM document reads": [allow(["ssm:GetDocument", "ssm:DescribeDocument", "ssm:ListDocumentVersions"])],
    "UpdateDocumentDefaultVersion alone": [allow("ssm:UpdateDocumentDefaultVersion")],
    "PutTargets without a role": [allow(["events:PutTargets", "events:PutRule"])],
    "PutTargets with a role passed to another service": [
        allow("events:PutTargets"),
        allow("iam:PassRole", condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})],
    "UpdateSchedule without a PassRole": [allow("scheduler:UpdateSchedule")],
    "UpdateSchedule with a role passed to ECS tasks": [
        allow("scheduler:UpdateSchedule"),
        allow("iam:PassRole", condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})],
    "PutRemediationConfigurations without a PassRole": [allow("config:PutRemediationConfigurations")],
    "maintenance window reads": [allow(["ssm:GetMaintenanceWindowTask", "ssm:DescribeMaintenanceWindowTasks"])],
    "SendCommand of a customer document the holder cannot write": [allow("ssm:SendCommand", [OPS_DOC, INSTANCES]),
                                                                    allow("ssm:CreateDocument", OTHER_DOC)],
    "SendCommand of a customer document, change calendars writable": [
        allow("ssm:SendCommand", [OPS_DOC, INSTANCES]),
        allow("ssm:UpdateDocument", OPS_DOC, {"StringEquals": {"ssm:DocumentType": "ChangeCalendar"}})],
    "Roles Anywhere reads": [allow(["rolesanywhere:ListTrustAnchors", "rolesanywhere:GetTrustAnchor"])],
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_each_method_blocks_alone(pack, case) -> None:
    message = blocks_alone(pack, *FLAGGED[case])
    assert f"({METHOD[case]}): can " in message or f" {METHOD[case]}" in message.split(". First:")[0]


@pytest.mark.parametrize("case", sorted(LOOK_ALIKE))
def test_each_look_alike_passes(pack, case) -> None:
    passes_aws020_and_021(pack, *LOOK_ALIKE[case])


def role_with(*documents) -> list[StackResource]:
    role = StackResource(ROLE, "ci", urn(ROLE, "ci"), {"name": "ci-deploy", "assumeRolePolicy": TRUST})
    return [role, *(StackResource(ROLE_POLICY, f"p{i}", urn(ROLE_POLICY, f"p{i}"), {"role": "ci-deploy", "policy": d})
                    for i, d in enumerate(documents))]


def test_the_eks_pair_split_across_two_policies_of_one_role_is_found_by_aws021(pack) -> None:
    entry, associate = document(allow("eks:CreateAccessEntry")), document(allow("eks:AssociateAccessPolicy"))
    [(name, message)] = stack_findings(pack, "AGID-AWS-021", role_with(entry, associate), "mandatory")
    assert name == "ci" and "(EksAccessEntry)" in message
    # each half is AGID-AWS-020's on its own policy (the association: cluster-admin on an existing entry; the entry:
    # Kubernetes groups), the pair AGID-AWS-021's
    for label, doc in (("p0", entry), ("p1", associate)):
        assert flagged_names(pack, "AGID-AWS-020", (ROLE_POLICY, label, {"role": "ci-deploy", "policy": doc}),
                             "mandatory") == [label]
    # look-alike: the entry on one named cluster's entries only (AGID-AWS-056 judges the named target) and the
    # association pinned to the view policy: no combination across the two
    named = document(allow("eks:CreateAccessEntry", f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod"))
    pinned = document(allow("eks:AssociateAccessPolicy", condition={"StringEquals": {"eks:policyArn": VIEW}}))
    assert stack_findings(pack, "AGID-AWS-021", role_with(named, pinned)) == []


def test_the_passrole_and_put_targets_split_across_two_policies_is_found_by_aws021(pack) -> None:
    targets, passrole = document(allow("events:PutTargets")), document(allow("iam:PassRole"))
    [(name, message)] = stack_findings(pack, "AGID-AWS-021", role_with(targets, passrole), "mandatory")
    assert name == "ci" and "(PassRoleEventBridgeRuleTarget)" in message
    scoped = document(allow("iam:PassRole", condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}))
    assert stack_findings(pack, "AGID-AWS-021", role_with(targets, scoped)) == []


def test_the_ssm_pair_split_across_two_policies_is_found_by_aws021(pack) -> None:
    """UpdateDocument alone is a method (a $LATEST runner); with the default-version switch in another policy the pair
    (a $DEFAULT runner) is AGID-AWS-021's too."""
    update, default = document(allow("ssm:UpdateDocument")), document(allow("ssm:UpdateDocumentDefaultVersion"))
    [(name, message)] = stack_findings(pack, "AGID-AWS-021", role_with(update, default), "mandatory")
    assert name == "ci" and "(SsmUpdateDocumentDefaultVersion)" in message


# --- item 6: an EKS access policy association without the access entry in the program -----------------------------
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
OWN, FOREIGN = "123456789012", "999988887777"
ADMIN_VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"


def association(principal: str, policy_arn: str) -> tuple:
    return (ASSOCIATION, "assoc", {"clusterName": "prod", "principalArn": principal, "policyArn": policy_arn,
                                   "accessScope": {"type": "cluster"}})


def test_an_association_for_another_accounts_principal_blocks_whatever_the_policy(pack) -> None:
    pack.configure({"all": {"ownAccountIds": [OWN]}})
    try:
        for policy_arn in (VIEW, CLUSTER_ADMIN):
            found = stack_findings(pack, "AGID-AWS-064",
                                   [association(f"arn:aws:iam::{FOREIGN}:role/partner-ci", policy_arn)], "mandatory")
            assert [name for name, _ in found] == ["assoc"], found
            assert f"account {FOREIGN} is a foreign account" in found[0][1]
        # look-alike: the same association for a principal of an own account is not AGID-AWS-064's
        assert stack_findings(pack, "AGID-AWS-064", [association(f"arn:aws:iam::{OWN}:role/partner-ci", VIEW)]) == []
    finally:
        pack.configure({})


def test_an_association_beyond_view_for_a_principal_the_stack_does_not_define_blocks(pack) -> None:
    """AGID-AWS-057 judged only admin / edit / auto-node policies: AmazonEKSAdminViewPolicy (reads Secrets) or a policy
    AWS adds later for an outside principal passed. Every policy but the view-only one is judged now."""
    pack.configure({"all": {"ownAccountIds": [OWN]}})
    try:
        outside = f"arn:aws:iam::{OWN}:role/ops-admin"
        for policy_arn in (ADMIN_VIEW, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSFuturePolicy", CLUSTER_ADMIN):
            found = stack_findings(pack, "AGID-AWS-057", [association(outside, policy_arn)], "mandatory")
            assert [name for name, _ in found] == ["assoc"], (policy_arn, found)
            assert "makes a principal more than a viewer of the cluster" in found[0][1]
        # look-alikes: the view-only policy for it; admin-view for a role this stack defines (its policies are judged)
        assert stack_findings(pack, "AGID-AWS-057", [association(outside, VIEW)]) == []
        role = StackResource(ROLE, "reader", urn(ROLE, "reader"), {"name": "reader", "assumeRolePolicy": TRUST})
        mine = StackResource(ASSOCIATION, "assoc", urn(ASSOCIATION, "assoc"), association(
            f"arn:aws:iam::{OWN}:role/reader", ADMIN_VIEW)[2], dependencies=[role.urn])
        assert stack_findings(pack, "AGID-AWS-057", [role, mine]) == []
    finally:
        pack.configure({})


# --- item 5: an AgentCore gateway target calling its target with the caller's IAM credentials ----------------------
GATEWAY_TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget"


def gateway_target(credentials: dict) -> tuple:
    return (GATEWAY_TARGET, "runtime-target", {
        "gatewayIdentifier": "gw-123", "name": "runtime",
        "targetConfiguration": {"mcp": {"mcpServer": {
            "endpoint": "https://bedrock-agentcore.eu-west-1.amazonaws.com/runtimes/tools/invocations"}}},
        "credentialProviderConfiguration": credentials})


@pytest.mark.parametrize("credentials", [
    {"callerIamCredentials": {"service": "bedrock-agentcore"}},
    {"callerIamCredentials": {"service": "execute-api", "region": "eu-west-1"}},
    {"callerIamCredentials": {"service": "bedrock-agentcore"}, "gatewayIamRole": {"service": "bedrock-agentcore"}},
])
def test_a_target_reached_with_the_callers_iam_credentials_blocks(pack, credentials) -> None:
    type_, name, props = gateway_target(credentials)
    diags = [d for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == "AGID-AWS-071"]
    assert [(d.enforcement_level, name in d.message) for d in diags] == [("mandatory", True)]
    assert "with the caller's IAM credentials" in diags[0].message


def test_a_target_reached_with_the_gateways_own_role_passes_and_an_unknown_block_cannot_be_checked(pack) -> None:
    from tests.policy.ruletools import UNKNOWN

    assert flagged_names(pack, "AGID-AWS-071", gateway_target({"gatewayIamRole": {"service": "bedrock-agentcore"}})) == []
    type_, name, props = gateway_target({"callerIamCredentials": UNKNOWN})
    diags = [d for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == "AGID-AWS-071"]
    assert len(diags) == 1 and "callerIamCredentials" in diags[0].message and "cannot check" in diags[0].message


def test_the_caller_iam_credentials_block_is_the_sdks_input() -> None:
    from pulumi_aws.bedrock._inputs import AgentcoreGatewayTargetCredentialProviderConfigurationArgs

    from tests.policy.sdk_args import inputs

    assert "callerIamCredentials" in inputs(AgentcoreGatewayTargetCredentialProviderConfigurationArgs)


# --- item 2, the runner side: AWS-ConfigureAWSPackage installs whatever package document it names -----------------
SSM_ASSOCIATION = "aws:ssm/association:Association"
MAINTENANCE_TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"


def package_association(package) -> tuple:
    return (SSM_ASSOCIATION, "install", {"name": "AWS-ConfigureAWSPackage", "parameters": {
        "action": "Install", "name": package}, "targets": [{"key": "tag:Role", "values": ["web"]}]})


def package_task(package) -> tuple:
    return (MAINTENANCE_TASK, "install", {
        "windowId": "mw-0123456789abcdef0", "taskType": "RUN_COMMAND", "taskArn": "AWS-ConfigureAWSPackage",
        "targets": [{"key": "WindowTargetIds", "values": ["t-1"]}],
        "taskInvocationParameters": {"runCommandParameters": {"parameters": [
            {"name": "action", "values": ["Install"]}, {"name": "name", "values": [package]}]}}})


@pytest.mark.parametrize("runner", [package_association, package_task])
def test_installing_a_customer_package_at_deploy_time_blocks_and_an_aws_package_passes(pack, runner) -> None:
    """A Distributor package is a document whose install script runs as root: a customer's (any name without AWS's
    reserved aws/amazon/amzn prefix, or another account's by ARN) is code the gate cannot judge, rewritable by
    ssm:UpdateDocument (SsmUpdateDocument); AWS-ConfigureAWSPackage was exempt whatever it installed."""
    for package in ("AcmeMonitoringAgent", f"arn:aws:ssm:eu-west-1:{FOREIGN}:document/AWSLookalike"):
        found = stack_findings(pack, "AGID-AWS-057", [runner(package)], "mandatory")
        assert [name for name, _ in found] == ["install"], (package, found)
        assert f"it installs package {package}" in found[0][1]
    for package in ("AmazonCloudWatchAgent", "AWSPVDriver"):
        assert stack_findings(pack, "AGID-AWS-057", [runner(package)]) == [], package
