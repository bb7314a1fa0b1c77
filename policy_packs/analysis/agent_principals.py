"""Which principals of a stack are agents, judged by what the stack links to them, never by how they are named.

An attacker (or a careless author) names an agent's service account whatever they like: `ci-runner`, not
`agent-...`. What makes a workload an agent is that it can obtain cloud credentials as a workload, and the stack
says so in its own resources:

Google Cloud (`GcpPrincipals`):
  - a federated principal (`principal://`, `principalSet://`, Workload Identity Federation) or a GKE workload
    (`serviceAccount:PROJECT.svc.id.goog[NS/KSA]`) is an agent;
  - a service account created in the stack (`gcp:serviceaccount/account:Account`) is an agent's when a binding in
    the stack lets a federated principal or GKE workload act as it (roles/iam.workloadIdentityUser,
    serviceAccountTokenCreator, any role: the link is the point), or when a stack resource that runs code as a
    service account runs as it (red17 r17-6: a Cloud Run service or job, a function, a VM or instance template, GKE
    nodes, Vertex AI Agent Engine, Composer, Dataflow, Batch, Workflows, a build trigger, ...: every runner input of
    analysis/gcp_code_runners.yaml, the data AGID-GCP-019 reads; the code there holds the account's tokens, so it is a
    workload identity however the account is named), or when its id starts with a configured prefix (`agent-`, the
    kit's naming: a superset, never the only sign);
  - a Google-managed service agent (`...@gcp-sa-*.iam.gserviceaccount.com`, `@cloudservices`, `@developer`,
    `@cloudbuild.gserviceaccount.com`, ...) is not; humans and groups (`user:`, `group:`, `domain:`) are not;
  - any other service account, not created in the stack, is unknown: the rules that are about agents fail closed.
  Sources: https://cloud.google.com/iam/docs/principal-identifiers, https://cloud.google.com/iam/docs/service-agents,
  https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity.

Kubernetes (`KubernetesAccounts`): a ServiceAccount is an agent's when the stack gives it a cloud identity: an
annotation of EKS IRSA (`eks.amazonaws.com/role-arn`), Azure workload identity (`azure.workload.identity/client-id`)
or GKE (`iam.gke.io/gcp-service-account`), an EKS Pod Identity association, or any trust document of the stack
naming its subject (`system:serviceaccount:NS:NAME`: IAM role trust, Azure / Entra federated credentials, GCP
workload identity principals and provider conditions; `PROJECT.svc.id.goog[NS/NAME]`), or the kit's `agent`
label. A ServiceAccount the stack does not define is unknown.

Pure: no Pulumi.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from agentid_components import data_yaml
from agentid_policy_packs.analysis.gcp_iam import resource_project
from agentid_policy_packs.analysis.values import is_unknown, values_at

CODE_RUNNERS_FILE = Path(__file__).resolve().parent / "gcp_code_runners.yaml"
GCP_ACCOUNT_TYPE = "gcp:serviceaccount/account:Account"
GCP_ACCOUNT_BINDING_TYPES = ("gcp:serviceaccount/iAMMember:IAMMember", "gcp:serviceaccount/iAMBinding:IAMBinding",
                             "gcp:serviceaccount/iAMPolicy:IAMPolicy")
K8S_SERVICE_ACCOUNT_TYPE = "kubernetes:core/v1:ServiceAccount"
EKS_POD_IDENTITY_TYPE = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
# Annotations through which a Kubernetes ServiceAccount obtains a cloud identity
# (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html,
# https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html,
# https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity).
CLOUD_IDENTITY_ANNOTATIONS = ("eks.amazonaws.com/role-arn", "azure.workload.identity/client-id",
                              "iam.gke.io/gcp-service-account")
AGENT_LABEL = "agent"

_GKE_WORKLOAD = re.compile(r"^serviceAccount:[a-z0-9.:-]+\.svc\.id\.goog\[[^\]/]+/[^\]]+\]$")
# Google-managed service agents and default accounts (https://cloud.google.com/iam/docs/service-agents)
_GOOGLE_MANAGED = re.compile(
    r"@(gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com|[a-z0-9-]+\.gserviceaccount\.com|"
    r"developer\.gserviceaccount\.com|appspot\.gserviceaccount\.com|cloudservices\.gserviceaccount\.com|"
    r"cloudbuild\.gserviceaccount\.com|container-engine-robot\.iam\.gserviceaccount\.com|"
    r"compute-system\.iam\.gserviceaccount\.com)$")
_K8S_SUBJECT = re.compile(r"system:serviceaccount:([a-z0-9*][a-z0-9.*-]*):([a-z0-9*][a-z0-9.*-]*)")
_GKE_SUBJECT = re.compile(r"\.svc\.id\.goog\[([a-z0-9*][a-z0-9.*-]*)/([a-z0-9*][a-z0-9.*-]*)\]")

AGENT, NOT_AGENT, UNKNOWN = "agent", "not an agent", "unknown"


def _federated(member: str) -> bool:
    return member.startswith(("principal://", "principalSet://")) or bool(_GKE_WORKLOAD.match(member))


def _members(props: dict[str, Any]) -> list[str]:
    """Every member string a service-account IAM resource names (member, members[], policyData bindings)."""
    found: list[Any] = [props.get("member")]
    if isinstance(props.get("members"), list):
        found += props["members"]
    policy = props.get("policyData")
    if isinstance(policy, str):
        try:
            document = json.loads(policy)
        except ValueError:
            document = {}
        for binding in document.get("bindings", []) if isinstance(document, dict) else []:
            if isinstance(binding, dict) and isinstance(binding.get("members"), list):
                found += binding["members"]
    return [m for m in found if isinstance(m, str)]


def account_email(reference: Any) -> str | None:
    """The e-mail a serviceAccountId names: projects/P/serviceAccounts/EMAIL, or the e-mail itself."""
    if not isinstance(reference, str) or is_unknown(reference):
        return None
    last = reference.rsplit("/", 1)[-1]
    return last.lower() if "@" in last else None


def _stack_account_email(resource: Any) -> str | None:
    email = resource.props.get("email")
    if isinstance(email, str) and not is_unknown(email):
        return email.lower()
    account, project = resource.props.get("accountId"), resource_project(resource)
    if isinstance(account, str) and not is_unknown(account) and project is not None:
        return f"{account}@{project}.iam.gserviceaccount.com".lower()
    return None


@lru_cache(maxsize=1)
def code_runners() -> dict[str, dict[str, Any]]:
    """Resource type token -> {accounts: [input path], what, source} (gcp_code_runners.yaml `runners`, AGID-GCP-019's)."""
    return data_yaml.load(CODE_RUNNERS_FILE)["runners"]


def _run_as(resources: list[Any]) -> set[str]:
    """The e-mails of the service accounts a stack resource runs code as (gcp_code_runners.yaml `runners`). A literal
    names its account (`projects/P/serviceAccounts/EMAIL` or the e-mail). An input not known at preview is an Output
    of a stack Account the runner depends on: every such Account is taken as run as (over-including makes more
    principals agents, the strict side), none when the runner depends on no stack Account."""
    accounts = {r.urn: e for r in resources if r.type == GCP_ACCOUNT_TYPE and (e := _stack_account_email(r))}
    found: set[str] = set()
    for resource in resources:
        spec = code_runners().get(resource.type)
        if spec is None:
            continue
        for path in spec["accounts"]:
            for _, reference in values_at(dict(resource.props), path):
                if is_unknown(reference):
                    found.update(e for urn, e in accounts.items() if urn in resource.dependencies)
                elif isinstance(reference, str) and "@" in reference:
                    found.add(reference.strip().rsplit("/", 1)[-1].lower())
                elif isinstance(reference, str) and (unique := reference.strip().rsplit("/", 1)[-1]).isdigit():
                    found.update(_by_unique_id(unique, resources))
    return found


def _by_unique_id(unique: str, resources: list[Any]) -> set[str]:
    """The e-mails of the stack Accounts whose KNOWN unique id (the gate's mocks, or a deployed state) is `unique`
    (runner inputs take `projects/-/serviceAccounts/UNIQUE_ID` as well as the e-mail)."""
    from agentid_policy_packs.rules.iam_links import known_state  # noqa: PLC0415 (rules import analysis)

    return {e for r in resources if r.type == GCP_ACCOUNT_TYPE and known_state(r).get("uniqueId") == unique
            and (e := _stack_account_email(r))}


@dataclass
class GcpPrincipals:
    """The stack's service accounts and which of them federated workloads can act as."""

    prefixes: tuple[str, ...] = ()
    created: set[str] = field(default_factory=set)  # e-mails of accounts the stack creates
    linked: set[str] = field(default_factory=set)  # of those (or any), the ones a federated principal acts as
    run_as: set[str] = field(default_factory=set)  # the ones a stack runner (gcp_code_runners.yaml) runs code as

    @classmethod
    def from_stack(cls, resources: Iterable[Any], prefixes: tuple[str, ...] = ()) -> "GcpPrincipals":
        found = cls(prefixes)
        for resource in resources:
            props = resource.props
            if resource.type == GCP_ACCOUNT_TYPE:
                # no `project`: the provider's (its explicit provider's, else the stack's gcp:project)
                account, project = props.get("accountId"), resource_project(resource)
                email = props.get("email")
                if isinstance(email, str) and not is_unknown(email):
                    found.created.add(email.lower())
                elif isinstance(account, str) and project is not None:
                    found.created.add(f"{account}@{project}.iam.gserviceaccount.com".lower())
            elif resource.type in GCP_ACCOUNT_BINDING_TYPES:
                email = account_email(props.get("serviceAccountId"))
                if email and any(_federated(m) for m in _members(dict(props))):
                    found.linked.add(email)
        found.run_as = _run_as(list(resources))
        return found

    def classify(self, member: str, run_as: bool = True) -> str:
        """AGENT, NOT_AGENT or UNKNOWN (a service account the stack neither creates nor links). `run_as=False` leaves
        the runner link out: for a rule where being an agent's account PASSES (AGID-GCP-008's impersonation target),
        the link that makes more accounts agents must not be the attacker's way to a pass."""
        if _federated(member):
            return AGENT
        kind, _, identity = member.partition(":")
        if kind != "serviceAccount":
            return NOT_AGENT  # user:, group:, domain:, public sets (AGID-GCP-005's): people, not workloads
        email = identity.lower()
        if email in self.linked or (run_as and email in self.run_as) or email.split("@", 1)[0].startswith(self.prefixes):
            return AGENT
        if email in self.created:
            return NOT_AGENT
        if _GOOGLE_MANAGED.search(email):
            return NOT_AGENT
        return UNKNOWN


@dataclass
class KubernetesAccounts:
    """The stack's ServiceAccounts (namespace, name) and the subjects its cloud trust names."""

    defined: set[tuple[str, str]] = field(default_factory=set)
    agents: set[tuple[str, str]] = field(default_factory=set)  # defined ones with a cloud identity or the label
    trusted: set[tuple[str, str]] = field(default_factory=set)  # subjects named by trust (patterns may hold '*')

    @classmethod
    def from_stack(cls, resources: Iterable[Any]) -> "KubernetesAccounts":
        found = cls()
        for resource in resources:
            props = resource.props
            if resource.type == K8S_SERVICE_ACCOUNT_TYPE:
                metadata = props.get("metadata") if isinstance(props.get("metadata"), dict) else {}
                key = (str(metadata.get("namespace") or "default"), str(metadata.get("name")))
                found.defined.add(key)
                annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
                labels = metadata.get("labels") if isinstance(metadata.get("labels"), dict) else {}
                if any(annotations.get(a) for a in CLOUD_IDENTITY_ANNOTATIONS) or labels.get(AGENT_LABEL):
                    found.agents.add(key)
                continue
            if resource.type == EKS_POD_IDENTITY_TYPE:
                namespace, account = props.get("namespace"), props.get("serviceAccount")
                if isinstance(namespace, str) and isinstance(account, str):
                    found.trusted.add((namespace, account))
                continue
            text = json.dumps(dict(props), default=str)
            if "system:serviceaccount:" in text or ".svc.id.goog[" in text:
                found.trusted.update(_K8S_SUBJECT.findall(text))
                found.trusted.update(_GKE_SUBJECT.findall(text))
        return found

    def classify(self, namespace: str, name: str) -> str:
        """AGENT, NOT_AGENT (defined here, no cloud identity, no trust) or UNKNOWN (not defined in the stack)."""
        if (namespace, name) in self.agents or any(
                fnmatchcase(namespace, ns) and fnmatchcase(name, sa) for ns, sa in self.trusted):
            return AGENT
        return NOT_AGENT if (namespace, name) in self.defined else UNKNOWN
