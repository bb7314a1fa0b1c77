"""AGID-AZ-058 (stack): Azure SQL, SQL Managed Instance, Synapse, PostgreSQL and MySQL servers accept Microsoft Entra
sign-in only.

Each server keeps a local administrator login whose password is a static credential outside Entra ID, RBAC and
Conditional Access (the same class as AGID-AZ-024's keys and local accounts, red11a r09), unless Entra-only
authentication is on:
  - `sql:Server` / `sql:ManagedInstance`: `administrators.azureADOnlyAuthentication` true, or a stack
    `sql:ServerAzureADOnlyAuthentication` / `sql:ManagedInstanceAzureADOnlyAuthentication` for it with
    `azureADOnlyAuthentication` true (one of these setting it false turns SQL authentication back on: flagged);
  - `synapse:Workspace`: `azureADOnlyAuthentication` true;
  - `dbforpostgresql:Server` (flexible): `authConfig.passwordAuth` Disabled (Azure's default: Enabled);
  - `dbformysql:Server` (flexible): a stack `dbformysql:Configuration` `aad_auth_only` = ON for it.
The separate resources are linked to their server by the server input: its Output (iam_links.output_sources; a bare
depends_on is no link, issue 11), or its Azure name when created after it (never its Pulumi name: an autonamed server
is `<logical><8 hex>`; iam_links.names_azure_object).
Sources: https://learn.microsoft.com/en-us/azure/azure-sql/database/authentication-azure-ad-only-authentication,
https://learn.microsoft.com/en-us/azure/synapse-analytics/sql/active-directory-authentication,
https://learn.microsoft.com/en-us/azure/postgresql/flexible-server/concepts-azure-ad-authentication,
https://learn.microsoft.com/en-us/azure/mysql/flexible-server/concepts-azure-ad-authentication (aad_auth_only).
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .iam_links import names_azure_object, output_sources

SQL_SERVER, MANAGED_INSTANCE = "azure-native:sql:Server", "azure-native:sql:ManagedInstance"
SYNAPSE, POSTGRES, MYSQL = ("azure-native:synapse:Workspace", "azure-native:dbforpostgresql:Server",
                            "azure-native:dbformysql:Server")
# the separate resources that turn Entra-only on for a server: type -> (server type, input naming the server)
ENTRA_ONLY = {"azure-native:sql:ServerAzureADOnlyAuthentication": (SQL_SERVER, "serverName"),
              "azure-native:sql:ManagedInstanceAzureADOnlyAuthentication": (MANAGED_INSTANCE, "managedInstanceName")}
MYSQL_CONFIGURATION = "azure-native:dbformysql:Configuration"
# server type -> (input path, value meaning Entra only, its own name input)
SERVERS = {SQL_SERVER: ("administrators.azureADOnlyAuthentication", True, "serverName"),
           MANAGED_INSTANCE: ("administrators.azureADOnlyAuthentication", True, "managedInstanceName"),
           SYNAPSE: ("azureADOnlyAuthentication", True, "workspaceName"),
           POSTGRES: ("authConfig.passwordAuth", "disabled", "serverName"),
           MYSQL: (None, None, "serverName")}


def _for_server(setting: Resource, server: Resource, name_input: str, own_name: str) -> bool:
    """Whether the setting's server input names `server`: its Output unknown at preview as
    iam_links.output_sources proves it, or a literal equal to its Azure name in its resource group when the setting is
    created after it (iam_links.names_azure_object). Never the server's Pulumi name (issue 11: azure-native autonames
    a server without its name input `<logical><8 random hex>`, so `serverName="<logical>"` turns Entra-only on for
    an EXISTING server), and never a literal the setting does not wait for (a stack server of an existing one's name
    fails to create; the setting, created in parallel, lands on the existing one). A depends_on the server beside
    another server's name is no link (issue 11: Entra-only turned on for another server made this one's password
    login pass)."""
    named = setting.props.get(name_input)
    if is_unknown(named):
        return bool(output_sources(setting, [server], (own_name, "name", "id"), name_input))
    return names_azure_object(setting, named, server, own_name, setting.props.get("resourceGroupName"))


def _turned_on_elsewhere(server: Resource, resources: list[Resource]) -> bool:
    """Whether a separate stack resource turns Entra-only on for `server`."""
    for setting in resources:
        if setting.type in ENTRA_ONLY and ENTRA_ONLY[setting.type][0] == server.type \
                and _for_server(setting, server, ENTRA_ONLY[setting.type][1], SERVERS[server.type][2]) \
                and setting.props.get("azureADOnlyAuthentication") is True:
            return True
        if setting.type == MYSQL_CONFIGURATION and server.type == MYSQL \
                and _for_server(setting, server, "serverName", "serverName") \
                and str(setting.props.get("configurationName", "")).lower() == "aad_auth_only" \
                and str(setting.props.get("value", "")).upper() == "ON":
            return True
    return False


def check(resources: list[Resource], config):
    for resource in resources:
        if resource.type in ENTRA_ONLY:
            value = resource.props.get("azureADOnlyAuthentication")
            if is_unknown(value):
                yield Unknown(f"{resource.name}.azureADOnlyAuthentication", resource.urn)
            elif value is not True:
                yield Violation(f"{resource.name}: azureADOnlyAuthentication is {value!r}, which turns SQL "
                                "authentication (the administrator login's password) on", resource.urn)
            continue
        if resource.type not in SERVERS:
            continue
        path, entra_only, _ = SERVERS[resource.type]
        value = value_at(resource.props, path) if path else None
        if is_unknown(value):
            yield Unknown(f"{resource.name}.{path}", resource.urn)
            continue
        if (value is entra_only if isinstance(entra_only, bool) else str(value).lower() == entra_only) \
                or _turned_on_elsewhere(resource, resources):
            continue
        service = resource.type.split(":")[1]
        setting = (f"{path} is {'not set' if value is None else repr(value)}" if path
                   else "no Configuration aad_auth_only = ON")
        yield Violation(f"{service} {resource.name}: {setting}, so its local administrator login signs in with a "
                        "password outside Entra ID", resource.urn)


RULE = Rule(
    id="AGID-AZ-058",
    title="azure-databases-entra-only",
    severity="critical",  # a static password bypasses the identity, as keys do (issue 11)
    category="static-credential",
    description="Azure SQL servers and managed instances, Synapse workspaces and PostgreSQL / MySQL flexible servers "
                "accept Microsoft Entra sign-in only (no local administrator password).",
    remediation="Set administrators.azureADOnlyAuthentication (Synapse: azureADOnlyAuthentication) to true, PostgreSQL "
                "authConfig.passwordAuth to Disabled, MySQL's aad_auth_only to ON; give the agent's identity a "
                "database role through its Entra administrator.",
    url="https://learn.microsoft.com/en-us/azure/azure-sql/database/authentication-azure-ad-only-authentication",
    check=check,
    stack=True,
    reads=(*SERVERS, *ENTRA_ONLY, MYSQL_CONFIGURATION),
)
