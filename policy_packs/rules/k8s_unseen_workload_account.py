"""AGID-K8S-013 (stack): no workload runs as a Kubernetes service account the stack does not define.

A pod runs with its service account's token (mounted, projected for any audience, or exchanged by the cloud's
workload identity: GKE's metadata server, EKS Pod Identity and IRSA need no mounted API token), so the code the
stack ships acts with whatever RBAC, cloud roles and secrets that account holds. An account the stack defines
(core/v1 ServiceAccount, same namespace and name) is judged by its bindings (AGID-K8S-001..011); an account it does
not define (`ci-deployer` of the platform team, another tenant's controller) holds what nobody here can read: the
K8s twin of AGID-AWS-057 / AGID-GCP-019 (red10: code run as an identity the stack does not define passed).
Flagged ("cannot check", mandatory):
  - a Pod, PodTemplate, ReplicationController, Deployment, DaemonSet, StatefulSet, ReplicaSet, Job or CronJob
    (every version, `*List` items) outside kube-system (AGID-K8S-012 judges kube-system) whose pod spec's
    `serviceAccountName` (or deprecated `serviceAccount`) names such an account;
  - a `*Patch` of one of them that sets containers (code) without naming an account the stack defines: the
    existing workload's account, which the stack does not show, runs the patched code;
  - custom resources of controllers that run pods or apply manifests as an account (Argo Workflows, Tekton,
    Knative, Flux, Spark operator: analysis/k8s_workload_accounts.yaml, sources there) naming such an account,
    or naming none where the controller then acts as itself (Flux: cluster-admin by default);
  - a ServiceAccount (or ServiceAccountPatch) whose workload-identity annotation names a cloud identity the stack
    does not define (`iam.gke.io/gcp-service-account`, `eks.amazonaws.com/role-arn`,
    `azure.workload.identity/client-id`: every pod of the account becomes that identity once its cloud trusts the
    account, and that trust is not in the stack either).
Passes: the namespace's `default` account, named or implied (Kubernetes creates it in every namespace with no
rights; a binding the stack gives it is judged by the RBAC rules; one the cluster already has is not visible to
any rule, a known limit), and accounts the stack defines. `automountServiceAccountToken: false` does not pass an
account: projected token volumes and cloud workload identity still hand the pod its identity.
A metadata.namespace left unset is the provider's namespace (its `namespace`, else its kubeconfig context's, else
`default`: k8s_provider_scope), for workloads and accounts alike; a ServiceAccount on a provider with
`upsertExistingObjects` takes over an existing account and is not one the stack defines (red12 #8). A name (or annotation) known only during deployment is the stack's only when the workload depends on
stack ServiceAccounts (identities) and nothing else and their name (ARN, e-mail, client id) is not known either
(iam_links.output_sources: `depends_on=[own]` + a constant behind another Output is "cannot check until known", red12
#7); a literal client id is the stack's identity only when it equals one's known client id.
Sources: https://kubernetes.io/docs/concepts/security/service-accounts/,
https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting,
https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml
from agentid_policy_packs.analysis.k8s_pods import CONTAINER_LISTS, WORKLOAD_TYPES, pod_spec
from agentid_policy_packs.analysis.k8s_rbac import NotYetKnown, Unreadable, metadata_name, object_at
from agentid_policy_packs.analysis.values import is_unknown, values_at

from .base import Resource, Rule, Violation
from .gcp_unseen_service_account import ACCOUNT_TYPE, _defined_accounts, _is_defined, _target
from .iam_links import ROLE, NameIndex, known_state, output_sources
from .k8s_provider_scope import adopts_existing, object_namespace
from .k8s_roles import failing_closed
from .k8s_system_service_account import SERVICE_ACCOUNT_TYPES, SYSTEM_NAMESPACE

ACCOUNTS_FILE = Path(__file__).resolve().parents[1] / "analysis" / "k8s_workload_accounts.yaml"
DEFAULT_ACCOUNT = "default"


@cache
def _data() -> dict[str, Any]:
    return data_yaml.load(ACCOUNTS_FILE)


@cache
def custom_kinds() -> dict[str, dict[str, Any]]:
    """`kubernetes:group/version:Kind` -> {accounts, omitted, what, source[, cluster_scoped]}, Patch variants too."""
    return {f"kubernetes:{kind}{patch}": spec for kind, spec in _data()["kinds"].items() for patch in ("", "Patch")}


def cloud_identity_annotations() -> dict[str, dict[str, Any]]:
    """Annotation key -> {cloud, identity: [stack types defining it], source}."""
    return _data()["cloud_identity_annotations"]


ANNOTATED_TYPES = (*SERVICE_ACCOUNT_TYPES, "kubernetes:core/v1:ServiceAccountPatch")
IDENTITY_TYPES = tuple(dict.fromkeys(t for spec in cloud_identity_annotations().values() for t in spec["identity"]))


class _StackIdentities:
    """The cloud identities the stack defines, as a workload-identity annotation names them."""

    def __init__(self, resources: list[Resource]):
        self.by_urn = {r.urn: r for r in resources if r.type in IDENTITY_TYPES}
        self.gcp_accounts = _defined_accounts(resources)
        self.aws_roles = NameIndex(r for r in resources if r.type == ROLE)

    def of(self, key: str) -> list[Resource]:
        types = cloud_identity_annotations()[key]["identity"]
        return [r for r in self.by_urn.values() if r.type in types]

    def defines(self, key: str, value: str) -> bool:
        types = cloud_identity_annotations()[key]["identity"]
        if ROLE in types:  # an ARN or name says which role it is: a dependency on another role does not
            return bool(self.aws_roles.resolve(value, ()))
        if ACCOUNT_TYPE in types:
            return _is_defined(_target(value), self.gcp_accounts)
        # a client id is a GUID Entra gives at creation: a literal is the stack's identity only when it equals one's
        # KNOWN client id (the gate's mocks know it); depending on a stack identity proves nothing (red12 #7)
        return any(str(known_state(r).get("clientId", "")).strip().lower() == value.strip().lower()
                   for r in self.of(key))


def _annotations(resource: Resource, identities: _StackIdentities):
    metadata = object_at(resource.props.get("metadata"), "metadata")
    annotations = object_at(metadata.get("annotations"), "metadata.annotations")
    for key, spec in cloud_identity_annotations().items():
        value = annotations.get(key)
        where = f"metadata.annotations[{key!r}]"
        if value is None:
            continue
        if is_unknown(value):
            # the output an annotation holds: an AWS role's ARN, a Google account's e-mail, an Azure client id
            output = "arn" if ROLE in spec["identity"] else "email" if ACCOUNT_TYPE in spec["identity"] else "clientId"
            if output_sources(resource, identities.of(key), (output,)) is None:
                raise NotYetKnown(where)
            continue
        if not isinstance(value, str):
            raise Unreadable(f"{where} is not a string")
        if value.strip() and not identities.defines(key, value):
            yield Violation(f"{resource.name} makes every pod of service account "
                            f"{metadata_name(dict(resource.props)) or resource.name!r} the {spec['cloud']} "
                            f"{value.strip()[:200]} ({where}), which this stack does not define: cannot check what that "
                            "identity may do; define it in this stack (its grants are then judged) or waive this "
                            "resource", resource.urn)


class _StackAccounts:
    """The ServiceAccounts the stack creates, by (namespace, name), and the resources."""

    def __init__(self, resources: list[Resource]):
        self.names: set[tuple[str, str]] = set()
        self.resources: list[Resource] = []
        for resource in resources:
            if resource.type not in SERVICE_ACCOUNT_TYPES:
                continue
            if adopts_existing(resource):
                continue  # an upsert takes over the existing account of that name: not one the stack creates
            self.resources.append(resource)
            metadata = resource.props.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            try:
                namespace = object_namespace(resource)
            except (NotYetKnown, Unreadable):
                continue  # where it lands is not known: it names no account (the workload is judged cannot check)
            if isinstance(name, str) and not is_unknown(name):
                self.names.add((namespace, name))

    def defines(self, namespace: str | None, name: str) -> bool:
        """Is `name` the stack's account in `namespace` (None: a cluster-scoped resource, any namespace)?"""
        return any(known == name and namespace in (None, known_namespace) for known_namespace, known in self.names)


