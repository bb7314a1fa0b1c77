"""`azure_roles.role_effects` remembered per distinct permission blocks (issue 17: the Azure grant rules asked it once
per grant), answering exactly as the computation itself for built-in roles of the snapshot."""

from __future__ import annotations

from agentid_components import azure_catalog
from agentid_policy_packs.analysis import azure_roles
from agentid_policy_packs.analysis.azure_roles import Permission, builtin_permissions, role_effects

CONDITION = ("((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
             "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
             "{acdd72a7-3385-48ef-bd42-f606fba81ae7}))")


PRIVILEGED = ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c",
              "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "f58310d9-a9f6-439a-9e8d-f62e7b41a168")


def test_remembered_effects_equal_the_computation_for_builtin_roles():
    guids = sorted(azure_catalog._roles_snapshot()["roles"])
    assert len(guids) > 300
    roles = [azure_catalog.builtin_role(guid) for guid in [*PRIVILEGED, *guids[::8]]]  # every 8th: the test's time
    privileged = 0
    for role in roles:
        blocks = builtin_permissions(role)
        for condition in (None, CONDITION):
            computed = list(azure_roles._role_effects.__wrapped__(blocks, condition, 0))
            assert role_effects(blocks, condition) == computed
            assert role_effects(list(blocks), condition) == computed  # a list of the same blocks: the same answer
        privileged += bool(computed)
    assert privileged > 10  # Owner, Contributor, User Access Administrator, ... hold capabilities


def test_a_second_ask_is_remembered_and_callers_get_their_own_list():
    blocks = (Permission(("Microsoft.Authorization/roleAssignments/write",), (), (), ()),)
    azure_roles._role_effects.cache_clear()
    first = role_effects(blocks)
    first.append("changed by a caller")
    second = role_effects(blocks)
    assert azure_roles._role_effects.cache_info().hits == 1
    assert second and "changed by a caller" not in second and second[0].capability.id == "assign-roles"


def test_unhashable_blocks_are_judged_without_remembering():
    hashable = Permission(("*",), (), (), ())
    unhashable = Permission(["*"], [], [], [])  # lists, not tuples: not what parse_role_definition builds
    assert role_effects((unhashable,)) == role_effects((hashable,)) != []
