"""AGID-AZ-001: no client secrets (password credentials) on Entra applications or service principals."""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

APPLICATION = "azuread:index/application:Application"
PASSWORD_RESOURCES = {
    "azuread:index/applicationPassword:ApplicationPassword": "application",
    "azuread:index/servicePrincipalPassword:ServicePrincipalPassword": "service principal",
}


def check(resource: Resource, config):
    if resource.type in PASSWORD_RESOURCES:
        yield Violation(f"{resource.type.rsplit(':', 1)[1]} {resource.name} adds a client secret to an Entra "
                        f"{PASSWORD_RESOURCES[resource.type]}: a static credential that works from anywhere "
                        "until it expires")
        return
    for field in ("password", "passwordCredentials"):  # azuread's block; the Graph API's list
        value = resource.props.get(field)
        if is_unknown(value):
            yield Unknown(field)
        elif value:  # a password block, or a non-empty list of them
            yield Violation(f"application {resource.name} declares a password credential ({field}): use a "
                            "certificate or a federated identity credential instead")


RULE = Rule(
    id="AGID-AZ-001",
    title="entra-no-password-credentials",
    severity="critical",
    category="static-credential",
    description="Entra applications and service principals have no password (client secret) credentials.",
    remediation="Remove the password; authenticate with a federated identity credential (workload identity "
                "federation) or a certificate.",
    url="https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation",
    check=check,
    resource_types=(APPLICATION, *PASSWORD_RESOURCES),
)
