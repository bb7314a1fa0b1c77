"""AGID-GCP-001: no service-account keys. A key is a static private key that authenticates as the account until
someone deletes it (keys made by Google live to 9999-12-31 by default)."""

from .base import Resource, Rule, Violation


def check(resource: Resource, config):
    account = resource.props.get("serviceAccountId")
    who = f" of {account}" if isinstance(account, str) else ""
    uploaded = " (an uploaded public key: its private half lives outside Google)" if resource.props.get("publicKeyData") else ""
    yield Violation(f"gcp:serviceaccount/key:Key {resource.name}{who} creates a long-lived service-account key{uploaded}; "
                    "agents exchange their own short-lived tokens through Workload Identity Federation")


RULE = Rule(
    id="AGID-GCP-001",
    title="gcp-no-service-account-keys",
    severity="critical",
    category="static-credential",
    description="No Google Cloud service-account keys: agents federate (Workload Identity Federation), never hold keys.",
    remediation="Delete the Key; trust the workload through a Workload Identity Federation provider pinned to its "
                "subject and grant roles/iam.workloadIdentityUser to that one principal (agentid_components.gcp does).",
    url="https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys",
    check=check,
    resource_types=("gcp:serviceaccount/key:Key",),
)
