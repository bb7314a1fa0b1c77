"""End to end (`agentid preview`): code AWS runs as a role the stack does not define (AGID-AWS-057) through the
runners and starters added after the last round (EKS nodes, Batch jobs run by a queue, a Lambda function an S3
bucket notification starts), and a literal role ARN naming another account than the stack's role of that name.
Each of these exited 0 with "Violations: none" before; the look-alikes (the stack's own role by Output, name or
ARN in the account the stack's role lives in) still pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

ADMIN = "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
SHARED = '''
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]}}]})
role = aws.iam.Role("worker-role", name="worker-role", assume_role_policy=trust)
code = pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(e, c):\\n    return 1\\n")})
'''


def program(node_role: str, job_role: str, function_role: str) -> str:
    return SHARED + f'''
aws.eks.NodeGroup("nodes", cluster_name="prod", node_role_arn={node_role}, subnet_ids=["subnet-1"],
                  scaling_config={{"desired_size": 1, "max_size": 1, "min_size": 1}})
aws.batch.JobDefinition("job", type="container",
    container_properties=pulumi.Output.from_input({job_role}).apply(
        lambda arn: json.dumps({{"image": "busybox", "command": ["true"], "jobRoleArn": arn}})))
aws.batch.JobQueue("queue", priority=1, state="ENABLED")
fn = aws.lambda_.Function("handler", role={function_role}, runtime="python3.12", handler="index.handler", code=code,
                          opts=pulumi.ResourceOptions(depends_on=[role]))  # a literal names the stack's role only then
aws.s3.BucketNotification("uploads", bucket="uploads",
    lambda_functions=[{{"lambda_function_arn": fn.arn, "events": ["s3:ObjectCreated:*"]}}])
'''


def mandatory_057(project: Path, source: str) -> tuple[int, dict[str, str]]:
    write_small(project, source)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code in (0, 1), run.stdout
    return run.code, {v["resourceName"]: v["message"] for v in run.json("out.json")["violations"]
                      if v["mandatory"] and v["policy"] == "AGID-AWS-057"}


def test_runners_as_unseen_roles_block_and_the_stacks_own_role_passes(project: Path) -> None:
    code, found = mandatory_057(project, program(f'"{ADMIN}"', f'"{ADMIN}"',
                                                 '"arn:aws:iam::999988887777:role/worker-role"'))
    assert code == 1
    assert sorted(found) == ["handler", "job", "nodes"], found
    assert "named like worker-role of this stack, but cannot tell whether account 999988887777 is yours" in found["handler"]
    code, found = mandatory_057(project, program("role.arn", "role.arn",
                                                 '"arn:aws:iam::123456789012:role/worker-role"'))
    assert (code, found) == (0, {}), found
