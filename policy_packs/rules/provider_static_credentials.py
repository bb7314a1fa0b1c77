"""AGID-PRV-001: no static cloud credential configured on a Pulumi provider.

A provider resource (`pulumi:providers:<package>`: an explicit `aws.Provider(...)`, or the default
provider the engine registers from the stack's `<package>:*` config) carries the credential the
deployment - and any agent that runs it - signs in with. These inputs hold long-lived secrets:
  - aws: accessKey + secretKey (an IAM user's access key; `token` alone is a session token and passes)
    https://www.pulumi.com/registry/packages/aws/api-docs/provider/
  - azure-native, azure (classic), azuread: clientSecret (or clientSecretFilePath), clientCertificate (or
    clientCertificatePath: a certificate file is the same long-lived key wherever it lives),
    clientCertificatePassword, a literal oidcToken / oidcRequestToken (a bearer token committed with the change,
    red19 r19-2), an oidcTokenFilePath other than the runner's own token file (analysis/runner_paths.yaml: any other
    path may be the change's committed token, "cannot check")
  - aws: assumeRoleWithWebIdentity's literal webIdentityToken, and its webIdentityTokenFile outside the runner's
    own token locations (EKS's projected service-account token)
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

import json
import re
from typing import Any

from agentid_components import input_limits

from agentid_policy_packs.analysis.runner_paths import path_problem
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

# a client secret or certificate (inline, or the certificate file: a long-lived key wherever it lives), its password,
# and a literal OIDC token or OIDC request token (a bearer credential committed with the change: red19 r19-2)
_AZURE_KEYS = ("clientSecret", "clientSecretFilePath", "clientCertificate", "clientCertificatePath",
               "clientCertificatePassword", "oidcToken", "oidcRequestToken")
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
# provider package -> inputs naming a token FILE the provider signs in with, and the runner_paths.yaml kind of its
# allowed (runner's own) locations: any other file may be the change's committed token (cannot check). AWS's web
# identity token (file) is a member of assumeRoleWithWebIdentity, read below.
TOKEN_FILE_INPUTS: dict[str, dict[str, str]] = {
    "azure-native": {"oidcTokenFilePath": "azure_oidc_token_file"},
    "azure": {"oidcTokenFilePath": "azure_oidc_token_file"},
    "azuread": {"oidcTokenFilePath": "azure_oidc_token_file"},
}
CREDENTIAL_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    package: tuple(dict.fromkeys((*STATIC_CREDENTIAL_INPUTS.get(package, ()), *CREDENTIAL_DOCUMENT_INPUTS.get(package, ()),
                                  *TOKEN_FILE_INPUTS.get(package, ()), *(("assumeRoleWithWebIdentity",) if package == "aws" else ()))))
    for package in (*STATIC_CREDENTIAL_INPUTS, *CREDENTIAL_DOCUMENT_INPUTS)}
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


def _aws_web_identity(resource: Resource):
    """assumeRoleWithWebIdentity's literal `webIdentityToken` (a bearer token committed with the change) and its
    `webIdentityTokenFile` outside the runner's own locations (the change's token file: cannot check)."""
    web = resource.props.get("assumeRoleWithWebIdentity")
    if is_unknown(web):
        yield Unknown("assumeRoleWithWebIdentity")
        return
    if isinstance(web, str) and web.strip().startswith("{"):
        try:
            web = json.loads(web)
        except ValueError:
            yield Violation(f"{resource.type} {resource.name}: assumeRoleWithWebIdentity cannot be read (cannot check)")
            return
    if web in (None, ""):
        return
    if not isinstance(web, dict):
        yield Violation(f"{resource.type} {resource.name}: assumeRoleWithWebIdentity is not a mapping (cannot check)")
        return
    members = {key.replace("_", "").lower(): value for key, value in web.items() if isinstance(key, str)}
    token, token_file = members.get("webidentitytoken"), members.get("webidentitytokenfile")
    if is_unknown(token) or is_unknown(token_file):
        yield Unknown("assumeRoleWithWebIdentity.webIdentityToken" if is_unknown(token)
                      else "assumeRoleWithWebIdentity.webIdentityTokenFile")
        return
    if token not in (None, ""):
        yield Violation(f"{resource.type} {resource.name} signs in with a web identity token written into the program "
                        "or its config (assumeRoleWithWebIdentity.webIdentityToken): a bearer credential anyone who "
                        "reads the repository or the state uses; let the runner's environment supply it")
    if token_file not in (None, ""):
        problem = path_problem("aws_web_identity_token_file", "assumeRoleWithWebIdentity.webIdentityTokenFile",
                               str(token_file))
        if problem:
            yield Violation(f"{resource.type} {resource.name} signs in with a token file: {problem}; a token "
                            "committed with the change signs in as whoever issued it")


def check(resource: Resource, config):
    package = resource.type.removeprefix("pulumi:providers:")
    present = []
    for key in STATIC_CREDENTIAL_INPUTS.get(package, ()):
        value = resource.props.get(key)
        if is_unknown(value):
            yield Unknown(key)
        elif value not in (None, ""):
            present.append(key)
    for key, kind in TOKEN_FILE_INPUTS.get(package, {}).items():
        value = resource.props.get(key)
        if is_unknown(value):
            yield Unknown(key)
        elif isinstance(value, str) and value.strip():
            problem = path_problem(kind, key, value)
            if problem:
                yield Violation(f"{resource.type} {resource.name} signs in with a token file: {problem}; a token "
                                "committed with the change signs in as whoever issued it")
        elif value not in (None, ""):
            yield Violation(f"{resource.type} {resource.name}: {key} is not a path (cannot check)")
    if package == "aws":
        yield from _aws_web_identity(resource)
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
