"""AGID-GCP-015: no other static Google Cloud credentials: API keys, OAuth client secrets, SCIM tokens, Cloud SQL
client certificates, OS Login SSH keys, CDN signed-URL keys, App Check debug tokens.

Like a service-account key (AGID-GCP-001) or an HMAC key (AGID-GCP-009), each resource below creates a secret
that authenticates its bearer until someone deletes it, and whose value sits in the stack's state; agents
federate (Workload Identity Federation) and use short-lived tokens instead. What each one is, and its source, is
the table below (pulumi-gcp type token -> what the secret does).
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation

STATIC_CREDENTIALS = {
    # https://cloud.google.com/docs/authentication/api-keys (bound keys: #bound-sa)
    "gcp:projects/apiKey:ApiKey": "an API key: a bearer string that calls the project's APIs (and bills it)",
    # https://cloud.google.com/iam/docs/workforce-manage-oauth-app
    "gcp:iam/oauthClientCredential:OauthClientCredential": "an OAuth client secret of a workforce OAuth client",
    # https://cloud.google.com/iam/docs/workforce-sign-in-microsoft-entra-id-scim
    "gcp:iam/workforcePoolProviderScimToken:WorkforcePoolProviderScimToken":
        "a SCIM bearer token that creates and changes the workforce pool's users and groups",
    # https://cloud.google.com/sql/docs/mysql/configure-ssl-instance#client-certs
    "gcp:sql/sslCert:SslCert": "a Cloud SQL client certificate with its private key",
    # https://cloud.google.com/compute/docs/oslogin/manage-oslogin-in-an-org#ssh-keys
    "gcp:oslogin/sshPublicKey:SshPublicKey": "an SSH key of an OS Login user (its private half lives outside Google)",
    # https://cloud.google.com/cdn/docs/using-signed-urls#creatingkeys
    "gcp:compute/backendBucketSignedUrlKey:BackendBucketSignedUrlKey": "a signing key that mints signed URLs",
    "gcp:compute/backendServiceSignedUrlKey:BackendServiceSignedUrlKey": "a signing key that mints signed URLs",
    # https://firebase.google.com/docs/app-check/web/debug-provider
    "gcp:firebase/appCheckDebugToken:AppCheckDebugToken": "an App Check debug token that lets any client pass App Check",
}


def check(resource: Resource, config):
    what = STATIC_CREDENTIALS[resource.type]
    account = resource.props.get("serviceAccountEmail")
    bound = ""
    if isinstance(account, str) and account and not is_unknown(account):
        bound = f", bound to service account {account} (it authenticates as that account)"
    elif is_unknown(account):
        bound = ", bound to a service account known only at deployment"
    yield Violation(f"{resource.type.rsplit(':', 1)[-1]} {resource.name} creates {what}{bound}: a static secret that "
                    "works until deleted and sits in the stack's state; agents federate and use short-lived tokens")


RULE = Rule(
    id="AGID-GCP-015",
    title="gcp-no-static-credentials",
    severity="critical",
    category="static-credential",
    description="No Google Cloud API keys, OAuth client secrets, SCIM tokens, Cloud SQL client certificates, OS Login "
                "SSH keys, signed-URL keys or App Check debug tokens in the stack.",
    remediation="Give the agent a federated identity (Workload Identity Federation) and short-lived tokens; where a "
                "key is unavoidable, create it outside the stack with an owner, a rotation date and restrictions, "
                "and keep it in Secret Manager.",
    url="https://cloud.google.com/docs/authentication#auth-decision-tree",
    check=check,
    resource_types=tuple(STATIC_CREDENTIALS),
)
