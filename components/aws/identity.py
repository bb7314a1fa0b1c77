"""One agent's identity on AWS: role, boundary, per-tool policies, keyless trust, OAuth client.

`AwsAgentIdentity` turns a checked `AgentPlan` into resources; it decides
nothing the plan has not already validated. Shared objects (OIDC providers,
the Cognito pool and resource servers) come from the fleet in `SharedAws`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from agentid_components import naming, revocation
from agentid_components.aws import client_secret, revocation_read, trust
from agentid_components.aws.plan import AgentPlan
from agentid_components.aws.trust import TrustRefs
from agentid_components.outputs import resolve_nested

IDENTITY_TYPE = "agentid:aws:AgentIdentity"
ROLE_MAX_SESSION_SECONDS = 3600  # IAM's minimum MaxSessionDuration; the kit never goes higher
_DESCRIPTION_CHARS = {9, 10, 13, *range(0x20, 0x7F), *range(0xA1, 0x100)}  # what IAM accepts in a description


@dataclass
class SharedAws:
    """Per-stack objects the fleet created (or referenced) for every agent."""

    github_provider_arn: pulumi.Input[str] | None = None
    oidc_provider_arns: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # issuer -> ARN
    account_id: pulumi.Input[str] | None = None
    partition: pulumi.Input[str] | None = None
    cluster_arn_prefix: pulumi.Input[str] | None = None  # arn:PARTITION:eks:REGION:ACCOUNT:cluster/
    permissions_boundary_arn: str | None = None  # a named boundary instead of one per agent
    user_pool_id: pulumi.Input[str] | None = None
    resource_servers: dict[str, pulumi.Resource] = field(default_factory=dict)  # audience -> ResourceServer created
    resource_server_ids: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # audience -> identifier (any)
    trust_anchor_arns: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # SPIFFE trust domain -> anchor ARN
    token_endpoint: pulumi.Input[str] | None = None
    cognito_issuer: pulumi.Input[str] | None = None  # https://cognito-idp.REGION.amazonaws.com/POOL_ID
    deployer_arn: pulumi.Input[str] | None = None  # IAM ARN of the principal running the deployment (client_secret.py)


def tags_of(plan: AgentPlan) -> dict[str, str]:
    agent = plan.agent
    return {
        naming.TAG_AGENT: agent.name,
        naming.TAG_OWNER: agent.owner,
        naming.TAG_ENVIRONMENT: agent.environment,
        naming.TAG_REVIEW_BY: agent.review_by.isoformat(),
        naming.TAG_MANAGED_BY: naming.MANAGED_BY,
    }


class AwsAgentIdentity(pulumi.ComponentResource):
    """An agent's AWS principal. Outputs: `role_arn`, `client_id`, `client_secret_arn`, `inventory` (never a secret's value)."""

    def __init__(self, name: str, plan: AgentPlan, shared: SharedAws, opts: pulumi.ResourceOptions | None = None):
        """`name`: this component's logical name; its children are named `<name>-role`, `<name>-<tool>`, ...
        (Pulumi's convention: the AWS fleet names it `<fleet>-<agent>`, so two fleets' agents never share a URN)."""
        super().__init__(IDENTITY_TYPE, name, None, opts)
        self.plan = plan
        self.role: aws.iam.Role | None = None
        self.role_arn: pulumi.Output[str] | None = None
        self.client_id: pulumi.Output[str] | None = None
        self.client_secret_arn: pulumi.Output[str] | None = None
        inventory: dict = {}
        secret = None
        if plan.cognito_scopes:
            # Created before the role: the role's boundary and inline policy name the secret's ARN.
            oauth, secret = self._oauth_client(plan, shared)
        if plan.needs_role:
            inventory.update(self._role(plan, shared, secret))
        if secret is not None:
            inventory["oauth"] = oauth
        # The tree keeps its Outputs unresolved so the fleet can resolve every agent's tree in one pass
        # (an Output.all over resolved inventories would re-lift every leaf of every session policy).
        self.inventory_tree = {**_static_inventory(plan), **inventory}
        # Only the identifiers: registering the inventory too would serialize every session policy once more.
        self.register_outputs({"roleArn": self.role_arn, "clientId": self.client_id})

    @functools.cached_property
    def inventory(self) -> pulumi.Output[dict]:
        """This agent's inventory entry (built on first use: the fleet resolves all trees at once)."""
        return resolve_nested(self.inventory_tree)

    # --- the role ------------------------------------------------------------

    def _role(self, plan: AgentPlan, shared: SharedAws, secret: aws.secretsmanager.Secret | None) -> dict:
        agent = plan.agent
        child = pulumi.ResourceOptions(parent=self)
        tags = tags_of(plan)
        boundary_arn = shared.permissions_boundary_arn or self._boundary(plan, shared, tags, secret)
        anchors = {  # SPIFFE ID -> its trust domain's anchor ARN (one per domain, from the fleet)
            b.spiffe.spiffe_id: shared.trust_anchor_arns[b.spiffe.trust_domain]
            for b in trust.aws_bindings(agent)
            if b.spiffe
        }
        role = aws.iam.Role(
            f"{self.pulumi_resource_name}-role",
            name=plan.role_name,
            description=_description(f"AI agent {agent.name}: {agent.purpose}"),
            assume_role_policy=_trust_json(plan, shared, anchors),
            max_session_duration=ROLE_MAX_SESSION_SECONDS,
            permissions_boundary=boundary_arn,
            tags=tags,
            opts=child,
        )
        self.role, self.role_arn = role, role.arn
        # One aws.iam.RolePolicy per tool rather than the role's `inline_policies`: that argument
        # (deprecated in pulumi-aws 7) manages the role's inline policies exclusively, so the next
        # `pulumi up` would delete the revocation deny that `agentid revoke` writes out of band.
        for tool_name, document in plan.tool_policies.items():
            aws.iam.RolePolicy(
                f"{self.pulumi_resource_name}-{tool_name}",
                name=naming.aws_tool_policy_name(tool_name),
                role=role.name,
                policy=json.dumps(document),
                opts=child,
            )
        # The broker, running as this role, reads the revocation record on it (revocation_read.py).
        _read_grant(f"{self.pulumi_resource_name}-revocation-read", revocation_read.INLINE_POLICY_NAME, role, role.arn, revocation_read.read_policy, child)
        if secret is not None:
            self._secret_readable_by_role_only(plan, shared, role, secret)
        profile_arn = self._profile(plan, role, tags).arn if anchors else None
        return {
            "role_arn": role.arn,
            "role_name": plan.role_name,
            "permissions_boundary_arn": boundary_arn,
            "trust": self._trust_entries(plan, shared, role, anchors, profile_arn, tags),
            "inline_policies": [naming.aws_tool_policy_name(tool) for tool in plan.tool_policies] + [revocation_read.INLINE_POLICY_NAME],
        }

    def _boundary(self, plan: AgentPlan, shared: SharedAws, tags: dict, secret: aws.secretsmanager.Secret | None) -> pulumi.Output[str]:
        """The agent's own boundary: its tools' union, the client secret's read (Cognito agents) and the read of its
        own revocation record (the role's ARN is built from account and partition: the role needs the boundary first)."""
        name = plan.agent.name
        own_arn = pulumi.Output.all(shared.partition, shared.account_id).apply(
            lambda parts: revocation_read.role_arn(parts[0] or "aws", parts[1], plan.role_name))
        secret_arn = secret.arn if secret is not None else None

        def document(arns: list) -> str:
            statements = list((plan.boundary or {}).get("Statement", []))
            if arns[1] is not None:
                statements.append(client_secret.read_statement(arns[1]))
            statements.append(revocation_read.read_statement(arns[0]))
            return json.dumps({"Version": "2012-10-17", "Statement": statements})

        return aws.iam.Policy(
            f"{self.pulumi_resource_name}-boundary",
            name=naming.aws_boundary_policy_name(name, plan.suffix),
            description=f"Permissions boundary of agent {name}: the union of its declared tools",
            policy=pulumi.Output.all(own_arn, secret_arn).apply(document),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        ).arn

    def _profile(self, plan: AgentPlan, role: aws.iam.Role, tags: dict) -> aws.rolesanywhere.Profile:
        return aws.rolesanywhere.Profile(
            f"{self.pulumi_resource_name}-roles-anywhere",
            name=naming.aws_roles_anywhere_profile_name(plan.agent.name, plan.suffix),
            enabled=True,
            duration_seconds=plan.session_seconds,
            role_arns=[role.arn],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _trust_entries(self, plan: AgentPlan, shared: SharedAws, role, anchors: dict, profile_arn, tags: dict) -> list[dict]:
        """The inventory's view of each trust binding (creating the Pod Identity associations on the way)."""
        entries: list[dict] = []
        for binding in trust.aws_bindings(plan.agent):
            entry = {"kind": binding.kind, "trust_statement_sid": trust.statement_sid(binding)}
            if binding.github_actions:
                entry.update(subject=binding.github_actions.subject, oidc_provider_arn=shared.github_provider_arn)
            elif trust.uses_irsa(binding):
                k8s = binding.kubernetes
                entry.update(
                    mechanism="irsa", issuer=k8s.issuer, subject=k8s.subject, oidc_provider_arn=shared.oidc_provider_arns[k8s.issuer]
                )
            elif binding.kubernetes:
                entry.update(self._pod_identity(plan, binding, role, tags))
            else:
                spiffe_id = binding.spiffe.spiffe_id
                entry.update(spiffe_id=spiffe_id, trust_anchor_arn=anchors[spiffe_id], roles_anywhere_profile_arn=profile_arn)
            entries.append(entry)
        return entries

    def _pod_identity(self, plan: AgentPlan, binding, role: aws.iam.Role, tags: dict) -> dict:
        k8s = binding.kubernetes
        association = aws.eks.PodIdentityAssociation(
            f"{self.pulumi_resource_name}-{k8s.cluster}-{k8s.namespace}-{k8s.service_account}",
            cluster_name=k8s.cluster,
            namespace=k8s.namespace,
            service_account=k8s.service_account,
            role_arn=role.arn,
            # The role's trust pins the namespace and service account through these session tags.
            disable_session_tags=False,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return {
            "mechanism": "eks-pod-identity",
            "cluster": k8s.cluster,
            "namespace": k8s.namespace,
            "service_account": k8s.service_account,
            "association_id": association.association_id,
        }

    # --- the OAuth client ----------------------------------------------------

    def _oauth_client(self, plan: AgentPlan, shared: SharedAws) -> tuple[dict, aws.secretsmanager.Secret]:
        agent = plan.agent
        # Scopes as tokens name them: `<resource server identifier>/<scope>` (the identifier is the audience
        # for servers this stack creates; a referenced server's identifier may be an Output).
        scopes = [
            f"{shared.resource_server_ids[audience]}/{scope}"
            if isinstance(shared.resource_server_ids[audience], str)
            else pulumi.Output.concat(shared.resource_server_ids[audience], "/", scope)
            for audience, names in plan.cognito_scopes.items()
            for scope in names
        ]
        client = aws.cognito.UserPoolClient(
            f"{self.pulumi_resource_name}-oauth-client",
            name=naming.oauth_client_name(agent.name, plan.suffix),
            user_pool_id=shared.user_pool_id,
            allowed_oauth_flows=["client_credentials"],
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_scopes=scopes,
            generate_secret=True,
            access_token_validity=agent.max_credential_minutes,
            token_validity_units={"access_token": "minutes"},
            # No user sign-in at all: the one explicit flow AWS requires when the list is set.
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[shared.resource_servers[a] for a in plan.cognito_scopes if a in shared.resource_servers],
            ),
        )
        self.client_id = client.id
        # Cognito offers client secrets only: the secret goes to Secrets Manager (client_secret.py), never to an output.
        secret = aws.secretsmanager.Secret(
            f"{self.pulumi_resource_name}-oauth-client-secret",
            name=client_secret.secret_name(agent.name, plan.suffix),
            description=f"Cognito client secret of agent {agent.name}: readable only by its role {plan.role_name}",
            tags=tags_of(plan),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            f"{self.pulumi_resource_name}-oauth-client-secret",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(client.client_secret),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.client_secret_arn = secret.arn
        entry = {
            "client_name": naming.oauth_client_name(agent.name, plan.suffix),
            "client_id": client.id,
            "client_secret_arn": secret.arn,
            "issuer": shared.cognito_issuer,
            "scopes": scopes,
            "token_endpoint": shared.token_endpoint,
            "grant": "client_credentials",
        }
        return entry, secret

    def _secret_readable_by_role_only(self, plan: AgentPlan, shared: SharedAws, role: aws.iam.Role, secret) -> None:
        """The role's grant on the secret, and the secret's policy that admits the role alone (and the deployer)."""
        name = plan.agent.name
        child = pulumi.ResourceOptions(parent=self)
        _read_grant(f"{self.pulumi_resource_name}-oauth-client-secret", client_secret.INLINE_POLICY_NAME, role, secret.arn, client_secret.read_policy, child)
        aws.secretsmanager.SecretPolicy(
            f"{self.pulumi_resource_name}-oauth-client-secret",
            secret_arn=secret.arn,
            policy=pulumi.Output.all(role.arn, shared.deployer_arn).apply(
                lambda arns: json.dumps(client_secret.resource_policy(arns[0], arns[1]))
            ),
            block_public_policy=True,
            opts=child,
        )


def _read_grant(resource_name: str, policy_name: str, role: aws.iam.Role, arn: pulumi.Output[str], policy_of, opts) -> aws.iam.RolePolicy:
    """An inline policy of the role holding one read the kit itself needs, on one ARN known only once deployed."""
    return aws.iam.RolePolicy(
        resource_name, name=policy_name, role=role.name, policy=arn.apply(lambda value: json.dumps(policy_of(value))), opts=opts
    )


def _trust_json(plan: AgentPlan, shared: SharedAws, anchors: dict) -> pulumi.Output[str]:
    """The role's trust policy, once the ARNs it names (only those this agent's bindings use) resolve."""
    bindings = trust.aws_bindings(plan.agent)
    pod_identity = any(trust.uses_pod_identity(b) for b in bindings)
    self_assume = trust.needs_self_assume(plan.agent)
    refs = {
        "github": shared.github_provider_arn if any(b.github_actions for b in bindings) else None,
        "oidc": {b.kubernetes.issuer: shared.oidc_provider_arns[b.kubernetes.issuer] for b in bindings if trust.uses_irsa(b)},
        "account": shared.account_id if self_assume else None,
        "partition": shared.partition if self_assume else None,
        "cluster_prefix": shared.cluster_arn_prefix if pod_identity else None,
        "anchors": anchors,
    }
    return resolve_nested(refs).apply(lambda r: json.dumps(trust.trust_policy(plan.agent, _trust_refs(plan, r))))


def _trust_refs(plan: AgentPlan, resolved: dict) -> TrustRefs:
    clusters = {
        b.kubernetes.cluster: f"{resolved['cluster_prefix']}{b.kubernetes.cluster}"
        for b in trust.aws_bindings(plan.agent)
        if trust.uses_pod_identity(b)
    }
    return TrustRefs(
        github_provider_arn=resolved["github"],
        oidc_provider_arns=resolved["oidc"],
        account_id=resolved["account"],
        partition=resolved["partition"] or "aws",
        cluster_arns=clusters,
        trust_anchor_arns=resolved["anchors"],
        role_name=plan.role_name,
    )


def _static_inventory(plan: AgentPlan) -> dict:
    agent = plan.agent
    role = naming.aws_role_name(agent.name, plan.suffix)
    steps = revocation.aws_revocation_steps(agent, suffix=plan.suffix)
    if not plan.needs_role:  # only a Cognito client exists: the role and trust steps do not apply
        steps = [step for step in steps if "Cognito" in step]
    return {
        "agent": agent.name,
        "owner": agent.owner,
        "environment": agent.environment,
        "review_by": agent.review_by.isoformat(),
        "lifetimes": {
            "declared_minutes": agent.max_credential_minutes,
            # STS and Roles Anywhere refuse sessions under 900 s, so short lifetimes are raised to it
            "sts_session_seconds": plan.session_seconds,
            "role_max_session_seconds": ROLE_MAX_SESSION_SECONDS if plan.needs_role else None,
            "oauth_access_token_minutes": agent.max_credential_minutes if plan.cognito_scopes else None,
        },
        "session_policies": plan.session_policies,
        "revocation": {
            "kill_live_sessions": (
                {
                    "role": role,
                    "inline_policy_name": naming.REVOKE_POLICY_NAME,
                    "effect": "Deny",
                    "action": "*",
                    "resource": "*",
                    "condition": {"DateLessThan": {"aws:TokenIssueTime": "<revocation time, UTC ISO 8601>"}},
                }
                if plan.needs_role
                else None
            ),
            "steps": steps,
        },
    }


def _description(text: str) -> str:
    return "".join(ch for ch in text if ord(ch) in _DESCRIPTION_CHARS)[:1000]
