"""Judge a live account against the inventory: which agent identities exist, hold keys, drifted, trust too much.

Pure: takes an `AccountSnapshot` and the inventory, returns findings. Policy
semantics (wildcard expansion, NotAction, denies, weak trust) come from the
policy pack's analysis core; what the inventory declares comes from the same
least-privilege compiler the AWS components deploy with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agentid.aws_audit.collect import AccountSnapshot, RoleInfo, UserInfo
from agentid.aws_audit.trust_drift import declared_trust, undeclared_trust
from agentid_components import naming
from agentid_components.aws import permissions, revocation_read
from agentid_components.review import overdue_agents, overdue_message
from agentid_components.spec import Agent, Inventory
from agentid_policy_packs import analysis
from agentid_policy_packs.analysis.aws_grants import is_denied
from agentid_policy_packs.analysis.aws_resources import pattern_covers

ROLE_PREFIX = naming.aws_role_name("")  # roles the kit names for agents start with this

# rule id -> (SARIF level, short description)
RULES: dict[str, tuple[str, str]] = {
    "unknown-agent-identity": ("error", "An agent identity exists in the account but not in the inventory"),
    "agent-missing": ("warning", "An inventory agent with AWS tools has no role in the account"),
    "agent-iam-user": ("error", "An IAM user belongs to an agent: agents must use short-lived role sessions"),
    "agent-access-key": ("error", "A long-lived access key belongs to an agent"),
    "excess-grant": ("error", "An agent role's live policies grant more than the inventory declares"),
    "broad-grant": ("error", "An agent role's live policy holds a broad grant or a privilege-escalation path"),
    "weak-trust": ("error", "An agent role's trust policy lets too many principals assume it"),
    "undeclared-trust": ("error", "An agent role's trust policy admits a workload the inventory does not declare"),
    "review-overdue": ("warning", "An inventory agent's review_by date has passed: its owner must re-approve it"),
}
EXAMPLES_SHOWN = 5


@dataclass(frozen=True)
class AuditFinding:
    rule: str
    agent: str | None  # the agent the identity belongs to (None when unknown)
    principal: str  # ARN of the role or user (access keys: the user's ARN)
    message: str
    detail: str = ""  # what within the principal: a key id, a policy, an analysis code@statement (stable across runs)
    level: str = ""

    def __post_init__(self) -> None:
        if not self.level:
            object.__setattr__(self, "level", RULES[self.rule][0])


def agent_of_role(role: RoleInfo) -> str | None:
    """The agent a role belongs to: its `agent` tag, else its `agent-NAME` name; None for other roles."""
    if role.tags.get(naming.TAG_AGENT):
        return role.tags[naming.TAG_AGENT]
    if role.name.startswith(ROLE_PREFIX) and len(role.name) > len(ROLE_PREFIX):
        return role.name[len(ROLE_PREFIX):]
    return None


def agent_of_user(user: UserInfo, known_agents: Iterable[str]) -> str | None:
    """The agent a user belongs to: its `agent` tag, its name being an agent's, or an `agent-NAME` name."""
    if user.tags.get(naming.TAG_AGENT):
        return user.tags[naming.TAG_AGENT]
    if user.name in set(known_agents):
        return user.name
    if user.name.startswith(ROLE_PREFIX) and len(user.name) > len(ROLE_PREFIX):
        return user.name[len(ROLE_PREFIX):]
    return None


