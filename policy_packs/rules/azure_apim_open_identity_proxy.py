"""AGID-AZ-061 (stack): no anonymous API Management API calls Microsoft's APIs with the gateway's managed identity.

An API Management policy `<authentication-managed-identity resource="https://management.azure.com/"/>` fetches a
token of the service's managed identity and attaches it to the backend request. On an API that anyone may call
(`subscriptionRequired: false` and no `validate-jwt` / `validate-azure-ad-token` / `validate-client-certificate`
in effect), every anonymous caller acts as that identity toward the token's audience: with Resource Manager, Graph,
Key Vault, Storage, SQL, ... as backend, the API is an open proxy holding the identity's roles (red11a r28; the AWS
twin is AGID-AWS-063, a public API Gateway method calling an AWS service as a role). Audiences are data:
analysis/azure_token_audiences.yaml; a `resource` the pack cannot read (a `{{named value}}`, a policy expression) is
"cannot check".

Scopes, as API Management applies them: the service-wide `Policy`, a `WorkspacePolicy`, the `ProductPolicy` of a
product the API is linked to (`ProductApi`), the `ApiPolicy` and the `ApiOperationPolicy` of the API (workspace
twins too). An API-level policy without `<base />` in its inbound section does not inherit the outer ones. Authentication counts at service,
workspace, product or API level (an operation's protects that operation only) and only outside `<choose>` (a
condition may skip it). Policies are read as text (no XML parser: no entity expansion), comments removed, up to
256 KiB; a policy given by link (`xml-link`, `rawxml-link`) is not readable: "cannot check" when it applies to an
anonymous API.
Sources: https://learn.microsoft.com/en-us/azure/api-management/authentication-managed-identity-policy,
https://learn.microsoft.com/en-us/azure/api-management/api-management-howto-policies#scopes,
https://learn.microsoft.com/en-us/azure/api-management/api-management-subscriptions (subscriptionRequired).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from agentid_policy_packs.analysis.values import is_unknown

from .base import Outcome, Resource, Rule, Unknown, Violation

_DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "azure_token_audiences.yaml"
_PREFIX = "azure-native:apimanagement:"
APIS = (f"{_PREFIX}Api", f"{_PREFIX}WorkspaceApi")
# policy type -> its scope kind
POLICIES = {f"{_PREFIX}Policy": "service", f"{_PREFIX}WorkspacePolicy": "workspace", f"{_PREFIX}ProductPolicy": "product",
            f"{_PREFIX}WorkspaceProductPolicy": "product", f"{_PREFIX}ApiPolicy": "api", f"{_PREFIX}WorkspaceApiPolicy": "api",
            f"{_PREFIX}ApiOperationPolicy": "operation", f"{_PREFIX}WorkspaceApiOperationPolicy": "operation"}
PRODUCT_LINKS = (f"{_PREFIX}ProductApi", f"{_PREFIX}WorkspaceProductApiLink", f"{_PREFIX}ProductApiLink")
MAX_POLICY = 256 * 1024
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CHOOSE = re.compile(r"<choose\b(?:(?!<choose\b).)*?</choose\s*>", re.DOTALL | re.IGNORECASE)
_AUTH = re.compile(r"<(validate-jwt|validate-azure-ad-token|validate-client-certificate)\b", re.IGNORECASE)
_MANAGED_IDENTITY = re.compile(r"<authentication-managed-identity\b([^>]*)>", re.IGNORECASE)
_RESOURCE = re.compile(r"""\bresource\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_INBOUND = re.compile(r"<inbound\b[^>]*>(.*?)</inbound\s*>", re.DOTALL | re.IGNORECASE)
_BASE = re.compile(r"<base\s*/?>", re.IGNORECASE)


@lru_cache(maxsize=1)
def _powerful() -> tuple[re.Pattern[str], ...]:
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in data_yaml.load(_DATA_FILE)["powerful"])


def powerful_audience(resource: str) -> bool | None:
    """Whether a token for `resource` is power over Microsoft's APIs (None: an expression or named value, unreadable)."""
    text = resource.strip()
    if text.startswith("@") or "{{" in text:
        return None
    text = text.removesuffix("/.default").rstrip("/")
    return any(pattern.fullmatch(text) for pattern in _powerful())


@dataclass
class _Policy:
    resource: Resource
    kind: str
    text: str | None  # None: unreadable (link, unknown, not text)
    why: str = ""
    identities: list[str] = field(default_factory=list)  # audiences of authentication-managed-identity
    authenticates: bool = False
    inherits: bool = True


