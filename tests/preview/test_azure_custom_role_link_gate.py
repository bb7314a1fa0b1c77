"""End to end (`agentid preview`): an Azure role assignment naming the custom role the same program defines through
its id Output (`role_definition_id=definition.id`) is judged with that role's permissions (issue 11). The mocks
answer a RoleDefinition's id as Azure does (/subscriptions/SUB/providers/Microsoft.Authorization/roleDefinitions/
GUID): before, AGID-AZ-013 read the mock's id as naming no role and blocked a narrow role's assignment."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import pulumi_azure_native as azn
RG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
role = azn.authorization.RoleDefinition("tool-role", role_name="tool-role", scope=RG, assignable_scopes=[RG],
    permissions=[{{"actions": ["{action}"], "not_actions": [], "data_actions": [], "not_data_actions": []}}])
azn.authorization.RoleAssignment("tool-assignment", scope=RG, role_definition_id=role.id,
    principal_id="11111111-1111-1111-1111-111111111111", principal_type="ServicePrincipal")
'''


def violations(run) -> list[tuple[str, str, bool]]:
    return sorted((v["policy"], v["resourceName"], v["mandatory"]) for v in run.json("out.json")["violations"])


def test_a_narrow_custom_role_assigned_through_its_id_passes(project: Path) -> None:
    write_small(project, PROGRAM.format(action="Microsoft.Storage/storageAccounts/read"))
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 0, run.stdout
    assert violations(run) == []


def test_an_owner_like_custom_role_assigned_through_its_id_blocks_at_the_assignment(project: Path) -> None:
    write_small(project, PROGRAM.format(action="*"))
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    assert violations(run) == [("AGID-AZ-012", "tool-role", True), ("AGID-AZ-013", "tool-assignment", True)]
    [message] = [v["message"] for v in run.json("out.json")["violations"] if v["policy"] == "AGID-AZ-013"]
    assert "the custom role tool-role defined in this stack" in message
    assert "perform every control-plane operation of every provider" in message
