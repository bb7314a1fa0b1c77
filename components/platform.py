"""The platform stack's component, and the agent stacks' view of it through a StackReference.

    # the platform stack (once per account and tenant)
    platform = Platform("platform", PlatformSpec(apis=[PlatformApi(audience="https://mcp.example.com", scopes=["read"])]))
    platform.export()

    # each agent stack
    shared = platform_outputs(config.require("platformStack"))  # a pulumi.StackReference by name
    agents = loaded.inventory.agents
    fleet = AgentFleet("agents", loaded, AwsSettings(**shared.aws_settings_args(agents)),
                       AzureSettings(resource_group="rg-agents", **shared.azure_settings_args()))

What each shared object is and why it exists once: `agentid_components.platform_spec`.
The objects are built by the same code the agent fleet uses when it creates them
itself (`aws.shared`, `azure.entra`), so a platform-created resource server or
Entra application is exactly the one an agent stack would have made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from agentid_components import naming
from agentid_components import platform_spec as outputs_
from agentid_components.child_names import ChildNames, first_of_type, passing_depends_on
from agentid_components.platform_spec import PlatformSpec, PlatformSpecError, parse_platform
from agentid_components.spec import Agent

if TYPE_CHECKING:
    from agentid_components.aws.fleet import AwsSettings
    from agentid_components.azure.fleet import AzureSettings

TYPE_TOKEN = "agentid:index:Platform"


class PlatformError(pulumi.RunError):
    """Bad platform settings, or an agent stack asking its platform for something it does not export (no traceback)."""


class Platform(pulumi.ComponentResource):
    """The shared objects of `spec`; `outputs` holds the values `export()` publishes (names in platform_spec.OUTPUTS)."""

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        import pulumi_aws as aws

        from agentid_components.aws import shared, trust
        from agentid_components.aws.plan import resource_server_name

        cognito_apis = spec.apis_on("cognito")
        names = {api.audience: (resource_server_name(api.audience), list(api.scopes)) for api in cognito_apis}
        by_name: dict[str, str] = {}
        for audience, (label, _) in names.items():  # checked before anything registers
            if by_name.setdefault(label, audience) != audience:
                raise PlatformError(f"apis: audiences {by_name[label]} and {audience} both map to Cognito resource "
                                    f"server name '{label}': spell each API's audience one way")
        super().__init__(TYPE_TOKEN, name, None, passing_depends_on(opts))

        children = ChildNames(self, name, legacy=first_of_type(TYPE_TOKEN))
        tags = {naming.TAG_MANAGED_BY: naming.MANAGED_BY}
        self.outputs: dict[str, Any] = {}
        if spec.github_actions:
            provider = aws.iam.OpenIdConnectProvider(
                children.name("github-actions"), url=trust.GITHUB_ISSUER, client_id_lists=[trust.STS_AUDIENCE], tags=tags,
                opts=children.options("github-actions"))
            self.outputs[outputs_.GITHUB_OIDC_PROVIDER_ARN] = provider.arn

        if cognito_apis:
            domain = spec.cognito_domain or naming.cognito_domain_prefix(pulumi.get_project(), pulumi.get_stack())
            pool_id = shared.cognito_user_pool(domain, tags, children)
            servers = shared.resource_servers(names, pool_id, children)
            self.outputs[outputs_.COGNITO_USER_POOL_ID] = pool_id
            self.outputs[outputs_.COGNITO_DOMAIN] = domain
            self.outputs[outputs_.COGNITO_RESOURCE_SERVERS] = {
                audience: server.identifier for audience, server in servers.items()}

        if spec.spiffe_trust_domains:
            self.outputs[outputs_.ROLES_ANYWHERE_TRUST_ANCHOR_ARNS] = {
                domain.trust_domain: aws.rolesanywhere.TrustAnchor(
                    children.name(naming.aws_platform_trust_anchor_name(domain.trust_domain)),
                    name=naming.aws_platform_trust_anchor_name(domain.trust_domain),
                    enabled=True,
                    source=shared.trust_anchor_source(domain.ca_bundle, domain.acm_pca_arn),
                    tags={**tags, "spiffe-trust-domain": domain.trust_domain},
                    opts=children.options(naming.aws_platform_trust_anchor_name(domain.trust_domain)),
                ).arn
                for domain in spec.spiffe_trust_domains
            }

        entra_apis = spec.apis_on("entra")
        if entra_apis:
            from agentid_components.azure.entra import create_resource_app
            from agentid_components.azure.plan import ResourceApp, app_role_id

            applications = {}
            for api in entra_apis:
                roles = {scope: app_role_id(api.audience, scope) for scope in api.scopes}
                app = create_resource_app(ResourceApp(api.audience, naming.entra_resource_app_name(api.audience), roles),
                                          children)
                applications[api.audience] = {"clientId": app.client_id,
                                              "servicePrincipalObjectId": app.service_principal_object_id,
                                              "appRoleIds": roles}
            self.outputs[outputs_.ENTRA_API_APPLICATIONS] = applications
        self.register_outputs(self.outputs)

    @classmethod
    def from_config(cls, config: pulumi.Config, key: str = "platform", base_dir: str = ".",
                    name: str = "platform") -> "Platform":
        """The platform of the stack's structured config `key` (a PlatformSpec mapping; `ca_bundle` files relative
        to `base_dir`, the program's directory); PlatformError lists every problem as `config KEY.PATH: message`."""
        try:
            spec = parse_platform(config.get_object(key), f"config {config.full_key(key)}", base_dir=base_dir)
        except PlatformSpecError as error:
            raise PlatformError(str(error)) from None
        return cls(name, spec)

    def export(self) -> None:
        """Export every shared identifier under its platform_spec name, for the agent stacks' StackReference."""
        for key, value in self.outputs.items():
            pulumi.export(key, value)


