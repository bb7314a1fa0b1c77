"""AGID-AZ-046 (trusted named locations) and AGID-AZ-047 (open access packages) over gRPC (red9a 25 and 5)."""

from __future__ import annotations

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

LOCATION = "azuread:index/namedLocation:NamedLocation"
POLICY = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"


def findings(pack, type_, props, rule):
    return [(d.enforcement_level, d.message) for d in pack.analyze(type_, "r", urn(type_, "r"), props)
            if d.policy_name == rule]


@pytest.mark.parametrize("ranges", [[f"{first}.0.0.0/8" for first in range(256)],  # every IPv4 address, /8 at a time
                                    ["0.0.0.0/0"], ["10.0.0.0/8", "11.0.0.0/8"], ["2000::/3"]])
def test_a_trusted_location_covering_much_of_the_internet_blocks(pack, ranges):
    [(level, message)] = findings(pack, LOCATION, {"displayName": "office", "ip": {"ipRanges": ranges, "trusted": True}},
                                  "AGID-AZ-046")
    assert level == "mandatory" and "Conditional Access exemptions for trusted locations" in message


@pytest.mark.parametrize("ip", [
    {"ipRanges": ["203.0.113.0/24", "198.51.100.0/24"], "trusted": True},  # offices
    {"ipRanges": ["10.0.0.0/8"], "trusted": True},  # exactly a /8: the bound
    {"ipRanges": ["0.0.0.0/0"], "trusted": False},  # wide but not trusted (used to block, not to exempt)
    {"ipRanges": ["0.0.0.0/0"]},  # trusted defaults to false
])
def test_bounded_or_untrusted_locations_pass(pack, ip):
    assert findings(pack, LOCATION, {"displayName": "office", "ip": ip}, "AGID-AZ-046") == []


def test_unreadable_ranges_fail_closed(pack):
    [(level, message)] = findings(pack, LOCATION, {"ip": {"ipRanges": ["office"], "trusted": True}}, "AGID-AZ-046")
    assert "ip.ipRanges[0] 'office' is not a CIDR range" in message
    [(level, message)] = findings(pack, LOCATION, {"ip": {"ipRanges": UNKNOWN, "trusted": True}}, "AGID-AZ-046")
    assert "cannot check until known" in message


def policy(scope, approval=None, accepted=True):
    props = {"accessPackageId": "ap", "displayName": "p", "description": "p", "durationInDays": 365,
             "requestorSettings": {"scopeType": scope, "requestsAccepted": accepted}}
    if approval is not None:
        props["approvalSettings"] = {"approvalRequired": approval}
    return props


@pytest.mark.parametrize("scope", ["AllExternalSubjects", "AllExistingDirectorySubjects", "AllExistingDirectoryMemberUsers",
                                   "AllConfiguredConnectedOrganizationSubjects", "allexternalsubjects"])
@pytest.mark.parametrize("approval", [None, False])  # the provider's default is no approval
def test_an_access_package_open_to_a_population_without_approval_blocks(pack, scope, approval):
    [(level, message)] = findings(pack, POLICY, policy(scope, approval), "AGID-AZ-047")
    assert level == "mandatory" and f"lets {scope} request the package with no approval" in message


@pytest.mark.parametrize("props", [
    policy("AllExternalSubjects", approval=True),
    policy("AllExternalSubjects", accepted=False),
    policy("SpecificDirectorySubjects"),
    policy("NoSubjects"),
])
def test_approval_or_named_requestors_pass(pack, props):
    assert findings(pack, POLICY, props, "AGID-AZ-047") == []
