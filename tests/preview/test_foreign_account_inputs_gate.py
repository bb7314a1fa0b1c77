"""End to end (`agentid preview`): AGID-AWS-064 judges the accounts, buckets and destinations plain inputs hand data
or code to (issue 11, red11a r26 / r34). The stack's own bucket (created under a name the program gives it) named by its
Output (`trail.s3BucketName = bucket.id`) and the stack's own vault, queue, log destination and layer pass: the gate's mocks give an S3 bucket
its name as id and `arn:aws:s3:::name` as ARN, as AWS does (before, its id was `<name>-id`, which named no bucket of
the stack). The same resources pointed at a foreign account or a bucket the stack does not define block.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

FOREIGN = "999999999999"
OWN_TARGETS = '''
logs = aws.s3.BucketV2("trail-logs", bucket="acme-org-trail-logs")
code_bucket = aws.s3.BucketV2("code", bucket="my-code-bucket")
layer = aws.lambda_.LayerVersion("layer", layer_name="telemetry", s3_bucket=code_bucket.bucket, s3_key="l.zip")
vault = aws.backup.Vault("copies")
queue = aws.sqs.Queue("events")
trail_bucket, code_from, layer_arn = logs.id, code_bucket.id, layer.arn
vault_arn, target_arn = vault.arn, queue.arn
'''
FOREIGN_TARGETS = f'''
aws.s3.BucketV2("trail-logs")
trail_bucket, code_from = "trail-logs", "bucket-of-{FOREIGN}"
layer_arn = "arn:aws:lambda:eu-west-1:{FOREIGN}:layer:telemetry:1"
vault_arn = "arn:aws:backup:eu-west-1:{FOREIGN}:backup-vault:loot"
target_arn = "arn:aws:events:eu-west-1:{FOREIGN}:event-bus/default"
'''
USES = '''
aws.cloudtrail.Trail("trail", s3_bucket_name=trail_bucket, is_multi_region_trail=True)
fn_role = aws.iam.Role("fn-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.lambda_.Function("fn", role=fn_role.arn, runtime="python3.12", handler="i.h", s3_bucket=code_from, s3_key="x.zip",
                     layers=[layer_arn])
aws.backup.Plan("plan", rules=[{"rule_name": "r", "target_vault_name": "Default",
                                "copy_actions": [{"destination_vault_arn": vault_arn}]}])
rule = aws.cloudwatch.EventRule("all-ec2", event_pattern=json.dumps({"source": ["aws.ec2"]}))
aws.cloudwatch.EventTarget("forward", rule=rule.name, arn=target_arn)
'''


def mandatory_064(project: Path, source: str) -> tuple[int, dict[str, list[str]]]:
    write_small(project, source)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code in (0, 1), run.stdout
    found: dict[str, list[str]] = {}
    for v in run.json("out.json")["violations"]:
        if v["mandatory"] and v["policy"] == "AGID-AWS-064":
            found.setdefault(v["resourceName"], []).append(v["message"])
    return run.code, found


def test_the_stacks_own_destinations_pass_and_foreign_ones_block(project: Path) -> None:
    code, found = mandatory_064(project, OWN_TARGETS + USES)
    assert found == {}, found
    code, found = mandatory_064(project, FOREIGN_TARGETS + USES)
    assert code == 1
    assert sorted(found) == ["fn", "forward", "plan", "trail"], found
    assert len(found["fn"]) == 2  # the layer's account and the code bucket
    # a bucket named like the stack's provider-named bucket is not the stack's: AWS names that bucket
    # trail-logs-<random>, so the literal name is someone else's
    assert "bucket trail-logs is not one this stack names" in found["trail"][0]
    assert f"account {FOREIGN}" in found["plan"][0] and f"account {FOREIGN}" in found["forward"][0]


DESTINATIONS = '''
role = aws.iam.Role("runner", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": ["lambda.amazonaws.com", "pipes.amazonaws.com", "iot.amazonaws.com"]},
    "Action": "sts:AssumeRole"}]}))
fn = aws.lambda_.Function("fn", role=role.arn, runtime="python3.12", handler="a.b",
                          code=pulumi.AssetArchive({"a.py": pulumi.StringAsset("def b(e, c): return e")}))
src = aws.sqs.Queue("src")
aws.lambda_.FunctionEventInvokeConfig("lambda-destination", function_name=fn.name,
    destination_config={"on_success": {"destination": queue_arn}})
aws.pipes.Pipe("pipe", role_arn=role.arn, source=src.arn, target=queue_arn)
aws.iot.TopicRule("iot-rule", enabled=True, sql="SELECT * FROM '#'", sql_version="2016-03-23",
    sqs=[{"queue_url": queue_url, "role_arn": role.arn, "use_base64": False}])
aws.sesv2.ConfigurationSetEventDestination("ses-destination", configuration_set_name="cs", event_destination_name="d",
    event_destination={"matching_event_types": ["SEND"], "enabled": True, "sns_destination": {"topic_arn": topic_arn}})
'''
OWN_DESTINATIONS = '''
drop = aws.sqs.Queue("drop")
queue_arn, queue_url, topic_arn = drop.arn, drop.url, aws.sns.Topic("events").arn
'''
FOREIGN_DESTINATIONS = f'''
queue_arn, queue_url = "arn:aws:sqs:us-east-1:{FOREIGN}:drop", "https://sqs.us-east-1.amazonaws.com/{FOREIGN}/drop"
topic_arn = "arn:aws:sns:us-east-1:{FOREIGN}:drop"
'''


def test_destinations_of_the_stacks_own_queue_and_topic_pass_and_foreign_ones_block(project: Path) -> None:
    """red17 r17-2: Lambda async destinations, a pipe's target, an IoT rule's SQS queue URL and an SES event
    destination's topic. The stack's queue and topic by their Outputs (the mocks' ARN and queue URL) pass."""
    code, found = mandatory_064(project, "import pulumi\n" + OWN_DESTINATIONS + DESTINATIONS)
    assert found == {}, found
    code, found = mandatory_064(project, "import pulumi\n" + FOREIGN_DESTINATIONS + DESTINATIONS)
    assert code == 1
    assert sorted(found) == ["iot-rule", "lambda-destination", "pipe", "ses-destination"], found
    assert all(f"account {FOREIGN}" in messages[0] for messages in found.values()), found


MACHINE = '''
role = aws.iam.Role("sm-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.sfn.StateMachine("state-machine", role_arn=role.arn, definition=pulumi.Output.all(fn_arn, queue_url).apply(
    lambda v: json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": v[0], "Next": "B"},
        "B": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "Q", "States": {"Q": {"Type": "Task",
              "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
              "Parameters": {"QueueUrl": v[1], "MessageBody.$": "$"}}}}]}}})))
'''


def test_a_state_machine_handing_the_workflow_to_the_stacks_own_function_and_queue_passes(project: Path) -> None:
    """red17 r17-2: a Task state running another account's function, or a nested branch sending to another account's
    queue URL, blocks; the stack's own function and queue by their Outputs pass."""
    own = '''
import pulumi
fn_role = aws.iam.Role("fn-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
fn = aws.lambda_.Function("fn", role=fn_role.arn, runtime="python3.12", handler="a.b",
                          code=pulumi.AssetArchive({"a.py": pulumi.StringAsset("def b(e, c): return e")}))
fn_arn, queue_url = fn.arn, aws.sqs.Queue("drop").url
'''
    code, found = mandatory_064(project, own + MACHINE)
    assert found == {}, found
    foreign = f'''
import pulumi
fn_arn = pulumi.Output.from_input("arn:aws:lambda:us-east-1:{FOREIGN}:function:x")
queue_url = "https://sqs.us-east-1.amazonaws.com/{FOREIGN}/drop"
'''
    code, found = mandatory_064(project, foreign + MACHINE)
    assert code == 1 and sorted(found) == ["state-machine"] and len(found["state-machine"]) == 2, found
