"""AGID-AWS-059: an IoT policy lets a certificate assume one named role alias, not any.

The AWS IoT Core credential provider turns a device's X.509 certificate into STS credentials of the role behind a
role alias (`iot:AssumeRoleWithCertificate`, https://docs.aws.amazon.com/iot/latest/developerguide/authorizing-direct-aws.html),
for up to 12 hours (the alias's credentialDuration, AGID-LIFE-001). The certificate is the credential, as with IAM
Roles Anywhere (AGID-AWS-031): what stands between a certificate and a role is the IoT policy attached to it. An
Allow of iot:AssumeRoleWithCertificate (or `iot:*`, `*`, any pattern matching it) on Resource `*` or a role-alias
pattern (`rolealias/*`) hands every certificate the policy is attached to (often every device of a fleet, or a
thing group's) the credentials of every role alias the pattern matches, including aliases made later; NotResource
and NotAction the same. red9a #4: a policy on `*` + a 12-hour alias passed. A policy that is not IAM-like JSON, or
not known at preview, cannot be judged (a violation / "cannot check"): it may be exactly that.
Fleet provisioning (red11a r24): an `iot.ProvisioningTemplate` gives every device holding its claim certificate (or
passing its pre-provisioning hook) a certificate of its own with the template's `AWS::IoT::Policy` attached, so each
PolicyDocument in the template body (a JSON string or object) is judged as an IoT policy here; a template body that
is not readable JSON cannot be judged (a violation). A policy the template only names (`PolicyName`) is judged where
it is defined. Source: https://docs.aws.amazon.com/iot/latest/developerguide/provision-template.html.
Pinned: Resource naming exact role-alias ARNs (`arn:aws:iot:REGION:ACCOUNT:rolealias/NAME`; an IoT policy variable
such as `${iot:Connection.Thing.ThingName}` in the name is one alias per thing, not a wildcard).
"""

from __future__ import annotations

import json
import re

from agentid_policy_packs.analysis import IDENTITY, PolicyParseError, parse_policy
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

IOT_POLICY = "aws:iot/policy:Policy"
PROVISIONING_TEMPLATE = "aws:iot/provisioningTemplate:ProvisioningTemplate"
MAX_TEMPLATE_CHARS = 10_240  # AWS IoT quota: a provisioning template body is at most 10 KB
ACTION = "iot:AssumeRoleWithCertificate"
# an exact role alias: arn:PARTITION:iot:REGION:ACCOUNT:rolealias/NAME, no wildcard outside policy variables ${...}
_ROLE_ALIAS = re.compile(r"^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:rolealias/[A-Za-z0-9=,@._${}:-]+$", re.IGNORECASE)


def _exact(resource_arn: str) -> bool:
    outside_variables = re.sub(r"\$\{[^}]*\}", "", resource_arn)
    return bool(_ROLE_ALIAS.match(resource_arn)) and "*" not in outside_variables and "?" not in outside_variables


def _judge(what: str, text):
    try:
        document = parse_policy(text, IDENTITY)
    except (PolicyParseError, RecursionError) as error:
        yield Violation(f"{what}: its policy cannot be read ({error}), so whether it hands certificates role "
                        "credentials cannot be judged")
        return
    for statement in document.statements:
        if not statement.allows or not statement.matches_action(ACTION):
            continue
        broad = sorted(r for r in statement.resources if statement.not_resource or not _exact(r))
        if broad:
            where = "NotResource " if statement.not_resource else ""
            yield Violation(f"{what} {statement.label} allows {ACTION} on {where}"
                            f"{', '.join(broad)}: every certificate it is attached to gets STS credentials of every "
                            "role alias that matches (every role behind one, also aliases made later); name the one "
                            "role alias ARN the devices need")


def _template_policies(resource: Resource):
    body = resource.props.get("templateBody")
    if is_unknown(body):
        yield Unknown("templateBody")
        return
    try:
        if not isinstance(body, str) or len(body) > MAX_TEMPLATE_CHARS:
            raise ValueError(f"not a JSON text of at most {MAX_TEMPLATE_CHARS} characters")
        template = json.loads(body)
        resources = template.get("Resources", {}) if isinstance(template, dict) else None
        if not isinstance(resources, dict):
            raise ValueError("no Resources object")
    except (ValueError, RecursionError) as error:
        yield Violation(f"provisioning template {resource.name}: cannot check: templateBody is not a readable "
                        f"provisioning template ({str(error)[:120]}), so the policy it gives devices cannot be judged")
        return
    for name, entry in sorted(resources.items()):
        if not isinstance(entry, dict) or entry.get("Type") != "AWS::IoT::Policy":
            continue
        properties = entry.get("Properties")
        document = properties.get("PolicyDocument") if isinstance(properties, dict) else None
        if document is None:
            continue  # PolicyName: an existing policy, judged where it is defined
        text = document if isinstance(document, str) else json.dumps(document)
        yield from _judge(f"provisioning template {resource.name} policy {name}", text)


def check(resource: Resource, config):
    if resource.type == PROVISIONING_TEMPLATE:
        yield from _template_policies(resource)
        return
    text = resource.props.get("policy")
    if text is None:
        return
    if is_unknown(text):
        yield Unknown("policy")
        return
    yield from _judge(f"IoT policy {resource.name}", text)


RULE = Rule(
    id="AGID-AWS-059",
    title="aws-iot-role-alias-pinned",
    severity="critical",
    category="weak-trust",
    description="An IoT policy (also one a fleet provisioning template gives devices) allows "
                "iot:AssumeRoleWithCertificate only on exact role-alias ARNs, not `*` or a pattern (a certificate to "
                "role credentials, like Roles Anywhere).",
    remediation='Set the statement\'s Resource to "arn:aws:iot:REGION:ACCOUNT:rolealias/NAME" of the one alias the '
                "devices need, attach the policy only to their certificates, and keep the alias's credentialDuration "
                "at the lifetime cap.",
    url="https://docs.aws.amazon.com/iot/latest/developerguide/authorizing-direct-aws.html",
    check=check,
    resource_types=(IOT_POLICY, PROVISIONING_TEMPLATE),
)