def audit(snapshot: AccountSnapshot, inventory: Inventory, suffix: str = "") -> list[AuditFinding]:
    """Findings on the account's agent identities against the inventory of one stack, whose name suffix
    (`naming`) is `suffix`: an agent's one role is `naming.aws_role_name(agent, suffix)`."""
    agents = {agent.name: agent for agent in inventory.agents}
    findings: list[AuditFinding] = []
    roles_by_agent: dict[str, list[RoleInfo]] = {}
    for role in snapshot.roles:
        agent = agent_of_role(role)
        if agent is None:
            continue
        roles_by_agent.setdefault(agent, []).append(role)
        if agent not in agents:
            findings.append(AuditFinding(
                "unknown-agent-identity", agent, role.arn,
                f"role {role.name} belongs to agent '{agent}' ({_why_role(role)}), which the inventory does not declare: "
                "declare the agent or delete the role",
            ))
        else:
            if role.name != naming.aws_role_name(agent, suffix):
                findings.append(AuditFinding(
                    "unknown-agent-identity", agent, role.arn,
                    f"role {role.name} belongs to agent '{agent}' ({_why_role(role)}), whose one role is "
                    f"{naming.aws_role_name(agent, suffix)}: a second identity the inventory does not know; delete it",
                ))
            findings += excess_grant_findings(role, agents[agent], snapshot.managed_policies)
            findings += undeclared_trust_findings(role, agents[agent])
        findings += broad_grant_findings(role, agent, snapshot.managed_policies)
        findings += weak_trust_findings(role, agent)
    for user in snapshot.users:
        findings += user_findings(user, agents)
    account = next((arn.split(":")[4] for arn in [r.arn for r in snapshot.roles] + [u.arn for u in snapshot.users]), "")
    for name, agent in agents.items():
        if permissions.aws_tools(agent) and name not in roles_by_agent:
            findings.append(AuditFinding(
                "agent-missing", name, f"arn:aws:iam::{account}:role/{naming.aws_role_name(name, suffix)}",
                f"agent '{name}' has AWS tools but its role {naming.aws_role_name(name, suffix)} is not in the account: "
                "deploy the stack, or remove the agent from the inventory",
            ))
    for _, agent in overdue_agents(inventory):
        roles = roles_by_agent.get(agent.name)
        principal = roles[0].arn if roles else f"arn:aws:iam::{account}:role/{naming.aws_role_name(agent.name, suffix)}"
        findings.append(AuditFinding("review-overdue", agent.name, principal, overdue_message(agent),
                                     detail=f"review_by={agent.review_by}"))
    return findings


def _why_role(role: RoleInfo) -> str:
    return f"tag {naming.TAG_AGENT}={role.tags[naming.TAG_AGENT]}" if role.tags.get(naming.TAG_AGENT) else f"named {ROLE_PREFIX}*"


def user_findings(user: UserInfo, agents: dict[str, Agent]) -> list[AuditFinding]:
    agent = agent_of_user(user, agents)
    if agent is None:
        return []
    why = f"tag {naming.TAG_AGENT}={agent}" if user.tags.get(naming.TAG_AGENT) else f"its name {user.name}"
    findings = []
    if agent not in agents:
        findings.append(AuditFinding(
            "unknown-agent-identity", agent, user.arn,
            f"IAM user {user.name} belongs to agent '{agent}' ({why}), which the inventory does not declare",
        ))
    findings.append(AuditFinding(
        "agent-iam-user", agent, user.arn,
        f"IAM user {user.name} belongs to agent '{agent}' ({why}): agents get short-lived role sessions, "
        "never an IAM user; delete the user",
    ))
    for key in user.access_keys:
        used = (
            f"last used {key.last_used:%Y-%m-%d} on {key.last_service or '?'} in {key.last_region or '?'}"
            if key.last_used else "never used"
        )
        created = f", created {key.created:%Y-%m-%d}" if key.created else ""
        findings.append(AuditFinding(
            "agent-access-key", agent, user.arn,
            f"access key {key.access_key_id} of IAM user {user.name} (agent '{agent}'): {key.status}{created}, {used}; "
            f"deactivate and delete it (aws iam delete-access-key --user-name {user.name} --access-key-id {key.access_key_id})",
            detail=key.access_key_id,
            level="error" if key.status == "Active" else "warning",
        ))
    return findings


def _live_documents(role: RoleInfo, managed: dict[str, object]) -> dict[str, object]:
    """Source label -> document, for every permission policy of the role (not the boundary)."""
    documents: dict[str, object] = {f"inline policy {name}": doc for name, doc in role.inline_policies.items()}
    for arn in role.attached_policies:
        documents[f"managed policy {arn}"] = managed.get(arn)
    return documents


def _covered(grant: analysis.Grant, allowed: list[analysis.Grant]) -> bool:
    """Is the live grant within one of `allowed` (same action, resource pattern inside, no weaker condition)?"""
    action = grant.action.lower()
    return any(
        a.action.lower() == action
        and not a.except_resources
        and pattern_covers(a.resource, grant.resource)
        and (grant.conditional or not a.conditional)  # conditions compared by presence, not content
        for a in allowed
    )


