"""AGID-GCP-008: impersonation of a service account is granted only from an agent to its own service account,
and never to a whole pool, an owner's every repository or a domain.

Roles holding iam.serviceAccounts.getAccessToken / getOpenIdToken / signJwt / signBlob / implicitDelegation /
actAs or iam.serviceAccountKeys.create (roles/iam.serviceAccountTokenCreator, serviceAccountUser,
serviceAccountKeyAdmin, workloadIdentityUser, or a custom role of the stack holding them) bound on one service
account make the member that account. Two ways this escapes the agent's bounds:
  - an agent principal may become a service account that is not an agent's (e.g. the default compute account
    `PROJECT_NUMBER-compute@developer.gserviceaccount.com`, Editor on its project). Agents and their accounts
    are known by what the stack links (analysis/agent_principals.py, as AGID-GCP-006): federated principals,
    GKE workloads, service accounts a federated principal can act as or a stack resource runs code as
    (analysis/gcp_code_runners.yaml), ids with an `agentServiceAccountPrefixes` prefix (a superset, never the only
    sign). The runner link makes a MEMBER an agent, never the TARGET an agent's own: pointing a Cloud Run service
    at an account is not how an agent comes to own it. A member service account the stack neither creates nor links
    could be an agent named otherwise: impersonating a non-agent account it is flagged (cannot tell);
  - the member is a set: `principalSet://.../workloadIdentityPools/POOL/*` (every identity of the pool),
    `.../attribute.repository_owner/OWNER` (every repository of an owner) or `domain:` (every user of a domain).
A custom role whose name is only known during deployment, on a service account that is not an agent's, cannot
be told apart: flagged (fail closed). Sources: https://cloud.google.com/iam/docs/service-account-permissions,
https://cloud.google.com/iam/docs/principal-identifiers, https://cloud.google.com/iam/docs/workload-identity-federation.
"""

from __future__ import annotations

import re

from agentid_components import gcp_catalog
from .gcp_agent_broad_binding import RUNNER_LINK_TYPES
from agentid_policy_packs.analysis.agent_principals import (AGENT, GCP_ACCOUNT_TYPE, UNKNOWN, GcpPrincipals,
                                                          account_email)
from agentid_policy_packs.analysis.gcp_iam import NotYetKnown, Unreadable, bindings

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_agent_broad_binding import _custom_roles

SERVICE_ACCOUNT_TYPES = ("gcp:serviceaccount/iAMMember:IAMMember", "gcp:serviceaccount/iAMBinding:IAMBinding",
                         "gcp:serviceaccount/iAMPolicy:IAMPolicy")
_IMPERSONATION = ("iam.serviceAccounts.", "iam.serviceAccountKeys.")
_BROAD_SET = re.compile(r"^principalSet://.*/workloadIdentityPools/[^/]+/(?:\*|attribute\.repository_owner(?:_id)?/.*)$")


def _impersonates(role: str, custom: dict[str, object]) -> str | None:
    """The impersonation permission `role` holds, or None."""
    if role in custom:
        permissions = custom[role]
        if not isinstance(permissions, list):
            return "(permissions not known)"
    else:
        info = gcp_catalog.role_info(role)
        if info is None:
            return None  # AGID-GCP-006 / the catalogue checks report unknown roles
        permissions = list(info.permissions)
    for permission in permissions:
        if isinstance(permission, str) and gcp_catalog.escalation_reason(permission) and (
                permission.startswith(_IMPERSONATION) or "*" in permission):
            return permission
    return None


def _account(props) -> str | None:
    """The target account as written (e-mail, or the last segment of projects/P/serviceAccounts/X)."""
    target = props.get("serviceAccountId")
    if not isinstance(target, str):
        return None
    return account_email(target) or target.rsplit("/", 1)[-1]


def _broad(member: str) -> bool:
    return member.lower().startswith("domain:") or bool(_BROAD_SET.match(member))


def check(resources: list[Resource], config):
    prefixes = tuple(p for p in config["agentServiceAccountPrefixes"] if isinstance(p, str) and p)
    custom = _custom_roles(resources)
    principals = GcpPrincipals.from_stack(resources, prefixes)
    for resource in resources:
        if resource.type not in SERVICE_ACCOUNT_TYPES:
            continue
        account = _account(resource.props)
        target_known = not is_unknown(resource.props.get("serviceAccountId"))
        # a target known only at deployment (service_account.name) is judged then: not flagged as foreign now
        own = not target_known or (account is not None and "@" in account
                                   and principals.classify(f"serviceAccount:{account}", run_as=False) == AGENT)
        try:
            found = bindings(dict(resource.props))
        except NotYetKnown as unknown:
            if "role" in unknown.path and not own:
                yield Violation(f"{resource.name} binds a role known only at deployment on service account "
                                f"{account or '(not known)'}, which is not an agent's: cannot check whether it grants "
                                "impersonation; bind the role by its literal name", resource.urn)
            continue
        except Unreadable:
            continue  # AGID-GCP-002/003 report it
        for binding in found:
            permission = _impersonates(binding.role.strip(), custom)
            if permission is None:
                continue
            broad = [m for m in binding.members if _broad(m)]
            if broad:
                yield Violation(f"{resource.name} grants {binding.role} ({permission}) on service account {account} to "
                                f"{', '.join(broad)}: every identity in that set can act as the account", resource.urn)
            kinds = {m: principals.classify(m) for m in binding.members if m not in broad}
            agents = [m for m, kind in kinds.items() if kind == AGENT]
            unknown = [m for m, kind in kinds.items() if kind == UNKNOWN]
            if (agents or unknown) and not target_known:
                yield Unknown("serviceAccountId", resource.urn)
            elif agents and not own:
                yield Violation(f"{resource.name} lets agent principal {', '.join(agents)} impersonate service account "
                                f"{account} ({binding.role}: {permission}), which is not an agent's own: the agent "
                                "gains everything that account holds", resource.urn)
            elif unknown and not own:
                yield Violation(f"{resource.name} lets service account {', '.join(unknown)}, which this stack neither "
                                f"creates nor links to a workload (cannot tell whether it is an agent's), impersonate "
                                f"service account {account} ({binding.role}: {permission}), which is not an agent's "
                                "own", resource.urn)


RULE = Rule(
    id="AGID-GCP-008",
    title="gcp-no-foreign-impersonation",
    severity="critical",
    category="escalation",
    description="Agents impersonate only their own service accounts, and no pool, repository owner or domain "
                "as a whole may impersonate a service account.",
    remediation="Grant roles/iam.workloadIdentityUser or serviceAccountTokenCreator on the agent's own service "
                "account to the one principal:// subject (or one attribute.repository) that is the agent.",
    url="https://cloud.google.com/iam/docs/service-account-permissions",
    check=check,
    stack=True,
    reads=SERVICE_ACCOUNT_TYPES + (GCP_ACCOUNT_TYPE, "gcp:projects/iAMCustomRole:IAMCustomRole",
                                   "gcp:organizations/iAMCustomRole:IAMCustomRole") + RUNNER_LINK_TYPES,
    config={"agentServiceAccountPrefixes": ["agent-"]},
    config_schema={"agentServiceAccountPrefixes": {"type": "array", "items": {"type": "string"}}},
    config_strictness={"agentServiceAccountPrefixes": "superset"},
)
