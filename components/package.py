"""The kit's AgentFleet as a Pulumi component package, for TypeScript, Go, C#, Java and YAML programs.

    pulumi package add https://github.com/OWNER/agent-identity-kit@v0.1.0   # in the consumer's project

reads `PulumiPlugin.yaml` at the repository root (runtime python), installs the
kit, starts this provider (`__main__.py` -> `main`), asks it for its schema
(`GetSchema`) and generates an SDK in the consumer's language. The consumer's
`new agentid.AgentFleet("agents", {...})` then reaches `Construct` here, which
builds the very component a Python program builds (`agentid_components.fleet.AgentFleet`,
type `agentid:index:AgentFleet`), with the same children: one program, whatever
the language, gives the same roles, identities and policies, and the same
`agent_guard` verdict.

The schema is inferred by Pulumi's component provider host
(`pulumi.provider.experimental`) from the annotations and attribute docstrings
below and in `package_types` (generated from the spec). Inputs are camelCase in
the schema (`reviewBy`, `maxCredentialMinutes`); every value is plain (not an
Output): the agents decide which resources exist.

Bad input is refused before anything registers, as one gRPC INVALID_ARGUMENT
with one entry per problem (`agents[0].tools[1].aws.actions[0]: ...`), never a
Python traceback.
"""

import importlib.metadata
import json
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Any, NotRequired, Optional, TypedDict

import pulumi
from pulumi.errors import InputPropertiesError, InputPropertyErrorDetails
from pulumi.output import Inputs
from pulumi.provider import main as serve_provider
from pulumi.provider.experimental.component import ComponentProvider

from agentid_components import fleet as python_fleet
from agentid_components import platform as python_platform
from agentid_components.aws import fleet as aws_fleet
from agentid_components.azure import fleet as azure_fleet
from agentid_components.gcp import fleet as gcp_fleet
from agentid_components.loader import LoadedInventory, SpecError, SpecLoadError, check_text, load_inventory
from agentid_components.package_types import Agent, PlatformSpec
from agentid_components.platform_spec import PlatformSpecError, parse_platform

PACKAGE_NAME = "agentid"  # the schema's package name: type tokens are agentid:index:<Component>


class AwsSettings(TypedDict):
    """Existing AWS objects the fleet references instead of creating its own (the stack config keys `aws*`)."""

    github_oidc_provider_arn: NotRequired[str]
    """IAM OIDC provider of https://token.actions.githubusercontent.com (an account holds one): arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com"""

    kubernetes_oidc_provider_arns: NotRequired[dict[str, str]]
    """cluster issuer URL -> the IAM OIDC provider ARN already created for it (IRSA)"""

    cognito_user_pool_id: NotRequired[str]
    """Cognito user pool for the agents' OAuth clients, e.g. eu-west-1_AbCdEf123 (needs cognitoDomain)"""

    cognito_domain: NotRequired[str]
    """the pool's domain: prefix of the domain to create, or the referenced pool's domain (prefix or custom domain)"""

    permissions_boundary_arn: NotRequired[str]
    """managed policy used as every agent role's permissions boundary instead of one per agent from its tools"""

    roles_anywhere_trust_anchor_arns: NotRequired[dict[str, str]]
    """SPIFFE trust domain -> existing Roles Anywhere trust anchor ARN (other domains get one anchor each)"""

    cognito_resource_servers: NotRequired[dict[str, str]]
    """audience -> identifier of the resource server already in the referenced pool (others are created)"""

    name_suffix: NotRequired[str]
    """suffix of every physical name: 0-24 of a-z 0-9 - (default: the stack name; '' for none)"""


class ApiApplication(TypedDict):
    """An existing Entra application standing for one API / MCP server."""

    client_id: str
    """its application (client) id"""

    service_principal_object_id: str
    """object id of its service principal (app role assignments name it)"""

    app_role_ids: NotRequired[dict[str, str]]
    """scope -> app role id (default: the kit's own ids, for applications the kit made)"""


class AzureSettings(TypedDict):
    """Where the agents' Azure identities live (the stack config keys `azure*`)."""

    resource_group: NotRequired[str]
    """existing resource group of the managed identities; required as soon as one agent has Azure tools or trust"""

    location: NotRequired[str]
    """Azure region of the identities; default: the azure-native provider's location"""

    api_applications: NotRequired[dict[str, ApiApplication]]
    """audience -> the existing Entra API application (an identifier URI is unique per tenant)"""

    name_suffix: NotRequired[str]
    """suffix of every physical name: 0-24 of a-z 0-9 - (default: the stack name; '' for none)"""


class GcpSettings(TypedDict):
    """Where the agents' Google Cloud identities live (the stack config keys `gcp*`)."""

    project: NotRequired[str]
    """project id of the service accounts, custom roles and Workload Identity pools; required as soon as one agent has gcp tools"""

    pool_prefix: NotRequired[str]
    """prefix of the Workload Identity pool ids (PREFIX-github, -k8s, -spiffe); default agents"""


