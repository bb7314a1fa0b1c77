"""AGID-AWS-035: no Cognito identity pool hands AWS credentials to unauthenticated identities.

`allowUnauthenticatedIdentities: true` gives anyone who asks a Cognito identity, and with an
`unauthenticated` role in the pool's `IdentityPoolRoleAttachment`, temporary AWS credentials of
that role: no sign-in, no agent identity. Source:
https://docs.aws.amazon.com/cognito/latest/developerguide/identity-pools.html#unauthenticated-identities
"""

from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

POOL = "aws:cognito/identityPool:IdentityPool"
ROLE_ATTACHMENT = "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment"


def _pool(resource: Resource):
    value = resource.props.get("allowUnauthenticatedIdentities")
    if is_unknown(value):
        yield Unknown("allowUnauthenticatedIdentities")
    elif value is True or (isinstance(value, str) and value.lower() == "true"):
        yield Violation(f"identity pool {resource.name} allows unauthenticated identities: anyone can obtain an "
                        "identity (and the credentials of its unauthenticated role) without signing in")
    elif value not in (None, False) and not (isinstance(value, str) and value.lower() == "false"):
        yield Violation(f"identity pool {resource.name}: allowUnauthenticatedIdentities is {value!r}, not a "
                        "boolean, so whether anonymous identities are allowed cannot be judged")


def _role_attachment(resource: Resource):
    roles = resource.props.get("roles")
    if is_unknown(roles):
        yield Unknown("roles")
    elif roles is None:
        return
    elif not isinstance(roles, Mapping):
        yield Violation(f"identity pool role attachment {resource.name}: roles is {type(roles).__name__}, not a map "
                        "of authenticated/unauthenticated role ARNs, so it cannot be judged")
    elif roles.get("unauthenticated") not in (None, ""):
        role = roles["unauthenticated"]
        which = "a role computed at deployment" if is_unknown(role) else f"role {role}"
        yield Violation(f"identity pool role attachment {resource.name} gives unauthenticated identities {which}: "
                        "AWS credentials for anyone who asks")


def check(resource: Resource, config):
    yield from (_pool if resource.type == POOL else _role_attachment)(resource)


RULE = Rule(
    id="AGID-AWS-035",
    title="cognito-no-unauthenticated-identities",
    severity="critical",
    category="public-access",
    description="Cognito identity pools do not allow unauthenticated identities or attach an unauthenticated role.",
    remediation="Set allowUnauthenticatedIdentities: false and drop the unauthenticated role; agents assume their "
                "own IAM role through OIDC instead.",
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/identity-pools.html",
    check=check,
    resource_types=(POOL, ROLE_ATTACHMENT),
)
