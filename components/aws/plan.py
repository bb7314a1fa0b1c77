"""Everything an agent compiles to on AWS, computed and checked before any resource registers.

Pure (no Pulumi): the components only turn an `AgentPlan` into resources, so
every refusal (a grant broader than declared, a lifetime above the cap, a name
AWS would reject, an unreadable CA bundle) happens here, for the whole fleet,
before the first registration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from agentid_components import input_limits, naming
from agentid_components.aws import permissions, revocation_read, trust
from agentid_components.aws.permissions import PolicyCompileError
from agentid_components.aws.trust import aws_bindings
from agentid_components.spec import Agent, Tool

# Cognito scope names: printable ASCII except '"', '/' and '\'.
_COGNITO_SCOPE = re.compile(r'^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$')


@dataclass(frozen=True)
class AgentPlan:
    agent: Agent
    role_name: str | None  # None when the agent needs no IAM role (no AWS tools, no Cognito client)
    session_seconds: int
    tool_policies: dict[str, dict] = field(default_factory=dict)  # tool -> inline policy document
    session_policies: dict[str, dict] = field(default_factory=dict)  # tool -> STS session policy
    boundary: dict | None = None
    ca_bundles: dict[str, str] = field(default_factory=dict)  # SPIFFE ID -> PEM text
    cognito_scopes: dict[str, list[str]] = field(default_factory=dict)  # audience -> scopes
    suffix: str = ""  # the stack's name suffix (see `naming`)

    @property
    def needs_role(self) -> bool:
        return self.role_name is not None

    @property
    def cognito_scope_ids(self) -> list[str]:
        """Scopes as Cognito names them in tokens: `<resource-server-identifier>/<scope>`."""
        return [f"{audience}/{scope}" for audience, scopes in self.cognito_scopes.items() for scope in scopes]


def cognito_tools(agent: Agent) -> list[Tool]:
    return [tool for tool in agent.tools if tool.oauth and tool.oauth.provider == "cognito"]


def plan_agent(agent: Agent, agents_dir: str | Path = ".", suffix: str = "") -> AgentPlan:
    """Compile one agent; raise PolicyCompileError naming the agent (and tool) on bad input.

    `suffix`: the stack's name suffix (see `naming`), part of the role's name.
    """
    seconds = permissions.session_duration_seconds(agent)
    role_name = None
    compiled: dict = {}
    # Cognito tools need the role too: it alone may read the client secret (client_secret.py).
    if permissions.aws_tools(agent) or cognito_tools(agent):
        role_name = naming.aws_role_name(agent.name, suffix)  # fitted to IAM's 64 characters
        compiled = permissions.compile_agent(agent) if permissions.aws_tools(agent) else {}
        _leaves_room_for_the_revocation_read(agent, role_name, compiled.get("boundary"))
        trust_size = trust.estimated_trust_policy_size(agent)
        if trust_size > trust.TRUST_POLICY_MAX_CHARS:
            raise PolicyCompileError(
                agent.name,
                None,
                f"its trust policy would take up to {trust_size} characters; IAM accepts {trust.TRUST_POLICY_MAX_CHARS} "
                "by default: give it fewer trust bindings (or split the agent)",
            )
    return AgentPlan(
        agent=agent,
        role_name=role_name,
        session_seconds=seconds,
        tool_policies=compiled.get("tool_policies", {}),
        session_policies=compiled.get("session_policies", {}),
        boundary=compiled.get("boundary"),
        ca_bundles=_ca_bundles(agent, Path(agents_dir)) if role_name else {},
        cognito_scopes=_cognito_scopes(agent),
        suffix=suffix,
    )


def _leaves_room_for_the_revocation_read(agent: Agent, role_name: str, boundary: dict | None) -> None:
    """The role's read of its own revocation record (revocation_read.py) goes into its boundary and its inline
    policies: the boundary (the union of the inline policies, and the smaller limit: 6,144 against 10,240 characters)
    must still fit with the longest ARN any partition gives the role."""
    if not boundary:
        return
    extra = permissions.packed_size(revocation_read.longest_statement(role_name)) + 1  # and a comma
    size = permissions.packed_size(boundary) + extra
    if size > permissions.MANAGED_POLICY_MAX_CHARS:
        raise PolicyCompileError(
            agent.name, None, f"its permissions boundary, with the read of its own revocation record, takes up to {size} "
            f"characters; a managed policy holds at most {permissions.MANAGED_POLICY_MAX_CHARS}: split the agent"
        )


def _ca_bundles(agent: Agent, agents_dir: Path) -> dict[str, str]:
    bundles: dict[str, str] = {}
    for binding in aws_bindings(agent):
        spiffe = binding.spiffe
        if spiffe is None or spiffe.ca_bundle is None:
            continue
        path = agents_dir / spiffe.ca_bundle
        try:
            text = input_limits.read_text(path, input_limits.CERTIFICATE_BYTES, "CA bundle")
        except input_limits.InputRefused as refused:
            raise PolicyCompileError(agent.name, None, f"CA bundle '{spiffe.ca_bundle}' cannot be read ({refused})") from None
        holds_private_key = "PRIVATE KEY" in text  # a key never goes into a trust anchor's bundle
        if "-----BEGIN CERTIFICATE-----" not in text or holds_private_key:
            raise PolicyCompileError(
                agent.name, None, f"CA bundle '{spiffe.ca_bundle}' must hold PEM certificates only (no private key)"
            )
        bundles[spiffe.spiffe_id] = text
    return bundles


def _cognito_scopes(agent: Agent) -> dict[str, list[str]]:
    scopes: dict[str, list[str]] = {}
    for tool in cognito_tools(agent):
        for scope in tool.oauth.scopes:
            if not _COGNITO_SCOPE.match(scope):
                raise PolicyCompileError(agent.name, tool.name, f"scope '{scope}' has a character Cognito rejects ('/', '\"' or '\\')")
            listed = scopes.setdefault(tool.oauth.audience, [])
            if scope not in listed:
                listed.append(scope)
    return scopes


def plan_fleet(agents: list[Agent], agents_dir: str | Path = ".", suffix: str = "") -> list[AgentPlan]:
    """Plans for every agent with something on AWS, in the given order."""
    seen: set[str] = set()
    plans = []
    for agent in agents:
        if agent.name in seen:
            raise PolicyCompileError(agent.name, None, "is declared twice: agent names are unique per stack")
        seen.add(agent.name)
        if "aws" in agent.clouds:
            plans.append(plan_agent(agent, agents_dir, suffix))
    return plans


def resource_server_name(audience: str) -> str:
    """The Cognito resource server's name for an audience (Cognito names: word characters, spaces and +=,.@-)."""
    return re.sub(r"[^\w+=,.@-]+", "-", audience.removeprefix("https://")).strip("-")[:256]


