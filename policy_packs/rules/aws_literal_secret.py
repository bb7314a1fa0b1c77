"""AGID-AWS-007: no literal secret in a resource's inputs (the program, its state and every preview hold it).

Where secrets are stored or handed to agents:
  - Secrets Manager `SecretVersion`: secretString / secretStringWo / secretBinary;
  - SSM `Parameter`: value / valueWo / insecureValue (a SecureString's value is a secret by type;
    any other type is judged under its parameter name);
  - Lambda `Function`: environment.variables, each under its variable name;
  - Bedrock AgentCore `AgentcoreApiKeyCredentialProvider` (apiKey / apiKeyWo) and
    `AgentcoreOauth2CredentialProvider` (any *secret* member of oauth2ProviderConfig);
  - ECS `TaskDefinition`: each container's environment in containerDefinitions, under its variable name;
  - CodeBuild `SourceCredential`: token (a personal access token for GitHub, Bitbucket, GitLab);
  - CodeBuild `Project`: environment.environmentVariables of type PLAINTEXT (the default), under their names
    (PARAMETER_STORE / SECRETS_MANAGER entries hold a reference, not the value);
  - EC2 `Instance` / `LaunchTemplate` / `LaunchConfiguration` user data (`userData`, `userDataBase64`; a launch
    template's is base64), readable by anyone with ec2:DescribeInstanceAttribute and from the instance's
    metadata service (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html: "do not store
    sensitive data"). red7b f21 found keys in both passing;
  - every other AWS input that holds a credential (analysis/aws_secret_inputs.yaml, after the pulumi-aws schema's
    secret inputs and the AWS API reference): database and directory admin passwords (RDS, Aurora, Redshift,
    DocumentDB, Directory Service, OpenSearch master user, MQ users, DMS, FSx, ...), private keys (IAM server
    certificates, ACM imports, Transfer host keys), API keys and tokens (EventBridge connections, API Gateway keys,
    Amplify, Firehose, push channels) and Glue/MWAA/App Runner/CodePipeline settings scanned member by member.
    A field that is a secret by type is a literal whatever its content (red9a n28: `Winter2026!Secret#9`);
    manageMasterUserPassword or a Secrets Manager reference leaves no value there, so nothing to flag.
A value is a literal secret when it is known at preview and detect-secrets' detectors find a secret
in it (secret_scan.py). A value unknown at preview (generated, or read from another resource) is
not a literal; nor is the placeholder `agentid preview` sends for an encrypted stack-config secret.
Nor is a value the engine sent marked secret (engine_secrets: a config secret under `pulumi preview`,
or `Output.secret`): it is not in the program's source as far as the pack can tell, and it stays
encrypted in the state. Stored where anyone who can read the setting reads it (a Lambda or ECS
environment, an SSM String parameter), it is AGID-AWS-043's; in a secret store it is where it belongs.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from typing import Any

from agentid_policy_packs.analysis import aws_secret_inputs
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule
from .engine_secrets import SecretText, is_engine_secret
from .secret_scan import SecretByType, Unreadable, literal_secret_findings

SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
PARAMETER = "aws:ssm/parameter:Parameter"
FUNCTION = "aws:lambda/function:Function"
API_KEY_PROVIDER = "aws:bedrock/agentcoreApiKeyCredentialProvider:AgentcoreApiKeyCredentialProvider"
OAUTH2_PROVIDER = "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider"
SOURCE_CREDENTIAL = "aws:codebuild/sourceCredential:SourceCredential"  # a GitHub/Bitbucket token for CodeBuild
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
CODEBUILD_PROJECT = "aws:codebuild/project:Project"
# type -> (plain user-data input, base64 user-data input)
USER_DATA = {"aws:ec2/instance:Instance": ("userData", "userDataBase64"),
             "aws:ec2/launchTemplate:LaunchTemplate": (None, "userData"),
             "aws:ec2/launchConfiguration:LaunchConfiguration": ("userData", "userDataBase64")}
_MAX_USER_DATA = 64 * 1024  # EC2 takes 16 KB of raw user data; a larger value is not user data EC2 would run
PLACEHOLDER = "[secret: not decrypted by agentid preview]"  # agentid.preview.stack_config.SECRET_PLACEHOLDER
_MAX_DEPTH = 8
_NOT_JSON_LIST = Unreadable("not a JSON list of container definitions")  # not the list of containers ECS takes


def plaintext(resource: Resource, path: str) -> bool:
    """Is the input at `path` stored in the clear, readable by whoever may read the setting?

    Lambda environment variables (lambda:GetFunctionConfiguration), ECS container environments
    (ecs:DescribeTaskDefinition), an SSM parameter that is not a SecureString (ssm:GetParameter) and
    its insecureValue. Secrets Manager, SecureString, AgentCore credential providers and CodeBuild
    source credentials store the value encrypted for the purpose.
    """
    if resource.type in (FUNCTION, TASK_DEFINITION, CODEBUILD_PROJECT) or resource.type in USER_DATA:
        return True
    if resource.type == PARAMETER:
        return path == "insecureValue" or resource.props.get("type") != "SecureString"
    return False


def candidates(resource: Resource) -> Iterator[tuple[str, str, Any]]:
    """(path, key it is stored under, value) for every input that may hold a secret.

    Values taken out of a secret-marked container definition list are marked secret too.
    """
    marked = resource.type == TASK_DEFINITION and is_engine_secret(resource.props.get("containerDefinitions"))
    for path, key, value in _candidates(resource):
        yield path, key, SecretText(value) if marked and isinstance(value, str) else value


def _candidates(resource: Resource) -> Iterator[tuple[str, str, Any]]:
    """(path, key it is stored under, value) for every input that may hold a secret."""
    props = resource.props
    if resource.type == SECRET_VERSION:
        for field in ("secretString", "secretStringWo", "secretBinary"):
            yield field, "secret", props.get(field)
    elif resource.type == PARAMETER:
        name = props.get("name") if isinstance(props.get("name"), str) else resource.name
        key = "secret" if props.get("type") == "SecureString" else name.rsplit("/", 1)[-1]
        for field in ("value", "valueWo"):
            yield field, key, props.get(field)
        yield "insecureValue", name.rsplit("/", 1)[-1], props.get("insecureValue")
    elif resource.type == FUNCTION:
        environment = props.get("environment")
        variables = environment.get("variables") if isinstance(environment, Mapping) else None
        if isinstance(variables, Mapping):
            for variable, value in variables.items():
                yield f"environment.variables.{variable}", str(variable), value
        elif variables is not None and not is_unknown(variables):
            yield "environment.variables", "", variables  # not a map: reported as unreadable
    elif resource.type == API_KEY_PROVIDER:
        for field in ("apiKey", "apiKeyWo"):
            yield field, "api_key", props.get(field)
    elif resource.type == TASK_DEFINITION:
        yield from _container_environment(props.get("containerDefinitions"))
    elif resource.type == SOURCE_CREDENTIAL:
        yield "token", "token", props.get("token")
    elif resource.type == OAUTH2_PROVIDER:
        yield from _secret_members(props.get("oauth2ProviderConfig"), "oauth2ProviderConfig", 0)
    elif resource.type == CODEBUILD_PROJECT:
        environment = props.get("environment")
        variables = environment.get("environmentVariables") if isinstance(environment, Mapping) else None
        for index, entry in enumerate(variables if isinstance(variables, list) else []):
            if isinstance(entry, Mapping) and entry.get("type", "PLAINTEXT") == "PLAINTEXT":
                yield (f"environment.environmentVariables[{index}]", str(entry.get("name", "")), entry.get("value"))
    elif resource.type in USER_DATA:
        plain, encoded = USER_DATA[resource.type]
        if plain:
            yield plain, "user_data", props.get(plain)
        yield encoded, "user_data", _base64_text(props.get(encoded))
    else:
        for found in aws_secret_inputs.found(resource.type, props):
            value = Unreadable(found.shape) if found.shape else found.value
            yield found.path, found.key, SecretByType(value) if found.by_type and not found.shape else value


def _base64_text(value: Any) -> Any:
    """Base64 user data as the text EC2 runs; unknown and absent values as they are, the rest Unreadable."""
    if value is None or is_unknown(value) or not isinstance(value, str):
        return value
    try:
        raw = base64.b64decode(value[: _MAX_USER_DATA * 2], validate=True)
    except (binascii.Error, ValueError):
        return Unreadable("not base64")
    return raw[:_MAX_USER_DATA].decode("utf-8", "replace")


def _container_environment(value: Any) -> Iterator[tuple[str, str, Any]]:
    """ECS containerDefinitions (a JSON string: containers with environment [{name, value}])."""
    if value is None or is_unknown(value):
        return
    try:
        containers = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        containers = None
    if not isinstance(containers, list):
        yield "containerDefinitions", "", _NOT_JSON_LIST
        return
    for index, container in enumerate(containers):
        environment = container.get("environment") if isinstance(container, Mapping) else None
        for entry in environment if isinstance(environment, list) else []:
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                yield (f"containerDefinitions[{index}].environment.{entry['name']}", entry["name"],
                       entry.get("value"))


def _secret_members(value: Any, path: str, depth: int) -> Iterator[tuple[str, str, Any]]:
    if depth > _MAX_DEPTH or not isinstance(value, Mapping):
        return
    for key, item in value.items():
        if isinstance(item, Mapping):
            yield from _secret_members(item, f"{path}.{key}", depth + 1)
        elif "secret" in str(key).lower():
            yield f"{path}.{key}", "client_secret", item


def check(resource: Resource, config):
    yield from literal_secret_findings(resource, candidates(resource), "generate it (random.RandomPassword) or "
                                       "reference a secret stored elsewhere", PLACEHOLDER)

RULE = Rule(
    id="AGID-AWS-007",
    title="aws-no-literal-secrets",
    severity="critical",
    category="static-credential",
    description="No literal secret in Secrets Manager versions, SSM parameters, Lambda, ECS and CodeBuild "
                "environments, EC2 user data, AgentCore credential providers, CodeBuild source credentials or any "
                "other AWS input that holds a password, key or token (database, directory and broker admin "
                "passwords, private keys, API keys; detect-secrets, and fields that are secrets by type).",
    remediation="Generate the value at deployment (random.RandomPassword, manageMasterUserPassword) or store it "
                "out of band and pass its ARN; Lambda reads secrets from Secrets Manager at run time.",
    url="https://docs.aws.amazon.com/secretsmanager/latest/userguide/security_cli-exposure-risks.html",
    check=check,
    resource_types=(SECRET_VERSION, PARAMETER, FUNCTION, TASK_DEFINITION, API_KEY_PROVIDER, OAUTH2_PROVIDER,
                    SOURCE_CREDENTIAL, CODEBUILD_PROJECT, *USER_DATA, *aws_secret_inputs.resource_types()),
)
