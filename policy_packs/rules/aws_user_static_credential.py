"""AGID-AWS-005: no other long-lived IAM user credential: service-specific credentials, signing certificates, SSH keys.

Beside access keys (AGID-AWS-001) and console passwords (AGID-AWS-002), an IAM user can hold
  - a service-specific credential: a user name and password (or, for Amazon Bedrock, an API key)
    for CodeCommit, Keyspaces or Bedrock that lives until deleted (or its expiry, up to 36,600 days);
  - an X.509 signing certificate, used to sign requests to some services;
  - an SSH public key, the credential for CodeCommit over SSH.
Each is a static secret bound to a user, whatever the user is called. Source:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bedrock.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_ssh-keys.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation

# type token -> (what it is, input naming the user)
KINDS = {
    "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": ("a service-specific credential", "userName"),
    "aws:iam/signingCertificate:SigningCertificate": ("an X.509 signing certificate", "userName"),
    "aws:iam/sshKey:SshKey": ("an SSH public key", "username"),
}


def check(resource: Resource, config):
    what, user_field = KINDS[resource.type]
    user = resource.props.get(user_field)
    who = f"IAM user {user}" if isinstance(user, str) and not is_unknown(user) else "an IAM user"
    service = resource.props.get("serviceName")
    for_service = f" for {service}" if isinstance(service, str) and not is_unknown(service) else ""
    if resource.props.get("status") == "Inactive":
        state = " (created Inactive, one API call from active)"
    else:
        state = ""
    yield Violation(f"{resource.name} gives {who} {what}{for_service}{state}: a long-lived static credential; agents "
                    "use short-lived role sessions")


RULE = Rule(
    id="AGID-AWS-005",
    title="aws-no-user-static-credentials",
    severity="critical",
    category="static-credential",
    description="No IAM user service-specific credentials (Bedrock/CodeCommit API keys), signing certificates or SSH "
                "keys.",
    remediation="Delete the credential; Bedrock accepts SigV4 from a role session (or short-term API keys), "
                "CodeCommit accepts git-remote-codecommit with a role.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bedrock.html",
    check=check,
    resource_types=tuple(KINDS),
)
