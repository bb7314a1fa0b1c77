"""AGID-GEN-004 over gRPC: a literal credential in any input of any resource blocks (red11a 18, 21: AWS key pairs,
GitHub tokens and storage keys in AgentCore runtime env, Batch env, CloudFormation/ARM parameters, Glue arguments,
Step Functions definitions, Container Apps env, VM custom data ... passed because only documented secret fields
were read). detect-secrets decides; values are built here, never real credentials."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GEN-004"
# AWS's documented example key pair (IAM user guide), a GitHub token shape and a storage key shape built in place
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
GITHUB_TOKEN = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"
ARMOUR = "RSA " + "PRIVATE KEY"  # built in place: the tree holds no private-key armour (and no key at all)
PRIVATE_KEY = f"-----BEGIN {ARMOUR}-----\nMIIEow" + f"IBAAKCAQEA\n-----END {ARMOUR}-----"


def flagged(pack, type_: str, props: dict) -> list[str]:
    pack.configure({})
    resource = StackResource(type_, "r", urn(type_, "r"), props)
    return [d.message for d in pack.analyze_stack([resource])
            if d.policy_name == RULE and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize(("type_", "props", "path"), [
    ("aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime",
     {"environmentVariables": {"AWS_ACCESS_KEY_ID": AWS_KEY_ID, "AWS_SECRET_ACCESS_KEY": AWS_SECRET}},
     "environmentVariables.AWS_ACCESS_KEY_ID"),
    ("aws:batch/jobDefinition:JobDefinition",
     {"containerProperties": json.dumps({"environment": [{"name": "GH", "value": GITHUB_TOKEN}]})},
     "containerProperties.environment[0].value"),
    ("aws:cloudformation/stack:Stack", {"parameters": {"DeployKey": PRIVATE_KEY}}, "parameters.DeployKey"),
    ("aws:glue/job:Job", {"defaultArguments": {"--smtp-password": "Wint3r-is-c0ming!"}},
     "defaultArguments.--smtp-password"),
    ("azure-native:app:Job", {"template": {"containers": [{"env": [{"name": "DB_PASSWORD", "value": "Sup3r-s3cret!"}]}]}},
     "template.containers[0].env[0].value"),
    ("azure-native:resources:Deployment", {"properties": {"parameters": {"clientSecret": {"value": "Q8x~a1B2c3D4e5F6g7H8"}}}},
     "properties.parameters.clientSecret.value"),
    ("gcp:cloudfunctionsv2/function:Function",
     {"serviceConfig": {"environmentVariables": {"HOOK": "https://deploy:pa55w0rd-x@hooks.example.com/run"}}},
     "serviceConfig.environmentVariables.HOOK"),
    ("acme:index:Anything", {"notes": f"rotate {AWS_KEY_ID} soon"}, "notes"),  # a package no rule knows
    # red11a 18: a key under an enclosing secret's name, a value its mapping declares secret, base64 custom data,
    # an ARM deployment parameter holding a storage connection string
    ("azure-native:machinelearningservices:WorkspaceConnection",
     {"properties": {"authType": "ApiKey", "credentials": {"key": "3f9c2a7e8b1d4c6f9a0b2c4d6e8f0a1b"}}},
     "properties.credentials.key"),
    ("azure-native:apimanagement:NamedValue", {"displayName": "k", "secret": True, "value": "3f9c2a7e8b1d4c6f9a0b2c4d6e8f0a1b"},
     "value"),
    ("azure-native:compute:VirtualMachine",
     {"osProfile": {"customData": base64.b64encode(f"#!/bin/sh\nexport GH={GITHUB_TOKEN}\n".encode()).decode()}},
     "osProfile.customData (base64)"),
    ("azure-native:resources:Deployment",
     {"properties": {"parameters": {"k": {"value": "DefaultEndpointsProtocol=https;AccountName=prodst;AccountKey="
                                                   + "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6q7w8e9r0t1y2u3i4o5p6a7s8d9f0g1h2=="
                                                   + ";EndpointSuffix=core.windows.net"}}}},
     "properties.parameters.k.value"),
    # a field AGID-AWS-007 does not read on a type it judges
    ("aws:lambda/function:Function", {"description": f"deploys with {AWS_KEY_ID}"}, "description"),
    # red12 #2: cloud-init's gzip user data, base64 in 76-character lines, secret names the keyword list lacks
    ("aws:ec2/instance:Instance",
     {"userDataBase64": base64.b64encode(gzip.compress(f"#!/bin/sh\nexport GH={GITHUB_TOKEN}\n".encode())).decode()},
     "userDataBase64 (base64)"),
    ("aws:batch/jobDefinition:JobDefinition", {"containerProperties": json.dumps({"environment": [{"name": "BOOT",
     "value": base64.encodebytes(f"#!/bin/sh\n# {'padding ' * 12}\nexport GH={GITHUB_TOKEN}\n".encode()).decode()}]})},
     "containerProperties.environment[0].value (base64)"),
    ("aws:glue/job:Job", {"defaultArguments": {"SMTP_PW": "Wint3r-is-c0ming!"}}, "defaultArguments.SMTP_PW"),
    ("aws:glue/job:Job", {"defaultArguments": {"GPG_PASSPHRASE": "Wint3r-is-c0ming!"}}, "defaultArguments.GPG_PASSPHRASE"),
])
def test_a_literal_credential_anywhere_blocks(pack, type_, props, path):
    [message] = flagged(pack, type_, props)[:1]
    assert f"r: {path} holds a literal credential (detect-secrets: " in message
    for secret in (AWS_KEY_ID, AWS_SECRET, GITHUB_TOKEN, "Sup3r-s3cret!", "pa55w0rd"):
        assert secret not in message  # never the value


@pytest.mark.parametrize(("type_", "props"), [
    # references to where a secret is kept
    ("aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime",
     {"environmentVariables": {"DB_PASSWORD": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"}}),
    ("aws:cloudformation/stack:Stack", {"parameters": {"DbPassword": "{{resolve:secretsmanager:db:SecretString:pw}}"}}),
    ("azure-native:web:WebAppApplicationSettings",
     {"properties": {"DB_PASSWORD": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)"}}),
    # names that are not a secret's, values that are not credentials
    ("aws:cognito/userPoolClient:UserPoolClient", {"tokenValidityUnits": {"accessToken": "minutes"}}),
    ("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", {"minimumPasswordLength": 14, "passwordReusePrevention": 24}),
    ("aws:ecs/taskDefinition:TaskDefinition", {"family": "sha256:9b2a7c1e0f3d4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"}),
    ("aws:secretsmanager/secret:Secret", {"name": "db-password", "description": "the token for the reports API"}),
    ("azure-native:storage:StorageAccount", {"accountName": "streports", "kind": "StorageV2"}),
    # references and names under a secret's name: Cloud Run's Secret Manager reference, an auth type, a slug
    ("gcp:cloudrunv2/service:Service", {"template": {"containers": [{"envs": [
        {"name": "DB_PASSWORD", "valueSource": {"secretKeyRef": {"secret": "db-password", "version": "latest"}}}]}]}}),
    ("azure-native:machinelearningservices:WorkspaceConnection",
     {"properties": {"authType": "ManagedIdentity", "credentials": {"clientId": "11111111-2222-3333-4444-555555555555",
                                                                    "resourceId": "ManagedIdentity"}}}),
    ("azure-native:compute:VirtualMachine",
     {"osProfile": {"customData": base64.b64encode(b"#!/bin/sh\napt-get install -y nginx\n").decode()}}),
    ("aws:ec2/instance:Instance", {"tags": [{"key": "Environment", "value": "production"}]}),
    # wrapped base64 and gzip without a credential; a name ending like a secret's word holding a plain setting
    ("aws:ec2/instance:Instance",
     {"userDataBase64": base64.b64encode(gzip.compress(b"#!/bin/sh\napt-get install -y nginx\n")).decode()}),
    ("aws:batch/jobDefinition:JobDefinition", {"containerProperties": json.dumps({"environment": [{"name": "BOOT",
     "value": base64.encodebytes(b"#!/bin/sh\n" + b"echo hello world\n" * 8).decode()}]})}),
    ("aws:glue/job:Job", {"defaultArguments": {"PROXY_BYPASS": "localhost,169.254.169.254"}}),
    # the placeholder agentid preview sends for a `secure:` stack value, marked secret (config.require_secret)
    ("aws:glue/job:Job", {"defaultArguments": {"--password": {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": "[secret: not decrypted by agentid preview]"}}}),
])
def test_look_alikes_pass(pack, type_, props):
    assert flagged(pack, type_, props) == []


def test_a_type_with_its_own_literal_secret_rule_is_reported_once(pack):
    # aws:lambda/function:Function is AGID-AWS-007's: the same key there is one finding, not two
    pack.configure({})
    type_ = "aws:lambda/function:Function"
    resource = StackResource(type_, "fn", urn(type_, "fn"), {"environment": {"variables": {"KEY": AWS_KEY_ID}}})
    stack = [d.policy_name for d in pack.analyze_stack([resource]) if d.policy_name == RULE]
    assert stack == []


def test_a_components_registered_properties_are_judged(pack):
    # red12 #2: a component's properties are kept in the state like a resource's inputs
    pack.configure({})
    type_ = "acme:ci:Settings"
    component = StackResource(type_, "ci", urn(type_, "ci"), {"aws_access_key_id": AWS_KEY_ID}, custom=False)
    assert [d.urn for d in pack.analyze_stack([component]) if d.policy_name == RULE] == [component.urn]


# --- stack and component outputs (issue 11) --------------------------------------------------------------------
STACK = "pulumi:pulumi:Stack"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}  # Pulumi's secret signature


def secret(value):
    return {**SECRET, "value": value}


def stack_messages(pack, outputs: dict, type_: str = STACK, name: str = "proj-dev") -> list[tuple[str, str, str]]:
    """(level, URN, message) of each GEN-004 finding on a stack (or component) resource holding `outputs`."""
    pack.configure({})
    resource = StackResource(type_, name, urn(type_, name), outputs, custom=False)
    return [(d.enforcement_level, d.urn, d.message.rsplit("\n", 1)[-1]) for d in pack.analyze_stack([resource])
            if d.policy_name == RULE]


@pytest.mark.parametrize(("outputs", "path", "kind"), [
    ({"key": AWS_KEY_ID}, "key", "AWS Access Key"),  # pulumi.export("key", "AKIA...")
    ({"deploy": {"user": "ci", "credentials": [{"token": GITHUB_TOKEN}]}}, "deploy.credentials[0].token", "GitHub Token"),
    ({"db": {"admin_password": "Xk9#mQ2v!pLr"}}, "db.admin_password", "Secret Keyword"),
    ({"settings": json.dumps({"AWS_SECRET_ACCESS_KEY": AWS_SECRET})}, "settings.AWS_SECRET_ACCESS_KEY", "Base64 High Entropy String"),
    # red14 r14-4: the credential as a mapping KEY, and a password in a URL's userinfo (a character detect-secrets'
    # Basic Auth pattern does not take)
    ({"pair": {AWS_KEY_ID: "x"}}, f"pair.{AWS_KEY_ID} (key)", "AWS Access Key"),
    ({"db_url": "postgres://admin:S3cr3tP4ssw0rd!@db.example.com:5432/app"}, "db_url", "URL userinfo password"),
])
def test_a_literal_credential_in_a_stack_output_blocks(pack, outputs, path, kind):
    [(level, urn_, message)] = stack_messages(pack, outputs)
    assert level == "mandatory" and urn_ == urn(STACK, "proj-dev"), message
    prefix = f"[static-credential] stack output {path} holds a literal credential (detect-secrets: "
    assert message.startswith(prefix) and kind in message[len(prefix):].split(")")[0], message
    assert message.endswith("not marked secret: it is written in plain text to the state and printed by `pulumi stack "
                            "output` and in CI logs; export a reference, or wrap it in pulumi.Output.secret"), message


def test_a_config_secret_taken_out_of_its_wrapper_blocks(pack):
    """red14 r14-15: `pulumi.Output.unsecret(config.require_secret("db"))` exported (or put in a plain input): the gate
    hands the program the placeholder, marked secret; unmarked, the real value would be plain in the state."""
    from agentid.preview.stack_config import SECRET_PLACEHOLDER

    [(level, _, message)] = stack_messages(pack, {"db_password": SECRET_PLACEHOLDER})
    assert level == "mandatory", message
    assert "db_password holds a stack-config secret in plain text" in message, message
    assert stack_messages(pack, {"db_password": secret(SECRET_PLACEHOLDER)}) == []


def test_a_components_registered_outputs_are_judged(pack):
    [(level, urn_, message)] = stack_messages(pack, {"outputs": {"keys": [AWS_KEY_ID]}}, "acme:ci:Deployer", "ci")
    assert (level, urn_) == ("mandatory", urn("acme:ci:Deployer", "ci"))
    assert message.startswith("[static-credential] component ci: outputs.keys[0] holds a literal credential"), message


@pytest.mark.parametrize("outputs", [
    # the same credentials marked secret (pulumi.Output.secret, additional_secret_outputs): encrypted in the state
    {"key": secret(AWS_KEY_ID)},
    {"deploy": secret({"user": "ci", "credentials": [{"token": GITHUB_TOKEN}]})},
    {"db": {"admin_password": secret("Xk9#mQ2v!pLr")}},
    # what stacks export: ARNs, ids, URLs, names, a key's id-less metadata
    {"role_arn": "arn:aws:iam::123456789012:role/agent", "bucket": "reports-7f3a9c",
     "client_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "token_url": "https://auth.example.com/oauth2/token",
     "secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
     "key_vault_secret": "https://kv-prod.vault.azure.net/secrets/db-password", "password_length": 24,
     "apiToken": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
    # URLs with a user and no password, or a template in the password's place
    {"db_url": "postgres://admin@db.example.com:5432/app", "tpl": "postgres://admin:${DB_PASSWORD}@db:5432/app",
     "doc": "https://user:<password>@host.example.com/"},
])
def test_secret_outputs_and_references_pass(pack, outputs):
    assert stack_messages(pack, outputs) == []


# --- a stack-config secret with its secret marking removed, in a resource input (red14 r14-15) --------------------
CONFIG_SECRET = "[secret: not decrypted by agentid preview]"  # agentid.preview.stack_config.SECRET_PLACEHOLDER


@pytest.mark.parametrize(("type_", "props", "path"), [
    # Output.unsecret(config.require_secret("dbpass")) into a String parameter (ssm:GetParameter reads it plain)
    ("aws:ssm/parameter:Parameter", {"name": "/public/x", "type": "String", "value": CONFIG_SECRET}, "value"),
    # a SecureString's insecureValue is stored plain
    ("aws:ssm/parameter:Parameter", {"name": "/x", "type": "SecureString", "insecureValue": CONFIG_SECRET},
     "insecureValue"),
    # transformed: upper-cased in an apply, embedded in other text, in a JSON document, in a tag
    ("aws:sqs/queue:Queue", {"tags": {"note": CONFIG_SECRET.upper()}}, "tags.note"),
    ("aws:glue/job:Job", {"defaultArguments": {"--dsn": f"postgres://app:{CONFIG_SECRET}@db:5432/x"}},
     "defaultArguments.--dsn"),
    ("aws:lambda/function:Function", {"environment": {"variables": {"DB": "pw=" + CONFIG_SECRET}}},
     "environment.variables.DB"),
    ("aws:batch/jobDefinition:JobDefinition",
     {"containerProperties": json.dumps({"environment": [{"name": "DB_PASSWORD", "value": CONFIG_SECRET}]})},
     "containerProperties.environment[0].value"),
    ("aws:ec2/instance:Instance", {"userDataBase64": base64.b64encode(f"PW={CONFIG_SECRET}\n".encode()).decode()},
     "userDataBase64 (base64)"),
    ("azure-native:web:WebAppApplicationSettings", {"name": "app", "properties": {"DB": CONFIG_SECRET}},
     "properties.DB"),
])
def test_a_config_secret_unmarked_in_a_resource_input_blocks(pack, type_, props, path):
    [message] = flagged(pack, type_, props)
    assert message.rsplit("\n", 1)[-1] == (
        f"[static-credential] r: {path} holds a stack-config secret in plain text (its secret marking was removed): "
        "the real value lands unencrypted in the state, the resource's settings, stack outputs and CI logs; keep it "
        "an Output marked secret (config.require_secret, pulumi.Output.secret, no Output.unsecret)")


@pytest.mark.parametrize(("type_", "props"), [
    # the same value marked secret, wherever it goes
    ("aws:ssm/parameter:Parameter", {"name": "/public/x", "type": "String", "value": secret(CONFIG_SECRET)}),
    ("aws:sqs/queue:Queue", {"tags": {"note": secret(CONFIG_SECRET.upper())}}),
    ("aws:lambda/function:Function", {"environment": {"variables": {"DB": secret("pw=" + CONFIG_SECRET)}}}),
    # unmarked, but where the service stores it encrypted for the purpose: a SecureString, a Secrets Manager version
    ("aws:ssm/parameter:Parameter", {"name": "/x", "type": "SecureString", "value": CONFIG_SECRET}),
    ("aws:secretsmanager/secretVersion:SecretVersion", {"secretId": "s", "secretString": CONFIG_SECRET}),
    # text that only mentions the gate
    ("aws:sqs/queue:Queue", {"tags": {"note": "secrets are not decrypted by the gate (agentid preview)"}}),
])
def test_a_config_secret_marked_or_stored_encrypted_passes(pack, type_, props):
    assert flagged(pack, type_, props) == []


def test_a_fleets_inventory_output_is_judged_whole(pack):
    """Issue 17's 200-agent fleet: the stack's inventory output holds ~24,000 strings, none a credential. The cap
    bounds the detectors' time, not plain strings, so it passes; a key after them is still found."""
    inventory = {f"agent-{i}": {"owner": f"team-{i}@acme.example",
                                "roleArn": f"arn:aws:iam::111122223333:role/agent-{i}",
                                "tools": [{"name": f"tool-{j}", "resource": f"arn:aws:s3:::bucket-{i}-{j}/*"}
                                          for j in range(40)]} for i in range(200)}
    assert stack_messages(pack, {"inventory": inventory}) == []
    [(level, _urn, message)] = stack_messages(pack, {"inventory": inventory, "zz": {"key": AWS_KEY_ID}})
    assert level == "mandatory" and "stack output zz.key holds a literal credential" in message, message


