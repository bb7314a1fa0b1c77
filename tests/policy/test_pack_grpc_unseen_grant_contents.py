"""Grants whose content lives outside the stack fail closed, over gRPC (red7b f15 and the lead's review of the
"cannot check" rules): joining an IAM or Identity Center group the stack does not define, a legacy directory role
membership by a role object id the stack does not activate, and every other "cannot read what it grants" rule
(AGID-AWS-014, AGID-AWS-015, AGID-AWS-044, AGID-AZ-013) blocks (mandatory), as AGID-GCP-011 and AGID-K8S-006 do for
GCP and Kubernetes roles the stack does not define. Look-alikes: the stack's own group (by name, ARN or Output), the
stack's own Identity Center group, a directory role the stack activates that is not privileged.
"""

from __future__ import annotations

import json

from agentid.analyzer_client import StackResource
from agentid.mock_engine import UNKNOWN
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

GROUP = "aws:iam/group:Group"
USER = "aws:iam/user:User"
UGM = "aws:iam/userGroupMembership:UserGroupMembership"
GM = "aws:iam/groupMembership:GroupMembership"
STORE_GROUP = "aws:identitystore/group:Group"
STORE_MEMBERSHIP = "aws:identitystore/groupMembership:GroupMembership"
DIRECTORY_ROLE = "azuread:index/directoryRole:DirectoryRole"
ROLE_MEMBER = "azuread:index/directoryRoleMember:DirectoryRoleMember"


def own_messages(findings: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, the rule's own message) without the policy description the SDK puts first."""
    return [(name, message.rsplit("\n", 1)[-1].split("] ", 1)[-1]) for name, message in findings]


def resource(type_: str, name: str, props: dict, depends: tuple[str, ...] = ()) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends))


def test_joining_an_iam_group_the_stack_does_not_define_blocks(pack) -> None:
    user = resource(USER, "dev", {"name": "dev"})
    group = resource(GROUP, "readers", {"name": "Readers", "path": "/"})
    stack = [user, group,
             resource(UGM, "admins", {"user": "dev", "groups": ["Readers", "Administrators"]}),
             resource(GM, "ops", {"group": "arn:aws:iam::123456789012:group/Ops", "users": ["dev"]}),
             resource(UGM, "own-by-name", {"user": "dev", "groups": ["readers"]}),  # IAM names ignore case
             resource(UGM, "own-by-output", {"user": "dev", "groups": [UNKNOWN]}, (group.urn,)),
             resource(GM, "own-by-arn", {"group": "arn:aws:iam::123456789012:group/Readers", "users": ["dev"]})]
    findings = own_messages(stack_findings(pack, "AGID-AWS-015", stack, level="mandatory"))
    assert findings == [
        ("admins", "admins adds IAM users to the group 'Administrators', which this stack does not define: cannot "
                   "check what the group's policies grant"),
        ("ops", "ops adds IAM users to the group 'arn:aws:iam::123456789012:group/Ops', which this stack does not "
                "define: cannot check what the group's policies grant")]


def test_joining_an_identity_center_group_the_stack_does_not_define_blocks(pack) -> None:
    group = resource(STORE_GROUP, "agents", {"identityStoreId": "d-1234567890", "displayName": "agents"})

    def membership(name: str, group_id, depends=()) -> StackResource:
        return resource(STORE_MEMBERSHIP, name, {"identityStoreId": "d-1234567890", "groupId": group_id,
                                                 "memberId": "u-123"}, depends)
    stack = [group, membership("admins", "g-admins"), membership("decoy", "g-admins", (group.urn,)),
             membership("own", UNKNOWN, (group.urn,)), membership("computed", UNKNOWN)]
    findings = own_messages(stack_findings(pack, "AGID-AWS-015", stack, level="mandatory"))
    assert [name for name, _ in findings] == ["admins", "decoy"]
    assert findings[0][1] == ("admins adds u-123 to the Identity Center group 'g-admins', which this stack does not "
                              "define: cannot check which permission sets the group holds in which accounts")
    # a group id nothing explains reaches the engine as the SDK's stack-wide "cannot check until known" (no URN)
    assert any("cannot check until known: computed.groupId is computed during preview" in d.message
               for d in pack.analyze_stack(stack) if d.policy_name == "AGID-AWS-015")


