"""AGID-GCP-030: GKE clusters authorize through IAM and Kubernetes RBAC only: no legacy ABAC, no issued client
certificate.

The parity of AKS local accounts (AGID-AZ-024 `disableLocalAccounts`; red13 r13-2: `gcp.container.Cluster(
enable_legacy_abac=True, master_auth.client_certificate_config.issue_client_certificate=True)` passed). Legacy ABAC
is an authorizer beside RBAC whose static policy gives broad rights no binding the pack judges shows; an issued
client certificate is a static cluster-admin credential, in the stack's state, that no IAM change revokes. Which
settings of which types, and what each turns on, is data: analysis/gcp_cluster_local_auth.yaml. A setting true (or
"true") is a violation; absent is Google's default (off); unknown at preview is "cannot check until known"; another
shape is "cannot check".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation

DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "gcp_cluster_local_auth.yaml"


@lru_cache(maxsize=1)
def settings() -> dict[str, list[dict[str, str]]]:
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)["settings"]


def check(resource: Resource, config):
    for setting in settings()[resource.type]:
        path = setting["path"]
        value = value_at(resource.props, path)
        if value is None or value is False:
            continue
        if is_unknown(value):
            yield Unknown(path)
        elif value is True or (isinstance(value, str) and value.strip().lower() == "true"):
            yield Violation(f"{resource.type.rsplit(':', 1)[-1]} {resource.name}: {path} is true, so {setting['what']}")
        elif not (isinstance(value, str) and value.strip().lower() == "false"):
            yield Violation(f"{resource.name}: cannot check: {path} {str(value)[:60]!r} is not a boolean")


RULE = Rule(
    id="AGID-GCP-030",
    title="gcp-cluster-no-local-auth",
    severity="critical",
    category="static-credential",
    description="GKE clusters enable no legacy ABAC authorizer and issue no static client certificate.",
    remediation="Set enable_legacy_abac false (RBAC and IAM authorize) and master_auth.client_certificate_config."
                "issue_client_certificate false; give people and agents IAM roles or RBAC bindings and short-lived "
                "tokens (gke-gcloud-auth-plugin).",
    url="https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster#leave_abac_disabled",
    check=check,
    resource_types=tuple(settings()),
)
