"""AGID-AWS-071: an AgentCore gateway target gets a credential of its own, sent only to an https URL on a named host.

A gateway target is one hop of an agent's task: the gateway calls the target (an MCP server, an HTTP endpoint, an
inference provider) on the agent's behalf with the credential its `credentialProviderConfiguration` names.
* `jwtPassthrough` forwards the caller's inbound token (issued for the gateway: its audience is the gateway) to the
  target. That is token passthrough, which the MCP authorization specification forbids (Security Best Practices,
  "Token Passthrough": a server must not accept, and a client must not forward, a token not issued for the
  server it calls): the target cannot tell which audience the token was for, any service that accepts it can
  replay it to every other service of the same issuer, and the hop is not traceable to its own credential.
  Give the target its own: an OAuth credential provider (a token for the target's audience, RFC 8707), an API
  key provider, or the gateway's IAM role.
* `callerIamCredentials` (credentialProviderType CALLER_IAM_CREDENTIALS, issue 11): the gateway authenticates to the
  target with the CALLER's IAM credentials (SigV4 for the block's `service` and `region`), not with a credential of
  the hop: the target is reached as whoever called the gateway, with every permission that principal holds, and the
  gateway holds that identity for the call. That is token passthrough in IAM form (the MCP rule above: a credential
  not issued for this hop) and an inherited identity (AGID-AWS-057's class: what the call may do is whatever the
  caller may do, which the stack cannot judge). The gateway's own role (`gatewayIamRole`, its policies judged with the
  stack's roles), an OAuth provider for the target's audience or an API key provider are the hop's own credentials.
  Sources: https://docs.aws.amazon.com/bedrock-agentcore-control/latest/APIReference/API_CredentialProviderConfiguration.html
  (CALLER_IAM_CREDENTIALS), https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-building-adding-targets-authorization.html
  ("Caller IAM credentials authorization").
* The endpoints a target sends requests (and with them its credential) to — `mcp.mcpServer.endpoint`,
  `http.passthrough.endpoint`, `inference.provider.endpoint` — must be https URLs on one named host, read as
  components/https_url reads any URL a credential goes to (no http, wildcard, userinfo, backslash, loopback or
  instance-metadata address, no IP address at all, one meaning to every parser); a query string is allowed. `http://tools.internal`
  sends the credential in clear; `https://169.254.169.254/` or `https://user@evil.example` sends it elsewhere than
  a reviewer reads.
* A target built from an OpenAPI definition (`mcp.openApiSchema`) calls the definition's servers: every URL of
  `servers` (document, path item, operation; each server variable at its default and at every enum value) or, in
  Swagger 2.0, every `schemes` entry on `host` + `basePath`, judged as the endpoints above
  (analysis/openapi_servers.py). A definition that does not parse, or names no URL (no servers, an undeclared
  variable, no scheme or host), cannot be checked; one read from S3 (`s3.uri`) is not in the stack and cannot be
  checked either.
* A target built from a Smithy model (`mcp.smithyModel`) calls the endpoints of the model's endpoint rule set
  (analysis/smithy_endpoints.py): each URL is judged the same way with the Region and AWS partition suffix filled
  in; a URL whose scheme or host comes from any other value (a host parameter an operation's input may set, which
  AgentCore's own guidance warns against) cannot be checked, nor can a model read from S3. An empty `smithyModel`
  (the built-in DynamoDB model) names no endpoint.
* Forwarding the caller's credential header is the same passthrough (red15 r15-9): an agent runtime whose
  `requestHeaderConfiguration.requestHeaderAllowlists`, or a gateway target whose
  `metadataConfiguration.allowedRequestHeaders`, lists `Authorization` (any case; also `Proxy-Authorization`,
  `Cookie`) hands the caller's inbound token to the agent's code or the target, which can replay it wherever it is
  accepted. Which headers carry credentials and where each type lists the headers it forwards is data
  (analysis/credential_headers.yaml); a list unknown at preview cannot be checked. Have the agent obtain its own
  token for the next hop (AgentCore Identity's OAuth credential providers, token exchange), and read the caller's
  identity from the claims the runtime validated.
Sources: https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices#token-passthrough,
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-outbound-auth.html,
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-header-allowlist.html
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml, https_url
from agentid_policy_packs.analysis.openapi_servers import load, server_urls
from agentid_policy_packs.analysis.smithy_endpoints import endpoint_urls
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

GATEWAY_TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget"
RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
HEADERS = Path(__file__).resolve().parent.parent / "analysis" / "credential_headers.yaml"
CREDENTIALS = "credentialProviderConfiguration"
TARGET = "targetConfiguration"
# where a target's endpoint URL sits under targetConfiguration (pulumi-aws 7.51 AgentcoreGatewayTarget inputs)
ENDPOINTS = (("mcp", "mcpServer", "endpoint"), ("http", "passthrough", "endpoint"), ("inference", "provider", "endpoint"))
# where a definition naming the URLs the target calls sits under targetConfiguration ({inlinePayload: {payload}} or
# {s3: {uri}}), what it is and how its URLs are read
SCHEMAS = (
    (("mcp", "openApiSchema"), "OpenAPI definition", lambda text: server_urls(load(text)),
     "write an OpenAPI 3 definition whose servers name the target's https URL"),
    (("mcp", "smithyModel"), "Smithy model", endpoint_urls,
     "fix the endpoint rule set's URLs to the target's https URL (only Region and partition values may vary)"),
)


def endpoint_problem(url: str) -> str | None:
    """Why `url` is not an https URL on one named host (its query aside), None when it is."""
    text = url.strip()
    if "#" in text:
        return "has a fragment"
    base = text.split("?", 1)[0]
    if problem := https_url.problem(base):
        return problem
    host = urllib.parse.urlsplit(base).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return (f"names the IP address {host}, not a host name (a private address reaches into the gateway's network, "
            "a public one whoever holds it next)")


def _set(value) -> bool:
    """Whether a block is present: an empty block (`jwt_passthrough={}`) is set, an absent or empty list is not."""
    return value is not None and value != []


def _block(value):
    """A block as the engine sends it: an object, or (older bridged shapes) a list holding one object."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _credential_outcomes(resource: Resource):
    credentials = _block(resource.props.get(CREDENTIALS))
    if is_unknown(credentials):
        yield Unknown(CREDENTIALS)
        return
    if credentials is None:
        return
    if not isinstance(credentials, dict):
        yield Violation(f"{resource.name}: cannot check: {CREDENTIALS} is not an object")
        return
    passthrough = credentials.get("jwtPassthrough")
    if is_unknown(passthrough):
        yield Unknown(f"{CREDENTIALS}.jwtPassthrough")
    elif _set(passthrough):
        yield Violation(f"gateway target {resource.name} forwards the caller's token to its target "
                        f"({CREDENTIALS}.jwtPassthrough): a token issued for the gateway reaches another service "
                        "(token passthrough, forbidden by the MCP authorization specification); give the target a "
                        "credential of its own (an OAuth credential provider for its audience, an API key provider "
                        "or the gateway's IAM role)")
    caller = credentials.get("callerIamCredentials")
    if is_unknown(caller):
        yield Unknown(f"{CREDENTIALS}.callerIamCredentials")
    elif _set(caller):
        service = caller.get("service") if isinstance(caller, dict) else None
        signed = f" (SigV4 for {service!r})" if isinstance(service, str) and not is_unknown(service) else ""
        yield Violation(f"gateway target {resource.name} calls its target with the caller's IAM credentials{signed} "
                        f"({CREDENTIALS}.callerIamCredentials): the target is reached as whoever called the gateway, "
                        "with every permission that principal holds, not with a credential of this hop (token "
                        "passthrough in IAM form); use the gateway's IAM role (gatewayIamRole, its policies judged), an "
                        "OAuth credential provider for the target's audience or an API key provider")


