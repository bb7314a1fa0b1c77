"""What the broker needs to know about one agent: its role, its per-tool session policies, its session length.

Three ways to get it: from the stack outputs (what a deployed agent reads),
from the agent spec (compiled by `agentid_components.aws.permissions`, the same
compiler the Pulumi components use), or by hand. No Pulumi import here.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

STS_MIN_SESSION_SECONDS = 900  # AssumeRole* refuse shorter sessions
STS_MAX_SESSION_SECONDS = 43_200  # and longer than 12 hours
STACK_OUTPUT_KEY = "inventory"  # the stack output holding every agent's inventory (stacks/__main__.py)
_SERVICE_ACCOUNT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


class GrantsError(ValueError):
    """The agent's grants are missing or malformed (names the agent and what is wrong)."""


@dataclass(frozen=True)
class AgentGrants:
    """One agent's tools by kind: AWS tools (role + session policies) and OAuth / MCP tools (audience + scopes)."""

    agent: str
    role_arn: str | None
    session_policies: Mapping[str, dict] = field(repr=False)  # tool name -> IAM session policy document
    duration_seconds: int = STS_MIN_SESSION_SECONDS
    oauth_tools: Mapping[str, Any] = field(default_factory=dict)  # tool name -> agentid.runtime.oauth.OAuthTool
    azure_tools: Mapping[str, Any] = field(default_factory=dict)  # tool name -> agentid.runtime.azure_hop.AzureTool
    max_credential_seconds: int | None = None  # the spec's max_credential_minutes * 60 (None: duration_seconds)
    llm_tools: Mapping[str, Any] = field(default_factory=dict)  # tool name -> agentid.runtime.model_hop.ModelProviderTool
    gcp_tools: Mapping[str, Any] = field(default_factory=dict)  # tool name -> agentid.runtime.gcp_hop.GcpTool
    gcp_service_account: str | None = None  # the agent's service account email (None: its GCP tools are refused)

    def __post_init__(self) -> None:
        if self.session_policies and not _ROLE_ARN.match(self.role_arn or ""):
            raise GrantsError(f"agent '{self.agent}': '{self.role_arn}' is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        if not STS_MIN_SESSION_SECONDS <= self.duration_seconds <= STS_MAX_SESSION_SECONDS:
            raise GrantsError(
                f"agent '{self.agent}': duration {self.duration_seconds} s is outside STS's "
                f"{STS_MIN_SESSION_SECONDS}..{STS_MAX_SESSION_SECONDS} s"
            )
        if any(t.provider == "cognito" for t in self.oauth_tools.values()) and not _ROLE_ARN.match(self.role_arn or ""):
            raise GrantsError(
                f"agent '{self.agent}': its Cognito tools need the agent's role ARN: only that role may read the client "
                "secret from Secrets Manager"
            )
        if not self.session_policies and not self.oauth_tools and not self.azure_tools and not self.llm_tools and not self.gcp_tools:
            raise GrantsError(f"agent '{self.agent}' has no AWS, OAuth, Azure, GCP or model-provider tools: no session policy to narrow its role to, no token to get")
        if self.gcp_service_account is not None and not _SERVICE_ACCOUNT.match(self.gcp_service_account):
            raise GrantsError(f"agent '{self.agent}': '{self.gcp_service_account}' is not a service account email "
                              "(NAME@PROJECT.iam.gserviceaccount.com)")
        if self.max_credential_seconds is not None and not 60 <= self.max_credential_seconds <= STS_MAX_SESSION_SECONDS:
            raise GrantsError(f"agent '{self.agent}': max_credential_seconds {self.max_credential_seconds} is outside 60..{STS_MAX_SESSION_SECONDS}")
        for tool, policy in self.session_policies.items():
            if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list):
                raise GrantsError(f"agent '{self.agent}', tool '{tool}': the session policy is not an IAM policy document")

    @property
    def lifetime_cap_seconds(self) -> int:
        """The longest any credential of this agent may be handed out for (max_credential_minutes)."""
        return self.max_credential_seconds or self.duration_seconds

    @property
    def tools(self) -> list[str]:
        return sorted({*self.session_policies, *self.oauth_tools, *self.azure_tools, *self.llm_tools, *self.gcp_tools})

    @classmethod
    def from_spec(cls, agent: Any, role_arn: str | None = None, gcp_project: str | None = None,
                  azure_tenant: str | None = None, azure_client_id: str | None = None) -> "AgentGrants":
        """From a validated `agentid_components.spec.Agent`: the compiler's session policies and duration, its OAuth,
        Azure, model-provider and GCP tools (`gcp_project`: where the components created its service account).

        An Entra OAuth tool (`oauth.provider: entra`) gets its authority from configuration only: `azure_tenant` (the
        tenant id or verified domain) makes its issuer https://login.microsoftonline.com/TENANT/v2.0 and
        `azure_client_id` is the agent application's client id (the stack outputs' azure.tenant_id and
        azure.oauth.client_id). Without them the tool has no issuer and the broker refuses it (`no_issuer`): it
        never asks the resource server which authorization server to send the workload token to. GrantsError for a
        tenant that is not one tenant (`common`, `organizations`, `consumers` accept other tenants' tokens)."""
        from agentid.runtime.azure_hop import AzureTool
        from agentid.runtime.oauth import OAuthTool
        from agentid_components.aws import permissions

        oauth_tools = {tool.name: OAuthTool.from_spec(tool) for tool in agent.tools if tool.oauth is not None}
        entra = [name for name, t in oauth_tools.items() if t.provider == "entra"]
        if entra and (azure_tenant is not None or azure_client_id is not None):
            issuer = entra_issuer(agent.name, azure_tenant, azure_client_id)
            for name in entra:
                oauth_tools[name] = dataclasses.replace(oauth_tools[name], issuer=issuer, client_id=azure_client_id)
        azure_tools = {}
        for tool in agent.tools:
            if tool.azure is not None:
                try:
                    azure_tools[tool.name] = AzureTool.from_spec(tool)
                except ValueError as error:
                    raise GrantsError(f"agent '{agent.name}', tool '{tool.name}': {error}") from None
        from agentid.runtime.model_hop import ModelProviderTool

        llm_tools = {tool.name: ModelProviderTool.from_spec(tool) for tool in agent.tools
                     if tool.llm is not None and tool.llm.provider in ("anthropic", "openai")}
        gcp_tools = _gcp_tools(agent.name, [(t.name, t.gcp.resource, t.gcp.roles, t.gcp.permissions)
                                            for t in agent.tools if t.gcp is not None])
        email = None
        if gcp_tools and gcp_project:
            from agentid.runtime.gcp_hop import service_account_email

            email = service_account_email(agent.name, gcp_project)
        return cls(
            agent=agent.name,
            role_arn=role_arn,
            gcp_tools=gcp_tools,
            gcp_service_account=email,
            session_policies=permissions.session_policies(agent) if role_arn else {},
            duration_seconds=permissions.session_duration_seconds(agent),
            oauth_tools=oauth_tools,
            azure_tools=azure_tools,
            max_credential_seconds=agent.max_credential_minutes * 60,
            llm_tools=llm_tools,
        )

    @classmethod
    def from_stack_outputs(cls, outputs: Mapping[str, Any], agent: str) -> "AgentGrants":
        """From `pulumi stack output --json` (or the `inventory` output alone): every tool kind the agent has.

        The stack exports `inventory`: agent -> {credential_lifetime_minutes,
        oauth_tools (tool -> audience, scopes, provider, issuer, client_id),
        "aws": {role_arn, session_policies (tool -> document),
        lifetimes.sts_session_seconds, oauth: {client_id, issuer,
        client_secret_arn} for Cognito}, "azure": {roles: [{tool, actions,
        data_actions, scope}]}, "gcp": {service_account, tools (tool -> resource,
        roles, permissions)}}. The AWS fleet's own inventory (agent -> that
        "aws" entry) is accepted too. Raises GrantsError naming what is missing.
        """
        agents = outputs.get(STACK_OUTPUT_KEY, outputs) if isinstance(outputs, Mapping) else None
        entry = agents.get(agent) if isinstance(agents, Mapping) else None
        if not isinstance(entry, Mapping):
            known = ", ".join(sorted(k for k, v in agents.items() if isinstance(v, Mapping))) if isinstance(agents, Mapping) else ""
            raise GrantsError(
                f"agent '{agent}' is not in the stack outputs" + (f" (they list: {known})" if known else "")
                + ": deploy the agent first, or pass the role ARN and policies by hand"
            )
        aws = entry.get("aws") if isinstance(entry.get("aws"), Mapping) else entry if "role_arn" in entry else {}
        policies = aws.get("session_policies") or {}
        if isinstance(policies, str):  # an output may hold JSON text
            try:
                policies = json.loads(policies)
            except json.JSONDecodeError as error:
                raise GrantsError(f"agent '{agent}': session_policies in the stack outputs are not JSON ({error.msg})") from None
        if not isinstance(policies, Mapping):
            raise GrantsError(f"agent '{agent}': session_policies in the stack outputs should map tool names to documents")
        if policies and not aws.get("role_arn"):
            raise GrantsError(f"agent '{agent}': the stack outputs lack role_arn (does the agent have AWS tools?)")
        azure_entry = entry.get("azure") if isinstance(entry.get("azure"), Mapping) else {}
        oauth_tools = _oauth_tools(agent, entry.get("oauth_tools"), aws.get("oauth"), azure_entry)
        azure_tools = _azure_tools(agent, entry.get("azure"))
        llm_tools = _llm_tools(agent, entry.get("llm_tools"))
        gcp = entry.get("gcp") if isinstance(entry.get("gcp"), Mapping) else {}
        declared = gcp.get("tools") if isinstance(gcp.get("tools"), Mapping) else {}
        if any(not isinstance(g, Mapping) or not isinstance(g.get("resource"), str) for g in declared.values()):
            raise GrantsError(f"agent '{agent}': gcp.tools in the stack outputs should map tool names to {{resource, roles, permissions}}")
        gcp_tools = _gcp_tools(agent, [(name, g["resource"], list(g.get("roles") or []), list(g.get("permissions") or []))
                                          for name, g in declared.items()])
        if gcp_tools and not isinstance(gcp.get("service_account"), str):
            raise GrantsError(f"agent '{agent}': the stack outputs list gcp tools but no gcp.service_account")
        if not policies and not oauth_tools and not azure_tools and not llm_tools and not gcp_tools:
            raise GrantsError(f"agent '{agent}': the stack outputs lack role_arn and session_policies (does the agent have AWS tools?)")
        lifetimes = aws.get("lifetimes") or {}
        duration = int(lifetimes.get("sts_session_seconds") or STS_MIN_SESSION_SECONDS)
        minutes = entry.get("credential_lifetime_minutes")
        return cls(
            agent=agent,
            role_arn=aws.get("role_arn"),
            session_policies=dict(policies),
            duration_seconds=duration,
            oauth_tools=oauth_tools,
            azure_tools=azure_tools,
            llm_tools=llm_tools,
            gcp_tools=gcp_tools,
            gcp_service_account=gcp.get("service_account") if gcp_tools else None,
            max_credential_seconds=int(minutes) * 60 if isinstance(minutes, int) and not isinstance(minutes, bool) else None,
        )


