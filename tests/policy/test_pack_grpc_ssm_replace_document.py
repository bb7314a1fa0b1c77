"""issue 11 (misc4 item 1) over gRPC: SsmReplaceDocument judges whether the delete and the create reach the SAME name.

ssm:DeleteDocument then ssm:CreateDocument under the deleted name replaces what every runner naming that document
(an EventBridge target, a maintenance-window task, a Config remediation, automation in or outside the stack) runs:
code execution as that runner's role. The method was met on any named DeleteDocument target with any CreateDocument
grant, and AGID-AWS-056 then said "cannot check" even when the holder could never create the deleted name again.
Now: the grants' resource patterns must overlap as sets (a name, a prefix, `document/*`, `*`, a NotResource, an
action wildcard); then AGID-AWS-020 blocks (mandatory, runners outside the stack cannot be seen: fail closed), alone or
split across a role's policies (AGID-AWS-021). Disjoint names, prefixes or regions pass every escalation rule, and so
do names a NotResource or an unconditional Deny takes out of one side.
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names, stack_findings
from tests.policy.test_pack_grpc_aws_escalation_awsesc3 import aws020, allow, document, role_with

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCOUNT = "111122223333"
DOC = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:document/"
OPS = DOC + "ops-run"


def deny(actions, resources) -> dict:
    return {"Effect": "Deny", "Action": actions, "Resource": resources}


def not_resource(actions, resources) -> dict:
    return {"Effect": "Allow", "Action": actions, "NotResource": resources}


FLAGGED = {
    "one statement, one name": [allow(["ssm:DeleteDocument", "ssm:CreateDocument"], OPS)],
    "two statements, one name": [allow("ssm:DeleteDocument", OPS), allow("ssm:CreateDocument", OPS)],
    "create on document/*": [allow("ssm:DeleteDocument", OPS), allow("ssm:CreateDocument", DOC + "*")],
    "create on *": [allow("ssm:DeleteDocument", OPS), allow("ssm:CreateDocument", "*")],
    "delete on document/*": [allow("ssm:DeleteDocument", DOC + "*"), allow("ssm:CreateDocument", DOC + "agent-notes")],
    "delete on a prefix, create a name in it": [allow("ssm:DeleteDocument", DOC + "ops-*"),
                                                allow("ssm:CreateDocument", OPS)],
    "overlapping patterns": [allow("ssm:DeleteDocument", DOC + "ops-*"), allow("ssm:CreateDocument", DOC + "*-run")],
    "any region and account": [allow("ssm:DeleteDocument", OPS),
                               allow("ssm:CreateDocument", "arn:aws:ssm:*:*:document/ops-run")],
    "create by NotResource of another name": [allow("ssm:DeleteDocument", OPS),
                                              not_resource("ssm:CreateDocument", DOC + "agent-notes")],
    "action wildcards": [allow(["ssm:Delete*", "ssm:Create?ocument"], OPS)],
    "delete by NotResource of another name": [not_resource("ssm:DeleteDocument", DOC + "agent-notes"),
                                              allow("ssm:CreateDocument", OPS)],
    "a Deny of creating other names only": [allow("ssm:DeleteDocument", OPS), allow("ssm:CreateDocument", DOC + "*"),
                                            deny("ssm:CreateDocument", DOC + "agent-*")],
}
LOOK_ALIKE = {
    "disjoint names": [allow("ssm:DeleteDocument", OPS), allow("ssm:CreateDocument", DOC + "agent-notes")],
    "disjoint prefixes": [allow("ssm:DeleteDocument", DOC + "ops-*"), allow("ssm:CreateDocument", DOC + "agent-*")],
    "the same name in another region": [allow("ssm:DeleteDocument", OPS), allow(
        "ssm:CreateDocument", f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/ops-run")],
    "the same name, change calendars only": [allow(["ssm:DeleteDocument", "ssm:CreateDocument"], OPS, {
        "StringEquals": {"ssm:DocumentType": "ChangeCalendar"}})],
    "delete alone": [allow("ssm:DeleteDocument", OPS)],
    # the names a NotResource or a Deny takes out of one side are not shared
    "create by NotResource of the deleted names": [allow("ssm:DeleteDocument", DOC + "ops-*"),
                                                   not_resource("ssm:CreateDocument", DOC + "ops-*")],
    "delete by NotResource of the created name": [not_resource("ssm:DeleteDocument", OPS),
                                                  allow("ssm:CreateDocument", OPS)],
    "a Deny of creating the deleted names": [allow("ssm:DeleteDocument", OPS), allow("ssm:CreateDocument", DOC + "*"),
                                             deny("ssm:CreateDocument", DOC + "ops-*")],
    "a Deny of deleting the created names": [allow("ssm:DeleteDocument", DOC + "*"), allow("ssm:CreateDocument", OPS),
                                             deny("ssm:DeleteDocument", OPS)],
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_a_delete_and_create_that_reach_one_name_block_as_aws020(pack, case) -> None:
    names, messages = aws020(pack, *FLAGGED[case])
    assert names == ["tool"], case
    assert "allows 1 privilege-escalation method(s): SsmReplaceDocument." in messages[0], messages
    assert "create the holder's under the same name" in messages[0]


@pytest.mark.parametrize("case", sorted(LOOK_ALIKE))
def test_a_delete_and_create_that_cannot_reach_one_name_pass(pack, case) -> None:
    assert aws020(pack, *LOOK_ALIKE[case]) == ([], [])
    stack = role_with(document(*LOOK_ALIKE[case]))
    for rule in ("AGID-AWS-020", "AGID-AWS-021", "AGID-AWS-056"):
        assert stack_findings(pack, rule, stack) == [], (case, rule)


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_a_named_overlap_is_no_longer_aws056s_cannot_check(pack, case) -> None:
    """One root cause, one violation: the method met on the overlap is AGID-AWS-020's on the role policy, not a second
    "cannot check what ops-run runs as" of AGID-AWS-056."""
    stack = role_with(document(*FLAGGED[case]))
    assert stack_findings(pack, "AGID-AWS-056", stack) == []
    attached = (ROLE_POLICY, "p0", {"role": "ci-deploy", "policy": document(*FLAGGED[case])})
    assert flagged_names(pack, "AGID-AWS-020", attached, "mandatory") == ["p0"]


def test_the_pair_split_across_two_policies_of_one_role_is_aws021s(pack) -> None:
    delete, create = document(allow("ssm:DeleteDocument", OPS)), document(allow("ssm:CreateDocument", DOC + "ops-*"))
    [(name, message)] = stack_findings(pack, "AGID-AWS-021", role_with(delete, create), "mandatory")
    assert name == "ci" and "(SsmReplaceDocument)" in message
    assert stack_findings(pack, "AGID-AWS-056", role_with(delete, create)) == []
    # look-alike: the create in the second policy reaches other names only
    other = document(allow("ssm:CreateDocument", DOC + "agent-*"))
    for rule in ("AGID-AWS-021", "AGID-AWS-056"):
        assert stack_findings(pack, rule, role_with(delete, other)) == [], rule
