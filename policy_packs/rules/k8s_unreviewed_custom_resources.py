"""AGID-K8S-017: no Kubernetes custom resource of a kind no rule judges and nobody reviewed.

A `kubernetes.apiextensions.CustomResource` registers `kubernetes:<group>/<version>:<Kind>` for any CRD, so a
controller the pack has never heard of (a GitOps engine, a policy engine that generates bindings, an IaC operator,
a tenancy operator) receives objects no rule reads and the gate passed them in silence (red13 r13-16). Like a
resource of a package no rule knows (AGID-GEN-002, mandatory), such an object cannot be checked and blocks until
reviewed. Judged elsewhere, so not reported here: the API server's own groups and the SDK's component groups
(`builtin_groups`), the kinds of AGID-K8S-013 (controllers that run pods as a service account), the groups of
AGID-K8S-015 (cloud controllers) and the kinds of AGID-K8S-016 (object generators, remote sources, IaC runs).
Reviewed (pass): the kinds in analysis/k8s_custom_resource_groups.yaml `reviewed` (with a reason and a source), and
the entries of `reviewedCustomResources` (`<group>` for a whole group, `<group>:<Kind>` for one kind), from the
trusted settings of the base branch's waivers.yaml (a pull request's stack file may only shorten it: "subset").
`<Kind>Patch` and `<Kind>List` items are read as the kind.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml

from .base import Rule, Violation
from .k8s_cloud_controller_resources import _data as _controllers
from .k8s_object_generators import custom_kind, generator
from .k8s_unseen_workload_account import custom_kinds as account_kinds

DATA = Path(__file__).resolve().parent.parent / "analysis" / "k8s_custom_resource_groups.yaml"


@cache
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


@cache
def _account_kinds() -> frozenset[tuple[str, str]]:
    return frozenset(found for token in account_kinds() if (found := custom_kind(token)))


def unreviewed(type_token: str, reviewed: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(group, Kind) when `type_token` is a custom resource no rule judges and nobody reviewed, else None."""
    found = custom_kind(type_token)
    if found is None:
        return None
    group, kind = found
    data = _data()
    if group in data["builtin_groups"] or group in reviewed or f"{group}:{kind}" in reviewed:
        return None
    if kind in data["reviewed"].get(group, {}).get("kinds", ()):
        return None
    if found in _account_kinds() or generator(type_token) is not None:
        return None  # AGID-K8S-013 / AGID-K8S-016
    if any(group == suffix or group.endswith("." + suffix) for suffix in _controllers()["group_suffixes"]):
        return None  # AGID-K8S-015
    return found


def check(resources, config):
    reviewed = frozenset(entry.strip() for entry in config.get("reviewedCustomResources") or ()
                         if isinstance(entry, str) and entry.strip())
    for resource in resources:
        found = unreviewed(resource.type, reviewed) if resource.custom else None
        if found:
            group, kind = found
            yield Violation(f"{resource.name} is a {kind} of API group {group}, a custom resource no rule of this "
                            "pack judges: its controller may create bindings, run code or use cloud credentials "
                            f"(cannot check); review what it does, then list {group!r} or '{group}:{kind}' in "
                            "reviewedCustomResources (waivers.yaml policyPackConfig), or waive it with a reason",
                            resource.urn)


RULE = Rule(
    id="AGID-K8S-017",
    title="k8s-unreviewed-custom-resources",
    severity="high",
    category="unparseable",
    enforcement="mandatory",
    description="Kubernetes custom resources of kinds no rule judges block until reviewed, so the gate never passes "
                "an unknown controller's object in silence.",
    remediation="Review what the controller does with the object (bindings, workloads, cloud calls); list a reviewed "
                "group or kind in reviewedCustomResources in the base branch's waivers.yaml policyPackConfig, or waive "
                "one resource with a reason; if it generates objects or runs code, ask for it in "
                "analysis/k8s_object_generators.yaml.",
    url="https://kubernetes.io/docs/concepts/extend-kubernetes/api-extension/custom-resources/",
    check=check,
    stack=True,
    reads_custom=lambda token: unreviewed(token) is not None,  # a <Kind>List of it whose items cannot be read is reported here
    config={"reviewedCustomResources": []},
    config_schema={"reviewedCustomResources": {
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": "Custom resources reviewed for this stack: an API group (cert-manager.io) or group:Kind "
                       "(cert-manager.io:Certificate); their objects are not reported."}},
    config_strictness={"reviewedCustomResources": "subset"},
)