# Entra tenant: a GUID or a verified domain (Microsoft identity platform, "Authority": login.microsoftonline.com/
# {tenant}); the multi-tenant aliases are refused: an issuer must be one tenant
_TENANT = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
                     r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$")
_MULTI_TENANT = ("common", "organizations", "consumers")


def entra_issuer(agent: str, tenant: str | None, client_id: str | None) -> str:
    """https://login.microsoftonline.com/TENANT/v2.0 for a configured tenant and application client id; GrantsError
    naming what is missing or malformed."""
    from agentid_components.azure.plan import ENTRA_ISSUER

    if not isinstance(tenant, str) or not isinstance(client_id, str) or not tenant or not client_id:
        raise GrantsError(f"agent '{agent}': an Entra tool needs both the tenant and the agent application's client id "
                          "(stack outputs azure.tenant_id and azure.oauth.client_id; agentid credential --azure-tenant "
                          "and --azure-client-id)")
    if tenant.lower() in _MULTI_TENANT or not _TENANT.match(tenant.lower()):
        raise GrantsError(f"agent '{agent}': Entra tenant {tenant[:80]!r} is not one tenant (a GUID or a verified domain "
                          f"such as contoso.onmicrosoft.com; {', '.join(_MULTI_TENANT)} accept other tenants' tokens)")
    return ENTRA_ISSUER.format(tenant=tenant.lower())


