"""`agentid preview` end to end on a literal name taken as the stack's own object (issue 11).

A typed decoy matched by name: the stack's `aws.lambda_.Function("decoy", name="prod-admin-fn", ...)` fails to create
when a function `prod-admin-fn` exists, while an EventBridge target naming
`arn:aws:lambda:eu-west-1:<own account>:function:prod-admin-fn` by a LITERAL, not waiting for the decoy, is created
pointing at the existing function: it blocks (AGID-AWS-057). The same target linked by Output (`fn.arn`), or by the
literal with `depends_on` the function (a failed create of the function then stops the target), passes.
"""

from __future__ import annotations

import pytest

from agentid.mock_provider import MOCK_ACCOUNT

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

ROLE = f"""import json
import pulumi
import pulumi_aws as aws
role = aws.iam.Role("fn-role", name="fn-role", assume_role_policy=json.dumps({{"Version": "2012-10-17", "Statement": [
    {{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {{"Service": "lambda.amazonaws.com"}}}}]}}))
fn = aws.lambda_.Function("decoy", name="prod-admin-fn", role=role.arn, package_type="Image",
    image_uri="public.ecr.aws/lambda/python:3.12")
rule = aws.cloudwatch.EventRule("tick", schedule_expression="rate(1 hour)")
"""
LITERAL = f"arn:aws:lambda:eu-west-1:{MOCK_ACCOUNT}:function:prod-admin-fn"
DECOY = ROLE + f'aws.cloudwatch.EventTarget("target", rule=rule.name, arn="{LITERAL}")\n'
BY_OUTPUT = ROLE + 'aws.cloudwatch.EventTarget("target", rule=rule.name, arn=fn.arn)\n'
ORDERED = ROLE + (f'aws.cloudwatch.EventTarget("target", rule=rule.name, arn="{LITERAL}",\n'
                  '    opts=pulumi.ResourceOptions(depends_on=[fn]))\n')


def _preview(tmp_path, program):
    tmp_path.mkdir()
    return run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "gate.json")


def _violations(result):
    """The mandatory findings (the role's inventory tags are advisory and beside the point)."""
    return sorted((v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
                  if v["mandatory"])


def test_a_literal_naming_a_typed_decoy_it_does_not_wait_for_blocks(tmp_path):
    result = _preview(tmp_path / "decoy", DECOY)
    assert result.code == 1, result.stdout + result.stderr
    # AGID-AWS-064 too (red17 r17-1): a literal in the mocks' placeholder account is that account's function
    assert _violations(result) == [("target", "AGID-AWS-057", True), ("target", "AGID-AWS-064", True)]
    message = next(v["message"] for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-AWS-057")
    assert "named like decoy of this stack, but it does not depend on it" in message


def test_the_same_target_linked_by_output_passes(tmp_path):
    result = _preview(tmp_path / "own", BY_OUTPUT)
    assert result.code == 0, result.stdout + result.stderr
    assert _violations(result) == []


def test_ordered_after_the_function_the_literal_is_still_the_mocks_account(tmp_path):
    """AGID-AWS-057 takes the literal ordered after the stack's function as that function; but the literal is written
    in the gate mocks' placeholder account (123456789012), which at deployment is that account's function, not the
    stack's: AGID-AWS-064 (red17 r17-1; a real `pulumi preview` cannot tell the account either)."""
    result = _preview(tmp_path / "ordered", ORDERED)
    assert _violations(result) == [("target", "AGID-AWS-064", True)], result.stdout
    message = next(v["message"] for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-AWS-064")
    assert "it is the gate mocks' placeholder account, written as a literal" in message


# A logical name taken as the physical name: Pulumi autonames a role without a `name` input
# `deploy-admin-<7 random hex>`, so the literal `role/deploy-admin` names an EXISTING role of that name, even from a
# function that depends on the stack's role. The gate's mocks autoname as Pulumi does (agentid.mock_provider.autoname).
def _runner(role_args: str, function_role: str) -> str:
    trust = ('json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", '
             '"Principal": {"Service": "lambda.amazonaws.com"}}]})')
    return f"""import json
import pulumi
import pulumi_aws as aws
role = aws.iam.Role("deploy-admin", {role_args}assume_role_policy={trust})
fn = aws.lambda_.Function("fn", name="deploy-fn", role={function_role}, package_type="Image",
    image_uri="public.ecr.aws/lambda/python:3.12", opts=pulumi.ResourceOptions(depends_on=[role]))
aws.lambda_.Invocation("go", function_name=fn.name, input="{{}}")
"""


ROLE_LITERAL = f'"arn:aws:iam::{MOCK_ACCOUNT}:role/deploy-admin"'


def test_a_literal_equal_to_an_autonamed_roles_logical_name_is_not_that_role(tmp_path):
    result = _preview(tmp_path / "autonamed", _runner("", ROLE_LITERAL))
    assert result.code == 1, result.stdout + result.stderr
    assert _violations(result) == [("fn", "AGID-AWS-057", True)]
    message = next(v["message"] for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-AWS-057")
    assert f"fn runs its code as role arn:aws:iam::{MOCK_ACCOUNT}:role/deploy-admin (role), which this stack does " \
           "not define" in message


@pytest.mark.parametrize(("role_args", "function_role"), [('name="deploy-admin", ', ROLE_LITERAL), ("", "role.arn")],
                         ids=["explicit_name", "output"])
def test_the_role_named_explicitly_or_linked_by_output_passes(tmp_path, role_args, function_role):
    result = _preview(tmp_path / "own", _runner(role_args, function_role))
    assert result.code == 0, result.stdout + result.stderr
    assert _violations(result) == []


def test_a_literal_of_the_roles_predictable_autoname_is_not_that_role(tmp_path):
    """The same class as autonamed buckets (agentid/preview/autonames.py): the gate's mocks draw the autoname's suffix
    with a per-run key, so the name a deterministic scheme gives `deploy-admin` (which any program can compute),
    written as a literal, is another role; `role.arn` (above) passes."""
    from agentid.mock_provider import autoname

    predicted = autoname("aws:iam/role:Role", "deploy-admin", {}, "name", None)
    result = _preview(tmp_path / "predicted", _runner("", f'"arn:aws:iam::{MOCK_ACCOUNT}:role/{predicted}"'))
    assert result.code == 1, result.stdout + result.stderr
    assert _violations(result) == [("fn", "AGID-AWS-057", True)]
    message = next(v["message"] for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-AWS-057")
    assert f"fn runs its code as role arn:aws:iam::{MOCK_ACCOUNT}:role/{predicted} (role), which this stack does " \
           "not define" in message