def _endpoint_outcomes(resource: Resource):
    target = _block(resource.props.get(TARGET))
    if is_unknown(target):
        yield Unknown(TARGET)
        return
    if target is None:
        return
    if not isinstance(target, dict):
        yield Violation(f"{resource.name}: cannot check: {TARGET} is not an object")
        return
    for path in ENDPOINTS:
        value, walked = target, [TARGET]
        for key in path:
            if not isinstance(value, dict):
                value = None
                break
            value = _block(value.get(key))
            walked.append(key)
            if is_unknown(value):
                break
        where = ".".join(walked)
        if value is None:
            continue
        if is_unknown(value):
            yield Unknown(where)
        elif not isinstance(value, str):
            yield Violation(f"{resource.name}: cannot check: {where} is not a URL")
        elif problem := endpoint_problem(value):
            yield Violation(f"gateway target {resource.name} sends its requests and credential to {value[:200]!r} "
                            f"({where}), which {problem}: name the target's exact https URL")


def _walk(target: dict, path: tuple[str, ...]):
    """(value, dotted path walked) at `path` under targetConfiguration: None when a level is absent, the unknown
    sentinel where an unknown level stops the walk."""
    value, walked = target, [TARGET]
    for key in path:
        if not isinstance(value, dict):
            return None, ".".join(walked)
        value = _block(value.get(key))
        walked.append(key)
        if is_unknown(value):
            break
    return value, ".".join(walked)


