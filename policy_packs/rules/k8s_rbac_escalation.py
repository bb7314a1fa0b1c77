"""AGID-K8S-002: no escalation verbs in RBAC roles: `bind` and `escalate` on roles let the holder grant itself
any permission, `impersonate` lets it act as any user, group or service account, and `create` on
serviceaccounts/token mints tokens of other service accounts."""

from agentid_policy_packs.analysis.k8s_rbac import ESCALATION, ROLE_TYPES, NotYetKnown, Unreadable, role_rules

from .base import Resource, Rule, Unknown, Violation


def check(resource: Resource, config):
    try:
        rules = role_rules(dict(resource.props))
    except NotYetKnown as unknown:
        yield Unknown(unknown.path)
        return
    except Unreadable as error:
        yield Violation(f"{resource.name}: cannot check: {error}")
        return
    for index, rule in enumerate(rules):
        for verb, why in ESCALATION.items():
            if verb in rule.verbs:
                yield Violation(f"{resource.name} rules[{index}] allows '{verb}': the holder {why}")
        if rule.covers("", "serviceaccounts/token", {"create"}):
            yield Violation(f"{resource.name} rules[{index}] allows create on serviceaccounts/token: the holder mints "
                            "tokens of " + ("the named service accounts" if rule.resource_names else "every service account"))


RULE = Rule(
    id="AGID-K8S-002",
    title="k8s-rbac-no-escalation-verbs",
    severity="critical",
    category="escalation",
    description="Kubernetes roles do not allow bind, escalate, impersonate or creating service-account tokens.",
    remediation="Drop the verb; role and binding management stays with cluster administrators, and workloads get "
                "their own service account instead of impersonating another.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
    check=check,
    resource_types=ROLE_TYPES,
)
