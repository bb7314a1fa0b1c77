"""AGID-AZ-058 over gRPC (red11a r09's class: local authentication beside Entra ID). A database server whose local
administrator login keeps working blocks; the same server with Entra-only authentication, set on it or by the
separate resource the stack links to it, passes."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RG = {"resourceGroupName": "rg1"}
ADMINS = {"login": "dba-group", "sid": "11111111-2222-3333-4444-555555555555", "principalType": "Group"}


def res(type_, name, props, *deps):
    return StackResource(type_, name, urn(type_, name), props, dependencies=[d.urn for d in deps])


def findings(pack, *resources):
    return stack_findings(pack, "AGID-AZ-058", resources, "mandatory")


@pytest.mark.parametrize("type_,local,entra_only,fragment", [
    ("azure-native:sql:Server", {**RG, "administratorLogin": "sqladmin", "administratorLoginPassword": UNKNOWN},
     {**RG, "administrators": {**ADMINS, "azureADOnlyAuthentication": True}},
     "sql db: administrators.azureADOnlyAuthentication is not set, so its local administrator login"),
    ("azure-native:sql:ManagedInstance", {**RG, "administrators": {**ADMINS, "azureADOnlyAuthentication": False}},
     {**RG, "administrators": {**ADMINS, "azureADOnlyAuthentication": True}},
     "sql db: administrators.azureADOnlyAuthentication is False"),
    ("azure-native:synapse:Workspace", {**RG, "identity": {"type": "SystemAssigned"}},
     {**RG, "identity": {"type": "SystemAssigned"}, "azureADOnlyAuthentication": True},
     "synapse db: azureADOnlyAuthentication is not set"),
    ("azure-native:dbforpostgresql:Server", {**RG, "authConfig": {"activeDirectoryAuth": "Enabled"}},
     {**RG, "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Disabled"}},
     "dbforpostgresql db: authConfig.passwordAuth is not set"),
])
def test_local_administrator_login_blocks_and_entra_only_passes(pack, type_, local, entra_only, fragment):
    [(name, message)] = findings(pack, res(type_, "db", local))
    assert name == "db" and fragment in message and "a password outside Entra ID" in message
    assert findings(pack, res(type_, "db", entra_only)) == []


def test_entra_only_set_by_a_separate_resource_counts_and_one_turning_it_off_blocks(pack):
    server = res("azure-native:sql:Server", "db", {**RG, "serverName": "orders"})
    on = res("azure-native:sql:ServerAzureADOnlyAuthentication", "entra-only",
             {**RG, "serverName": UNKNOWN, "azureADOnlyAuthentication": True}, server)
    assert findings(pack, server, on) == []
    off = res("azure-native:sql:ServerAzureADOnlyAuthentication", "entra-only",
              {**RG, "serverName": "orders", "azureADOnlyAuthentication": False})
    assert [name for name, _ in findings(pack, server, off)] == ["db", "entra-only"]
    mysql = res("azure-native:dbformysql:Server", "my", {**RG, "serverName": "orders-mysql"})
    assert [name for name, _ in findings(pack, mysql)] == ["my"]
    aad_only = res("azure-native:dbformysql:Configuration", "aad-only",
                   {**RG, "serverName": "orders-mysql", "configurationName": "aad_auth_only", "value": "ON"}, mysql)
    assert findings(pack, mysql, aad_only) == []


def test_entra_only_for_another_server_with_depends_on_this_one_does_not_count(pack):
    """issue 11: Entra-only turned on for ANOTHER server (its name literal, or a constant behind another Output) with
    `depends_on=[this server]` counted for this one, whose password login then passed. It blocks; the look-alikes
    (the server's own name, its Output) pass."""
    server = res("azure-native:sql:Server", "db", {**RG, "serverName": "orders"})
    bucket = res("aws:s3/bucketV2:BucketV2", "marker", {})
    elsewhere = res("azure-native:sql:ServerAzureADOnlyAuthentication", "elsewhere",
                    {**RG, "serverName": "scratch", "azureADOnlyAuthentication": True}, server)
    hidden = res("azure-native:sql:ServerAzureADOnlyAuthentication", "hidden",
                 {**RG, "serverName": UNKNOWN, "azureADOnlyAuthentication": True}, server, bucket)
    for setting in (elsewhere, hidden):
        assert [name for name, _ in findings(pack, server, bucket, setting)] == ["db"], setting.name
    named = res("azure-native:sql:ServerAzureADOnlyAuthentication", "named",
                {**RG, "serverName": "orders", "azureADOnlyAuthentication": True}, server)
    assert findings(pack, server, bucket, named) == []


@pytest.mark.parametrize("server_props,setting_props,depends", [
    # azure-native autonames a server without serverName `db<8 random hex>`: `db` is an existing server
    ({**RG}, {**RG, "serverName": "db"}, True),
    # the server's name, but the setting is not created after it: a stack server of an existing one's name fails to
    # create and the setting lands on the existing one
    ({**RG, "serverName": "orders"}, {**RG, "serverName": "orders"}, False),
    # the server's name in another resource group is another server
    ({**RG, "serverName": "orders"}, {"resourceGroupName": "rg-other", "serverName": "orders"}, True),
], ids=["logical name of an autonamed server", "not ordered after", "another resource group"])
def test_a_literal_server_name_is_the_stacks_server_only_as_azure_names_it_and_after_it(pack, server_props,
                                                                                      setting_props, depends):
    """issue 11 (Azure autonaming): Entra-only set for a server the literal does not name (the logical name of an
    autonamed server, a server the setting does not wait for, another resource group's) leaves this server's password
    login on. Look-alikes above: the explicit name with a dependency, the server's Output."""
    server = res("azure-native:sql:Server", "db", server_props)
    setting = res("azure-native:sql:ServerAzureADOnlyAuthentication", "entra-only",
                  {**setting_props, "azureADOnlyAuthentication": True}, *([server] if depends else []))
    assert [name for name, _ in findings(pack, server, setting)] == ["db"]
    mysql = res("azure-native:dbformysql:Server", "my", {**RG})
    config = res("azure-native:dbformysql:Configuration", "aad-only",
                 {**RG, "serverName": "my", "configurationName": "aad_auth_only", "value": "ON"}, mysql)
    assert [name for name, _ in findings(pack, mysql, config)] == ["my"]


def test_under_the_gate_a_server_output_is_the_name_its_mocks_autoname_it():
    """Under the gate (the pack told the mocks' account) an Output of an autonamed server's name arrives as the name
    the mocks give it (`db<8 hex>`, as azure-native names it): Entra-only set through it counts; the logical name
    still names an existing server."""
    from agentid.analyzer_client import PackProcess
    from agentid.mock_provider import MOCK_ACCOUNT, mock_outputs
    from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
    from tests.policy.test_pack_grpc import PACK

    server = res("azure-native:sql:Server", "db", {**RG})
    physical = mock_outputs(server.type, "db", {**RG})[1]["serverName"]
    assert physical.startswith("db") and len(physical) == 10
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as gate:
        for named, flagged in ((physical, []), ("db", ["db"])):
            setting = res("azure-native:sql:ServerAzureADOnlyAuthentication", "entra-only",
                          {**RG, "serverName": named, "azureADOnlyAuthentication": True}, server)
            assert [name for name, _ in findings(gate, server, setting)] == flagged, named