# Settings field -> the agent stack's config key naming the same shared object (settings.KEYS).
_CONFIG_KEYS = {
    "github_oidc_provider_arn": "awsGithubOidcProviderArn",
    "cognito_user_pool_id": "awsCognitoUserPoolId",
    "cognito_domain": "awsCognitoDomain",
    "cognito_resource_servers": "awsCognitoResourceServers",
    "roles_anywhere_trust_anchor_arns": "awsRolesAnywhereTrustAnchorArns",
    "api_applications": "azureApiApplications",
}


@dataclass(frozen=True)
class PlatformOutputs:
    """A platform stack's outputs as an agent stack reads them (Outputs: known once the reference is read).

    An output the platform does not export (e.g. no API uses Cognito) reads as None / an empty mapping.
    """

    github_oidc_provider_arn: pulumi.Output[str | None]
    cognito_user_pool_id: pulumi.Output[str | None]
    cognito_domain: pulumi.Output[str | None]
    cognito_resource_servers: pulumi.Output[dict[str, str]]
    roles_anywhere_trust_anchor_arns: pulumi.Output[dict[str, str]]
    entra_api_applications: pulumi.Output[dict[str, dict[str, Any]]]
    stack: str = ""  # the reference's name, for messages

    def aws_settings_args(self, agents: Iterable[Agent]) -> dict[str, Any]:
        """`AwsSettings` keyword arguments that reference the platform's AWS objects the `agents` use.

        The provider and the pool are passed only when an agent on AWS trusts GitHub Actions or has a Cognito
        tool (decided from the spec, before anything resolves): a value the platform does not export then fails
        the run naming the output, and one nobody needs fails nothing. The mappings (resource servers, trust
        anchors) are passed whole; the components look up the entries their agents use.
        """
        on_aws = [agent for agent in agents if "aws" in agent.clouds]
        args: dict[str, Any] = {
            "cognito_resource_servers": self.cognito_resource_servers,
            "roles_anywhere_trust_anchor_arns": self.roles_anywhere_trust_anchor_arns,
        }
        if any(binding.github_actions for agent in on_aws for binding in agent.trust):
            args["github_oidc_provider_arn"] = self._required(
                self.github_oidc_provider_arn, outputs_.GITHUB_OIDC_PROVIDER_ARN, "github_actions: true")
        if any(tool.oauth and tool.oauth.provider == "cognito" for agent in on_aws for tool in agent.tools):
            args["cognito_user_pool_id"] = self._required(
                self.cognito_user_pool_id, outputs_.COGNITO_USER_POOL_ID, "an API with provider cognito")
            args["cognito_domain"] = self._required(
                self.cognito_domain, outputs_.COGNITO_DOMAIN, "an API with provider cognito")
        return args

    def azure_settings_args(self) -> dict[str, Any]:
        """`AzureSettings` keyword arguments that reference the platform's Entra API applications."""
        return {"api_applications": self.entra_api_applications}

    def settings(self, aws: "AwsSettings", azure: "AzureSettings", agents: Iterable[Agent]) -> tuple["AwsSettings", "AzureSettings"]:
        """`aws` and `azure` (read from the agent stack's config) with this platform's shared objects in them.

        A stack that references a platform must not also name one of those objects itself (config
        awsGithubOidcProviderArn, awsCognito*, awsRolesAnywhereTrustAnchorArns, azureApiApplications): two
        sources of one object would silently pick one, so PlatformError names the keys to remove.
        """
        import dataclasses

        agents = list(agents)
        aws_args, azure_args = self.aws_settings_args(agents), self.azure_settings_args()
        both = [_CONFIG_KEYS[field] for settings, args in ((aws, aws_args), (azure, azure_args))
                for field in args if getattr(settings, field) not in (None, {})]
        if both:
            raise PlatformError(f"config platformStack ({self.stack or 'a StackReference'}) provides what "
                                f"{', '.join(both)} also name{'s' if len(both) == 1 else ''}: remove "
                                f"{'it' if len(both) == 1 else 'them'} from the stack config (the platform's objects "
                                "are used) or drop platformStack")
        return dataclasses.replace(aws, **aws_args), dataclasses.replace(azure, **azure_args)

    def _required(self, value: pulumi.Output, output: str, setting: str) -> pulumi.Output:
        def present(known: Any) -> Any:
            if known is None:
                raise PlatformError(f"platform stack {self.stack} exports no {output}: set {setting} in its platform")
            return known

        return value.apply(present)


def platform_outputs(stack: str | pulumi.StackReference) -> PlatformOutputs:
    """The shared identifiers a platform stack exported: `stack` is its name (ORG/PROJECT/STACK; a StackReference
    is created) or a StackReference the program already holds."""
    name = stack if isinstance(stack, str) else ""
    reference = pulumi.StackReference(stack) if isinstance(stack, str) else stack

    def mapping(name: str) -> pulumi.Output[dict]:
        return reference.get_output(name).apply(lambda value: dict(value or {}))

    return PlatformOutputs(
        github_oidc_provider_arn=reference.get_output(outputs_.GITHUB_OIDC_PROVIDER_ARN),
        cognito_user_pool_id=reference.get_output(outputs_.COGNITO_USER_POOL_ID),
        cognito_domain=reference.get_output(outputs_.COGNITO_DOMAIN),
        cognito_resource_servers=mapping(outputs_.COGNITO_RESOURCE_SERVERS),
        roles_anywhere_trust_anchor_arns=mapping(outputs_.ROLES_ANYWHERE_TRUST_ANCHOR_ARNS),
        entra_api_applications=mapping(outputs_.ENTRA_API_APPLICATIONS),
        stack=name,
    )
