"""Where a tool's bearer token may be sent: the tool's own resource, and nowhere else (RFC 6750 §5.2, RFC 9700 §4.10).

Every bearer tool kind has known resource URLs (`tool_resources`):
- OAuth / MCP tool: its audience URL (scheme, host, port, and the path and what is below it);
- Azure tool: the hosts of the service its token is for (`AzureTool.resource`, the token audience) and, when the
  role's scope names one resource of that service (a storage account, a key vault ...), that resource's hosts only
  (AZURE_HOSTS; public cloud, Microsoft Learn "Azure service endpoints" per service); a broader scope (resource
  group, subscription) allows any resource of the service (`*.blob.core.windows.net`);
- GCP tool: Cloud Storage (`storage.googleapis.com`, the bucket's virtual host) for a bucket tool, whose token is
  downscoped to the bucket; Google's APIs (`*.googleapis.com`) for the others, whose grant bounds the token;
- model-provider tool: the provider's API origin (`ModelProviderTool.audience`).
An AWS tool has none (its credentials sign requests, `broker.session(tool)`), so no bearer is sent for it.

A request URL is within a resource (`within`) when it has the resource's scheme, host (`*.` in a resource is one
DNS label) and effective port, no userinfo, and a path equal to the resource's or below it at a segment boundary.
The path is judged as a server would read it: a path with dot segments (`.`/`..`, also percent-encoded as `%2e`,
`%2E`, double-encoded, or followed by `;` parameters as in `..;`), empty segments (`//`), backslashes, or encoded
slashes (`%2f`, `%5c`) is refused outright (RFC 3986 §5.2.4 and §6.2.2: servers and proxies normalise these
differently, so `/tickets/%2e%2e/admin` may be `/admin` to the server): `path_problem` says why.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from agentid.runtime.oauth import origin

# Token audience -> (ARM resource type whose name is the host's first label, the service's host templates).
# `{name}` is the resource named in the tool's scope, `*` when the scope names none. Sources (Microsoft Learn):
# "Storage account overview: standard endpoints", "Azure Key Vault: vault URI", "App Configuration endpoint",
# "Service Bus / Event Hubs: namespace endpoint (NAMESPACE.servicebus.windows.net)", "Azure AI services custom
# subdomain names" (cognitiveservices, openai, services.ai), "Log Analytics query API (api.loganalytics.io)",
# "Azure Resource Manager endpoint (management.azure.com)".
AZURE_HOSTS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "https://management.azure.com": (None, ("management.azure.com",)),
    "https://storage.azure.com": ("microsoft.storage/storageaccounts", tuple(
        f"{{name}}.{service}.core.windows.net" for service in ("blob", "dfs", "queue", "table", "file"))),
    "https://vault.azure.net": ("microsoft.keyvault/vaults", ("{name}.vault.azure.net",)),
    "https://azconfig.io": ("microsoft.appconfiguration/configurationstores", ("{name}.azconfig.io",)),
    "https://servicebus.azure.net": ("microsoft.servicebus/namespaces", ("{name}.servicebus.windows.net",)),
    "https://eventhubs.azure.net": ("microsoft.eventhub/namespaces", ("{name}.servicebus.windows.net",)),
    "https://cognitiveservices.azure.com": ("microsoft.cognitiveservices/accounts", (
        "{name}.cognitiveservices.azure.com", "{name}.openai.azure.com", "{name}.services.ai.azure.com")),
    "https://api.loganalytics.io": (None, ("api.loganalytics.io",)),
}
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")


def tool_resources(grants: Any, tool: str) -> tuple[str, ...] | None:
    """The resource URLs `tool` of `grants` (an AgentGrants) may send its bearer token to; () for an AWS tool (no
    bearer); None when the agent has no such tool (the broker's own refusal then names it)."""
    if tool in grants.oauth_tools:
        return (grants.oauth_tools[tool].audience,)
    if tool in grants.azure_tools:
        return azure_resources(grants.azure_tools[tool])
    if tool in grants.gcp_tools:
        return gcp_resources(grants.gcp_tools[tool].resource)
    if tool in grants.llm_tools:
        return (grants.llm_tools[tool].audience,)
    if tool in grants.session_policies:
        return ()
    return None


def azure_resources(azure_tool: Any) -> tuple[str, ...]:
    """https://HOST for each host of the tool's service, narrowed to the resource its scope names (if any)."""
    resource_type, templates = AZURE_HOSTS.get(azure_tool.resource.rstrip("/"), (None, ()))
    name = _scope_resource_name(azure_tool.scope, resource_type) if resource_type else None
    label = name if name is not None and _LABEL.match(name) else "*"
    return tuple(f"https://{template.format(name=label)}" for template in templates)


def _scope_resource_name(scope: str, resource_type: str) -> str | None:
    """NAME when the ARM scope is (or is under) .../providers/NAMESPACE/TYPE/NAME of `resource_type`, else None."""
    namespace, kind = resource_type.split("/")
    parts = [p for p in scope.split("/") if p]
    lowered = [p.lower() for p in parts]
    for index in range(len(parts) - 3):
        if lowered[index] == "providers" and lowered[index + 1] == namespace and lowered[index + 2] == kind:
            return parts[index + 3].lower()
    return None


def gcp_resources(resource: str) -> tuple[str, ...]:
    """Cloud Storage for a bucket (//storage.googleapis.com/projects/_/buckets/B): the JSON/XML API host and the
    bucket's virtual host; Google's API hosts for any other resource."""
    bucket = re.match(r"^//storage\.googleapis\.com/projects/_/buckets/([^/]+)$", resource)
    if bucket:
        hosts = ["https://storage.googleapis.com"]
        if _LABEL.match(bucket.group(1)):
            hosts.append(f"https://{bucket.group(1)}.storage.googleapis.com")
        return tuple(hosts)
    return ("https://*.googleapis.com",)


def within(resource: str, url: str) -> bool:
    """Is `url` a request to `resource` (see the module docstring)? False for anything that cannot be parsed."""
    want, got = origin(resource), origin(str(url))
    if want is None or got is None or want[0] != got[0] or want[2] != got[2] or not _host_matches(want[1], got[1]):
        return False
    try:
        path = urllib.parse.urlsplit(str(url)).path
    except ValueError:
        return False
    if path_problem(path) is not None:
        return False
    base = urllib.parse.urlsplit(resource).path.rstrip("/")
    return not base or path == base or path.startswith(base + "/")


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        label, _, rest = host.partition(".")
        return rest == pattern[2:] and bool(_LABEL.match(label))
    return host == pattern


def path_problem(path: str) -> str | None:
    """Why a request path may mean another path to the server, or None (RFC 3986 §5.2.4 dot segments, §6.2.2
    percent-encoding normalisation). Percent-decoding is applied until nothing changes (at most 4 rounds), and
    every stage is judged, so `%252e%252e` is judged as `%2e%2e` and as `..`."""
    stage = path
    for _ in range(4):
        if "\\" in stage:
            return "a backslash (some servers read it as a slash)"
        segments = stage.split("/")
        for index, segment in enumerate(segments):
            bare = segment.split(";", 1)[0]  # `..;` is `..` with a path parameter to Tomcat-like servers
            if bare in (".", ".."):
                return f"a dot segment {segment!r}"
            if not segment and 0 < index < len(segments) - 1:
                return "an empty segment ('//')"
            if re.search(r"%(2f|5c)", segment, re.IGNORECASE):
                return "an encoded slash or backslash"
        decoded = _ENCODED.sub(lambda m: chr(int(m.group(0)[1:], 16)), stage)
        if decoded == stage:
            return None
        if re.search(r"%2e", stage, re.IGNORECASE) and re.search(r"(^|/)\.{1,2}(;[^/]*)?(/|$)", decoded):
            return "a percent-encoded dot segment"
        stage = decoded
    return "percent-encoding nested more than 4 levels"
