"""AGID-LIFE-001: credentials an agent receives live no longer than the cap (default 60 minutes).

Checked: role `maxSessionDuration` (seconds, AWS default 3600), Roles Anywhere
profile `durationSeconds` (default 3600), IoT role alias `credentialDuration` (seconds, default 3600, up to
43200: the STS credentials a device certificate gets, red9a #4; https://docs.aws.amazon.com/iot/latest/apireference/API_CreateRoleAlias.html),
Cognito app-client access and ID token validity (in `tokenValidityUnits`, hours by default; AWS default 60 min).
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation, number

ROLE = "aws:iam/role:Role"
PROFILE = "aws:rolesanywhere/profile:Profile"
ROLE_ALIAS = "aws:iot/roleAlias:RoleAlias"
_SECONDS_FIELD = {ROLE: "maxSessionDuration", PROFILE: "durationSeconds", ROLE_ALIAS: "credentialDuration"}
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _lifetimes(resource: Resource):
    """(field, seconds or an Unknown) for each lifetime the resource sets."""
    props = resource.props
    if resource.type in _SECONDS_FIELD:
        field = _SECONDS_FIELD[resource.type]
        value = props.get(field)
        if value is not None:
            yield field, Unknown(field) if is_unknown(value) else number(value)
        return
    units = props.get("tokenValidityUnits")
    if is_unknown(units):
        yield "tokenValidityUnits", Unknown("tokenValidityUnits")
        return
    units = units if isinstance(units, dict) else {}
    for field, unit_key in (("accessTokenValidity", "accessToken"), ("idTokenValidity", "idToken")):
        value, unit = props.get(field), units.get(unit_key) or "hours"
        if value is None:
            continue
        if is_unknown(value) or is_unknown(unit):
            yield field, Unknown(field if is_unknown(value) else f"tokenValidityUnits.{unit_key}")
            continue
        amount = number(value)
        scale = _UNIT_SECONDS.get(unit) if isinstance(unit, str) else None
        yield field, None if amount is None or scale is None else amount * scale


def check(resource: Resource, config):
    cap_minutes = float(config["maxLifetimeMinutes"])
    for field, seconds in _lifetimes(resource):
        if isinstance(seconds, Unknown):
            yield seconds
        elif seconds is None:
            yield Violation(f"{resource.name}: {field} is not a number of a known unit, so its lifetime cannot be "
                            "judged")
        elif seconds > cap_minutes * 60:
            yield Violation(f"{resource.name}: {field} allows credentials for {seconds / 60:g} minutes, above the "
                            f"{cap_minutes:g}-minute cap")


RULE = Rule(
    id="AGID-LIFE-001",
    title="credential-lifetime-cap",
    severity="medium",
    category="lifetime",
    description="Role sessions, Roles Anywhere and IoT credential-provider sessions and OAuth tokens live at most "
                "maxLifetimeMinutes (default 60).",
    remediation="Lower maxSessionDuration / durationSeconds / credentialDuration / accessTokenValidity to the cap; "
                "agents refresh "
                "credentials instead of holding long ones.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html#id_roles_update-session-duration",
    check=check,
    resource_types=(ROLE, PROFILE, ROLE_ALIAS, CLIENT),
    config={"maxLifetimeMinutes": 60},
    config_strictness={"maxLifetimeMinutes": "lower"},  # a shorter cap is stricter
    config_schema={"maxLifetimeMinutes": {"type": "number", "minimum": 15, "default": 60,
                                          "description": "Longest credential lifetime allowed, in minutes."}},
)
