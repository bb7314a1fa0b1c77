"""AGID-AZ-060 end to end (red11a r17): under `agentid preview` the subscription the gate's mocks deploy to (what
azure-native get_client_config() answers) is the stack's own, so a diagnostic setting sending the Entra sign-in logs
to a workspace of that subscription passes, and the same setting sending them to another subscription blocks. The
gate hands its packs the mock subscription (AGENTID_MOCK_SUBSCRIPTIONS), as it does the mock tenant."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import pulumi_azure_native as az
own = az.authorization.get_client_config().subscription_id
def logs(name, subscription):
    az.aadiam.DiagnosticSetting(name, name=name, logs=[{"category": "SignInLogs", "enabled": True}],
        workspace_id=f"/subscriptions/{subscription}/resourceGroups/x/providers/Microsoft.OperationalInsights/workspaces/w")
logs("own-logs", own)
logs("loot", "99999999-0000-0000-0000-000000000009")
'''


def test_entra_logs_to_the_deployers_subscription_pass_and_to_another_block(project) -> None:
    write_small(project, PROGRAM)
    run = run_cli(project, *GUARD, "--strict-unknowns", "--json", "out.json")
    assert run.code == 1, run.stdout
    found = {v["resourceName"]: v["mandatory"] for v in by_policy(run.json("out.json"), "AGID-AZ-060")}
    assert found == {"loot": True}, found
