"""AGID-AWS-045: no service-specific static key: API keys, bucket access keys, SFTP keys, SCRAM and SIP passwords.

Beside IAM users' credentials (AGID-AWS-001/002/005), several services mint their own long-lived secret
that a caller presents instead of a role session. Each one below is a key the stack creates and hands to
whoever reads it; none is bound to a workload's identity, and most live until deleted:
  - API Gateway `ApiKey` (a literal `value` or one AWS generates): AWS: "Don't use API keys for authentication
    or authorization to control access to your APIs" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html);
  - AppSync `ApiKey`: the API_KEY authorization mode, up to 365 days (https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#api-key-authorization);
  - Managed Grafana `WorkspaceApiKey` / `WorkspaceServiceAccountToken`: bearer tokens with a VIEWER, EDITOR or
    ADMIN role, up to 30 days (https://docs.aws.amazon.com/grafana/latest/userguide/service-accounts.html);
  - Lightsail `BucketAccessKey`: an access key id and secret for one bucket, no expiry
    (https://docs.aws.amazon.com/lightsail/latest/userguide/amazon-lightsail-creating-bucket-access-keys.html);
  - Transfer Family `SshKey`: an SFTP user's SSH key, no expiry (the user's role does the S3/EFS access);
  - MSK `ScramSecretAssociation` / `SingleScramSecretAssociation`: SASL/SCRAM user names and passwords from
    Secrets Manager, instead of IAM access control (https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html);
  - Chime `VoiceConnectorTerminationCredentials`: SIP user names and passwords.
A disabled key (`enabled: false`) is still flagged: it is one API call from active.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation

# type token -> (what it is, input naming what it unlocks, what to use instead)
KINDS = {
    "aws:apigateway/apiKey:ApiKey": ("an API Gateway API key", "name", "AWS_IAM (SigV4) or a JWT/Cognito authorizer"),
    "aws:appsync/apiKey:ApiKey": ("an AppSync API key", "apiId", "AWS_IAM, AMAZON_COGNITO_USER_POOLS or OPENID_CONNECT"),
    "aws:grafana/workspaceApiKey:WorkspaceApiKey": ("a Grafana workspace API key", "workspaceId",
                                                    "a role session with IAM Identity Center or SAML"),
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken": (
        "a Grafana service-account token", "workspaceId", "a role session with IAM Identity Center or SAML"),
    "aws:lightsail/bucketAccessKey:BucketAccessKey": ("a Lightsail bucket access key", "bucketName",
                                                      "an S3 bucket reached with a role session"),
    "aws:transfer/sshKey:SshKey": ("a Transfer Family SFTP SSH key", "userName",
                                   "S3/EFS access with the agent's role session"),
    "aws:msk/scramSecretAssociation:ScramSecretAssociation": ("SASL/SCRAM passwords", "clusterArn",
                                                              "MSK IAM access control"),
    "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation": ("a SASL/SCRAM password", "clusterArn",
                                                                          "MSK IAM access control"),
    "aws:chime/voiceConnectorTerminationCredentials:VoiceConnectorTerminationCredentials": (
        "SIP user names and passwords", "voiceConnectorId", "IP allow-listed termination"),
}


def check(resource: Resource, config):
    what, target_field, instead = KINDS[resource.type]
    target = resource.props.get(target_field)
    of = f" for {target}" if isinstance(target, str) and target and not is_unknown(target) else ""
    disabled = " (created disabled, one API call from active)" if resource.props.get("enabled") is False else ""
    role = resource.props.get("keyRole")
    with_role = f" with role {role}" if isinstance(role, str) and not is_unknown(role) else ""
    yield Violation(f"{resource.name} creates {what}{of}{with_role}{disabled}: a static secret anyone who reads it "
                    f"can use, bound to no workload identity; use {instead}")


RULE = Rule(
    id="AGID-AWS-045",
    title="aws-no-service-static-keys",
    severity="critical",
    category="static-credential",
    description="No service-specific static keys: API Gateway/AppSync/Grafana API keys, Lightsail bucket access "
                "keys, Transfer SFTP keys, MSK SCRAM and Chime SIP passwords.",
    remediation="Delete the key; authorize callers with their role session (AWS_IAM / SigV4, MSK IAM access "
                "control) or an OAuth/OIDC authorizer.",
    url="https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html",
    check=check,
    resource_types=tuple(KINDS),
)
