"""The spec's Cedar permits in the dialect of Amazon Bedrock AgentCore Policy, so the same decision can run at a Gateway.

AgentCore Policy evaluates Cedar at an AgentCore Gateway before each MCP tool call. Its schema is generated from
the Gateway's tool manifest and differs from the kit's own dialect (authorization.py) as follows
(AWS, "Amazon Bedrock AgentCore developer guide": Policy scope, Schema constraints, Policy conditions,
Authorization flow; https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/policy-scope.html):

- every entity is in the `AgentCore` namespace;
- principal: `AgentCore::OAuthUser` (OAuth inbound auth; its id is the JWT's `sub`, claims are tags) or
  `AgentCore::IamEntity` (AWS_IAM inbound auth; attribute `id` = the caller's IAM ARN);
- action: one per tool of a Gateway target, `AgentCore::Action::"<TargetName>___<toolName>"` (three
  underscores), each a member of `CallTool`; Cedar has no action wildcards, so each tool is named;
- resource: the Gateway, `AgentCore::Gateway::"<gateway ARN>"`;
- context: only `context.input`, the tool call's arguments.

A spec tool maps to one Gateway target and the MCP tools the agent may call on it (the spec does not know the
Gateway's names: the caller gives them). The agent is the principal: the assumed-role sessions of its role in
one account (`principal.id like "arn:aws:sts::ACCOUNT:assumed-role/ROLE/*"`), or the OAuth subject of its client
(client credentials: `sub` is the client id). Where the caller names the argument that carries the call's
target, the permit also requires `context.input.ARG` to match the tool's target patterns, the same patterns the
kit's own permits check `resource.id` against (authorization.target_patterns).

Users' own Cedar files are written against the kit's entities and are not translated: AgentCore's context holds
only `input` (no `trace_id`, `on_behalf_of`, `time`, `hour`, nor the caller's keys), its resource is the Gateway
(no `Target` with an `id`), and its principal is an `AgentCore::IamEntity` / `OAuthUser` (not `Agent::"NAME"`), so
a condition on any of those has no counterpart there. `untranslated` names each such policy and what it reads; a
forbid left out means the Gateway allows what the broker forbids, and the CLI says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agentid.runtime.authorization import _cedar_string, attributes_read, target_condition

ACTION_SEPARATOR = "___"  # AgentCore's action id: TargetName___toolName
_GATEWAY_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:gateway/[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_TARGET_NAME = re.compile(r"^([0-9a-zA-Z][-]?){1,100}$")  # AgentCore CreateGatewayTarget `name`
_MCP_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")  # MCP 2025-06-18 tools: names of 1-128 of these characters
_ARGUMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")  # a Cedar identifier (context.input.ARG)
_ACCOUNT = re.compile(r"^\d{12}$")


class AgentCoreExportError(ValueError):
    """A mapping or caller that cannot be rendered (names the option and what would be valid)."""


@dataclass(frozen=True)
class GatewayTool:
    """One spec tool behind the Gateway: its target's name, the MCP tools it may call there, the target argument."""

    tool: str
    target: str
    mcp_tools: tuple[str, ...]
    argument: str | None = None

    @classmethod
    def parse(cls, text: str) -> "GatewayTool":
        """`SPEC_TOOL=TARGET:mcp_tool[,mcp_tool...][@ARGUMENT]`, e.g. `query-crm=CrmTarget:search,get@account_url`."""
        spec_tool, _, rest = text.partition("=")
        target, _, tools = rest.partition(":")
        tools, _, argument = tools.partition("@")
        names = tuple(name.strip() for name in tools.split(",") if name.strip())
        if not spec_tool or not target or not names:
            raise AgentCoreExportError(f"--gateway-tool {text!r}: write SPEC_TOOL=TARGET:mcp_tool[,mcp_tool...][@ARGUMENT]")
        if not _TARGET_NAME.match(target):
            raise AgentCoreExportError(f"--gateway-tool {text!r}: {target!r} is not a Gateway target name (letters, digits, single hyphens; at most 100)")
        for name in names:
            if not _MCP_TOOL_NAME.match(name):
                raise AgentCoreExportError(f"--gateway-tool {text!r}: {name!r} is not an MCP tool name (1-128 of A-Z a-z 0-9 _ . -)")
        if argument and not _ARGUMENT.match(argument):
            raise AgentCoreExportError(f"--gateway-tool {text!r}: argument {argument!r} is not an identifier (letters, digits, _)")
        return cls(spec_tool, target, names, argument or None)


