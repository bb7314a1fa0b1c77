"""Where a Kubernetes object lands and whether the stack creates it, as its provider decides.

Namespace: an object whose `metadata.namespace` is unset goes to its provider's namespace: the kubernetes
Provider's `namespace` input, else the namespace of the kubeconfig context it uses (`context` input, else the
kubeconfig's `current-context`), else `default` (pulumi-kubernetes Provider docs, "namespace: If present, the
default namespace to use. This flag is ignored for cluster-scoped resources ... [otherwise] the namespace from the
kubeconfig context"; https://www.pulumi.com/registry/packages/kubernetes/api-docs/provider/). A provider value
unknown at preview, or a kubeconfig given as a file path the pack cannot read, is "cannot check until known"
(red12 #8: `Provider(namespace="kube-system")` put a Job in kube-system while AGID-K8S-012/013 assumed `default`).
The default provider reads the deployer's ambient kubeconfig (not in the stack): taken as `default`, a known limit.

Adoption: a Provider with `upsertExistingObjects: true` (pulumi-kubernetes >= 4.20) turns a create into a
server-side-apply upsert of the object that already exists, and a `*Patch` resource edits an existing object:
neither is a new object of the stack (red12 #8: re-declaring the existing `argocd-application-controller`
ServiceAccount on such a provider made it "the stack's own" for AGID-K8S-013).
Source: https://www.pulumi.com/registry/packages/kubernetes/api-docs/provider/#upsertexistingobjects_python.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from agentid_policy_packs.analysis.k8s_rbac import NotYetKnown, Unreadable
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource

PROVIDER = "pulumi:providers:kubernetes"
DEFAULT_NAMESPACE = "default"


def _provider_props(resource: Resource) -> dict[str, Any]:
    provider = resource.provider
    if provider is None or provider.type != PROVIDER:
        return {}
    return dict(provider.props)


def _truthy(value: Any) -> bool:
    """Provider inputs arrive as JSON text ("true") from the engine, as booleans from the SDK's mocks."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def adopts_existing(resource: Resource) -> bool:
    """Does creating `resource` take over an object that may already exist (a `*Patch`, or its provider upserts)?
    An upsert setting unknown at preview counts as upserting (the cautious side)."""
    if resource.type.endswith("Patch"):
        return True
    upsert = _provider_props(resource).get("upsertExistingObjects")
    return is_unknown(upsert) or _truthy(upsert)


def _kubeconfig_namespace(kubeconfig: Any, context: Any) -> str | None:
    if is_unknown(kubeconfig) or is_unknown(context):
        raise NotYetKnown("provider kubeconfig")
    if not isinstance(kubeconfig, str) or not kubeconfig.strip():
        return None
    try:
        config = yaml.safe_load(kubeconfig)
    except yaml.YAMLError:
        config = None
    if isinstance(config, str):  # JSON text inside a string input, or a path the pack cannot read
        try:
            config = json.loads(config)
        except ValueError:
            config = None
    if not isinstance(config, dict):
        raise Unreadable("the provider's kubeconfig is not a kubeconfig document (a file path the pack cannot "
                         "read?): which namespace objects without metadata.namespace land in cannot be checked")
    name = context if isinstance(context, str) and context else config.get("current-context")
    for entry in config.get("contexts") or []:
        if isinstance(entry, dict) and entry.get("name") == name and isinstance(entry.get("context"), dict):
            namespace = entry["context"].get("namespace")
            return namespace if isinstance(namespace, str) and namespace else None
    return None


def object_namespace(resource: Resource) -> str:
    """The namespace of a namespaced object: its metadata.namespace, else its provider's (see the module doc).
    Raises NotYetKnown / Unreadable when that cannot be told."""
    metadata = resource.props.get("metadata")
    if is_unknown(metadata):
        raise NotYetKnown("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if is_unknown(namespace):
        raise NotYetKnown("metadata.namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise Unreadable("metadata.namespace is not a string")
    if namespace:
        return namespace
    props = _provider_props(resource)
    configured = props.get("namespace")
    if is_unknown(configured):
        raise NotYetKnown("provider namespace")
    if isinstance(configured, str) and configured:
        return configured
    return _kubeconfig_namespace(props.get("kubeconfig"), props.get("context")) or DEFAULT_NAMESPACE
