"""AGID-AWS-041: no artifact is shared with every AWS account.

Four permission resources share one artifact and can name everyone instead of an account:
  - `lambda.LayerVersionPermission` with principal `*` and no `organizationId`: every AWS account may
    read the layer's code and configuration (lambda:GetLayerVersion), secrets baked into it included
    (https://docs.aws.amazon.com/lambda/latest/api/API_AddLayerVersionPermission.html: "specify * to grant
    permission to all accounts ... use OrganizationId to restrict to one organization");
  - `ec2.AmiLaunchPermission` with group `all`: the image is public, any account may launch (and copy) it
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html);
  - `cloudwatch.EventPermission` with principal `*` and no condition: any account may put events on the
    bus, so its rules run their targets (with the targets' roles) on a stranger's input
    (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html; a condition on
    aws:PrincipalOrgID keeps it inside the organization).
  - `ec2.VpcEndpointServiceAllowedPrinciple` principalArn `*` / `ec2.VpcEndpointService` allowedPrincipals holding
    `*`: every AWS account may create an interface endpoint to the service and reach whatever sits behind its load
    balancer (https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html, red9a #14).
An account id, an organization or a computed value (another resource's output) is not everyone; but an organization
(a layer's `organizationId`, an event bus condition's aws:PrincipalOrgID value, an AMI's `organizationArn` /
`organizationalUnitArn`) is the pull request's word: it counts only for one the gate lists (`ownOrganizationIds`; an
organization or OU ARN also when its management account is in `ownAccountIds`), since a stranger's organization holds
any account its owner creates (red15 r15-7). A computed one (the stack's organization's id) is not judged.
Critical (mandatory): a public artifact is public data access, as a public S3 policy is (AGID-AWS-030).
"""

from __future__ import annotations

from collections.abc import Mapping

from agentid_policy_packs.analysis.values import is_unknown

from agentid_policy_packs.analysis.aws_accounts import organization_id
from agentid_policy_packs.analysis.aws_trust import OwnIds

from .base import Resource, Rule, Unknown, Violation
from .own_accounts import other_ou_problem
from .trust_policy import OWN_ACCOUNTS_SCHEMA, OWN_IDS_SCHEMA

LAYER_PERMISSION = "aws:lambda/layerVersionPermission:LayerVersionPermission"
AMI_LAUNCH_PERMISSION = "aws:ec2/amiLaunchPermission:AmiLaunchPermission"
EVENT_PERMISSION = "aws:cloudwatch/eventPermission:EventPermission"
ENDPOINT_SERVICE_PRINCIPAL = "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple"
ENDPOINT_SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"


def _set(value) -> bool:
    return value is not None and value != ""


def _principal(resource: Resource):
    principal = resource.props.get("principal")
    if is_unknown(principal):
        return None, Unknown("principal")
    if not isinstance(principal, str):
        return None, Violation(f"{resource.name}: principal is {type(principal).__name__}, not an account id or "
                               '"*", so who it is shared with cannot be judged')
    return principal.strip(), None


def _org_problem(value, config) -> str | None:
    """Why an organization id, organization ARN or OU ARN is not known own; None when it is, or is not literal."""
    if not isinstance(value, str) or is_unknown(value) or not value.strip():
        return None
    value = value.strip()
    if problem := other_ou_problem(value, config):
        return problem
    org = organization_id(value)
    if org is not None:
        account = value.split(":")[4]
        if account in (config.get("ownAccountIds") or ()):
            return None
        value = org
    problem = OwnIds.from_config(config).problem("aws:principalorgid", value)
    return problem


def _layer(resource: Resource, config):
    principal, problem = _principal(resource)
    if problem:
        yield problem
    elif principal == "*" and (org_problem := _org_problem(resource.props.get("organizationId"), config)):
        yield Violation(f"layer permission {resource.name} shares its layer with every account of organization "
                        f"{str(resource.props.get('organizationId')).strip()}: {org_problem}")
    elif principal == "*" and not _set(resource.props.get("organizationId")):
        layer = resource.props.get("layerName")
        version = resource.props.get("versionNumber")
        what = f"{layer} version {version:g}" if isinstance(layer, str) and isinstance(version, (int, float)) \
            else "its layer"
        yield Violation(f"layer permission {resource.name} shares {what} with every AWS account (principal \"*\", no "
                        "organizationId): anyone can download its code")


