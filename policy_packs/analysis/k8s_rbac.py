"""Kubernetes RBAC as the pack reads it: the rules of a Role / ClusterRole and what they allow.

Shapes (rbac.authorization.k8s.io/v1, https://kubernetes.io/docs/reference/access-authn-authz/rbac/):
  Role / ClusterRole            rules: [{apiGroups, resources, verbs, resourceNames, nonResourceURLs}],
                                ClusterRole also aggregationRule (its rules are then filled in by the controller)
  RoleBinding / ClusterRoleBinding  roleRef {apiGroup, kind, name}, subjects [{kind, name, namespace}]
Escalation verbs and built-in roles: https://kubernetes.io/docs/concepts/security/rbac-good-practices/.

Pure: no Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

VERSIONS = ("v1", "v1beta1", "v1alpha1")
ROLE_TYPES = tuple(f"kubernetes:rbac.authorization.k8s.io/{v}:{k}" for v in VERSIONS
                   for k in ("Role", "ClusterRole", "RolePatch", "ClusterRolePatch"))
BINDING_TYPES = tuple(f"kubernetes:rbac.authorization.k8s.io/{v}:{k}" for v in VERSIONS
                      for k in ("RoleBinding", "ClusterRoleBinding", "RoleBindingPatch", "ClusterRoleBindingPatch"))
# The bindings that can name a namespaced Role (a ClusterRoleBinding names ClusterRoles only)
ROLE_BINDING_TYPES = tuple(t for t in BINDING_TYPES if t.endswith((":RoleBinding", ":RoleBindingPatch")))
SERVICE_ACCOUNT_TYPE = "kubernetes:core/v1:ServiceAccount"
# Built-in ClusterRoles that read secrets in every namespace they are bound cluster-wide
# (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles).
SECRET_READING_BUILTINS = {"cluster-admin", "admin", "edit"}
ESCALATION = {
    "bind": "binds any role, including ones with permissions it does not hold",
    "escalate": "creates or edits roles with permissions it does not hold",
    "impersonate": "acts as another user, group or service account",
}
READ_VERBS = {"get", "list", "watch", "*"}


class Unreadable(ValueError):
    pass


class NotYetKnown(Exception):
    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


@dataclass(frozen=True)
class PolicyRule:
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]
    non_resource_urls: tuple[str, ...]

    def covers(self, group: str, resource: str, verbs: set[str]) -> bool:
        """Does this rule allow any of `verbs` on `resource` (a plural, or plural/subresource) in `group`?

        As the API server's RBAC authorizer matches (kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go,
        ResourceMatches): `*`, the exact name, or `*/SUBRESOURCE` for that subresource of every resource
        (`*/exec` is pods/exec, `*/token` serviceaccounts/token, `*/proxy` nodes/proxy).
        """
        return ((group in self.api_groups or "*" in self.api_groups)
                and any(_resource_matches(allowed, resource) for allowed in self.resources)
                and bool(verbs & set(self.verbs) or "*" in self.verbs))


def _resource_matches(allowed: str, resource: str) -> bool:
    if allowed in ("*", resource):
        return True
    _, slash, subresource = resource.partition("/")
    return bool(slash) and allowed == f"*/{subresource}"


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if is_unknown(value):
        raise NotYetKnown(path)
    if not isinstance(value, list):
        raise Unreadable(f"{path} is not a list")
    for index, item in enumerate(value):
        if is_unknown(item):
            raise NotYetKnown(f"{path}[{index}]")
        if not isinstance(item, str):
            raise Unreadable(f"{path}[{index}] is not a string")
    return tuple(value)


def object_at(value: Any, path: str, required: bool = False) -> dict[str, Any]:
    """`value` as an object (absent: {} unless `required`); raises NotYetKnown / Unreadable naming `path`."""
    if is_unknown(value):
        raise NotYetKnown(path)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise Unreadable(f"{path} is not an object")
    return value


def list_at(value: Any, path: str) -> list[Any]:
    """`value` as a list (absent: []), none of its items unknown; raises NotYetKnown / Unreadable naming `path`."""
    if is_unknown(value):
        raise NotYetKnown(path)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unreadable(f"{path} is not a list")
    for index, item in enumerate(value):
        if is_unknown(item):
            raise NotYetKnown(f"{path}[{index}]")
    return value


def role_rules(props: dict[str, Any]) -> list[PolicyRule]:
    rules = props.get("rules")
    if rules is None:
        return []
    if is_unknown(rules):
        raise NotYetKnown("rules")
    if not isinstance(rules, list):
        raise Unreadable("rules is not a list")
    found = []
    for index, rule in enumerate(rules):
        if is_unknown(rule):
            raise NotYetKnown(f"rules[{index}]")
        if not isinstance(rule, dict):
            raise Unreadable(f"rules[{index}] is not an object")
        found.append(PolicyRule(
            _strings(rule.get("apiGroups"), f"rules[{index}].apiGroups"),
            _strings(rule.get("resources"), f"rules[{index}].resources"),
            _strings(rule.get("verbs"), f"rules[{index}].verbs"),
            _strings(rule.get("resourceNames"), f"rules[{index}].resourceNames"),
            _strings(rule.get("nonResourceURLs"), f"rules[{index}].nonResourceURLs"),
        ))
    return found


def reads_secrets(rules: list[PolicyRule]) -> bool:
    """Allows get/list/watch on secrets (of any name: a resourceNames list bounds it)."""
    return any(rule.covers("", "secrets", READ_VERBS) and not rule.resource_names for rule in rules)


def metadata_name(props: dict[str, Any]) -> str | None:
    metadata = props.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


# --- built-in roles, broad subjects and escalation paths (data: k8s_rbac_facts.yaml, its sources there) ---

def _facts() -> dict[str, Any]:
    from agentid_components import data_yaml  # noqa: PLC0415 - only the rules that judge RBAC need it
    from pathlib import Path  # noqa: PLC0415

    return data_yaml.load(Path(__file__).with_name("k8s_rbac_facts.yaml"))


FACTS = _facts()


UNBOUNDED = "unbounded"


@dataclass(frozen=True)
class EscalationPath:
    group: str
    resources: tuple[str, ...]
    verbs: frozenset[str]
    cluster_only: bool  # True: judged in ClusterRoles only (a namespaced Role keeps it inside its namespace)
    why: str
    # What resourceNames does to the path (facts `names`): None = the named objects bound it; UNBOUNDED = naming
    # objects bounds nothing; a set = the names of the dangerous objects (any other name bounds it).
    names: frozenset[str] | str | None = None

    def named_rule_reaches(self, resource: str, names: tuple[str, ...]) -> bool:
        """Does a rule bounded by resourceNames `names` still reach this path on `resource`?"""
        if self.names == UNBOUNDED:
            return True
        return isinstance(self.names, frozenset) and bool(self.names.intersection(names))


def _path_names(entry: dict[str, Any]) -> frozenset[str] | str | None:
    names = entry.get("names")
    if names is None or names == UNBOUNDED:
        return names
    if isinstance(names, list) and all(isinstance(name, str) for name in names):
        return frozenset(names)
    raise ValueError(f"k8s_rbac_facts.yaml: escalation path {entry.get('resources')}: names must be "
                     f"'{UNBOUNDED}' or a list of object names, not {names!r}")


def _paths(section: str) -> tuple[EscalationPath, ...]:
    return tuple(EscalationPath(str(p["group"]), tuple(p["resources"]), frozenset(p["verbs"]),
                                p["scope"] == "cluster", str(p["why"]), _path_names(p))
                 for p in FACTS[section])


ESCALATION_PATHS = _paths("escalation_paths")
# Grants that stop or take over the cluster's control components (leader-election leases): AGID-K8S-018.
DISRUPTION_PATHS = _paths("disruption_paths")
# The objects those paths write, when the stack writes them itself (a Lease in kube-system): AGID-K8S-018.
LEASE_TYPES = tuple(f"kubernetes:coordination.k8s.io/{v}:{k}" for v, kinds in (
    ("v1", ("Lease", "LeasePatch")),
    ("v1beta1", ("Lease", "LeasePatch", "LeaseCandidate", "LeaseCandidatePatch")),
    ("v1alpha1", ("LeaseCandidate", "LeaseCandidatePatch")),
    ("v1alpha2", ("LeaseCandidate", "LeaseCandidatePatch"))) for k in kinds)
# API Priority and Fairness objects the stack may write itself: AGID-K8S-018.
FLOW_CONTROL_TYPES = tuple(f"kubernetes:flowcontrol.apiserver.k8s.io/{v}:{k}" for v in ("v1", "v1beta1", "v1beta2", "v1beta3")
                           for k in ("FlowSchema", "FlowSchemaPatch", "PriorityLevelConfiguration",
                                     "PriorityLevelConfigurationPatch"))


def builtin_cluster_role(name: str) -> tuple[bool, str] | None:
    """(powerful, why) for a ClusterRole Kubernetes creates itself; None for a name it does not create."""
    if name in FACTS["powerful_cluster_roles"]:
        return True, FACTS["powerful_cluster_roles"][name]
    if name in FACTS["harmless_cluster_roles"]:
        return False, FACTS["harmless_cluster_roles"][name]
    for prefix, why in FACTS["powerful_cluster_role_prefixes"].items():
        if name.startswith(prefix + ":"):
            return True, why
    return None


def _namespace_roles() -> dict[str, dict[str, list[PolicyRule]]]:
    from agentid_components import data_yaml  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    data = data_yaml.load(Path(__file__).with_name("k8s_builtin_namespace_roles.yaml"))
    return {namespace: {name: role_rules({"rules": rules}) for name, rules in roles.items()}
            for namespace, roles in data["namespace_roles"].items()}


NAMESPACE_ROLES = _namespace_roles()


def builtin_namespace_role(namespace: str | None, name: str) -> list[PolicyRule] | None:
    """The rules of the Role `name` Kubernetes creates itself in `namespace` (kube-system's
    system::leader-locking-kube-controller-manager, extension-apiserver-authentication-reader, ...: data
    k8s_builtin_namespace_roles.yaml, from the bootstrap policy); None for a Role it does not create there."""
    return NAMESPACE_ROLES.get(namespace or "", {}).get(name)


def broad_subject(name: str) -> str | None:
    """Why a subject name (user or group) stands for everyone or every workload; None if it does not."""
    if name in FACTS["broad_subjects"]:
        return FACTS["broad_subjects"][name]
    for prefix, why in FACTS["broad_subject_prefixes"].items():
        if name.startswith(prefix):
            return why
    return None


def system_namespace(namespace: str) -> str | None:
    """Why a namespace's service accounts hold cluster-wide power (kube-system, gke-managed, ...); None otherwise."""
    if namespace in FACTS["system_namespaces"]:
        return f"{namespace} is a system namespace (its service accounts hold cluster-wide roles)"
    for prefix, why in FACTS["system_namespace_prefixes"].items():
        if namespace.startswith(prefix):
            return f"{namespace}: {why}"
    return None


