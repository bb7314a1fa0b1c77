"""AGID-AZ-025 over gRPC on every azure-native password / secret / shared-key input (red20 r20-4).

`cosmosdb.MongoDBResourceMongoUserDefinition(password="admin123", roles=[root@admin])` passed: only GEN-004's value
heuristic read it. pulumi-azure-native marks no input secret, so analysis/sdk_secret_inputs.yaml takes each
resource's top-level string input whose name ends in password / secret / sharedKey / passphrase from the SDK's Args
classes; any known value there is a literal, by the field. Look-alikes that pass: a config secret (the gate's
placeholder), a value the engine marked secret, a value unknown at preview, and an input that only names a secret.
The values are made up.
"""

from __future__ import annotations

import pytest

from agentid.mock_engine import UNKNOWN
from agentid_policy_packs.rules.aws_literal_secret import PLACEHOLDER
from tests.policy.test_pack_grpc import urn

SIG, SECRET = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
RULE = "AGID-AZ-025"
MONGO_USER = "azure-native:cosmosdb:MongoDBResourceMongoUserDefinition"
MONGO_BASE = {"accountName": "acc", "resourceGroupName": "rg", "userName": "root2", "databaseName": "admin",
              "mechanisms": "SCRAM-SHA-256", "roles": [{"db": "admin", "role": "root"}]}

FLAGGED = {
    "cosmos-mongo-root": (MONGO_USER, {**MONGO_BASE, "password": "admin123"}, "password"),
    "mongo-cluster-admin": ("azure-native:cosmosdb:MongoCluster",
                            {"resourceGroupName": "rg", "administratorLoginPassword": "changeme"},
                            "administratorLoginPassword"),
    "pg-cluster-role": ("azure-native:dbforpostgresql:ServerGroupRole",
                        {"clusterName": "c", "resourceGroupName": "rg", "password": "password"}, "password"),
    "apim-user": ("azure-native:apimanagement:User", {"serviceName": "s", "resourceGroupName": "rg",
                  "email": "a@acme.example", "firstName": "a", "lastName": "b", "password": "letmein!"}, "password"),
    "vpn-shared-key": ("azure-native:network:VirtualNetworkGatewayConnection",
                       {"resourceGroupName": "rg", "connectionType": "IPsec", "sharedKey": "abc123"}, "sharedKey"),
    "easy-auth-secret": ("azure-native:web:WebAppAuthSettings",
                         {"name": "app", "resourceGroupName": "rg", "enabled": True, "clientId": "x",
                          "clientSecret": "hunter2hunter2"}, "clientSecret"),
}


def secret(value):
    return {SIG: SECRET, "value": value}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_a_literal_in_a_secret_input_is_flagged_by_the_field(pack, case) -> None:
    type_, props, path = FLAGGED[case]
    diags = [d for d in pack.analyze(type_, case, urn(type_, case), props) if d.policy_name in (RULE, "AGID-GEN-004")]
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")], [d.message for d in diags]
    tail = diags[0].message.split(f"{case}: {path}", 1)[1]
    assert tail.startswith(" holds a literal secret (the field is a secret by type)")
    assert props[path] not in tail  # the finding never shows the value


LOOK_ALIKES = {
    "mongo-config-secret": (MONGO_USER, {**MONGO_BASE, "password": PLACEHOLDER}),
    "mongo-marked-secret": (MONGO_USER, {**MONGO_BASE, "password": secret("admin123")}),
    "mongo-unknown": (MONGO_USER, {**MONGO_BASE, "password": UNKNOWN}),
    "mongo-no-password": (MONGO_USER, MONGO_BASE),
    "easy-auth-setting-name": ("azure-native:web:WebAppAuthSettings",
                               {"name": "app", "resourceGroupName": "rg", "enabled": True, "clientId": "x",
                                "clientSecretSettingName": "MICROSOFT_PROVIDER_AUTHENTICATION_SECRET"}),
}


@pytest.mark.parametrize("case", sorted(LOOK_ALIKES))
def test_look_alikes_pass(pack, case) -> None:
    type_, props = LOOK_ALIKES[case]
    diags = pack.analyze(type_, case, urn(type_, case), props)
    assert [d.policy_name for d in diags if d.policy_name in (RULE, "AGID-GEN-004")] == [], [d.message for d in diags]


def test_typed_readers_keep_one_finding_a_field(pack) -> None:  # sql:Server is also in the derived table
    type_ = "azure-native:sql:Server"
    diags = [d for d in pack.analyze(type_, "sql", urn(type_, "sql"), {
        "resourceGroupName": "rg", "administratorLogin": "a", "administratorLoginPassword": "changeme"})
        if d.policy_name == RULE]
    assert len(diags) == 1 and diags[0].message.count("administratorLoginPassword holds") == 1


def test_a_nested_registry_password_is_flagged_and_an_unknown_one_passes(pack) -> None:
    type_ = "azure-native:containerinstance:ContainerGroup"
    def group(password):
        return {"resourceGroupName": "rg", "osType": "Linux", "containers": [],
                "imageRegistryCredentials": [{"server": "r.azurecr.io", "username": "u", "password": password}]}
    diags = [d for d in pack.analyze(type_, "cg", urn(type_, "cg"), group("changeme")) if d.policy_name == RULE]
    assert len(diags) == 1 and "cg: imageRegistryCredentials[0].password holds a literal secret" in diags[0].message
    assert [d for d in pack.analyze(type_, "ok", urn(type_, "ok"), group(UNKNOWN)) if d.policy_name == RULE] == []
