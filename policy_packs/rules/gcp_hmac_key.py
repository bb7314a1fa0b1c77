"""AGID-GCP-009: no Cloud Storage HMAC keys. An HMAC key is a static access id + secret of a service account (the
S3-interoperable XML API signs requests with it); like a service-account key (AGID-GCP-001) it authenticates as
the account until someone deactivates and deletes it, and its secret sits in the stack's state.

A key declared with `state: INACTIVE` cannot sign requests: Cloud Storage requires deactivating a key before
deleting it, so that is the retirement step, not a credential in use. Any other state (absent = ACTIVE) is
flagged; a state unknown at preview is "cannot check until known".
Source: https://cloud.google.com/storage/docs/authentication/hmackeys
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

HMAC_KEY = "gcp:storage/hmacKey:HmacKey"


def check(resource: Resource, config):
    state = resource.props.get("state")
    if is_unknown(state):
        yield Unknown("state")
        return
    if state == "INACTIVE":
        return
    account = resource.props.get("serviceAccountEmail")
    who = f" of {account}" if isinstance(account, str) and not is_unknown(account) else ""
    shown = "" if state in (None, "ACTIVE") else f" (state {state!r} is not INACTIVE)"
    yield Violation(f"{HMAC_KEY} {resource.name}{who} creates a static HMAC access key and secret{shown}: it signs "
                    "Cloud Storage requests as the service account until deleted; agents federate through Workload "
                    "Identity Federation and call the JSON API with short-lived OAuth tokens")


RULE = Rule(
    id="AGID-GCP-009",
    title="gcp-no-hmac-keys",
    severity="critical",
    category="static-credential",
    description="No active Cloud Storage HMAC keys: they are static secrets of a service account, like its keys.",
    remediation="Delete the HmacKey (set state INACTIVE first, as Cloud Storage requires); call Cloud Storage with the "
                "agent's federated short-lived token, or, for S3-compatible clients, keep the key outside the stack "
                "with an owner and a rotation date.",
    url="https://cloud.google.com/storage/docs/authentication/hmackeys",
    check=check,
    resource_types=(HMAC_KEY,),
)
