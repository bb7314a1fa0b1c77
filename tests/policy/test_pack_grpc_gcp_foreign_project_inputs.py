"""AGID-GCP-033 over gRPC (red17 r17-7): GCP data sent to a project, bucket or host not known to be the stack's own.

Each judged type sends to another project (or an unlisted host, a bucket the stack does not name) and blocks; its
look-alike sends to an own project (ownGcpProjects), a bucket the stack names and depends on, or a Cloud Run
service of the stack by its Output, and passes. With no own project listed a project destination is "cannot tell"
and blocks (never off).
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from agentid_policy_packs.rules.gcp_foreign_project_inputs import foreign_project_inputs
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-033"
BUCKET = "gcp:storage/bucket:Bucket"
TOPIC = "gcp:pubsub/topic:Topic"
RUN = "gcp:cloudrunv2/service:Service"
SUB = "gcp:pubsub/subscription:Subscription"


@pytest.fixture()
def own_pack(pack):
    pack.configure({"all": {"ownGcpProjects": ["acme-dev"], "ownHosts": ["hooks.acme.example"]}})
    yield pack
    pack.configure({})


def _r(type_, name, props, deps=(), property_dependencies=None) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=[urn(*d) for d in deps],
                         property_dependencies=property_dependencies)


def findings(pack, *stack) -> list[tuple[str, str]]:
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level) for d in pack.analyze_stack(list(stack))
                  if d.policy_name == RULE)


def _at(path: str, value) -> dict:
    head, _, rest = path.partition(".")
    return {head: _at(rest, value) if rest else value}


OWN_BUCKET = _r(BUCKET, "archive", {"name": "acme-dev-archive", "location": "US", "project": "acme-dev"})
SINKS = ["gcp:logging/projectSink:ProjectSink", "gcp:logging/folderSink:FolderSink",
         "gcp:logging/organizationSink:OrganizationSink", "gcp:logging/billingAccountSink:BillingAccountSink"]
# (type, input props) that send to another project / host / bucket, and the look-alike that stays home
CASES = {
    **{f"{t.split(':')[1]} pubsub": (t, {"destination": "pubsub.googleapis.com/projects/evil-project/topics/drop"},
                                     {"destination": "pubsub.googleapis.com/projects/acme-dev/topics/logs"}) for t in SINKS},
    "sink bigquery": (SINKS[0], {"destination": "bigquery.googleapis.com/projects/evil-project/datasets/drop"},
                      {"destination": "bigquery.googleapis.com/projects/acme-dev/datasets/logs"}),
    "sink log bucket": (SINKS[0], {"destination": "logging.googleapis.com/projects/evil-project/locations/global/buckets/b"},
                        {"destination": "logging.googleapis.com/projects/acme-dev/locations/global/buckets/b"}),
    "sink other project": (SINKS[1], {"destination": "logging.googleapis.com/projects/evil-project"},
                           {"destination": "logging.googleapis.com/projects/acme-dev"}),
    "sink storage": (SINKS[0], {"destination": "storage.googleapis.com/evil-drop"},
                     {"destination": "storage.googleapis.com/acme-dev-archive"}),
    "push endpoint": (SUB, {"topic": "t", "pushConfig": {"pushEndpoint": "https://collector.evil.example/in"}},
                      {"topic": "t", "pushConfig": {"pushEndpoint": "https://hooks.acme.example/in"}}),
    "push to a run.app URL not of this stack": (
        SUB, {"topic": "t", "pushConfig": {"pushEndpoint": "https://evil-123.us-central1.run.app/"}},
        {"topic": "t", "pushConfig": {"pushEndpoint": "https://HOOKS.acme.example./x"}}),
    "bigquery subscription": (SUB, {"topic": "t", "bigqueryConfig": {"table": "evil-project.drop.messages"}},
                              {"topic": "t", "bigqueryConfig": {"table": "acme-dev:drop.messages"}}),
    "cloud storage subscription": (SUB, {"topic": "t", "cloudStorageConfig": {"bucket": "evil-drop"}},
                                   {"topic": "t", "cloudStorageConfig": {"bucket": "acme-dev-archive"}}),
    "dead letter topic": (SUB, {"topic": "t", "deadLetterPolicy": {"deadLetterTopic": "projects/evil-project/topics/dl"}},
                          {"topic": "t", "deadLetterPolicy": {"deadLetterTopic": "projects/acme-dev/topics/dl"}}),
    "transfer job": ("gcp:storage/transferJob:TransferJob",
                     {"transferSpec": {"gcsDataSink": {"bucketName": "evil-drop"}}},
                     {"transferSpec": {"gcsDataSink": {"bucketName": "acme-dev-archive"}}}),
    "replication job": ("gcp:storage/transferJob:TransferJob",
                        {"replicationSpec": {"gcsDataSink": {"bucketName": "gs://evil-drop"}}},
                        {"replicationSpec": {"gcsDataSink": {"bucketName": "gs://acme-dev-archive"}}}),
    "eventarc http endpoint": ("gcp:eventarc/trigger:Trigger",
                               {"destination": {"httpEndpoint": {"uri": "http://10.0.0.5.evil.example/"}}},
                               {"destination": {"httpEndpoint": {"uri": "https://hooks.acme.example/e"}}}),
    "eventarc workflow": ("gcp:eventarc/trigger:Trigger",
                          {"destination": {"workflow": "projects/evil-project/locations/us-central1/workflows/w"}},
                          {"destination": {"workflow": "projects/acme-dev/locations/us-central1/workflows/w"}}),
    "datastream": ("gcp:datastream/stream:Stream",
                   {"destinationConfig": {"destinationConnectionProfile": "projects/evil-project/locations/us/connectionProfiles/p"}},
                   {"destinationConfig": {"destinationConnectionProfile": "projects/acme-dev/locations/us/connectionProfiles/p"}}),
    **{f"{t.split(':')[1]}": (t, {"feedOutputConfig": {"pubsubDestination": {"topic": "projects/evil-project/topics/t"}}},
                              {"feedOutputConfig": {"pubsubDestination": {"topic": "projects/acme-dev/topics/t"}}})
       for t in ("gcp:cloudasset/projectFeed:ProjectFeed", "gcp:cloudasset/folderFeed:FolderFeed",
                 "gcp:cloudasset/organizationFeed:OrganizationFeed")},
    "scc notification": ("gcp:securitycenter/notificationConfig:NotificationConfig",
                         {"pubsubTopic": "projects/evil-project/topics/findings"},
                         {"pubsubTopic": "projects/acme-dev/topics/findings"}),
    "bucket notification": ("gcp:storage/notification:Notification",
                            {"bucket": "acme-dev-archive", "topic": "//pubsub.googleapis.com/projects/evil-project/topics/t"},
                            {"bucket": "acme-dev-archive", "topic": "t", "project": "acme-dev"}),
    "fhir bigquery stream": ("gcp:healthcare/fhirStore:FhirStore",
                             {"streamConfigs": [{"bigqueryDestination": {"datasetUri": "bq://evil-project.fhir"}}]},
                             {"streamConfigs": [{"bigqueryDestination": {"datasetUri": "bq://acme-dev.fhir"}}]}),
    "fhir notifications": ("gcp:healthcare/fhirStore:FhirStore",
                           {"notificationConfigs": [{"pubsubTopic": "projects/acme-dev/topics/ok"},
                                                    {"pubsubTopic": "projects/evil-project/topics/fhir"}]},
                           {"notificationConfigs": [{"pubsubTopic": "projects/acme-dev/topics/fhir"}]}),
    "dicom bigquery stream": ("gcp:healthcare/dicomStore:DicomStore",
                              {"streamConfigs": [{"bigqueryDestination": {"tableUri": "bq://evil-project.d.t"}}]},
                              {"streamConfigs": [{"bigqueryDestination": {"tableUri": "bq://acme-dev.d.t"}}]}),
    "hl7 notifications": ("gcp:healthcare/hl7Store:Hl7Store", {"notificationConfig": {"pubsubTopic": "projects/evil-project/topics/h"}},
                          {"notificationConfig": {"pubsubTopic": "projects/acme-dev/topics/h"}}),
    "dataflow temp location": ("gcp:dataflow/job:Job", {"tempGcsLocation": "gs://evil-drop/tmp"},
                               {"tempGcsLocation": "gs://acme-dev-archive/tmp"}),
    "dataflow flex staging": ("gcp:dataflow/flexTemplateJob:FlexTemplateJob", {"stagingLocation": "gs://evil-drop/s"},
                              {"stagingLocation": "gs://acme-dev-archive/s", "tempLocation": "gs://acme-dev-archive/t"}),
    **{f"{t.split(':')[1]}": (t, {"pubsubTopic": "projects/evil-project/topics/findings"},
                              {"pubsubTopic": "projects/acme-dev/topics/findings"})
       for t in ("gcp:securitycenter/projectNotificationConfig:ProjectNotificationConfig",
                 "gcp:securitycenter/folderNotificationConfig:FolderNotificationConfig",
                 "gcp:securitycenter/v2OrganizationNotificationConfig:V2OrganizationNotificationConfig",
                 "gcp:securitycenter/v2ProjectNotificationConfig:V2ProjectNotificationConfig",
                 "gcp:securitycenter/v2FolderNotificationConfig:V2FolderNotificationConfig")},
    "inventory report": ("gcp:storage/insightsReportConfig:InsightsReportConfig",
                         {"objectMetadataReportOptions": {"storageDestinationOptions": {"bucket": "evil-drop"}}},
                         {"objectMetadataReportOptions": {"storageDestinationOptions": {"bucket": "acme-dev-archive"}}}),
    "bucket access logs": (BUCKET, {"name": "data", "logging": {"logBucket": "evil-drop"}},
                           {"name": "data", "logging": {"logBucket": "acme-dev-archive"}}),
    "source repo events": ("gcp:sourcerepo/repository:Repository", {"pubsubConfigs": [{"topic": "projects/evil-project/topics/r"}]},
                           {"pubsubConfigs": [{"topic": "projects/acme-dev/topics/r"}]}),
    "packet mirroring": ("gcp:compute/packetMirroring:PacketMirroring",
                         {"collectorIlb": {"url": "https://www.googleapis.com/compute/v1/projects/evil-project/regions/r/forwardingRules/c"}},
                         {"collectorIlb": {"url": "projects/acme-dev/regions/r/forwardingRules/c"}}),
    "eventarc pipeline http": ("gcp:eventarc/pipeline:Pipeline",
                               {"destinations": [{"httpEndpoint": {"uri": "https://collector.evil.example/e"}}]},
                               {"destinations": [{"httpEndpoint": {"uri": "https://hooks.acme.example/e"}}]}),
    "eventarc pipeline bus": ("gcp:eventarc/pipeline:Pipeline",
                              {"destinations": [{"messageBus": "projects/evil-project/locations/us/messageBuses/b"}]},
                              {"destinations": [{"topic": "projects/acme-dev/topics/t"},
                                                {"messageBus": "projects/acme-dev/locations/us/messageBuses/b"}]}),
    "dataplex profile export": ("gcp:dataplex/datascan:Datascan",
                                {"dataProfileSpec": {"postScanActions": {"bigqueryExport": {
                                    "resultsTable": "//bigquery.googleapis.com/projects/evil-project/datasets/d/tables/t"}}}},
                                {"dataProfileSpec": {"postScanActions": {"bigqueryExport": {
                                    "resultsTable": "//bigquery.googleapis.com/projects/acme-dev/datasets/d/tables/t"}}}}),
    "bigquery extract job": ("gcp:bigquery/job:Job",
                             {"extract": {"destinationUris": ["gs://acme-dev-archive/a-*.csv", "gs://evil-drop/x-*.csv"]}},
                             {"extract": {"destinationUris": ["gs://acme-dev-archive/a-*.csv"]}}),
    "analytics hub push": ("gcp:bigqueryanalyticshub/listingSubscription:ListingSubscription",
                           {"destinationPubsubSubscription": {"pubsubSubscription": {
                               "pushConfig": {"pushEndpoint": "https://collector.evil.example/"}}}},
                           {"destinationPubsubSubscription": {"pubsubSubscription": {
                               "deadLetterPolicy": {"deadLetterTopic": "projects/acme-dev/topics/dl"}}}}),
    "dlp findings table": ("gcp:dataloss/preventionJobTrigger:PreventionJobTrigger",
                           {"inspectJob": {"actions": [{"saveFindings": {"outputConfig": {"table": {
                               "projectId": "evil-project", "datasetId": "d"}}}}]}},
                           {"inspectJob": {"actions": [{"saveFindings": {"outputConfig": {"table": {
                               "projectId": "acme-dev", "datasetId": "d"}}}}, {"pubSub": {"topic": "projects/acme-dev/topics/t"}}]}}),
    "dlp discovery export": ("gcp:dataloss/preventionDiscoveryConfig:PreventionDiscoveryConfig",
                             {"actions": [{"exportData": {"profileTable": {"projectId": "evil-project"}}}]},
                             {"actions": [{"exportData": {"profileTable": {"projectId": "ACME-DEV"}}}]}),
    "database migration": ("gcp:databasemigrationservice/migrationJob:MigrationJob",
                           {"destination": "projects/evil-project/locations/us-central1/connectionProfiles/p"},
                           {"destination": "projects/acme-dev/locations/us-central1/connectionProfiles/p"}),
    "healthcare pipeline": ("gcp:healthcare/pipelineJob:PipelineJob",
                            {"mappingPipelineJob": {"fhirStoreDestination": "projects/evil-project/locations/us/datasets/d/fhirStores/s"}},
                            {"mappingPipelineJob": {"fhirStoreDestination": "projects/acme-dev/locations/us/datasets/d/fhirStores/s"}}),
    "gke backup channel": ("gcp:gkebackup/backupChannel:BackupChannel", {"destinationProject": "projects/999999999999"},
                           {"destinationProject": "projects/acme-dev"}),
    **{f"{t.split(':')[1]}": (t, _at(path, "https://collector.evil.example/hook"), _at(path, "https://hooks.acme.example/hook"))
       for t, path in (("gcp:diagflow/cxWebhook:CxWebhook", "genericWebService.uri"),
                       ("gcp:diagflow/fulfillment:Fulfillment", "genericWebService.uri"),
                       ("gcp:diagflow/environment:Environment", "fulfillment.genericWebService.uri"))},
    **{f"{t.split(':')[1]}": (t, {"advancedSettings": {"audioExportGcsDestination": {"uri": "gs://evil-drop/audio"}}},
                              {"advancedSettings": {"audioExportGcsDestination": {"uri": "gs://acme-dev-archive/audio"}}})
       for t in ("gcp:diagflow/cxAgent:CxAgent", "gcp:diagflow/cxFlow:CxFlow")},
    "conversation profile": ("gcp:diagflow/conversationProfile:ConversationProfile",
                             {"newMessageEventNotificationConfig": {"topic": "projects/evil-project/topics/m"}},
                             {"newMessageEventNotificationConfig": {"topic": "projects/acme-dev/topics/m"}}),
    **{f"{t.split(':')[1]}": (t, {"dataset": "projects/evil-project/datasets/findings"},
                              {"dataset": "projects/acme-dev/datasets/findings"})
       for t in ("gcp:securitycenter/projectSccBigQueryExport:ProjectSccBigQueryExport",
                 "gcp:securitycenter/folderSccBigQueryExport:FolderSccBigQueryExport",
                 "gcp:securitycenter/organizationSccBigQueryExport:OrganizationSccBigQueryExport",
                 "gcp:securitycenter/v2ProjectSccBigQueryExport:V2ProjectSccBigQueryExport",
                 "gcp:securitycenter/v2FolderSccBigQueryExport:V2FolderSccBigQueryExport",
                 "gcp:securitycenter/v2OrganizationSccBigQueryExport:V2OrganizationSccBigQueryExport")},
    "transcoder output": ("gcp:transcoder/job:Job", {"config": {"output": {"uri": "gs://evil-drop/out/"}}},
                          {"config": {"output": {"uri": "gs://acme-dev-archive/out/"}}}),
    "eventarc enrollment": ("gcp:eventarc/enrollment:Enrollment",
                            {"destination": "projects/evil-project/locations/us-central1/pipelines/p"},
                            {"destination": "projects/acme-dev/locations/us-central1/pipelines/p"}),
    "eventarc google api source": ("gcp:eventarc/googleApiSource:GoogleApiSource",
                                   {"destination": "projects/evil-project/locations/us-central1/messageBuses/b"},
                                   {"destination": "projects/acme-dev/locations/us-central1/messageBuses/b"}),
    "gke restore channel": ("gcp:gkebackup/restoreChannel:RestoreChannel", {"destinationProject": "projects/evil-project"},
                            {"destinationProject": "projects/acme-dev"}),
    "usage export": ("gcp:projects/usageExportBucket:UsageExportBucket", {"bucketName": "evil-drop"},
                     {"bucketName": "acme-dev-archive"}),
    # red19 r19-5: the stack's data written into an existing resource of another project
    "bucket object": ("gcp:storage/bucketObject:BucketObject", {"bucket": "evil-drop", "name": "pw", "content": "x"},
                      {"bucket": "acme-dev-archive", "name": "pw", "content": "x"}),
    "secret version": ("gcp:secretmanager/secretVersion:SecretVersion",
                       {"secret": "projects/evil-project/secrets/db", "secretData": "x"},
                       {"secret": "projects/acme-dev/secrets/db", "secretData": "x"}),
    "regional secret version": ("gcp:secretmanager/regionalSecretVersion:RegionalSecretVersion",
                                {"secret": "projects/evil-project/locations/europe-west1/secrets/db", "secretData": "x"},
                                {"secret": "projects/acme-dev/locations/europe-west1/secrets/db", "secretData": "x"}),
    "apigee datastore": ("gcp:apigee/datastore:Datastore",
                         {"datastoreConfig": {"projectId": "evil-project", "bucketName": "acme-dev-archive"}},
                         {"datastoreConfig": {"projectId": "acme-dev", "bucketName": "acme-dev-archive"}}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_foreign_destination_blocks_and_own_passes(own_pack, case):
    type_, foreign, own = CASES[case]
    assert findings(own_pack, OWN_BUCKET, _r(type_, "out", foreign, deps=[(BUCKET, "archive")])) == [("out", "mandatory")]
    assert findings(own_pack, OWN_BUCKET, _r(type_, "out", own, deps=[(BUCKET, "archive")])) == []


def test_every_judged_type_has_a_case():
    assert set(foreign_project_inputs()["judged"]) == {c[0] for c in CASES.values()}


def test_a_stack_bucket_is_own_only_when_created_first(own_pack):
    sub = {"topic": "t", "cloudStorageConfig": {"bucket": "acme-dev-archive"}}
    found = own_pack.analyze_stack([OWN_BUCKET, _r(SUB, "out", sub)])
    assert [(d.policy_name, d.enforcement_level) for d in found if d.policy_name == RULE] == [(RULE, "mandatory")]
    assert "does not depend on it" in [d.message for d in found if d.policy_name == RULE][0]


def test_no_own_project_listed_is_cannot_tell_not_off(pack):
    found = [d for d in pack.analyze_stack([_r(SINKS[0], "out", {"destination": "bigquery.googleapis.com/projects/acme-dev/datasets/l"})])
             if d.policy_name == RULE]
    assert [(d.enforcement_level, "ownGcpProjects" in d.message) for d in found] == [("mandatory", True)]


def test_push_to_the_stacks_cloud_run_service_by_output_passes(own_pack):
    service = _r(RUN, "handler", {"location": "us-central1", "project": "acme-dev"})
    topic = _r(TOPIC, "events", {"name": "events", "project": "acme-dev"})
    deps = {"topic": [urn(TOPIC, "events")], "pushConfig": [urn(RUN, "handler")]}
    push = _r(SUB, "out", {"topic": UNKNOWN, "pushConfig": {"pushEndpoint": UNKNOWN}},
              deps=[(TOPIC, "events"), (RUN, "handler")], property_dependencies=deps)
    assert findings(own_pack, service, topic, push) == []
    # the same unknown endpoint depending on the topic only (a constant behind another Output) cannot be checked
    other = _r(SUB, "out", {"topic": UNKNOWN, "pushConfig": {"pushEndpoint": UNKNOWN}}, deps=[(TOPIC, "events")],
               property_dependencies={"topic": [urn(TOPIC, "events")], "pushConfig": [urn(TOPIC, "events")]})
    found = [d for d in own_pack.analyze_stack([service, topic, other]) if d.policy_name == RULE]
    assert len(found) == 1 and "cannot check until known: pushConfig.pushEndpoint" in found[0].message


def test_a_stack_topic_by_its_known_id_is_in_its_project(own_pack):
    """The gate's mocks give a topic's id as its name: `pubsub.googleapis.com/` + topic.id arrives as that name."""
    own = _r(TOPIC, "events", {"name": "events", "project": "acme-dev"})
    evil = _r(TOPIC, "events", {"name": "events", "project": "evil-project"})
    sink = _r(SINKS[0], "out", {"destination": "pubsub.googleapis.com/events"}, deps=[(TOPIC, "events")])
    assert findings(own_pack, own, sink) == []
    assert findings(own_pack, evil, sink) == [("out", "mandatory")]
    unordered = _r(SINKS[0], "out", {"destination": "pubsub.googleapis.com/events"})
    assert findings(own_pack, own, unordered) == [("out", "mandatory")]


def test_a_stack_bucket_or_service_in_another_project_is_not_own(own_pack):
    """A stack bucket or Cloud Run service created in a project the gate does not list is the attacker's."""
    evil_bucket = _r(BUCKET, "archive", {"name": "acme-dev-archive", "location": "US", "project": "evil-project"})
    sub = _r(SUB, "out", {"topic": "t", "cloudStorageConfig": {"bucket": "acme-dev-archive"}}, deps=[(BUCKET, "archive")])
    assert findings(own_pack, evil_bucket, sub) == [("out", "mandatory")]
    assert findings(own_pack, OWN_BUCKET, sub) == []
    deps = {"pushConfig": [urn(RUN, "handler")]}
    push = _r(SUB, "out", {"topic": "t", "pushConfig": {"pushEndpoint": UNKNOWN}}, deps=[(RUN, "handler")],
              property_dependencies=deps)
    evil_service = _r(RUN, "handler", {"location": "us-central1", "project": "evil-project"})
    own_service = _r(RUN, "handler", {"location": "us-central1", "project": "acme-dev"})
    assert findings(own_pack, evil_service, push) == [("out", "mandatory")]
    assert findings(own_pack, own_service, push) == []


