"""AGID-GCP-018: compute the stack creates does not run as a project's default service account.

The Compute Engine default service account (`PROJECT_NUMBER-compute@developer.gserviceaccount.com`) and the App
Engine default (`PROJECT_ID@appspot.gserviceaccount.com`) are granted Editor on their project when the API is
enabled (unless the organization policy `iam.automaticIamGrantsForDefaultServiceAccounts` is enforced, which the
pack cannot see). Code that runs as one of them (a VM's startup script, a Cloud Run job, a function) acts as
Editor on the project: a stack creating such compute hands its code the project (red10 3: a VM whose startup
script granted roles/owner passed). Where the email is omitted, Google runs the workload as the default:
Cloud Run services (v1 and v2), jobs and worker pools, Cloud Functions (2nd gen), GKE node pools, Dataproc
clusters and serverless batches, Dataflow jobs (classic and flex template), Composer environments and Workflows as
the Compute Engine default, 1st-gen functions as the App Engine default; a VM or template with a `serviceAccount`
block and no email as the Compute Engine default (a VM without the block has no service account at all). Another
account the stack does not define is AGID-GCP-019's.
Sources: https://cloud.google.com/compute/docs/access/service-accounts#default_service_account,
https://cloud.google.com/run/docs/securing/service-identity, https://cloud.google.com/functions/docs/securing/function-identity,
https://cloud.google.com/resource-manager/docs/organization-policy/restricting-service-accounts#disable_service_account_default_grants,
https://cloud.google.com/kubernetes-engine/docs/how-to/service-accounts#default-gke-service-agent,
https://cloud.google.com/dataproc/docs/concepts/configuring-clusters/service-accounts,
https://cloud.google.com/dataproc-serverless/docs/concepts/service-account,
https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#worker-service-account,
https://cloud.google.com/composer/docs/composer-2/access-control#service-account,
https://cloud.google.com/workflows/docs/authentication#deploy_a_workflow_with_a_custom_service_account.
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation

DEFAULT_ACCOUNT = re.compile(r"^(?:\d+-compute@developer\.gserviceaccount\.com|[a-z0-9:.-]+@appspot\.gserviceaccount\.com)$",
                             re.IGNORECASE)
# type -> (path to the block or email, dotted; the key of the email inside it or None when the path is the email;
#          what runs when the block/email is omitted: None (no account) or the default that Google uses)
WORKLOADS = {
    "gcp:compute/instance:Instance": ("serviceAccount", "email", None),
    "gcp:compute/instanceTemplate:InstanceTemplate": ("serviceAccount", "email", None),
    "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate": ("serviceAccount", "email", None),
    "gcp:cloudrunv2/service:Service": ("template.serviceAccount", None, "the Compute Engine default service account"),
    "gcp:cloudrunv2/job:Job": ("template.template.serviceAccount", None, "the Compute Engine default service account"),
    "gcp:cloudfunctionsv2/function:Function": ("serviceConfig.serviceAccountEmail", None,
                                               "the Compute Engine default service account"),
    "gcp:cloudfunctions/function:Function": ("serviceAccountEmail", None, "the App Engine default service account"),
    "gcp:cloudrun/service:Service": ("template.spec.serviceAccountName", None, "the Compute Engine default service account"),
    "gcp:cloudrunv2/workerPool:WorkerPool": ("template.serviceAccount", None, "the Compute Engine default service account"),
    "gcp:container/nodePool:NodePool": ("nodeConfig.serviceAccount", None, "the Compute Engine default service account"),
    "gcp:dataproc/cluster:Cluster": ("clusterConfig.gceClusterConfig.serviceAccount", None,
                                     "the Compute Engine default service account"),
    "gcp:dataproc/batch:Batch": ("environmentConfig.executionConfig.serviceAccount", None,
                                 "the Compute Engine default service account"),
    "gcp:dataflow/job:Job": ("serviceAccountEmail", None, "the Compute Engine default service account"),
    "gcp:dataflow/flexTemplateJob:FlexTemplateJob": ("serviceAccountEmail", None, "the Compute Engine default service account"),
    "gcp:composer/environment:Environment": ("config.nodeConfig.serviceAccount", None,
                                             "the Compute Engine default service account"),
    "gcp:workflows/workflow:Workflow": ("serviceAccount", None, "the Compute Engine default service account"),
}


def check(resource: Resource, config):
    path, email_key, omitted = WORKLOADS[resource.type]
    value = value_at(resource.props, path)
    if is_unknown(value):
        yield Unknown(path)
        return
    where = path
    if email_key is not None:  # a VM's serviceAccount block
        if value is None:
            return  # no service account: the VM holds no Google credentials
        if not isinstance(value, dict):
            yield Violation(f"{resource.name}: {path} is {type(value).__name__}, not an object", category="unparseable")
            return
        value, where = value.get(email_key), f"{path}.{email_key}"
        if is_unknown(value):
            yield Unknown(where)
            return
        omitted = "the Compute Engine default service account"
    if value is None:
        yield Violation(f"{resource.name} sets no {where}, so Google runs it as {omitted}, which holds Editor on the "
                        "project by default: its code acts as Editor; give it a service account the stack creates")
    elif isinstance(value, str) and DEFAULT_ACCOUNT.match(value.strip()):
        yield Violation(f"{resource.name} runs as the default service account {value.strip()[:120]} ({where}), which "
                        "holds Editor on the project by default: its code acts as Editor; give it a service account "
                        "the stack creates")


RULE = Rule(
    id="AGID-GCP-018",
    title="gcp-no-default-service-account",
    severity="critical",
    category="escalation",
    description="VMs, instance templates, Cloud Run services, jobs and worker pools, Cloud Functions, GKE node pools, "
                "Dataproc clusters and batches, Dataflow jobs, Composer environments and Workflows the stack creates "
                "run as a service account other than the project's Compute Engine or App Engine default (Editor by "
                "default).",
    remediation="Create a service account for the workload (gcp.serviceaccount.Account), grant it only what the code "
                "needs, and set it as the workload's service account.",
    url="https://cloud.google.com/compute/docs/access/service-accounts#default_service_account",
    check=check,
    resource_types=tuple(WORKLOADS),
)
