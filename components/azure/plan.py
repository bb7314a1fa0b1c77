"""What the agents compile to on Azure, as plain data, computed and checked before anything registers.

The Pulumi components only turn a plan into resources. Every guard lives
here, so bad input fails with one clear error naming the agent and tool
while nothing has been registered yet, and the rules can be tested without
Pulumi. The spec already rejects most of this input; these checks are the
second line (models built with `model_construct`, JSON edited by hand, ...).

Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from agentid.today import today as current_day
from agentid_components import azure_catalog, input_limits, naming
from agentid_components.spec import MAX_TRUST_BINDINGS_PER_AZURE_IDENTITY, Agent, Tool

# The audience Entra expects in every external token exchanged for an Entra token.
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
ENTRA_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"  # issuer of managed identities' tokens
MAX_FEDERATED_CREDENTIALS = MAX_TRUST_BINDINGS_PER_AZURE_IDENTITY  # per managed identity and per Entra app

# Deterministic GUIDs (role definitions, assignments, app roles, certificate key ids): the same spec
# always yields the same names, so a re-run updates in place instead of creating twins.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://agent-identity-kit.dev/azure")

# Operations that hand out access or add a way in (grant roles, edit roles, elevate to root, trust
# another token issuer, attach an identity to compute). No agent tool needs them; a custom role
# holding one is as privileged as Owner / User Access Administrator, whatever it is called.
ESCALATION_OPERATIONS = frozenset(
    operation.lower()
    for operation in (
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "Microsoft.Authorization/roleDefinitions/write",
        "Microsoft.Authorization/roleDefinitions/delete",
        "Microsoft.Authorization/elevateAccess/action",
        "Microsoft.Authorization/denyAssignments/write",
        "Microsoft.Authorization/denyAssignments/delete",
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
        "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
    )
)

# Azure resource group names: 1-90 of letters, digits, _ - . ( ), not ending in '.'.
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")


class AzureCompileError(ValueError):
    """The agents cannot be compiled for Azure; the message names the agent (and tool) and the fix."""


def guid(*parts: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, "/".join(parts)))


def app_role_id(audience: str, scope: str) -> str:
    """The id of the app role that stands for `scope` on the API `audience`: the same in every stack and tenant,
    so a platform stack's API application and an agent stack's grants agree without exchanging ids."""
    return guid("app-role", audience, scope)


# --- the plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class FederatedCredential:
    """One external token (issuer + exact subject) that may be exchanged for the identity's token."""

    name: str
    kind: str  # github_actions | kubernetes | spiffe | managed_identity
    issuer: str
    subject: str
    audiences: tuple[str, ...] = (TOKEN_EXCHANGE_AUDIENCE,)


@dataclass(frozen=True)
class RoleGrant:
    """A tool's custom role and its assignment to the agent's identity, both at the tool's scope."""

    tool: str
    role_name: str
    definition_guid: str
    assignment_guid: str
    scope: str
    actions: tuple[str, ...]
    data_actions: tuple[str, ...]
    description: str
    identity_name: str | None = None  # the tool's own managed identity (azure_identity_per_tool); None: the agent's

    @property
    def role_definition_id(self) -> str:
        # The form Azure stores in role assignments (subscription-level id of the custom role), so
        # the assignment shows no drift after a refresh.
        subscription = azure_catalog.subscription_of(self.scope)
        return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{self.definition_guid}"

    @property
    def assignment_id(self) -> str:
        return f"{self.scope}/providers/Microsoft.Authorization/roleAssignments/{self.assignment_guid}"


@dataclass(frozen=True)
class AppRoleGrant:
    """One OAuth scope of an API: an app role on its Entra application, assigned to the agent."""

    tool: str
    audience: str
    scope: str
    app_role_id: str


@dataclass(frozen=True)
class ClientCertificate:
    """The public certificate bound to the agent's Entra application (the private key stays with the agent)."""

    file: str
    pem: str
    key_id: str
    thumbprint_sha1: str
    thumbprint_sha256: str
    not_before: str
    not_after: str


@dataclass(frozen=True)
class EntraClient:
    """The agent's Entra application: client-credentials only, no password, no browser flows."""

    display_name: str
    federated: tuple[FederatedCredential, ...]
    # With azure_hosted bindings the agent's managed identity signs in to the app: a federated credential
    # with issuer https://login.microsoftonline.com/TENANT/v2.0 and subject the identity's principal id.
    managed_identity_credential: str | None  # its name
    certificate: ClientCertificate | None
    grants: tuple[AppRoleGrant, ...]


