"""AGID-K8S-015: no custom resource that a cloud controller turns into cloud resources the gate cannot judge.

AWS Controllers for Kubernetes, Google Config Connector, Azure Service Operator, Crossplane and Cluster API
providers create cloud resources from Kubernetes objects (`kubernetes:iam.services.k8s.aws/v1alpha1:Role`,
`kubernetes:iam.cnrm.cloud.google.com/v1beta1:IAMServiceAccountKey`, `kubernetes:authorization.azure.com/
v1api20220401:RoleAssignment`, a Crossplane Composition): with the controller's cloud identity, an admin role or
a service-account key reaches the cloud as surely as an `aws.iam.Role` or a `gcp.serviceaccount.Key`, yet the
pack sees only an object of a CRD group (generic "any type" resources, red11a 33's class for Kubernetes). Every
kind of the groups in analysis/k8s_cloud_controllers.yaml cannot be checked unless reviewed harmless there
(network objects); objects of other CRD groups are left to the Kubernetes rules.
Sources: see the data file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml

from .base import Rule, Violation

DATA = Path(__file__).resolve().parent.parent / "analysis" / "k8s_cloud_controllers.yaml"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


def controller_object(type_token: str) -> tuple[str, str] | None:
    """(group, kind) when `type_token` is an object of a cloud controller's API group that is not reviewed
    harmless; None otherwise. `kubernetes:iam.services.k8s.aws/v1alpha1:Role` -> ("iam.services.k8s.aws", "Role")."""
    if not type_token.startswith("kubernetes:") or type_token.count(":") != 2:
        return None
    _, group_version, kind = type_token.split(":")
    group = group_version.rsplit("/", 1)[0].lower() if "/" in group_version else ""
    data = _data()
    if not any(group == suffix or group.endswith("." + suffix) for suffix in data["group_suffixes"]):
        return None
    reviewed = data["harmless"].get(group, {}).get("kinds", ())
    item = kind[: -len("List")] if kind.endswith("List") else kind
    return None if item in reviewed or kind in reviewed else (group, kind)


def check(resources, config):
    for resource in resources:
        found = controller_object(resource.type) if resource.custom else None
        if found:
            group, kind = found
            yield Violation(f"{resource.name} is a {kind} of {group}, whose controller creates cloud resources from "
                            "it with its own cloud identity: the gate cannot judge what it grants (cannot check); "
                            "declare the cloud resource with its Pulumi provider, or waive it with a reason",
                            resource.urn)


RULE = Rule(
    id="AGID-K8S-015",
    title="k8s-no-unjudged-cloud-controller-objects",
    severity="critical",
    category="unparseable",
    description="No Kubernetes object of a cloud controller's API group (ACK, Config Connector, Azure Service "
                "Operator, Crossplane, Cluster API identities) the gate has not reviewed: the controller creates "
                "cloud roles, keys and grants from it.",
    remediation="Declare the cloud resource with its Pulumi provider (aws, gcp, azure-native), whose rules judge it; "
                "keep controller objects to reviewed kinds (analysis/k8s_cloud_controllers.yaml).",
    url="https://aws-controllers-k8s.github.io/community/docs/community/overview/",
    check=check,
    stack=True,
    reads_custom=lambda token: controller_object(token) is not None,  # a <Kind>List of it whose items cannot be read is reported here
)
