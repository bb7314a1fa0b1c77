"""AGID-K8S-016: no custom resource whose controller creates, applies, mutates or runs what the gate cannot judge.

Kyverno generate rules, Argo CD Applications and ApplicationSets, kro ResourceGraphDefinitions, the Pulumi Kubernetes
Operator's Stack, Flux tf-controller's Terraform, k3s HelmChart, Rancher Fleet GitRepo, Carvel App, Config Sync,
KubeVela, Capsule Tenants, Gatekeeper mutations, Tekton TriggerTemplates, Kyverno CEL generating/mutating
policies, Argo Events Sensors (analysis/k8s_object_generators.yaml, a
named source per kind) make their controller, usually cluster-admin or holding cloud credentials, create objects
the pack never sees: a ClusterRoleBinding of cluster-admin to `system:authenticated` in a Kyverno `generate` rule
passed as one `kubernetes:kyverno.io/v1:ClusterPolicy` (red13 r13-16). The class is judged like AGID-K8S-013 and
AGID-GCP-031 judge remote sources:
  - a kind marked `always` (a remote repository, a chart, an IaC program, a CUE template, a mutation) cannot be
    checked: mandatory, whatever it names;
  - inline templates (`templates` paths) are judged by the kind each creates: only the reviewed kinds
    (`template_kinds_reviewed`: LimitRange, ResourceQuota, NetworkPolicy) pass; an RBAC object, a ConfigMap (EKS
    `aws-auth`, Argo CD `argocd-rbac-cm` hold grants), a
    workload, a Secret, a webhook, another custom resource, or a kind that is not a literal string cannot be
    checked (the RBAC rules are not run on templates: a template may hold the controller's variables, so its
    subjects and role are not the ones the cluster gets);
  - a clone of an existing object, a loop, a mutation or an external reference (`unjudged` paths) cannot be checked.
Passes: a kind listed whose object holds none of those (a Kyverno policy of `validate` rules only), and a template
of a reviewed kind. A value unknown at preview where a template or kind is read is "cannot check until known".
`<Kind>Patch` and `<Kind>List` items are read as the kind. Custom resources of groups this file does not list
are AGID-K8S-017's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml
from agentid_policy_packs.analysis.k8s_rbac import NotYetKnown, Unreadable
from agentid_policy_packs.analysis.values import is_unknown, values_at

from .base import Resource, Rule, Violation
from .k8s_roles import failing_closed

DATA = Path(__file__).resolve().parent.parent / "analysis" / "k8s_object_generators.yaml"


@cache
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


def custom_kind(type_token: str) -> tuple[str, str] | None:
    """(group, Kind) of a `kubernetes:<group>/<version>:<Kind>` token, `Patch` and `List` suffixes removed; None for
    other tokens. `kubernetes:kyverno.io/v1:ClusterPolicyPatch` -> ("kyverno.io", "ClusterPolicy")."""
    if not type_token.startswith("kubernetes:") or type_token.count(":") != 2:
        return None
    _, group_version, kind = type_token.split(":")
    group = group_version.rsplit("/", 1)[0].lower() if "/" in group_version else "core"
    for suffix in ("Patch", "List"):
        if kind.endswith(suffix) and len(kind) > len(suffix):
            kind = kind[: -len(suffix)]
    return group, kind


def generator(type_token: str) -> dict[str, Any] | None:
    """The data entry of a generator kind, or None."""
    found = custom_kind(type_token)
    return _data()["kinds"].get(f"{found[0]}:{found[1]}") if found else None


def _template_kind(where: str, template: Any) -> str:
    """"<group>:<Kind>" a template object creates; raises NotYetKnown / Unreadable."""
    if not isinstance(template, dict):
        raise Unreadable(f"{where} is a {type(template).__name__}, not an object template")
    api_version, kind = template.get("apiVersion", ""), template.get("kind")
    for key, value in (("apiVersion", api_version), ("kind", kind)):
        if is_unknown(value):
            raise NotYetKnown(f"{where}.{key}")
    if not isinstance(kind, str) or not kind or not isinstance(api_version, str):
        raise Unreadable(f"{where}.kind is not a literal kind")
    group = api_version.rsplit("/", 1)[0].lower() if "/" in api_version else "core"
    return f"{group}:{kind}"


def _judge(resource: Resource, spec: dict[str, Any]):
    props = dict(resource.props)
    kind = resource.type.rsplit(":", 1)[1]
    if spec.get("always"):
        yield Violation(f"{resource.name} is a {kind}, whose controller {spec['what']}: the gate cannot judge what "
                        "that creates or runs (cannot check); declare the objects in this stack, or waive it with a "
                        "reason", resource.urn)
        return
    for path in spec.get("unjudged", ()):
        for where, value in values_at(props, path):
            if value is not None:
                yield Violation(f"{resource.name} sets {where}: its controller {spec['what']}, and what this "
                                "creates cannot be judged (cannot check); declare the objects in this stack, or "
                                "waive it with a reason", resource.urn)
    reviewed = _data()["template_kinds_reviewed"]
    for path in spec.get("templates", ()):
        for where, template in values_at(props, path):
            if is_unknown(template):
                raise NotYetKnown(where)
            made = _template_kind(where, template)
            if made not in reviewed:
                yield Violation(f"{resource.name} {where} makes its controller create a {made.split(':', 1)[1]} "
                                f"({made.split(':', 1)[0]}), which the gate does not judge inside a template "
                                "(cannot check); declare the object in this stack, where its rules judge it, or "
                                "waive it with a reason", resource.urn)


def check(resources, config):
    for resource in resources:
        spec = generator(resource.type) if resource.custom else None
        if spec is not None:
            yield from failing_closed(resource, _judge(resource, spec), stack=True)


RULE = Rule(
    id="AGID-K8S-016",
    title="k8s-no-unjudged-object-generators",
    severity="critical",
    category="unparseable",
    description="No Kubernetes custom resource whose controller generates objects from templates, applies a remote "
                "repository, mutates objects or runs infrastructure code the gate cannot judge (Kyverno generate, "
                "Argo CD, kro, Pulumi Operator, tf-controller, ...); templates of reviewed harmless kinds pass.",
    remediation="Declare the objects (bindings, workloads, cloud resources) in this stack, where the rules judge them; "
                "keep generator templates to reviewed kinds (analysis/k8s_object_generators.yaml), or waive the "
                "resource with a reason.",
    url="https://kyverno.io/docs/policy-types/cluster-policy/generate/",
    check=check,
    stack=True,
    reads_custom=lambda token: generator(token) is not None,  # a <Kind>List of it whose items cannot be read is reported here
)
