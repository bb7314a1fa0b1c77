"""AGID-PRV-004: a provider signs in as the deployment's own identity, into the organisation's own accounts (red18 r18-6).

A provider's settings can switch the identity it deploys with, and so the account, tenant or project every resource
of the stack (its secrets, its "own" buckets) lands in: the gate's rules judge each resource as the stack's, and
nothing judged where that is. Judged, on explicit providers and on default providers built from stack config:
  - aws: `assumeRoles[].roleArn` and `assumeRoleWithWebIdentity.roleArn` in an account outside `ownAccountIds`
    (with none listed, "cannot tell": an empty list is the strictest setting, as AGID-AWS-072 has it)
    (https://www.pulumi.com/registry/packages/aws/api-docs/provider/). Not judged: `profile`, which picks one of the
    deploy job's own named credentials (the common `aws:profile` stack setting; a runner should hold one identity),
    and the change's own config files, which are AGID-PRV-002's;
  - azure-native, azuread, azure: `auxiliaryTenantIds` and `tenantId` (explicit, or the stack file's `<package>:tenantId`
    of the default provider) outside the organisation's own tenants: the gate's ownTenantIds (`--own-tenant`, the base
    branch's waivers.yaml), never the stack file's tenantId, which the pull request chooses (red19 r19-2; with none
    listed, "cannot tell"): tokens of another tenant
    (https://www.pulumi.com/registry/packages/azure-native/api-docs/provider/);
  - gcp: `impersonateServiceAccount` (and its delegates) and `externalCredentials.serviceAccountEmail` of a project
    outside `ownGcpProjects`, and a literal `accessToken` or `externalCredentials.identityToken` (red19 r19-3):
    a bearer token committed with the program (short-lived, but whoever reads the repository or the
    state uses it until it expires) (https://www.pulumi.com/registry/packages/gcp/api-docs/provider/).
A value unknown at preview cannot be judged ("cannot check until known").
"""

from __future__ import annotations

import json
from typing import Any

from agentid_policy_packs.analysis.aws_accounts import OwnAccounts, principal_account
from agentid_policy_packs.analysis.gcp_iam import OwnGcp
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .federated_issuer_known import own_tenants
from .gcp_own import CONFIG_SCHEMA as GCP_OWN_SCHEMA
from .trust_policy import OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

# provider package -> the inputs this rule reads (default_providers.py carries them from stack config)
TARGET_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "aws": ("assumeRoles", "assumeRoleWithWebIdentity"),
    "azure-native": ("auxiliaryTenantIds", "tenantId"),
    "azuread": ("auxiliaryTenantIds", "tenantId"),
    "azure": ("auxiliaryTenantIds", "tenantId"),
    "gcp": ("impersonateServiceAccount", "impersonateServiceAccountDelegates", "accessToken", "externalCredentials"),
}
PROVIDER_TYPES = tuple(f"pulumi:providers:{package}" for package in TARGET_CONFIG_KEYS)


def _value(props, key: str) -> Any:
    """A provider input as the provider takes it: providers get nested values as JSON text (stack config, and the
    SDK's provider inputs); anything that is not JSON is the text itself."""
    value = props.get(key)
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _member(entry: Any, name: str) -> Any:
    """`entry[name]` under any of the spellings the provider's config decoder takes: the Pulumi name (`roleArn`),
    the Terraform one (`role_arn`: a dict literal in the program is sent as written), in any case."""
    if not isinstance(entry, dict):
        return None
    wanted = name.replace("_", "").lower()
    found = [value for key, value in entry.items() if isinstance(key, str) and key.replace("_", "").lower() == wanted]
    return found[-1] if found else None


def _aws(resource: Resource, config):
    own = OwnAccounts.from_config(config)
    roles = _value(resource.props, "assumeRoles")
    web = _value(resource.props, "assumeRoleWithWebIdentity")
    found = [(f"assumeRoles[{i}].roleArn", _member(r, "roleArn") if isinstance(r, dict) else r)
             for i, r in enumerate(roles if isinstance(roles, list) else [roles] if isinstance(roles, dict) else [])]
    if isinstance(web, dict):
        found.append(("assumeRoleWithWebIdentity.roleArn", _member(web, "roleArn")))
    for key in ("assumeRoles", "assumeRoleWithWebIdentity"):
        if is_unknown(resource.props.get(key)):
            yield Unknown(key)
    for where, arn in found:
        if is_unknown(arn):
            yield Unknown(where)
        elif isinstance(arn, str) and arn.strip():
            account = principal_account(arn.strip())
            problem = (f"{arn[:200]!r} is not a role ARN: cannot tell which account" if account is None
                       else own.problem(account, arn))
            if problem:
                yield Violation(f"{resource.name} deploys as role {arn.strip()[:200]} ({where}): {problem}; every "
                                "resource of the stack that uses this provider lands in that account")


