"""AGID-AWS-040: no identity-bearing AWS resource is created out of the gate's sight.

A CloudFormation stack or stack set (`templateBody`, `templateUrl`) and a Cloud Control resource
(`typeName`, `desiredState`) create AWS resources the engine never registers one by one: an
`AWS::IAM::Role` with AdministratorAccess inside a template reaches the account as surely as an
`aws.iam.Role`, yet the pack would see only a `Stack`. So the gate fails closed on them: a template
(or Cloud Control type) that creates identities, policies, credentials or resource policies, that
nests stacks, runs custom resources or macros (`Transform`), or that cannot be read, is a violation
naming what it creates; a template of only other resources (buckets, queues, tables) passes.
Sources: AWS CloudFormation template anatomy
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html), resource type
reference (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html),
Cloud Control API (https://docs.aws.amazon.com/cloudcontrolapi/latest/userguide/what-is-cloudcontrolapi.html).
"""

from __future__ import annotations

import json
import re

import yaml

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

STACK = "aws:cloudformation/stack:Stack"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"

# CloudFormation types that carry a grant, a credential or a trust, or that create resources the
# template does not show (nested stacks, custom resources, modules): judged by service, then by name.
_IDENTITY_SERVICES = re.compile(
    r"^AWS::(IAM|SSO|IdentityStore|Cognito|KMS|SecretsManager|RolesAnywhere|Organizations|RAM)::", re.IGNORECASE)
_IDENTITY_NAMES = re.compile(r"(Policy|Permission|Credential|AccessKey|Secret|Grant|Authorizer|Trust|ApiKey|"
                             r"::Url$|AccessEntry|PolicyAssociation)", re.IGNORECASE)
_OPAQUE = re.compile(r"^(AWS::CloudFormation::(Stack|StackSet|CustomResource|Macro|HookVersion)$|Custom::|"
                     r"AWS::Serverless::|.*::MODULE$)", re.IGNORECASE)
_MAX_TEMPLATE = 1_000_000  # CloudFormation's own limit for a template in S3 is 1 MB (51,200 bytes inline)


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (!Ref, !Sub, !GetAtt ...) read as plain nodes."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def hidden_type(type_name: str) -> bool:
    """True when a CloudFormation / Cloud Control type creates something the gate must judge itself."""
    return bool(_IDENTITY_SERVICES.match(type_name) or _IDENTITY_NAMES.search(type_name) or _OPAQUE.match(type_name))


def _template_types(body: str) -> list[str] | str:
    """The resource types a template declares, or a reason it cannot be read."""
    if len(body) > _MAX_TEMPLATE:
        return f"templateBody is {len(body):,} characters, over CloudFormation's 1 MB template limit"
    try:
        template = json.loads(body)
    except ValueError:
        try:
            template = yaml.load(body, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as error:
            return f"templateBody is neither JSON nor YAML ({str(error).splitlines()[0]})"
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return "templateBody has no Resources mapping"
    types = []
    if template.get("Transform"):  # macros (SAM included) rewrite the template after the gate has read it
        types.append(f"Transform {template['Transform']!r}")
    for logical_id, resource in template["Resources"].items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if not isinstance(kind, str):
            return f"Resources.{logical_id} has no Type string"
        types.append(kind)
    return types


def check(resource: Resource, config):
    if resource.type == CLOUD_CONTROL:
        kind = resource.props.get("typeName")
        if is_unknown(kind):
            yield Unknown("typeName")
        elif not isinstance(kind, str):
            yield Violation(f"Cloud Control resource {resource.name}: typeName is not a string, so what it creates "
                            "cannot be judged")
        elif hidden_type(kind):
            yield Violation(f"Cloud Control resource {resource.name} creates {kind}, which the gate cannot judge "
                            "through Cloud Control: declare it as its own Pulumi resource")
        return
    body = resource.props.get("templateBody")
    if is_unknown(body):
        yield Unknown("templateBody")
        return
    if body is None:
        yield Violation(f"CloudFormation {resource.name} reads its template from templateUrl, which the gate cannot "
                        "read: put the template in templateBody, or declare its resources in Pulumi")
        return
    if not isinstance(body, str):
        yield Violation(f"CloudFormation {resource.name}: templateBody is not a string")
        return
    found = _template_types(body)
    if isinstance(found, str):
        yield Violation(f"CloudFormation {resource.name}: {found}, so what it creates cannot be judged")
        return
    hidden = sorted({kind for kind in found if kind.startswith("Transform") or hidden_type(kind)})
    if hidden:
        yield Violation(f"CloudFormation {resource.name} creates {', '.join(hidden)} inside its template, where the "
                        "gate cannot judge them: declare them as Pulumi resources")


RULE = Rule(
    id="AGID-AWS-040",
    title="aws-no-hidden-identities",
    severity="critical",
    category="unparseable",
    description="CloudFormation stacks, stack sets and Cloud Control resources create no identity, policy, credential "
                "or nested stack the gate cannot see.",
    remediation="Declare IAM roles, policies, keys and resource policies as Pulumi resources (the pack judges each); "
                "keep CloudFormation templates to other resources, inline in templateBody.",
    url="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html",
    check=check,
    resource_types=(STACK, STACK_SET, CLOUD_CONTROL),
)