@dataclass(frozen=True)
class AgentPlan:
    agent: Agent
    identity_name: str
    resource_group: str
    location: str | None
    tags: dict[str, str]
    federated: tuple[FederatedCredential, ...]
    hosted_on: tuple[str, ...]  # compute resources the identity must be attached to
    roles: tuple[RoleGrant, ...]
    entra: EntraClient | None
    warnings: tuple[str, ...] = ()
    suffix: str = ""  # the stack's name suffix (see `naming`)


@dataclass(frozen=True)
class ResourceApp:
    """The Entra application standing for one API / MCP server: one app role per scope any agent asks for."""

    audience: str
    display_name: str
    roles: dict[str, str] = field(default_factory=dict)  # scope -> app role id


@dataclass(frozen=True)
class FleetPlan:
    agents: tuple[AgentPlan, ...]
    resource_apps: dict[str, ResourceApp]  # audience -> app


# --- planning ----------------------------------------------------------------------


def plan_fleet(
    agents: list[Agent],
    resource_group: str | None,
    location: str | None = None,
    spec_dir: str | Path = ".",
    today: dt.date | None = None,
    suffix: str = "",
) -> FleetPlan:
    """Plan every agent that has Azure tools; raise AzureCompileError on the first bad input.

    `resource_group` and `location` may be Outputs (a StackReference's): they are passed through, and the
    component checks the group's name when it is known. `suffix`: the stack's name suffix (see `naming`).
    """
    on_azure = [agent for agent in agents if "azure" in agent.clouds]
    if on_azure:
        _check_resource_group(resource_group, on_azure)
    plans = tuple(plan_agent(agent, resource_group, location, Path(spec_dir), today, suffix) for agent in on_azure)
    resource_apps: dict[str, ResourceApp] = {}
    for plan in plans:
        for grant in plan.entra.grants if plan.entra else ():
            app = resource_apps.setdefault(
                grant.audience, ResourceApp(grant.audience, naming.entra_resource_app_name(grant.audience, suffix))
            )
            app.roles[grant.scope] = grant.app_role_id
    _check_distinct_app_names(resource_apps)
    return FleetPlan(plans, resource_apps)


def _check_distinct_app_names(resource_apps: dict[str, ResourceApp]) -> None:
    """`https://api.example.com` and `https://api.example.com/` are two audiences but would share one app name."""
    by_name: dict[str, str] = {}
    for audience, app in resource_apps.items():
        if app.display_name in by_name:
            raise AzureCompileError(
                f"OAuth audiences '{by_name[app.display_name]}' and '{audience}' differ only in form: "
                "spell the audience the same way in every agent"
            )
        by_name[app.display_name] = audience


def plan_agent(
    agent: Agent, resource_group: str, location: str | None, spec_dir: Path, today: dt.date | None = None, suffix: str = ""
) -> AgentPlan:
    federated, hosted_on = _federated_credentials(agent)
    roles = tuple(_role_grant(agent, tool, suffix) for tool in agent.tools_on("azure") if tool.azure)
    if agent.azure_identity_per_tool:
        roles = tuple(dataclasses.replace(role, identity_name=naming.azure_tool_identity_name(agent.name, role.tool, suffix))
                      for role in roles)  # fitted to Azure's 128 characters
    entra, warnings = _entra_client(agent, federated, bool(hosted_on), spec_dir, today or current_day(), suffix)
    return AgentPlan(
        agent=agent,
        identity_name=naming.azure_identity_name(agent.name, suffix),
        resource_group=resource_group,
        location=location,
        tags={
            naming.TAG_AGENT: agent.name,
            naming.TAG_OWNER: agent.owner,
            naming.TAG_ENVIRONMENT: agent.environment,
            naming.TAG_REVIEW_BY: agent.review_by.isoformat(),
            naming.TAG_MANAGED_BY: naming.MANAGED_BY,
        },
        federated=federated,
        hosted_on=hosted_on,
        roles=roles,
        entra=entra,
        warnings=warnings,
        suffix=suffix,
    )


def _check_resource_group(resource_group: object, on_azure: list[Agent]) -> None:
    names = ", ".join(f"'{agent.name}'" for agent in on_azure)
    if resource_group is None or resource_group == "":
        raise AzureCompileError(
            f"agents {names} have Azure tools but no resource group is configured for their managed identities: "
            "run `pulumi config set agent-identity-kit:azureResourceGroup RG` (an existing resource group)"
        )
    if isinstance(resource_group, str):
        check_resource_group_name(resource_group)


