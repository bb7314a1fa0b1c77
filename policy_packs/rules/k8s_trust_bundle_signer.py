"""AGID-K8S-019: the stack publishes no trust anchors under a signer it does not run, nor into a bundle it cannot see.

A ClusterTrustBundle (certificates.k8s.io v1alpha1, v1beta1, v1) is a cluster-scoped set of CA certificates that
pods trust through a projected `clusterTrustBundle` volume, selected by name or by `signerName` (and labels)
(https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#cluster-trust-bundles).
A bundle naming a signer speaks for that signer: every pod projecting the signer's bundles trusts the servers and
clients its CAs certify. Writing one needs `attest` on the signer (AGID-K8S-005 judges that grant); the stack
writing one itself is the same power:
  - a signer of the cluster or its managed control plane (k8s_rbac_facts.yaml `system_signer_domains`:
    kubernetes.io, k8s.io, eks.amazonaws.com and their subdomains) blocks whatever the settings say: pods would trust
    the stack's CA as the API server's or the kubelet's signer;
  - any other signer passes only when the gate lists it in `ownK8sSigners` (the stack's own mesh or issuer, e.g.
    `mesh.example.com/workload`); with nothing listed it is "cannot tell whose signer it is" (an empty list is
    the strictest setting, never a switch that turns the rule off); a signer name that is not `<domain>/<path>`
    cannot be judged and blocks.
A signer-unlinked bundle (no `signerName`) is mounted by its name only, by pods that name it: the stack's own CA
set, it passes. A ClusterTrustBundlePatch that sets `trustBundle` changes the anchors of an existing bundle whose
signer and consumers the gate cannot see: it blocks unless its `signerName` is listed own (a signer the cluster runs
still blocks); a patch of labels only passes. Values unknown at preview are "cannot check until known"; unreadable
shapes are violations naming the path.
"""

from __future__ import annotations

from typing import Any

from agentid_policy_packs.analysis.k8s_rbac import FACTS, NotYetKnown, Unreadable, object_at
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation
from .k8s_roles import failing_closed

TYPES = tuple(f"kubernetes:certificates.k8s.io/{version}:{kind}"
              for version in ("v1alpha1", "v1beta1", "v1") for kind in ("ClusterTrustBundle", "ClusterTrustBundlePatch"))
SYSTEM_DOMAINS = tuple(d.lower() for d in FACTS["system_signer_domains"])
OWN_SIGNERS_KEY = "ownK8sSigners"


def _text(value: Any, path: str) -> str | None:
    if is_unknown(value):
        raise NotYetKnown(path)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unreadable(f"{path} is not a string")
    return value


def system_signer(signer: str) -> bool:
    domain = signer.split("/", 1)[0].strip().lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in SYSTEM_DOMAINS)


def _judge(resource: Resource, own: frozenset[str]):
    props = dict(resource.props)
    patch = resource.type.endswith("Patch")
    spec = object_at(props.get("spec"), "spec", required=not patch)
    signer = _text(spec.get("signerName"), "spec.signerName")
    anchors = spec.get("trustBundle")
    if is_unknown(anchors):
        raise NotYetKnown("spec.trustBundle")
    name = _text(object_at(props.get("metadata"), "metadata").get("name"), "metadata.name") or resource.name
    signer = signer.strip() if signer is not None else None
    if signer == "":
        signer = None
    if signer is None:
        if patch and anchors is not None:
            yield Violation(f"{resource.name} sets the trust anchors of existing ClusterTrustBundle {name!r}: pods "
                            "projecting it (their bundle, not one this stack defines) then trust whatever CA it adds; "
                            "the gate sees neither its signer nor who mounts it")
        return
    if system_signer(signer):
        yield Violation(f"{resource.name} publishes trust anchors for signer {signer!r}, one the cluster runs itself: "
                        "pods projecting that signer's bundles would trust the stack's CA as the cluster's own")
        return
    domain, slash, path = signer.partition("/")
    if not slash or not domain.strip() or not path.strip():
        raise Unreadable(f"spec.signerName {signer[:200]!r} is not <domain>/<path>")
    if signer in own:
        return
    listed = (f"not one of the gate's own signers ({', '.join(sorted(own))})" if own else
              f"and the gate lists no own signers ({OWN_SIGNERS_KEY}), so it cannot tell whose signer it is")
    yield Violation(f"{resource.name} publishes trust anchors for signer {signer!r}, {listed}: every pod projecting "
                    "that signer's bundles trusts the servers and clients this CA certifies")


def check(resource: Resource, config):
    listed = config.get(OWN_SIGNERS_KEY) if hasattr(config, "get") else None
    own = frozenset(s.strip() for s in listed or () if isinstance(s, str) and s.strip())
    yield from failing_closed(resource, _judge(resource, own))


RULE = Rule(
    id="AGID-K8S-019",
    title="k8s-no-unowned-trust-bundle",
    severity="critical",
    category="weak-trust",
    enforcement="mandatory",
    description="No ClusterTrustBundle publishes trust anchors for a signer the cluster runs itself (kubernetes.io, "
                "k8s.io, eks.amazonaws.com) or one the gate does not list as the stack's own, and no patch changes "
                "the anchors of an existing bundle.",
    remediation="Publish bundles only under your own mesh's or issuer's signer and list it in ownK8sSigners "
                "(reviewed), or use a signer-unlinked bundle your pods name; never write a bundle for a cluster "
                "signer nor patch an existing bundle's trustBundle.",
    url="https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#cluster-trust-bundles",
    check=check,
    resource_types=TYPES,
    config={OWN_SIGNERS_KEY: []},
    config_schema={OWN_SIGNERS_KEY: {"type": "array", "items": {"type": "string"}, "default": [],
                                     "description": "Signer names (<domain>/<path>) of the stack's own mesh or "
                                                    "issuer whose ClusterTrustBundles it may write."}},
    config_strictness={OWN_SIGNERS_KEY: "subset"},
)