def granted_to_everyone_by_default(cluster_role: str) -> bool:
    """Kubernetes binds this built-in ClusterRole to every (authenticated) user itself."""
    return cluster_role in FACTS["everyone_cluster_roles"]


def rbac_bypassing_group(name: str) -> str | None:
    """Why a Kubernetes group's members bypass RBAC (system:masters); None for any other group."""
    return FACTS["rbac_bypassing_groups"].get(name)


def _reached_verbs(rule: PolicyRule, path: EscalationPath, resource: str) -> list[str]:
    """The path's verbs `rule` allows on `resource` (["*"] for a verbs-* rule); [] when it reaches none.

    A rule with resourceNames reaches the path only when the path's `names` say naming does not bound it, and
    then never through `create` of a top-level object: the API server authorizes a create before the object has
    a name, so a named rule does not match it (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources).
    Subresources (pods/exec, nodes/proxy) are requested on a named parent, so every verb counts there.
    """
    if not rule.covers(path.group, resource, set(path.verbs)):
        return []
    verbs = sorted(path.verbs & set(rule.verbs)) or ["*"]
    if not rule.resource_names:
        return verbs
    if not path.named_rule_reaches(resource, rule.resource_names):
        return []
    if "/" not in resource:
        verbs = [verb for verb in verbs if verb != "create"]
    return verbs


