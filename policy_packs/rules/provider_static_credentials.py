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
  - kubernetes: kubeconfig, when it is a kubeconfig document (not a path) whose users[].user holds a bearer
    `token`, `client-key-data` (a client certificate's private key), a `password`, or an auth-provider's
    client-secret / refresh-token / id-token; an `exec` plugin (short-lived tokens) passes.
    https://www.pulumi.com/registry/packages/kubernetes/api-docs/provider/ ,
    https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/
Whether the value is plain text or a Pulumi secret, it is a long-lived key: the remedy is OIDC / workload
identity (aws: assumeRoleWithWebIdentity; azure: useOidc; gcp: workload identity federation).
A value unknown at preview cannot be judged ("cannot check until known").
"""

from __future__ import annotations

import re
from typing import Any

from agentid_components import input_limits

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
# provider package -> inputs holding a document that may embed a credential (judged by content, below)
CREDENTIAL_DOCUMENT_INPUTS: dict[str, tuple[str, ...]] = {"kubernetes": ("kubeconfig",)}
# what a default provider built from stack config must carry for this rule to judge it (default_providers.py)
CREDENTIAL_CONFIG_KEYS: dict[str, tuple[str, ...]] = {**STATIC_CREDENTIAL_INPUTS, **CREDENTIAL_DOCUMENT_INPUTS}
PROVIDER_TYPES = tuple(f"pulumi:providers:{package}" for package in CREDENTIAL_CONFIG_KEYS)
# the engine names default providers `default` or `default_<version>` (`default_7_51_0`)
_DEFAULT_PROVIDER = re.compile(r"default(?:_[0-9]+(?:_[0-9A-Za-z.-]+)*)?")
# kubeconfig v1 (https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/#AuthInfo): user fields holding secrets
KUBECONFIG_SECRET_FIELDS = ("token", "client-key-data", "password")
AUTH_PROVIDER_SECRET_FIELDS = ("client-secret", "refresh-token", "id-token")
KUBECONFIG_LIMITS = input_limits.Limits(max_bytes=1024 * 1024, max_depth=32, max_nodes=100_000)


def kubeconfig_document(text: str) -> dict[str, Any] | None:
    """The kubeconfig document `text` holds, or None when `text` is a file path (the provider reads that file);
    raises ValueError when it cannot be read. A single-line text without ':' is a path."""
    single_line = "\n" not in text.strip()
    if single_line and ":" not in text and "{" not in text:
        return None
    if len(text) > KUBECONFIG_LIMITS.max_bytes:
        raise ValueError(f"kubeconfig is over {KUBECONFIG_LIMITS.max_bytes:,} characters")
    try:
        document = input_limits.plain_yaml(text, "kubeconfig", KUBECONFIG_LIMITS)  # JSON is YAML too
    except input_limits.InputRefused as refused:
        raise ValueError(str(refused)) from None
    if single_line and isinstance(document, str):
        return None  # a path such as C:\\Users\\me\\.kube\\config
    if not isinstance(document, dict) or not isinstance(document.get("users") or [], list):
        raise ValueError("kubeconfig is not a kubeconfig document (a mapping with a users list)")
    return document


def kubeconfig_users(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each `users[i].user` mapping of a kubeconfig document; raises ValueError for one that is not a mapping."""
    users = []
    for index, entry in enumerate(document.get("users") or []):
        user = entry.get("user") if isinstance(entry, dict) else None
        if not isinstance(user, dict):
            raise ValueError(f"kubeconfig users[{index}].user is not a mapping")
        users.append(user)
    return users


def _kubeconfig_credentials(text: str) -> list[str]:
    """`users[i].user.<field>` paths holding a credential; raises ValueError when the document cannot be read."""
    document = kubeconfig_document(text)
    if document is None:
        return []
    found = []
    for index, user in enumerate(kubeconfig_users(document)):
        found += [f"users[{index}].user.{key}" for key in KUBECONFIG_SECRET_FIELDS if user.get(key)]
        provider = user.get("auth-provider")
        settings = provider.get("config") if isinstance(provider, dict) else None
        if isinstance(settings, dict):
            found += [f"users[{index}].user.auth-provider.config.{key}" for key in AUTH_PROVIDER_SECRET_FIELDS
                      if settings.get(key)]
    return found


def check(resource: Resource, config):
    package = resource.type.removeprefix("pulumi:providers:")
    present = []
    for key in STATIC_CREDENTIAL_INPUTS.get(package, ()):
        value = resource.props.get(key)
        if is_unknown(value):
            yield Unknown(key)
        elif value not in (None, ""):
            present.append(key)
    kubeconfig = resource.props.get("kubeconfig") if package == "kubernetes" else None
    if is_unknown(kubeconfig):
        yield Unknown("kubeconfig")
    elif isinstance(kubeconfig, str) and kubeconfig:
        try:
            present += [f"kubeconfig {path}" for path in _kubeconfig_credentials(kubeconfig)]
        except ValueError as error:
            yield Violation(f"{resource.type} {resource.name}: cannot check: {error}")
    if present:
        # The engine's default provider (`default`, `default_7_51_0`) takes its inputs from the stack's config:
        # name the keys as they are written there (`aws:accessKey`), not as the provider's inputs.
        where = (f"by the stack config ({', '.join(f'{package}:{key}' for key in present)})"
                 if _DEFAULT_PROVIDER.fullmatch(resource.name) else f"with a static credential ({', '.join(present)})")
        yield Violation(f"{resource.type} {resource.name} is configured {where}: a long-lived key every deployment "
                        "and agent signs in with; "
                        "use OIDC / workload identity federation instead")


RULE = Rule(
    id="AGID-PRV-001",
    title="provider-no-static-credentials",
    severity="critical",
    category="static-credential",
    description="No static cloud credential (access key, client secret or certificate, service-account key, "
                "kubeconfig token or client key) on a Pulumi provider, explicit or from stack config.",
    remediation="Remove the key from the provider and the stack config; sign in with OIDC: aws "
                "assumeRoleWithWebIdentity, azure useOidc, gcp workload identity federation, kubernetes a kubeconfig "
                "`exec` plugin (aws eks get-token, gke-gcloud-auth-plugin, kubelogin).",
    url="https://www.pulumi.com/docs/pulumi-cloud/access-management/oidc/",
    check=check,
    resource_types=PROVIDER_TYPES,
)
