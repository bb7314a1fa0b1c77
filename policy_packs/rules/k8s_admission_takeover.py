"""AGID-K8S-009: the stack creates no admission interceptor over identity-carrying objects.

An admission webhook sees every request its rules match before the object is stored
(https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/); RBAC good practices
list "Control admission webhooks" as an escalation path
(https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks). So the stack itself
creating one is the same power, without needing the RBAC grant:
  - a MutatingWebhookConfiguration (or a MutatingAdmissionPolicy, whose CEL mutations run in the API server) whose
    rules cover CREATE/UPDATE of pods, workloads' pod templates, secrets, service accounts, configmaps, namespaces,
    RBAC roles/bindings or CSRs rewrites them as they are made: injects a container, mounts a service-account token
    or the node's filesystem, swaps images, adds a subject to a binding, whoever created the object;
  - any webhook, validating included, whose clientConfig.url is set (a server reached directly, outside the
    cluster's services) receives each matched object whole (a Secret's data, a pod's environment) and decides on it.
The objects are data (analysis/k8s_admission_facts.yaml). A validating webhook backed by an in-cluster service and
ValidatingAdmissionPolicies only deny or warn: not judged here (granting write on any of them is AGID-K8S-005).
failurePolicy, selectors and match conditions only narrow which requests are sent, never what the receiver may do
with one it gets: not read. A new guard that fails open (failurePolicy Ignore) weakens nothing that existed, so
it passes.
Guards that exist already (kit decision, issue 11): a *Patch resource changes an object someone else created
(server-side apply). Patching an existing validating webhook configuration, ValidatingAdmissionPolicy or its
binding in any field that changes what it intercepts, where it sends requests, or whether it refuses
(failurePolicy Ignore, rules, selectors, matchConditions, clientConfig, timeoutSeconds, validations,
validationActions without Deny, ...: k8s_admission_facts.yaml `guard_patch_keeps`) disables or redirects a guard
the pack cannot see: "cannot check". A mutating webhook patch entry without `rules` keeps the existing rules: one
that changes its client, selectors or conditions is "cannot check" too; a MutatingAdmissionPolicyPatch replacing
mutations without matchConstraints likewise.
CRD conversion webhooks (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-
definition-versioning/#webhook-conversion) receive every object of the CRD's kind the API server reads or stores
in another version and return the object it keeps: one at a clientConfig.url (outside the cluster's services)
gets every such object whole and rewrites it; a patch setting the conversion of an existing CRD hands another
owner's objects (policies, certificates, secrets stores the cluster's controllers act on) to the stack's server.
A stack's own CRD converted by an in-cluster service passes.
Webhooks, rules or client configs unknown at preview are "cannot check until known"; a shape the pack cannot read
is a violation naming the path.
"""

from agentid_policy_packs.analysis.k8s_admission import (
    CRD_TYPES, MUTATING_POLICY_TYPES, MUTATING_WEBHOOK_TYPES, VALIDATING_POLICY_PATCH_TYPES, VALIDATING_WEBHOOK_TYPES,
    WRITES, crd_conversion, intercepted, mutating_policy_rules, validating_policy_patch_changes, weakening_fields,
    webhooks)
from agentid_policy_packs.analysis.k8s_rbac import object_at

from .base import Resource, Rule, Violation
from .k8s_roles import failing_closed

EVERY_OPERATION = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})

def _listed(objects: list[tuple[str, str]]) -> str:
    return "; ".join(f"{names} ({what})" for names, what in objects)

def _existing_guard(resource: Resource, changed: list[str]) -> Violation:
    return Violation(f"{resource.name} patches an existing admission guard the stack does not create: it sets "
                     f"{', '.join(changed)}, which changes what the guard intercepts, where its requests go or "
                     "whether it refuses them; cannot check what the guard protects (the pack cannot see it)")

def _patch_changes(hook, mutating: bool) -> list[str]:
    """What a patch entry changes in an existing webhook. A mutating entry that sets `rules` is judged on them
    below; one without keeps the existing rules, and failing open is no takeover for a mutating webhook."""
    if mutating and "rules" in hook.fields:
        return []
    changed = weakening_fields(hook.fields, "webhook", f"webhooks[{hook.index}]")
    return [field for field in changed if not (mutating and ".failurePolicy" in field)]

