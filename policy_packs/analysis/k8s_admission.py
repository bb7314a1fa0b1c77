"""Kubernetes admission control as the pack reads it: which requests an admission webhook or a mutating admission
policy intercepts, and where a webhook sends them.

Shapes (admissionregistration.k8s.io v1,
https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/):
  Mutating/ValidatingWebhookConfiguration  webhooks: [{name, clientConfig: {url | service: {namespace, name, path,
                                           port}, caBundle}, rules: [{operations, apiGroups, apiVersions, resources,
                                           scope}], failurePolicy, namespaceSelector, objectSelector, ...}]
  MutatingAdmissionPolicy (v1alpha1..v1)   spec: {matchConstraints: {resourceRules: [same rule shape,
                                           resourceNames], excludeResourceRules, ...}, mutations: [...], ...}
Matching follows the API server (k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/rules/rules.go): an
operation matches `*` or itself; a group `*` or itself; a resource entry `R/S` is split at the slash, and `R` matches
`*` or the resource, `S` matches `*` or the subresource (none for `pods`): so `*` is every resource but no
subresource, `pods/*` is pods and all its subresources, `*/*` is everything. apiVersions, scope, the selectors, match
conditions and excludeResourceRules only narrow and are not read: a narrower interceptor is still judged on what
its rules name (conservative).

Which objects matter is data: k8s_admission_facts.yaml `identity_objects` (sources there). Pure: no Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from agentid_policy_packs.analysis.k8s_rbac import NotYetKnown, Unreadable, list_at, object_at
from agentid_policy_packs.analysis.values import is_unknown

GROUP = "kubernetes:admissionregistration.k8s.io"
WEBHOOK_VERSIONS = ("v1", "v1beta1")
POLICY_VERSIONS = ("v1", "v1beta1", "v1alpha1")
MUTATING_WEBHOOK_TYPES = tuple(f"{GROUP}/{v}:MutatingWebhookConfiguration{p}" for v in WEBHOOK_VERSIONS
                               for p in ("", "Patch"))
VALIDATING_WEBHOOK_TYPES = tuple(f"{GROUP}/{v}:ValidatingWebhookConfiguration{p}" for v in WEBHOOK_VERSIONS
                                 for p in ("", "Patch"))
MUTATING_POLICY_TYPES = tuple(f"{GROUP}/{v}:MutatingAdmissionPolicy{p}" for v in POLICY_VERSIONS for p in ("", "Patch"))
MUTATING_BINDING_TYPES = tuple(f"{GROUP}/{v}:MutatingAdmissionPolicyBinding{p}" for v in POLICY_VERSIONS
                               for p in ("", "Patch"))
# Patches of existing validating guards (a created ValidatingAdmissionPolicy / Binding only adds a check)
VALIDATING_POLICY_PATCH_TYPES = tuple(f"{GROUP}/{v}:ValidatingAdmissionPolicy{k}Patch" for v in POLICY_VERSIONS
                                      for k in ("", "Binding"))
CRD_GROUP = "kubernetes:apiextensions.k8s.io"
CRD_TYPES = tuple(f"{CRD_GROUP}/{v}:CustomResourceDefinition{p}" for v in ("v1", "v1beta1") for p in ("", "Patch"))
WRITES = frozenset({"CREATE", "UPDATE"})  # the operations whose objects a mutating interceptor can rewrite


@dataclass(frozen=True)
class AdmissionRule:
    """One RuleWithOperations: the requests it matches."""

    operations: tuple[str, ...]
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]

    def matches(self, group: str, resource: str, operations: frozenset[str]) -> bool:
        """Does the rule intercept `resource` (plural or plural/subresource) of `group` for any of `operations`?"""
        return (("*" in self.operations or bool(operations & set(self.operations)))
                and ("*" in self.api_groups or group in self.api_groups)
                and any(_resource_matches(entry, resource) for entry in self.resources))


def _resource_matches(entry: str, resource: str) -> bool:
    want, _, want_sub = entry.partition("/")
    name, _, sub = resource.partition("/")
    return want in ("*", name) and want_sub in ("*", sub)


@dataclass(frozen=True)
class Webhook:
    index: int
    name: str
    url: str | None  # clientConfig.url: a server the API server reaches directly (outside the cluster's services)
    service: str | None  # clientConfig.service as namespace/name
    rules: tuple[AdmissionRule, ...]
    fields: dict[str, Any]  # the entry as written (a patch changes only the fields it sets)

    @property
    def url_host(self) -> str:
        try:
            return urlsplit(self.url or "").hostname or (self.url or "")
        except ValueError:
            return self.url or ""


def _strings(value: Any, path: str) -> tuple[str, ...]:
    items = list_at(value, path)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise Unreadable(f"{path}[{index}] is not a string")
    return tuple(items)


def admission_rules(value: Any, path: str) -> tuple[AdmissionRule, ...]:
    """The rules at `path` (a list of RuleWithOperations / NamedRuleWithOperations); raises NotYetKnown / Unreadable."""
    found = []
    for index, rule in enumerate(list_at(value, path)):
        rule = object_at(rule, f"{path}[{index}]", required=True)
        found.append(AdmissionRule(_strings(rule.get("operations"), f"{path}[{index}].operations"),
                                   _strings(rule.get("apiGroups"), f"{path}[{index}].apiGroups"),
                                   _strings(rule.get("resources"), f"{path}[{index}].resources")))
    return tuple(found)


def client_config(client: dict[str, Any], where: str) -> tuple[str | None, str | None]:
    """(url, service as namespace/name) of a WebhookClientConfig read at `where` (admission and CRD conversion
    webhooks share the shape); raises NotYetKnown / Unreadable."""
    url = client.get("url")
    if is_unknown(url):
        raise NotYetKnown(f"{where}.url")
    if url is not None and not isinstance(url, str):
        raise Unreadable(f"{where}.url is not a string")
    service = object_at(client.get("service"), f"{where}.service")
    if any(is_unknown(service.get(key)) for key in ("namespace", "name")):
        raise NotYetKnown(f"{where}.service")
    return url or None, f"{service.get('namespace', '?')}/{service.get('name', '?')}" if service else None


def webhooks(props: dict[str, Any]) -> list[Webhook]:
    """The webhooks of a Mutating/ValidatingWebhookConfiguration; raises NotYetKnown / Unreadable."""
    found = []
    for index, hook in enumerate(list_at(props.get("webhooks"), "webhooks")):
        where = f"webhooks[{index}]"
        hook = object_at(hook, where, required=True)
        name = hook.get("name")
        if is_unknown(name):
            raise NotYetKnown(f"{where}.name")
        url, service = client_config(object_at(hook.get("clientConfig"), f"{where}.clientConfig"),
                                     f"{where}.clientConfig")
        found.append(Webhook(index, name if isinstance(name, str) else f"#{index}", url, service,
                             admission_rules(hook.get("rules"), f"{where}.rules"), dict(hook)))
    return found


def mutating_policy_rules(props: dict[str, Any]) -> tuple[AdmissionRule, ...]:
    """spec.matchConstraints.resourceRules of a MutatingAdmissionPolicy; raises NotYetKnown / Unreadable."""
    spec = object_at(props.get("spec"), "spec")
    constraints = object_at(spec.get("matchConstraints"), "spec.matchConstraints")
    return admission_rules(constraints.get("resourceRules"), "spec.matchConstraints.resourceRules")


def _facts() -> dict[str, Any]:
    from agentid_components import data_yaml  # noqa: PLC0415 - only the admission rules need it
    from pathlib import Path  # noqa: PLC0415

    return data_yaml.load(Path(__file__).with_name("k8s_admission_facts.yaml"))


_FACTS = _facts()
IDENTITY_OBJECTS = [(str(entry["group"]), tuple(entry["resources"]), str(entry["what"]))
                    for entry in _FACTS["identity_objects"]]
GUARD_PATCH_KEEPS = {kind: frozenset(keys) for kind, keys in _FACTS["guard_patch_keeps"].items()}


def _failure_policy_fail(value: Any, path: str) -> bool:
    if is_unknown(value):
        raise NotYetKnown(path)
    return value == "Fail"


def weakening_fields(entry: dict[str, Any], keeps: str, path: str) -> list[str]:
    """The fields a patch of an existing admission guard sets beyond GUARD_PATCH_KEEPS[keeps] (sorted, as
    `path.field`): each changes what the guard intercepts, where it sends requests or whether it refuses."""
    changed = []
    for key, value in entry.items():
        if key in GUARD_PATCH_KEEPS[keeps] or value is None:
            continue
        if key == "failurePolicy" and _failure_policy_fail(value, f"{path}.failurePolicy"):
            continue
        if key == "validationActions" and "Deny" in _strings(value, f"{path}.validationActions"):
            continue
        changed.append(f"{path}.{key}" + (f" {value}" if isinstance(value, str) else ""))
    return sorted(changed)


def validating_policy_patch_changes(props: dict[str, Any], binding: bool) -> list[str]:
    """What a ValidatingAdmissionPolicy(Binding)Patch changes in the existing object's spec (weakening_fields)."""
    spec = object_at(props.get("spec"), "spec")
    return weakening_fields(spec, "binding_spec" if binding else "policy_spec", "spec")


