"""End to end (`agentid preview`): data written into an S3 bucket of unknown owner blocks (red15 r15-8, S3 part).

Before: a policy allowing s3:PutObject on `arn:aws:s3:::attacker-drop/*` passed the gate (a bucket ARN names no
account, so AGID-AWS-072 skipped it). Now AGID-AWS-073 blocks it; the stack's own bucket (the policy waiting for it),
a bucket the gate lists (`--own-s3-bucket`) and a statement pinned by s3:ResourceAccount to an own account pass, and
a stack file cannot add a bucket to the gate's list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, carry_pack_config, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

OURS, ATTACKER = "111122223333", "999988887777"
PROGRAM = '''
def put(resource, condition=None):
    statement = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

reports = aws.s3.BucketV2("reports", bucket="acme-reports-dev")
# flagged: a bucket nobody says is ours; the stack's bucket name without waiting for it (a typed decoy); a pin that
# S3 does not enforce when the key is absent (IfExists)
aws.iam.Policy("drop", policy=put("arn:aws:s3:::attacker-drop/*"))
aws.iam.Policy("decoy", policy=put("arn:aws:s3:::acme-reports-dev/weekly/*"))
aws.iam.Policy("loose-pin", policy=put("arn:aws:s3:::*-drop/*", {"StringEqualsIfExists": {"s3:ResourceAccount": "111122223333"}}))
# look-alikes: an Output of the stack's bucket, a literal with depends_on on it, a bucket the gate lists, an owner pin
aws.iam.Policy("by-output", policy=reports.arn.apply(lambda arn: put(arn + "/weekly/*")))
aws.iam.Policy("waits", policy=put("arn:aws:s3:::acme-reports-dev/weekly/*"), opts=pulumi.ResourceOptions(depends_on=[reports]))
aws.iam.Policy("listed", policy=put("arn:aws:s3:::acme-data-lake/landing/*"))
aws.iam.Policy("pinned", policy=put("arn:aws:s3:::*-drop/*", {"StringEquals": {"s3:ResourceAccount": "111122223333"}}))
# an access point names its account: AGID-AWS-072
aws.iam.Policy("access-point", policy=put("arn:aws:s3:eu-west-1:999988887777:accesspoint/drop/object/*"))
# S3 delivers the stack's own bucket's inventory wherever the request says: blocks; server access logs (same account
# only) pass
inventory = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutInventoryConfiguration",
                                                               "Resource": "arn:aws:s3:::acme-reports-dev"}]})
aws.iam.Policy("inventory", policy=inventory, opts=pulumi.ResourceOptions(depends_on=[reports]))
aws.iam.Policy("logging", policy=inventory.replace("PutInventoryConfiguration", "PutBucketLogging"),
               opts=pulumi.ResourceOptions(depends_on=[reports]))
'''
OWN = ("--own-account", OURS, "--own-s3-bucket", "acme-data-lake")


def egress(run) -> list[tuple[str, str, bool]]:
    document = run.json("out.json")
    return sorted((v["policy"], v["resourceName"], v["mandatory"]) for rule in ("AGID-AWS-072", "AGID-AWS-073")
                  for v in by_policy(document, rule))


def test_writes_into_buckets_of_unknown_owner_block(project: Path) -> None:
    write_small(project, PROGRAM)
    run = run_cli(project, *GUARD, *OWN, "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert egress(run) == [("AGID-AWS-072", "access-point", True), ("AGID-AWS-073", "decoy", True),
                           ("AGID-AWS-073", "drop", True), ("AGID-AWS-073", "inventory", True),
                           ("AGID-AWS-073", "loose-pin", True)]
    [decoy] = [v for v in by_policy(run.json("out.json"), "AGID-AWS-073") if v["resourceName"] == "decoy"]
    assert "named like reports of this stack, but decoy does not depend on it" in decoy["message"]
    assert "ownS3Buckets: agent-guard: acme-data-lake (AGID-AWS-064, AGID-AWS-073, AGID-AWS-076)" in run.stdout.replace("\n", " ")


def test_nothing_listed_blocks_and_the_stack_file_cannot_list_a_bucket(project: Path) -> None:
    write_small(project, PROGRAM)
    carry_pack_config(project, 'all: {ownS3Buckets: ["acme-data-lake", "attacker-drop"]}\n')
    run = run_cli(project, *GUARD, "--own-account", OURS, "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert [name for policy, name, _ in egress(run) if policy == "AGID-AWS-073"] == \
        ["decoy", "drop", "inventory", "listed", "loose-pin"]
    [listed] = [v for v in by_policy(run.json("out.json"), "AGID-AWS-073") if v["resourceName"] == "listed"]
    assert "the gate lists no own buckets (ownS3Buckets" in listed["message"]


def test_a_bucket_flag_that_is_no_bucket_name_is_refused(project: Path) -> None:
    write_small(project, PROGRAM)
    run = run_cli(project, *GUARD, "--own-s3-bucket", "arn:aws:s3:::acme-data-lake")
    assert run.code == 2 and "--own-s3-bucket 'arn:aws:s3:::acme-data-lake': not an id of that kind" in run.stdout, \
        run.stdout
