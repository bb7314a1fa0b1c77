"""AGID-AWS-075: a member account the stack creates in AWS Organizations has its root e-mail at an own domain.

`aws.organizations.Account(email=...)` (CreateAccount `Email`) names the mailbox of the new account's root user.
The root user has no password at creation; whoever reads that mailbox sets one through the root sign-in's "Forgot
password" (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access-as-root.html) and
is then root of an account inside the organization: a static, non-federated credential outside the organization's
identity provider, in an account the rest of the organization trusts (its OrganizationAccountAccessRole, org-wide
RAM shares, aws:PrincipalOrgID pins; red20 r20-7). The e-mail's domain must be the organization's own: listed in the
pack-wide `ownEmailDomains` (`agentid preview --own-email-domain D`, or the base branch's waivers.yaml
`all: {ownEmailDomains: [...]}`; fewer is stricter, so a pull request may shorten the list, never add to it), the
domain itself or a subdomain of it. No list is "cannot tell" (a violation): nothing else says whose a mailbox is.
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

ACCOUNT = "aws:organizations/account:Account"
OWN_EMAIL_DOMAINS_KEY = "ownEmailDomains"
CONFIG = {OWN_EMAIL_DOMAINS_KEY: []}
CONFIG_SCHEMA = {OWN_EMAIL_DOMAINS_KEY: {
    "type": "array", "items": {"type": "string"}, "default": [],
    "description": "the organisation's own e-mail domains (a subdomain counts as its domain): an account's root "
                   "mailbox there is the organisation's (set by the gate)"}}
STRICTNESS = {OWN_EMAIL_DOMAINS_KEY: "subset"}
_EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9.-]+)$")


def own_domains(config) -> frozenset[str]:
    listed = config.get(OWN_EMAIL_DOMAINS_KEY) if hasattr(config, "get") else None
    return frozenset(d.strip().lower().rstrip(".") for d in listed or () if isinstance(d, str) and d.strip())


def is_own(domain: str, domains: frozenset[str]) -> bool:
    domain = domain.lower().rstrip(".")
    return any(domain == own or domain.endswith("." + own) for own in domains)


def check(resource: Resource, config):
    email = resource.props.get("email")
    if is_unknown(email):
        yield Unknown("email")
        return
    match = _EMAIL.match(email.strip()) if isinstance(email, str) else None
    if match is None:
        yield Violation(f"{resource.name}: cannot check: email {email!r} is not an e-mail address")
        return
    domains = own_domains(config)
    if is_own(match.group(1), domains):
        return
    listed = f"not one of ownEmailDomains ({', '.join(sorted(domains))})" if domains else \
        "and the gate lists no own e-mail domains (ownEmailDomains)"
    yield Violation(f"{resource.name}: the new member account's root user answers to {email.strip()}, at "
                    f"{match.group(1)}, {listed}: whoever reads that mailbox can reset the root password and is root "
                    "of an account inside the organization")


RULE = Rule(
    id="AGID-AWS-075",
    title="aws-org-account-root-email-own-domain",
    severity="critical",
    category="static-credential",
    description="A member account the stack creates in AWS Organizations has its root user's e-mail at one of the "
                "organisation's own domains (the mailbox can reset the root password).",
    remediation="Use a mailbox of your own domain (a distribution list the platform team controls) and list the "
                "domain in ownEmailDomains (`agentid preview --own-email-domain`); waive a reviewed exception by URN.",
    url="https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access-as-root.html",
    check=check,
    config=CONFIG,
    config_schema=CONFIG_SCHEMA,
    config_strictness=STRICTNESS,
    resource_types=(ACCOUNT,),
    enforcement="mandatory",
)
