"""AGID-AZ-025 over gRPC: literal secrets in Azure / Entra secret stores, and the look-alikes that must pass.

Test values are built at run time from pieces (no key-shaped literal sits in the tree).
"""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

SIG, SECRET = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
KV = "azure-native:keyvault:Secret"
DEVTEST = "azure-native:devtestlab:Secret"
MESH = "azure-native:servicefabricmesh:SecretValue"
SYNC = "azuread:index/synchronizationSecret:SynchronizationSecret"
KV_BASE = {"resourceGroupName": "rg", "vaultName": "kv-agents", "secretName": "github-token"}

# (case id, type, flagged props, look-alike props)
CASES = [
    ("key-vault-literal", KV, {**KV_BASE, "properties": {"value": TOKEN}},
     {**KV_BASE, "properties": {"value": UNKNOWN}}),
    ("key-vault-config-secret", KV, {**KV_BASE, "properties": {"value": TOKEN}},
     {**KV_BASE, "properties": {"value": {SIG: SECRET, "value": TOKEN}}}),
    ("key-vault-keyword", KV, {**KV_BASE, "properties": {"value": '{"password": "Tr0ub4dor&3"}'}},
     {**KV_BASE, "properties": {"contentType": "text/plain", "value": "[secret: not decrypted by agentid preview]"}}),
    ("devtest-literal", DEVTEST, {"labName": "lab", "userName": "@me", "resourceGroupName": "rg", "value": TOKEN},
     {"labName": "lab", "userName": "@me", "resourceGroupName": "rg", "value": UNKNOWN}),
    ("mesh-literal", MESH, {"resourceGroupName": "rg", "secretResourceName": "s", "value": TOKEN},
     {"resourceGroupName": "rg", "secretResourceName": "s"}),
    ("sync-literal", SYNC, {"servicePrincipalId": "sp", "credentials": [
        {"key": "BaseAddress", "value": "https://scim.example.com"}, {"key": "SecretToken", "value": TOKEN}]},
     {"servicePrincipalId": "sp", "credentials": [
         {"key": "BaseAddress", "value": "https://scim.example.com"}, {"key": "SecretToken", "value": UNKNOWN}]}),
]


@pytest.mark.parametrize("case,type_,flagged,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, look_alike):
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-AZ-025", "mandatory")], \
        [d.message for d in diags]
    assert case in diags[0].message and "literal secret" in diags[0].message and TOKEN not in diags[0].message
    assert pack.analyze(type_, case, urn(type_, case), look_alike) == []


@pytest.mark.parametrize("type_,props,path", [
    (KV, {**KV_BASE, "properties": "oops"}, "properties"),
    (SYNC, {"servicePrincipalId": "sp", "credentials": {"SecretToken": "x"}}, "credentials"),
    (SYNC, {"servicePrincipalId": "sp", "credentials": ["x"]}, "credentials[0]"),
    (DEVTEST, {"labName": "lab", "value": 42.0}, "value"),
])
def test_unreadable_shapes_fail_closed(pack, type_, props, path):
    [diag] = pack.analyze(type_, "bad", urn(type_, "bad"), props)
    assert diag.policy_name == "AGID-AZ-025" and f"bad: {path} is" in diag.message
