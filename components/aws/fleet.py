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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from agentid_components import https_url, naming
from agentid_components import settings as kit_settings
from agentid_components.aws import shared as aws_shared, trust
from agentid_components.aws.identity import AwsAgentIdentity, SharedAws
from agentid_components.child_names import ChildNames, first_of_type, invoke_options, passing_depends_on
from agentid_components.outputs import resolve_nested
from agentid_components.aws.plan import AgentPlan, PolicyCompileError, plan_fleet, resource_servers, trust_anchor_sources
from agentid_components.settings import SettingError
from agentid_components.spec import Agent

FLEET_TYPE = "agentid:aws:AgentFleet"

_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/.+$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+$")
_TRUST_ANCHOR_ARN = re.compile(r"^arn:aws[a-z-]*:rolesanywhere:[a-z0-9-]+:\d{12}:trust-anchor/[0-9a-f-]{36}$")
_USER_POOL_ID = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")
# Cognito resource server identifiers: 1-256 of [\x21\x23-\x5B\x5D-\x7E] (CreateResourceServer API reference).
_RESOURCE_SERVER_ID = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,256}$")


class AwsComponentError(SettingError):
    """Bad input for the AWS components; Pulumi prints it without a traceback."""


def _github_provider(value: str) -> None:
    kit_settings.pattern_check("awsGithubOidcProviderArn", _OIDC_PROVIDER_ARN, _GITHUB_EXAMPLE, AwsComponentError)(value)
    if not value.endswith("/token.actions.githubusercontent.com"):
        raise AwsComponentError(
            f"config awsGithubOidcProviderArn = '{value[:200]}' must name the provider of "
            f"https://token.actions.githubusercontent.com: expected e.g. {_GITHUB_EXAMPLE}"
        )


_GITHUB_EXAMPLE = "arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com"
_CHECKS = {  # field -> (config key, check of one value)
    "github_oidc_provider_arn": ("awsGithubOidcProviderArn", _github_provider),
    "cognito_user_pool_id": (
        "awsCognitoUserPoolId", kit_settings.pattern_check("awsCognitoUserPoolId", _USER_POOL_ID, "eu-west-1_AbCdEf123", AwsComponentError)
    ),
    "cognito_domain": (
        "awsCognitoDomain", kit_settings.pattern_check("awsCognitoDomain", _DOMAIN, "agentid-dev or auth.example.com", AwsComponentError)
    ),
    "permissions_boundary_arn": (
        "awsPermissionsBoundaryArn",
        kit_settings.pattern_check("awsPermissionsBoundaryArn", _POLICY_ARN, "arn:aws:iam::ACCOUNT:policy/NAME", AwsComponentError),
    ),
}
_MAP_CHECKS = {  # field -> (config key, example of one value)
    "kubernetes_oidc_provider_arns": ("awsKubernetesOidcProviderArns", _OIDC_PROVIDER_ARN, "arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH"),
    "roles_anywhere_trust_anchor_arns": (
        "awsRolesAnywhereTrustAnchorArns", _TRUST_ANCHOR_ARN, "arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/UUID"
    ),
    "cognito_resource_servers": ("awsCognitoResourceServers", _RESOURCE_SERVER_ID, "https://mcp.example.com (the audience)"),
}

# Map settings keyed by an agent file URL (an issuer, an audience): a key obeys the agent file's URL rules
# (https_url), so a key that parsers read as another host is refused by name instead of silently matching nothing
_URL_KEYED_MAPS = {"kubernetes_oidc_provider_arns": "issuer", "cognito_resource_servers": "audience"}

StrMap = Mapping[str, "pulumi.Input[str]"] | pulumi.Output


