"""AGID-K8S-020 (stack): a RoleBinding or ClusterRoleBinding binds no user or group of another organisation.

Kubernetes RBAC judges a binding by what its role can do (AGID-K8S-006 and the role rules), never by whose its
subjects are. A `User` or `Group` subject named by an e-mail address is an identity of a mail domain: on GKE every
Google account authenticates to the API server as its e-mail, and a Google group as its address (Google Groups for
RBAC, https://cloud.google.com/kubernetes-engine/docs/how-to/google-groups-rbac); on a cluster with an OIDC
authenticator the e-mail claim names the user the same way. So `ClusterRoleBinding(view, User attacker@gmail.com)`
hands a stranger cluster-wide read of every pod spec and config map (red20 r20-6), whatever the role. The fleet's
own RBAC (gkehub ScopeRbacRoleBinding) is judged so by AGID-GCP-028; this rule asks the same of native bindings.
An e-mail subject is the organisation's when it is one by analysis.gcp_iam.outside_org (a user or group of one of
`ownGcpDomains`, a service account of an own project or of the stack) or its domain (or a parent of it) is listed in
`ownEmailDomains` (pack-wide, AWS-075's); the lists are the gate's, a pull request may only shorten them. Nothing
listed is "cannot tell" (a violation). Subjects that are no e-mail (`system:*` names, `ServiceAccount` subjects,
plain user names of other authenticators) are not judged here.
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.gcp_iam import outside_org
from agentid_policy_packs.analysis.k8s_rbac import BINDING_TYPES
from agentid_policy_packs.analysis.values import is_unknown

from .aws_org_account_root_email import CONFIG as EMAIL_CONFIG
from .aws_org_account_root_email import CONFIG_SCHEMA as EMAIL_SCHEMA
from .aws_org_account_root_email import STRICTNESS as EMAIL_STRICTNESS
from .aws_org_account_root_email import is_own, own_domains
from .base import Resource, Rule, Unknown, Violation
from .gcp_own import ACCOUNT_TYPE, CONFIG, CONFIG_SCHEMA, STRICTNESS, WORKFORCE_POOL_TYPE, WORKLOAD_POOL_TYPE, own_gcp

_EMAIL = re.compile(r"^[^@\s:]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\.?$")
_PRINCIPAL_KIND = {"user": "user", "group": "group"}


def _foreign(resource: Resource, own, email_domains: frozenset[str]):
    subjects = resource.props.get("subjects")
    if is_unknown(subjects):
        yield Unknown(f"{resource.name}.subjects", resource.urn)
        return
    if not isinstance(subjects, list):
        return  # no subjects, or a shape AGID-K8S-006 reports
    outside = []
    for index, subject in enumerate(subjects):
        if not isinstance(subject, dict):
            continue
        kind, name = subject.get("kind"), subject.get("name")
        if is_unknown(kind) or is_unknown(name):
            yield Unknown(f"{resource.name}.subjects[{index}]", resource.urn)
            continue
        principal = _PRINCIPAL_KIND.get(kind.strip().lower()) if isinstance(kind, str) else None
        match = _EMAIL.match(name.strip()) if principal and isinstance(name, str) else None
        if match is None or is_own(match.group(1), email_domains):
            continue
        why = outside_org(f"{principal}:{name.strip()}", own)
        if why:
            outside.append(f"{kind} {name} (subjects[{index}]): {why}")
    if outside:
        ref = resource.props.get("roleRef")
        role = f"{ref.get('kind')} {ref.get('name')}" if isinstance(ref, dict) and isinstance(ref.get("name"), str) \
            else "its role"
        yield Violation(f"{resource.name} binds {role} to {'; '.join(outside)} - an identity of another "
                        "organisation gets the role's access to the cluster", resource.urn)


def check(resources: list[Resource], config):
    bindings = [r for r in resources if r.type in BINDING_TYPES]
    if not bindings:
        return
    own, email_domains = own_gcp(resources, config), own_domains(config)
    for resource in bindings:
        yield from _foreign(resource, own, email_domains)


RULE = Rule(
    id="AGID-K8S-020",
    title="k8s-no-foreign-rbac-subjects",
    severity="high",
    category="escalation",
    description="Kubernetes RoleBindings and ClusterRoleBindings bind users and groups named by e-mail only at the "
                "organisation's own domains (on GKE any Google account, and on an OIDC cluster any e-mail claim, "
                "authenticates as that identity).",
    remediation="Bind users and groups of your own domains (list them with agentid preview --own-gcp-domain or "
                "--own-email-domain, or in the base branch's waivers.yaml policyPackConfig all: ownGcpDomains / "
                "ownEmailDomains); a reviewed outside collaborator needs a waiver naming the binding.",
    url="https://cloud.google.com/kubernetes-engine/docs/how-to/google-groups-rbac",
    check=check,
    stack=True,
    reads=(*BINDING_TYPES, ACCOUNT_TYPE, WORKFORCE_POOL_TYPE, WORKLOAD_POOL_TYPE),
    config={**CONFIG, **EMAIL_CONFIG},
    config_schema={**CONFIG_SCHEMA, **EMAIL_SCHEMA},
    config_strictness={**STRICTNESS, **EMAIL_STRICTNESS},
    enforcement="mandatory",
)