class AgentFleetArgs(TypedDict):
    """The inputs of AgentFleet: the agents (inline or as an agent file) and where shared cloud objects come from."""

    agents: NotRequired[list[Agent]]
    """the stack's agents, as in an agent file (README "Agent spec reference", keys camelCase); or give agentsFile"""

    agents_file: NotRequired[str]
    """absolute path of an agent file (YAML, as `agentid validate` reads it), instead of agents"""

    base_directory: NotRequired[str]
    """absolute directory that relative paths in the agents (caBundle, clientCertificate, cedarPolicies) resolve from; default: the agent file's directory, else the provider's working directory"""

    aws: NotRequired[AwsSettings]
    """existing AWS objects to reference"""

    azure: NotRequired[AzureSettings]
    """where the Azure identities live"""

    gcp: NotRequired[GcpSettings]
    """where the Google Cloud identities live"""


class AgentFleet(python_fleet.AgentFleet):
    """Every agent of a stack compiled into its own cloud identities: per agent an AWS IAM role (per-tool least-privilege policies, permissions boundary, OIDC / Pod Identity / Roles Anywhere trust, Cognito client-credentials client) and an Azure user-assigned identity (federated credentials, one custom role per tool at the tool's scope, an Entra application with a certificate credential). Output `inventory`: who owns each agent, what each tool may touch, how it is trusted and how to cut it off."""

    inventory: pulumi.Output[dict[str, Any]]
    """agent name -> owner, purpose, environment, review_by, clouds, credential_lifetime_minutes, tools, and the deployed identifiers under `aws` / `azure` (the Python stack's `inventory` export, as `agentid inventory --json` shows it)"""

    def __init__(self, name: str, args: AgentFleetArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        loaded, aws_settings, azure_settings, gcp_settings = prepare(args)
        super().__init__(name, loaded, aws_settings, azure_settings, opts, gcp_settings=gcp_settings)


class Platform(python_platform.Platform):
    """The objects an account and a tenant hold once, shared by every agent stack (the platform stack): the GitHub Actions OIDC provider, a Cognito user pool with its domain and one resource server per API, one IAM Roles Anywhere trust anchor per SPIFFE trust domain, one Entra application per API. Export its outputs under their names; agent stacks read them through a StackReference (`platformStack`)."""

    github_oidc_provider_arn: Optional[pulumi.Output[str]]
    """ARN of the GitHub Actions OIDC provider (githubActions true)"""

    cognito_user_pool_id: Optional[pulumi.Output[str]]
    """the Cognito user pool (when an API uses Cognito)"""

    cognito_domain: Optional[pulumi.Output[str]]
    """the pool's hosted-domain prefix"""

    cognito_resource_servers: Optional[pulumi.Output[dict[str, str]]]
    """API audience -> its Cognito resource server identifier"""

    roles_anywhere_trust_anchor_arns: Optional[pulumi.Output[dict[str, str]]]
    """SPIFFE trust domain -> its IAM Roles Anywhere trust anchor ARN"""

    entra_api_applications: Optional[pulumi.Output[dict[str, Any]]]
    """API audience -> {clientId, servicePrincipalObjectId, appRoleIds: {scope: app role id}} of its Entra application"""

    def __init__(self, name: str, args: PlatformSpec, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(name, prepare_platform(args), opts)
        for output, value in self.outputs.items():  # platform_spec.OUTPUTS: camelCase export names
            setattr(self, _SCHEMA_TO_PYTHON.sub(lambda match: "_" + match.group(0).lower(), output), value)


_SCHEMA_TO_PYTHON = re.compile(r"[A-Z]")


class ArgsError(Exception):
    """The args do not describe a fleet; `problems` are (schema property path, reason), in the schema's camelCase."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {reason}" if path else reason for path, reason in problems))


def prepare(args: AgentFleetArgs) -> tuple[LoadedInventory, aws_fleet.AwsSettings, azure_fleet.AzureSettings,
                                           gcp_fleet.GcpSettings]:
    """The validated spec and every cloud's settings from the args, each cloud's fleet checked; raise `ArgsError`.

    Everything a Construct can get wrong is found here, before the component registers: spec errors (every one,
    with its path), settings errors and the clouds' planning errors (a policy that cannot compile, a missing
    resource group).
    """
    base = _absolute(args, "base_directory", "baseDirectory")
    loaded = _loaded(args, base)
    base = base or (Path(loaded.file).parent if args.get("agents_file") else Path.cwd())
    try:
        aws_settings = aws_fleet.AwsSettings(**dict(args.get("aws") or {}), agents_dir=str(base))
        azure_settings = azure_fleet.AzureSettings(**dict(args.get("azure") or {}), spec_dir=base)
        gcp_settings = gcp_fleet.GcpSettings(**{"pool_prefix": "agents", **dict(args.get("gcp") or {})})
        agents = loaded.inventory.agents
        on_aws = [agent for agent in agents if "aws" in agent.clouds]
        on_azure = [agent for agent in agents if "azure" in agent.clouds]
        if on_aws:
            aws_fleet.AwsAgents.check(on_aws, aws_settings)
        if on_azure:
            azure_fleet.AzureAgents.check(on_azure, azure_settings)
        on_gcp = [agent for agent in agents if "gcp" in agent.clouds]
        if on_gcp:
            gcp_fleet.GcpAgents.check(on_gcp, gcp_settings)
    except Exception as error:  # noqa: BLE001 - every planning error is the caller's input; shown as one line
        message = " ".join(str(error).split())
        raise ArgsError([(_settings_path(message), message)]) from error
    return loaded, aws_settings, azure_settings, gcp_settings


_CONFIG_KEY = re.compile(r"\bconfig (?:agent-identity-kit:)?(aws|azure|gcp)([A-Z]\w*)")


def _settings_path(message: str) -> str:
    """The settings errors name the stack config key (`config awsCognitoDomain ...`); the package's input
    is `aws.cognitoDomain`. Other planning errors concern the fleet as a whole: no path."""
    found = _CONFIG_KEY.search(message)
    return f"{found.group(1)}.{found.group(2)[0].lower()}{found.group(2)[1:]}" if found else ""


def prepare_platform(args: PlatformSpec) -> Any:
    """The validated `platform_spec.PlatformSpec` of the args (`caBundle` is PEM text here); raise `ArgsError`."""
    try:
        return parse_platform(_plain(dict(args)), "")
    except PlatformSpecError as error:
        problems = []
        for line in str(error).splitlines():
            path, _, reason = line.partition(": ")
            problems.append((_SNAKE.sub(lambda match: match.group(1).upper(), path.lstrip(".")), reason))
        raise ArgsError(problems) from None


def _absolute(args: AgentFleetArgs, key: str, schema_name: str) -> Path | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not Path(value).is_absolute():
        raise ArgsError([(schema_name, f"{value!r} is not an absolute path: the provider runs in its own directory; "
                                       "pass e.g. path.resolve(...) in TypeScript, filepath.Abs in Go")])
    return Path(value)


def _loaded(args: AgentFleetArgs, base: Path | None) -> LoadedInventory:
    agents, agents_file = args.get("agents"), args.get("agents_file")
    if (agents is None) == (agents_file is None):
        raise ArgsError([("", "give exactly one of `agents` (the agents inline) and `agentsFile` (an agent file)")])
    if agents_file is not None:
        path = _absolute(args, "agents_file", "agentsFile")
        try:
            return load_inventory(path)
        except SpecLoadError as error:
            raise ArgsError([("agentsFile", str(problem)) for problem in error.errors]) from error
    document = json.dumps({"agents": _plain(agents)}, indent=1)  # JSON is YAML: one loader, one set of checks
    inventory, lines, errors = check_text(document, "agents", base_dir=base or Path.cwd(), files_root=None)
    if errors:
        raise ArgsError([(_schema_path(problem), problem.message) for problem in errors])
    return LoadedInventory(inventory, "agents", lines)


def _plain(value: Any) -> Any:
    """Args as JSON: enum members (OAuthGrantProvider) as their values; whole floats as ints (protobuf's Struct,
    which carries the args, has only doubles: `maxCredentialMinutes: 15` arrives as 15.0, and the spec reads
    numbers strictly)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


_SNAKE = re.compile(r"(?<=[a-z0-9])_([a-z])")


def _schema_path(problem: SpecError) -> str:
    """`agents[0].tools[1].data_actions` as the consumer wrote it: `agents[0].tools[1].dataActions`."""
    return _SNAKE.sub(lambda match: match.group(1).upper(), problem.path)


class AgentIdProvider(ComponentProvider):
    """Pulumi's component provider for the kit's components, refusing bad args as input errors (no traceback)."""

    def map_inputs(self, inputs: Inputs, component_def: Any) -> Inputs:
        mapped = super().map_inputs(inputs, component_def)
        check = _CHECKS[component_def.name]
        try:
            check(mapped)
        except ArgsError as error:
            details = [InputPropertyErrorDetails(property_path=path, reason=reason) for path, reason in error.problems]
            raise InputPropertiesError(f"{component_def.name}: {len(details)} problem(s) in the args", details) from None
        return mapped


COMPONENTS = [AgentFleet, Platform]
# What each component checks before it registers (the host would wrap a constructor's error in a traceback).
_CHECKS = {AgentFleet.__name__: prepare, Platform.__name__: prepare_platform}


def provider() -> AgentIdProvider:
    return AgentIdProvider(COMPONENTS, PACKAGE_NAME, None, importlib.metadata.version("agent-identity-kit"))


def main(args: list[str] | None = None) -> None:
    """Serve the provider: the engine's address is the first argument; the port is printed on stdout."""
    serve_provider(provider(), sys.argv[1:] if args is None else args)


if __name__ == "__main__":
    main()