def cluster_scoped(group: str, resource: str) -> bool:
    """Is `resource` (plural, or plural/subresource) of `group` cluster-scoped (facts `cluster_scoped_resources`)?"""
    return resource.partition("/")[0] in FACTS["cluster_scoped_resources"].get(group, ())


def escalation_grants(rules: list[PolicyRule], cluster_role: bool,
                      paths: tuple[EscalationPath, ...] = ESCALATION_PATHS,
                      namespaced: bool = False) -> list[tuple[int, str, str, str]]:
    """(rule index, resource, verbs, why) for each escalation path the rules allow. A rule bounded by
    resourceNames reaches a path only where the facts say naming does not bound it (`names`, red7a finding 7:
    the signer kubernetes.io/kube-apiserver-client, a CSR the holder names, a named node's kubelet, aws-auth).
    `namespaced`: the rules are granted in one namespace only (a ClusterRole bound by a RoleBinding), where the
    cluster-scoped resources of the paths (nodes, CRDs, flow control, ...) grant nothing."""
    found = []
    for index, rule in enumerate(rules):
        for path in paths:
            if path.cluster_only and not cluster_role:
                continue
            for resource in path.resources:
                if namespaced and cluster_scoped(path.group, resource):
                    continue
                if verbs := _reached_verbs(rule, path, resource):
                    if rule.resource_names:
                        named = ", ".join(rule.resource_names)
                        resource = f"{resource} (resourceNames {named}: naming them does not bound this)"
                    found.append((index, resource, ", ".join(verbs), path.why))
    return found


