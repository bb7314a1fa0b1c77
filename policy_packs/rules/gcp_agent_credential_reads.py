"""AGID-GCP-025 (stack): no agent principal reads every secret of a project, folder or organization (mandatory).

A role holding a permission that returns credential material (secretmanager.versions.access, cloudkms.
cryptoKeyVersions.useToDecrypt, parametermanager.parameterVersions.render, Memorystore AUTH strings, the environment
variable values of Cloud Run, Cloud Functions, Composer and App Engine, OAuth client secrets, VMware Engine and
Managed AD admin passwords, Git host tokens of build connections: analysis/gcp_credential_reads.yaml, each with its
source) bound at project, folder or organization level is inherited by every secret and key below: the
agent reads them all. AGID-GCP-006 reports every such broad binding of an agent, advisory; credential reads are
credential access, so this one is mandatory (issue 11), as AWS-070 is for GetSecretValue on `*`. Agents are known as
AGID-GCP-006 knows them (analysis/agent_principals.py), a service account the stack neither creates nor links
included (cannot tell: flag). A stack service account that a stack resource runs code as (a Cloud Run service or
job, a function, a VM, GKE nodes, Vertex AI Agent Engine, Composer, Dataflow, Batch, Workflows, a build trigger:
every runner input of analysis/gcp_code_runners.yaml) is a workload identity, so an agent's (red17 r17-6).
Why not judge every principal, as AWS-070 and AZ-065 do: people (user:, group:, domain:) are operators, not agents,
in this rule and AGID-GCP-006 alike (a project-wide secretAccessor for an on-call group is the usual GCP set-up,
and AWS has no group-binding twin of it), and a stack account that no workload here runs as,
no federated principal acts as and no prefix names holds no credential anybody's code can use from this stack; the
agents are the principals whose tokens code holds, and the runner link (the data AGID-GCP-019 already keeps
complete against the SDK) now recognises every such account whatever its name. An account another stack's runner
uses is outside what this stack can see; an account the stack does not create is judged as unknown (flagged). Predefined roles are judged by the kit's role catalogue, custom roles by their
definition in the stack; basic roles (roles/owner) are AGID-GCP-002's and unknown roles AGID-GCP-006/011's.
A binding passes when its IAM condition pins the resource (`resource.name == / .startsWith(` a literal naming a
secret, key ring, key or parameter, or `resource.matchTag(`) as a whole term of its top-level `&&` conjunction (a pin
negated, compared to false, or under `||` or `?:` reaches every other resource); a time or request condition bounds
nothing.
Bound on one secret or key (SecretIamMember, CryptoKeyIAMMember) a role passes here.
container.clusters.getCredentials (container.admin, container.editor, ...) returns a GKE cluster's static
cluster-admin credentials (client certificate key, basic-auth password) where the cluster has them (issue 11). No
IAM resource of one cluster exists, so it is always bound at project level or above: it passes only with a condition
`resource.name == "projects/P/locations/L/clusters/C"` naming a cluster the stack defines with every credential
setting of gcp_cluster_local_auth.yaml off (`returned_by_get_credentials`). Unpinned, or pinned to a cluster the stack
does not define (an old cluster may hold a client certificate: cannot be ruled out), it is flagged; a setting not
known at preview is "cannot check until known".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml, gcp_catalog
from agentid_policy_packs.analysis.agent_principals import AGENT, UNKNOWN, GcpPrincipals
from agentid_policy_packs.analysis.gcp_iam import binding_types, conjunction_terms, level_of
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .gcp_own import own_stack_account
from .gcp_agent_broad_binding import RUNNER_LINK_TYPES, AGENT_CONFIG, AGENT_SCHEMA, AGENT_STRICTNESS, CUSTOM_ROLE_TYPES, _custom_roles, _who
from .gcp_bindings import each_binding

CREDENTIAL_READS_FILE = Path(__file__).resolve().parents[1] / "analysis" / "gcp_credential_reads.yaml"
# A term of the condition's top-level conjunction (gcp_iam.conjunction_terms) that pins the resource: resource.name
# equal to (or starting with) a literal naming a secret, key ring, key or parameter, or a tag match. Whole terms only:
# `!resource.name.startsWith(...)`, `(... ) == false` or a pin under `||` / `?:` reach every other resource.
_NAMED = r"""(?:"[^"\\]*/(?:secrets|keyRings|cryptoKeys|parameters)/[A-Za-z0-9_-][^"\\]*"|'[^'\\]*/(?:secrets|keyRings|cryptoKeys|parameters)/[A-Za-z0-9_-][^'\\]*')"""
_STRING = r"""(?:"[^"\\]*"|'[^'\\]*')"""
_PINNED = re.compile(rf"resource\.name\s*==\s*{_NAMED}|{_NAMED}\s*==\s*resource\.name"
                     rf"|resource\.name\.startsWith\(\s*{_NAMED}\s*\)"
                     rf"|resource\.matchTag(?:Id)?\(\s*{_STRING}\s*,\s*{_STRING}\s*\)")


