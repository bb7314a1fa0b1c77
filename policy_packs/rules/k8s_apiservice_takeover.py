"""AGID-K8S-014: the stack points no built-in API group at a Service, and no aggregated API at an unverified one.

An APIService (apiregistration.k8s.io) tells the API server's aggregation layer to proxy every request for one
group and version to a Service (https://kubernetes.io/docs/concepts/extend-kubernetes/api-extension/apiserver-aggregation/,
https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/api-service-v1/). Holding the RBAC grant to
write APIServices is an escalation path (k8s_rbac_facts.yaml `escalation_paths`, AGID-K8S-005); the stack writing
one itself is the same power:
  - a group the API server serves itself (k8s_rbac_facts.yaml `builtin_api_groups`: rbac.authorization.k8s.io,
    authentication.k8s.io, authorization.k8s.io, certificates.k8s.io, apps, the core group, ...) routed to a Service
    (`spec.service` set, with a groupPriorityMinimum above the local one or not): that Service answers RBAC,
    TokenReview, SubjectAccessReview and certificate requests for the whole cluster and receives what clients
    write there, with their identities;
  - any group at a Service the API server does not verify (`insecureSkipTLSVerify: true`, or no `caBundle`):
    whoever answers for the Service's address (its endpoints, the network path) gets the requests and the
    callers' identities.
A Service-less APIService (the local kind) and an add-on group (metrics.k8s.io) at a Service verified by its
caBundle pass. The group is read from `spec.group` and from the name (`<version>.<group>`, which the API server
requires to agree); either naming a built-in group counts. An APIServicePatch changes an existing object by
server-side apply: a patch setting `service` on a built-in group, `insecureSkipTLSVerify: true`, or a `service`
without a `caBundle` (the existing one cannot be seen) is judged the same way; a patch of other fields passes.
Values unknown at preview are "cannot check until known"; unreadable shapes are violations naming the path.
"""

from __future__ import annotations

from typing import Any

from agentid_policy_packs.analysis.k8s_rbac import FACTS, NotYetKnown, Unreadable, object_at
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .k8s_roles import failing_closed

TYPES = tuple(f"kubernetes:apiregistration.k8s.io/{version}:{kind}"
              for version in ("v1", "v1beta1") for kind in ("APIService", "APIServicePatch"))
BUILTIN_GROUPS = frozenset(FACTS["builtin_api_groups"])


def _groups(props: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    """The API groups the object names: spec.group and the group part of metadata.name (`v1.apps`, `v1.` core)."""
    found = set()
    group = spec.get("group")
    if is_unknown(group):
        raise NotYetKnown("spec.group")
    if isinstance(group, str):
        found.add(group.strip().lower())
    elif group is not None:
        raise Unreadable("spec.group is not a string")
    name = object_at(props.get("metadata"), "metadata").get("name")
    if is_unknown(name):
        raise NotYetKnown("metadata.name")
    if isinstance(name, str) and "." in name:
        found.add(name.split(".", 1)[1].strip().lower())
    return found


def _judge(resource: Resource):
    props = dict(resource.props)
    patch = resource.type.endswith("Patch")
    spec = object_at(props.get("spec"), "spec", required=not patch)
    groups = _groups(props, spec)
    service = spec.get("service")
    for key, value in (("spec.service", service), ("spec.insecureSkipTLSVerify", spec.get("insecureSkipTLSVerify")),
                       ("spec.caBundle", spec.get("caBundle"))):
        if is_unknown(value):
            yield Unknown(key)
            return
    if service is not None:
        object_at(service, "spec.service")
    builtin = sorted(groups & BUILTIN_GROUPS)
    if builtin and service is not None:
        yield Violation(f"{resource.name} routes built-in API group {builtin[0] or '(core)'!r} to Service "
                        f"{_service_name(service)}: that Service then answers every request for the group (RBAC, "
                        "tokens, access reviews, certificates) with the callers' identities, for the whole cluster")
        return
    skip = spec.get("insecureSkipTLSVerify")
    if skip is not None and not isinstance(skip, bool):
        raise Unreadable("spec.insecureSkipTLSVerify is not a boolean")
    ca_bundle = spec.get("caBundle")
    if skip is True and (service is not None or patch):
        yield Violation(f"{resource.name} sets insecureSkipTLSVerify on API group {_named(groups)}: the API server "
                        "sends its requests, with the callers' identities, to whoever answers for the Service's "
                        "address, unverified")
    elif service is not None and not (isinstance(ca_bundle, str) and ca_bundle.strip()):
        yield Violation(f"{resource.name} points API group {_named(groups)} at Service {_service_name(service)} with "
                        "no caBundle: the API server cannot verify who answers its requests (with the callers' "
                        "identities)" + ("; a patch cannot show the existing caBundle" if patch else ""))


def _named(groups: set[str]) -> str:
    return repr(sorted(groups)[0]) if groups else "(not named)"


def _service_name(service: dict[str, Any]) -> str:
    return f"{service.get('namespace', '?')}/{service.get('name', '?')}"


def check(resource: Resource, config):
    yield from failing_closed(resource, _judge(resource))


RULE = Rule(
    id="AGID-K8S-014",
    title="k8s-no-apiservice-takeover",
    severity="critical",
    category="escalation",
    description="No APIService (or APIServicePatch) routes a built-in API group to a Service, and no aggregated API "
                "is served by a Service the API server does not verify (insecureSkipTLSVerify, no caBundle).",
    remediation="Leave the API server's own groups local; serve add-on groups (metrics.k8s.io) from a Service "
                "verified by its caBundle, without insecureSkipTLSVerify.",
    url="https://kubernetes.io/docs/concepts/extend-kubernetes/api-extension/apiserver-aggregation/",
    check=check,
    resource_types=TYPES,
)
