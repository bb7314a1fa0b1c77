"""AGID-PRV-001: no static cloud credential configured on a Pulumi provider.

A provider resource (`pulumi:providers:<package>`: an explicit `aws.Provider(...)`, or the default
provider the engine registers from the stack's `<package>:*` config) carries the credential the
deployment - and any agent that runs it - signs in with. These inputs hold long-lived secrets:
  - aws: accessKey + secretKey (an IAM user's access key; `token` alone is a session token and passes)
    https://www.pulumi.com/registry/packages/aws/api-docs/provider/
  - azure-native, azure (classic), azuread: clientSecret, clientCertificate, clientCertificatePassword
    https://www.pulumi.com/registry/packages/azure-native/api-docs/provider/
    https://www.pulumi.com/registry/packages/azuread/api-docs/provider/
  - gcp: credentials (a service-account key, as JSON or a path to one; `accessToken` is short-lived)
    https://www.pulumi.com/registry/packages/gcp/api-docs/provider/
Whether the value is plain text or a Pulumi secret, it is a long-lived key: the remedy is OIDC / workload
identity (aws: assumeRoleWithWebIdentity; azure: useOidc; gcp: workload identity federation).
A value unknown at preview cannot be judged ("cannot check until known").
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

_AZURE_KEYS = ("clientSecret", "clientCertificate", "clientCertificatePassword")
# provider package -> the inputs that hold a long-lived credential
STATIC_CREDENTIAL_INPUTS: dict[str, tuple[str, ...]] = {
    "aws": ("accessKey", "secretKey"),
    "azure-native": _AZURE_KEYS,
    "azure": _AZURE_KEYS,
    "azuread": _AZURE_KEYS,
    "gcp": ("credentials",),
}
PROVIDER_TYPES = tuple(f"pulumi:providers:{package}" for package in STATIC_CREDENTIAL_INPUTS)


def check(resource: Resource, config):
    package = resource.type.removeprefix("pulumi:providers:")
    present = []
    for key in STATIC_CREDENTIAL_INPUTS.get(package, ()):
        value = resource.props.get(key)
        if is_unknown(value):
            yield Unknown(key)
        elif value not in (None, ""):
            present.append(key)
    if present:
        yield Violation(f"{resource.type} {resource.name} is configured with a static credential "
                        f"({', '.join(present)}): a long-lived key every deployment and agent signs in with; "
                        "use OIDC / workload identity federation instead")


RULE = Rule(
    id="AGID-PRV-001",
    title="provider-no-static-credentials",
    severity="critical",
    category="static-credential",
    description="No static cloud credential (access key, client secret or certificate, service-account key) "
                "on a Pulumi provider, explicit or from stack config.",
    remediation="Remove the key from the provider and the stack config; sign in with OIDC: aws "
                "assumeRoleWithWebIdentity, azure useOidc, gcp workload identity federation.",
    url="https://www.pulumi.com/docs/pulumi-cloud/access-management/oidc/",
    check=check,
    resource_types=PROVIDER_TYPES,
)