def test_a_secret_version_of_a_stack_secret_by_its_output_is_in_that_secrets_project(own_pack):
    """red19 r19-5: `SecretVersion(secret=secret.id)` arrives unknown at preview; it is in the stack secret's project,
    own only when that is listed (a stack secret created in the attacker's project takes the payload there)."""
    secret_type, version_type = "gcp:secretmanager/secret:Secret", "gcp:secretmanager/secretVersion:SecretVersion"
    own = _r(secret_type, "db", {"secretId": "db", "project": "acme-dev"})
    evil = _r(secret_type, "db", {"secretId": "db", "project": "evil-project"})
    version = _r(version_type, "v", {"secret": UNKNOWN, "secretData": "x"}, deps=[(secret_type, "db")],
                 property_dependencies={"secret": [urn(secret_type, "db")]})
    assert findings(own_pack, own, version) == []
    [diag] = [d for d in own_pack.analyze_stack([evil, version]) if d.policy_name == RULE]
    assert (diag.enforcement_level, "it is an Output of db of this stack, in project evil-project" in diag.message) \
        == ("mandatory", True)
    # an unknown secret that also depends on a resource that is no GCP resource of the stack cannot be placed
    aws_bucket = "aws:s3/bucketV2:BucketV2"
    other = _r(version_type, "v", {"secret": UNKNOWN, "secretData": "x"}, deps=[(secret_type, "db"), (aws_bucket, "b")],
               property_dependencies={"secret": [urn(secret_type, "db"), urn(aws_bucket, "b")]})
    found = [d for d in own_pack.analyze_stack([own, _r(aws_bucket, "b", {"bucket": "b"}), other])
             if d.policy_name == RULE]
    assert len(found) == 1 and "cannot check until known: secret" in found[0].message
