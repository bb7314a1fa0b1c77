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
  - Chime `VoiceConnectorTerminationCredentials`: SIP user names and passwords;
  - an OpenSearch / Elasticsearch `Domain` with an internal user database (a master user name and password with
    all_access, generated or not) instead of an IAM master user;
  - SSH keys into hosts that hold a role's credentials (red9a #3): whoever holds the private key gets a shell on
    the host and, from its instance metadata service, the role's session credentials, for as long as the key is
    registered. An EC2 or Lightsail `KeyPair` is flagged on its own, exactly as a Transfer `SshKey` is (a static
    key the stack registers: no expiry, bound to no workload identity; Lightsail even generates the private key
    into the state); so is a host given one: a Glue `DevEndpoint` with publicKey/publicKeys (the endpoint runs as
    its role), an EKS `NodeGroup` with remoteAccess.ec2SshKey (the node role), an EMR `Cluster` with
    ec2Attributes.keyName (its instance profile), a Batch `ComputeEnvironment` with computeResources.ec2KeyPair (its
    instance role), and an EC2 `Instance` / `SpotInstanceRequest` / `LaunchTemplate` / `LaunchConfiguration` with a
    keyName AND an iamInstanceProfile (without a profile the host holds no role). Use SSM Session Manager or EC2
    Instance Connect (short-lived keys pushed per session, authorised by IAM):
    https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html,
    https://docs.aws.amazon.com/glue/latest/dg/dev-endpoint.html.
A disabled key (`enabled: false`) is still flagged: it is one API call from active.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

_SESSIONS = "SSM Session Manager or EC2 Instance Connect (short-lived keys authorised by IAM per session)"
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
    "aws:ec2/keyPair:KeyPair": ("an EC2 SSH key pair", "keyName", _SESSIONS),
    "aws:lightsail/keyPair:KeyPair": ("a Lightsail SSH key pair", "name", _SESSIONS),
}
# Hosts that hold a role's credentials, flagged when they accept an SSH key: type token -> (what it is, the inputs that
# give it a key (dotted), the input that must also be set for the host to hold a role, or None: it always holds one).
_PROFILE = "iamInstanceProfile"
SSH_HOSTS = {
    "aws:glue/devEndpoint:DevEndpoint": ("a Glue development endpoint", ("publicKey", "publicKeys"), None),
    "aws:eks/nodeGroup:NodeGroup": ("EKS nodes", ("remoteAccess.ec2SshKey",), None),
    "aws:emr/cluster:Cluster": ("EMR cluster nodes", ("ec2Attributes.keyName",), None),
    "aws:batch/computeEnvironment:ComputeEnvironment": ("Batch compute instances", ("computeResources.ec2KeyPair",),
                                                        None),
    "aws:ec2/instance:Instance": ("an EC2 instance", ("keyName",), _PROFILE),
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": ("an EC2 spot instance", ("keyName",), _PROFILE),
    "aws:ec2/launchTemplate:LaunchTemplate": ("instances of a launch template", ("keyName",), _PROFILE),
    "aws:ec2/launchConfiguration:LaunchConfiguration": ("instances of a launch configuration", ("keyName",), _PROFILE),
}

# Domains with their own user database (red13 r13-9): `advancedSecurityOptions.internalUserDatabaseEnabled` makes the
# master user a name and password (all_access, beside IAM) instead of an IAM principal (masterUserOptions.masterUserArn).
# Source: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-master-user
INTERNAL_USERS = {
    "aws:opensearch/domain:Domain": "an OpenSearch domain",
    "aws:elasticsearch/domain:Domain": "an Elasticsearch domain",
}


def _at(props, path: str):
    value = props
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _set(value) -> bool:
    """Does the input hold something (an unknown value may: it fails closed)?"""
    return is_unknown(value) or (value not in (None, "", [], {}))


def _ssh_host(resource: Resource):
    what, key_inputs, role_input = SSH_HOSTS[resource.type]
    keys = [path for path in key_inputs if _set(_at(resource.props, path))]
    if not keys or (role_input and not _set(resource.props.get(role_input))):
        return
    holds = "the instance profile's role" if role_input else "its role"
    yield Violation(f"{resource.name} lets {what} accept a long-lived SSH key ({', '.join(keys)}): whoever holds the "
                    f"private key gets a shell there and {holds}'s credentials from the instance metadata service; "
                    f"use {_SESSIONS}")


def _internal_users(resource: Resource):
    enabled = _at(resource.props, "advancedSecurityOptions.internalUserDatabaseEnabled")
    if is_unknown(enabled) or is_unknown(resource.props.get("advancedSecurityOptions")):
        yield Unknown("advancedSecurityOptions.internalUserDatabaseEnabled")
    elif enabled is True or (isinstance(enabled, str) and enabled.strip().lower() == "true"):
        yield Violation(f"{resource.name} gives {INTERNAL_USERS[resource.type]} an internal user database "
                        "(advancedSecurityOptions.internalUserDatabaseEnabled): its master user is a name and a "
                        "password with all_access, a static secret bound to no workload identity; set "
                        "masterUserOptions.masterUserArn to an IAM role and leave the internal database off")


def check(resource: Resource, config):
    if resource.type in INTERNAL_USERS:
        yield from _internal_users(resource)
        return
    if resource.type in SSH_HOSTS:
        yield from _ssh_host(resource)
        return
    what, target_field, instead = KINDS[resource.type]
    target = resource.props.get(target_field)
    of = f" for {target}" if isinstance(target, str) and target and not is_unknown(target) else ""
    disabled = " (created disabled, one API call from active)" if resource.props.get("enabled") is False else ""
    role = resource.props.get("keyRole")
    with_role = f" with role {role}" if isinstance(role, str) and not is_unknown(role) else ""
    yield Violation(f"{resource.name} creates {what}{of}{with_role}{disabled}: a static secret anyone who holds it "
                    f"can use, bound to no workload identity; use {instead}")


RULE = Rule(
    id="AGID-AWS-045",
    title="aws-no-service-static-keys",
    severity="critical",
    category="static-credential",
    description="No service-specific static keys: API Gateway/AppSync/Grafana API keys, Lightsail bucket access "
                "keys, Transfer SFTP keys, MSK SCRAM and Chime SIP passwords, EC2/Lightsail SSH key pairs, OpenSearch internal "
                "master users, and SSH keys on hosts that hold a role (Glue dev endpoints, EKS nodes, EMR, Batch, EC2 with a profile).",
    remediation="Delete the key; authorize callers with their role session (AWS_IAM / SigV4, MSK IAM access "
                "control) or an OAuth/OIDC authorizer; reach hosts with SSM Session Manager or EC2 Instance Connect.",
    url="https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html",
    check=check,
    resource_types=(*KINDS, *SSH_HOSTS, *INTERNAL_USERS),
)
