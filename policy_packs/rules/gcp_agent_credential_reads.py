"""AGID-GCP-025 (stack): no agent principal reads every secret of a project, folder or organization (mandatory).

A role holding a permission that returns credential material (secretmanager.versions.access, cloudkms.
cryptoKeyVersions.useToDecrypt, parametermanager.parameterVersions.render, Memorystore AUTH strings, the environment
variable values of Cloud Run, Cloud Functions, Composer and App Engine, OAuth client secrets, VMware Engine and
Managed AD admin passwords, Git host tokens of build connections: analysis/gcp_credential_reads.yaml, each with its
source) bound at project, folder or organization level is inherited by every secret and key below: the
agent reads them all. AGID-GCP-006 reports every such broad binding of an agent, advisory; credential reads are
credential access, so this one is mandatory (issue 11), as AWS-070 is for GetSecretValue on `*`. Agents are known as
AGID-GCP-006 knows them (analysis/agent_principals.py), a service account the stack neither creates nor links
included (cannot tell: flag). Predefined roles are judged by the kit's role catalogue, custom roles by their
definition in the stack; basic roles (roles/owner) are AGID-GCP-002's and unknown roles AGID-GCP-006/011's.
A binding passes when its IAM condition pins the resource (`resource.name == / .startsWith(` a literal naming a
secret, key ring, key or parameter, or `resource.matchTag(`) with no `||`; a time or request condition bounds nothing.
Bound on one secret or key (SecretIamMember, CryptoKeyIAMMember) a role passes here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml, gcp_catalog
from agentid_policy_packs.analysis.agent_principals import AGENT, UNKNOWN, GcpPrincipals
from agentid_policy_packs.analysis.gcp_iam import binding_types, level_of
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_own import own_stack_account
from .gcp_agent_broad_binding import AGENT_CONFIG, AGENT_SCHEMA, AGENT_STRICTNESS, CUSTOM_ROLE_TYPES, _custom_roles, _who
from .gcp_bindings import each_binding

CREDENTIAL_READS_FILE = Path(__file__).resolve().parents[1] / "analysis" / "gcp_credential_reads.yaml"
_PINNED = re.compile(r"""resource\.name\s*(?:==\s*|\.startsWith\(\s*)["'][^"']*/(?:secrets|keyRings|cryptoKeys|parameters)/"""
                     r"""[A-Za-z0-9_-][^"']*["']|resource\.matchTag(?:Id)?\(""")


@lru_cache(maxsize=1)
def credential_reads() -> dict[str, str]:
    """Permission -> what it returns (gcp_credential_reads.yaml)."""
    return {entry["permission"]: entry["returns"] for entry in data_yaml.load(CREDENTIAL_READS_FILE)}


def _pins_resource(condition) -> bool:
    expression = condition.get("expression") if isinstance(condition, Mapping) else None
    return isinstance(expression, str) and "||" not in expression and _PINNED.search(expression) is not None


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
            what = "; ".join(f"{p} ({credential_reads()[p]})" for p in reads)
            yield Violation(f"{resource.name} grants {outcome.role} to {_who(agents, unknown)} at {level} level, "
                            f"unbounded by a resource condition: it reads the credentials of every resource there: "
                            f"{what}", resource.urn)


RULE = Rule(
    id="AGID-GCP-025",
    title="gcp-agent-no-broad-credential-reads",
    severity="high",
    category="unbounded-resource",
    description="Agent principals hold no role that reads secrets or decrypts (secretmanager.versions.access, "
                "useToDecrypt, Redis AUTH strings, Cloud Run / Functions / Composer environment values, OAuth client "
                "secrets) at project, folder or organization level without a condition naming the resource.",
    remediation="Bind roles/secretmanager.secretAccessor on the one secret (SecretIamMember) or the decrypter role on "
                "the one key (CryptoKeyIAMMember) the tool reads, or add an IAM condition on resource.name.",
    url="https://cloud.google.com/secret-manager/docs/access-control",
    check=check,
    stack=True,
    reads=binding_types() + CUSTOM_ROLE_TYPES,
    config=AGENT_CONFIG,
    config_schema=AGENT_SCHEMA,
    config_strictness=AGENT_STRICTNESS,
    enforcement="mandatory",
)