def trust_anchor_source(ca_bundle_pem: str | None, acm_pca_arn: str | None) -> dict:
    """A Roles Anywhere trust anchor's `source`: the CA certificates (PEM) or the ACM Private CA."""
    if acm_pca_arn:
        return {"source_type": "AWS_ACM_PCA", "source_data": {"acm_pca_arn": acm_pca_arn}}
    return {"source_type": "CERTIFICATE_BUNDLE", "source_data": {"x509_certificate_data": ca_bundle_pem}}


def trust_anchor_sources(plans: list[AgentPlan]) -> dict[str, dict]:
    """SPIFFE trust domain -> the `source` of its one Roles Anywhere trust anchor (CA bundle or ACM Private CA).

    A trust domain has one CA (SPIFFE: the trust bundle is per trust domain), so one anchor serves every
    agent of it; two bindings of one trust domain naming different CAs are refused.
    """
    sources: dict[str, dict] = {}
    first: dict[str, str] = {}
    for plan in plans:
        if not plan.needs_role:
            continue
        for binding in aws_bindings(plan.agent):
            spiffe = binding.spiffe
            if spiffe is None:
                continue
            source = trust_anchor_source(plan.ca_bundles.get(spiffe.spiffe_id), spiffe.acm_pca_arn)
            domain = spiffe.trust_domain
            if sources.setdefault(domain, source) != source:
                raise PolicyCompileError(
                    plan.agent.name,
                    None,
                    f"SPIFFE trust domain {domain} is given a different CA (ca_bundle / acm_pca_arn) than for "
                    f"{first[domain]}: one trust domain has one CA, so one Roles Anywhere trust anchor",
                )
            first.setdefault(domain, f"{plan.agent.name} ({spiffe.spiffe_id})")
    return sources


def resource_servers(plans: list[AgentPlan]) -> dict[str, tuple[str, list[str]]]:
    """Audience -> (resource server name, scopes any agent declares on it), in declaration order.

    Cognito names allow only word characters, spaces and +=,.@-, so the audience URL is folded; two audiences that fold to the
    same name would collide as Pulumi resources and are refused here, before registration.
    """
    servers: dict[str, tuple[str, list[str]]] = {}
    owners: dict[str, str] = {}
    for plan in plans:
        for audience, names in plan.cognito_scopes.items():
            label = resource_server_name(audience)
            if owners.setdefault(label, audience) != audience:
                raise PolicyCompileError(
                    plan.agent.name, None, f"audiences {owners[label]} and {audience} both map to Cognito resource server name '{label}'"
                )
            scopes = servers.setdefault(audience, (label, []))[1]
            scopes.extend(scope for scope in names if scope not in scopes)
    return servers
