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
with one it gets: not read. Webhooks, rules or client configs unknown at preview are "cannot check until known";
a shape the pack cannot read is a violation naming the path.
"""

from agentid_policy_packs.analysis.k8s_admission import (
    MUTATING_POLICY_TYPES, MUTATING_WEBHOOK_TYPES, VALIDATING_WEBHOOK_TYPES, WRITES, intercepted,
    mutating_policy_rules, webhooks)

from .base import Resource, Rule, Violation
from .k8s_roles import failing_closed

EVERY_OPERATION = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})

def _listed(objects: list[tuple[str, str]]) -> str:
    return "; ".join(f"{names} ({what})" for names, what in objects)

def _judge_webhooks(resource: Resource, mutating: bool):
    for hook in webhooks(dict(resource.props)):
        where = f"{resource.name} webhooks[{hook.index}] ({hook.name})"
        if mutating and (rewritten := intercepted(hook.rules, WRITES)):
            by = f"the server at {hook.url_host}" if hook.url else f"service {hook.service or '(none named)'}"
            yield Violation(f"{where} rewrites {_listed(rewritten)} as they are created or updated: {by} can inject "
                            "containers, mount service-account tokens or the node's files, swap images and add "
                            "subjects, in every namespace the webhook matches")
        elif hook.url and (seen := intercepted(hook.rules, EVERY_OPERATION)):
            yield Violation(f"{where} sends {_listed(seen)} to {hook.url_host} (clientConfig.url, outside the "
                            "cluster's services): that server receives each object whole, secret data included, "
                            "and decides whether it is admitted")

def _judge_policy(resource: Resource):
    if rewritten := intercepted(mutating_policy_rules(dict(resource.props)), WRITES):
        yield Violation(f"{resource.name} (MutatingAdmissionPolicy) rewrites {_listed(rewritten)} as they are "
                        "created or updated: its mutations inject containers, mount service-account tokens or "
                        "the node's files, swap images and add subjects wherever a binding applies it")

def check(resource: Resource, config):
    judged = _judge_policy(resource) if resource.type in MUTATING_POLICY_TYPES else \
        _judge_webhooks(resource, resource.type in MUTATING_WEBHOOK_TYPES)
    yield from failing_closed(resource, judged)

RULE = Rule(
    id="AGID-K8S-009",
    title="k8s-no-admission-takeover",
    severity="critical",
    category="escalation",
    description="The stack creates no mutating webhook or mutating admission policy over pods, workloads, secrets, "
                "service accounts, configmaps, namespaces, RBAC or CSRs, and no admission webhook that sends them to "
                "a URL outside the cluster.",
    remediation="Leave admission control to cluster administrators (install such controllers from their own, "
                "reviewed deployment); scope a stack's own webhooks to its custom resources, backed by an in-cluster "
                "service.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks",
    check=check,
    resource_types=(*MUTATING_WEBHOOK_TYPES, *VALIDATING_WEBHOOK_TYPES, *MUTATING_POLICY_TYPES),
)
