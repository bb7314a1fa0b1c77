"""AGID-AWS-015 on IAM Identity Center, over gRPC (red9a #9): a permission set or customer policy the stack does not
define cannot be checked.

An AccountAssignment of an existing permission set (by ARN; AdministratorAccess for all the pack can tell), also one
that depends on a stack permission set while naming an existing ARN, and a CustomerManagedPolicyAttachment naming a
policy the stack does not define are reported. Look-alikes: the stack's own permission set (its ARN unknown at preview
or the gate mocks' stand-in), a customer policy the stack defines with that name and path.
"""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from agentid.mock_engine import UNKNOWN
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
EXISTING = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa"
PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
ASSIGNMENT = "aws:ssoadmin/accountAssignment:AccountAssignment"
CMP = "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment"


def resource(type_: str, name: str, props: dict, depends: tuple[str, ...] = ()) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends))


OWN_SET = resource(PERMISSION_SET, "ps", {"instanceArn": INSTANCE, "name": "AgentOps", "sessionDuration": "PT1H"})


def assignment(name: str, arn, depends: tuple[str, ...] = ()) -> StackResource:
    return resource(ASSIGNMENT, name, {"instanceArn": INSTANCE, "permissionSetArn": arn, "principalId": "u-1234",
                                       "principalType": "USER", "targetId": "123456789012",
                                       "targetType": "AWS_ACCOUNT"}, depends)


def test_an_assignment_of_a_permission_set_the_stack_does_not_define_is_reported(pack) -> None:
    stack = [OWN_SET, assignment("existing", EXISTING), assignment("decoy", EXISTING, (OWN_SET.urn,)),
             assignment("own", UNKNOWN, (OWN_SET.urn,)),
             assignment("own-mock", "arn:aws:ssoadmin:eu-west-1:123456789012:permissionSet/ps", (OWN_SET.urn,))]
    findings = stack_findings(pack, "AGID-AWS-015", stack)
    assert [name for name, _ in findings] == ["decoy", "existing"]
    assert all("which this stack does not define: cannot check what it grants" in message for _, message in findings)


def test_a_customer_managed_policy_by_name_is_readable_only_when_the_stack_defines_it(pack) -> None:
    def cmp(name: str, reference) -> StackResource:
        return resource(CMP, name, {"instanceArn": INSTANCE, "permissionSetArn": UNKNOWN,
                                    "customerManagedPolicyReference": reference}, (OWN_SET.urn,))
    policy = resource("aws:iam/policy:Policy", "agent-ops", {"name": "AgentOps", "path": "/", "policy": (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::data/*"}]}')})
    stack = [OWN_SET, policy, cmp("org-admin", {"name": "OrgAdmin", "path": "/"}),
             cmp("other-path", {"name": "AgentOps", "path": "/admin/"}), cmp("own", {"name": "AgentOps"}),
             cmp("bad", "OrgAdmin")]
    assert [name for name, _ in stack_findings(pack, "AGID-AWS-015", stack)] == ["bad", "org-admin", "other-path"]


CMP_EXCLUSIVE = "aws:ssoadmin/customerManagedPolicyAttachmentsExclusive:CustomerManagedPolicyAttachmentsExclusive"


def test_each_reference_of_an_exclusive_attachment_is_judged_and_an_autonamed_policy_is_not_its_logical_name(pack):
    def exclusive(name: str, references) -> StackResource:
        return resource(CMP_EXCLUSIVE, name, {"instanceArn": INSTANCE, "permissionSetArn": UNKNOWN,
                                              "customerManagedPolicyReferences": references}, (OWN_SET.urn,))
    named = resource("aws:iam/policy:Policy", "agent-ops", {"name": "AgentOps", "policy": (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::data/*"}]}')})
    # no `name`: the engine calls it OrgAdmin-<suffix>, so a reference to "OrgAdmin" is another account's policy
    autonamed = resource("aws:iam/policy:Policy", "OrgAdmin", {"policy": (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::data/*"}]}')})
    stack = [OWN_SET, named, autonamed,
             exclusive("mixed", [{"name": "AgentOps"}, {"name": "OrgAdmin", "path": "/"}]),
             exclusive("own", [{"name": "AgentOps", "path": "/"}]),
             exclusive("none", []), exclusive("bad", "AgentOps"),
             resource(CMP, "autonamed", {"instanceArn": INSTANCE, "permissionSetArn": UNKNOWN,
                                         "customerManagedPolicyReference": {"name": "OrgAdmin"}}, (OWN_SET.urn,))]
    findings = stack_findings(pack, "AGID-AWS-015", stack)
    assert [name for name, _ in findings] == ["autonamed", "bad", "mixed"]
    assert "customer managed policy /OrgAdmin of each assigned account" in dict(findings)["mixed"]


def test_an_autonamed_policy_is_the_stacks_under_the_name_the_gate_keyed_for_it() -> None:
    """Under `agentid preview` the mocks draw an autonamed policy's suffix with the gate's per-run key, sent to the
    pack in Configure (agentid/preview/autonames.py): a reference equal to that name came from the policy's Output
    (`compute.name`) and passes; the name a deterministic scheme gives it (computable by any program) is another
    account's policy, as is any guess. Without the key (a pack not configured by the gate) no autoname counts."""
    from agentid.analyzer_client import PackProcess
    from agentid.mock_provider import MOCK_ACCOUNT, autoname
    from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
    from tests.policy.test_pack_grpc import PACK

    key = bytes(range(1, 33))
    policy = resource("aws:iam/policy:Policy", "compute", {"policy": (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::data/*"}]}')})
    keyed = autoname("aws:iam/policy:Policy", "compute", {}, "name", key)
    predicted = autoname("aws:iam/policy:Policy", "compute", {}, "name", None)

    def attachment(name: str, reference: str) -> StackResource:
        return resource(CMP, name, {"instanceArn": INSTANCE, "permissionSetArn": UNKNOWN,
                                    "customerManagedPolicyReference": {"name": reference}}, (OWN_SET.urn, policy.urn))

    stack = [OWN_SET, policy, attachment("by-output", keyed), attachment("predicted", predicted)]
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as gate_pack:
        gate_pack.configure({"all": {"agentidAutonameKey": key.hex()}})
        findings = stack_findings(gate_pack, "AGID-AWS-015", stack)
        assert [name for name, _ in findings] == ["predicted"]
        assert f"customer managed policy /{predicted} of each assigned account" in dict(findings)["predicted"]
        gate_pack.configure({})
        assert [name for name, _ in stack_findings(gate_pack, "AGID-AWS-015", stack)] == ["by-output", "predicted"]