def check_resource_group_name(resource_group: str) -> None:
    """AzureCompileError unless `resource_group` is a resource group name: 1-90 of letters, digits, _ - . ( ),
    not ending in '.' (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules)."""
    if not _RESOURCE_GROUP.match(resource_group):
        raise AzureCompileError(
            f"azureResourceGroup '{resource_group[:200]}' is not a resource group name "
            "(1-90 letters, digits, _ - . ( ), not ending in '.')"
        )


def _federated_credentials(agent: Agent) -> tuple[tuple[FederatedCredential, ...], tuple[str, ...]]:
    credentials: list[FederatedCredential] = []
    hosted_on: list[str] = []
    for binding in agent.trust:
        if binding.azure_hosted:
            hosted_on.append(binding.azure_hosted.resource_id)
            continue
        if not binding.usable_on("azure"):
            continue  # e.g. a SPIFFE binding with X.509 SVIDs only: that one is for AWS Roles Anywhere
        detail = binding.detail
        if binding.spiffe:
            issuer, subject = binding.spiffe.jwt_issuer, binding.spiffe.spiffe_id
        else:
            issuer, subject = detail.issuer, detail.subject
        name = naming.azure_federated_credential_name(binding.kind, issuer, subject)
        if any(existing.name == name for existing in credentials):
            raise AzureCompileError(
                f"agent '{agent.name}': trust binding {binding.kind} ({subject} from {issuer}) is declared twice: "
                "Azure keeps one federated credential per issuer and subject"
            )
        credentials.append(FederatedCredential(name, binding.kind, issuer, subject))
    if len(credentials) > MAX_FEDERATED_CREDENTIALS:
        raise AzureCompileError(
            f"agent '{agent.name}' has {len(credentials)} federated trust bindings; an Azure managed identity holds "
            f"at most {MAX_FEDERATED_CREDENTIALS} federated identity credentials: split the agent or share a subject"
        )
    return tuple(credentials), tuple(hosted_on)


def _role_grant(agent: Agent, tool: Tool, suffix: str = "") -> RoleGrant:
    where = f"agent '{agent.name}', tool '{tool.name}'"
    grant = tool.azure
    scope = azure_catalog.parse_scope(grant.scope)
    if scope.is_broad:
        raise AzureCompileError(
            f"{where}: scope '{grant.scope}' is at {scope.level.replace('_', '-')} level; "
            "assign at one resource group or resource"
        )
    if scope.level == "invalid":
        raise AzureCompileError(
            f"{where}: malformed Azure scope '{grant.scope}': write "
            "/subscriptions/GUID/resourceGroups/RG[/providers/Provider.Namespace/TYPE/NAME...]"
        )
    if not grant.actions and not grant.data_actions:
        raise AzureCompileError(f"{where}: the Azure grant names no actions or data_actions")
    if scope.level == "resource_group":
        from agentid_policy_packs.analysis.azure_credential_reads import credential_read  # AGID-AZ-065's data
        for operation in grant.data_actions:
            if returns := credential_read(operation):
                raise AzureCompileError(
                    f"{where}: '{operation}' at resource-group scope '{grant.scope}' reads {returns} of every vault "
                    "in the group; assign it on the one vault (.../providers/Microsoft.KeyVault/vaults/VAULT)"
                )
    for operation in [*grant.actions, *grant.data_actions]:
        if "*" in operation or not azure_catalog.is_operation(operation):
            raise AzureCompileError(
                f"{where}: '{operation}' is not an exact Azure operation: write "
                "Provider.Namespace/resourceType/.../read|write|delete|action, no wildcards"
            )
        if operation.lower() in ESCALATION_OPERATIONS:
            raise AzureCompileError(
                f"{where}: '{operation}' lets the agent grant access or add credentials (as privileged as "
                "Owner or User Access Administrator); agent roles never include it"
            )
        if effect := azure_catalog.privileged_operations().get(operation.lower()):
            # the pack's AGID-AZ-012 capabilities (one data file): refused here so the spec fails as early
            raise AzureCompileError(
                f"{where}: '{operation}' lets the agent {effect} (a privileged capability, "
                "components/data/azure_capabilities.yaml); agent roles never include it"
            )
    definition_guid = guid(*naming.azure_guid_parts("role-definition", agent.name, tool.name, suffix=suffix))
    builtin = azure_catalog.builtin_role(definition_guid)
    if builtin:  # cannot happen with uuid5 names; the guard keeps it that way if naming ever changes
        raise AzureCompileError(f"{where}: role id {definition_guid} is the built-in '{builtin.name}' role")
    return RoleGrant(
        tool=tool.name,
        role_name=naming.azure_role_name(agent.name, tool.name, suffix),
        definition_guid=definition_guid,
        assignment_guid=guid(*naming.azure_guid_parts("role-assignment", agent.name, tool.name, scope.path.lower(), suffix=suffix)),
        scope=scope.path,
        actions=tuple(grant.actions),
        data_actions=tuple(grant.data_actions),
        description=f"Tool '{tool.name}' of agent '{agent.name}' (owner {agent.owner}): {tool.description or agent.purpose}"[:1000],
    )