def _azure(resource: Resource, config):
    own = own_tenants(config)
    tenant = resource.props.get("tenantId")
    auxiliary = _value(resource.props, "auxiliaryTenantIds")
    if is_unknown(tenant) or is_unknown(auxiliary):
        yield Unknown("tenantId" if is_unknown(tenant) else "auxiliaryTenantIds")
        return
    if isinstance(tenant, str) and tenant.strip() and tenant.strip().lower() not in own:
        yield Violation(f"{resource.name} signs in to Entra tenant {tenant.strip()[:100]} (tenantId), not one of the "
                        f"organisation's own tenants ({'ownTenantIds: ' + ', '.join(sorted(own)) if own else 'the gate lists none: cannot tell'}): the stack deploys into another "
                        "organisation's directory and subscriptions")
    for index, extra in enumerate(auxiliary if isinstance(auxiliary, list) else [] if auxiliary in (None, "") else [auxiliary]):
        if is_unknown(extra):
            yield Unknown(f"auxiliaryTenantIds[{index}]")
        elif not (isinstance(extra, str) and extra.strip().lower() in own):
            yield Violation(f"{resource.name} also signs in to tenant {str(extra)[:100]} (auxiliaryTenantIds[{index}]), "
                            "not one of the stack's own tenants: its tokens reach another directory")


def _gcp(resource: Resource, config):
    projects = OwnGcp.of(config).projects
    target = resource.props.get("impersonateServiceAccount")
    delegates = _value(resource.props, "impersonateServiceAccountDelegates")
    accounts = [("impersonateServiceAccount", target)]
    accounts += [(f"impersonateServiceAccountDelegates[{i}]", d) for i, d in enumerate(delegates)] \
        if isinstance(delegates, list) else []
    # externalCredentials (pulumi-gcp 10.x): an identity token exchanged (workload identity federation) for the
    # service account serviceAccountEmail names (red19 r19-3)
    external = _value(resource.props, "externalCredentials")
    if is_unknown(external):
        yield Unknown("externalCredentials")
    elif isinstance(external, dict):
        accounts.append(("externalCredentials.serviceAccountEmail", _member(external, "serviceAccountEmail")))
        token = _member(external, "identityToken")
        if is_unknown(token):
            yield Unknown("externalCredentials.identityToken")
        elif isinstance(token, str) and token.strip():
            yield Violation(f"{resource.name} signs in with an identity token written into the program or its config "
                            "(externalCredentials.identityToken): a bearer credential anyone who reads the repository "
                            "or the state exchanges for the service account's tokens until it expires; use the "
                            "runner's workload identity federation")
    elif external not in (None, ""):
        yield Violation(f"{resource.name}: externalCredentials cannot be read as a mapping (cannot check)")
    for where, account in accounts:
        if is_unknown(account):
            yield Unknown(where)
        elif isinstance(account, str) and account.strip():
            email = account.strip().rsplit("/", 1)[-1]
            project = email.split("@", 1)[1].removesuffix(".iam.gserviceaccount.com") if "@" in email else None
            if project is None or project.lower() not in projects:
                why = ("the gate lists no own projects (ownGcpProjects), so it cannot tell whether it is yours"
                       if not projects else f"project {project} is not one of the organisation's (ownGcpProjects)")
                yield Violation(f"{resource.name} deploys as service account {email[:200]} ({where}): {why}; every "
                                "resource of the stack that uses this provider is created with that account's rights")
    token = resource.props.get("accessToken")
    if is_unknown(token):
        yield Unknown("accessToken")
    elif isinstance(token, str) and token.strip():
        yield Violation(f"{resource.name} signs in with an access token written into the program or its config "
                        "(accessToken): a bearer credential anyone who reads the repository or the state uses until "
                        "it expires; use workload identity federation")


def check(resource: Resource, config):
    package = resource.type.removeprefix("pulumi:providers:")
    judge = {"aws": _aws, "gcp": _gcp}.get(package, _azure)
    yield from judge(resource, config)


RULE = Rule(
    id="AGID-PRV-004",
    title="provider-deploys-as-own-identity",
    severity="high",
    category="public-access",
    enforcement="mandatory",
    description="No provider switches the deployment into another account, tenant or project: no aws assumeRoles / "
                "web-identity role outside the own accounts, no Azure tenantId or "
                "auxiliaryTenantIds outside the own tenants, no gcp impersonated service account outside the own "
                "projects nor a literal accessToken.",
    remediation="Deploy with the CI job's own identity (OIDC) into your own accounts; list them (ownAccountIds, "
                "ownTenantIds, ownGcpProjects) in the base branch's waivers.yaml; a reviewed cross-account deployment "
                "needs a waiver naming the provider.",
    url="https://www.pulumi.com/docs/iac/concepts/resources/providers/",
    check=check,
    resource_types=PROVIDER_TYPES,
    config={"ownAccountIds": [], "ownTenantIds": [], "ownGcpProjects": []},
    config_schema={**OWN_ACCOUNTS_SCHEMA,
                   "ownTenantIds": {"type": "array", "items": {"type": "string"}, "default": [],
                                    "description": "Entra tenant ids of the organisation (set by the gate)"},
                   "ownGcpProjects": GCP_OWN_SCHEMA["ownGcpProjects"]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, "ownTenantIds": "subset", "ownGcpProjects": "subset"},
)
