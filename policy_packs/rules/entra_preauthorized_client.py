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
Source: https://learn.microsoft.com/en-us/entra/identity-platform/reference-microsoft-graph-app-manifest#preauthorizedapplications-attribute,
https://learn.microsoft.com/en-us/entra/identity-platform/consent-framework
"""

from __future__ import annotations

from agentid_policy_packs.analysis.entra import canonical_id
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import known_state, output_sources

PRE_AUTHORIZED = "azuread:index/applicationPreAuthorized:ApplicationPreAuthorized"
APPLICATIONS = ("azuread:index/application:Application", "azuread:index/applicationRegistration:ApplicationRegistration")


def _client_ids(applications: list[Resource]) -> set[str]:
    ids = (known_state(application).get("clientId") for application in applications)
    return {canonical_id(value) for value in ids if isinstance(value, str) and not is_unknown(value)}


def check(resources: list[Resource], config):
    applications = [resource for resource in resources if resource.type in APPLICATIONS]
    own = _client_ids(applications)
    for resource in (r for r in resources if r.type == PRE_AUTHORIZED):
        client = resource.props.get("authorizedClientId")
        if is_unknown(client):
            if output_sources(resource, applications, ("clientId",)) is None:
                yield Unknown(f"{resource.name}.authorizedClientId", resource.urn)
            continue
        if not isinstance(client, str):
            yield Violation(f"{resource.name}: cannot check: authorizedClientId is not a client id", resource.urn)
            continue
        if canonical_id(client) in own:
            continue
        yield Violation(f"{resource.name} pre-authorizes client application {client.strip()[:64]!r}, which this stack "
                        "does not define, for the API's delegated scopes: it gets tokens for the API on behalf of "
                        "every user who signs in to it, without consent, and who owns it and holds its credentials "
                        "cannot be checked here", resource.urn)


RULE = Rule(
    id="AGID-AZ-063",
    title="entra-preauthorized-client-own",
    severity="high",
    # mandatory: consent-free delegated access for an application nobody here reviewed; a reviewed partner client
    # passes with a waiver that names it
    enforcement="mandatory",
    category="weak-trust",
    description="An Entra API pre-authorizes (consent-free delegated scopes) only client applications the same stack "
                "defines.",
    remediation="Define the client application in this stack and pass its client_id Output, or let users / an "
                "administrator consent to an outside client through the normal consent flow; a reviewed partner "
                "client needs a waiver.",
    url="https://learn.microsoft.com/en-us/entra/identity-platform/consent-framework",
    check=check,
    stack=True,
    reads=(PRE_AUTHORIZED, *APPLICATIONS),
)
