"""AGID-AZ-025 over gRPC for service-stored credentials: Automation and Elastic Jobs credentials, Data Factory
linked services (SecureString values, connection strings), and the look-alikes that must pass.

Shapes from https://learn.microsoft.com/azure/data-factory/store-credentials-in-key-vault and the azure-native
inputs. Test values are built at run time from pieces (no key-shaped literal sits in the tree).
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

AUTOMATION, JOB, LINKED = ("azure-native:automation:Credential", "azure-native:sql:JobCredential",
                           "azure-native:datafactory:LinkedService")
PLACEHOLDER = "[secret: not decrypted by agentid preview]"
ACCOUNT_KEY = "AccountKey=" + "dGVzdGtleQ" * 8 + "abcdef=="  # 88 characters, as Azure storage keys are
RG = {"resourceGroupName": "rg"}
VAULT_REF = {"type": "AzureKeyVaultSecret", "secretName": "sql-password",
             "store": {"type": "LinkedServiceReference", "referenceName": "kv"}}


def linked(type_properties):
    return {**RG, "factoryName": "adf", "linkedServiceName": "ls",
            "properties": {"type": "AzureSqlDatabase", "typeProperties": type_properties}}


CASES = [
    ("automation", AUTOMATION, {**RG, "automationAccountName": "aa", "name": "c", "userName": "svc",
                                "password": "S" + "ummer2026"}, "password holds a literal secret",
     {**RG, "automationAccountName": "aa", "name": "c", "userName": "svc", "password": UNKNOWN}),
    ("job", JOB, {**RG, "serverName": "s", "jobAgentName": "j", "username": "svc", "password": "x" + "y"},
     "password holds a literal secret",
     {**RG, "serverName": "s", "jobAgentName": "j", "username": "svc", "password": PLACEHOLDER}),
    ("secure-string", LINKED, linked({"connectionString": "Server=tcp:db.example.net;Database=agents",
                                      "password": {"type": "SecureString", "value": "hun" + "ter2"}}),
     "properties.typeProperties.password.value holds a literal secret",
     linked({"connectionString": "Server=tcp:db.example.net;Database=agents", "password": VAULT_REF})),
    ("connection-string", LINKED, linked({"connectionString": "DefaultEndpointsProtocol=https;AccountName=st;"
                                                              + ACCOUNT_KEY + ";EndpointSuffix=core.windows.net"}),
     "properties.typeProperties.connectionString holds a literal secret",
     linked({"connectionString": "DefaultEndpointsProtocol=https;AccountName=st;EndpointSuffix=core.windows.net",
             "encryptedCredential": "ew0KICAiVmVyc2lvbiI6ICIyMDE3LTExLTMwIiwNCiAgIlByb3RlY3Rpb25Nb2RlIjogIktleSIs"})),
]


VM, SQL = "azure-native:compute:VirtualMachine", "azure-native:sql:Server"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
CASES += [  # red9a 15: administrator passwords typed into the program
    ("vm", VM, {**RG, "osProfile": {"computerName": "vm", "adminUsername": "azureuser", "adminPassword": "Vm" + "Admin!2026"},
                "identity": {"type": "SystemAssigned"}}, "osProfile.adminPassword holds a literal secret",
     {**RG, "osProfile": {"computerName": "vm", "adminUsername": "azureuser", "adminPassword": UNKNOWN,
                          "linuxConfiguration": {"disablePasswordAuthentication": False}}}),
    ("vmss", VMSS, {**RG, "virtualMachineProfile": {"osProfile": {"adminUsername": "u", "adminPassword": "p" + "w"}}},
     "virtualMachineProfile.osProfile.adminPassword holds a literal secret",
     {**RG, "virtualMachineProfile": {"osProfile": {"adminUsername": "u", "adminPassword": PLACEHOLDER}}}),
    ("sql", SQL, {**RG, "administratorLogin": "sqladmin", "administratorLoginPassword": "Sq" + "lAdmin#1"},
     "administratorLoginPassword holds a literal secret",
     {**RG, "administrators": {"azureADOnlyAuthentication": True, "login": "agents", "sid": "s"}}),
]


@pytest.mark.parametrize("case,type_,flagged,fragment,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, fragment, look_alike):
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-AZ-025", "mandatory")], \
        [d.message for d in diags]
    assert f"{case}: {fragment}" in diags[0].message
    assert pack.analyze(type_, case, urn(type_, case), look_alike) == []


@pytest.mark.parametrize("type_,props,fragment", [
    (LINKED, {**RG, "properties": "Server=tcp:db"}, "properties is not the input shape"),
    (LINKED, linked({"password": {"type": "SecureString", "value": 42.0}}), "password.value is float"),
    (AUTOMATION, {**RG, "password": ["a"]}, "password is list"),
    (VM, {**RG, "osProfile": "admin:pw"}, "osProfile.adminPassword is not the input shape"),
])
def test_unreadable_shapes_fail_closed(pack, type_, props, fragment):
    diags = pack.analyze(type_, "bad", urn(type_, "bad"), props)
    assert [d.policy_name for d in diags] == ["AGID-AZ-025"] and fragment in diags[0].message
