"""AGID-K8S-011 (stack): a MutatingAdmissionPolicyBinding binds a mutating admission policy the stack creates.

A MutatingAdmissionPolicy changes nothing until a MutatingAdmissionPolicyBinding applies it
(https://kubernetes.io/docs/reference/access-authn-authz/mutating-admission-policy/): the binding chooses the
policy (spec.policyName), its parameters (paramRef) and where it applies (matchResources). A binding alone,
naming a policy that already exists in the cluster, switches on mutations the pack never sees: an installed
policy meant for one namespace (inject a sidecar, mount a token) applied to every pod. So the binding passes only
when it names a MutatingAdmissionPolicy of this stack: its name output (`policy_name=policy.metadata.name`, unknown at
preview, as iam_links.output_sources proves it: a bare depends_on beside a constant behind another Output is not,
issue 11), or depends_on it and the same literal name; that policy is judged by AGID-K8S-009. Otherwise, and for a binding
patch that keeps an existing binding's policy, it is "cannot check" (fail closed): as AGID-GCP-011 treats a literal
custom role id, a stack policy of the same name without the dependency may fail to create (the name is taken)
while the binding stays. A ValidatingAdmissionPolicyBinding to an existing policy only adds a check: not judged.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.k8s_admission import MUTATING_BINDING_TYPES, MUTATING_POLICY_TYPES
from agentid_policy_packs.analysis.k8s_rbac import Unreadable, object_at
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .iam_links import output_sources
from .k8s_roles import failing_closed


def _stack_policies(resources: list[Resource]) -> dict[str, object]:
    """URN -> metadata.name (maybe unknown) of each MutatingAdmissionPolicy the stack creates (not patches)."""
    found = {}
    for resource in resources:
        if resource.type in MUTATING_POLICY_TYPES and not resource.type.endswith("Patch"):
            metadata = resource.props.get("metadata")
            found[resource.urn] = metadata.get("name") if isinstance(metadata, dict) else None
    return found


def _judge(resource: Resource, policies: dict[str, object], stack: list[Resource]):
    spec = object_at(resource.props.get("spec"), "spec")
    name = spec.get("policyName")
    if name is not None and not is_unknown(name) and not isinstance(name, str):
        raise Unreadable("spec.policyName is not a string")
    if is_unknown(name):
        # the name output of a stack policy only as output_sources proves it: a bare depends_on a stack policy beside
        # a constant behind another Output names an existing policy (issue 11)
        if not output_sources(resource, [r for r in stack if r.urn in policies], ("metadata.name",), "spec"):
            yield Unknown(f"{resource.name}.spec.policyName", resource.urn)
        return
    own = [policies[urn] for urn in resource.dependencies if urn in policies]  # names of stack policies it needs
    if own and name in own:
        return
    if any(is_unknown(policy) for policy in own):
        yield Unknown("metadata.name of the mutating admission policy it depends on", resource.urn)
        return
    what = f"mutating admission policy {name!r}" if name else "the mutating admission policy of an existing binding"
    yield Violation(f"{resource.name} binds {what}, which this stack does not create (or the binding does not depend "
                    "on it): cannot check what it mutates or where the binding now applies it", resource.urn)


def check(resources: list[Resource], config):
    policies = _stack_policies(resources)
    for resource in resources:
        if resource.type not in MUTATING_BINDING_TYPES:
            continue
        yield from failing_closed(resource, _judge(resource, policies, resources), stack=True)


RULE = Rule(
    id="AGID-K8S-011",
    title="k8s-admission-binding-known-policy",
    severity="critical",
    category="unparseable",
    description="A MutatingAdmissionPolicyBinding binds only a mutating admission policy the same stack creates, so "
                "the mutations it switches on can be judged.",
    remediation="Create the MutatingAdmissionPolicy in this stack and bind it through its name output "
                "(policy_name=policy.metadata.name); leave bindings of cluster-wide policies to cluster administrators.",
    url="https://kubernetes.io/docs/reference/access-authn-authz/mutating-admission-policy/",
    check=check,
    stack=True,
    reads=(*MUTATING_BINDING_TYPES, *MUTATING_POLICY_TYPES),
)