def _read(resource: Resource, kind: str) -> _Policy:
    value, form = resource.props.get("value"), resource.props.get("format")
    if is_unknown(value) or is_unknown(form):
        return _Policy(resource, kind, None, "its value is computed during preview")
    if isinstance(form, str) and form.lower().endswith("-link"):
        return _Policy(resource, kind, None, f"it is loaded from a link ({form})")
    if not isinstance(value, str):
        return _Policy(resource, kind, None, "its value is not text")
    text = _COMMENT.sub("", value[:MAX_POLICY])
    unconditional = text
    for _ in range(16):  # nested <choose>: innermost first
        reduced = _CHOOSE.sub("", unconditional)
        if reduced == unconditional:
            break
        unconditional = reduced
    identities = []
    for attributes in _MANAGED_IDENTITY.findall(text):
        match = _RESOURCE.search(attributes)
        identities.append((match[1] if match[1] is not None else match[2]) if match else "")
    return _Policy(resource, kind, text, identities=identities, authenticates=bool(_AUTH.search(unconditional)),
                   inherits=bool((inbound := _INBOUND.search(text)) and _BASE.search(inbound[1])))


def _low(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and not is_unknown(value) else None


def _api_key(resource: Resource) -> tuple:
    props = resource.props
    return (_low(props.get("serviceName")), _low(props.get("workspaceId")), _low(props.get("apiId")) or resource.name.lower())


def _judge_api(api: Resource, policies: list[_Policy], products: dict[tuple, set[str]]) -> Iterator[Outcome]:
    required = api.props.get("subscriptionRequired")
    if is_unknown(required):
        yield Unknown(f"{api.name}.subscriptionRequired", api.urn)
        return
    if required is not False:  # omitted: API Management requires a subscription key
        return
    service, workspace, api_id = _api_key(api)
    linked = products.get((service, workspace, api_id), set())
    applying = []
    for policy in policies:
        props = policy.resource.props
        if _low(props.get("serviceName")) != service:
            continue
        if policy.kind == "workspace" and _low(props.get("workspaceId")) != workspace:
            continue
        if policy.kind == "product" and _low(props.get("productId")) not in linked:
            continue
        if policy.kind in ("api", "operation") and (_low(props.get("apiId")) != api_id
                                                     or _low(props.get("workspaceId")) != workspace):
            continue
        applying.append(policy)
    api_level = [policy for policy in applying if policy.kind == "api"]
    if any(policy.text is not None and not policy.inherits for policy in api_level):
        applying = [policy for policy in applying if policy.kind in ("api", "operation")]
    if any(policy.authenticates for policy in applying if policy.kind != "operation"):
        return
    for policy in applying:
        if policy.text is None:
            yield Violation(f"{policy.resource.name} applies to API {api.name}, which anyone may call "
                            f"(subscriptionRequired false), but {policy.why}: cannot check whether it hands callers "
                            "the gateway's managed identity", policy.resource.urn)
            continue
        for audience in policy.identities:
            power = powerful_audience(audience)
            if power is None:
                yield Violation(f"{policy.resource.name} attaches a managed-identity token for {audience[:120]!r} (a "
                                f"named value or expression: cannot check) to every call of API {api.name}, which "
                                "anyone may call (subscriptionRequired false, no validate-jwt)", policy.resource.urn)
            elif power:
                yield Violation(f"{policy.resource.name} attaches the API Management managed identity's token for "
                                f"{audience[:120]} to every call of API {api.name}, which anyone may call "
                                "(subscriptionRequired false, no validate-jwt / validate-azure-ad-token): an open "
                                "proxy acting as that identity", policy.resource.urn)


def check(resources: list[Resource], config):
    policies = [_read(resource, POLICIES[resource.type]) for resource in resources if resource.type in POLICIES]
    if not any(policy.text is None or policy.identities for policy in policies):
        return
    products: dict[tuple, set[str]] = {}
    for link in resources:
        if link.type in PRODUCT_LINKS:
            props = link.props
            api_id = _low(props.get("apiId"))
            if api_id and "/" in api_id:  # ProductApiLink takes the API's resource id
                api_id = api_id.rstrip("/").rsplit("/", 1)[-1]
            key = (_low(props.get("serviceName")), _low(props.get("workspaceId")), api_id)
            products.setdefault(key, set()).add(_low(props.get("productId")))
    for api in resources:
        if api.type in APIS:
            yield from _judge_api(api, policies, products)


RULE = Rule(
    id="AGID-AZ-061",
    title="azure-apim-open-identity-proxy",
    severity="critical",
    category="escalation",
    description="No API Management API that anyone may call (no subscription key, no validate-jwt) attaches the "
                "gateway's managed-identity token for Resource Manager, Graph, Key Vault, Storage or another Microsoft "
                "API to its calls.",
    remediation="Require a subscription key and validate callers' tokens (validate-azure-ad-token / validate-jwt) at "
                "the API or product, or call only your own backend's audience with the managed identity.",
    url="https://learn.microsoft.com/en-us/azure/api-management/authentication-managed-identity-policy",
    check=check,
    stack=True,
    reads=APIS + tuple(POLICIES) + PRODUCT_LINKS,
)
