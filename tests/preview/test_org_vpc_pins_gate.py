"""End to end (`agentid preview`): a grant pinned to an organization or VPC endpoint the gate does not list blocks
(red15 r15-7).

The repro: a role trusting {"AWS": "*"} for aws:PrincipalOrgID o-attacker000, a bucket policy and a Lambda
permission for the same organization, a secret readable from a VPC endpoint vpce-0feedfacefeedface, each passed with
`--own-account`. The gate's `--own-organization` / `--own-vpc-endpoint` list the own ones; the stack file cannot add
to them; a pin to the VPC endpoint the stack itself creates (its id, an Output) passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, carry_pack_config, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

ORG, ENDPOINT = "o-attacker000", "vpce-0feedfacefeedface"
PROGRAM = f'''
def pol(*st):
    return json.dumps({{"Version": "2012-10-17", "Statement": list(st)}})
ops = aws.iam.Role("ops", assume_role_policy=pol({{"Effect": "Allow", "Principal": {{"AWS": "*"}},
    "Action": "sts:AssumeRole", "Condition": {{"StringEquals": {{"aws:PrincipalOrgID": "{ORG}"}}}}}}))
aws.s3.BucketPolicy("data", bucket="acme-data", policy=pol({{"Effect": "Allow", "Principal": "*",
    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-data/*",
    "Condition": {{"StringEquals": {{"aws:PrincipalOrgID": "{ORG}"}}}}}}))
aws.secretsmanager.SecretPolicy("db", secret_arn="arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
    policy=pol({{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": {{"StringEquals": {{"aws:SourceVpce": "{ENDPOINT}"}}}}}}))
aws.lambda_.Permission("invoke", action="lambda:InvokeFunction",
    function="arn:aws:lambda:us-east-1:111122223333:function:f", principal="*", principal_org_id="{ORG}")
# look-alike: a secret readable only through the VPC endpoint this stack creates
endpoint = aws.ec2.VpcEndpoint("agent-endpoint", vpc_id="vpc-0a1b2c3d", service_name="com.amazonaws.us-east-1.secretsmanager")
aws.secretsmanager.SecretPolicy("own-db", secret_arn="arn:aws:secretsmanager:us-east-1:111122223333:secret:own-AbCdEf",
    policy=endpoint.id.apply(lambda vpce: pol({{"Effect": "Allow", "Principal": "*",
        "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {{"StringEquals": {{"aws:SourceVpce": vpce}}}}}})))
'''
PIN_RULES = ("AGID-AWS-030", "AGID-AWS-034")


def pin_findings(run) -> list[tuple[str, str, bool]]:
    return sorted((v["policy"], v["resourceName"], v["mandatory"]) for v in run.json("out.json")["violations"]
                  if v["policy"] in PIN_RULES)


def test_a_grant_to_an_organization_or_endpoint_the_gate_does_not_list_blocks(project: Path) -> None:
    write_small(project, PROGRAM)
    run = run_cli(project, *GUARD, "--own-account", "111122223333", "--json", "out.json")
    assert run.code == 1, run.stdout + run.stderr
    assert pin_findings(run) == [("AGID-AWS-030", "data", True), ("AGID-AWS-030", "db", True),
                                 ("AGID-AWS-030", "ops", True), ("AGID-AWS-034", "invoke", True)]
    messages = " ".join(v["message"] for v in run.json("out.json")["violations"] if v["policy"] in PIN_RULES)
    assert f"cannot tell whether organization {ORG} is yours" in messages
    assert f"cannot tell whether VPC endpoint {ENDPOINT} is yours" in messages

    # the stack file cannot list them; the gate's flags can
    carry_pack_config(project, f'all: {{ownOrganizationIds: ["{ORG}"], ownVpcEndpointIds: ["{ENDPOINT}"]}}\n')
    run = run_cli(project, *GUARD, "--own-account", "111122223333", "--json", "out.json")
    assert run.code == 1 and len(pin_findings(run)) == 4, run.stdout + run.stderr
    run = run_cli(project, *GUARD, "--own-account", "111122223333", "--own-organization", ORG,
                  "--own-vpc-endpoint", ENDPOINT, "--json", "out.json")
    assert pin_findings(run) == [], run.stdout + run.stderr
    config = run.json("out.json")["policyPacks"][0]["config"]
    assert config["AGID-AWS-030"]["ownOrganizationIds"] == [ORG]
    assert config["AGID-AWS-034"]["ownOrganizationIds"] == [ORG]


def test_bad_own_organization_values_are_one_line_errors(project: Path) -> None:
    write_small(project, PROGRAM)
    run = run_cli(project, *GUARD, "--own-organization", "acme")
    assert run.code == 2
    assert "--own-organization 'acme': not an id of that kind" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
