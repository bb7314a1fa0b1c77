"""AGID-K8S-002: no escalation verbs in RBAC roles: `bind` and `escalate` on roles let the holder grant itself
any permission, `impersonate` lets it act as any user, group or service account, and `create` on
serviceaccounts/token mints tokens of other service accounts."""

from agentid_policy_packs.analysis.k8s_rbac import ESCALATION, ROLE_TYPES, PolicyRule

from .base import Resource, Rule
from .k8s_roles import judge_role_rules


# What each escalation verb acts on (https://kubernetes.io/docs/concepts/security/rbac-good-practices/): a
# rule allowing every verb ('*') on one of these allows that verb too (red6: verbs ['*'] on clusterroles passed).
_VERB_TARGETS = {
    "bind": (("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "clusterroles")),
    "escalate": (("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "clusterroles")),
    "impersonate": (("", "users"), ("", "groups"), ("", "serviceaccounts"), ("authentication.k8s.io", "uids"),
                    ("authentication.k8s.io", "userextras/scopes")),
}


def _escalations(rule: PolicyRule):
    for verb, why in ESCALATION.items():
        if verb in rule.verbs or ("*" in rule.verbs and any(rule.covers(group, resource, {verb})
                                                             for group, resource in _VERB_TARGETS[verb])):
            yield f"allows '{verb}'{' (through verbs *)' if verb not in rule.verbs else ''}: the holder {why}"
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