def excess_grant_findings(role: RoleInfo, agent: Agent, managed: dict[str, object]) -> list[AuditFinding]:
    """One finding per live policy that allows something the agent's tools do not declare."""
    try:
        # the agent's tools, and the one grant the kit adds to every role: reading its own revocation record
        declared = analysis.effective_grants([permissions.role_policy_document(agent), revocation_read.read_policy(role.arn)])
    except (permissions.PolicyCompileError, analysis.PolicyParseError) as error:
        return [AuditFinding("excess-grant", agent.name, role.arn, f"the inventory's grants of agent '{agent.name}' cannot be compiled: {error}")]
    parsed, findings = {}, []
    for source, document in _live_documents(role, managed).items():
        try:
            parsed[source] = analysis.parse_policy(document, analysis.IDENTITY)
        except (analysis.PolicyParseError, RecursionError) as error:
            findings.append(AuditFinding(
                "excess-grant", agent.name, role.arn, f"role {role.name}: {source} cannot be parsed, so it cannot be judged: {error}",
                detail=f"unparseable@{source}",
            ))
    denies = [s for doc in parsed.values() for s in doc.statements if not s.allows and s.unconditional()]
    boundary = _boundary_grants(role, managed)
    for source, document in parsed.items():
        excess = [
            g for g in analysis.effective_grants([document])
            if not is_denied(g.action, g.resource, denies) and not _covered(g, declared)
        ]
        if not excess:
            continue
        actions = sorted({g.action for g in excess})
        examples = ", ".join(f"{g.action} on {g.resource}" for g in excess[:EXAMPLES_SHOWN])
        more = f" and {len(excess) - EXAMPLES_SHOWN} more" if len(excess) > EXAMPLES_SHOWN else ""
        capped = boundary is not None and not any(_covered(g, boundary) for g in excess)
        note = f" (the permissions boundary {role.permissions_boundary} blocks them today)" if capped else ""
        findings.append(AuditFinding(
            "excess-grant", agent.name, role.arn,
            f"role {role.name}: {source} grants {len(actions)} action(s) that agent '{agent.name}' does not declare: "
            f"{examples}{more}{note}; remove it (the agent's tools are its only grants)",
            detail=source,
            level="warning" if capped else "error",
        ))
    return findings


def _boundary_grants(role: RoleInfo, managed: dict[str, object]) -> list[analysis.Grant] | None:
    if not role.permissions_boundary or managed.get(role.permissions_boundary) is None:
        return None
    try:
        return analysis.effective_grants([managed[role.permissions_boundary]])
    except (analysis.PolicyParseError, RecursionError):
        return None


def broad_grant_findings(role: RoleInfo, agent: str, managed: dict[str, object]) -> list[AuditFinding]:
    """Broad grants one finding each; a policy's privilege-escalation methods in one finding (a full-admin
    policy enables dozens, and a reviewer needs the list, not dozens of rows)."""
    findings = []
    for source, document in _live_documents(role, managed).items():
        results = analysis.identity_policy_findings(document, source)
        escalations = [f for f in results if f.code.startswith("escalation:")]
        for finding in results:
            if finding not in escalations:
                findings.append(AuditFinding(
                    "broad-grant", agent, role.arn, f"role {role.name}, {source}: {finding}",
                    detail=f"{finding.code}@{source}:{finding.statement}",
                ))
        if len(escalations) == 1:
            [finding] = escalations
            findings.append(AuditFinding(
                "broad-grant", agent, role.arn, f"role {role.name}, {source}: {finding}", detail=f"{finding.code}@{source}",
            ))
        elif escalations:
            methods = [f.code.split(":", 1)[1] for f in escalations]
            shown = ", ".join(methods[:EXAMPLES_SHOWN * 2])
            more = f" and {len(methods) - EXAMPLES_SHOWN * 2} more" if len(methods) > EXAMPLES_SHOWN * 2 else ""
            findings.append(AuditFinding(
                "broad-grant", agent, role.arn,
                f"role {role.name}, {source}: allows {len(methods)} privilege-escalation methods: {shown}{more}",
                detail=f"escalation@{source}",
            ))
    return findings


def weak_trust_findings(role: RoleInfo, agent: str) -> list[AuditFinding]:
    return [
        AuditFinding("weak-trust", agent, role.arn, f"role {role.name} trust policy: {finding}", detail=f"{finding.code}@{finding.statement}")
        for finding in analysis.trust_policy_findings(role.trust_policy, own_accounts=[role.account])
    ]


def undeclared_trust_findings(role: RoleInfo, agent: Agent) -> list[AuditFinding]:
    return [
        AuditFinding(
            "undeclared-trust", agent.name, role.arn,
            f"role {role.name} trust policy {label}: lets in {who}, which agent '{agent.name}' does not declare: "
            "remove the statement, or declare the trust binding in the inventory",
            detail=f"{label}:{who}",
        )
        for label, who in undeclared_trust(role.trust_policy, role.arn, declared_trust(agent))
    ]