def _ami(resource: Resource, config):
    for field in ("organizationArn", "organizationalUnitArn"):
        if org_problem := _org_problem(resource.props.get(field), config):
            yield Violation(f"launch permission {resource.name} shares image {resource.props.get('imageId', '?')} "
                            f"with every account of {field} {resource.props[field].strip()}: {org_problem}")
    group = resource.props.get("group")
    if is_unknown(group):
        yield Unknown("group")
    elif group == "all":
        yield Violation(f"launch permission {resource.name} makes image {resource.props.get('imageId', '?')} public "
                        "(group \"all\"): every AWS account can launch and copy it, with whatever it holds")


def _event_bus(resource: Resource, config):
    principal, problem = _principal(resource)
    if problem:
        yield problem
        return
    if principal != "*":
        return
    condition = resource.props.get("condition")
    if is_unknown(condition):
        yield Unknown("condition")
    elif (isinstance(condition, Mapping) and str(condition.get("key", "")).lower() == "aws:principalorgid"
          and (org_problem := _org_problem(condition.get("value"), config))):
        bus = resource.props.get("eventBusName") or "default"
        yield Violation(f"event bus permission {resource.name} lets every account of organization "
                        f"{str(condition.get('value')).strip()} put events on bus {bus}: {org_problem}")
    elif not isinstance(condition, Mapping) or not _set(condition.get("value")):
        bus = resource.props.get("eventBusName") or "default"
        yield Violation(f"event bus permission {resource.name} lets every AWS account put events on bus {bus} "
                        "(principal \"*\", no condition): its rules run their targets on a stranger's input")


def _endpoint_service(resource: Resource, config):
    field = "principalArn" if resource.type == ENDPOINT_SERVICE_PRINCIPAL else "allowedPrincipals"
    value = resource.props.get(field)
    values = value if isinstance(value, list) else [value]
    if any(is_unknown(item) for item in values):
        yield Unknown(field)
    elif any(isinstance(item, str) and item.strip() == "*" for item in values):
        yield Violation(f"{resource.name} lets every AWS account connect to endpoint service "
                        f"{resource.props.get('vpcEndpointServiceId', resource.name)} ({field} \"*\"): anyone can "
                        "create an interface endpoint to it from their own VPC")


def check(resource: Resource, config):
    judge = {LAYER_PERMISSION: _layer, AMI_LAUNCH_PERMISSION: _ami, EVENT_PERMISSION: _event_bus,
             ENDPOINT_SERVICE_PRINCIPAL: _endpoint_service, ENDPOINT_SERVICE: _endpoint_service}[resource.type]
    yield from judge(resource, config)


RULE = Rule(
    id="AGID-AWS-041",
    title="aws-no-public-sharing",
    severity="critical",
    category="public-access",
    description='Lambda layers, AMIs, event buses and VPC endpoint services are not shared with every AWS account '
                '(principal "*" without an organization, launch group "all").',
    remediation="Share with named account ids, or with your organization (organizationId on layer permissions, "
                "organizationArn on AMI launch permissions, an aws:PrincipalOrgID condition on event bus permissions).",
    url="https://docs.aws.amazon.com/lambda/latest/api/API_AddLayerVersionPermission.html",
    check=check,
    resource_types=(LAYER_PERMISSION, AMI_LAUNCH_PERMISSION, EVENT_PERMISSION, ENDPOINT_SERVICE_PRINCIPAL,
                    ENDPOINT_SERVICE),
    config={"ownAccountIds": [], "ownOrganizationIds": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={"ownAccountIds": "subset", "ownOrganizationIds": "subset"},
)