def _entra_client(
    agent: Agent, federated: tuple[FederatedCredential, ...], hosted: bool, spec_dir: Path, today: dt.date, suffix: str = ""
) -> tuple[EntraClient | None, tuple[str, ...]]:
    grants: list[AppRoleGrant] = []
    for tool in agent.tools:
        if not (tool.oauth and tool.oauth.provider == "entra"):
            continue
        for scope in tool.oauth.scopes:
            if scope.startswith(".") or " " in scope or "*" in scope:
                raise AzureCompileError(
                    f"agent '{agent.name}', tool '{tool.name}': '{scope}' cannot be an Entra app role value "
                    "(no spaces or wildcards, not starting with '.')"
                )
            grants.append(AppRoleGrant(tool.name, tool.oauth.audience, scope, app_role_id(tool.oauth.audience, scope)))
    if not grants:
        return None, ()
    app_credentials = len(federated) + (1 if hosted else 0)
    if app_credentials > MAX_FEDERATED_CREDENTIALS:
        raise AzureCompileError(
            f"agent '{agent.name}': its Entra application would need {app_credentials} federated credentials "
            f"(trust bindings, plus one for the managed identity when azure_hosted); Entra allows {MAX_FEDERATED_CREDENTIALS}"
        )
    certificate, warnings = (None, ())
    if agent.client_certificate:
        certificate, warnings = _client_certificate(agent, spec_dir, today)
    return (
        EntraClient(
            display_name=naming.oauth_client_name(agent.name, suffix),
            federated=federated,
            managed_identity_credential=(
                naming.azure_federated_credential_name("managed_identity", ENTRA_ISSUER, agent.name) if hosted else None
            ),
            certificate=certificate,
            grants=tuple(grants),
        ),
        warnings,
    )


_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


def _client_certificate(agent: Agent, spec_dir: Path, today: dt.date) -> tuple[ClientCertificate, tuple[str, ...]]:
    where = f"agent '{agent.name}': client_certificate '{agent.client_certificate}'"
    path = spec_dir / agent.client_certificate
    try:
        text = input_limits.read_text(path, input_limits.CERTIFICATE_BYTES, "certificate")
    except input_limits.InputRefused as refused:
        raise AzureCompileError(f"{where} cannot be read ({refused})") from None
    if "PRIVATE KEY" in text:
        # Never let a private key reach the program (and so the state file): refuse the whole file.
        raise AzureCompileError(f"{where} holds a private key: give the public certificate only")
    match = _PEM_CERTIFICATE.search(text)
    if not match:
        raise AzureCompileError(f"{where} holds no PEM certificate")
    pem = match.group(0) + "\n"  # the leaf: the first certificate of the file
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise AzureCompileError(f"{where} is not a valid X.509 certificate") from None
    not_after = cert.not_valid_after_utc
    if not_after.date() <= today:
        raise AzureCompileError(f"{where} expired on {not_after.date()}: bind a current certificate")
    warnings = ()
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        warnings = (
            f"{where} does not hold an RSA key; Entra accepts client assertions signed RS256/PS256 only, "
            "so the agent cannot sign in with this certificate: bind an RSA certificate",
        )
    der_sha1 = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the thumbprint Entra displays
    return (
        ClientCertificate(
            file=agent.client_certificate,
            pem=pem,
            key_id=guid("client-certificate", agent.name, der_sha1),
            thumbprint_sha1=der_sha1,
            thumbprint_sha256=cert.fingerprint(hashes.SHA256()).hex().upper(),
            not_before=_rfc3339(cert.not_valid_before_utc),
            not_after=_rfc3339(not_after),
        ),
        warnings,
    )


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