@dataclass(frozen=True)
class Caller:
    """How the Gateway sees the agent: `iam` (its role's sessions in `account`) or `oauth` (the token's `sub`)."""

    kind: str
    account: str | None = None
    role_name: str | None = None
    subject: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "iam" and not (self.account and _ACCOUNT.match(self.account) and self.role_name):
            raise AgentCoreExportError("an IAM caller needs --account (the agent role's 12-digit account id)")
        if self.kind == "oauth" and not self.subject:
            raise AgentCoreExportError("an OAuth caller needs --oauth-subject (the `sub` of the agent's tokens: its client id)")
        if self.kind not in ("iam", "oauth"):
            raise AgentCoreExportError(f"--caller must be iam or oauth, not {self.kind!r}")

    def scope_and_condition(self) -> tuple[str, str | None]:
        if self.kind == "oauth":
            return f"principal == AgentCore::OAuthUser::{_cedar_string(str(self.subject))}", None
        # the role name ends at '/', so agent-a's pattern never matches agent-a-b's sessions
        pattern = f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/*"
        return "principal is AgentCore::IamEntity", f"principal.id like {_cedar_string(pattern)}"


def action_id(target: str, mcp_tool: str) -> str:
    return f"{target}{ACTION_SEPARATOR}{mcp_tool}"


_POLICY_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class AgentCorePolicy:
    """One AgentCore Policy: `name` ([A-Za-z0-9_]) and its Cedar `statement` (CreatePolicy takes one statement
    per policy: `definition.cedar.statement`, as in `aws.bedrock.AgentcorePolicy` and AWS::BedrockAgentCore::Policy)."""

    name: str
    description: str
    statement: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "definition": {"cedar": {"statement": self.statement}}}


def render(agent: Any, gateway_arn: str, tools: list[GatewayTool], caller: Caller) -> list[AgentCorePolicy]:
    """One AgentCore permit per mapped spec tool of `agent` (a validated spec Agent).

    Raises AgentCoreExportError for a malformed Gateway ARN, a spec tool the agent does not have, a tool mapped
    twice, or no mapping at all. Anything not permitted is denied (Cedar's default), as in the kit's dialect.
    """
    if not _GATEWAY_ARN.match(gateway_arn or ""):
        raise AgentCoreExportError(
            f"--gateway-arn {gateway_arn!r} is not a Gateway ARN (arn:aws:bedrock-agentcore:REGION:ACCOUNT:gateway/ID)")
    if not tools:
        raise AgentCoreExportError("name at least one --gateway-tool SPEC_TOOL=TARGET:mcp_tool: the Gateway's tool "
                                   "names are not in the spec")
    own = {tool.name: tool for tool in agent.tools}
    seen: set[str] = set()
    principal_scope, principal_condition = caller.scope_and_condition()
    policies = []
    for mapped in tools:
        if mapped.tool not in own:
            raise AgentCoreExportError(f"--gateway-tool: agent '{agent.name}' has no tool {mapped.tool!r} "
                                       f"(its tools: {', '.join(sorted(own))})")
        if mapped.tool in seen:
            raise AgentCoreExportError(f"--gateway-tool: {mapped.tool!r} is mapped twice")
        seen.add(mapped.tool)
        actions = ", ".join(f"AgentCore::Action::{_cedar_string(action_id(mapped.target, name))}" for name in mapped.mcp_tools)
        conditions = [principal_condition] if principal_condition else []
        if mapped.argument:
            attribute = f"context.input.{mapped.argument}"
            conditions.append(f"context.input has {mapped.argument} && ({target_condition(attribute, own[mapped.tool])})")
        when = f"\nwhen {{ {' && '.join(f'({c})' for c in conditions)} }}" if conditions else ""
        statement = (f"permit (\n  {principal_scope},\n  action in [{actions}],\n"
                     f"  resource == AgentCore::Gateway::{_cedar_string(gateway_arn)}\n){when};\n")
        name = _POLICY_NAME.sub("_", f"{agent.name}_{mapped.tool}")[:48]
        description = f"agentid: agent {agent.name}, tool {mapped.tool} (target {mapped.target})"
        policies.append(AgentCorePolicy(name, description, statement))
    return policies


def render_text(policies: list[AgentCorePolicy]) -> str:
    """The statements as one Cedar text, each after a `// name` comment (cedarpy and the Cedar CLI read it whole)."""
    return "\n".join(f"// {policy.name}\n{policy.statement}" for policy in policies)


def untranslated(name: str, text: str) -> list[str]:
    """One line per policy of a user's Cedar file (`name`: how to call it) that the export leaves out: its @id (or
    Cedar's policyN), its effect and the kit facts it reads that AgentCore Policy has no counterpart for."""
    import json

    import cedarpy

    try:
        static = json.loads(cedarpy.policies_to_json_str(text)).get("staticPolicies", {})
    except (ValueError, TypeError) as error:
        return [f"{name}: does not parse as Cedar ({str(error).splitlines()[0] if str(error) else 'error'}): not exported"]
    lines = []
    for pid, body in static.items():
        label = (body.get("annotations") or {}).get("id") or f"policy #{int(pid[6:]) + 1 if pid[6:].isdigit() else pid}"
        reads = []
        for variable in ("context", "resource", "principal"):
            keys = attributes_read(body.get("conditions", []), variable)
            if keys is None or keys:
                reads.append(f"{variable} (whole)" if keys is None else ", ".join(f"{variable}.{k}" for k in sorted(keys)))
        facts = "; reads " + ", ".join(reads) if reads else ""
        effect = body.get("effect", "?")
        consequence = ("the Gateway allows what the broker forbids: write its AgentCore counterpart by hand (only "
                       "context.input exists there)") if effect == "forbid" else "the Gateway permits less than the broker: nothing widens"
        lines.append(f"{name}: {effect} {label!r}{facts}: not exported; {consequence}")
    return lines