def _judge_webhooks(resource: Resource, mutating: bool):
    patch = resource.type.endswith("Patch")
    for hook in webhooks(dict(resource.props)):
        where = f"{resource.name} webhooks[{hook.index}] ({hook.name})"
        if patch and (changed := _patch_changes(hook, mutating)):
            yield _existing_guard(resource, changed)
        elif mutating and (rewritten := intercepted(hook.rules, WRITES)):
            by = f"the server at {hook.url_host}" if hook.url else f"service {hook.service or '(none named)'}"
            yield Violation(f"{where} rewrites {_listed(rewritten)} as they are created or updated: {by} can inject "
                            "containers, mount service-account tokens or the node's files, swap images and add "
                            "subjects, in every namespace the webhook matches")
        elif hook.url and (seen := intercepted(hook.rules, EVERY_OPERATION)):
            yield Violation(f"{where} sends {_listed(seen)} to {hook.url_host} (clientConfig.url, outside the "
                            "cluster's services): that server receives each object whole, secret data included, "
                            "and decides whether it is admitted")

def _judge_policy(resource: Resource):
    spec = object_at(resource.props.get("spec"), "spec")
    constraints = object_at(spec.get("matchConstraints"), "spec.matchConstraints")
    if resource.type.endswith("Patch") and "resourceRules" not in constraints and spec.get("mutations") is not None:
        yield _existing_guard(resource, ["spec.mutations"])
    elif rewritten := intercepted(mutating_policy_rules(dict(resource.props)), WRITES):
        yield Violation(f"{resource.name} (MutatingAdmissionPolicy) rewrites {_listed(rewritten)} as they are "
                        "created or updated: its mutations inject containers, mount service-account tokens or "
                        "the node's files, swap images and add subjects wherever a binding applies it")

def _judge_validating_policy_patch(resource: Resource):
    if changed := validating_policy_patch_changes(dict(resource.props), "Binding" in resource.type):
        yield _existing_guard(resource, changed)

def _judge_conversion(resource: Resource):
    conversion = crd_conversion(dict(resource.props))
    if conversion is None:
        return
    if conversion.url:
        yield Violation(f"{resource.name} converts its custom resources through {conversion.url} "
                        "(clientConfig.url, outside the cluster's services): that server receives every object of "
                        "the kind the API server converts, whole, and returns the object that is kept")
    elif resource.type.endswith("Patch"):
        yield Violation(f"{resource.name} sets the conversion webhook of an existing CustomResourceDefinition "
                        f"(service {conversion.service or '(none named)'}): every object of that kind, created by its "
                        "owners and acted on by their controllers, is converted by the stack's server")

def check(resource: Resource, config):
    if resource.type in MUTATING_POLICY_TYPES:
        judged = _judge_policy(resource)
    elif resource.type in VALIDATING_POLICY_PATCH_TYPES:
        judged = _judge_validating_policy_patch(resource)
    elif resource.type in CRD_TYPES:
        judged = _judge_conversion(resource)
    else:
        judged = _judge_webhooks(resource, resource.type in MUTATING_WEBHOOK_TYPES)
    yield from failing_closed(resource, judged)

RULE = Rule(
    id="AGID-K8S-009",
    title="k8s-no-admission-takeover",
    severity="critical",
    category="escalation",
    description="The stack creates no mutating webhook or mutating admission policy over pods, workloads, secrets, "
                "service accounts, configmaps, namespaces, RBAC or CSRs, no admission or CRD conversion webhook that "
                "sends objects to a URL outside the cluster, and patches no existing admission guard or CRD "
                "conversion.",
    remediation="Leave admission control to cluster administrators (install such controllers from their own, "
                "reviewed deployment); scope a stack's own webhooks to its custom resources, backed by an in-cluster "
                "service.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks",
    check=check,
    resource_types=(*MUTATING_WEBHOOK_TYPES, *VALIDATING_WEBHOOK_TYPES, *MUTATING_POLICY_TYPES,
                    *VALIDATING_POLICY_PATCH_TYPES, *CRD_TYPES),
)
