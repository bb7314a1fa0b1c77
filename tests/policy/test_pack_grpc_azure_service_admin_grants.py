"""AGID-AZ-068 over gRPC (red22 r22-3, r22-6, r22-7): grants in a service's own authorization system (Key Vault access
policies, Cosmos DB data roles, Data Explorer principals, AKS admin groups, server Entra administrators) to a
principal the stack does not create are flagged at their AGID-AZ-010 tier; the same grants to the stack's own
identity or group, and limited tiers to anyone, pass. Also AGID-AZ-031: a Cosmos DB scope that names no database is
the whole account, in whatever shape the account's id arrives (the gate's mock ids: r22-6)."""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AZ-068"
TENANT = "66666666-7777-8888-9999-000000000000"
OUTSIDER = "12345678-1234-1234-1234-123456789012"
AGENT_ID, GROUP_ID = "aaaaaaaa-1111-2222-3333-444444444444", "bbbbbbbb-1111-2222-3333-444444444444"
MI = "azure-native:managedidentity:UserAssignedIdentity"
GROUP = "azuread:index/group:Group"
VAULT, POLICY = "azure-native:keyvault:Vault", "azure-native:keyvault:AccessPolicy"
COSMOS = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment"
MONGO = "azure-native:cosmosdb:MongoMIResourceMongoMIRoleAssignment"
AKS = "azure-native:containerservice:ManagedCluster"
ACCOUNT = "/subscriptions/b369aaac-4c2c-5948-bab7-436f8e878fca/providers/cosmosdb/DatabaseAccount/db5bc1f181"
KEYS = ["get", "list", "update", "create", "import", "delete", "recover", "backup", "restore", "decrypt", "encrypt",
        "unwrapKey", "wrapKey", "verify", "sign", "purge", "release", "rotate", "getrotationpolicy", "setrotationpolicy"]
SECRETS_WRITE = ["get", "list", "set", "delete", "purge"]


def res(type_, name, props, *depends_on):
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in depends_on])


AGENT = res(MI, "agent", {"resourceGroupName": "rg", "principalId": AGENT_ID})
ADMINS = res(GROUP, "admins", {"displayName": "aks-admins", "securityEnabled": True, "objectId": GROUP_ID})


def entry(who, **permissions):
    return {"tenantId": TENANT, "objectId": who, "permissions": permissions}


def vault(name, *entries, depends=()):
    return res(VAULT, name, {"resourceGroupName": "rg", "properties": {
        "tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": False,
        "accessPolicies": list(entries)}}, *depends)


def access_policy(name, policy, *depends):
    return res(POLICY, name, {"resourceGroupName": "rg", "vaultName": "kv", "policy": policy}, *depends)


def test_r22_3_spelled_out_access_policies_to_an_outsider_are_flagged_and_the_agents_read_access_passes(pack):
    found = stack_findings(pack, RULE, [
        AGENT, ADMINS,
        vault("kv-every", entry(OUTSIDER, keys=KEYS, secrets=["get", "list", "set", "delete", "recover", "backup",
                                                                "restore", "purge"])),
        vault("kv-secrets", entry(OUTSIDER, secrets=SECRETS_WRITE)),
        access_policy("ap-keys", entry(OUTSIDER, keys=["get", "Create"])),
        # look-alikes: read-only to the outsider (Key Vault Secrets User's tier), write to the stack's own identity
        vault("kv-read", entry(OUTSIDER, secrets=["get", "list"], keys=["get", "decrypt", "unwrapKey"]),
              entry(AGENT_ID, secrets=SECRETS_WRITE), depends=(AGENT,)),
        access_policy("ap-agent", entry(AGENT_ID, certificates=["get", "create", "delete"]), AGENT),
        # `all` is AGID-AZ-014's alone
        access_policy("ap-all", entry(OUTSIDER, secrets=["all"])),
    ], level="mandatory")
    assert [name for name, _ in found] == ["ap-keys", "kv-every", "kv-secrets"], found
    assert "keys/create" in found[0][1] and OUTSIDER in found[0][1]
    assert "secrets/purge" in found[2][1] and "properties.accessPolicies[0].objectId" in found[2][1]


def test_an_identity_id_written_as_a_literal_without_waiting_for_the_identity_is_not_the_stacks(pack):
    """issue 11: the literal id of a stack identity names it only when the grant is created after it."""
    found = stack_findings(pack, RULE, [AGENT, access_policy("ap-unordered", entry(AGENT_ID, secrets=["set"]))])
    assert [name for name, _ in found] == ["ap-unordered"], found