@dataclass(frozen=True)
class Conversion:
    """A CRD's conversion webhook: every stored or requested object of the CRD's kind goes through it."""

    url: str | None
    service: str | None


def crd_conversion(props: dict[str, Any]) -> Conversion | None:
    """The conversion webhook of a CustomResourceDefinition (v1 spec.conversion.webhook.clientConfig, v1beta1
    spec.conversion.webhookClientConfig), or None (strategy None / not set); raises NotYetKnown / Unreadable.
    Shape: https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definition-versioning/"""
    spec = object_at(props.get("spec"), "spec")
    conversion = object_at(spec.get("conversion"), "spec.conversion")
    if not conversion:
        return None
    strategy = conversion.get("strategy")
    if is_unknown(strategy):
        raise NotYetKnown("spec.conversion.strategy")
    webhook = object_at(conversion.get("webhook"), "spec.conversion.webhook")
    where, client = "spec.conversion.webhook.clientConfig", object_at(webhook.get("clientConfig"),
                                                                        "spec.conversion.webhook.clientConfig")
    if not client and "webhookClientConfig" in conversion:
        where = "spec.conversion.webhookClientConfig"
        client = object_at(conversion.get("webhookClientConfig"), where)
    if strategy in (None, "None") and not client:
        return None
    return Conversion(*client_config(client, where))


def intercepted(rules: tuple[AdmissionRule, ...], operations: frozenset[str]) -> list[tuple[str, str]]:
    """(group/resource, what it controls) for each identity-carrying object the rules intercept for `operations`."""
    found = []
    for group, resources, what in IDENTITY_OBJECTS:
        hit = [resource for resource in resources
               if any(rule.matches(group, resource, operations) for rule in rules)]
        if hit:
            found.append((", ".join(f"{group or 'core'}/{resource}" for resource in hit), what))
    return found