# --- aggregated ClusterRoles (red9b finding 4; facts: aggregating_builtin_roles, builtin_role_labels) ------------

def _label_map(value: Any, path: str) -> dict[str, str]:
    labels = object_at(value, path)
    for key, item in labels.items():
        if is_unknown(item):
            raise NotYetKnown(f"{path}.{key}")
        if not isinstance(item, str):
            raise Unreadable(f"{path}.{key} is not a string")
    return labels


def role_labels(props: dict[str, Any]) -> dict[str, str]:
    """metadata.labels of a role ({} when absent); raises NotYetKnown / Unreadable naming the path."""
    return _label_map(object_at(props.get("metadata"), "metadata").get("labels"), "metadata.labels")


def selector_matches(selector: dict[str, Any], labels: dict[str, str], path: str) -> bool:
    """Does the metav1.LabelSelector `selector` match an object carrying `labels`?

    Every matchLabels pair and every matchExpressions requirement must hold (operators In, NotIn, Exists,
    DoesNotExist); an empty selector {} matches every object
    (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors). An operator the
    API does not define raises Unreadable.
    """
    if any(labels.get(key) != value for key, value in _label_map(selector.get("matchLabels"), f"{path}.matchLabels").items()):
        return False
    for index, requirement in enumerate(list_at(selector.get("matchExpressions"), f"{path}.matchExpressions")):
        where = f"{path}.matchExpressions[{index}]"
        requirement = object_at(requirement, where, required=True)
        key, operator = requirement.get("key"), requirement.get("operator")
        values = _strings(requirement.get("values"), f"{where}.values")
        if is_unknown(key) or is_unknown(operator):
            raise NotYetKnown(where)
        if operator == "In" and labels.get(key) not in values or operator == "NotIn" and labels.get(key) in values \
                or operator == "Exists" and key not in labels or operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise Unreadable(f"{where}.operator is not In, NotIn, Exists or DoesNotExist")
    return True


def _powerful_builtins() -> list[tuple[str, dict[str, str], str]]:
    """(name, labels Kubernetes gives it, why) for each powerful built-in ClusterRole of the facts, cluster-admin
    first (a controller's role stands for its prefix: `system:controller:*`)."""
    found = [(name, FACTS["builtin_role_labels"].get(name, FACTS["default_labels"]), why)
             for name, why in FACTS["powerful_cluster_roles"].items()]
    return found + [(f"{prefix}:*", FACTS["default_labels"], why)
                    for prefix, why in FACTS["powerful_cluster_role_prefixes"].items()]


def aggregation_collects(props: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(selector index, built-in ClusterRole, why) for each selector of a ClusterRole's aggregationRule that matches
    a powerful built-in: the aggregation controller copies that built-in's rules into the role. Raises NotYetKnown /
    Unreadable naming the path."""
    rule = object_at(props.get("aggregationRule"), "aggregationRule")
    found = []
    selectors = list_at(rule.get("clusterRoleSelectors"), "aggregationRule.clusterRoleSelectors")
    for index, selector in enumerate(selectors):
        path = f"aggregationRule.clusterRoleSelectors[{index}]"
        selector = object_at(selector, path, required=True)
        for name, labels, why in _powerful_builtins():
            if selector_matches(selector, labels, path):
                found.append((index, name, why))
                break  # one built-in a selector is enough to name
    return found


def aggregating_builtins_fed(labels: dict[str, str]) -> list[str]:
    """The built-in aggregated ClusterRoles (admin, edit, view) whose selectors match `labels`: a ClusterRole
    carrying them has its rules copied into those built-ins."""
    return [name for name, selector in FACTS["aggregating_builtin_roles"].items()
            if all(labels.get(key) == value for key, value in selector.items())]


def default_builtin_labels(name: str) -> dict[str, str]:
    """The labels Kubernetes itself gives the built-in ClusterRole `name` ({} for a name it does not create)."""
    if builtin_cluster_role(name) is None and name not in FACTS["everyone_cluster_roles"]:
        return {}
    return FACTS["builtin_role_labels"].get(name, FACTS["default_labels"])
