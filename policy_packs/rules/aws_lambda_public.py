"""AGID-AWS-034: no Lambda function is invocable by anyone.

Two resources open a function to the world: a `lambda.Permission` whose principal is `*` with no
`sourceArn`, `sourceAccount` or `principalOrgId` to pin the caller, and a `lambda.FunctionUrl` with
`authorizationType: NONE` (AWS: "Lambda doesn't perform IAM authentication on requests to your function
URL"). A service principal (`s3.amazonaws.com`, `apigateway.amazonaws.com`, ...) with no `sourceArn` or
`sourceAccount` is the same hole one step removed: a resource of that service in ANY account may invoke
the function (the confused deputy; AWS: "use the SourceArn or SourceAccount condition ... otherwise, other
accounts could configure resources to invoke your function"); Alexa skills are pinned by
`eventSourceToken`. Source: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html and
https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html
A `principalOrgId` pins principal "*" only to an organization the gate lists (`ownOrganizationIds`): the pull
request names it, and an attacker's organization holds any account its owner creates (red15 r15-7, as
AGID-AWS-030 judges aws:PrincipalOrgID).
A `sourceArn` / `sourceAccount` pins by its VALUE, not its presence (red22 r22-1; analysis.aws_source_pins, shared
with AGID-AWS-062 and AGID-AWS-076): `arn:aws:s3:::*`, `arn:aws:sns:us-east-1:*:t`, `arn:aws:events:*:*:rule/*` or,
for principal "*", `arn:aws:*` match a resource of every account. It passes when the ARN's account (or the
sourceAccount) is own (`ownAccountIds`, the function ARN's account, or the gate mocks' account of a stack resource)
with no wildcard in partition, service or account; an S3 bucket ARN names no account and is AGID-AWS-076's. A
computed pin (unknown at a real preview) still passes as restricting.
"""

import re

from agentid_policy_packs.analysis.aws_trust import OwnIds
from agentid_policy_packs.analysis.values import is_unknown

from agentid_policy_packs.analysis.aws_source_pins import lambda_pins

from .base import Resource, Rule, Unknown, Violation
from .own_accounts import own_accounts
from .trust_policy import OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS, OWN_IDS_SCHEMA

PERMISSION = "aws:lambda/permission:Permission"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
_PINNING = ("sourceArn", "sourceAccount", "principalOrgId")
# A service principal is pinned to the caller's resource or account (principalOrgId does not apply to
# service principals; eventSourceToken pins an Alexa skill).
_SERVICE_PINNING = ("sourceArn", "sourceAccount", "eventSourceToken")
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")


def _function(resource: Resource) -> str:
    name = resource.props.get("function") or resource.props.get("functionName")
    return name if isinstance(name, str) and not is_unknown(name) else resource.name


def _permission(resource: Resource, config):
    principal = resource.props.get("principal")
    if is_unknown(principal):
        yield Unknown("principal")
        return
    if not isinstance(principal, str):
        yield Violation(f"lambda permission {resource.name}: principal is {type(principal).__name__}, not a string "
                        "naming a service, account or ARN, so who may invoke the function cannot be judged")
        return
    principal = principal.strip()
    service = _SERVICE.match(principal.lower())
    if principal != "*" and not service:
        return
    pinning = _PINNING if principal == "*" else _SERVICE_PINNING
    pins = [key for key in pinning if resource.props.get(key) not in (None, "")]
    if any(is_unknown(resource.props.get(key)) for key in pins):
        return  # a computed pin (an Output at a real preview) restricts the caller whatever it turns out to be
    org = resource.props.get("principalOrgId")
    if pins == ["principalOrgId"] and isinstance(org, str):
        problem = OwnIds.from_config(config).problem("aws:principalorgid", org)
        if problem:
            yield Violation(f"lambda permission {resource.name} lets any principal (\"*\") of organization "
                            f"{org.strip()} invoke function {_function(resource)}: {problem}")
        return
    if resource.props.get("eventSourceToken") not in (None, "") and "eventSourceToken" in pins:
        return  # an Alexa skill's token pins the skill
    if "principalOrgId" in pins and isinstance(org, str) and not OwnIds.from_config(config).problem(
            "aws:principalorgid", org):
        return  # an own organization confines principal "*"
    # sourceArn / sourceAccount: judged by value, not presence (red22 r22-1, r22-5: analysis.aws_source_pins)
    verdict = lambda_pins(resource.props.get("sourceArn"), resource.props.get("sourceAccount"),
                          own_accounts(resource, config, ("function",)))
    if verdict.bound or verdict.buckets:
        return  # bound to an own source; a bucket ARN's owner is AGID-AWS-076's (a stack question)
    if verdict.problems:
        who = 'any principal ("*")' if principal == "*" else principal
        yield Violation(f"lambda permission {resource.name} lets {who} invoke function {_function(resource)} "
                        f"for a source that is not confined to your own: {'; '.join(verdict.problems)} "
                        "(a resource of another account can invoke it: confused deputy)")
        return
    if principal == "*":
        auth = resource.props.get("functionUrlAuthType")
        via = " through its public function URL" if auth == "NONE" else ""
        yield Violation(f"lambda permission {resource.name} lets any principal (\"*\") invoke function "
                        f"{_function(resource)}{via}, with no sourceArn, sourceAccount or principalOrgId")
    else:
        yield Violation(f"lambda permission {resource.name} lets {principal} invoke function {_function(resource)} "
                        "with no sourceArn or sourceAccount: a resource of that service in any AWS account may "
                        "invoke it (confused deputy)")


def _function_url(resource: Resource):
    auth = resource.props.get("authorizationType")
    if is_unknown(auth):
        yield Unknown("authorizationType")
    elif auth == "NONE":
        yield Violation(f"function URL {resource.name} of {_function(resource)} has authorizationType NONE: anyone "
                        "on the internet can invoke it without AWS credentials")
    elif auth != "AWS_IAM":
        yield Violation(f"function URL {resource.name}: authorizationType {auth!r} is neither AWS_IAM nor NONE, so "
                        "who may invoke it cannot be judged")


def check(resource: Resource, config):
    yield from _permission(resource, config) if resource.type == PERMISSION else _function_url(resource)


RULE = Rule(
    id="AGID-AWS-034",
    title="aws-no-public-lambda",
    severity="critical",
    category="public-access",
    description='Lambda functions are not invocable by anyone: no Permission for principal "*" without '
                "sourceArn/sourceAccount/principalOrgId, nor for a service principal without sourceArn/sourceAccount; "
                "a sourceArn/sourceAccount pins only when it names an own account with no wildcard in it; "
                "no FunctionUrl with authorizationType NONE.",
    remediation="Name the invoking service or account and pin it with sourceArn/sourceAccount; give function URLs "
                "authorizationType AWS_IAM.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
    check=check,
    resource_types=(PERMISSION, FUNCTION_URL),
    config={"ownAccountIds": [], "ownOrganizationIds": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, "ownOrganizationIds": OWN_IDS_SCHEMA["ownOrganizationIds"]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownOrganizationIds": "subset"},
)
