"""AGID-AWS-075 over gRPC: an AWS Organizations member account's root mailbox is at one of the organisation's own
mail domains (red20 r20-7: a root e-mail at evil.example passed; whoever reads it resets the root password)."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.ruletools import UNKNOWN

ACCOUNT = "aws:organizations/account:Account"


def account(name: str, email) -> tuple:
    return (ACCOUNT, name, {"name": "agents-sandbox", "email": email, "roleName": "OrganizationAccountAccessRole"})


@pytest.fixture()
def own_pack(pack):
    pack.configure({"all": {"ownEmailDomains": ["acme.example"]}})
    yield pack
    pack.configure({})


def test_a_root_mailbox_outside_the_own_domains_is_a_mandatory_violation(own_pack) -> None:
    for email in ("aws-root@evil.example", "root@acme.example.evil.example", "root@notacme.example",
                  "root@ACME.example.attacker.test", "not an address"):
        case = account("member", email)
        assert flagged_names(own_pack, "AGID-AWS-075", case, "mandatory") == ["member"], email


def test_a_root_mailbox_at_an_own_domain_or_subdomain_passes(own_pack) -> None:
    for email in ("aws-root@acme.example", "AWS-Root+sandbox@Aws.ACME.example", "root@acme.example."):
        assert flagged_names(own_pack, "AGID-AWS-075", account("member", email)) == [], email


def test_no_own_domains_listed_is_cannot_tell_and_unknown_is_reported(pack) -> None:
    assert flagged_names(pack, "AGID-AWS-075", account("member", "aws-root@acme.example"), "mandatory") == ["member"]
    assert flagged_names(pack, "AGID-AWS-075", account("later", UNKNOWN)) == ["later"]