@lru_cache(maxsize=1)
def credential_reads() -> dict[str, str]:
    """Permission -> what it returns (gcp_credential_reads.yaml)."""
    return {entry["permission"]: entry["returns"] for entry in data_yaml.load(CREDENTIAL_READS_FILE)}


@lru_cache(maxsize=1)
def cluster_credential_reads() -> frozenset[str]:
    """The permissions that return a GKE cluster's static credentials (`bounded_by: cluster_local_auth`)."""
    return frozenset(entry["permission"] for entry in data_yaml.load(CREDENTIAL_READS_FILE)
                     if entry.get("bounded_by") == "cluster_local_auth")


@lru_cache(maxsize=1)
def _credential_settings() -> dict[str, tuple[str, ...]]:
    """Cluster type -> the local-auth setting paths whose credential getCredentials returns (gcp_cluster_local_auth.yaml)."""
    from .gcp_cluster_local_auth import settings  # noqa: PLC0415

    return {type_: tuple(s["path"] for s in entries if s.get("returned_by_get_credentials"))
            for type_, entries in settings().items()}


# resource.name == "projects/P/locations/L/clusters/C" (zones/ for zonal clusters' older name) as a whole term of the
# condition's top-level conjunction: the binding reaches that one cluster
_CLUSTER = r"""projects/([^/"']+)/(?:locations|zones)/([^/"']+)/clusters/([^/"']+)"""
_CLUSTER_PIN = re.compile(rf"""resource\.name\s*==\s*["']{_CLUSTER}["']|["']{_CLUSTER}["']\s*==\s*resource\.name""")


def _terms(condition) -> list[str]:
    expression = condition.get("expression") if isinstance(condition, Mapping) else None
    return (conjunction_terms(expression) or []) if isinstance(expression, str) else []


def _pinned_cluster(condition) -> tuple[str, str, str] | None:
    for term in _terms(condition):
        if found := _CLUSTER_PIN.fullmatch(term):
            groups = found.groups()
            return groups[:3] if groups[0] is not None else groups[3:]
    return None


def _literal(value) -> str | None:
    return value if isinstance(value, str) and not is_unknown(value) else None


def _cluster_credentials(resources: list[Resource], pinned: tuple[str, str, str] | None):
    """Why getCredentials on the binding's clusters may return a static credential; None when it cannot (pinned to one
    stack cluster with every credential setting off). The string "unknown:<path>" when a setting is not yet known."""
    if pinned is None:
        return ("it reaches every cluster there, and any the stack does not define with client certificates off may "
                "hold one (clusters created before GKE 1.12 issue one by default)")
    project, location, name = pinned
    for resource in resources:
        paths = _credential_settings().get(resource.type)
        if paths is None or _literal(resource.props.get("name")) != name:
            continue
        if (_literal(resource.props.get("location")) or location) != location \
                or (_literal(resource.props.get("project")) or project) != project:
            continue
        for path in paths:
            value = value_at(resource.props, path)
            if is_unknown(value):
                return f"unknown:{resource.name}.{path}"
            if value is not None and value is not False and not (isinstance(value, str) and value.strip().lower() == "false"):
                return f"cluster {name} sets {path}, so getCredentials returns its static cluster-admin credential"
        return None
    return (f"the condition pins cluster {name}, which this stack does not define, so whether it holds a static "
            "credential (a client certificate) cannot be ruled out")


def _pins_resource(condition) -> bool:
    return any(_PINNED.fullmatch(term) for term in _terms(condition))