@dataclass(frozen=True)
class AwsSettings:
    """Stack config of the AWS components (keys in the namespace `agent-identity-kit:`, see `settings.KEYS`).

    Every field naming an existing resource takes a `pulumi.Input[str]` (a StackReference output, another
    resource's attribute); a map field takes a plain mapping (only its entries are referenced, the rest
    created) or one Output of a mapping (every entry the agents need must be in it). Strings are checked
    at once, Outputs when known: AwsComponentError names the key and a valid example.

    github_oidc_provider_arn        reference this GitHub OIDC provider (an account holds one per URL)
    kubernetes_oidc_provider_arns   {issuer URL: provider ARN} for IRSA issuers that already have a provider
    roles_anywhere_trust_anchor_arns {SPIFFE trust domain: trust anchor ARN}; other domains get one anchor each
    cognito_user_pool_id            reference this user pool instead of creating one (needs cognito_domain)
    cognito_domain                  prefix of the domain to create, or the referenced pool's existing domain
                                    (a prefix, or a custom domain such as auth.example.com)
    cognito_resource_servers        {audience: resource server identifier} already in the referenced pool
    permissions_boundary_arn        every agent role's boundary instead of one per agent from its tools
    name_suffix                     part of every physical name (default: the stack name, see `naming`)
    agents_dir                      the agent file's directory; resolves relative `ca_bundle` paths
    """

    github_oidc_provider_arn: pulumi.Input[str] | None = None
    kubernetes_oidc_provider_arns: StrMap = field(default_factory=dict)
    roles_anywhere_trust_anchor_arns: StrMap = field(default_factory=dict)
    cognito_user_pool_id: pulumi.Input[str] | None = None
    cognito_domain: pulumi.Input[str] | None = None
    cognito_resource_servers: StrMap = field(default_factory=dict)
    permissions_boundary_arn: pulumi.Input[str] | None = None
    name_suffix: str | None = None
    agents_dir: str = "."

    def __post_init__(self) -> None:
        for name in _CHECKS:
            if not isinstance(getattr(self, name), pulumi.Output):
                self.checked(name)  # a plain value fails here; an Output only where it is used (see `checked`)
        for name, (key, _, _) in _MAP_CHECKS.items():
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, {})
            elif not isinstance(value, (Mapping, pulumi.Output)):
                raise AwsComponentError(f"config {key} must be an object, got {type(value).__name__}")
            elif isinstance(value, Mapping):
                for item in value:  # plain entries checked now (Output entries when known)
                    why = https_url.problem(item.rstrip("/") or item) if name in _URL_KEYED_MAPS else None
                    if why:
                        raise AwsComponentError(f"config {kit_settings.NAMESPACE}:{key}: key {item[:200]!r} {why} "
                                                f"(its keys are the agent file's {_URL_KEYED_MAPS[name]} URLs)")
                    self.reference(name, item)
        if self.cognito_user_pool_id is not None and self.cognito_domain is None:
            raise AwsComponentError(
                "awsCognitoUserPoolId is set but awsCognitoDomain is not: name the referenced pool's domain "
                "(clients need its token endpoint)"
            )
        self.suffix  # noqa: B018 - a bad suffix fails here, before anything registers

    @property
    def suffix(self) -> str:
        """The name suffix in force: `name_suffix`, or the stack's (`naming.stack_suffix`)."""
        return kit_settings.name_suffix(self.name_suffix, AwsComponentError)

    def checked(self, field_name: str) -> pulumi.Input[str] | None:
        """The value of a single-value field, checked: now when plain, when known when an Output.

        Called only where the value is used: an Output's failing check fails the run even when nothing uses
        it, so a StackReference output this stack does not need (None) must never be wrapped.
        """
        key, check = _CHECKS[field_name]
        return kit_settings.checked(key, getattr(self, field_name), check, AwsComponentError)

    def reference(self, field_name: str, item: str) -> pulumi.Input[str] | None:
        """The existing resource a map field names for `item` (issuer, trust domain, audience), checked;
        None when the stack creates it."""
        key, pattern, example = _MAP_CHECKS[field_name]
        return kit_settings.entry(key, getattr(self, field_name), item, kit_settings.pattern_check(f"{key}[{item}]", pattern, example, AwsComponentError))

    @classmethod
    def from_config(cls, config: pulumi.Config | None = None) -> "AwsSettings":
        """The settings from the stack config (namespace `agent-identity-kit:` whatever the project's name;
        a kit key found elsewhere is warned about)."""
        kit_settings.warn_stray_keys()
        config = config or kit_settings.config()
        agents_file = config.get("agentsFile") or f"agents/{pulumi.get_stack()}.yaml"
        return cls(
            github_oidc_provider_arn=config.get("awsGithubOidcProviderArn"),
            kubernetes_oidc_provider_arns=kit_settings.config_object(config, "awsKubernetesOidcProviderArns") or {},
            roles_anywhere_trust_anchor_arns=kit_settings.config_object(config, "awsRolesAnywhereTrustAnchorArns") or {},
            cognito_user_pool_id=config.get("awsCognitoUserPoolId"),
            cognito_domain=config.get("awsCognitoDomain"),
            cognito_resource_servers=kit_settings.config_object(config, "awsCognitoResourceServers") or {},
            permissions_boundary_arn=config.get("awsPermissionsBoundaryArn"),
            name_suffix=config.get("nameSuffix"),
            agents_dir=str(Path(agents_file).parent),
        )


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
        legacy: bool | None = None,
    ):
        """`plans`: what `AwsAgents.check(agents, settings)` returned, if the caller already checked them.
        `legacy`: give the children their names from before Pulumi's naming convention as aliases (`child_names`); default:
        only the first component of this type in the program does."""
        plans, servers = plans if plans is not None else self.check(agents, settings)
        super().__init__(FLEET_TYPE, name, None, passing_depends_on(opts))
        self.settings = settings
        self.names = ChildNames(self, name, legacy=first_of_type(FLEET_TYPE) if legacy is None else legacy)
        self.session_policies = {plan.agent.name: plan.session_policies for plan in plans if plan.needs_role}
        shared = self._shared(plans, servers)
        self.identities = {
            plan.agent.name: AwsAgentIdentity(self.names.name(plan.agent.name), plan, shared,
                                              self.names.options(plan.agent.name))
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
            plans = plan_fleet(agents, settings.agents_dir, settings.suffix)
            trust_anchor_sources(plans)  # one CA per SPIFFE trust domain, refused before anything registers
            return plans, resource_servers(plans)
        except PolicyCompileError as error:
            raise AwsComponentError(str(error)) from None

    def _shared(self, plans: list[AgentPlan], servers: dict[str, tuple[str, list[str]]]) -> SharedAws:
        settings = self.settings
        tags = {naming.TAG_MANAGED_BY: naming.MANAGED_BY}
        bindings = [b for plan in plans if plan.needs_role for b in trust.aws_bindings(plan.agent)]
        shared = SharedAws(permissions_boundary_arn=settings.checked("permissions_boundary_arn"))

        if any(b.github_actions for b in bindings):
            shared.github_provider_arn = settings.checked("github_oidc_provider_arn") or self._oidc_provider("github-actions", trust.GITHUB_ISSUER, tags)
        for issuer in dict.fromkeys(b.kubernetes.issuer for b in bindings if trust.uses_irsa(b)):
            shared.oidc_provider_arns[issuer] = settings.reference("kubernetes_oidc_provider_arns", issuer) or self._oidc_provider(
                "k8s-" + re.sub(r"[^A-Za-z0-9.-]+", "-", trust.oidc_provider_host(issuer)).strip("-"), issuer, tags
            )
        for domain, source in trust_anchor_sources(plans).items():
            shared.trust_anchor_arns[domain] = settings.reference("roles_anywhere_trust_anchor_arns", domain) or self._trust_anchor(
                domain, source, tags
            )

        cognito_plans = [plan for plan in plans if plan.cognito_scopes]
        needs_pod_identity = any(trust.uses_pod_identity(b) for b in bindings)
        region = None
        if needs_pod_identity or cognito_plans:  # the issuer names the region whatever the domain
            region = aws.get_region_output(opts=invoke_options(self)).region
        # Pod Identity, Roles Anywhere: self-assume; every role the kit's boundary names (its own revocation read)
        if any(trust.hands_out_role_sessions(b) for b in bindings) or (
            not shared.permissions_boundary_arn and any(plan.needs_role for plan in plans)):
            shared.account_id = aws.get_caller_identity_output(opts=invoke_options(self)).account_id
            shared.partition = aws.get_partition_output(opts=invoke_options(self)).partition
        if needs_pod_identity:
            shared.cluster_arn_prefix = pulumi.Output.concat(
                "arn:", shared.partition, ":eks:", region, ":", shared.account_id, ":cluster/"
            )

        if cognito_plans:
            self._cognito(servers, shared, tags, region)
        return shared

    def _oidc_provider(self, name: str, issuer: str, tags: dict) -> pulumi.Output[str]:
        # No thumbprints: IAM verifies GitHub's and EKS's issuers against its own trusted CAs.
        # An account holds one provider per URL: a second stack in the account references it instead
        # (awsGithubOidcProviderArn / awsKubernetesOidcProviderArns, or the platform stack).
        provider = aws.iam.OpenIdConnectProvider(
            self.names.name(name), url=issuer, client_id_lists=[trust.STS_AUDIENCE], tags=tags, opts=self.names.options(name)
        )
        return provider.arn

    def _trust_anchor(self, trust_domain: str, source: dict, tags: dict) -> pulumi.Output[str]:
        """The one Roles Anywhere trust anchor of a SPIFFE trust domain in this stack (named with the suffix)."""
        name = naming.aws_trust_anchor_name(trust_domain, self.settings.suffix)
        anchor = aws.rolesanywhere.TrustAnchor(
            self.names.name(name), name=name, enabled=True, source=source, tags=tags, opts=self.names.options(name)
        )
        return anchor.arn

    def _cognito(self, servers: dict, shared: SharedAws, tags: dict, region) -> None:
        settings = self.settings
        domain = settings.checked("cognito_domain") or naming.cognito_domain_prefix(pulumi.get_project(), pulumi.get_stack())
        if settings.cognito_user_pool_id is not None:
            shared.user_pool_id = settings.checked("cognito_user_pool_id")
        else:
            shared.user_pool_id = aws_shared.cognito_user_pool(domain, tags, self.names)
        shared.cognito_issuer = pulumi.Output.concat("https://cognito-idp.", region, ".amazonaws.com/", shared.user_pool_id)
        # The deployer reads the secret version back (provider read, refresh): the secret's policy names it.
        caller = aws.get_caller_identity_output(opts=invoke_options(self))
        shared.deployer_arn = aws.iam.get_session_context_output(arn=caller.arn, opts=invoke_options(self)).issuer_arn
        shared.token_endpoint = pulumi.Output.all(domain, region).apply(lambda known: _token_endpoint(*known))

        create = {}
        for audience, server in servers.items():
            existing = settings.reference("cognito_resource_servers", audience)
            if existing is None:
                create[audience] = server
                shared.resource_server_ids[audience] = audience  # created with identifier = the audience
            else:  # the platform's (or another stack's) server: identifiers are unique per pool
                shared.resource_server_ids[audience] = existing
        shared.resource_servers.update(aws_shared.resource_servers(create, shared.user_pool_id, self.names))


def _token_endpoint(domain: str, region: str | None) -> str:
    """Cognito's token endpoint: https://PREFIX.auth.REGION.amazoncognito.com/oauth2/token, or the custom domain's."""
    if _is_custom_domain(domain):
        return f"https://{domain}/oauth2/token"
    return f"https://{domain}.auth.{region}.amazoncognito.com/oauth2/token"


def _is_custom_domain(domain: str | None) -> bool:
    return bool(domain) and "." in domain
