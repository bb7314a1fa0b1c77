"""AGID-AZ-045 over gRPC: Azure Data Explorer principal assignments and the Entra administrators of SQL, PostgreSQL,
MySQL and Synapse name principals of the stack's own tenants (red9a 13: an app of another tenant was made
AllDatabasesAdmin of a Kusto cluster and the stack passed)."""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

OWN = "11111111-2222-3333-4444-555555555555"
FOREIGN = "99999999-9999-9999-9999-999999999999"
RG = {"resourceGroupName": "rg"}
CASES = {
    "azure-native:kusto:ClusterPrincipalAssignment": lambda t: {**RG, "clusterName": "k", "principalId": "app",
                                                                "principalType": "App", "role": "AllDatabasesAdmin",
                                                                **({"tenantId": t} if t else {})},
    "azure-native:kusto:DatabasePrincipalAssignment": lambda t: {**RG, "clusterName": "k", "databaseName": "d",
                                                                 "principalId": "app", "principalType": "App",
                                                                 "role": "Admin", **({"tenantId": t} if t else {})},
    "azure-native:sql:ServerAzureADAdministrator": lambda t: {**RG, "serverName": "s", "administratorType": "ActiveDirectory",
                                                              "login": "dba", "sid": "x", **({"tenantId": t} if t else {})},
    "azure-native:sql:Server": lambda t: {**RG, "administrators": {"azureADOnlyAuthentication": True, "login": "dba",
                                                                   "sid": "x", **({"tenantId": t} if t else {})}},
    "azure-native:dbforpostgresql:Administrator": lambda t: {**RG, "serverName": "p", "objectId": "x",
                                                             "principalName": "dba", "principalType": "ServicePrincipal",
                                                             **({"tenantId": t} if t else {})},
    "azure-native:synapse:WorkspaceAadAdmin": lambda t: {**RG, "workspaceName": "w", "login": "dba", "sid": "x",
                                                         **({"tenantId": t} if t else {})},
}


def findings(pack, type_, props):
    return [(d.enforcement_level, d.message) for d in pack.analyze(type_, "r", urn(type_, "r"), props)
            if d.policy_name == "AGID-AZ-045"]


@pytest.mark.parametrize("type_", CASES)
def test_a_principal_of_another_tenant_blocks_and_an_own_one_passes(pack, type_):
    pack.configure({"AGID-AZ-045": {"ownTenantIds": [OWN]}})
    try:
        [(level, message)] = findings(pack, type_, CASES[type_](FOREIGN))
        assert level == "mandatory" and f"a principal of tenant {FOREIGN}, which is not one of the stack's own" in message
        assert findings(pack, type_, CASES[type_](OWN.upper())) == []  # the same tenant spelled in capitals
        assert findings(pack, type_, CASES[type_]("{" + OWN + "}")) == []
        assert findings(pack, type_, CASES[type_](None)) == []  # no tenant: the resource's own
        [(level, message)] = findings(pack, type_, CASES[type_](UNKNOWN))
        assert "cannot check until known" in message
    finally:
        pack.configure({})


def test_without_an_own_tenant_every_named_tenant_is_foreign(pack):
    type_ = "azure-native:kusto:ClusterPrincipalAssignment"
    [(level, message)] = findings(pack, type_, CASES[type_](OWN))
    assert level == "mandatory" and "the role AllDatabasesAdmin" in message
