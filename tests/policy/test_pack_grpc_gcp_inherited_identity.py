"""AGID-GCP-019 over gRPC, inherited identities (issue 11): a VM made from an instance template or machine image, a
managed instance group's versions, a Dataproc job or workflow template run code as the service account of ANOTHER
object they name. An object the stack does not define (an existing template's name or self link, another project's
template of the same name, an existing cluster) is "cannot check: runs code as the identity of existing <object>";
the same resources naming the stack's own object (by name, self link, id or Output) pass, and the object's own
account is judged where it is defined (a stack template with a foreign account is flagged on the template).

Before: each flagged case passed `agentid preview` (the template carries the account and the cloud-platform scope).
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-019"
ACCOUNT = "gcp:serviceaccount/account:Account"
TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate"
REGION_TEMPLATE = "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate"
FROM_TEMPLATE = "gcp:compute/instanceFromTemplate:InstanceFromTemplate"
FROM_IMAGE = "gcp:compute/instanceFromMachineImage:InstanceFromMachineImage"
MACHINE_IMAGE = "gcp:compute/machineImage:MachineImage"
INSTANCE = "gcp:compute/instance:Instance"
MIG = "gcp:compute/instanceGroupManager:InstanceGroupManager"
REGION_MIG = "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager"
CLUSTER = "gcp:dataproc/cluster:Cluster"
JOB = "gcp:dataproc/job:Job"
WORKFLOW = "gcp:dataproc/workflowTemplate:WorkflowTemplate"
OWN = "agent-runner@acme-dev.iam.gserviceaccount.com"
EXISTING = "https://www.googleapis.com/compute/v1/projects/acme-dev/global/instanceTemplates/prod-admin-template"
INHERITED = "cannot check: runs code as the identity of existing"


def res(type_, name, props, dependencies=()):
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(dependencies))


OWN_ACCOUNT = res(ACCOUNT, "runner", {"accountId": "agent-runner", "project": "acme-dev"})
OWN_TEMPLATE = res(TEMPLATE, "web", {"name": "web", "project": "acme-dev", "machineType": "e2-small",
                                     "serviceAccount": {"email": OWN, "scopes": ["cloud-platform"]}})
BARE_TEMPLATE = res(TEMPLATE, "bare", {"name": "bare", "machineType": "e2-small"})  # no account at all
OWN_REGION_TEMPLATE = res(REGION_TEMPLATE, "rweb", {"name": "rweb", "region": "europe-west1",
                                                    "serviceAccount": {"email": OWN, "scopes": ["cloud-platform"]}})
OWN_CLUSTER = res(CLUSTER, "etl", {"name": "etl", "region": "europe-west1", "project": "acme-dev", "clusterConfig": {
    "gceClusterConfig": {"serviceAccount": OWN}}})
OWN_INSTANCE = res(INSTANCE, "golden", {"name": "golden", "machineType": "e2-small",
                                        "serviceAccount": {"email": OWN, "scopes": ["cloud-platform"]}})


def findings(pack, *resources):
    return dict(stack_findings(pack, RULE, resources, "mandatory"))


FLAGGED = {
    "vm_from_existing_template_self_link": [res(FROM_TEMPLATE, "vm", {"zone": "europe-west1-b",
                                                                      "sourceInstanceTemplate": EXISTING})],
    "vm_from_existing_template_name": [OWN_TEMPLATE, res(FROM_TEMPLATE, "vm", {"sourceInstanceTemplate": "prod-admin"})],
    # the stack's template name in another project is another project's template
    "vm_from_other_projects_template": [OWN_TEMPLATE, res(FROM_TEMPLATE, "vm", {
        "sourceInstanceTemplate": "projects/prod-platform/global/instanceTemplates/web"})],
    "vm_from_existing_machine_image": [res(FROM_IMAGE, "vm", {
        "sourceMachineImage": "projects/acme-dev/global/machineImages/prod-bastion"})],
    # the stack's machine image, of an instance the stack does not define: that instance's account
    "vm_from_image_of_existing_instance": [
        res(MACHINE_IMAGE, "img", {"name": "img", "sourceInstance": "projects/acme-dev/zones/europe-west1-b/instances/dc01"}),
        res(FROM_IMAGE, "vm", {"sourceMachineImage": "img"}, (urn(MACHINE_IMAGE, "img"),))],
    "mig_existing_template": [res(MIG, "vm", {"baseInstanceName": "w", "zone": "europe-west1-b", "versions": [
        {"instanceTemplate": "web"}, {"instanceTemplate": EXISTING, "name": "canary"}]}, (OWN_TEMPLATE.urn,)),
        OWN_TEMPLATE],
    "region_mig_existing_template": [res(REGION_MIG, "vm", {"baseInstanceName": "w", "region": "europe-west1",
                                                           "versions": [{"instanceTemplate": EXISTING}]})],
    "dataproc_job_existing_cluster": [res(JOB, "vm", {"region": "europe-west1", "placement": {"clusterName": "prod-etl"},
                                                      "pysparkConfig": {"mainPythonFileUri": "gs://b/x.py"}})],
    # the stack's cluster name in another region is another cluster
    "dataproc_job_other_region": [OWN_CLUSTER, res(JOB, "vm", {"region": "us-central1", "placement": {
        "clusterName": "etl"}, "pysparkConfig": {"mainPythonFileUri": "gs://b/x.py"}})],
    "workflow_cluster_selector": [OWN_CLUSTER, res(WORKFLOW, "vm", {"location": "europe-west1", "placement": {
        "clusterSelector": {"clusterLabels": {"env": "prod"}}}, "jobs": [{"stepId": "a"}]})],
}
WHERE = {
    "vm_from_existing_template_self_link": "sourceInstanceTemplate", "vm_from_existing_template_name": "sourceInstanceTemplate",
    "vm_from_other_projects_template": "sourceInstanceTemplate", "vm_from_existing_machine_image": "sourceMachineImage",
    "vm_from_image_of_existing_instance": "img.sourceInstance", "mig_existing_template": "versions[1].instanceTemplate",
    "region_mig_existing_template": "versions[0].instanceTemplate", "dataproc_job_existing_cluster": "placement.clusterName",
    "dataproc_job_other_region": "placement.clusterName", "workflow_cluster_selector": "placement.clusterSelector",
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_code_run_as_an_existing_objects_identity_blocks(pack, case):
    found = findings(pack, OWN_ACCOUNT, *FLAGGED[case])
    assert list(found) == ["vm"], found
    message = found["vm"]
    assert WHERE[case] in message, message
    if case == "workflow_cluster_selector":
        assert "cannot check: runs code as the identity of an existing Dataproc cluster" in message
    else:
        assert INHERITED in message, message


SCHEDULER = "gcp:cloudscheduler/job:Job"


def _tick(uri, dependencies=()):
    return res(SCHEDULER, "tick", {"region": "europe-west1", "schedule": "0 * * * *", "httpTarget": {
        "uri": uri, "httpMethod": "POST", "oauthToken": {"serviceAccountEmail": OWN}}}, dependencies)


@pytest.mark.parametrize(("uri", "object_"), [
    ("https://run.googleapis.com/v2/projects/acme-dev/locations/europe-west1/jobs/prod-admin:run", "Cloud Run job"),
    ("https://europe-west1-run.googleapis.com/apis/run.googleapis.com/v1/namespaces/acme-dev/jobs/prod-admin:run",
     "Cloud Run job"),
    ("https://workflowexecutions.googleapis.com/v1/projects/acme-dev/locations/europe-west1/workflows/grant-owner/"
     "executions", "workflow"),
    ("https://cloudbuild.googleapis.com/v1/projects/acme-dev/locations/global/triggers/deploy-prod:run",
     "Cloud Build trigger"),
    # the stack's job name in another project is another project's job
    ("https://run.googleapis.com/v2/projects/prod-platform/locations/europe-west1/jobs/nightly:run", "Cloud Run job"),
])
def test_a_scheduler_job_running_an_existing_job_workflow_or_trigger_blocks(pack, uri, object_):
    own_job = res("gcp:cloudrunv2/job:Job", "nightly", {"name": "nightly", "project": "acme-dev", "location":
                  "europe-west1", "template": {"template": {"serviceAccount": OWN}}})
    found = findings(pack, OWN_ACCOUNT, own_job, _tick(uri))
    assert list(found) == ["tick"], found
    assert f"{INHERITED} {object_}" in found["tick"] and "(httpTarget.uri)" in found["tick"], found


def test_a_scheduler_job_running_the_stacks_own_job_or_calling_a_service_passes(pack):
    own_job = res("gcp:cloudrunv2/job:Job", "nightly", {"name": "nightly", "project": "acme-dev", "location":
                  "europe-west1", "template": {"template": {"serviceAccount": OWN}}})
    service = res("gcp:cloudrunv2/service:Service", "api", {"location": "europe-west1", "template": {
        "serviceAccount": OWN, "containers": [{"image": "x"}]}})
    ticks = [
        _tick("https://run.googleapis.com/v2/projects/acme-dev/locations/europe-west1/jobs/nightly:run", (own_job.urn,)),
        _tick(UNKNOWN, (own_job.urn,)),
        _tick(UNKNOWN, (service.urn,)),  # service.uri: a call to the stack's service, not a run of another object
        _tick("https://summarise.example/run"),
    ]
    for tick in ticks:
        assert findings(pack, OWN_ACCOUNT, own_job, service, tick) == {}, tick
    # the stack's job named by a literal, the scheduler job not waiting for it (issue 11, a typed decoy: were the
    # job's create to fail, the name taken, the existing job would run)
    unordered = _tick("https://run.googleapis.com/v2/projects/acme-dev/locations/europe-west1/jobs/nightly:run")
    found = findings(pack, OWN_ACCOUNT, own_job, service, unordered)
    assert list(found) == ["tick"] and "named like nightly of this stack, but it does not depend on it" in found["tick"]


def test_the_same_resources_naming_the_stacks_own_objects_pass(pack):
    by_output = res(FROM_TEMPLATE, "vm1", {"sourceInstanceTemplate": UNKNOWN}, (OWN_TEMPLATE.urn,))
    # a literal names the stack's object only for a resource created after it (depends_on; issue 11, a typed decoy)
    by_self_link = res(FROM_TEMPLATE, "vm2", {
        "sourceInstanceTemplate": "https://www.googleapis.com/compute/v1/projects/acme-dev/global/instanceTemplates/web"},
        (OWN_TEMPLATE.urn,))
    by_region_template = res(FROM_TEMPLATE, "vm3", {
        "sourceInstanceTemplate": "projects/acme-dev/regions/europe-west1/instanceTemplates/rweb"},
        (OWN_REGION_TEMPLATE.urn,))
    bare = res(FROM_TEMPLATE, "vm4", {"sourceInstanceTemplate": "bare"}, (BARE_TEMPLATE.urn,))
    # an instance that brings its own (stack) account replaces the template's
    overridden = res(FROM_TEMPLATE, "vm5", {"sourceInstanceTemplate": EXISTING,
                                            "serviceAccount": {"email": OWN, "scopes": ["cloud-platform"]}})
    image = res(MACHINE_IMAGE, "img", {"name": "img", "sourceInstance": UNKNOWN}, (OWN_INSTANCE.urn,))
    from_image = res(FROM_IMAGE, "vm6", {"sourceMachineImage": UNKNOWN}, (image.urn,))
    mig = res(MIG, "mig", {"baseInstanceName": "w", "versions": [{"instanceTemplate": UNKNOWN}]}, (OWN_TEMPLATE.urn,))
    rmig = res(REGION_MIG, "rmig", {"baseInstanceName": "w", "versions": [{"instanceTemplate": "rweb"}]},
               (OWN_REGION_TEMPLATE.urn,))
    job = res(JOB, "job", {"region": "europe-west1", "placement": {"clusterName": "etl"}}, (OWN_CLUSTER.urn,))
    job_by_output = res(JOB, "job2", {"region": "europe-west1", "placement": {"clusterName": UNKNOWN}},
                        (OWN_CLUSTER.urn,))
    managed = res(WORKFLOW, "wf", {"location": "europe-west1", "placement": {"managedCluster": {
        "clusterName": "c", "config": {"gceClusterConfig": {"serviceAccount": OWN}}}}, "jobs": [{"stepId": "a"}]})
    assert findings(pack, OWN_ACCOUNT, OWN_TEMPLATE, BARE_TEMPLATE, OWN_REGION_TEMPLATE, OWN_CLUSTER, OWN_INSTANCE,
                    by_output, by_self_link, by_region_template, bare, overridden, image, from_image, mig, rmig, job,
                    job_by_output, managed) == {}


def test_a_stack_template_with_a_foreign_account_is_flagged_on_the_template(pack):
    template = res(TEMPLATE, "admin-template", {"name": "admin-template", "serviceAccount": {
        "email": "deployer@prod-platform.iam.gserviceaccount.com", "scopes": ["cloud-platform"]}})
    found = findings(pack, template, res(FROM_TEMPLATE, "vm", {"sourceInstanceTemplate": "admin-template"},
                                         (template.urn,)))
    assert list(found) == ["admin-template"], found
    assert "service account deployer@prod-platform.iam.gserviceaccount.com" in found["admin-template"]


def test_a_reference_no_stack_output_explains_is_not_yet_known(pack):
    # an Output of something else (a data-source lookup's self link): cannot check until known, not a pass
    found = stack_findings(pack, RULE, [res(FROM_TEMPLATE, "vm", {"sourceInstanceTemplate": UNKNOWN})])
    assert [message for _, message in found] == [
        f"can't run policy '{RULE}' from policy pack 'agent-guard@v0.0.1' during preview: cannot check until known: "
        "sourceInstanceTemplate is computed during preview"], found
