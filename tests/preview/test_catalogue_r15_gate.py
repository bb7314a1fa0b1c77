"""r15-1, r15-3, r15-6 (issue 11), end to end: `agentid preview` blocks the privileged-operation catalogue gaps the
red team found, and the look-alike in the same program passes. Pack-level shapes: tests/policy/
test_azure_operation_patterns.py, test_pack_grpc_gcp_os_login.py, test_pack_grpc_gcp_credential_reads_sweep.py."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_azure_red7b_gate import failed_report, mandatory
from .test_gate_integrity import GUARD, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

AZURE_TWINS = '''
import pulumi_azure_native as az
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = SUB + "/resourceGroups/rg"
mi = az.managedidentity.UserAssignedIdentity("mi", resource_group_name="rg", resource_name_="agent")
for name, op in {"slot-settings": "Microsoft.Web/sites/slots/config/write",
                 "cosmos-rbac": "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/write",
                 "sql-entra-admin": "Microsoft.Sql/servers/administrators/write",
                 "redis-ent-keys": "Microsoft.Cache/redisEnterprise/databases/listKeys/action",
                 "reader": "Microsoft.Cache/redisEnterprise/databases/read"}.items():
    rd = az.authorization.RoleDefinition(f"rd-{name}", scope=RG, role_name=name, assignable_scopes=[RG],
                                         permissions=[{"actions": [op]}])
    az.authorization.RoleAssignment(f"ra-{name}", scope=RG, principal_id=mi.principal_id, principal_type="ServicePrincipal",
                                    role_definition_id=rd.id)
az.authorization.RoleAssignment("ra-data-factory-contributor", scope=RG, principal_id=mi.principal_id,
    principal_type="ServicePrincipal",
    role_definition_id=SUB + "/providers/Microsoft.Authorization/roleDefinitions/673868aa-7521-48a0-acc6-0f60742d39f5")
'''


def test_azure_twins_of_listed_privileged_operations_block(project) -> None:
    report = failed_report(project, AZURE_TWINS)
    assert mandatory(report, "AGID-AZ-012") == ["rd-cosmos-rbac", "rd-redis-ent-keys", "rd-slot-settings",
                                                "rd-sql-entra-admin"]
    assert mandatory(report, "AGID-AZ-013") == ["ra-cosmos-rbac", "ra-redis-ent-keys", "ra-slot-settings",
                                                "ra-sql-entra-admin"]
    assert mandatory(report, "AGID-AZ-010") == ["ra-data-factory-contributor"]


GCP = '''
import pulumi_gcp as gcp
sa = gcp.serviceaccount.Account("agent", account_id="agent-x", project="my-proj")
member = sa.email.apply(lambda e: f"serviceAccount:{e}")
gcp.projects.IAMMember("os-admin-login", project="my-proj", role="roles/compute.osAdminLogin", member=member)
gcp.projects.IAMMember("redis-admin", project="my-proj", role="roles/redis.admin", member=member)
gcp.projects.IAMMember("run-viewer", project="my-proj", role="roles/run.viewer", member=member)
# look-alikes: OS Login on one instance, the Run viewer role on one service, the Redis viewer role on the project
gcp.compute.InstanceIAMMember("one-vm-login", project="my-proj", zone="us-central1-a", instance_name="vm-1",
                              role="roles/compute.osAdminLogin", member=member)
gcp.cloudrunv2.ServiceIamMember("one-service", project="my-proj", location="us-central1", name="triage",
                                role="roles/run.viewer", member=member)
gcp.projects.IAMMember("redis-viewer", project="my-proj", role="roles/redis.viewer", member=member)
'''


def test_gcp_os_login_and_credential_reads_above_one_resource_block(project) -> None:
    write_small(project, GCP)
    run = run_cli(project, *GUARD, "--own-gcp-project", "my-proj", "--json", "out.json")
    assert run.code == 1, run.stdout
    report = run.json("out.json")
    assert mandatory(report, "AGID-GCP-005") == ["os-admin-login"]
    assert mandatory(report, "AGID-GCP-025") == ["redis-admin", "run-viewer"]
    flagged = {v["resourceName"] for v in report["violations"] if v["mandatory"]}
    assert not flagged & {"one-vm-login", "one-service", "redis-viewer"}, flagged
