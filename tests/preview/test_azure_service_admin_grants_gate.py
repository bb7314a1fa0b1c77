"""`agentid preview` end to end on red22 r22-3 / r22-6 / r22-7: grants in a service's own authorization system to an
object id the stack does not create block (AGID-AZ-068, AGID-AWS-078); the same grants to the stack's own identities
(a user-assigned identity by Output, a web app's system-assigned identity, an Entra group the stack creates, a role
the stack creates) pass, as do limited tiers to anyone."""

from __future__ import annotations

import pytest

from agentid.mock_provider import MOCK_TENANT

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

COMMON = f"""import json
import pulumi_aws as aws
import pulumi_azure_native as az
import pulumi_azuread as ad
T = "{MOCK_TENANT}"
rg = az.resources.ResourceGroup("rg")
kv = az.keyvault.Vault("kv", resource_group_name=rg.name, properties={{"tenant_id": T, "sku": {{"family": "A", "name": "standard"}},
    "enable_rbac_authorization": False}})
acc = az.cosmosdb.DatabaseAccount("db", resource_group_name=rg.name, database_account_offer_type="Standard",
    disable_local_auth=True, public_network_access="Disabled", locations=[{{"location_name": "eastus"}}])
c = az.kusto.Cluster("c", resource_group_name=rg.name, sku={{"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic", "capacity": 1}})
s = az.dbforpostgresql.Server("pg", resource_group_name=rg.name, version="16", auth_config={{"active_directory_auth": "Enabled",
    "password_auth": "Disabled", "tenant_id": T}})
def policy(name, who, **permissions):
    az.keyvault.AccessPolicy(name, resource_group_name=rg.name, vault_name=kv.name,
                             policy={{"tenant_id": T, "object_id": who, "permissions": permissions}})
def cosmos(name, who, role):
    az.cosmosdb.SqlResourceSqlRoleAssignment(name, resource_group_name=rg.name, account_name=acc.name, principal_id=who,
        role_definition_id=acc.id.apply(lambda i: i + "/sqlRoleDefinitions/00000000-0000-0000-0000-00000000000" + role),
        scope=acc.id.apply(lambda i: i + "/dbs/agents"))
def aks(name, ids):
    az.containerservice.ManagedCluster(name, resource_group_name=rg.name, dns_prefix="x", enable_rbac=True,
        disable_local_accounts=True, identity={{"type": "SystemAssigned"}},
        agent_pool_profiles=[{{"name": "p", "count": 1, "vm_size": "Standard_B2s", "mode": "System"}}],
        aad_profile={{"managed": True, "enable_azure_rbac": False, "admin_group_object_ids": ids}})
def kusto(name, who, role):
    az.kusto.ClusterPrincipalAssignment(name, resource_group_name=rg.name, cluster_name=c.name, principal_id=who,
                                        principal_type="App", role=role)
def pg_admin(name, who):
    az.dbforpostgresql.Administrator(name, resource_group_name=rg.name, server_name=s.name, object_id=who,
                                     principal_name="x", principal_type="ServicePrincipal", tenant_id=T)
def domain(name, arn):
    aws.opensearch.Domain(name, engine_version="OpenSearch_2.11", advanced_security_options={{"enabled": True,
        "internal_user_database_enabled": False, "master_user_options": {{"master_user_arn": arn}}}},
        node_to_node_encryption={{"enabled": True}}, encrypt_at_rest={{"enabled": True}},
        domain_endpoint_options={{"enforce_https": True, "tls_security_policy": "Policy-Min-TLS-1-2-2019-07"}})
"""

OUTSIDER = "12345678-1234-1234-1234-123456789012"
FLAGGED = COMMON + f"""
W = "{OUTSIDER}"
policy("ap", W, secrets=["get", "list", "set", "delete", "purge"])
cosmos("ra", W, "2")
aks("aks", [W])
kusto("ka", W, "AllDatabasesAdmin")
pg_admin("adm", W)
domain("os", "arn:aws:iam::111122223333:role/ci-runner")  # an own account (--own-account): AWS-064 passes it
"""
LOOK_ALIKES = COMMON + f"""
mi = az.managedidentity.UserAssignedIdentity("agent", resource_group_name=rg.name)
app = az.web.WebApp("app", resource_group_name=rg.name, server_farm_id="x", https_only=True, identity={{"type": "SystemAssigned"}})
g = ad.Group("admins", display_name="aks-admins", security_enabled=True)
role = aws.iam.Role("os-admin", name="os-admin", assume_role_policy=json.dumps({{"Version": "2012-10-17", "Statement": [
    {{"Effect": "Allow", "Principal": {{"Service": "es.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}))
policy("ap", mi.principal_id, secrets=["get", "list", "set", "delete", "purge"])
policy("ap-app", app.identity.apply(lambda i: i and i.principal_id), keys=["get", "create"])
policy("ap-read", "{OUTSIDER}", secrets=["get", "list"])
cosmos("ra", mi.principal_id, "2")
cosmos("ra-reader", "{OUTSIDER}", "1")
aks("aks", [g.object_id])
kusto("ka", mi.principal_id, "AllDatabasesAdmin")
kusto("ka-viewer", "{OUTSIDER}", "AllDatabasesViewer")
pg_admin("adm", mi.principal_id)
domain("os", role.arn)
"""


def _preview(tmp_path, program):
    tmp_path.mkdir()
    return run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "gate.json",
                   "--own-account", "111122223333")


def _mandatory(result):
    return sorted((v["resourceName"], v["policy"]) for v in result.json("gate.json")["violations"] if v["mandatory"])


def test_red22_service_admin_grants_to_an_outsider_block(tmp_path):
    result = _preview(tmp_path / "flagged", FLAGGED)
    assert result.code == 1, result.stdout + result.stderr
    assert _mandatory(result) == [("adm", "AGID-AZ-068"), ("aks", "AGID-AZ-068"), ("ap", "AGID-AZ-068"),
                                  ("ka", "AGID-AZ-068"), ("os", "AGID-AWS-078"), ("ra", "AGID-AZ-068")]


def test_the_same_grants_to_the_stacks_own_identities_pass(tmp_path):
    result = _preview(tmp_path / "own", LOOK_ALIKES)
    assert result.code == 0, result.stdout + result.stderr
    assert _mandatory(result) == []
