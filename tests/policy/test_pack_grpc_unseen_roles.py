"""AGID-AWS-044 over gRPC: sts:AssumeRole / iam:PassRole on a role the stack does not define is "cannot check".

Before this rule a role allowed to assume `arn:aws:iam::999988887777:role/OrganizationAccountAccessRole` (or
to pass an administrator role of its own account, defined elsewhere, to Lambda) got no finding at all.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.test_pack_grpc import GOOD_TAGS, allow, good_trust, policy, urn

ROLE, RP = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
FOREIGN = "arn:aws:iam::999988887777:role/OrganizationAccountAccessRole"
OWN_OUTSIDE = "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
UNKNOWN_NAME = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's sentinel: a name not known at preview


def stack(*statements) -> list[StackResource]:
    role = StackResource(ROLE, "agent-c", urn(ROLE, "agent-c"),
                         {"name": "agent-c", "assumeRolePolicy": good_trust(), "tags": GOOD_TAGS})
    worker = StackResource(ROLE, "agent-worker", urn(ROLE, "agent-worker"),
                           {"name": "agent-worker", "assumeRolePolicy": good_trust(), "tags": GOOD_TAGS})
    # created after the roles it names (depends_on): a literal names a stack role only then (issue 11, a typed decoy)
    grant = StackResource(RP, "c1", urn(RP, "c1"), {"role": "agent-c", "policy": policy(*statements)},
                          dependencies=[role.urn, worker.urn])
    return [role, worker, grant]


def found(pack, resources, config=None) -> list:
    pack.configure(config or {})
    return [d for d in pack.analyze_stack(resources) if d.policy_name == "AGID-AWS-044"]


@pytest.mark.parametrize("statement, target", [
    (allow("sts:AssumeRole", FOREIGN), FOREIGN),
    (allow("sts:AssumeRole", OWN_OUTSIDE), OWN_OUTSIDE),
    (allow(["iam:PassRole"], OWN_OUTSIDE), OWN_OUTSIDE),
    (allow("sts:*", "arn:aws:iam::123456789012:role/ops/Admin"), "arn:aws:iam::123456789012:role/ops/Admin"),
    (allow("sts:AssumeRole", "arn:aws:iam::999988887777:role/Org*"), "arn:aws:iam::999988887777:role/Org*"),
    (allow("sts:AssumeRole", "arn:aws:iam::*:role/agent-worker"), "arn:aws:iam::*:role/agent-worker"),
])
def test_a_role_outside_the_stack_blocks(pack, statement, target):
    [diag] = found(pack, stack(statement))
    assert diag.enforcement_level == "mandatory" and diag.urn == urn(RP, "c1")
    assert target in diag.message and "cannot check what the role holds" in diag.message


OWN = {"AGID-AWS-044": {"ownAccountIds": ["123456789012"]}}


def test_the_stacks_own_roles_and_other_actions_pass(pack):
    own = "arn:aws:iam::123456789012:role/AGENT-WORKER"  # IAM role names compare case-insensitively
    assert found(pack, stack(allow("sts:AssumeRole", own), allow("iam:PassRole", own)), OWN) == []
    assert found(pack, stack(allow("s3:GetObject", "arn:aws:s3:::reports/*"))) == []
    # a Deny on the outside role leaves nothing to check
    assert found(pack, stack(allow("sts:AssumeRole", FOREIGN),
                             {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": FOREIGN})) == []


def test_a_same_named_role_in_another_account_is_not_the_stacks(pack):
    other = "arn:aws:iam::999988887777:role/agent-worker"
    [diag] = found(pack, stack(allow("sts:AssumeRole", other)), OWN)
    assert other in diag.message and "account 999988887777 is a foreign account" in diag.message


def test_a_stack_role_name_in_an_account_nobody_listed_cannot_be_told_apart(pack):
    """Without ownAccountIds the account of a literal ARN is unknown: `arn:aws:iam::999988887777:role/agent-worker`
    (an attacker's role named like ours) and the stack's own are the same text but for the account."""
    for account in ("123456789012", "999988887777"):
        target = f"arn:aws:iam::{account}:role/agent-worker"
        [diag] = found(pack, stack(allow("sts:AssumeRole", target)))
        assert f"cannot tell whether account {account} is yours" in diag.message, diag.message


def role_with(props: dict, name: str = "worker-logical") -> StackResource:
    return StackResource(ROLE, name, urn(ROLE, name), {"assumeRolePolicy": good_trust(), "tags": GOOD_TAGS, **props})


@pytest.mark.parametrize("spelling, target, dependencies", [
    # role.arn / role.name Outputs unknown at preview: the holder's dependency list names the role
    ("arn Output", "UNKNOWN", [urn(ROLE, "worker-logical")]),
    # the literal ARN of a role given its physical name (`name`), in any case
    # (each literal from a holder created after the role: depends_on it)
    ("name", "arn:aws:iam::123456789012:role/Team-Worker", [urn(ROLE, "worker-logical")]),
    # a role path before the name, of a role with that path (another path names another role: see below)
    ("path", "arn:aws:iam::123456789012:role/agents/team-worker", [urn(ROLE, "worker-logical")]),
])
def test_each_way_a_program_names_a_stack_role_joins(pack, spelling, target, dependencies):
    from tests.policy.ruletools import UNKNOWN

    target = UNKNOWN if target == "UNKNOWN" else target
    name = {"name": UNKNOWN} if spelling == "arn Output" else {"name": "team-worker"}
    if spelling == "path":
        name["path"] = "/agents/"
    holder = StackResource(RP, "c1", urn(RP, "c1"), {"role": "agent-c", "policy": policy(allow("iam:PassRole", target))},
                           dependencies=dependencies)
    resources = [*stack()[:2], role_with(name), holder]
    assert found(pack, resources, OWN) == [], spelling
    # the same spelling with no such role in the stack is reported
    [diag] = found(pack, [*stack()[:2], holder], OWN)
    # an Output nothing explains is the SDK's "cannot check until known" (advisory; blocks under --strict-unknowns)
    assert diag.enforcement_level == ("advisory" if target == UNKNOWN else "mandatory")


def test_a_literal_naming_a_stack_role_its_holder_does_not_wait_for_is_not_that_role(pack):
    """issue 11, a typed decoy: the stack's `Role("decoy", name="team-worker")` fails to create when a role of that name
    exists, and a policy granting iam:PassRole on `role/team-worker` that does not depend on it is still created,
    granting the existing role. Look-alike: the same grant with depends_on the role passes."""
    target = "arn:aws:iam::123456789012:role/team-worker"
    decoy = role_with({"name": "team-worker"}, "decoy")

    def holder(*dependencies):
        return StackResource(RP, "c1", urn(RP, "c1"), {"role": "agent-c", "policy": policy(allow("iam:PassRole", target))},
                             dependencies=list(dependencies))
    [diag] = found(pack, [*stack()[:2], decoy, holder(urn(ROLE, "agent-c"))], OWN)
    assert diag.enforcement_level == "mandatory" and diag.message.endswith(
        f"allows iam:PassRole on {target}, named like decoy of this stack, but c1 does not depend on it: were its "
        "create to fail (the name taken), this would name the existing role: cannot check what the role holds")
    assert found(pack, [*stack()[:2], decoy, holder(urn(ROLE, "agent-c"), decoy.urn)], OWN) == []


@pytest.mark.parametrize("name", [{}, {"name": UNKNOWN_NAME}], ids=["autonamed", "name unknown"])
def test_a_roles_logical_name_is_not_its_name(pack, name):
    """issue 11: Pulumi autonames a role without a `name` input `worker-logical-<7 random hex>`, so a grant on
    `role/worker-logical` (its logical name) names an EXISTING role of that name, even from a holder depending on the
    stack's role; so too while its name is an Output not known yet."""
    target = "arn:aws:iam::123456789012:role/worker-logical"
    holder = StackResource(RP, "c1", urn(RP, "c1"), {"role": "agent-c", "policy": policy(allow("iam:PassRole", target))},
                           dependencies=[urn(ROLE, "agent-c"), urn(ROLE, "worker-logical")])
    [diag] = found(pack, [*stack()[:2], role_with(name), holder], OWN)
    assert diag.enforcement_level == "mandatory" and target in diag.message and \
        "a role not defined in this stack" in diag.message, diag.message


def test_an_arn_with_another_path_is_not_the_stack_role(pack):
    """IAM ARNs carry the path: `role/agents/team-worker` is not the role `team-worker` of path `/`, so the grant
    stays reported (before, any path joined the stack's role of that name)."""
    for target in ("arn:aws:iam::123456789012:role/agents/team-worker",):
        holder = StackResource(RP, "c1", urn(RP, "c1"), {"role": "agent-c",
                                                         "policy": policy(allow("iam:PassRole", target))})
        [diag] = found(pack, [*stack()[:2], role_with({"name": "team-worker"}), holder], OWN)
        assert target in diag.message, diag.message


def test_depending_on_a_stack_role_does_not_explain_a_target_another_output_may_hide(pack):
    """issue 11: PassRole on a role ARN unknown at preview that is a constant behind a bucket's Output (the existing
    OrganizationAccountAccessRole), `depends_on=[the stack's harmless role]`, passed as that role: cannot check until
    known. Look-alike: the same grant depending on the stack role alone (its ARN computed at deployment) passes."""
    from tests.policy.ruletools import UNKNOWN

    bucket = StackResource("aws:s3/bucketV2:BucketV2", "marker", urn("aws:s3/bucketV2:BucketV2", "marker"), {})
    worker = role_with({"name": UNKNOWN})

    def holder(*dependencies):
        return StackResource(RP, "c1", urn(RP, "c1"), {"role": "agent-c", "policy": policy(allow("iam:PassRole", UNKNOWN))},
                             dependencies=list(dependencies))

    [diag] = found(pack, [*stack()[:2], worker, bucket, holder(worker.urn, bucket.urn)], OWN)
    assert diag.enforcement_level == "advisory" and "cannot check until known" in diag.message, diag.message
    assert found(pack, [*stack()[:2], worker, bucket, holder(worker.urn)], OWN) == []


def test_a_policy_arn_joins_the_stack_policy_its_own_input_depends_on(pack):
    """issue 11: a RolePolicyAttachment whose policyArn is a constant behind a bucket's Output (AdministratorAccess, or
    an existing customer policy) with `depends_on=[a harmless stack policy]` was joined to the harmless policy
    (AGID-AWS-021 judged the role with it, and said nothing of the attachment). Where the engine sends the input's
    propertyDependencies (it does, and so does the gate), the join follows them: cannot check until known; the stack
    policy's own ARN Output joins and passes."""
    from tests.policy.ruletools import UNKNOWN

    harmless = StackResource("aws:iam/policy:Policy", "read", urn("aws:iam/policy:Policy", "read"),
                             {"policy": policy(allow("s3:GetObject", "arn:aws:s3:::reports/*"))})
    bucket = StackResource("aws:s3/bucketV2:BucketV2", "marker", urn("aws:s3/bucketV2:BucketV2", "marker"), {})
    attachment_t = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

    def attachment(source):
        return StackResource(attachment_t, "att", urn(attachment_t, "att"), {"role": "agent-c", "policyArn": UNKNOWN},
                             dependencies=[harmless.urn, bucket.urn],
                             property_dependencies={"role": [], "policyArn": [source.urn]})

    def unknowns(resources):
        pack.configure({})
        return [d.message.rsplit("cannot check until known: ", 1)[-1] for d in pack.analyze_stack(resources)
                if d.policy_name == "AGID-AWS-021" and "cannot check until known" in d.message]

    assert unknowns([*stack()[:2], harmless, bucket, attachment(bucket)]) == ["att.policyArn is computed during preview"]
    assert unknowns([*stack()[:2], harmless, bucket, attachment(harmless)]) == []
