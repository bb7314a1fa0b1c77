"""AGID-K8S-002: no escalation verbs in RBAC roles: `bind` and `escalate` on roles let the holder grant itself
any permission, `impersonate` lets it act as any user, group or service account, and `create` on
serviceaccounts/token mints tokens of other service accounts."""

from agentid_policy_packs.analysis.k8s_rbac import ESCALATION, ROLE_TYPES, PolicyRule

from .base import Resource, Rule
from .k8s_roles import judge_role_rules


def _escalations(rule: PolicyRule):
    for verb, why in ESCALATION.items():
        if verb in rule.verbs:
            yield f"allows '{verb}': the holder {why}"
    if rule.covers("", "serviceaccounts/token", {"create"}):
        yield ("allows create on serviceaccounts/token: the holder mints tokens of "
               + ("the named service accounts" if rule.resource_names else "every service account"))


def check(resource: Resource, config):
    yield from judge_role_rules(resource, _escalations)

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