def _judge_name(resource: Resource, where: str, account: Any, namespace: str | None, accounts: _StackAccounts,
                what: str):
    """A violation when `account` (the value at `where`) names an account the stack does not define."""
    if is_unknown(account):
        if output_sources(resource, accounts.resources, ("metadata.name",)) is not None:
            return  # an output of the stack's ServiceAccount: judged by its bindings
        raise NotYetKnown(where)
    if not isinstance(account, str):
        raise Unreadable(f"{where} is not a string")
    if account in ("", DEFAULT_ACCOUNT) or accounts.defines(namespace, account):
        return
    place = f"in namespace {namespace}" if namespace else "in the namespace of each use"
    yield Violation(f"{resource.name} {what} as service account {account[:120]!r} {place} ({where}), which this stack "
                    "does not define: cannot check what its bindings, cloud roles and secrets allow; define the "
                    "account in this stack (its bindings are then judged) or waive this resource", resource.urn)


def _workload(resource: Resource, accounts: _StackAccounts):
    namespace = object_namespace(resource)
    if namespace == SYSTEM_NAMESPACE:
        return  # AGID-K8S-012
    found = pod_spec(resource.type, dict(resource.props))
    if found is None:
        return
    where, spec = found
    named = [(key, spec.get(key)) for key in ("serviceAccountName", "serviceAccount") if spec.get(key) is not None]
    for key, account in named:
        yield from _judge_name(resource, f"{where}.{key}", account, namespace, accounts, "runs its pods")
    if resource.type.endswith("Patch") and not named and any(spec.get(key) for key in CONTAINER_LISTS):
        yield Violation(f"{resource.name} sets the containers ({where}) of an existing workload in namespace "
                        f"{namespace} without naming its service account: the patched code runs as the account the "
                        "workload already has, which this stack does not define: cannot check what it may do; set "
                        f"{where}.serviceAccountName to an account this stack defines", resource.urn)


