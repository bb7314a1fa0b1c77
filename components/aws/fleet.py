"""The AWS side of a stack's agents: shared trust and OAuth objects once, one identity per agent.

    settings = AwsSettings.from_config(pulumi.Config())
    fleet = AwsAgents("aws", inventory.agents, settings)
    pulumi.export("aws", fleet.inventory)

Every agent is compiled and checked (`plan.plan_fleet`) before the component
registers anything: bad input fails the whole program with one clear message
and nothing half-created.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from agentid_components import naming
from agentid_components.aws import shared as aws_shared, trust
from agentid_components.aws.identity import AwsAgentIdentity, SharedAws
from agentid_components.outputs import resolve_nested
from agentid_components.aws.plan import AgentPlan, PolicyCompileError, plan_fleet, resource_servers
from agentid_components.spec import Agent

FLEET_TYPE = "agentid:aws:AgentFleet"

_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/.+$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+$")
_USER_POOL_ID = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")


class AwsComponentError(pulumi.RunError):
    """Bad input for the AWS components; Pulumi prints it without a traceback."""


@dataclass(frozen=True)
class AwsSettings:
    """Stack config of the AWS components (keys under the project namespace `agent-identity-kit:`).

    awsGithubOidcProviderArn        reference this GitHub OIDC provider instead of creating one
    awsKubernetesOidcProviderArns   {issuer URL: provider ARN} for IRSA issuers that already have a provider
    awsCognitoUserPoolId            reference this user pool instead of creating one (needs awsCognitoDomain)
    awsCognitoDomain                the pool's domain: prefix of the domain to create, or the referenced
                                    pool's existing domain (a prefix, or a custom domain such as auth.example.com)
    awsPermissionsBoundaryArn       use this managed policy as every agent role's boundary instead of
                                    creating one per agent from its tools
    agentsFile                      (shared) the agent file; its directory resolves relative `ca_bundle` paths
    """

    github_oidc_provider_arn: str | None = None
    kubernetes_oidc_provider_arns: dict[str, str] = field(default_factory=dict)
    cognito_user_pool_id: str | None = None
    cognito_domain: str | None = None
    permissions_boundary_arn: str | None = None
    agents_dir: str = "."

    def __post_init__(self) -> None:
        _check("awsGithubOidcProviderArn", self.github_oidc_provider_arn, _OIDC_PROVIDER_ARN, "arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com")
        if self.github_oidc_provider_arn and not self.github_oidc_provider_arn.endswith("/token.actions.githubusercontent.com"):
            raise AwsComponentError("awsGithubOidcProviderArn must name the provider of https://token.actions.githubusercontent.com")
        for issuer, arn in self.kubernetes_oidc_provider_arns.items():
            _check(f"awsKubernetesOidcProviderArns[{issuer}]", arn, _OIDC_PROVIDER_ARN, "arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH")
        _check("awsCognitoUserPoolId", self.cognito_user_pool_id, _USER_POOL_ID, "eu-west-1_AbCdEf123")
        _check("awsCognitoDomain", self.cognito_domain, _DOMAIN, "agentid-dev or auth.example.com")
        _check("awsPermissionsBoundaryArn", self.permissions_boundary_arn, _POLICY_ARN, "arn:aws:iam::ACCOUNT:policy/NAME")
        if self.cognito_user_pool_id and not self.cognito_domain:
            raise AwsComponentError(
                "awsCognitoUserPoolId is set but awsCognitoDomain is not: name the referenced pool's domain "
                "(clients need its token endpoint)"
            )

    @classmethod
    def from_config(cls, config: pulumi.Config | None = None) -> "AwsSettings":
        config = config or pulumi.Config()
        agents_file = config.get("agentsFile") or f"agents/{pulumi.get_stack()}.yaml"
        providers = config.get_object("awsKubernetesOidcProviderArns") or {}
        if not isinstance(providers, dict):
            raise AwsComponentError("awsKubernetesOidcProviderArns must be an object {issuer URL: provider ARN}")
        return cls(
            github_oidc_provider_arn=config.get("awsGithubOidcProviderArn"),
            kubernetes_oidc_provider_arns=providers,
            cognito_user_pool_id=config.get("awsCognitoUserPoolId"),
            cognito_domain=config.get("awsCognitoDomain"),
            permissions_boundary_arn=config.get("awsPermissionsBoundaryArn"),
            agents_dir=str(Path(agents_file).parent),
        )


def _check(key: str, value: str | None, pattern: re.Pattern[str], example: str) -> None:
    if value is not None and not pattern.match(value):
        raise AwsComponentError(f"config {key} = '{value}' is not valid: expected e.g. {example}")


class AwsAgents(pulumi.ComponentResource):
    """Every agent of a stack on AWS.

    Outputs: `inventory` (agent -> role, trust, OAuth client with the ARN of
    its secret in Secrets Manager, lifetimes, session policies, revocation),
    `session_policies` (plain dict: agent -> tool -> document). No output holds
    a client secret: it lives in Secrets Manager, readable by the agent's role.
    """

    def __init__(
        self,
        name: str,
        agents: list[Agent],
        settings: AwsSettings,
        opts: pulumi.ResourceOptions | None = None,
        plans: tuple[list[AgentPlan], dict[str, tuple[str, list[str]]]] | None = None,
    ):
        """`plans`: what `AwsAgents.check(agents, settings)` returned, if the caller already checked them."""
        plans, servers = plans if plans is not None else self.check(agents, settings)
        super().__init__(FLEET_TYPE, name, None, opts)
        self.settings = settings
        self.session_policies = {plan.agent.name: plan.session_policies for plan in plans if plan.needs_role}
        shared = self._shared(plans, servers)
        self.identities = {
            plan.agent.name: AwsAgentIdentity(plan.agent.name, plan, shared, pulumi.ResourceOptions(parent=self))
            for plan in plans
        }
        # The inventory is the caller's to export; registering it here would serialize it a second time.
        self.register_outputs({"agents": list(self.identities)})

    @functools.cached_property
    def inventory(self) -> pulumi.Output[dict]:
        """Agent -> inventory entry, built on first use (`AgentFleet` resolves the trees itself)."""
        return resolve_nested({agent: identity.inventory_tree for agent, identity in self.identities.items()})

    @staticmethod
    def check(agents: list[Agent], settings: AwsSettings) -> tuple[list[AgentPlan], dict[str, tuple[str, list[str]]]]:
        """Compile and check every agent without registering anything; raise AwsComponentError.

        The constructor runs this first; a parent component can call it before registering itself.
        """
        try:
            plans = plan_fleet(agents, settings.agents_dir)
            return plans, resource_servers(plans)
        except PolicyCompileError as error:
            raise AwsComponentError(str(error)) from None

    def _shared(self, plans: list[AgentPlan], servers: dict[str, tuple[str, list[str]]]) -> SharedAws:
        settings = self.settings
        child = pulumi.ResourceOptions(parent=self)
        tags = {naming.TAG_MANAGED_BY: naming.MANAGED_BY}
        bindings = [b for plan in plans if plan.needs_role for b in trust.aws_bindings(plan.agent)]
        shared = SharedAws(permissions_boundary_arn=settings.permissions_boundary_arn)

        if any(b.github_actions for b in bindings):
            shared.github_provider_arn = settings.github_oidc_provider_arn or self._oidc_provider("github-actions", trust.GITHUB_ISSUER, tags)
        for issuer in dict.fromkeys(b.kubernetes.issuer for b in bindings if trust.uses_irsa(b)):
            shared.oidc_provider_arns[issuer] = settings.kubernetes_oidc_provider_arns.get(issuer) or self._oidc_provider(
                "k8s-" + re.sub(r"[^A-Za-z0-9.-]+", "-", trust.oidc_provider_host(issuer)).strip("-"), issuer, tags
            )

        cognito_plans = [plan for plan in plans if plan.cognito_scopes]
        needs_pod_identity = any(trust.uses_pod_identity(b) for b in bindings)
        region = None
        if needs_pod_identity or cognito_plans:
            region = aws.get_region_output().region
        if any(trust.hands_out_role_sessions(b) for b in bindings):  # Pod Identity, Roles Anywhere: self-assume
            shared.account_id = aws.get_caller_identity_output().account_id
            shared.partition = aws.get_partition_output().partition
        if needs_pod_identity:
            shared.cluster_arn_prefix = pulumi.Output.concat(
                "arn:", shared.partition, ":eks:", region, ":", shared.account_id, ":cluster/"
            )

        if cognito_plans:
            self._cognito(servers, shared, tags, child, region)
        return shared

    def _oidc_provider(self, name: str, issuer: str, tags: dict) -> pulumi.Output[str]:
        # No thumbprints: IAM verifies GitHub's and EKS's issuers against its own trusted CAs.
        provider = aws.iam.OpenIdConnectProvider(
            name, url=issuer, client_id_lists=[trust.STS_AUDIENCE], tags=tags, opts=pulumi.ResourceOptions(parent=self)
        )
        return provider.arn

    def _cognito(self, servers: dict, shared: SharedAws, tags: dict, child: pulumi.ResourceOptions, region) -> None:
        settings = self.settings
        domain = settings.cognito_domain or naming.cognito_domain_prefix(pulumi.get_project(), pulumi.get_stack())
        if settings.cognito_user_pool_id:
            shared.user_pool_id = settings.cognito_user_pool_id
        else:
            shared.user_pool_id = aws_shared.cognito_user_pool(domain, tags, child)
        shared.cognito_issuer = pulumi.Output.concat("https://cognito-idp.", region, ".amazonaws.com/", shared.user_pool_id)
        # The deployer reads the secret version back (provider read, refresh): the secret's policy names it.
        caller = aws.get_caller_identity_output()
        shared.deployer_arn = aws.iam.get_session_context_output(arn=caller.arn).issuer_arn
        shared.token_endpoint = (
            f"https://{domain}/oauth2/token"
            if _is_custom_domain(domain)
            else pulumi.Output.concat("https://", domain, ".auth.", region, ".amazoncognito.com/oauth2/token")
        )
        shared.resource_servers.update(aws_shared.resource_servers(servers, shared.user_pool_id, child))


def _is_custom_domain(domain: str | None) -> bool:
    return bool(domain) and "." in domain
