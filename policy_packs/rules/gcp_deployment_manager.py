"""AGID-GCP-023: nothing a Deployment Manager deployment creates escapes the gate.

A `gcp.deploymentmanager.Deployment` declares Google Cloud resources in its `target.config.content` YAML, which
Deployment Manager creates with its own service account (PROJECT_NUMBER@cloudservices.gserviceaccount.com, an
Editor of the project): an `iam.v1.serviceAccount` key, a `gcp-types/cloudresourcemanager-v1:...` IAM binding or
a resource's `accessControl.gcpIamPolicy` inside it reach the project as surely as the typed gcp resources, yet
the pack sees only the Deployment (red11a 33's class for Google Cloud). As AGID-AWS-040 / AGID-AZ-040 do for
CloudFormation and ARM, each resource is looked up in analysis/generic_resource_types.yaml (deployment_manager):
a reviewed harmless type passes; any other type, a template (*.jinja, *.py: code Deployment Manager runs to
expand), an `action` (any API method) or an `accessControl` cannot be checked: a violation naming it.
Sources: configuration syntax (https://cloud.google.com/deployment-manager/docs/configuration/syntax-reference),
Deployment Manager's service account (https://cloud.google.com/deployment-manager/docs/access-control).
"""

from __future__ import annotations

from .base import Resource, Rule, Unknown, Violation
from .generic_resources import DEPLOYMENT_MANAGER, inner_resources, unjudged


def check(resource: Resource, config):
    found = inner_resources(resource.type, resource.props)
    for kind, detail in unjudged("Deployment Manager deployment", resource.name, found):
        yield Unknown(detail) if kind == "unknown" else Violation(detail)


RULE = Rule(
    id="AGID-GCP-023",
    title="gcp-no-hidden-deployment-manager-resources",
    severity="critical",
    category="unparseable",
    description="Deployment Manager deployments create only resources the gate has reviewed harmless: any other "
                "type, template, action or accessControl inside the configuration cannot be checked.",
    remediation="Declare the resources as pulumi-gcp resources (the pack judges each); keep Deployment Manager "
                "configurations to reviewed types (analysis/generic_resource_types.yaml).",
    url="https://cloud.google.com/deployment-manager/docs/configuration/syntax-reference",
    check=check,
    resource_types=(DEPLOYMENT_MANAGER,),
)