def test_unknown_grantees_and_unclassified_permissions_never_pass(pack):
    """A grantee unknown at preview passes only as the Output of a stack identity whose id is not known either."""
    fresh = res(MI, "fresh", {"resourceGroupName": "rg"})  # principalId not known yet
    other = res("azure-native:resources:ResourceGroup", "rg", {})
    found = stack_findings(pack, RULE, [
        fresh, other, AGENT,
        access_policy("ap-from-fresh", entry(UNKNOWN, secrets=["set"]), fresh),
        access_policy("ap-new-permission", entry(AGENT_ID, secrets=["get", "exfiltrate"]), AGENT),
    ])
    assert [name for name, _ in found] == ["ap-new-permission"], found
    assert "cannot check" in found[0][1] and "secrets/exfiltrate" in found[0][1]
    for hidden in (other, AGENT):  # another dependency, or an identity whose id is known (it would arrive known)
        later = [d.message for d in pack.analyze_stack([fresh, hidden, access_policy(
            "ap-hidden", entry(UNKNOWN, secrets=["set"]), hidden)]) if d.policy_name == RULE]
        assert len(later) == 1 and "cannot check until known" in later[0] and "policy.objectId" in later[0], later


def cosmos(name, role, principal, type_=COSMOS, *depends):
    return res(type_, name, {"resourceGroupName": "rg", "accountName": "db5bc1f181", "principalId": principal,
                             "roleDefinitionId": role, "scope": ACCOUNT + "/dbs/agents"}, *depends)


def test_r22_6_cosmos_contributor_and_kusto_admin_to_an_outsider_are_flagged(pack):
    contributor, reader = f"{ACCOUNT}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002", \
        f"{ACCOUNT}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001"
    kusto = "azure-native:kusto:ClusterPrincipalAssignment"
    found = stack_findings(pack, RULE, [
        AGENT,
        cosmos("ra-contributor", contributor, OUTSIDER),
        cosmos("ra-mongo", "00000000-0000-0000-0000-000000000002", OUTSIDER, MONGO),
        res(kusto, "k-admin", {"clusterName": "c", "resourceGroupName": "rg", "principalId": OUTSIDER,
                               "principalType": "User", "role": "AllDatabasesAdmin"}),
        res(kusto, "k-odd-role", {"clusterName": "c", "resourceGroupName": "rg", "principalId": OUTSIDER,
                                  "principalType": "User", "role": "AllDatabasesOwner"}),
        # look-alikes: the Reader to an outsider, the Contributor (on one database) and Kusto admin to the agent
        cosmos("ra-reader", reader, OUTSIDER),
        cosmos("ra-agent", contributor, AGENT_ID, COSMOS, AGENT),
        res(kusto, "k-agent", {"clusterName": "c", "resourceGroupName": "rg", "principalId": AGENT_ID,
                               "principalType": "App", "role": "AllDatabasesAdmin"}, AGENT),
        res(kusto, "k-viewer", {"clusterName": "c", "resourceGroupName": "rg", "principalId": OUTSIDER,
                                "principalType": "User", "role": "AllDatabasesViewer"}),
    ], level="mandatory")
    assert [name for name, _ in found] == ["k-admin", "k-odd-role", "ra-contributor", "ra-mongo"], found
    assert "AllDatabasesAdmin" in found[0][1] and "cannot check" in found[1][1]
    assert "Built-in Data Contributor" in found[2][1]


def test_cosmos_scope_naming_no_database_is_the_whole_account_whatever_the_ids_shape(pack):
    """AGID-AZ-031: the gate's mock id of an account (`.../providers/cosmosdb/DatabaseAccount/<name>`) is not ARM-shaped;
    only a scope naming /dbs/<db> narrows the grant."""
    contributor = f"{ACCOUNT}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002"
    wide = res(COSMOS, "ra-wide", {"resourceGroupName": "rg", "accountName": "db5bc1f181", "principalId": AGENT_ID,
                                   "roleDefinitionId": contributor, "scope": ACCOUNT}, AGENT)
    found = stack_findings(pack, "AGID-AZ-031", [AGENT, wide, cosmos("ra-db", contributor, AGENT_ID, COSMOS, AGENT)])
    assert [name for name, _ in found] == ["ra-wide"], found


