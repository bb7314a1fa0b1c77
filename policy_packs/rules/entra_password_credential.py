"""AGID-AZ-001: no credential is added to an Entra application or service principal (secrets, keys, certificates).

Whoever holds an application's credential signs in as it, from anywhere, until the credential expires: a client
secret (password credential), a symmetric key and an uploaded X.509 certificate (key credential: its private key is
a file that can be copied) are all long-lived static credentials. Agents authenticate with federated identity
credentials (workload identity federation: no stored credential at all), which AGID-AZ-030 judges instead.

Every way pulumi-azuread adds one (https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential,
https://learn.microsoft.com/en-us/graph/api/resources/keycredential):
  - resources: ApplicationPassword, ServicePrincipalPassword (secrets), ApplicationCertificate,
    ServicePrincipalCertificate (type AsymmetricX509Cert or Symmetric);
  - inputs of Application: `password` (azuread's block), and the Graph names `passwordCredentials` /
    `keyCredentials` (a raw resource may send them, on an Application or a ServicePrincipal).
Not credentials of the app: ServicePrincipalTokenSigningCertificate (Entra's own key that signs SAML tokens *to* the
app) and federated identity credentials (keyless). azure-native manages no Entra applications (they are Microsoft
Graph objects, not ARM resources); its static keys are AGID-AZ-002/023/024/035.
A certificate the kit binds (`client_certificate` in the agent file) is this rule's violation too: accept it with
a waiver that says where the private key lives and when the agent moves to a federated credential.
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
# credential resource -> (what it adds to, the input naming its type, or None for a secret)
CREDENTIAL_RESOURCES = {
    "azuread:index/applicationPassword:ApplicationPassword": ("application", None),
    "azuread:index/servicePrincipalPassword:ServicePrincipalPassword": ("service principal", None),
    "azuread:index/applicationCertificate:ApplicationCertificate": ("application", "type"),
    "azuread:index/servicePrincipalCertificate:ServicePrincipalCertificate": ("service principal", "type"),
}
# inline inputs that add credentials: azuread's `password` block; the Graph API's lists
INLINE = {APPLICATION: ("password", "passwordCredentials", "keyCredentials"),
          SERVICE_PRINCIPAL: ("passwordCredentials", "keyCredentials")}


def _kind(resource: Resource, type_input: str | None) -> str:
    if type_input is None:
        return "a client secret"
    kind = resource.props.get(type_input)
    if isinstance(kind, str) and not is_unknown(kind) and kind.strip().lower() == "symmetric":
        return "a symmetric key (a shared secret)"
    return "a certificate credential (whoever copies its private key signs in as it)"


def check(resource: Resource, config):
    if resource.type in CREDENTIAL_RESOURCES:
        target, type_input = CREDENTIAL_RESOURCES[resource.type]
        yield Violation(f"{resource.type.rsplit(':', 1)[1]} {resource.name} adds {_kind(resource, type_input)} to an "
                        f"Entra {target}: a static credential that works from anywhere until it expires")
        return
    for field in INLINE[resource.type]:
        value = resource.props.get(field)
        if is_unknown(value):
            yield Unknown(field)
        elif value:  # a password block, or a non-empty list of them
            yield Violation(f"{resource.name} declares a credential ({field}): a static credential that works from "
                            "anywhere until it expires; use a federated identity credential instead")


RULE = Rule(
    id="AGID-AZ-001",
    title="entra-no-password-credentials",
    severity="critical",
    category="static-credential",
    description="No credential is added to an Entra application or service principal: no client secret, symmetric "
                "key or certificate (password or key credentials, as resources or inline).",
    remediation="Remove the credential; authenticate with a federated identity credential (workload identity "
                "federation, or a managed identity's credential). A certificate you must keep needs a waiver.",
    url="https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation",
    check=check,
    resource_types=(APPLICATION, SERVICE_PRINCIPAL, *CREDENTIAL_RESOURCES),
)
