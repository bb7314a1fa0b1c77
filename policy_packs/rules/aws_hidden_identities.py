"""AGID-AWS-040: nothing an AWS generic resource creates escapes the gate.

A CloudFormation stack or stack set (`templateBody`, `templateUrl`) and a Cloud Control resource
(`typeName`, `desiredState`) create AWS resources the engine never registers one by one: an
`AWS::IAM::Role` with AdministratorAccess inside a template reaches the account as surely as an
`aws.iam.Role`, yet the pack would see only a `Stack`. Each resource inside is judged as the typed Pulumi
resource it is where analysis/generic_resource_types.yaml maps it (every rule of that token runs on it:
generic_resources.py), passes when reviewed harmless there, and otherwise cannot be checked: this rule's
violation names it (any other type, a property the mapping does not translate, nested stacks, custom
resources, macros (`Transform`), a template it cannot read or that lives at `templateUrl`). Fail closed:
an AWS type nobody reviewed (red11a 33: AWS::ECR::RepositoryCreationTemplate, AWS::SecurityLake::Subscriber,
AWS::GuardDuty::Master) blocks until it is mapped or reviewed.
Sources: AWS CloudFormation template anatomy
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html), resource type
reference (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html),
Cloud Control API (https://docs.aws.amazon.com/cloudcontrolapi/latest/userguide/what-is-cloudcontrolapi.html).
"""

from __future__ import annotations

from .base import Resource, Rule, Unknown, Violation
from .generic_resources import CFN_STACK, CFN_STACK_SET, CLOUD_CONTROL, inner_resources, unjudged

STACK, STACK_SET = CFN_STACK, CFN_STACK_SET


def check(resource: Resource, config):
    what = "Cloud Control resource" if resource.type == CLOUD_CONTROL else "CloudFormation"
    for kind, detail in unjudged(what, resource.name, inner_resources(resource.type, resource.props)):
        yield Unknown(detail) if kind == "unknown" else Violation(detail)


RULE = Rule(
    id="AGID-AWS-040",
    title="aws-no-hidden-identities",
    severity="critical",
    category="unparseable",
    description="CloudFormation stacks, stack sets and Cloud Control resources create only resources the gate judges "
                "as their typed Pulumi resource or has reviewed harmless: anything else cannot be checked.",
    remediation="Declare the resource as its own Pulumi resource (the pack judges each); keep CloudFormation templates "
                "inline in templateBody, to mapped or reviewed types (analysis/generic_resource_types.yaml).",
    url="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html",
    check=check,
    resource_types=(STACK, STACK_SET, CLOUD_CONTROL),
)
