"""issue 11 end to end: the gate forwards each input's propertyDependencies to the packs as the engine does, so a
link is judged from the linking input, not from the resource's whole dependency list. An Identity Center membership
whose groupId is the stack group's Output and memberId the stack user's (a dependency on both) passes AGID-AWS-015;
the same membership whose groupId is a constant behind a bucket's Output with `depends_on=[the stack group]` (an
existing admin group) cannot be checked until known, which blocks under --strict-unknowns."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_azure_red7b_gate import CI_FLAGS
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

STORE = '''
STORE_ID = "d-1234567890"
group = aws.identitystore.Group("agents", identity_store_id=STORE_ID, display_name="agents")
user = aws.identitystore.User("bot", identity_store_id=STORE_ID, display_name="bot", user_name="bot",
    name={"given_name": "agent", "family_name": "bot"})
'''
OWN = STORE + '''
aws.identitystore.GroupMembership("own", identity_store_id=STORE_ID, group_id=group.group_id, member_id=user.user_id)
'''
HIDDEN = STORE + '''
aws.identitystore.GroupMembership("hidden", identity_store_id=STORE_ID, member_id=user.user_id,
    group_id=bucket.bucket_domain_name.apply(lambda _: "g-admins"), opts=pulumi.ResourceOptions(depends_on=[group]))
'''


def aws015(project, program: str) -> tuple[int, list[tuple[bool, str]]]:
    write_small(project, program)
    run = run_cli(project, *GUARD, *CI_FLAGS)
    return run.code, [(v["mandatory"], v["message"]) for v in by_policy(run.json("out.json"), "AGID-AWS-015")]


def test_a_membership_linked_by_its_own_input_passes(project) -> None:
    code, found = aws015(project, OWN)
    assert found == [], found


def test_a_group_id_hidden_behind_another_output_with_depends_on_the_group_cannot_be_checked(project) -> None:
    code, found = aws015(project, HIDDEN)
    assert code == 1 and [("cannot check until known: hidden.groupId is computed during preview" in m)
                          for _, m in found] == [True], found