def _custom(resource: Resource, spec: dict[str, Any], accounts: _StackAccounts):
    namespace = None if spec.get("cluster_scoped") else object_namespace(resource)
    props = dict(resource.props)
    found = [(where, account) for path in spec["accounts"] for where, account in values_at(props, path)]
    for where, account in found:
        yield from _judge_name(resource, where, account, namespace, accounts, spec["what"])
    if not found and spec["omitted"] != DEFAULT_ACCOUNT and not resource.type.endswith("Patch"):
        yield Violation(f"{resource.name} {spec['what']} without {spec['accounts'][0]}, so the controller acts as "
                        f"{spec['omitted']}: cannot check what it may do; set {spec['accounts'][0]} to an account this "
                        "stack defines", resource.urn)


def check(resources: list[Resource], config):
    accounts = _StackAccounts(resources)
    identities = _StackIdentities(resources)
    kinds = custom_kinds()
    for resource in resources:
        if resource.type in ANNOTATED_TYPES:
            yield from failing_closed(resource, _annotations(resource, identities), stack=True)
        elif resource.type in WORKLOAD_TYPES:
            yield from failing_closed(resource, _workload(resource, accounts), stack=True)
        elif resource.type in kinds:
            yield from failing_closed(resource, _custom(resource, kinds[resource.type], accounts), stack=True)


RULE = Rule(
    id="AGID-K8S-013",
    title="k8s-workload-account-known",
    severity="critical",
    category="escalation",
    description="Workloads (Pods ... CronJobs, patches that change their containers, Argo/Tekton/Knative/Flux/Spark "
                "custom resources) run as a service account the stack defines or the namespace's default account, "
                "and service accounts become only cloud identities (GKE, EKS, Azure workload identity) the stack "
                "defines, so what the identity holds is judged.",
    remediation="Create the ServiceAccount in this stack, bind it to exactly what the workload needs, and name it in "
                "the pod spec (or the custom resource's serviceAccountName).",
    url="https://kubernetes.io/docs/concepts/security/service-accounts/",
    check=check,
    stack=True,
    # the custom resources (custom_kinds()) are judged too; they are no provider type token, so docs/coverage.md,
    # which lists the providers' tokens, cannot name them
    reads=(*WORKLOAD_TYPES, *ANNOTATED_TYPES, *IDENTITY_TYPES),
)