def _oauth_tools(agent: str, declared: Any, cognito: Any, azure: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The inventory's `oauth_tools`, a Cognito tool completed with the deployed client (issuer, id, secret ARN,
    token endpoint), an Entra tool with the agent's tenant (issuer https://login.microsoftonline.com/TENANT/v2.0)
    and its application's client id: the broker sends the client assertion only to the issuer the stack names."""
    from agentid.runtime.oauth import OAuthTool

    if declared is None:
        return {}
    if not isinstance(declared, Mapping):
        raise GrantsError(f"agent '{agent}': oauth_tools in the stack outputs should map tool names to grants")
    tools = {}
    for name, grant in declared.items():
        scopes = grant.get("scopes") if isinstance(grant, Mapping) else None
        if not isinstance(grant.get("audience") if isinstance(grant, Mapping) else None, str) or not isinstance(scopes, list):
            raise GrantsError(f"agent '{agent}', tool '{name}': oauth_tools entry needs audience and scopes")
        provider = grant.get("provider") or "oidc"
        fields: dict[str, Any] = {"issuer": grant.get("issuer"), "client_id": grant.get("client_id")}
        if provider == "cognito":
            if not isinstance(cognito, Mapping) or not all(cognito.get(k) for k in ("issuer", "client_id", "client_secret_arn")):
                raise GrantsError(
                    f"agent '{agent}', tool '{name}': a Cognito tool needs aws.oauth.issuer, client_id and client_secret_arn "
                    "in the stack outputs (deploy the agent with this version of the kit)"
                )
            fields = {"issuer": cognito["issuer"], "client_id": cognito["client_id"], "client_secret_ref": cognito["client_secret_arn"],
                      # on the user pool's domain, not the issuer's host: the one other host the secret may go to
                      "token_endpoint": cognito.get("token_endpoint") if isinstance(cognito.get("token_endpoint"), str) else None}
        if provider == "entra":
            application = (azure or {}).get("oauth") if isinstance((azure or {}).get("oauth"), Mapping) else {}
            tenant, client_id = (azure or {}).get("tenant_id"), application.get("client_id")
            if not isinstance(tenant, str) or not isinstance(client_id, str) or not tenant or not client_id:
                raise GrantsError(
                    f"agent '{agent}', tool '{name}': an Entra tool needs azure.tenant_id and azure.oauth.client_id in the "
                    "stack outputs (deploy the agent with this version of the kit)")
            fields = {"issuer": entra_issuer(agent, tenant, client_id), "client_id": client_id}
        _check_urls(agent, name, {"audience": grant["audience"], "issuer": fields.get("issuer"),
                                  "token_endpoint": fields.get("token_endpoint")})
        tools[name] = OAuthTool(tool=name, audience=grant["audience"], scopes=tuple(scopes), provider=provider,
                                mcp=bool(grant.get("mcp")), **fields)
    return tools


