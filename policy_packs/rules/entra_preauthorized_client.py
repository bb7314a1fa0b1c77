"""AGID-AZ-063 (stack): an API pre-authorizes only client applications the stack defines.

`azuread.ApplicationPreAuthorized` lists a client application (`authorizedClientId`, its client id) that gets the
API application's delegated scopes (`permissionIds`) WITHOUT users or an administrator ever consenting: Entra issues
the client tokens for the API on behalf of every user who signs in to it. Pre-authorizing a client this stack does
not define (a multi-tenant application of another tenant, an existing app whose owners and credentials nobody here
reviewed) hands users' delegated access to an app the pack cannot judge, and skips the consent prompt that would
have shown it; it is the per-API twin of an admin consent grant (AGID-AZ-055 judges those for first-party apps).
A client is the stack's when `authorizedClientId` equals the client id of an `azuread.Application` /
`ApplicationRegistration` of the stack as far as it is known (after deployment, or the id the gate's mocks give it),
or, unknown at preview, when iam_links.output_sources proves it is such an application's clientId Output. A literal
client id of an existing application with `depends_on` a stack application is the existing one (red12 #7).

Known client applications are judged the same way (red14 r14-7): an application's `api.knownClientApplications`, or
an `azuread.ApplicationKnownClients` resource's `knownClientIds`, bundles consent: a user or administrator consenting
to the client consents to this API's scopes too, so a client the stack does not define gets them on the strength of
a consent prompt that never names this API.
Source: https://learn.microsoft.com/en-us/entra/identity-platform/reference-microsoft-graph-app-manifest#knownclientapplications-attribute
Source: https://learn.microsoft.com/en-us/entra/identity-platform/reference-microsoft-graph-app-manifest#preauthorizedapplications-attribute,
https://learn.microsoft.com/en-us/entra/identity-platform/consent-framework
"""

from __future__ import annotations

from collections.abc import Iterator

from agentid_policy_packs.analysis.entra import canonical_id
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import known_state, output_sources

PRE_AUTHORIZED = "azuread:index/applicationPreAuthorized:ApplicationPreAuthorized"
KNOWN_CLIENTS = "azuread:index/applicationKnownClients:ApplicationKnownClients"
APPLICATIONS = ("azuread:index/application:Application", "azuread:index/applicationRegistration:ApplicationRegistration")


def _client_ids(applications: list[Resource]) -> set[str]:
    ids = (known_state(application).get("clientId") for application in applications)
    return {canonical_id(value) for value in ids if isinstance(value, str) and not is_unknown(value)}


def _clients(resource: Resource) -> Iterator[tuple[str, str, object, str]]:
    """(where, top-level input, client id value, what the client gets) of each client `resource` names."""
    if resource.type == PRE_AUTHORIZED:
        yield ("authorizedClientId", "authorizedClientId", resource.props.get("authorizedClientId"),
               "pre-authorizes client application {}, which this stack does not define, for the API's delegated "
               "scopes: it gets tokens for the API on behalf of every user who signs in to it, without consent, and who "
               "owns it and holds its credentials cannot be checked here")
        return
    if resource.type == KNOWN_CLIENTS:
        top, where, value = "knownClientIds", "knownClientIds", resource.props.get("knownClientIds")
    else:
        api = resource.props.get("api")
        if is_unknown(api):
            yield "api", "api", api, ""
            return
        top, where = "api", "api.knownClientApplications"
        value = api.get("knownClientApplications") if isinstance(api, dict) else None
    if value in (None, []):
        return
    if is_unknown(value) or not isinstance(value, list):
        yield where, top, value, ""
        return
    for index, client in enumerate(value):
        yield (f"{where}[{index}]", top, client,
               "names client application {} as a known client (bundled consent), which this stack does not define: "
               "consenting to it consents to this API's scopes too, on a prompt that never names this API, and who "
               f"owns it and holds its credentials cannot be checked here ({where}[{index}])")


def check(resources: list[Resource], config):
    applications = [resource for resource in resources if resource.type in APPLICATIONS]
    own = _client_ids(applications)
    holders = (PRE_AUTHORIZED, KNOWN_CLIENTS, APPLICATIONS[0])
    for resource in (r for r in resources if r.type in holders):
        for where, top, client, what in _clients(resource):
            if is_unknown(client):
                if output_sources(resource, applications, ("clientId",), input=top) is None:
                    yield Unknown(f"{resource.name}.{where}", resource.urn)
                continue
            if not isinstance(client, str):
                yield Violation(f"{resource.name}: cannot check: {where} is not a client id", resource.urn)
                continue
            if canonical_id(client) in own:
                continue
            yield Violation(f"{resource.name} {what.format(repr(client.strip()[:64]))}", resource.urn)


RULE = Rule(
    id="AGID-AZ-063",
    title="entra-preauthorized-client-own",
    severity="high",
    # mandatory: consent-free delegated access for an application nobody here reviewed; a reviewed partner client
    # passes with a waiver that names it
    enforcement="mandatory",
    category="weak-trust",
    description="An Entra API pre-authorizes (consent-free delegated scopes) or lists as known clients (bundled "
                "consent) only client applications the same stack defines.",
    remediation="Define the client application in this stack and pass its client_id Output, or let users / an "
                "administrator consent to an outside client through the normal consent flow; a reviewed partner "
                "client needs a waiver.",
    url="https://learn.microsoft.com/en-us/entra/identity-platform/consent-framework",
    check=check,
    stack=True,
    reads=(PRE_AUTHORIZED, KNOWN_CLIENTS, *APPLICATIONS),
)
