"""AGID-GCP-012 (stack): a service account someone may impersonate is one the stack defines, so what it holds is
judged.

A role holding iam.serviceAccounts.getAccessToken / getOpenIdToken / signJwt / signBlob / implicitDelegation /
actAs / setIamPolicy or iam.serviceAccountKeys.create (roles/iam.serviceAccountTokenCreator, serviceAccountUser,
workloadIdentityUser, serviceAccountKeyAdmin, serviceAccountAdmin, or a custom role of the stack holding one)
bound on one service account makes every member that account (https://cloud.google.com/iam/docs/service-account-permissions).
The member's power is then the account's: when the account is defined in this stack
(gcp.serviceaccount.Account) its own bindings are judged by the other GCP rules; an account the stack does not
define (`admin@p1.iam.gserviceaccount.com`, the default compute account, a service agent) holds what the pack
cannot see, so the grant is a violation: "cannot check what service account X holds" (fail closed), as
AGID-AWS-044 treats a role the stack may assume but does not define. A target known only during deployment is
an account of this stack (its `name` output) and is judged by its bindings.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.gcp_iam import NotYetKnown, Unreadable, bindings, resource_project
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation
from .gcp_agent_broad_binding import CUSTOM_ROLE_TYPES, _custom_roles
from .gcp_service_account_impersonation import SERVICE_ACCOUNT_TYPES, _impersonates

ACCOUNT_TYPE = "gcp:serviceaccount/account:Account"
_USER_MANAGED = ".iam.gserviceaccount.com"


def _defined_accounts(resources: list[Resource]) -> set[tuple[str, str | None]]:
    """(account id, project: its own or its provider's, None when unknown) of every Account in the stack."""
    found = set()
    for resource in resources:
        if resource.type != ACCOUNT_TYPE:
            continue
        account_id, project = resource.props.get("accountId"), resource_project(resource)
        if isinstance(account_id, str):
            found.add((account_id.strip().lower(), project.strip().lower() if isinstance(project, str) else None))
    return found


def _target(service_account_id: str) -> tuple[str, str | None]:
    """(account id, project) of `projects/P/serviceAccounts/EMAIL`, `EMAIL` or a unique id; the project is the
    e-mail's (ID@PROJECT.iam.gserviceaccount.com), else the path's, else None."""
    path_project, _, email = service_account_id.strip().lower().rpartition("/serviceAccounts/".lower())
    email = email or service_account_id.strip().lower()
    account, _, domain = email.partition("@")
    if domain.endswith(_USER_MANAGED):
        return account, domain[:-len(_USER_MANAGED)]
    project = path_project.removeprefix("projects/") if path_project.startswith("projects/") else None
    return email, None if project in (None, "-") else project


def _is_defined(target: tuple[str, str | None], defined: set[tuple[str, str | None]]) -> bool:
    account, project = target
    return any(account == known and (project is None or known_project in (None, project))
               for known, known_project in defined)


def check(resources: list[Resource], config):
    defined = _defined_accounts(resources)
    custom = _custom_roles(resources)
    for resource in resources:
        if resource.type not in SERVICE_ACCOUNT_TYPES:
            continue
        target = resource.props.get("serviceAccountId")
        if is_unknown(target) or not isinstance(target, str):
            continue  # an output of this stack's Account (judged by its bindings); unreadable: AGID-GCP-002/005
        if _is_defined(_target(target), defined):
            continue
        try:
            found = bindings(dict(resource.props))
        except (NotYetKnown, Unreadable):
            continue  # AGID-GCP-002/005/008 report these
        for binding in found:
            permission = _impersonates(binding.role.strip(), custom)
            if permission is None:
                continue
            yield Violation(f"{resource.name} lets {', '.join(binding.members) or 'nobody yet'} act as service account "
                            f"{target} ({binding.role}: {permission}): cannot check what service account {target} "
                            "holds: it is not defined in this stack", resource.urn)


RULE = Rule(
    id="AGID-GCP-012",
    title="gcp-impersonated-account-known",
    severity="critical",
    category="unparseable",
    description="Service accounts that members may impersonate (token creator, user, workload identity user, key "
                "admin) are defined in the same stack, so what they hold is judged.",
    remediation="Define the service account and its grants in this stack (gcp.serviceaccount.Account), or grant "
                "the member the roles it needs directly instead of another account's identity.",
    url="https://cloud.google.com/iam/docs/service-account-permissions",
    check=check,
    stack=True,
    reads=SERVICE_ACCOUNT_TYPES + (ACCOUNT_TYPE,) + CUSTOM_ROLE_TYPES,
)