def _check_urls(agent: str, tool: str, urls: Mapping[str, Any]) -> None:
    """GrantsError unless each URL the stack outputs give a tool (audience, issuer, token endpoint; None: not given)
    obeys the agent file's URL rules (agentid_components.https_url): the outputs file comes from outside the agent
    file, and one string that parsers read as two hosts or paths, or a loopback or metadata address, would decide
    where the agent's client credential and tokens go."""
    from agentid_components import https_url

    for key, url in urls.items():
        if url is None:
            continue
        why = https_url.problem(url) if isinstance(url, str) else "is not a string"
        if why:
            raise GrantsError(f"agent '{agent}', tool '{tool}': the stack outputs' {key} {str(url)[:200]!r} {why}")


def _azure_tools(agent: str, azure: Any) -> dict[str, Any]:
    """AzureTool per entry of the Azure inventory's `roles` (tool, actions, data_actions, scope)."""
    from agentid.runtime.azure_hop import AzureTool, resource_for

    roles = azure.get("roles") if isinstance(azure, Mapping) else None
    tools = {}
    for role in roles if isinstance(roles, list) else []:
        if not isinstance(role, Mapping) or not isinstance(role.get("tool"), str) or not isinstance(role.get("scope"), str):
            raise GrantsError(f"agent '{agent}': an azure.roles entry in the stack outputs lacks tool or scope")
        try:
            resource = resource_for(list(role.get("actions") or []), list(role.get("data_actions") or []))
        except ValueError as error:
            raise GrantsError(f"agent '{agent}', tool '{role['tool']}': {error}") from None
        own = role.get("identity")
        client_id = own.get("client_id") if isinstance(own, Mapping) else None
        if own is not None and not isinstance(client_id, str):
            raise GrantsError(f"agent '{agent}', tool '{role['tool']}': azure.roles[].identity lacks client_id")
        tools[role["tool"]] = AzureTool(tool=role["tool"], resource=resource, scope=role["scope"], client_id=client_id)
    return tools


def _llm_tools(agent: str, declared: Any) -> dict[str, Any]:
    """The inventory's `llm_tools` (tool -> provider and the provider's identifiers) as ModelProviderTools."""
    from agentid.runtime.model_hop import ModelProviderTool

    if declared is None:
        return {}
    tools = {}
    for name, grant in declared.items() if isinstance(declared, Mapping) else [(None, None)]:
        ids = grant.get("ids") if isinstance(grant, Mapping) else None
        if not isinstance(ids, Mapping) or not all(isinstance(v, str) for v in ids.values()):
            raise GrantsError(f"agent '{agent}': llm_tools in the stack outputs should map tool names to {{provider, ids}}")
        try:
            tools[name] = ModelProviderTool(tool=name, provider=str(grant.get("provider")), ids=tuple(sorted(ids.items())))
        except ValueError as error:
            raise GrantsError(f"agent '{agent}', tool '{name}': {error}") from None
    return tools


def _gcp_tools(agent: str, grants: list[tuple[str, str, list[str], list[str]]]) -> dict[str, Any]:
    """GcpTool per (tool, resource, roles, permissions); a grant no Credential Access Boundary can express is an error."""
    if not grants:
        return {}
    from agentid.runtime.gcp_hop import GcpHopError, GcpTool

    tools = {}
    for name, resource, roles, permissions in grants:
        try:
            tools[name] = GcpTool.from_grant(name, resource, roles, permissions)
        except GcpHopError as error:
            raise GrantsError(f"agent '{agent}', tool '{name}': {error}") from None
    return tools
