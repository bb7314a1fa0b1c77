"""Shared by the trust rules: judge a role's trust policy (and any resource-based policy) once per rule."""

from __future__ import annotations

from collections.abc import Iterator

from agentid_policy_packs.analysis import RESOURCE, TRUST, PolicyParseError, parse_policy, trust_findings
from agentid_policy_packs.analysis.aws_trust import NO_OWN_IDS, OwnIds

from .base import Outcome, Resource, Unknown, Violation
from .documents import RESOURCE_POLICY_TYPES, ROLE, Document, resource_policy, trust_policy

TRUST_TYPES = (ROLE,)
# The pack cannot know the stack's own account: rules that treat other accounts differently take this config.
OWN_ACCOUNTS_CONFIG = {"ownAccountIds": []}
# Listed accounts are exempt from the check: fewer exemptions is stricter.
OWN_ACCOUNTS_STRICTNESS = {"ownAccountIds": "subset"}
OWN_ACCOUNTS_SCHEMA = {"ownAccountIds": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{12}$"},
                                         "default": [],
                                         "description": "This organization's own account ids (exempt)."}}
# The organizations, VPCs and VPC endpoints the gate lists as the stack's own (analysis.aws_trust.OWNED_ID_KEYS): a
# Principal "*" or cross-account grant pinned by aws:PrincipalOrgID / PrincipalOrgPaths / SourceOrgID / SourceVpce /
# SourceVpc counts as confined only to a listed one (red15 r15-7). Fewer listed is stricter.
OWN_IDS_CONFIG = {"ownOrganizationIds": [], "ownVpcIds": [], "ownVpcEndpointIds": []}
OWN_IDS_STRICTNESS = {key: "subset" for key in OWN_IDS_CONFIG}
OWN_IDS_SCHEMA = {
    "ownOrganizationIds": {"type": "array", "items": {"type": "string", "pattern": "^o-[a-z0-9]{10,32}$"}, "default": [],
                           "description": "This organization's own AWS Organizations ids (o-...); an organization "
                                          "path is own when it starts with one."},
    "ownVpcIds": {"type": "array", "items": {"type": "string", "pattern": "^vpc-[0-9a-f]{8,17}$"}, "default": [],
                  "description": "Own VPC ids (vpc-...) an aws:SourceVpc pin may name."},
    "ownVpcEndpointIds": {"type": "array", "items": {"type": "string", "pattern": "^vpce-[0-9a-f]{8,17}$"},
                          "default": [], "description": "Own VPC endpoint ids (vpce-...) an aws:SourceVpce pin may name."},
}
TRUST_AND_RESOURCE_POLICY_TYPES = (ROLE, *RESOURCE_POLICY_TYPES)


def judge_trust(resource: Resource, codes: tuple[str, ...], own_accounts: list[str] = (),
                own_ids: OwnIds = NO_OWN_IDS) -> Iterator[Outcome]:
    documents = [(d, TRUST) for d in trust_policy(resource)] + [(d, RESOURCE) for d in resource_policy(resource)]
    for document, kind in documents:
        if not isinstance(document, Document):
            yield Unknown(document.path)
            continue
        try:
            parsed = parse_policy(document.value, kind)
        except (PolicyParseError, RecursionError):
            continue  # AGID-POL-001
        name = resource.props.get("name")
        self_names = (name,) if kind == TRUST and isinstance(name, str) and name else ()
        for finding in trust_findings(parsed, own_accounts, check_cross_account=kind == TRUST, own_ids=own_ids,
                                      self_names=self_names):
            if finding.code in codes:
                yield Violation(f"{document.label} {finding}")
