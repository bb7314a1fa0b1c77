"""The workload side of an agent's trust, as plain data: Kubernetes ServiceAccounts and SPIRE registrations.

The trust the kit writes on each cloud names a Kubernetes service account or a SPIFFE ID; the workload side must
match it exactly or the token exchange fails (or, hand-written, admits more). For the cluster a stack targets
(config `kubernetesIssuer`, the cluster's service-account token issuer) the kit generates:

- per `kubernetes` binding with that issuer, a ServiceAccount NS/SA carrying what each cloud needs:
    AWS IRSA               annotation eks.amazonaws.com/role-arn = the agent's role ARN (not for EKS Pod
                           Identity bindings: the association names the account)
                           https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    Azure workload identity annotation azure.workload.identity/client-id = the managed identity's client id,
                           label azure.workload.identity/use: "true" (pods need the label too)
                           https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
    GKE                    annotation iam.gke.io/gcp-service-account = the agent's service account e-mail
                           https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
- per `spiffe` binding in the stack's trust domain (config `spireTrustDomain`), a SPIRE controller-manager
  ClusterSPIFFEID (spire.spiffe.io/v1alpha1) whose spiffeIDTemplate is the exact ID, whose namespaceSelector
  names the one namespace and whose workloadSelectorTemplates (k8s:ns, k8s:sa) select exactly that service
  account's pods, with ttl / jwtTtl = the agent's max_credential_minutes
  (https://github.com/spiffe/spire-controller-manager/blob/main/docs/clusterspiffeid-crd.md). The SPIFFE path
  must be /ns/NAMESPACE/sa/SERVICE_ACCOUNT, the SPIRE convention, so the selector can be derived from it.

Pure: no Pulumi.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from agentid_components import https_url, naming
from agentid_components.settings import SettingError
from agentid_components.spec import Agent

LABEL_AGENT = naming.TAG_AGENT
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
AZURE_CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
AZURE_USE_LABEL = "azure.workload.identity/use"
GKE_ANNOTATION = "iam.gke.io/gcp-service-account"


_ISSUER_KEY = "agent-identity-kit:kubernetesIssuer"


class WorkloadCompileError(SettingError, ValueError):
    """The workload side cannot be generated as configured; every problem, one a line. A RunError: Pulumi (and
    `agentid preview`) print the message without a traceback, as for the other components."""


@dataclass(frozen=True)
class ServiceAccountPlan:
    agent: str
    namespace: str
    name: str
    irsa: bool  # annotate with the agent's AWS role ARN
    azure: bool  # annotate with the managed identity's client id (and label it)
    gcp: bool  # annotate with the agent's Google service account

    @property
    def labels(self) -> dict[str, str]:
        labels = {LABEL_AGENT: self.agent, LABEL_MANAGED_BY: naming.MANAGED_BY}
        if self.azure:
            labels[AZURE_USE_LABEL] = "true"
        return labels


@dataclass(frozen=True)
class SpiffeRegistrationPlan:
    agent: str
    spiffe_id: str
    namespace: str
    service_account: str
    ttl_minutes: int
    class_name: str | None

    @property
    def name(self) -> str:
        """ClusterSPIFFEID names are cluster-wide: the agent's name and a digest of the ID it registers."""
        return f"agent-{self.agent}-{hashlib.sha256(self.spiffe_id.encode()).hexdigest()[:8]}"

    @property
    def spec(self) -> dict:
        ttl = f"{self.ttl_minutes}m0s"
        spec = {
            "spiffeIDTemplate": self.spiffe_id,
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": self.namespace}},
            "podSelector": {},
            "workloadSelectorTemplates": [f"k8s:ns:{self.namespace}", f"k8s:sa:{self.service_account}"],
            "ttl": ttl,
            "jwtTtl": ttl,
        }
        if self.class_name:
            spec["className"] = self.class_name
        return spec


@dataclass(frozen=True)
class WorkloadPlan:
    service_accounts: tuple[ServiceAccountPlan, ...]
    registrations: tuple[SpiffeRegistrationPlan, ...]


def plan_workloads(agents: list[Agent], issuer: str | None, trust_domain: str | None,
                   class_name: str | None = None) -> WorkloadPlan:
    """What to generate in the stack's cluster; raise `WorkloadCompileError` listing every problem.

    `issuer` (config `kubernetesIssuer`) obeys the agent file's issuer rules (https_url): it is matched against the
    spec's issuers, and one that parsers read as another host or path than written is refused, not left unmatched.
    """
    problems: list[str] = []
    if issuer is not None and (why := https_url.problem(issuer.rstrip("/") or issuer)):
        problems.append(f"config {_ISSUER_KEY} {issuer[:200]!r} {why}")
    accounts: dict[tuple[str, str], ServiceAccountPlan] = {}
    registrations = []
    for agent in agents:
        clouds = agent.clouds
        for binding in agent.trust:
            if binding.kubernetes and issuer and binding.kubernetes.issuer.rstrip("/") == issuer.rstrip("/"):
                k8s = binding.kubernetes
                key = (k8s.namespace, k8s.service_account)
                if key in accounts:
                    problems.append(f"agent '{agent.name}': service account {k8s.namespace}/{k8s.service_account} is "
                                    f"already agent '{accounts[key].agent}''s: one service account, one agent")
                    continue
                accounts[key] = ServiceAccountPlan(
                    agent.name, k8s.namespace, k8s.service_account,
                    irsa="aws" in clouds and k8s.cluster is None,
                    azure="azure" in clouds,
                    gcp="gcp" in clouds,
                )
            if binding.spiffe and trust_domain and binding.spiffe.trust_domain == trust_domain:
                pods = binding.spiffe.kubernetes_service_account
                if not pods:
                    problems.append(f"agent '{agent.name}': SPIFFE path '{binding.spiffe.path}' is not "
                                    "/ns/NAMESPACE/sa/SERVICE_ACCOUNT, so no registration can select exactly its "
                                    "workload: use the SPIRE Kubernetes convention")
                    continue
                registrations.append(SpiffeRegistrationPlan(
                    agent.name, binding.spiffe.spiffe_id, *pods,
                    agent.max_credential_minutes, class_name))
    if problems:
        raise WorkloadCompileError("\n".join(problems))
    return WorkloadPlan(tuple(accounts.values()), tuple(registrations))