def test_a_directory_role_member_by_an_object_id_the_stack_does_not_activate_blocks(pack) -> None:
    readers = resource(DIRECTORY_ROLE, "readers", {"displayName": "Directory Readers"})
    stack = [readers,
             resource(ROLE_MEMBER, "literal", {"roleObjectId": "33333333-0000-0000-0000-000000000001",
                                               "memberObjectId": "sp"}),
             resource(ROLE_MEMBER, "own", {"roleObjectId": UNKNOWN, "memberObjectId": "sp"}, (readers.urn,))]
    assert own_messages(stack_findings(pack, "AGID-AZ-020", stack, level="mandatory")) == [
        ("literal", "literal: cannot check: roleObjectId '33333333-0000-0000-0000-000000000001' is the object id of a "
                    "directory role this stack does not activate (azuread.DirectoryRole), so which role it grants "
                    "cannot be judged")]


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::123456789012:role/CorpAdmin"}]})


def test_every_cannot_read_the_grant_rule_blocks(pack) -> None:
    pack.configure({"AGID-AWS-044": {"ownAccountIds": ["123456789012"]},
                    "AGID-AWS-052": {"ownAccountIds": ["123456789012"]}})
    role = resource("aws:iam/role:Role", "agent", {"name": "agent", "assumeRolePolicy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]})})
    stack = [role,
             resource("aws:iam/rolePolicy:RolePolicy", "hop", {"role": "agent", "policy": POLICY}),
             resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "corp",
                      {"role": "agent", "policyArn": "arn:aws:iam::123456789012:policy/CorpAdmin"}),
             resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "new-managed",
                      {"role": "agent", "policyArn": "arn:aws:iam::aws:policy/NotInTheSnapshotYet"}),
             resource("azure-native:authorization:RoleAssignment", "custom", {
                 "principalId": "11111111-2222-3333-4444-555555555555", "principalType": "ServicePrincipal",
                 "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/"
                                     "99999999-aaaa-bbbb-cccc-dddddddddddd",
                 "scope": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa"})]
    try:
        mandatory = {(d.policy_name, d.urn.rsplit("::", 1)[-1]) for d in pack.analyze_stack(stack)
                     if d.enforcement_level == "mandatory"}
        for type_, name, props in [(r.type, r.name, r.properties) for r in stack]:
            mandatory |= {(d.policy_name, name) for d in pack.analyze(type_, name, urn(type_, name), props)
                          if d.enforcement_level == "mandatory"}
    finally:
        pack.configure({})
    assert {("AGID-AWS-044", "hop"), ("AGID-AWS-015", "corp"), ("AGID-AWS-014", "new-managed"),
            ("AGID-AZ-013", "custom")} <= mandatory


def unknown_paths(pack, stack) -> list[str]:
    """The inputs AGID-AWS-015's stack-wide "cannot check until known" names (the SDK joins them in one message)."""
    found = [d.message.rsplit("cannot check until known: ", 1)[-1].removesuffix(" is computed during preview")
             for d in pack.analyze_stack(stack) if d.policy_name == "AGID-AWS-015" and "cannot check until known" in d.message]
    return sorted(path for message in found for path in message.split(", "))


def test_an_identity_center_group_id_is_the_stacks_only_as_its_input_proves(pack) -> None:
    """issue 11: a membership whose groupId is a constant behind a bucket's Output (an existing admin group) with
    `depends_on=[the stack's group]` passed. It cannot be checked until known; where the engine sends the input's
    propertyDependencies, they decide: groupId from the stack group beside memberId from a stack user (a dependency
    on both) passes, groupId from the bucket with a bare depends_on the group cannot be checked."""
    group = resource(STORE_GROUP, "agents", {"identityStoreId": "d-1234567890", "displayName": "agents"})
    user = resource("aws:identitystore/user:User", "bot", {"identityStoreId": "d-1234567890", "userName": "bot"})
    bucket = resource("aws:s3/bucketV2:BucketV2", "marker", {})

    def membership(name: str, depends, by_input=None) -> StackResource:
        member = resource(STORE_MEMBERSHIP, name, {"identityStoreId": "d-1234567890", "groupId": UNKNOWN,
                                                   "memberId": UNKNOWN}, depends)
        member.property_dependencies = by_input
        return member

    stack = [group, user, bucket,
             membership("hidden", (group.urn, bucket.urn)),
             membership("hidden-by-input", (group.urn, bucket.urn), {"groupId": [bucket.urn]}),
             membership("own-by-input", (group.urn, user.urn), {"groupId": [group.urn], "memberId": [user.urn]}),
             membership("own", (group.urn,))]
    assert unknown_paths(pack, stack) == ["hidden-by-input.groupId", "hidden.groupId"]


def test_a_permission_set_arn_is_the_stacks_only_as_its_input_proves(pack) -> None:
    """issue 11: an AccountAssignment whose permissionSetArn is a constant behind another Output with `depends_on` the
    stack's permission set passed silently; an ARN nothing explains passed too. Both cannot be checked until known;
    the stack's permission set's own Output (by the input's propertyDependencies, or the only dependency) passes."""
    ps = resource("aws:ssoadmin/permissionSet:PermissionSet", "ps", {"instanceArn": "arn:aws:sso:::instance/ssoins-1",
                                                                     "name": "AgentOps"})
    group = resource(STORE_GROUP, "agents", {"identityStoreId": "d-1234567890", "displayName": "agents"})
    bucket = resource("aws:s3/bucketV2:BucketV2", "marker", {})

    def assignment(name: str, depends, by_input=None) -> StackResource:
        found = resource("aws:ssoadmin/accountAssignment:AccountAssignment", name, {
            "instanceArn": "arn:aws:sso:::instance/ssoins-1", "permissionSetArn": UNKNOWN, "principalId": UNKNOWN,
            "principalType": "GROUP", "targetId": "123456789012", "targetType": "AWS_ACCOUNT"}, depends)
        found.property_dependencies = by_input
        return found

    stack = [ps, group, bucket, assignment("hidden", (ps.urn, bucket.urn)), assignment("nothing", ()),
             assignment("hidden-by-input", (ps.urn, group.urn), {"permissionSetArn": [bucket.urn]}),
             assignment("own", (ps.urn,)),
             assignment("own-by-input", (ps.urn, group.urn), {"permissionSetArn": [ps.urn], "principalId": [group.urn]})]
    assert unknown_paths(pack, stack) == ["hidden-by-input.permissionSetArn", "hidden.permissionSetArn",
                                          "nothing.permissionSetArn"]


def test_depending_on_a_harmless_directory_role_does_not_name_the_granted_one(pack) -> None:
    """issue 11: a DirectoryRoleMember whose roleObjectId is Global Administrator's activated object id (a literal, or
    a constant behind a bucket's Output) with `depends_on=[the stack's Directory Readers DirectoryRole]` passed as
    Directory Readers. The literal cannot be checked (mandatory), the unknown cannot be checked until known; the
    stack role's own Output (the member depends on it alone) passes."""
    readers = resource(DIRECTORY_ROLE, "readers", {"displayName": "Directory Readers"})
    bucket = resource("aws:s3/bucketV2:BucketV2", "marker", {})
    stack = [readers, bucket,
             resource(ROLE_MEMBER, "literal", {"roleObjectId": "33333333-0000-0000-0000-000000000001",
                                               "memberObjectId": "sp"}, (readers.urn,)),
             resource(ROLE_MEMBER, "hidden", {"roleObjectId": UNKNOWN, "memberObjectId": "sp"}, (readers.urn, bucket.urn)),
             resource(ROLE_MEMBER, "own", {"roleObjectId": UNKNOWN, "memberObjectId": "sp"}, (readers.urn,))]
    assert [name for name, _ in stack_findings(pack, "AGID-AZ-020", stack, level="mandatory")] == ["literal"]
    assert [m.rsplit("cannot check until known: ", 1)[-1] for _, m in stack_findings(pack, "AGID-AZ-020", stack, "advisory")] \
        == ["hidden.roleObjectId is computed during preview"]
