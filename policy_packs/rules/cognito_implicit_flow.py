"""AGID-AWS-004: Cognito app clients follow OAuth 2.1: no implicit grant, and agent clients hold no long refresh token.

- The implicit grant returns tokens in the redirect URL and never authenticates the client; OAuth 2.1
  (draft-ietf-oauth-v2-1, section 10.1) and the OAuth 2.0 Security BCP (RFC 9700, 2.1.2) drop it.
- An agent client (one allowed the `client_credentials` grant, or named for an agent) must not be
  able to hold a refresh token that outlives the agent's credential cap: a refresh token is a
  credential that mints new access tokens. It can hold one when it allows the `code` grant or a
  user sign-in flow (`explicitAuthFlows` other than ALLOW_REFRESH_TOKEN_AUTH; unset means
  Cognito's defaults, which include ALLOW_USER_SRP_AUTH and ALLOW_CUSTOM_AUTH). Cognito's refresh
  token validity defaults to 30 days, in `tokenValidityUnits.refreshToken` (days by default).
Source: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-refresh-token.html
"""

import re

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation, number

CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
MANAGED_CLIENT = "aws:cognito/managedUserPoolClient:ManagedUserPoolClient"  # same inputs, for a client AWS created
_AGENT_NAME = re.compile(r"(^|[^a-z])agents?([^a-z]|$)", re.IGNORECASE)
_UNIT_MINUTES = {"seconds": 1 / 60, "minutes": 1, "hours": 60, "days": 1440}
_DEFAULT_REFRESH_DAYS = 30
_NO_SIGN_IN = {"ALLOW_REFRESH_TOKEN_AUTH"}


def _strings(resource: Resource, field: str):
    """(list of strings, outcome): the list, or an Unknown / Violation when it cannot be read."""
    value = resource.props.get(field)
    if value is None:
        return None, None
    if is_unknown(value) or (isinstance(value, list) and any(is_unknown(v) for v in value)):
        return None, Unknown(field)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, Violation(f"user pool client {resource.name}: {field} is not a list of strings, so it cannot be "
                               "judged")
    return value, None


def _is_agent(resource: Resource, flows: list[str] | None) -> bool:
    names = [n for n in (resource.props.get("name"), resource.name) if isinstance(n, str) and not is_unknown(n)]
    return "client_credentials" in (flows or []) or any(_AGENT_NAME.search(n) for n in names)


def _refresh_minutes(resource: Resource):
    """The refresh token's lifetime in minutes, an Unknown, or None when unreadable."""
    value, units = resource.props.get("refreshTokenValidity"), resource.props.get("tokenValidityUnits")
    if is_unknown(value) or is_unknown(units):
        return Unknown("refreshTokenValidity" if is_unknown(value) else "tokenValidityUnits")
    unit = (units or {}).get("refreshToken") if isinstance(units, dict) else None
    if is_unknown(unit):
        return Unknown("tokenValidityUnits.refreshToken")
    amount = _DEFAULT_REFRESH_DAYS if value is None else number(value)
    scale = _UNIT_MINUTES.get(unit or "days") if isinstance(unit or "days", str) else None
    return None if amount is None or scale is None else amount * scale


def check(resource: Resource, config):
    flows, problem = _strings(resource, "allowedOauthFlows")
    if problem:
        yield problem
    if any(f.lower() == "implicit" for f in flows or []):
        yield Violation(f"user pool client {resource.name} allows the OAuth implicit flow: tokens travel in URLs "
                        "and the client never authenticates (removed in OAuth 2.1)")
    if not _is_agent(resource, flows):
        return
    auth_flows, problem = _strings(resource, "explicitAuthFlows")
    if problem:
        yield problem
        return
    sign_in = sorted(set(auth_flows) - _NO_SIGN_IN) if auth_flows is not None else ["Cognito's default user flows"]
    if "code" in (flows or []):
        sign_in.insert(0, "the code grant")
    if not sign_in:
        return  # client credentials only: Cognito issues no refresh token
    cap = float(config["maxLifetimeMinutes"])
    minutes = _refresh_minutes(resource)
    if isinstance(minutes, Unknown):
        yield minutes
    elif minutes is None:
        yield Violation(f"user pool client {resource.name}: refreshTokenValidity is not a number of a known unit, so "
                        "the refresh token's lifetime cannot be judged")
    elif minutes > cap:
        yield Violation(f"agent client {resource.name} can hold refresh tokens (through {', '.join(sign_in)}) valid for "
                        f"{minutes / 60:g} hours, beyond the agent's {cap:g}-minute credential cap")


RULE = Rule(
    id="AGID-AWS-004",
    title="cognito-oauth21-clients",
    severity="critical",
    category="weak-trust",
    description="Cognito app clients do not allow the implicit flow, and agent clients hold no refresh token beyond "
                "the credential cap (OAuth 2.1).",
    remediation="Set allowedOauthFlows to [\"client_credentials\"] and explicitAuthFlows to "
                "[\"ALLOW_REFRESH_TOKEN_AUTH\"] for agents (or [\"code\"] with PKCE for people); otherwise lower "
                "refreshTokenValidity to the cap.",
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-app-idp-settings.html",
    check=check,
    resource_types=(CLIENT, MANAGED_CLIENT),
    config={"maxLifetimeMinutes": 60},
    config_strictness={"maxLifetimeMinutes": "lower"},  # a shorter cap is stricter
    config_schema={"maxLifetimeMinutes": {"type": "number", "minimum": 60, "default": 60,
                                          "description": "Longest refresh-token lifetime an agent client may have, "
                                                         "in minutes (Cognito's floor is 60)."}},
)
