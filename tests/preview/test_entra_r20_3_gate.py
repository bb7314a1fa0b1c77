"""red20 r20-3 end to end: `agentid preview` with the shipped CI flags blocks Microsoft Graph application permissions
granted on Graph's service principal named by its (per-tenant) object id, however the id is spelled: the four the
catalogue lacked (AGID-AZ-021 now), a permission the kit does not know (AGID-AZ-066 cannot check, mandatory; it was
AGID-AZ-054 advisory). The look-alikes in the same program pass the blocking rules: User.Read.All on the same literal,
and an app role of the stack's own API granted on its own service principal (AGID-AZ-054 advisory)."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD
from .test_azure_red7b_gate import by_policy, failed_report, mandatory

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import pulumi_azuread as ad
GRAPH_SP_OBJECT_ID = "5f1e0c9a-3b7d-4c2e-9a8f-1d2e3f4a5b6c"
app = ad.Application("agent-app", display_name="agent")
sp = ad.ServicePrincipal("agent-sp", client_id=app.client_id)
for name, role_id in {
    "intune-scripts": "9255e99d-faf5-445e-bbf7-cb71482737c4",
    "cross-tenant-access": "338163D7-F101-4C92-94BA-CA46FE52447C",
    "synchronization": "9b50c33d-700f-43b1-b2eb-87e89b703581",
    "app-mgmt-policy": "{be74164b-cff1-491c-8741-e671cb536e13}",
    "unknown-role": "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
    "user-read": "df021288-bdef-4463-88db-98f22de89214",
}.items():
    ad.AppRoleAssignment(name, app_role_id=role_id, principal_object_id=sp.object_id, resource_object_id=GRAPH_SP_OBJECT_ID)
api = ad.Application("tickets-api", display_name="tickets")
api_sp = ad.ServicePrincipal("tickets-sp", client_id=api.client_id)
ad.AppRoleAssignment("own-api-role", app_role_id="7e1f4c2a-9b3d-4e5f-8a6b-1c2d3e4f5a6b",
                     principal_object_id=sp.object_id, resource_object_id=api_sp.object_id)
'''


def test_graph_permissions_on_a_literal_graph_object_id_block(project) -> None:
    report = failed_report(project, PROGRAM)
    assert mandatory(report, "AGID-AZ-021") == ["app-mgmt-policy", "cross-tenant-access", "intune-scripts",
                                                "synchronization"]
    assert mandatory(report, "AGID-AZ-066") == ["unknown-role"]
    blocking = {v["resourceName"] for v in report["violations"] if v["mandatory"]}
    assert not blocking & {"user-read", "own-api-role"}, blocking
    assert [v["resourceName"] for v in by_policy(report, "AGID-AZ-054")] == ["own-api-role"]  # advisory: own API
