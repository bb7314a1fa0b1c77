"""AGID-GCP-031: no Config Sync (GKE fleet GitOps) applies a repository or OCI image the gate cannot judge.

A gkehub FeatureMembership (one cluster) or a fleet Feature's default member configuration (every fleet cluster)
with `configmanagement.configSync.git.syncRepo` / `oci.syncRepo` has Config Sync apply every manifest of that
source with cluster-wide rights, and keep re-applying it: ClusterRoleBindings to cluster-admin, privileged pods,
admission webhooks, whatever whoever can push there writes (red13 r13-6: `sync_repo=https://github.com/attacker/
manifests` passed, while the Azure twin, a cluster-scope FluxConfiguration, is AGID-AZ-042's). Like AGID-AZ-042 this
is code the gate cannot judge, whatever the repository: which types and inputs sync is data,
analysis/gcp_code_runners.yaml `unjudged_code`. Syncing turned off (`enabled: false`) or paused (`stopSyncing: true`)
passes; a value unknown at preview is "cannot check until known"; a source of another shape is "cannot check".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation

DATA_FILE = Path(__file__).resolve().parents[1] / "analysis" / "gcp_code_runners.yaml"


@lru_cache(maxsize=1)
def syncers() -> dict[str, dict]:
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)["unjudged_code"]


def check(resource: Resource, config):
    spec = syncers()[resource.type]
    for path, stopped in [*((p, False) for p in spec["enabled"]), *((p, True) for p in spec["paused"])]:
        value = value_at(resource.props, path)
        if is_unknown(value):
            yield Unknown(path)
            return
        if value is stopped:
            return
    for path in spec["sources"]:
        value = value_at(resource.props, path)
        if value is None or value == "":
            continue
        if is_unknown(value):
            yield Unknown(path)
        elif not isinstance(value, str):
            yield Violation(f"{resource.name}: cannot check: {path} is not a repository URL")
        else:
            yield Violation(f"{resource.name}: {spec['what']} {value[:200]} ({path}) with cluster-wide rights, "
                            "manifests the gate cannot judge; whoever can push there controls the cluster")


RULE = Rule(
    id="AGID-GCP-031",
    title="gcp-no-gitops-sync",
    severity="critical",
    category="escalation",
    description="No GKE fleet Config Sync (FeatureMembership or the fleet default member configuration) applies a "
                "git repository or OCI image, whose manifests the gate cannot judge, with cluster-wide rights.",
    remediation="Declare the cluster's objects as Pulumi (kubernetes) resources so the pack judges them, or run "
                "Config Sync from a platform stack reviewed outside the agent's, syncing a repository the platform "
                "team owns.",
    url="https://cloud.google.com/kubernetes-engine/enterprise/config-sync/docs/overview",
    check=check,
    resource_types=tuple(syncers()),
)