def test_r22_7_service_admin_settings_to_an_outsider_are_flagged_and_a_stack_group_passes(pack):
    def cluster(name, ids, *depends):
        return res(AKS, name, {"resourceGroupName": "rg", "dnsPrefix": "x", "enableRBAC": True,
                               "aadProfile": {"managed": True, "enableAzureRBAC": False, "adminGroupObjectIDs": ids},
                               "identity": {"type": "SystemAssigned"}}, *depends)
    found = stack_findings(pack, RULE, [
        AGENT, ADMINS,
        cluster("aks-outsider", [GROUP_ID, OUTSIDER], ADMINS),
        res("azure-native:dbforpostgresql:Administrator", "pg-admin", {
            "resourceGroupName": "rg", "serverName": "pg", "objectId": OUTSIDER, "principalType": "User",
            "tenantId": TENANT}),
        res("azure-native:sql:Server", "sql", {"resourceGroupName": "rg", "administrators": {
            "azureADOnlyAuthentication": True, "sid": OUTSIDER, "login": "someone", "tenantId": TENANT}}),
        res("azure-native:dbformysql:AzureADAdministrator", "my-admin", {
            "resourceGroupName": "rg", "serverName": "my", "sid": OUTSIDER, "login": "x", "tenantId": TENANT}),
        res("azure-native:kusto:DatabasePrincipalAssignment", "db-admin", {
            "resourceGroupName": "rg", "clusterName": "c", "databaseName": "d", "principalId": OUTSIDER,
            "principalType": "User", "role": "Admin"}),
        # look-alikes: the admin group the stack creates, the agent as server admin, a database Viewer
        cluster("aks-own", [GROUP_ID], ADMINS),
        res("azure-native:dbforpostgresql:Administrator", "pg-agent", {
            "resourceGroupName": "rg", "serverName": "pg", "objectId": AGENT_ID, "principalType": "ServicePrincipal",
            "tenantId": TENANT}, AGENT),
        res("azure-native:keyvault:ManagedHsm", "hsm-outsider", {"resourceGroupName": "rg", "properties": {
            "tenantId": TENANT, "initialAdminObjectIds": [AGENT_ID, OUTSIDER]}}, AGENT),
        res("azure-native:keyvault:ManagedHsm", "hsm-own", {"resourceGroupName": "rg", "properties": {
            "tenantId": TENANT, "initialAdminObjectIds": [AGENT_ID]}}, AGENT),
        res("azure-native:kusto:DatabasePrincipalAssignment", "db-viewer", {
            "resourceGroupName": "rg", "clusterName": "c", "databaseName": "d", "principalId": OUTSIDER,
            "principalType": "User", "role": "Viewer"}),
    ], level="mandatory")
    assert [name for name, _ in found] == ["aks-outsider", "db-admin", "hsm-outsider", "my-admin", "pg-admin", "sql"], found
    assert "aadProfile.adminGroupObjectIDs[1]" in found[0][1] and GROUP_ID not in found[0][1]
    assert "properties.initialAdminObjectIds[1]" in found[2][1] and AGENT_ID not in found[2][1]
    assert "administrators.sid" in found[5][1]


OPENSEARCH, ES, ROLE = "aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain", "aws:iam/role:Role"
OS_ADMIN = res(ROLE, "os-admin", {"name": "os-admin", "arn": "arn:aws:iam::111122223333:role/os-admin",
                                  "assumeRolePolicy": "{}"})


def domain(name, arn, type_=OPENSEARCH, *depends):
    return res(type_, name, {"advancedSecurityOptions": {"enabled": True, "internalUserDatabaseEnabled": False,
                                                         "masterUserOptions": {"masterUserArn": arn}}}, *depends)


def test_r22_7_aws_opensearch_master_user_is_a_role_the_stack_creates(pack):
    """AGID-AWS-078 (the r22-7 AWS twin, _c/n02): an own-account role the stack does not define is flagged; the
    stack's role passes by its ARN (created after it) or as its Output; the same ARN not waiting for it does not."""
    fresh = res(ROLE, "fresh", {"name": "fresh", "assumeRolePolicy": "{}"})  # arn not known yet
    found = stack_findings(pack, "AGID-AWS-078", [
        OS_ADMIN, fresh,
        domain("os-foreign-role", "arn:aws:iam::111122223333:role/ci-runner"),
        domain("es-foreign-user", "arn:aws:iam::111122223333:user/alice", ES),
        domain("os-unordered", "arn:aws:iam::111122223333:role/os-admin"),
        domain("os-own", "arn:aws:iam::111122223333:role/OS-ADMIN", OPENSEARCH, OS_ADMIN),
        domain("os-output", UNKNOWN, OPENSEARCH, fresh),
    ], level="mandatory")
    assert [name for name, _ in found] == ["es-foreign-user", "os-foreign-role", "os-unordered"], found
    assert "masterUserOptions.masterUserArn" in found[1][1] and "ci-runner" in found[1][1]
    later = [d.message for d in pack.analyze_stack([OS_ADMIN, domain("os-hidden", UNKNOWN, OPENSEARCH, OS_ADMIN)])
             if d.policy_name == "AGID-AWS-078"]
    assert len(later) == 1 and "cannot check until known" in later[0], later