def test_past_the_detectors_budget_it_fails_closed(pack):
    """More strings that look like secrets than the detectors are asked about (MAX_ASKED, a time bound): the
    resource is judged on the first ones and says so, as a mandatory finding."""
    from agentid_policy_packs.rules.literal_credential_anywhere import MAX_ASKED
    # named as secrets, so each is asked; shaped as slugs, so none is a finding of its own
    letters = str.maketrans("0123456789", "abcdefghij")
    outputs = {"db": [{"password": f"dbpassword{i:06d}".translate(letters)} for i in range(MAX_ASKED + 1)]}
    [found] = stack_messages(pack, outputs)
    assert found == ("mandatory", urn(STACK, "proj-dev"),
                         f"[static-credential] proj-dev: holds over {MAX_ASKED:,} strings that look like secrets; only "
                         "the first were checked for literal credentials: split it or waive with a reason"), found[-1]


def test_an_answer_of_thousands_of_findings_reaches_the_gate(pack):
    """A pack's answer larger than gRPC's 4 MB default (here ~6,000 findings) is taken, as the engine takes it (400 MB)."""
    outputs = {"db": [{"password": f"Pw-{i:06d}!x"} for i in range(6_000)]}
    found = stack_messages(pack, outputs)
    assert len(found) == 6_000 and all(level == "mandatory" for level, _urn, _message in found)