def _schema_outcomes(resource: Resource):
    target = _block(resource.props.get(TARGET))
    if not isinstance(target, dict):
        return  # unknown or not an object: _endpoint_outcomes reports it
    for path, kind, read_urls, fix in SCHEMAS:
        schema, where = _walk(target, path)
        if schema is None:
            continue
        if is_unknown(schema):
            yield Unknown(where)
            continue
        if not isinstance(schema, dict):
            yield Violation(f"{resource.name}: cannot check: {where} is not an object")
            continue
        inline, s3 = _block(schema.get("inlinePayload")), _block(schema.get("s3"))
        if _set(s3):
            yield Violation(f"gateway target {resource.name}: cannot check: the {kind} naming the URLs the target "
                            f"calls is read from S3 ({where}.s3) at deployment, not from the stack; inline it "
                            f"({where}.inlinePayload) so the URLs its credential goes to can be judged")
        if not _set(inline):
            continue
        payload = inline.get("payload") if isinstance(inline, dict) else inline
        if is_unknown(inline) or is_unknown(payload):
            yield Unknown(f"{where}.inlinePayload.payload")
            continue
        if not isinstance(payload, str):
            yield Violation(f"gateway target {resource.name}: cannot check: {where}.inlinePayload.payload is not "
                            "a string")
            continue
        try:
            urls = read_urls(payload)
        except ValueError as error:
            yield Violation(f"gateway target {resource.name}: cannot check: the {kind} in "
                            f"{where}.inlinePayload.payload names no URL that can be judged ({error}): {fix}")
            continue
        for url, inside in urls:
            if problem := endpoint_problem(url):
                yield Violation(f"gateway target {resource.name} sends its requests and credential to {url[:200]!r} "
                                f"({where}.inlinePayload.payload {inside}), which {problem}: name the target's "
                                "exact https URL")


@lru_cache(maxsize=1)
def _headers() -> tuple[frozenset[str], dict]:
    data = data_yaml.load(HEADERS)
    return frozenset(h["name"].lower() for h in data["headers"]), dict(data["forwarders"])


def _header_outcomes(resource: Resource):
    """The caller's credential header forwarded to the code or target behind the resource (token passthrough)."""
    names, forwarders = _headers()
    forwarder = forwarders.get(resource.type)
    if forwarder is None:
        return
    value, where = resource.props, []
    for key in forwarder["path"].split("."):
        value = value.get(key) if isinstance(value, dict) else None
        where.append(key)
        if is_unknown(value) or value is None:
            break
    path = ".".join(where)
    if value is None:
        return
    if is_unknown(value) or (isinstance(value, list) and any(is_unknown(v) for v in value)):
        yield Unknown(path)
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        yield Violation(f"{resource.name}: cannot check: {path} is not a list of header names")
        return
    forwarded = [v for v in value if v.strip().lower() in names]
    if forwarded:
        yield Violation(f"{resource.name} forwards the caller's {', '.join(repr(v[:100]) for v in forwarded)} header "
                        f"to {forwarder['to']} ({path}): token passthrough, the caller's credential handed on to a "
                        "hop it was not issued for, which can replay it wherever it is accepted; obtain the hop's own "
                        "token (an OAuth credential provider, token exchange) and read the caller from the validated "
                        "claims")


def check(resource: Resource, config):
    yield from _header_outcomes(resource)
    if resource.type != GATEWAY_TARGET:
        return
    yield from _credential_outcomes(resource)
    yield from _endpoint_outcomes(resource)
    yield from _schema_outcomes(resource)


RULE = Rule(
    id="AGID-AWS-071",
    title="agentcore-gateway-target-own-credential",
    severity="critical",
    category="weak-trust",
    description="AgentCore gateway targets and runtimes never forward the caller's token or identity (JWT passthrough, "
                "the caller's IAM credentials, an allow-listed Authorization header) and targets send their own credential only to an https URL on a named host (an endpoint, or every server of an inline OpenAPI "
                "definition).",
    remediation="Configure an OAuth credential provider (a token for the target's audience), an API key provider or "
                "the gateway's IAM role instead of jwtPassthrough, callerIamCredentials or a forwarded Authorization header, and name the target's exact https endpoint (inline "
                "the OpenAPI definition, its servers https URLs on named hosts).",
    url="https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices#token-passthrough",
    check=check,
    resource_types=(GATEWAY_TARGET, RUNTIME),
)
