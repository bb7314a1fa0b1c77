"""Issue 11 end to end: `agentid preview` with the shipped CI flags blocks an agent reading every credential of the
account (AGID-AWS-070: an AWS managed policy attached by ARN through the role's name Output, a role's
managedPolicyArns, an inline GetSecretValue on *) and a VM extension the gate has not reviewed (AGID-AZ-042: inline
in a scale set, and one whose type is unknown at preview); the look-alike program beside it (one named secret,
a read-only policy without credential reads, a scale set carrying only a monitoring agent) passes both rules.
The pack-level cases (every shape) are in tests/policy/test_pack_grpc_aws_credential_reads.py and
test_pack_grpc_azure_extension_allow_list.py."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

CI_FLAGS = ("--strict-unknowns", "--require-sandbox", "--json", "out.json")
RULES = ("AGID-AWS-070", "AGID-AZ-042")
COMMON = '''
import pulumi_azure_native as az

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"}}]})
role = aws.iam.Role("agent", assume_role_policy=TRUST, tags={"owner": "t"})


def scale_set(name, *extensions):
    return az.compute.VirtualMachineScaleSet(name, resource_group_name="rg", vm_scale_set_name=name,
                                             virtual_machine_profile={"extension_profile": {"extensions": list(extensions)}})


MONITOR = {"name": "ama", "publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorLinuxAgent",
           "type_handler_version": "1.0"}
'''
FLAGGED = COMMON + '''
aws.iam.RolePolicyAttachment("ssm-ro", role=role.name, policy_arn="arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess")
aws.iam.Role("managed", assume_role_policy=TRUST, tags={"owner": "t"},
             managed_policy_arns=["arn:aws:iam::aws:policy/AWSSecretsManagerClientReadOnlyAccess"])
aws.iam.RolePolicy("secrets", role=role.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
scale_set("agents", MONITOR, {"name": "x", "publisher": "Contoso.Automation", "type": "RemoteAgent",
                              "type_handler_version": "1.0"})
az.compute.VirtualMachineExtension("chosen-later", resource_group_name="rg", vm_name="vm1", publisher="Microsoft.Compute",
                                   type=unknown(), type_handler_version="1.0")
'''
LOOK_ALIKE = COMMON + '''
aws.iam.RolePolicyAttachment("s3-ro", role=role.name, policy_arn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
aws.iam.RolePolicy("one-secret", role=role.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
     "Resource": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:agent-token-AbCdEf"}]}))
scale_set("monitored", MONITOR)
'''


def _found(document: dict) -> list[tuple[str, str, bool]]:
    return sorted((v["policy"], v["resourceName"], v["mandatory"]) for rule in RULES for v in by_policy(document, rule))


def test_unbounded_credential_reads_and_unreviewed_extensions_block(project) -> None:
    write_small(project, FLAGGED)
    run = run_cli(project, *GUARD, *CI_FLAGS, timeout=300)
    assert run.code == 1, run.stdout + run.stderr
    assert _found(run.json("out.json")) == [
        ("AGID-AWS-070", "managed", True), ("AGID-AWS-070", "secrets", True), ("AGID-AWS-070", "ssm-ro", True),
        ("AGID-AZ-042", "agents", True), ("AGID-AZ-042", "chosen-later", True)]


def test_named_secrets_read_only_policies_and_reviewed_extensions_pass(project) -> None:
    write_small(project, LOOK_ALIKE)
    run = run_cli(project, *GUARD, *CI_FLAGS, timeout=300)
    assert run.code in (0, 1), run.stdout + run.stderr  # a verdict was reached
    document = run.json("out.json")
    assert {"s3-ro", "one-secret", "monitored"} <= {r["name"] for r in document["resources"]}
    assert _found(document) == []
