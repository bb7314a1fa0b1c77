"""The workload side in the stack's cluster (pulumi-kubernetes): ServiceAccounts and SPIRE ClusterSPIFFEIDs.

Optional per stack: generated only when config `kubernetesIssuer` (ServiceAccounts) or `spireTrustDomain`
(ClusterSPIFFEIDs) is set; the cluster is the one config `kubernetesContext` names in the kubeconfig (a
`pulumi_kubernetes.Provider`), or the ambient one. Resources:
  kubernetes:core/v1:ServiceAccount                  one a kubernetes binding on that issuer
  kubernetes:spire.spiffe.io/v1alpha1:ClusterSPIFFEID  one a spiffe binding in that trust domain
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from agentid_components.child_names import ChildNames, first_of_type, passing_depends_on
from agentid_components.spec import Agent
from agentid_components.workload.plan import (
    AZURE_CLIENT_ID_ANNOTATION, GKE_ANNOTATION, IRSA_ANNOTATION, WorkloadPlan, plan_workloads)

CONFIG_NAMESPACE = "agent-identity-kit"
TYPE_TOKEN = "agentid:kubernetes:Workloads"


@dataclass(frozen=True)
class WorkloadSettings:
    """Which cluster the stack writes the workload side to.

    issuer: the cluster's service-account token issuer (config `kubernetesIssuer`): kubernetes bindings with this
        issuer get a ServiceAccount.
    trust_domain: the SPIRE server's trust domain (config `spireTrustDomain`): spiffe bindings in it get a
        ClusterSPIFFEID.
    context: kubeconfig context of the cluster (config `kubernetesContext`; default: the current context).
    spire_class_name: className of the spire-controller-manager that should take the registrations
        (config `spireClassName`; default: none, every controller).
    """

    issuer: str | None = None
    trust_domain: str | None = None
    context: str | None = None
    spire_class_name: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.issuer or self.trust_domain)

    @classmethod
    def from_config(cls, config: pulumi.Config | None = None) -> "WorkloadSettings":
        config = config or pulumi.Config(CONFIG_NAMESPACE)
        return cls(config.get("kubernetesIssuer"), config.get("spireTrustDomain"), config.get("kubernetesContext"),
                   config.get("spireClassName"))


class Workloads(pulumi.ComponentResource):
    """ServiceAccounts annotated with each agent's cloud identities, and SPIRE registrations of its SPIFFE IDs.

    `identities`: agent -> {"aws_role_arn", "azure_client_id", "gcp_email"} Outputs (absent keys: no identity there).
    """

    def __init__(self, name: str, agents: list[Agent], settings: WorkloadSettings,
                 identities: dict[str, dict[str, pulumi.Output[str]]], opts: pulumi.ResourceOptions | None = None,
                 plan: WorkloadPlan | None = None, legacy: bool | None = None) -> None:
        """`legacy`: give the children their names from before Pulumi's naming convention as aliases (`child_names`); default:
        only the first component of this type in the program does."""
        plan = plan if plan is not None else self.check(agents, settings)
        super().__init__(TYPE_TOKEN, name, None, passing_depends_on(opts))
        names = ChildNames(self, name, legacy=first_of_type(TYPE_TOKEN) if legacy is None else legacy)
        # Named `<name>-cluster` before the convention too: its alias comes with this component's.
        provider = k8s.Provider(names.name("cluster"), context=settings.context, opts=names.options()) \
            if settings.context else None
        self.service_accounts = {}
        for account in plan.service_accounts:
            ids = identities.get(account.agent, {})
            annotations: dict[str, Any] = {}
            if account.irsa and "aws_role_arn" in ids:
                annotations[IRSA_ANNOTATION] = ids["aws_role_arn"]
            if account.azure and "azure_client_id" in ids:
                annotations[AZURE_CLIENT_ID_ANNOTATION] = ids["azure_client_id"]
            if account.gcp and "gcp_email" in ids:
                annotations[GKE_ANNOTATION] = ids["gcp_email"]
            local = f"{account.agent}-{account.namespace}-{account.name}"
            self.service_accounts[(account.namespace, account.name)] = k8s.core.v1.ServiceAccount(
                names.name(local),
                metadata=k8s.meta.v1.ObjectMetaArgs(name=account.name, namespace=account.namespace,
                                                    labels=account.labels, annotations=annotations),
                automount_service_account_token=False,  # pods mount the projected, audience-bound token they need
                opts=names.options(local, provider=provider),
            )
        self.registrations = [
            k8s.apiextensions.CustomResource(
                names.name(registration.name),
                api_version="spire.spiffe.io/v1alpha1",
                kind="ClusterSPIFFEID",
                metadata={"name": registration.name, "labels": {"agent": registration.agent}},
                spec=registration.spec,
                opts=names.options(registration.name, provider=provider),
            )
            for registration in plan.registrations
        ]
        self.register_outputs({"serviceAccounts": len(self.service_accounts), "registrations": len(self.registrations)})

    @staticmethod
    def check(agents: list[Agent], settings: WorkloadSettings) -> WorkloadPlan:
        return plan_workloads(agents, settings.issuer, settings.trust_domain, settings.spire_class_name)
