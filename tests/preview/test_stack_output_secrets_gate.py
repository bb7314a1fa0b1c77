"""issue 11 end to end: `agentid preview` judges the stack's outputs and components' registered outputs the way
`pulumi preview --policy-pack` does (the engine sends the root stack resource with its outputs, and each component
with its registered outputs, to AnalyzeStack). A literal credential exported in plain text (`pulumi.export("key",
"AKIA...")`, nested in a dict or list output, or registered by a component) blocks (AGID-GEN-004); the same values
marked secret (pulumi.Output.secret, a secret nested in a dict) and plain ARNs / ids / URLs pass."""

from __future__ import annotations

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_azure_red7b_gate import CI_FLAGS
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

# AWS's documented example key pair (IAM user guide) and a GitHub token shape, built in place: no real credential
HEADER = '''
import pulumi
KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
TOKEN = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"
class Deployer(pulumi.ComponentResource):
    def __init__(self, name, outputs):
        super().__init__("acme:ci:Deployer", name, {})
        self.register_outputs(outputs)
'''
LEAKS = HEADER + '''
pulumi.export("key", KEY_ID)
pulumi.export("ci", {"user": "deploy", "tokens": [TOKEN]})
Deployer("leaky", {"access_key_id": KEY_ID})
'''
SECRET_OR_PLAIN = HEADER + '''
pulumi.export("key", pulumi.Output.secret(KEY_ID))
pulumi.export("ci", {"user": "deploy", "tokens": [pulumi.Output.secret(TOKEN)]})
pulumi.export("role_arn", "arn:aws:iam::123456789012:role/agent")
pulumi.export("endpoints", {"token_url": "https://auth.example.com/oauth2/token", "client_id": "0f8fad5b-d9cb-469f-a165-70867728950e"})
Deployer("sealed", {"access_key_id": pulumi.Output.secret(KEY_ID), "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"})
'''


def gen004(project, program: str) -> tuple[int, list[tuple[str, bool, str]]]:
    write_small(project, program)
    run = run_cli(project, *GUARD, *CI_FLAGS)
    report = run.json("out.json")
    return run.code, sorted((v["urn"].rsplit("::", 2)[-2].rsplit("$", 1)[-1], v["mandatory"], v["message"])
                            for v in by_policy(report, "AGID-GEN-004"))


def test_literal_credentials_in_stack_and_component_outputs_block(project) -> None:
    code, found = gen004(project, LEAKS)
    assert code == 1
    assert [(type_, mandatory, message.split(" holds ")[0]) for type_, mandatory, message in found] == [
        ("acme:ci:Deployer", True, "[static-credential] component leaky: access_key_id"),
        ("pulumi:pulumi:Stack", True, "[static-credential] stack output ci.tokens[0]"),
        ("pulumi:pulumi:Stack", True, "[static-credential] stack output key"),
    ], found


def test_secret_outputs_and_references_pass(project) -> None:
    code, found = gen004(project, SECRET_OR_PLAIN)
    assert found == [] and code == 0, found
