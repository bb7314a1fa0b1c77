"""`agentid preview` end to end on forged outputs (issue 11, red14 r14-5): a raw `pulumi.CustomResource` whose INPUTS
carry an output the provider computes (`id`, `arn`, `clientId`) used to become, through the mock's echo, the output
every link proof trusts, so a foreign object (an org's policy assignment, an existing admin function, another
tenant's app) "was the stack's". Now the input is never the output and AGID-GEN-007 blocks it; the typed SDK
spellings (`client_id` IS an input of azuread.ServicePrincipal) pass."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

RULES = {"AGID-GEN-007", "AGID-AZ-063", "AGID-AZ-064", "AGID-AWS-057"}
AZURE_FORGED = """import pulumi, pulumi_azure_native as an
ID = "/providers/Microsoft.Management/managementGroups/acme/providers/Microsoft.Authorization/policyAssignments/deny-public"
pulumi.CustomResource("azure-native:authorization:PolicyAssignment", "decoy",
    {"scope": "/subscriptions/00000000-0000-0000-0000-000000000001", "policyAssignmentName": "decoy", "id": ID,
     "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/34c877ad-507e-4c82-993e-3452a6e0ad3c"})
an.authorization.PolicyExemption("ex", policy_exemption_name="ex", scope="/subscriptions/00000000-0000-0000-0000-000000000001",
    policy_assignment_id=ID, exemption_category="Waiver")
"""
AWS_FORGED = """import json, pulumi, pulumi_aws as aws
F = "arn:aws:lambda:us-east-1:111122223333:function:prod-admin-fn"
harmless = aws.iam.Role("harmless", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
pulumi.CustomResource("aws:lambda/function:Function", "decoy", {"arn": F, "role": harmless.arn,
    "runtime": "python3.12", "handler": "h.h"})
aws.cloudwatch.EventTarget("et", rule="r", arn=F)
"""
ENTRA_FORGED = """import pulumi, pulumi_azuread as azuread
FOREIGN = "11111111-2222-3333-4444-555555555555"
api = azuread.Application("api", display_name="api", api={"oauth2_permission_scopes": [{"id": "00000000-0000-0000-0000-0000000000aa", "value": "all", "enabled": True, "admin_consent_description": "d", "admin_consent_display_name": "d", "type": "User"}]})
pulumi.CustomResource("azuread:index/application:Application", "decoy", {"displayName": "decoy", "clientId": FOREIGN})
azuread.ApplicationPreAuthorized("pa", application_id=api.id, authorized_client_id=FOREIGN, permission_ids=["00000000-0000-0000-0000-0000000000aa"])
"""
# look-alikes: the typed SDK spellings of the same links, to the stack's own objects
AWS_OWN = """import json, pulumi_aws as aws
role = aws.iam.Role("harmless", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
fn = aws.lambda_.Function("fn", role=role.arn, runtime="python3.12", handler="h.h")
aws.cloudwatch.EventTarget("et", rule="r", arn=fn.arn)
"""
ENTRA_OWN = """import pulumi_azuread as azuread
api = azuread.Application("api", display_name="api", api={"oauth2_permission_scopes": [{"id": "00000000-0000-0000-0000-0000000000aa", "value": "all", "enabled": True, "admin_consent_description": "d", "admin_consent_display_name": "d", "type": "User"}]})
client = azuread.Application("client", display_name="client")
azuread.ServicePrincipal("client-sp", client_id=client.client_id)
azuread.ApplicationPreAuthorized("pa", application_id=api.id, authorized_client_id=client.client_id, permission_ids=["00000000-0000-0000-0000-0000000000aa"])
"""


def _findings(result):
    return {(v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
            if v["policy"] in RULES}


def _preview(tmp_path, program):
    tmp_path.mkdir()
    return run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "gate.json")


def test_outputs_forged_through_a_raw_custom_resources_inputs_block(tmp_path):
    azure = _preview(tmp_path / "azure", AZURE_FORGED)
    assert azure.code == 1, azure.stdout + azure.stderr
    assert _findings(azure) == {("decoy", "AGID-GEN-007", True), ("ex", "AGID-AZ-064", True)}
    aws = _preview(tmp_path / "aws", AWS_FORGED)
    assert aws.code == 1, aws.stdout + aws.stderr
    # the decoy has no name input: the ARN alone named it, so the event target's function is no longer the stack's
    assert _findings(aws) == {("decoy", "AGID-GEN-007", True), ("et", "AGID-AWS-057", True)}
    entra = _preview(tmp_path / "entra", ENTRA_FORGED)
    assert entra.code == 1, entra.stdout + entra.stderr
    assert _findings(entra) == {("decoy", "AGID-GEN-007", True), ("pa", "AGID-AZ-063", True)}


def test_the_typed_sdk_spellings_of_the_same_links_pass_those_rules(tmp_path):
    for name, program in (("aws", AWS_OWN), ("entra", ENTRA_OWN)):
        result = _preview(tmp_path / name, program)
        assert result.code in (0, 1), result.stdout + result.stderr
        assert _findings(result) == set(), (name, result.json("gate.json")["violations"])
