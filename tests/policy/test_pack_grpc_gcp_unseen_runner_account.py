"""AGID-GCP-019 over gRPC: Google runs no code and mints no token as a service account the stack does not define
(red10: code run as an identity the stack does not define passed on GCP; AGID-GCP-018 only knew the defaults).
Each runner class of analysis/gcp_code_runners.yaml gets a flagged case and a look-alike naming the stack's own
account in another spelling, which must pass."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-019"
ACCOUNT = "gcp:serviceaccount/account:Account"
FOREIGN = "deployer@prod-platform.iam.gserviceaccount.com"  # an existing account: its grants are not in the stack
OWN = "agent-runner@acme-dev.iam.gserviceaccount.com"


def res(type_, name, props, dependencies=()):
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(dependencies))


def own_account(project="acme-dev"):
    return res(ACCOUNT, "runner", {"accountId": "agent-runner", **({"project": project} if project else {})})


def findings(pack, *resources):
    return stack_findings(pack, RULE, resources, "mandatory")


# (type token, inputs with the account at ACCOUNT_SLOT, where the finding says it is)
RUNNERS = [
    ("gcp:cloudbuild/trigger:Trigger", lambda sa: {"filename": "cloudbuild.yaml", "serviceAccount": sa}, "serviceAccount"),
    ("gcp:cloudrun/service:Service", lambda sa: {"location": "europe-west1", "template": {"spec": {
        "containers": [{"image": "gcr.io/x/y"}], "serviceAccountName": sa}}}, "template.spec.serviceAccountName"),
    ("gcp:cloudrunv2/service:Service", lambda sa: {"template": {"containers": [{"image": "x"}], "serviceAccount": sa}},
     "template.serviceAccount"),
    ("gcp:cloudrunv2/job:Job", lambda sa: {"template": {"template": {"serviceAccount": sa}}}, "template.template.serviceAccount"),
    ("gcp:cloudfunctions/function:Function", lambda sa: {"runtime": "python312", "serviceAccountEmail": sa},
     "serviceAccountEmail"),
    ("gcp:cloudfunctionsv2/function:Function", lambda sa: {"serviceConfig": {"serviceAccountEmail": OWN},
                                                          "buildConfig": {"serviceAccount": sa}}, "buildConfig.serviceAccount"),
    ("gcp:composer/environment:Environment", lambda sa: {"config": {"nodeConfig": {"serviceAccount": sa}}},
     "config.nodeConfig.serviceAccount"),
    ("gcp:dataflow/flexTemplateJob:FlexTemplateJob", lambda sa: {"containerSpecGcsPath": "gs://b/t.json",
                                                                "serviceAccountEmail": sa}, "serviceAccountEmail"),
    ("gcp:dataflow/job:Job", lambda sa: {"templateGcsPath": "gs://b/t", "serviceAccountEmail": sa}, "serviceAccountEmail"),
    ("gcp:workbench/instance:Instance", lambda sa: {"gceSetup": {"serviceAccounts": [{"email": OWN}, {"email": sa}]}},
     "gceSetup.serviceAccounts[1].email"),
    ("gcp:vertex/aiReasoningEngine:AiReasoningEngine", lambda sa: {"spec": {"serviceAccount": sa}}, "spec.serviceAccount"),
    ("gcp:cloudscheduler/job:Job", lambda sa: {"httpTarget": {"uri": "https://iam.googleapis.com/v1/projects/p/roles",
                                                              "oauthToken": {"serviceAccountEmail": sa}}},
     "httpTarget.oauthToken.serviceAccountEmail"),
    ("gcp:cloudscheduler/job:Job", lambda sa: {"httpTarget": {"uri": "https://run.example", "oidcToken": {
        "serviceAccountEmail": sa}}}, "httpTarget.oidcToken.serviceAccountEmail"),
    ("gcp:workflows/workflow:Workflow", lambda sa: {"serviceAccount": sa, "sourceContents": "main: {}"}, "serviceAccount"),
    ("gcp:eventarc/trigger:Trigger", lambda sa: {"serviceAccount": sa}, "serviceAccount"),
    ("gcp:pubsub/subscription:Subscription", lambda sa: {"topic": "t", "pushConfig": {
        "pushEndpoint": "https://x.example/push", "oidcToken": {"serviceAccountEmail": sa}}},
     "pushConfig.oidcToken.serviceAccountEmail"),
    ("gcp:compute/instance:Instance", lambda sa: {"serviceAccount": {"email": sa, "scopes": ["cloud-platform"]}},
     "serviceAccount.email"),
    ("gcp:compute/instanceTemplate:InstanceTemplate", lambda sa: {"serviceAccount": {"email": sa}}, "serviceAccount.email"),
    ("gcp:container/nodePool:NodePool", lambda sa: {"cluster": "c", "nodeConfig": {"serviceAccount": sa}},
     "nodeConfig.serviceAccount"),
    ("gcp:container/cluster:Cluster", lambda sa: {"nodePools": [{"name": "a", "nodeConfig": {"serviceAccount": sa}}]},
     "nodePools[0].nodeConfig.serviceAccount"),
    ("gcp:dataproc/cluster:Cluster", lambda sa: {"clusterConfig": {"gceClusterConfig": {"serviceAccount": sa}}},
     "clusterConfig.gceClusterConfig.serviceAccount"),
    ("gcp:dataproc/batch:Batch", lambda sa: {"environmentConfig": {"executionConfig": {"serviceAccount": sa}}},
     "environmentConfig.executionConfig.serviceAccount"),
    ("gcp:cloudtasks/queue:Queue", lambda sa: {"httpTarget": {"oidcToken": {"serviceAccountEmail": sa}}},
     "httpTarget.oidcToken.serviceAccountEmail"),
    ("gcp:configdeployment/deployment:Deployment", lambda sa: {"serviceAccount": sa}, "serviceAccount"),
]
IDS = [f"{t.split(':')[1]}-{i}" for i, (t, _, _) in enumerate(RUNNERS)]


@pytest.mark.parametrize("type_,inputs,where", RUNNERS, ids=IDS)
def test_a_runner_as_an_account_the_stack_does_not_define_blocks(pack, type_, inputs, where):
    [(name, message)] = findings(pack, own_account(), res(type_, "w", inputs(FOREIGN)))
    assert name == "w" and f"service account {FOREIGN} ({where}), which this stack does not define" in message
    assert "cannot check what that account may do" in message


@pytest.mark.parametrize("type_,inputs,where", RUNNERS, ids=IDS)
@pytest.mark.parametrize("spelling", [OWN, OWN.upper(), f"projects/-/serviceAccounts/{OWN}",
                                      f"projects/acme-dev/serviceAccounts/{OWN}", " Agent-Runner@acme-dev.iam.gserviceaccount.com"])
def test_the_stacks_own_account_in_any_spelling_passes(pack, type_, inputs, where, spelling):
    assert findings(pack, own_account(), res(type_, "w", inputs(spelling))) == []


@pytest.mark.parametrize("spelling", [f"projects/prod-platform/serviceAccounts/{FOREIGN}",
                                      f"projects/-/serviceAccounts/{FOREIGN.upper()}",
                                      "agent-runner@prod-platform.iam.gserviceaccount.com",  # same id, other project
                                      "projects/prod-platform/serviceAccounts/agent-runner",
                                      "service-123456789012@gcp-sa-cloudbuild.iam.gserviceaccount.com"])  # a service agent
def test_other_accounts_block_in_every_spelling(pack, spelling):
    trigger = res("gcp:cloudbuild/trigger:Trigger", "deploy", {"serviceAccount": spelling})
    [(name, message)] = findings(pack, own_account(), trigger)
    assert name == "deploy" and "runs its build steps as the account" in message


def test_an_account_of_the_providers_default_project_is_the_stacks(pack):
    trigger = res("gcp:cloudbuild/trigger:Trigger", "deploy", {"serviceAccount": f"projects/-/serviceAccounts/{OWN}"})
    assert findings(pack, own_account(project=None), trigger) == []


def test_default_accounts_are_left_to_agid_gcp_018_on_its_runners_and_flagged_elsewhere(pack):
    default = "123456789012-compute@developer.gserviceaccount.com"
    assert findings(pack, res("gcp:cloudrunv2/job:Job", "j", {"template": {"template": {"serviceAccount": default}}})) == []
    [(name, message)] = findings(pack, res("gcp:eventarc/trigger:Trigger", "on-upload", {"serviceAccount": default}))
    assert name == "on-upload" and default in message


def test_values_known_only_at_deployment(pack):
    account = own_account()
    # an output of the stack's own Account: judged by that account's grants
    assert findings(pack, account, res("gcp:workflows/workflow:Workflow", "wf", {"serviceAccount": UNKNOWN},
                                       dependencies=[account.urn])) == []
    # unknown and not the stack's account: not a pass
    found = [m for _, m in stack_findings(pack, RULE, [res("gcp:workflows/workflow:Workflow", "wf", {"serviceAccount": UNKNOWN})])]
    assert len(found) == 1 and "cannot check until known" in found[0]
    # a numeric unique id is Google's, given at creation: a literal is the stack's Account only when it equals its
    # KNOWN unique id (after deployment the engine sends it); depending on a stack Account proves nothing (red12 #7)
    deployed = res(ACCOUNT, "runner", {"accountId": "agent-runner", "project": "acme-dev", "uniqueId": "112233445566778899"})
    assert findings(pack, deployed, res("gcp:eventarc/trigger:Trigger", "t", {"serviceAccount": "112233445566778899"},
                                        dependencies=[deployed.urn])) == []
    for dependencies in ([account.urn], []):
        assert [n for n, _ in findings(pack, account, res("gcp:eventarc/trigger:Trigger", "t", {
            "serviceAccount": "112233445566778899"}, dependencies=dependencies))] == ["t"]


def test_depending_on_a_stack_account_does_not_explain_a_value_another_output_may_hide(pack):
    """red12 #7 (x_unknown_gcp): a Cloud Scheduler job calling setIamPolicy with terraform-admin's token, the account a
    constant behind a bucket's Output, `depends_on=[harmless stack Account]`: cannot check until known (not a pass)."""
    account, other = own_account(), res("aws:s3/bucketV2:BucketV2", "marker", {})
    job = res("gcp:cloudscheduler/job:Job", "sched", {"httpTarget": {
        "uri": "https://cloudresourcemanager.googleapis.com/v1/projects/acme-prod:setIamPolicy",
        "oauthToken": {"serviceAccountEmail": UNKNOWN}}}, dependencies=[account.urn, other.urn])
    found = stack_findings(pack, RULE, [account, other, job])
    assert [m.endswith("cannot check until known: httpTarget.oauthToken.serviceAccountEmail is computed during preview")
            for _, m in found] == [True], found
    # the same job depending on the stack Account alone (its e-mail is computed): the account's Output, judged by it
    alone = res("gcp:cloudscheduler/job:Job", "sched", {**job.properties}, dependencies=[account.urn])
    assert stack_findings(pack, RULE, [account, other, alone]) == []


def test_a_shape_the_pack_cannot_read_is_a_violation_naming_the_path(pack):
    [(name, message)] = findings(pack, res("gcp:workflows/workflow:Workflow", "wf", {"serviceAccount": {"email": FOREIGN}}))
    assert name == "wf" and "cannot check: serviceAccount is dict" in message


def test_runners_without_an_account_and_non_runners_pass(pack):
    assert findings(pack, res("gcp:cloudscheduler/job:Job", "j", {"httpTarget": {"uri": "https://x.example"}})) == []
    assert findings(pack, res("gcp:compute/instance:Instance", "vm", {"machineType": "e2-small"})) == []
    # a firewall naming an account selects traffic, it gives no identity
    assert findings(pack, res("gcp:compute/firewall:Firewall", "fw", {"targetServiceAccounts": [FOREIGN]})) == []