def _reads(role: str, custom: dict[str, object]) -> list[str] | None:
    """The credential-reading permissions the role holds; None when they cannot be known here (others report it)."""
    if role in custom:
        permissions = custom[role]
        if is_unknown(permissions) or not isinstance(permissions, list):
            return None
    else:
        info = gcp_catalog.role_info(role)
        if info is None or gcp_catalog.is_basic_role(role):
            return None
        permissions = list(info.permissions)
    return [p for p in credential_reads() if p in permissions]


def check(resources: list[Resource], config):
    prefixes = tuple(p for p in config["agentServiceAccountPrefixes"] if isinstance(p, str) and p)
    custom = _custom_roles(resources)
    # a stack service account of a project the gate does not list is not the stack's own (red14 r14-3)
    principals = GcpPrincipals.from_stack([r for r in resources if own_stack_account(r, config)], prefixes)
    for resource in resources:
        if resource.type not in binding_types() or level_of(resource.type) == "resource":
            continue
        level = level_of(resource.type)
        for outcome in each_binding(resource):
            if isinstance(outcome, (Unknown, Violation)):
                continue  # AGID-GCP-006 reports bindings it cannot read
            found = {member: principals.classify(member) for member in outcome.members}
            agents = [m for m, kind in found.items() if kind == AGENT]
            unknown = [m for m, kind in found.items() if kind == UNKNOWN]
            if not (agents or unknown) or not isinstance(outcome.role, str):
                continue
            reads = _reads(outcome.role.strip(), custom)
            if not reads or (outcome.condition is not None and _pins_resource(outcome.condition)):
                continue
            condition = outcome.condition
            if is_unknown(condition) or (isinstance(condition, Mapping) and is_unknown(condition.get("expression"))):
                yield Violation(f"{resource.name}: cannot check until known: the condition of {outcome.role} is "
                                "computed during preview, and the role reads credentials", resource.urn)
                continue
            pinned = _pinned_cluster(condition) if condition is not None else None
            clusters = [p for p in reads if p in cluster_credential_reads()]
            if pinned is not None:  # one cluster's name: every other credential read is bounded by it too
                reads = clusters
            why = _cluster_credentials(resources, pinned) if clusters else None
            if isinstance(why, str) and why.startswith("unknown:"):
                yield Violation(f"{resource.name}: cannot check until known: {why[len('unknown:'):]} decides whether "
                                f"{outcome.role}'s container.clusters.getCredentials returns a static credential",
                                resource.urn)
                continue
            if why is None:
                reads = [p for p in reads if p not in clusters]
            if not reads:
                continue
            what = "; ".join(f"{p} ({credential_reads()[p]}{': ' + why if p in clusters else ''})" for p in reads)
            scope = (f"with a condition pinning cluster {pinned[2]}: it reads that cluster's credentials" if pinned
                     else "unbounded by a resource condition: it reads the credentials of every resource there")
            yield Violation(f"{resource.name} grants {outcome.role} to {_who(agents, unknown)} at {level} level, "
                            f"{scope}: {what}", resource.urn)


RULE = Rule(
    id="AGID-GCP-025",
    title="gcp-agent-no-broad-credential-reads",
    severity="high",
    category="unbounded-resource",
    description="Agent principals hold no role that reads secrets or decrypts (secretmanager.versions.access, "
                "useToDecrypt, Redis AUTH strings, Cloud Run / Functions / Composer environment values, OAuth client "
                "secrets, GKE cluster credentials) at project, folder or organization level without a condition naming "
                "the resource (for getCredentials: one stack cluster that issues no client certificate).",
    remediation="Bind roles/secretmanager.secretAccessor on the one secret (SecretIamMember) or the decrypter role on "
                "the one key (CryptoKeyIAMMember) the tool reads, or add an IAM condition on resource.name; for "
                "container.clusters.getCredentials, a literal resource.name == \"projects/P/locations/L/clusters/C\" "
                "naming a stack cluster with issue_client_certificate false (better: a role without getCredentials, "
                "such as roles/container.developer, and Kubernetes RBAC).",
    url="https://cloud.google.com/secret-manager/docs/access-control",
    check=check,
    stack=True,
    reads=binding_types() + CUSTOM_ROLE_TYPES + tuple(_credential_settings()) + RUNNER_LINK_TYPES,
    config=AGENT_CONFIG,
    config_schema=AGENT_SCHEMA,
    config_strictness=AGENT_STRICTNESS,
    enforcement="mandatory",
)
