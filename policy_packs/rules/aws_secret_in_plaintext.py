"""AGID-AWS-043: a value Pulumi keeps secret is not stored where any reader of the setting sees it in the clear.

A config secret (`pulumi config set --secret`, read with `config.require_secret`) or an
`Output.secret` reaches the engine marked secret: encrypted in the stack file and the state. The
provider then writes it where the service stores it. In a Lambda function's environment variables
(returned by lambda:GetFunctionConfiguration, shown in the console), an ECS task definition's
container environment (ecs:DescribeTaskDefinition) or an SSM parameter that is not a SecureString
(ssm:GetParameter; `insecureValue` of any parameter), everyone allowed to read the setting reads
the secret: Pulumi's encryption ends at the provider. AWS: "we recommend that you don't store
sensitive information in environment variables" (https://docs.aws.amazon.com/lambda/latest/dg/
configuration-envvars.html#configuration-envvars-encryption), and "Amazon ECS ... pass sensitive data
with Secrets Manager or Parameter Store" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/
specifying-sensitive-data.html).

This is not AGID-AWS-007 (a literal secret in the program's source): the pack cannot tell a config
secret from `Output.secret("...")`, and `agentid preview` never decrypts config secrets, so a literal
behind Output.secret is still caught there. Secret stores (Secrets Manager, SecureString, AgentCore
credential providers, CodeBuild source credentials) are where such a value belongs: not flagged.
Marks come from the engine's secret wrapper (engine_secrets.py); a rule called without the pack sees none.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .aws_literal_secret import (
    FUNCTION,
    PARAMETER,
    TASK_DEFINITION,
    candidates,
    plaintext,
)
from .base import Resource, Rule, Violation
from .engine_secrets import is_engine_secret

_READERS = {FUNCTION: "lambda:GetFunctionConfiguration", TASK_DEFINITION: "ecs:DescribeTaskDefinition",
            PARAMETER: "ssm:GetParameter"}


def check(resource: Resource, config):
    if resource.type not in _READERS:
        return
    for path, _key, value in candidates(resource):
        if not is_engine_secret(value) or is_unknown(value) or not value.strip() or not plaintext(resource, path):
            continue
        yield Violation(f"{resource.name}: {path} holds a value Pulumi keeps secret (a config secret or "
                        f"Output.secret), but stores it in plaintext: anyone allowed {_READERS[resource.type]} reads "
                        "it, and consoles show it; keep it in Secrets Manager (or an SSM SecureString) and pass "
                        "its ARN, read at run time")


RULE = Rule(
    id="AGID-AWS-043",
    title="aws-secret-not-in-plaintext-setting",
    severity="high",
    category="static-credential",
    description="Values Pulumi keeps secret (config secrets, Output.secret) are not stored in Lambda or ECS "
                "environments or non-SecureString SSM parameters, where every reader of the setting sees them.",
    remediation="Store the secret in Secrets Manager (or an SSM SecureString), pass its ARN in the environment "
                "(ECS: containerDefinitions[].secrets) and read it at run time with the function's or task's role.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-encryption",
    check=check,
    resource_types=(FUNCTION, TASK_DEFINITION, PARAMETER),
)
