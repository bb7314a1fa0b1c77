"""AGID-K8S-001: no wildcard verbs or resources in RBAC roles. `*` grants every verb (including bind, escalate,
impersonate) or every resource (including secrets and resources added to the API later)."""

from agentid_policy_packs.analysis.k8s_rbac import ROLE_TYPES, PolicyRule

from .base import Resource, Rule
from .k8s_roles import judge_role_rules


def _wildcards(rule: PolicyRule):
    what = [name for name, values in (("verbs", rule.verbs), ("resources", rule.resources),
                                      ("nonResourceURLs", rule.non_resource_urls)) if "*" in values]
    if what:
        yield (f"has '*' in {' and '.join(what)}: it allows "
               + ("every verb, bind, escalate and impersonate included" if "verbs" in what
                  else "every resource, secrets and future ones included"))


def check(resource: Resource, config):
    yield from judge_role_rules(resource, _wildcards)

RULE = Rule(
    id="AGID-K8S-001",
    title="k8s-rbac-no-wildcards",
    severity="high",
    category="broad-grant",
    description="Kubernetes Roles and ClusterRoles list exact verbs, resources and non-resource URLs, never '*'.",
    remediation="List the verbs (get, list, watch, ...) and resources (pods, configmaps, ...) the workload calls.",
    url="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
    check=check,
    resource_types=ROLE_TYPES,
)
